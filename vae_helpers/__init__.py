"""Helpers for the VAE notebook series: data, losses, models and plots."""

import os

# Quiet TensorFlow's start-up messages unless the user chose a level.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _import_tensorflow_quietly():
    """Import TensorFlow once with the C-level stderr silenced: some notices (oneDNN's, on
    AVX-512 CPUs) are printed before its log level applies, and a notebook shows them as a
    pink block. Errors still surface as Python exceptions."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    # retracing notices after many trainings in one kernel are advice for library authors
    tensorflow.get_logger().setLevel("ERROR")


_import_tensorflow_quietly()

from .config import quick_mode, set_seed  # noqa: E402

__all__ = ["quick_mode", "set_seed"]
