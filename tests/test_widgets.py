import builtins

import keras
import numpy as np

from vae_helpers import models, widgets


def _models():
    keras.utils.set_random_seed(0)
    return {c: models.dense_vae(hidden_units=8, beta=c) for c in (0.5, 2.0)}


def test_sweep_browser_swaps_the_figure_with_the_slider():
    x = np.random.default_rng(0).uniform(size=(20, 784)).astype("float32")
    box = widgets.sweep_browser(_models(), x, np.arange(20) % 10)
    slider, image = box.children
    first = bytes(image.value)
    assert first.startswith(b"\x89PNG")
    slider.value = 2.0
    second = bytes(image.value)
    assert second != first and second.startswith(b"\x89PNG")


def test_sweep_browser_without_ipywidgets(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_widgets(name, *args, **kwargs):
        if name == "ipywidgets":
            raise ImportError("no ipywidgets")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_widgets)
    assert widgets.sweep_browser({}, None, None) is None
    assert "ipywidgets is not installed" in capsys.readouterr().out
