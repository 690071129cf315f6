"""Interactive explorers (ipywidgets), with a static fallback.

Each explorer draws into an ``Image`` widget (no output capture), so moving a
slider only re-renders one small figure. Where widgets cannot be shown (no
ipywidgets, or no running kernel), it shows the initial figure and a note.
"""

import io

import matplotlib.pyplot as plt
import numpy as np

from . import plotting
from .prediction import decode, encode
from .validation import check_models_by_c, check_number, check_size
from .schedules import CYCLE_SHAPES, Cyclical, LinearWarmup


def _png_keep(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")   # as the inline figures
    return buffer.getvalue()


def _png(fig):
    png = _png_keep(fig)
    plt.close(fig)
    return png


def _widgets():
    """The ipywidgets module if widgets can be displayed here, else None."""
    try:
        import ipywidgets
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return ipywidgets if shell is not None and hasattr(shell, "kernel") else None


def _show(widget_box, fallback, widgets):
    """Display the widgets, or (where they cannot be shown) a note and ``fallback``,
    a figure or image of the starting state."""
    from IPython.display import display

    if widgets is None:
        print("Interactive widgets are not available here (they need ipywidgets in a running "
              "Jupyter kernel); showing the initial state.")
        display(fallback)
        if isinstance(fallback, plt.Figure):
            plt.close(fallback)
        return None
    display(widget_box)
    return widget_box


def _slider_pair(fig, draw, specs):
    """Two sliders, ``specs`` = [(start, low, high, description)] * 2, that redraw
    ``draw(a, b)`` (PNG bytes) into an image widget; where widgets cannot be shown,
    ``fig`` at the starting values and a note."""
    start = [spec[0] for spec in specs]
    widgets = _widgets()
    if widgets is None:
        draw(*start)
        return _show(None, fig, None)
    sliders = [widgets.FloatSlider(value, min=low, max=high, step=0.05, description=name)
               for value, low, high, name in specs]
    image = widgets.Image(value=draw(*start), format="png")

    def update(_):
        image.value = draw(*(slider.value for slider in sliders))

    for slider in sliders:
        slider.observe(update, names="value")
    plt.close(fig)
    return _show(widgets.VBox([widgets.HBox(sliders), image]), fig, widgets)


def kl_explorer(mean=1.0, std=0.5):
    """Sliders for the mean and standard deviation of q = N(mean, std^2): both
    densities are drawn beside the prior N(0, 1), with KL(q || p) in nats."""
    fig, ax = plt.subplots(figsize=(plotting.WIDTH, 3.4))

    def draw(m, s):
        ax.clear()
        plotting.plot_gaussian_vs_prior(m, s, ax=ax)
        ax.set_ylim(0, 2.1)
        return _png_keep(fig)

    return _slider_pair(fig, draw, [(mean, -3.0, 3.0, "mean"), (std, 0.2, 3.0, "std")])


def latent_explorer(model, x, labels, extent=3.0):
    """Two sliders for a latent point z: where z sits on the scatter of encoder
    means (left) and the digit the decoder draws there (right). The sliders span
    at least [-extent, extent] and widen to reach every encoder mean."""
    z_mean, _ = encode(model, x)
    if z_mean.shape[1] != 2:
        raise ValueError(f"the latent explorer needs a 2-D latent space, the model has "
                         f"{z_mean.shape[1]} dimensions.")
    extent = max(check_number("extent", extent, low_inclusive=False),
                 float(np.ceil(np.abs(z_mean).max())))
    fig, (left, right) = plt.subplots(1, 2, figsize=(plotting.WIDTH, 3.3), layout="constrained")
    plotting.plot_latent_scatter(z_mean, labels, ax=left, extent=extent,
                                 title="encoder means; red: z")
    marker = left.plot([0], [0], "r+", markersize=18, markeredgewidth=3)[0]
    digit = right.imshow(decode(model, np.zeros((1, 2))).reshape(28, 28), cmap="Greys_r",
                         vmin=0, vmax=1)
    right.axis("off")

    def draw(z0, z1):
        marker.set_data([z0], [z1])
        digit.set_data(decode(model, np.array([[z0, z1]])).reshape(28, 28))
        right.set_title(f"decoded at z = ({z0:.2f}, {z1:.2f})")
        return _png_keep(fig)

    return _slider_pair(fig, draw, [(0.0, -extent, extent, name) for name in ("z[0]", "z[1]")])


def schedule_explorer(epochs=60, start=None, duration=None, n_cycles=4, ratio=0.5, beta_max=1.0):
    """Sliders for the parameters of the linear warm-up and cyclical schedules,
    plotting beta over ``epochs``. The starting values are the arguments (by
    default a warm-up starting at 1/6 of training and lasting 1/3 of it)."""
    fig, ax = plt.subplots(figsize=(plotting.WIDTH, 3.6))

    def draw(start, duration, n_cycles, ratio, shape, beta_max):
        ax.clear()
        shown = {"linear warm-up": LinearWarmup(start, duration, beta_max),
                 "cyclical": Cyclical(epochs, n_cycles, ratio, shape, beta_max)}
        plotting.plot_schedules(shown, epochs, ax=ax)
        return _png_keep(fig)

    epochs = check_size("epochs", epochs)
    defaults = dict(start=epochs // 6 if start is None else start,
                    duration=max(1, epochs // 3) if duration is None else duration,
                    n_cycles=n_cycles, ratio=ratio, shape="linear", beta_max=beta_max)
    widgets = _widgets()
    if widgets is None:
        draw(**defaults)
        return _show(None, fig, None)
    controls = {
        "start": widgets.IntSlider(defaults["start"], 0, epochs - 1, description="start"),
        "duration": widgets.IntSlider(defaults["duration"], 1, epochs, description="duration"),
        "n_cycles": widgets.IntSlider(defaults["n_cycles"], 1, max(10, n_cycles),
                                      description="cycles"),
        "ratio": widgets.FloatSlider(defaults["ratio"], min=0.05, max=1.0, step=0.05,
                                     description="ratio"),
        "shape": widgets.Dropdown(options=CYCLE_SHAPES, value="linear", description="shape"),
        "beta_max": widgets.FloatSlider(defaults["beta_max"], min=0.1, max=max(10.0, beta_max),
                                        step=0.1,
                                        description="beta max"),
    }
    image = widgets.Image(value=draw(**defaults), format="png")

    def update(_):
        image.value = draw(**{name: c.value for name, c in controls.items()})

    for control in controls.values():
        control.observe(update, names="value")
    plt.close(fig)
    box = widgets.VBox([widgets.HBox(list(controls.values())[:3]),
                        widgets.HBox(list(controls.values())[3:]), image])
    return _show(box, fig, widgets)


def sweep_browser(models_by_c, x, labels, extent=None):
    """A slider over the KL coefficients that swaps the latent scatter and the
    decoded manifold shown. The figures are drawn once up front, so moving the
    slider is instant. ``extent``: the scatter's half-width; None (the default) follows
    each model's codes, so no point is off the plot. Where widgets cannot be shown: the
    first figure and a note."""
    pngs = {}
    for c, model in check_models_by_c(models_by_c).items():
        fig, (left, right) = plt.subplots(1, 2, figsize=(plotting.WIDTH, 3.4),
                                          layout="constrained")  # room for the colour bar
        fig.get_layout_engine().set(wspace=0.12)
        plotting.plot_latent_scatter(encode(model, x)[0], labels, ax=left, extent=extent,
                                     title=f"encoder means, c = {c:g}")
        plotting.plot_manifold(model.decoder, n=20, extent=3.0, ax=right,
                               title=f"decoded grid, c = {c:g}")
        pngs[c] = _png(fig)
    widgets = _widgets()
    if widgets is None:
        from IPython.display import Image

        return _show(None, Image(pngs[next(iter(models_by_c))]), None)
    slider = widgets.SelectionSlider(options=list(models_by_c), description="c")
    image = widgets.Image(value=pngs[slider.value], format="png")
    slider.observe(lambda change: setattr(image, "value", pngs[change["new"]]), names="value")
    return _show(widgets.VBox([slider, image]), None, widgets)
