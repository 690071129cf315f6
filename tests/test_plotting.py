import matplotlib
import numpy as np
from scipy import stats

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
    # the source article's points in grey, this run's in colour, so the two read apart
    reference = next(l for l in bottom.lines if l.get_label() == "source article")
    np.testing.assert_allclose(reference.get_ydata(), source["test_kl"])
    assert matplotlib.colors.same_color(reference.get_color(), "grey")
    assert not matplotlib.colors.same_color(line.get_color(), "grey")
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


def test_kl_bars_are_each_models_kl_sorted_on_one_scale_with_the_threshold():
    kl = {"constant": np.array([0.05, 2.0, 0.5]), "warm-up": np.array([1.0, 3.0, 0.0])}
    fig = plotting.plot_kl_per_dimension(kl, threshold=0.1)
    panels = [ax for ax in fig.axes if ax.patches]
    assert [ax.get_title() for ax in panels] == ["constant", "warm-up"]
    for ax, values in zip(panels, kl.values()):
        np.testing.assert_allclose([bar.get_height() for bar in ax.patches], np.sort(values)[::-1])
        np.testing.assert_allclose([bar.get_x() + bar.get_width() / 2 for bar in ax.patches], [0, 1, 2])
        assert [line.get_ydata()[0] for line in ax.lines] == [0.1]
    # one scale for both panels, from 0 to above the tallest bar; side by side, within the width
    assert panels[0].get_ylim() == panels[1].get_ylim() and panels[0].get_ylim()[0] == 0
    assert panels[0].get_ylim()[1] >= 3.0
    assert panels[0].get_position().y0 == panels[1].get_position().y0
    width, height = fig.get_size_inches()
    assert width <= plotting.WIDTH and height < width / 2   # a row of panels wider than tall
    assert not plotting.plot_kl_per_dimension(kl).axes[0].lines   # no threshold, no line
    matplotlib.pyplot.close("all")


def test_schedule_histories_draw_each_runs_logged_values_per_term():
    histories = {"constant": {"beta": [1.0, 1.0, 1.0], "kl": [5.0, 4.0, 3.5], "reconstruction": [9, 8, 7]},
                 "warm-up": {"beta": [0.0, 0.5, 1.0], "kl": [20.0, 9.0, 4.0], "reconstruction": [8, 7.5, 7]}}
    fig = plotting.plot_schedule_histories(histories)
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    assert list(panels) == ["beta", "kl", "reconstruction"]
    for term, ax in panels.items():
        assert [line.get_label() for line in ax.lines] == ["constant", "warm-up"]
        for line, history in zip(ax.lines, histories.values()):
            np.testing.assert_allclose(line.get_xdata(), [0, 1, 2])   # epochs counted from 0
            np.testing.assert_allclose(line.get_ydata(), history[term])
    assert panels["kl"].get_yscale() == "log" and panels["beta"].get_yscale() == "linear"
    assert [panels[t].get_ylabel() for t in panels] == ["KL weight", "nats per image (log scale)",
                                                        "nats per image"]
    # two panels a row: beta and kl side by side, reconstruction below
    assert panels["beta"].get_position().y0 == panels["kl"].get_position().y0
    assert panels["reconstruction"].get_position().y0 < panels["beta"].get_position().y0
    assert fig.get_size_inches()[0] <= plotting.WIDTH
    assert fig.get_size_inches()[1] <= 2 * 2.9
    # Keras' History objects work as their .history dicts; the reconstruction's unit is the caller's
    history = type("History", (), {"history": histories["warm-up"]})()
    fig = plotting.plot_schedule_histories({"warm-up": history}, reconstruction_unit="per image")
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    np.testing.assert_allclose(panels["kl"].lines[0].get_ydata(), [20.0, 9.0, 4.0])
    assert panels["reconstruction"].get_ylabel() == "per image"
    matplotlib.pyplot.close("all")


def _tiny_vae(seed):
    import keras

    from vae_helpers import models

    keras.utils.set_random_seed(seed)
    return models.dense_vae(hidden_units=8)


def test_sweep_panels_show_each_coefficients_own_model():
    from vae_helpers import prediction

    by_c = {0.5: _tiny_vae(0), 4.0: _tiny_vae(1)}
    x = np.random.default_rng(0).uniform(size=(50, 784)).astype("float32")
    labels = np.arange(50) % 10
    scatters = plotting.plot_sweep_scatters(by_c, x, labels)
    manifolds = plotting.plot_sweep_manifolds(by_c, n=3)
    priors = plotting.plot_sweep_prior_samples(by_c, n=4, seed=3)
    for i, (c, model) in enumerate(by_c.items()):
        ax = scatters.axes[i]
        assert ax.get_title() == f"c = {c:g}"
        np.testing.assert_allclose(ax.collections[0].get_offsets(), prediction.encode(model, x)[0],
                                   rtol=1e-6)
        np.testing.assert_array_equal(ax.collections[0].get_array(), labels)
        assert any(isinstance(p, matplotlib.patches.Circle) and p.get_radius() == 2.0 for p in ax.patches)
        ax = manifolds.axes[i]
        assert ax.get_title() == f"c = {c:g}"
        np.testing.assert_allclose(ax.images[0].get_array(), plotting.decode_grid(model.decoder, n=3)[0],
                                   rtol=1e-6)
        ax = priors.axes[i]
        z = np.random.default_rng(3).standard_normal((4, 2))   # the same draws in every panel
        digits = prediction.decode(model, z).reshape(2, 2, 28, 28).transpose(0, 2, 1, 3)
        np.testing.assert_allclose(ax.images[0].get_array(), digits.reshape(56, 56), rtol=1e-6)
        assert ax.images[0].get_clim() == (0, 1)   # one grey scale: a faint digit stays faint
        assert ax.get_title() == f"c = {c:g}"
    assert len(scatters.axes) == 3   # two panels and one digit colour bar
    matplotlib.pyplot.close("all")


def test_standard_normal_figure_draws_the_samples_and_circles_of_radius_1_2_3():
    samples = plotting.standard_normal_samples(300, seed=2)
    ax = plotting.plot_standard_normal(samples, extent=4.0).axes[0]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), samples)
    contours = next(c for c in ax.collections if hasattr(c, "levels"))
    # N(0, I)'s density at radius r is exp(-r^2 / 2) / (2 pi): each level is a circle of that r
    for radius, path in zip((3.0, 2.0, 1.0), contours.get_paths()):
        np.testing.assert_allclose(np.linalg.norm(path.vertices, axis=1), radius, rtol=2e-3)
    matplotlib.pyplot.close("all")


def test_radius_figure_draws_the_distances_beside_the_chi_density():
    samples = plotting.standard_normal_samples(2000, seed=3)
    ax = plotting.plot_radius_distribution(samples, radius=1.5).axes[0]
    heights = np.array([bar.get_height() for bar in ax.patches if bar.get_width() < 1])
    expected, _ = np.histogram(np.linalg.norm(samples, axis=1), bins=60, range=(0, 4.5), density=True)
    np.testing.assert_allclose(heights, expected, rtol=1e-5)   # matplotlib keeps float32 edges
    chi = ax.lines[0]
    r = chi.get_xdata()
    np.testing.assert_allclose(chi.get_ydata(), r * np.exp(-r ** 2 / 2))
    assert ax.get_legend_handles_labels()[1][-1] == f"P(r < 1.5) = {1 - np.exp(-1.5 ** 2 / 2):.3f}"
    shaded = ax.collections[0].get_paths()[0].vertices
    assert shaded[:, 0].max() <= 1.5 + 4.5 / 299 and shaded[:, 0].max() > 1.5 - 4.5 / 299
    matplotlib.pyplot.close("all")


def test_gaussian_figure_draws_both_densities_over_z():
    ax = plotting.plot_gaussian_vs_prior(1.0, 0.5).axes[0]
    prior, q = ax.lines
    z = prior.get_xdata()
    assert z.min() == -5 and z.max() == 5
    np.testing.assert_allclose(prior.get_ydata(), stats.norm.pdf(z))
    np.testing.assert_allclose(q.get_xdata(), z)
    np.testing.assert_allclose(q.get_ydata(), stats.norm.pdf(z, 1.0, 0.5))
    matplotlib.pyplot.close("all")


def test_digit_grid_draws_every_image_on_one_grey_scale():
    x = np.random.default_rng(0).uniform(0.2, 0.4, size=(5, 784))   # faint images stay faint
    fig = plotting.plot_digit_grid(x, columns=3)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 5
    for image, pixels in zip(images, x):
        np.testing.assert_allclose(image.get_array(), pixels.reshape(28, 28))
        assert image.get_clim() == (0, 1) and image.get_cmap().name == "Greys_r"
    matplotlib.pyplot.close("all")


def test_history_draws_training_and_validation_per_epoch():
    history = {"loss": [3.0, 2.0, 1.5], "val_loss": [3.5, 2.5, 2.0]}
    ax = plotting.plot_history(history, terms=("loss",)).axes[0]
    train, validation = ax.lines
    for line, values in ((train, history["loss"]), (validation, history["val_loss"])):
        np.testing.assert_allclose(line.get_xdata(), [1, 2, 3])   # epochs counted from 1
        np.testing.assert_allclose(line.get_ydata(), values)
    matplotlib.pyplot.close("all")
