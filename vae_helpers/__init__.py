"""Helpers for the VAE notebook series: data, losses, models and plots."""

from .config import quick_mode

__all__ = ["quick_mode"]
