"""Every argument check of the package, in one style: each returns the cleaned
value or raises ``TypeError``/``ValueError`` with a message that names the
argument and says how to fix it."""

import collections.abc
import inspect
import math
import os

import keras
import numpy as np


def check_number(name, value, low=0.0, low_inclusive=True, high=math.inf, high_inclusive=True):
    """Return ``value`` as a float after checking it is a finite number (not a bool or a
    string), >= ``low`` (> if not inclusive) and <= ``high`` (< if not inclusive)."""
    if isinstance(value, (bool, str, bytes)):
        raise TypeError(f"{name} must be a number, got {value!r}.")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}.") from None
    ok = (value >= low if low_inclusive else value > low) and (
        value <= high if high_inclusive else value < high)
    if not math.isfinite(value) or not ok:
        if math.isfinite(high):
            bounds = (f" in {'[' if low_inclusive else '('}{low:g}, "
                      f"{high:g}{']' if high_inclusive else ')'}")
        elif math.isfinite(low):
            bounds = f" {'>=' if low_inclusive else '>'} {low:g}"
        else:
            bounds = ""
        raise ValueError(f"{name} must be a finite number{bounds}, got {value!r}.")
    return value


def check_beta(beta, name="beta"):
    """Return the KL weight as a float after checking it is finite and >= 0."""
    try:
        return check_number(name, beta)
    except ValueError:
        raise ValueError(f"{name} (the KL weight) must be a finite number >= 0, got {beta!r}; "
                         "use 0 for a plain autoencoder and 1 for the true ELBO.") from None


def check_size(name, value, low=1, high=None):
    """Return ``value`` as an int after checking it is an integer >= ``low`` (and <= ``high``
    if given), not a bool."""
    if (not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low
            or (high is not None and value > high)):
        bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer {bounds}, got {value!r}.")
    return int(value)


SEED_LIMIT = 2**32 - 1  # numpy's and Keras' seeds are unsigned 32-bit integers


def check_seed(seed, name="seed", allow_none=False):
    """Return ``seed`` as an int after checking it is an integer in [0, 2**32 - 1]
    (or None where ``allow_none``: fresh randomness each call)."""
    if seed is None and allow_none:
        return None
    if (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0
            or seed > SEED_LIMIT):
        hint = " or None" if allow_none else ""
        raise ValueError(f"{name} must be an integer in [0, {SEED_LIMIT}]{hint} (e.g. 0), got "
                         f"{seed!r}; the same seed gives the same numbers on the same machine.")
    return int(seed)


def check_bool(name, value):
    """Return ``value`` after checking it is True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def check_list(name, value, item):
    """Return ``value`` as a non-empty list of ``item``s; a string, a number or a mapping
    is refused."""
    if isinstance(value, (str, bytes, collections.abc.Mapping)) or not isinstance(
            value, collections.abc.Iterable):
        raise TypeError(f"{name} must be a list of {item}s, got {value!r}.")
    values = list(value)
    if not values:
        raise ValueError(f"{name} is empty; pass at least one {item}.")
    return values


def check_sizes(name, value):
    """An integer >= 1 or a non-empty list of them, returned as a tuple of ints."""
    values = (value,) if isinstance(value, (int, np.integer)) else check_list(
        name, value, "positive integer")
    return tuple(check_size(name, v) for v in values)


def check_choice(name, value, choices):
    """Return ``value`` after checking it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}.")
    return value


def check_path(name, value):
    """Return ``value`` after checking it is a path (a string or ``pathlib.Path``)."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (a string or pathlib.Path), got {value!r}.")
    return value


def check_callable(name, value, example, n_args=None):
    """Return ``value`` after checking it is callable (with ``n_args`` positional arguments)."""
    if not callable(value):
        raise TypeError(f"{name} must be callable (e.g. {example}), got {value!r}.")
    if n_args is not None:
        try:
            signature = inspect.signature(value)
        except (TypeError, ValueError):  # a builtin without a signature: trust it
            return value
        try:
            signature.bind(*range(n_args))
        except TypeError:
            raise TypeError(f"{name} must take {n_args} argument(s) (e.g. {example}), but its "
                            f"signature is {signature}.") from None
    return value


def check_mapping(name, value, what):
    """Return ``value`` after checking it is a non-empty dict (``what`` describes it)."""
    if not isinstance(value, collections.abc.Mapping):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}.")
    if not value:
        raise ValueError(f"{name} is empty; pass {what} with at least one entry.")
    return value


def check_keys(name, table, keys):
    """Return ``table`` (a dict or pandas DataFrame) after checking it holds ``keys``."""
    if not hasattr(table, "keys"):
        raise TypeError(f"{name} must be a dict or pandas DataFrame with {list(keys)}, "
                        f"got {type(table).__name__}.")
    missing = [k for k in keys if k not in table]
    if missing:
        raise ValueError(f"{name} has no {missing}; it holds {sorted(map(str, table.keys()))}.")
    return table


def check_model(name, model):
    """Return ``model`` after checking it is a Keras model."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"{name} must be a keras.Model (e.g. models.dense_vae()), got "
                        f"{type(model).__name__}.")
    return model


def check_decoder(decoder, latent_dim, name="decoder"):
    """Return ``decoder`` after checking it is callable, not a whole VAE, and (if a Keras
    model) takes points of ``latent_dim`` dimensions."""
    if hasattr(decoder, "decoder"):
        raise TypeError(f"{name} must be a decoder, not a whole VAE; pass vae.decoder.")
    check_callable(name, decoder, "vae.decoder")
    inputs = getattr(decoder, "inputs", None) if isinstance(decoder, keras.Model) else None
    if inputs and tuple(inputs[0].shape[1:]) != (latent_dim,):
        raise ValueError(f"{name} takes inputs of shape {tuple(inputs[0].shape[1:])}, not "
                         f"({latent_dim},) latent points; pass the decoder of a VAE with "
                         f"latent_dim={latent_dim}.")
    return decoder


def check_dataset(data, name="data"):
    """Return ``data`` after checking it has the fields of ``data.MNIST``."""
    if not all(hasattr(data, k) for k in ("x_train", "y_train", "x_test", "y_test", "source")):
        raise TypeError(f"{name} must be an MNIST from data.load_mnist() (x_train, y_train, "
                        f"x_test, y_test, source), got {type(data).__name__}.")
    return data


def check_vae(model, name="model"):
    """Return ``model`` after checking it is a VAE: a model with ``encoder`` and ``decoder``."""
    if not (hasattr(model, "encoder") and hasattr(model, "decoder")):
        raise TypeError(f"{name} must be a VAE with an encoder and a decoder (e.g. "
                        f"models.dense_vae()), got {type(model).__name__}.")
    return model


def check_vae_images(model, x, name="x"):
    """Return images ``x`` as float32 after checking ``model`` is a VAE that can encode them."""
    check_vae(model)
    return check_images(x, name, shape=tuple(model.encoder.inputs[0].shape[1:]),
                        unit_range=getattr(model, "reconstruction", "bernoulli") == "bernoulli")


def check_models_by_c(models_by_c):
    """Return ``{c: model}`` after checking each ``c`` is a number and each model a VAE."""
    check_mapping("models_by_c", models_by_c, "a dict {c: trained VAE}")
    for c, model in models_by_c.items():
        check_number("models_by_c key c", c)
        check_vae(model, f"models_by_c[{c!r}]")
    return models_by_c


def _numeric(name, values):
    try:
        array = np.asarray(values)
    except ValueError:  # nested lists of unequal lengths
        raise TypeError(f"{name} must be a numeric array, got nested lists of unequal lengths; "
                        "give every example the same number of values.") from None
    if array.dtype == object or np.issubdtype(array.dtype, np.complexfloating) or not (
            np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}; "
                        "convert it with np.asarray(..., dtype='float32').")
    return array


def check_images(x, name="x", shape=None, unit_range=True):
    """Return ``x`` (numpy array or backend tensor) as a float32 numpy array after
    checking it is usable as images.

    ``shape`` is the expected shape of one example (e.g. ``(784,)``). Raises
    ``TypeError`` for non-numeric data and ``ValueError`` for an empty array,
    a wrong shape, NaN or inf, or (with ``unit_range``) values outside [0, 1].
    """
    array = _numeric(name, x)
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


def check_image_batch(images, image_shape, name="images"):
    """Return ``images`` (one image or a batch) as float32 of shape ``(n, *image_shape)``."""
    array = _numeric(name, images)
    size = int(np.prod(image_shape))
    if array.size == size:  # one image, flat or not
        array = array.reshape(1, -1)
    array = check_images(array, name, unit_range=False)
    if int(np.prod(array.shape[1:])) != size:
        raise ValueError(f"{name} has images of {int(np.prod(array.shape[1:]))} pixels but "
                         f"image_shape {tuple(image_shape)} holds {size}; pass the image_shape "
                         "of these images.")
    return array.reshape(len(array), *image_shape)


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
    """Return ``z`` as float32 of shape ``(n, latent_dim)``, n >= 1, with finite values."""
    z = _numeric(name, z).astype("float32")
    if z.ndim != 2 or z.shape[1] != latent_dim or z.shape[0] == 0:
        raise ValueError(f"{name} has shape {z.shape}; expected (n, {latent_dim}) with n >= 1.")
    if not np.all(np.isfinite(z)):
        raise ValueError(f"{name} contains NaN or inf values; pass finite points.")
    return z


def check_encodings(z_mean, z_log_var):
    """Return an encoder's means and log-variances as float64 arrays of one shape ``(n, d)``,
    n >= 1, with finite values (one row per image)."""
    arrays = []
    for name, values in (("z_mean", z_mean), ("z_log_var", z_log_var)):
        array = _numeric(name, values).astype("float64")
        if array.ndim != 2 or 0 in array.shape:
            raise ValueError(f"{name} has shape {array.shape}; expected (n, latent_dim), one row "
                             "per image (the encoder's output for n >= 1 images).")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contains NaN or inf values; pass finite encodings.")
        arrays.append(array)
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(f"z_mean has shape {arrays[0].shape} but z_log_var {arrays[1].shape}; "
                         "pass both outputs of the same encoder call.")
    return arrays


def concrete(values):
    """``values`` as a numpy array, or None for a symbolic tensor (inside a compiled
    training step, where a check would cost every step)."""
    tensor_types = (keras.Variable, keras.KerasTensor)
    if not (keras.ops.is_tensor(values) or isinstance(values, tensor_types)):
        return np.asarray(values)
    if keras.backend.backend() == "tensorflow" and not isinstance(values, keras.KerasTensor):
        import tensorflow as tf

        if tf.executing_eagerly():
            if keras.backend.standardize_dtype(values.dtype) == "bfloat16":  # not a numpy dtype
                values = keras.ops.cast(values, "float32")
            return keras.ops.convert_to_numpy(values)
    return None


def check_values(name, values, unit_range=False, positive=False):
    """Return ``values`` (numbers, numpy or an eager tensor) unchanged after checking they
    are numeric, finite, not an empty batch, and in [0, 1] (``unit_range``) or > 0
    (``positive``). Symbolic tensors pass unchecked (see ``concrete``)."""
    array = concrete(values)
    if array is None:
        return values
    array = _numeric(name, array)
    if array.ndim and array.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {array.shape}); pass at least one "
                         "example.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or inf values; pass finite numbers.")
    if unit_range and (array.min() < 0 or array.max() > 1):
        raise ValueError(f"{name} has values in [{array.min():g}, {array.max():g}] but must lie "
                         "in [0, 1]: divide raw pixel bytes by 255, and pass probabilities (a "
                         "sigmoid output), not logits.")
    if positive and array.min() <= 0:
        raise ValueError(f"{name} must be positive, got a minimum of {array.min():g}.")
    return values


def check_same_shape(broadcast=False, **arrays):
    """Check the named arrays have one shape (or, with ``broadcast``, shapes that broadcast);
    scalars broadcast to any shape."""
    shapes = {name: tuple(a.shape) if hasattr(a, "shape") else np.shape(a)
              for name, a in arrays.items()}
    shapes = {name: shape for name, shape in shapes.items() if shape}
    if broadcast:
        try:
            np.broadcast_shapes(*shapes.values())
            return
        except ValueError:
            pass
    if len(set(shapes.values())) > 1:
        raise ValueError(f"shapes do not match: {shapes}; pass arrays of one shape "
                         "(one value per data or latent dimension).")
