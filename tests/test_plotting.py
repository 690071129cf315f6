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
    assert [ax.get_title() for ax in plotting.plot_history(history).axes if ax.get_title()] == [
        "loss", "reconstruction", "kl"]
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


def _rd_table(c, rate, distortion):
    return {"c": np.array(c, float), "test_kl": np.array(rate, float),
            "test_reconstruction": np.array(distortion, float)}


def test_rate_distortion_points_sit_where_the_table_puts_them_and_carry_their_own_c():
    ours = _rd_table([0, 0.5, 1, 20], [140.0, 6.6, 5.2, 0.5], [162.0, 163.9, 164.1, 198.7])
    source = _rd_table([0, 1], [506.8, 6.2], [141.5, 144.2])
    fig = plotting.plot_rate_distortion(ours, reference=source)
    top, bottom = fig.axes   # c = 0 rates lie far above the rest: the axis is broken
    labels = {}
    for ax in (top, bottom):
        for text in ax.texts:
            labels.setdefault(text.get_text(), []).append((ax, text.xy))
    for table in (ours, source):
        for c, r, d in zip(table["c"], table["test_kl"], table["test_reconstruction"]):
            (ax, xy), = [hit for hit in labels[f"c={c:g}"] if np.allclose(hit[1], (d, r))]
            assert ax is (top if c == 0 else bottom)          # in the panel whose scale holds it
            low, high = ax.get_ylim()
            assert low <= r <= high
    # x is the distortion, y the rate: the plotted line holds the table's points in that order
    line = next(l for l in bottom.lines if l.get_label() == "this run")
    np.testing.assert_allclose(line.get_xdata(), ours["test_reconstruction"])
    np.testing.assert_allclose(line.get_ydata(), ours["test_kl"])
    # the equal-ELBO line through c = 1 has slope -1 and passes through that point
    elbo = next(l for l in bottom.lines if l.get_label().startswith("equal objective"))
    (x0, x1), (y0, y1) = elbo.get_xdata(), elbo.get_ydata()
    assert np.isclose((y1 - y0) / (x1 - x0), -1) and np.isclose(y0 + x0, 164.1 + 5.2)
    # the line through the c = 20 point has slope -1/20
    dotted = [l for l in bottom.lines if l.get_linestyle() == ":" and len(l.get_xdata()) == 2
              and np.isclose(np.mean(l.get_xdata()), 198.7)]
    (x0, x1), (y0, y1) = dotted[0].get_xdata(), dotted[0].get_ydata()
    assert np.isclose((y1 - y0) / (x1 - x0), -1 / 20)
    matplotlib.pyplot.close("all")


def test_rate_distortion_without_a_far_c0_point_is_one_panel():
    fig = plotting.plot_rate_distortion(_rd_table([0, 1, 2], [8.0, 6.0, 5.0], [160, 161, 163]))
    assert len(fig.axes) == 1 and {t.get_text() for t in fig.axes[0].texts} == {"c=0", "c=1", "c=2"}
    matplotlib.pyplot.close("all")


def test_pruning_figure_draws_the_given_kl_and_counts():
    predicted = {0.5: np.array([1.0, 0.5, 0.0]), 2.0: np.array([0.3, 0.0, 0.0])}
    measured = {0.5: np.array([0.45, 0.95, 0.02]), 2.0: np.array([0.0, 0.31, 0.0])}
    counts = {"closed form": {0.5: 2, 2.0: 1}, "trained": {0.5: 2, 2.0: 1}}
    fig = plotting.plot_pruning(predicted, measured, counts, threshold=0.1)
    left, right = fig.axes
    dots = [l for l in left.lines if l.get_linestyle() == "None"]
    np.testing.assert_allclose(dots[0].get_ydata(), [0.95, 0.45, 0.02])   # sorted, largest first
    line = next(l for l in right.lines if l.get_label() == "closed form")
    np.testing.assert_allclose(line.get_xdata(), [0.5, 2.0])
    np.testing.assert_allclose(line.get_ydata(), [2, 1])
    matplotlib.pyplot.close("all")
