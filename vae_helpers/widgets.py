"""Interactive explorers (ipywidgets), with a static fallback."""

import io

import matplotlib.pyplot as plt

from . import plotting


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def sweep_browser(models_by_c, x, labels, extent=4.0):
    """A slider over the KL coefficients that swaps the latent scatter and the
    decoded manifold shown. The figures are drawn once up front, so moving the
    slider is instant. Without ipywidgets, prints a note and returns None."""
    try:
        import ipywidgets as widgets
        from IPython.display import display
    except ImportError:
        print("ipywidgets is not installed: use the static grids above instead.")
        return None
    pngs = {}
    for c, model in models_by_c.items():
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5))
        plotting.plot_latent_scatter(model.encode(x)[0], labels, ax=left, extent=extent,
                                     title=f"encoder means, c = {c:g}")
        plotting.plot_manifold(model.decoder, n=20, extent=3.0, ax=right,
                               title=f"decoded grid, c = {c:g}")
        pngs[c] = _png(fig)
    slider = widgets.SelectionSlider(options=list(models_by_c), description="c")
    image = widgets.Image(value=pngs[slider.value], format="png")
    slider.observe(lambda change: setattr(image, "value", pngs[change["new"]]), names="value")
    box = widgets.VBox([slider, image])
    display(box)
    return box
