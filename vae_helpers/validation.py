"""Every argument check of the package, in one style: each returns the cleaned
value or raises ``TypeError``/``ValueError`` with a message that names the
argument and says how to fix it."""

import math

import numpy as np


def check_number(name, value, low=0.0, low_inclusive=True):
    """Return ``value`` as a float after checking it is finite and >= ``low`` (> if not inclusive)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got {value!r}.")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}.") from None
    ok = value >= low if low_inclusive else value > low
    if not math.isfinite(value) or not ok:
        sign = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be a finite number {sign} {low:g}, got {value!r}.")
    return value


def check_beta(beta, name="beta"):
    """Return the KL weight as a float after checking it is finite and >= 0."""
    try:
        return check_number(name, beta)
    except ValueError:
        raise ValueError(f"{name} (the KL weight) must be a finite number >= 0, got {beta!r}; "
                         "use 0 for a plain autoencoder and 1 for the true ELBO.") from None


def check_size(name, value, low=1):
    """Return ``value`` as an int after checking it is an integer >= ``low`` (not a bool)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def check_sizes(name, value):
    """An integer >= 1 or a non-empty list of them, returned as a tuple of ints."""
    values = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    if not values:
        raise ValueError(f"{name} is empty; pass an integer >= 1 or a list of them.")
    return tuple(check_size(name, v) for v in values)


def check_choice(name, value, choices):
    """Return ``value`` after checking it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}.")
    return value


def check_images(x, name="x", shape=None, unit_range=True):
    """Return ``x`` (numpy array or backend tensor) as a float32 numpy array after
    checking it is usable as images.

    ``shape`` is the expected shape of one example (e.g. ``(784,)``). Raises
    ``TypeError`` for non-numeric data and ``ValueError`` for an empty array,
    a wrong shape, NaN or inf, or (with ``unit_range``) values outside [0, 1].
    """
    array = np.asarray(x)
    if array.dtype == object or np.issubdtype(array.dtype, np.complexfloating) or not (
            np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}; "
                        "convert it with np.asarray(..., dtype='float32').")
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); pass at least one example.")
    if shape is not None and tuple(array.shape[1:]) != tuple(shape):
        hint = ""
        if int(np.prod(array.shape[1:])) == int(np.prod(shape)):
            hint = f" Reshape it with x.reshape(-1, {', '.join(map(str, shape))})."
        raise ValueError(f"{name} has examples of shape {tuple(array.shape[1:])} but the model "
                         f"expects {tuple(shape)}.{hint}")
    array = array.astype("float32", copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf values; remove or replace them "
                         "(e.g. np.nan_to_num) before training.")
    if unit_range and (array.min() < 0 or array.max() > 1):
        raise ValueError(f"{name} has values in [{array.min():g}, {array.max():g}] but the "
                         "Bernoulli reconstruction needs pixels in [0, 1]; divide raw "
                         "MNIST bytes by 255.")
    return array


def check_labels(y, n, name="y"):
    """Return ``y`` as an int array of length ``n`` (one label per image)."""
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(f"{name} has shape {labels.shape} but there are {n} images; "
                         "pass one integer label per image.")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{name} must hold integer labels, got dtype {labels.dtype}.")
    return labels


def check_latent_points(z, latent_dim, name="z"):
    """Return ``z`` as a float32 array of shape ``(n, latent_dim)`` with finite values."""
    z = np.asarray(z, dtype="float32")
    if z.ndim != 2 or z.shape[1] != latent_dim:
        raise ValueError(f"{name} has shape {z.shape}; expected (n, {latent_dim}).")
    if not np.all(np.isfinite(z)):
        raise ValueError(f"{name} contains NaN or inf values; decode finite latent points.")
    return z
