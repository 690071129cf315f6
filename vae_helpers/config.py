"""The quick/full switch shared by every notebook and test."""

import os

_FALSE = {"", "0", "false", "no", "off"}


def _flag(name):
    return os.environ.get(name, "").strip().lower() not in _FALSE


def quick_mode():
    """True when ``VAE_QUICK`` or ``CI`` is set to a true value.

    Quick mode trains for a few epochs on a small slice so the whole series
    runs in CI in minutes; full mode uses the source documents' settings.
    ``VAE_QUICK=0`` forces full mode even where ``CI`` is set.
    """
    if "VAE_QUICK" in os.environ:
        return _flag("VAE_QUICK")
    return _flag("CI")


def set_seed(seed=0):
    """Seed Python, numpy and the backend, so the same seed gives the same losses
    and figures on the same machine.

    TensorFlow's CPU kernels and XLA are deterministic for these models (the
    tests check it). ``tf.config.experimental.enable_op_determinism()`` is not
    called: Keras turns XLA off under it, which makes the dense models slower.
    """
    import keras

    from .validation import check_seed

    keras.utils.set_random_seed(check_seed(seed))
