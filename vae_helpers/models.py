"""The models: the sampling layer, encoders, decoders and the VAE.

``VAE`` is the model notebook 03 writes on the page (a plain ``keras.Model``
overriding ``call`` and ``compute_loss`` only); the notebook asserts that this
copy computes the same loss. Speed comes from what is passed to ``compile``
and ``fit`` (``vae_helpers.training``), not from the model.
"""

import math
import os

import keras
import numpy as np
from keras import layers, ops

from . import losses
from .validation import (check_beta, check_bool, check_choice, check_images, check_number,
                         check_path, check_seed, check_size, check_sizes)

PACKAGE = "vae_helpers"
# log-variances are clipped to [-LOG_VAR_LIMIT, LOG_VAR_LIMIT] so exp() cannot overflow
LOG_VAR_LIMIT = 30.0


@keras.saving.register_keras_serializable(package=PACKAGE)
class Sampling(layers.Layer):
    """The reparameterization trick: z = mean + exp(0.5 * log_var) * eps, eps ~ N(0, I)."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = check_seed(seed, allow_none=True)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ClipLogVariance(layers.Layer):
    """Clip log-variances to [-limit, limit] (no weights): keeps exp(log_var) finite."""

    def __init__(self, limit=LOG_VAR_LIMIT, **kwargs):
        super().__init__(**kwargs)
        self.limit = float(limit)

    def call(self, log_var):
        return ops.clip(log_var, -self.limit, self.limit)

    def get_config(self):
        return {**super().get_config(), "limit": self.limit}


def _encoder_head(inputs, features, latent_dim, name, seed):
    z_mean = layers.Dense(latent_dim, name="z_mean")(features)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(features)
    z_log_var = ClipLogVariance(name="z_log_var_clipped")(z_log_var)
    z = Sampling(seed=seed, name="z")([z_mean, z_log_var])
    return keras.Model(inputs, [z_mean, z_log_var, z], name=name)


def _hidden_names(units):
    """``(name, units)`` of the hidden layers: "hidden", or "hidden_0", "hidden_1", ..."""
    if len(units) == 1:
        return [("hidden", units[0])]
    return [(f"hidden_{i}", u) for i, u in enumerate(units)]


def dense_encoder(input_dim=784, hidden_units=512, latent_dim=2, seed=None):
    """MLP encoder: x -> (z_mean, z_log_var, z). ``hidden_units``: int or list of ints."""
    inputs = keras.Input(shape=(check_size("input_dim", input_dim),), name="x")
    latent_dim = check_size("latent_dim", latent_dim)
    h = inputs
    for name, units in _hidden_names(check_sizes("hidden_units", hidden_units)):
        h = layers.Dense(units, activation="relu", name=name)(h)
    return _encoder_head(inputs, h, latent_dim, "encoder", seed)


def dense_decoder(latent_dim=2, hidden_units=512, output_dim=784):
    """MLP decoder: z -> pixel probabilities (sigmoid), mirror of ``dense_encoder``."""
    inputs = keras.Input(shape=(check_size("latent_dim", latent_dim),), name="z")
    h = inputs
    for name, units in _hidden_names(check_sizes("hidden_units", hidden_units)[::-1]):
        h = layers.Dense(units, activation="relu", name=name)(h)
    outputs = layers.Dense(check_size("output_dim", output_dim), activation="sigmoid",
                           name="x_hat")(h)
    return keras.Model(inputs, outputs, name="decoder")


def _image_shape(input_shape, scale):
    try:
        height, width, channels = (check_size("input_shape", int(v)) for v in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be (height, width, channels) of integers >= 1, "
                         f"got {input_shape!r}.") from None
    if height % scale or width % scale:
        raise ValueError(f"input_shape {tuple(input_shape)} must have height and width "
                         f"divisible by {scale} (one halving per stride-2 layer).")
    return height, width, channels


def conv_encoder(input_shape=(28, 28, 1), latent_dim=2, filters=(32, 64), dense_units=16,
                 kernel_size=3, seed=None):
    """Conv encoder of the source tutorial: two stride-2 3x3 convs, Dense(16).

    With the defaults it has 69,076 parameters.
    """
    filters = check_sizes("filters", filters)
    inputs = keras.Input(shape=_image_shape(input_shape, 2 ** len(filters)), name="x")
    latent_dim = check_size("latent_dim", latent_dim)
    kernel_size = check_size("kernel_size", kernel_size)
    h = inputs
    for f in filters:
        h = layers.Conv2D(f, kernel_size, strides=2, padding="same", activation="relu")(h)
    h = layers.Flatten()(h)
    h = layers.Dense(check_size("dense_units", dense_units), activation="relu")(h)
    return _encoder_head(inputs, h, latent_dim, "encoder", seed)


def conv_decoder(latent_dim=2, output_shape=(28, 28, 1), filters=(64, 32), kernel_size=3):
    """Conv decoder of the source tutorial (65,089 parameters with the defaults)."""
    filters = check_sizes("filters", filters)
    scale = 2 ** len(filters)
    height, width, channels = _image_shape(output_shape, scale)
    start = (height // scale, width // scale, filters[0])
    kernel_size = check_size("kernel_size", kernel_size)
    inputs = keras.Input(shape=(check_size("latent_dim", latent_dim),), name="z")
    h = layers.Dense(int(np.prod(start)), activation="relu")(inputs)
    h = layers.Reshape(start)(h)
    for f in filters:
        h = layers.Conv2DTranspose(f, kernel_size, strides=2, padding="same",
                                   activation="relu")(h)
    outputs = layers.Conv2DTranspose(channels, kernel_size, padding="same",
                                     activation="sigmoid", name="x_hat")(h)
    return keras.Model(inputs, outputs, name="decoder")


@keras.saving.register_keras_serializable(package=PACKAGE)
class VAE(keras.Model):
    """A VAE trained on ``reconstruction + beta * kl`` (nats per example).

    ``beta`` is a non-trainable variable: ``model.beta.assign(v)`` (or a
    callback) changes it between steps without recompiling. ``fit`` and
    ``evaluate`` report ``loss``, ``reconstruction`` and ``kl`` (and their
    ``val_`` versions). Calling the model returns a dict with ``z_mean``,
    ``z_log_var``, ``z`` and ``x_hat``. ``free_bits`` > 0 trains with the free-bits KL
    (``losses.free_bits_kl``). ``learned_variance=True`` ("gaussian" only) gives the decoder
    a pixel variance learned by maximum likelihood (the sigma-VAE of Rybkin et al. 2021, in
    its "optimal sigma" form): on each batch it is set to the mean squared error per pixel
    (``losses.optimal_log_variance``), the reconstruction term is the Gaussian negative
    log-likelihood with it, and ``model.log_variance`` holds the latest value.
    """

    def __init__(self, encoder, decoder, beta=1.0, reconstruction="bernoulli", free_bits=0.0,
                 learned_variance=False, **kwargs):
        super().__init__(**kwargs)
        for name, part in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(part, keras.Model) or not part.inputs:
                raise TypeError(f"{name} must be a built keras.Model (e.g. "
                                f"models.dense_{name}()), got {type(part).__name__}.")
        if len(encoder.outputs) != 3:
            raise ValueError("encoder must return (z_mean, z_log_var, z); build it with "
                             "models.dense_encoder or models.conv_encoder.")
        enc_latent, dec_latent = encoder.outputs[0].shape[-1], decoder.inputs[0].shape[-1]
        if enc_latent != dec_latent:
            raise ValueError(f"encoder latent size {enc_latent} != decoder input size "
                             f"{dec_latent}; build both with the same latent_dim.")
        self.encoder, self.decoder = encoder, decoder
        self.reconstruction = check_choice("reconstruction", reconstruction,
                                           losses.RECONSTRUCTIONS)
        self.beta = self.add_weight(name="beta", shape=(), trainable=False,
                                    initializer=keras.initializers.Constant(check_beta(beta)))
        self.free_bits = check_number("free_bits", free_bits)
        self.learned_variance = check_bool("learned_variance", learned_variance)
        self.log_variance = None
        if self.learned_variance:
            if self.reconstruction != "gaussian":
                raise ValueError("learned_variance=True needs reconstruction='gaussian' (a "
                                 "Bernoulli decoder has no variance to learn).")
            self.log_variance = self.add_weight(
                name="log_variance", shape=(), trainable=False,
                initializer=keras.initializers.Constant(math.log(0.5)))
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        # Encoder and decoder are built functional models, so every weight exists
        # now: mark the model built so weights can be saved before any call.
        self.built = True

    def call(self, x, training=False):
        z_mean, z_log_var, z = self.encoder(x, training=training)
        return {"z_mean": z_mean, "z_log_var": z_log_var, "z": z,
                "x_hat": self.decoder(z, training=training)}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        log_variance = None
        if self.learned_variance:
            log_variance = losses.optimal_log_variance(x, y_pred["x_hat"])
            self.log_variance.assign(ops.cast(log_variance, self.log_variance.dtype))
        total, reconstruction, kl = losses.vae_loss(x, y_pred["x_hat"], y_pred["z_mean"],
                                                    y_pred["z_log_var"], self.beta,
                                                    self.reconstruction, self.free_bits,
                                                    log_variance)
        batch = ops.shape(x)[0]  # weighted by batch size, as Keras weights its loss
        self.reconstruction_tracker.update_state(reconstruction, sample_weight=batch)
        self.kl_tracker.update_state(kl, sample_weight=batch)
        return total

    def _images(self, x, name):
        """Images given as an array, a list or an eager tensor, checked (shape, range, NaN)
        and returned as a float32 array; datasets and generators pass through as they are."""
        if isinstance(x, (np.ndarray, list)) or ops.is_tensor(x):
            return check_images(x, name, shape=tuple(self.encoder.inputs[0].shape[1:]),
                                unit_range=self.reconstruction == "bernoulli")
        return x

    def fit(self, x=None, y=None, batch_size=None, epochs=1, **kwargs):
        """Keras' ``fit`` after checking what it would misread: the images and the
        validation images (see ``_images``), ``batch_size``, ``epochs`` and
        ``validation_split``."""
        x = self._images(x, "x")
        validation = kwargs.get("validation_data")
        if isinstance(validation, (tuple, list)) and validation:  # (x_val, y_val, ...), as Keras reads it
            kwargs["validation_data"] = (self._images(validation[0], "validation_data[0]"),
                                         *validation[1:])
        elif validation is not None:
            kwargs["validation_data"] = self._images(validation, "validation_data")
        if batch_size is not None:
            check_size("batch_size", batch_size)
        check_size("epochs", epochs)
        check_number("validation_split", kwargs.get("validation_split", 0.0), high=1.0,
                     high_inclusive=False)
        return super().fit(x, y, batch_size, epochs, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """Keras' ``evaluate`` after checking the images as ``fit`` does."""
        return super().evaluate(self._images(x, "x"), y, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        """Keras' ``predict`` after checking the images as ``fit`` does."""
        return super().predict(self._images(x, "x"), *args, **kwargs)

    def count_params(self):
        return self.encoder.count_params() + self.decoder.count_params()

    def get_config(self):
        return {**super().get_config(),
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "beta": float(ops.convert_to_numpy(self.beta)),
                "reconstruction": self.reconstruction, "free_bits": self.free_bits,
                "learned_variance": self.learned_variance}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("encoder", "decoder"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)


def dense_vae(latent_dim=2, hidden_units=512, input_dim=784, beta=1.0,
              reconstruction="bernoulli", seed=None, free_bits=0.0, learned_variance=False):
    """The classic 784-512-2 VAE (encoder and decoder mirror each other)."""
    return VAE(dense_encoder(input_dim, hidden_units, latent_dim, seed),
               dense_decoder(latent_dim, hidden_units, input_dim),
               beta=beta, reconstruction=reconstruction, free_bits=free_bits,
               learned_variance=learned_variance, name="dense_vae")


def conv_vae(latent_dim=2, input_shape=(28, 28, 1), beta=1.0, reconstruction="bernoulli",
             seed=None):
    """The source tutorial's convolutional VAE."""
    return VAE(conv_encoder(input_shape, latent_dim, seed=seed),
               conv_decoder(latent_dim, input_shape),
               beta=beta, reconstruction=reconstruction, name="conv_vae")


def load_vae(path):
    """Load a VAE saved with ``model.save("....keras")`` (Keras safe mode on)."""
    if not os.path.exists(check_path("path", path)):
        raise FileNotFoundError(f"no saved model at {path!r}; save one with model.save(path) "
                                "using a path ending in .keras.")
    try:
        return keras.models.load_model(path, safe_mode=True)
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"{path!r} is not a readable .keras model ({str(error)[:120]}); "
                         "save it again with model.save(path).") from None
