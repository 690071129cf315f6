"""Encoding and decoding with a trained VAE, for plots and diagnostics.

The functions take any model with ``encoder`` and ``decoder`` attributes
(``models.VAE`` or the one a notebook writes itself) and call them eagerly on
chunks: for the small arrays of plots this is faster than ``model.predict``
and never retraces a ``tf.function``.
"""

import numpy as np
from keras import ops

from .validation import check_latent_points, check_size, check_vae, check_vae_images


def predict_in_chunks(model, inputs, batch_size=4096):
    """Call ``model`` on chunks of ``inputs`` and return numpy (a tuple for several outputs)."""
    batch_size = check_size("batch_size", batch_size)
    parts = [model(inputs[i:i + batch_size], training=False)
             for i in range(0, len(inputs), batch_size)]
    if isinstance(parts[0], (list, tuple)):
        return tuple(np.concatenate([ops.convert_to_numpy(p[k]) for p in parts])
                     for k in range(len(parts[0])))
    return np.concatenate([ops.convert_to_numpy(p) for p in parts])


def latent_dim(model):
    """The size of the model's latent space."""
    return int(check_vae(model).decoder.inputs[0].shape[-1])


def encode(model, x, batch_size=4096):
    """``(z_mean, z_log_var)`` of the encoder for images ``x``, as numpy arrays."""
    x = check_vae_images(model, x)
    z_mean, z_log_var, _ = predict_in_chunks(model.encoder, x, batch_size)
    return z_mean, z_log_var


def decode(model, z, batch_size=4096):
    """Decoded images (pixel probabilities or means) for latent points ``z`` (n, latent_dim)."""
    z = check_latent_points(z, latent_dim(model))
    return predict_in_chunks(model.decoder, z, batch_size)
