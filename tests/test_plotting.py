import matplotlib
import numpy as np

from vae_helpers import plotting


class GridDecoder:
    """Fake decoder: each image is filled with its z[0] value (top half) and z[1] (bottom half)."""

    calls = 0

    def __call__(self, z, training=False):
        GridDecoder.calls += 1
        images = np.empty((len(z), 28, 28), "float32")
        images[:, :14] = z[:, :1, None]
        images[:, 14:] = z[:, 1:, None]
        return images.reshape(len(z), 784)


def test_decode_grid_is_one_batched_call_with_the_right_layout():
    GridDecoder.calls = 0
    tiles, grid = plotting.decode_grid(GridDecoder(), n=5, extent=2.0)
    assert GridDecoder.calls == 1
    assert tiles.shape == (5 * 28, 5 * 28)
    np.testing.assert_allclose(grid, np.linspace(-2, 2, 5))
    assert tiles[0, 0] == -2 and tiles[0, -1] == 2          # z[0] grows left to right
    assert tiles[20, 0] == 2 and tiles[-1, 0] == -2         # z[1] = +extent on the top row


def test_figures_are_built():
    samples = plotting.standard_normal_samples(500, seed=1)
    assert samples.shape == (500, 2)
    fig = plotting.plot_standard_normal(samples)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes[0].collections) >= 2  # scatter + contours
    fig = plotting.plot_latent_scatter(samples, np.arange(500) % 10)
    assert len(fig.axes) == 2  # plot + colour bar
    fig = plotting.plot_manifold(GridDecoder(), n=4)
    assert fig.axes[0].images
    history = {"loss": [3, 2], "reconstruction": [2, 1.5], "kl": [1, 0.5], "val_loss": [3, 2.5]}
    assert len(plotting.plot_history(history).axes) == 3
    x = np.random.default_rng(0).uniform(size=(4, 784))
    assert len(plotting.plot_reconstructions(x, x, n=4).axes) == 8
    assert len(plotting.plot_reconstructions(x[:1], x[:1]).axes) == 2   # one image works too
    assert len(plotting.plot_digit_grid(x, columns=3).axes) == 6         # 2 rows of 3
    assert len(plotting.plot_radius_distribution(samples).axes) == 1
    matplotlib.pyplot.close("all")


def test_the_gaussian_figure_titles_the_closed_form_kl():
    fig = plotting.plot_gaussian_vs_prior(1.0, 1.0)
    assert fig.axes[0].get_title() == "KL(q || p) = 0.500 nats"   # mu^2 / 2 for sigma = 1
    fig = plotting.plot_gaussian_vs_prior(0.0, 1.0)
    assert fig.axes[0].get_title() == "KL(q || p) = 0.000 nats"
    matplotlib.pyplot.close("all")
