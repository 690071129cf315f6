import ipywidgets
import keras
import numpy as np
import pytest
from scipy import stats

from vae_helpers import models, widgets

X = np.random.default_rng(0).uniform(size=(20, 784)).astype("float32")
LABELS = np.arange(20) % 10


@pytest.fixture
def interactive(monkeypatch):
    """Pretend to run in a Jupyter kernel, where widgets can be displayed."""
    monkeypatch.setattr(widgets, "_widgets", lambda: ipywidgets)


def _models():
    keras.utils.set_random_seed(0)
    return {c: models.dense_vae(hidden_units=8, beta=c) for c in (0.5, 2.0)}


def _png(image):
    data = bytes(image.value)
    assert data.startswith(b"\x89PNG")
    return data


def _kept_figure(monkeypatch):
    """Keep the explorers' figures open and return a function giving the newest one."""
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "close", lambda *args: None)
    return lambda: plt.figure(plt.get_fignums()[-1])


def test_sweep_browser_swaps_the_figure_with_the_slider(interactive):
    slider, image = widgets.sweep_browser(_models(), X, LABELS).children
    first = _png(image)
    slider.value = 2.0
    assert _png(image) != first


def test_latent_explorer_redraws_when_z_moves(interactive):
    box = widgets.latent_explorer(models.dense_vae(hidden_units=8), X, LABELS)
    (z0, z1), image = box.children[0].children, box.children[1]
    first = _png(image)
    z0.value, z1.value = 2.0, -1.5
    assert _png(image) != first


def test_latent_explorer_draws_the_decoder_output_at_the_sliders_point(interactive, monkeypatch):
    from vae_helpers.prediction import decode

    newest = _kept_figure(monkeypatch)
    model = models.dense_vae(hidden_units=8)
    box = widgets.latent_explorer(model, X, LABELS)
    (z0, z1), _ = box.children[0].children, box.children[1]
    figure = newest()
    # the scatter spans the sliders' range: at least [-3, 3], wider to hold every encoder mean
    extent = max(3.0, float(np.ceil(np.abs(widgets.encode(model, X)[0]).max())))
    assert figure.axes[0].get_xlim() == (-extent, extent) and z0.min == -extent and z0.max == extent
    for point in [(2.0, -1.5), (-0.5, 1.0)]:
        z0.value, z1.value = point
        shown = figure.axes[1].images[0].get_array()
        np.testing.assert_allclose(shown, decode(model, np.array([point])).reshape(28, 28), rtol=1e-6)
        marker = figure.axes[0].lines[-1]
        assert (marker.get_xdata()[0], marker.get_ydata()[0]) == point


def test_kl_explorer_redraws_and_titles_the_closed_form_kl(interactive):
    box = widgets.kl_explorer(mean=0.0, std=1.0)
    (mean, std), image = box.children[0].children, box.children[1]
    first = _png(image)
    mean.value = 2.0
    assert _png(image) != first


def test_schedule_explorer_redraws_when_a_parameter_moves(interactive):
    box = widgets.schedule_explorer(epochs=30)
    ratio = box.children[1].children[0]
    image = box.children[2]
    first = _png(image)
    ratio.value = 0.25
    assert _png(image) != first


@pytest.mark.parametrize("make", [
    lambda: widgets.sweep_browser(_models(), X, LABELS),
    lambda: widgets.latent_explorer(models.dense_vae(hidden_units=8), X, LABELS),
    lambda: widgets.schedule_explorer(epochs=30),
    lambda: widgets.kl_explorer(),
])
def test_without_a_kernel_a_static_figure_and_a_note(make, capsys, monkeypatch):
    import IPython.display
    import matplotlib.figure

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    assert make() is None                      # pytest has no Jupyter kernel
    assert capsys.readouterr().out.startswith("Interactive widgets are not available here (they "
                                              "need ipywidgets in a running Jupyter kernel)")
    assert len(shown) == 1 and isinstance(shown[0], (matplotlib.figure.Figure, IPython.display.Image))


def test_widgets_are_shown_only_in_a_kernel(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)                      # plain Python
    assert widgets._widgets() is None
    monkeypatch.setattr(IPython, "get_ipython", lambda: type("Terminal", (), {})())  # IPython shell
    assert widgets._widgets() is None
    monkeypatch.setattr(IPython, "get_ipython", lambda: type("Kernel", (), {"kernel": 1})())
    assert widgets._widgets() is ipywidgets


def test_explorers_controls_move_in_fine_steps_and_send_png(interactive):
    box = widgets.kl_explorer()
    (mean, std), image = box.children[0].children, box.children[1]
    assert mean.step == std.step == pytest.approx(0.05) and image.format == "png"
    box = widgets.schedule_explorer(epochs=30)
    cycles, ratio = box.children[0].children[2], box.children[1].children[0]
    assert (cycles.min, cycles.max, ratio.min, ratio.max) == (1, 10, pytest.approx(0.05), 1.0)
    assert ratio.step == pytest.approx(0.05) and box.children[2].format == "png"
    assert widgets.sweep_browser(_models(), X, LABELS).children[1].format == "png"


def test_latent_explorer_needs_two_dimensions():
    with pytest.raises(ValueError, match="2-D latent space"):
        widgets.latent_explorer(models.dense_vae(hidden_units=8, latent_dim=3), X, LABELS)


def test_sweep_browser_axes_follow_each_models_codes(interactive, monkeypatch):
    import matplotlib.pyplot as plt

    from vae_helpers.prediction import encode

    axes = []
    real = widgets.plotting.plot_latent_scatter

    def spy(z, *args, **kwargs):
        axes.append(kwargs["ax"])
        return real(z, *args, **kwargs)

    monkeypatch.setattr(widgets.plotting, "plot_latent_scatter", spy)
    models_by_c = _models()
    head = models_by_c[0.5].encoder.get_layer("z_mean")
    kernel, bias = head.get_weights()
    head.set_weights([kernel * 200, bias])   # codes far beyond [-4, 4], as at c = 0
    widgets.sweep_browser(models_by_c, X, LABELS)
    reaches = [np.abs(encode(model, X)[0]).max() for model in models_by_c.values()]
    assert max(reaches) > 4
    for ax, reach in zip(axes, reaches):
        assert reach <= min(ax.get_xlim()[1], ax.get_ylim()[1])   # no point off the plot
    plt.close("all")


def test_schedule_explorer_draws_the_schedules_its_controls_set(interactive, monkeypatch):
    from vae_helpers.schedules import Cyclical, LinearWarmup

    newest = _kept_figure(monkeypatch)
    box = widgets.schedule_explorer(epochs=30)
    start, duration, cycles = box.children[0].children
    ratio, shape, beta_max = box.children[1].children
    figure = newest()
    assert [c.description for c in (start, duration, cycles, ratio, shape, beta_max)] == [
        "start", "duration", "cycles", "ratio", "shape", "beta max"]
    # the starting values: a warm-up from 1/6 of training lasting 1/3 of it; sliders span training
    assert (start.value, duration.value, cycles.value, ratio.value, beta_max.value) == (5, 10, 4, 0.5, 1.0)
    assert (start.min, start.max, duration.min, duration.max) == (0, 29, 1, 30)
    assert beta_max.min == pytest.approx(0.1) and beta_max.max == 10.0 and beta_max.step == pytest.approx(0.1)
    for values in [dict(), dict(start=3, duration=7, n_cycles=3, ratio=0.25, shape="cosine", beta_max=2.0)]:
        controls = dict(start=start, duration=duration, n_cycles=cycles, ratio=ratio, shape=shape,
                        beta_max=beta_max)
        for name, value in values.items():
            controls[name].value = value
        now = {name: control.value for name, control in controls.items()}
        warmup, cyclical = figure.axes[0].lines
        np.testing.assert_allclose(warmup.get_ydata(),
                                   LinearWarmup(now["start"], now["duration"], now["beta_max"]).values(30))
        np.testing.assert_allclose(cyclical.get_ydata(), Cyclical(
            30, now["n_cycles"], now["ratio"], now["shape"], now["beta_max"]).values(30))
    assert widgets.schedule_explorer(epochs=30, start=2, duration=4).children[0].children[1].value == 4


def test_kl_explorer_draws_q_at_its_sliders(interactive, monkeypatch):
    newest = _kept_figure(monkeypatch)
    box = widgets.kl_explorer(mean=0.5, std=1.5)
    (mean, std), _ = box.children[0].children, box.children[1]
    figure = newest()
    assert (mean.value, mean.min, mean.max, std.value, std.min, std.max) == (0.5, -3.0, 3.0, 1.5, 0.2, 3.0)
    assert (mean.description, std.description) == ("mean", "std")
    mean.value, std.value = -1.0, 0.5
    _, q = figure.axes[0].lines
    z = q.get_xdata()
    np.testing.assert_allclose(q.get_ydata(), stats.norm.pdf(z, -1.0, 0.5))
    assert figure.axes[0].get_ylim() == (0, 2.1)   # one scale whatever the sliders say
