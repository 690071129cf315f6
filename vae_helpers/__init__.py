"""Helpers for the VAE notebook series: data, losses, models and plots."""

import os

# Quiet TensorFlow's start-up messages unless the user chose a level.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .config import quick_mode, set_seed  # noqa: E402

__all__ = ["quick_mode", "set_seed"]
