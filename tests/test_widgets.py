import ipywidgets
import keras
import numpy as np
import pytest

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
    import matplotlib.pyplot as plt

    from vae_helpers.prediction import decode

    monkeypatch.setattr(plt, "close", lambda *args: None)   # keep the explorer's figure reachable
    model = models.dense_vae(hidden_units=8)
    box = widgets.latent_explorer(model, X, LABELS)
    (z0, z1), _ = box.children[0].children, box.children[1]
    figure = plt.figure(plt.get_fignums()[-1])
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
def test_without_a_kernel_a_static_figure_and_a_note(make, capsys):
    assert make() is None                      # pytest has no Jupyter kernel
    assert "widgets are not available here" in capsys.readouterr().out


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
