"""Encoders, decoders and the VAE model whose KL weight ``beta`` can change."""

import math
import os

import keras
import numpy as np
from keras import layers, ops

from . import losses, training
from .data import check_images

PACKAGE = "vae_helpers"
# log-variances are clipped to [-LOG_VAR_LIMIT, LOG_VAR_LIMIT] so exp() cannot overflow
LOG_VAR_LIMIT = 30.0


def check_number(name, value, low=0.0, low_inclusive=True):
    """Return ``value`` as a float after checking it is finite and >= ``low`` (> if not inclusive)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}.") from None
    ok = value >= low if low_inclusive else value > low
    if not math.isfinite(value) or not ok:
        sign = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be a finite number {sign} {low:g}, got {value!r}.")
    return value


def check_beta(beta):
    """Return ``beta`` as a float after checking it is finite and >= 0."""
    try:
        return check_number("beta", beta)
    except ValueError:
        raise ValueError(f"beta (the KL weight) must be a finite number >= 0, got {beta!r}; "
                         "use 0 for a plain autoencoder and 1 for the true ELBO.") from None


def check_size(name, value):
    """Return ``value`` as an int after checking it is an integer >= 1 (not a bool)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")
    return int(value)


def _units(name, value):
    values = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    return tuple(check_size(name, v) for v in values)


def predict_in_chunks(model, inputs, batch_size=4096):
    """Call ``model`` eagerly on chunks of ``inputs`` and return one numpy array.

    For the small arrays of plots and diagnostics this is faster than
    ``model.predict`` and never retraces a ``tf.function``.
    """
    parts = [model(inputs[i:i + batch_size], training=False)
             for i in range(0, len(inputs), batch_size)]
    if isinstance(parts[0], (list, tuple)):  # several outputs: one array each
        return tuple(np.concatenate([ops.convert_to_numpy(p[k]) for p in parts])
                     for k in range(len(parts[0])))
    return np.concatenate([ops.convert_to_numpy(p) for p in parts])


@keras.saving.register_keras_serializable(package=PACKAGE)
class Sampling(layers.Layer):
    """The reparameterization trick: z = mean + exp(0.5 * log_var) * eps, eps ~ N(0, I)."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
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


def _encoder_head(inputs, features, latent_dim, name):
    z_mean = layers.Dense(latent_dim, name="z_mean")(features)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(features)
    z_log_var = ClipLogVariance(name="z_log_var_clipped")(z_log_var)
    z = Sampling(name="z")([z_mean, z_log_var])
    return keras.Model(inputs, [z_mean, z_log_var, z], name=name)


def dense_encoder(input_dim=784, hidden_units=512, latent_dim=2):
    """MLP encoder: x -> (z_mean, z_log_var, z). ``hidden_units``: int or list of ints."""
    inputs = keras.Input(shape=(check_size("input_dim", input_dim),), name="x")
    latent_dim = check_size("latent_dim", latent_dim)
    h = inputs
    for units in _units("hidden_units", hidden_units):
        h = layers.Dense(units, activation="relu")(h)
    return _encoder_head(inputs, h, latent_dim, "encoder")


def dense_decoder(latent_dim=2, hidden_units=512, output_dim=784):
    """MLP decoder: z -> pixel probabilities (sigmoid), mirror of ``dense_encoder``."""
    inputs = keras.Input(shape=(check_size("latent_dim", latent_dim),), name="z")
    h = inputs
    for units in reversed(_units("hidden_units", hidden_units)):
        h = layers.Dense(units, activation="relu")(h)
    outputs = layers.Dense(check_size("output_dim", output_dim), activation="sigmoid",
                           name="x_hat")(h)
    return keras.Model(inputs, outputs, name="decoder")


def conv_encoder(input_shape=(28, 28, 1), latent_dim=2, filters=(32, 64), dense_units=16,
                 kernel_size=3):
    """Conv encoder of the source tutorial: two stride-2 3x3 convs, Dense(16).

    With the defaults it has 69,076 parameters.
    """
    inputs = keras.Input(shape=tuple(input_shape), name="x")
    latent_dim = check_size("latent_dim", latent_dim)
    h = inputs
    for f in _units("filters", filters):
        h = layers.Conv2D(f, kernel_size, strides=2, padding="same", activation="relu")(h)
    h = layers.Flatten()(h)
    h = layers.Dense(check_size("dense_units", dense_units), activation="relu")(h)
    return _encoder_head(inputs, h, latent_dim, "encoder")


def conv_decoder(latent_dim=2, output_shape=(28, 28, 1), filters=(64, 32), kernel_size=3):
    """Conv decoder of the source tutorial (65,089 parameters with the defaults)."""
    filters = _units("filters", filters)
    height, width, channels = output_shape
    scale = 2 ** len(filters)
    if height % scale or width % scale:
        raise ValueError(f"output_shape {output_shape} must be divisible by {scale} "
                         f"({len(filters)} stride-2 layers).")
    start = (height // scale, width // scale, filters[0])
    inputs = keras.Input(shape=(check_size("latent_dim", latent_dim),), name="z")
    h = layers.Dense(int(np.prod(start)), activation="relu")(inputs)
    h = layers.Reshape(start)(h)
    for f in filters:
        h = layers.Conv2DTranspose(f, kernel_size, strides=2, padding="same",
                                   activation="relu")(h)
    outputs = layers.Conv2DTranspose(channels, kernel_size, padding="same",
                                     activation="sigmoid", name="x_hat")(h)
    return keras.Model(inputs, outputs, name="decoder")


class NaNGuard(keras.callbacks.Callback):
    """Stop training with a clear error as soon as the loss is NaN or inf."""

    def __init__(self):
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True
            # with several steps per call, ``batch`` is only the last step of the call
            where = f", batch {batch + 1}" if self.model.steps_per_execution == 1 else ""
            raise FloatingPointError(
                f"the loss became {float(loss)} in epoch {self.epoch + 1}{where}; "
                "training stopped. Check the inputs for NaN/inf, lower the learning rate, or "
                "use a smaller beta.")


class FastFitMixin:
    """``compile``/``fit``/``evaluate`` for the project's models: input checks, fast
    defaults (``vae_helpers.training``) and a ``NaNGuard``. The model defines
    ``input_shape_per_example`` and ``reconstruction``."""

    def _check_inputs(self, x, name):
        if isinstance(x, (np.ndarray, list, tuple)):
            return check_images(x, name=name, shape=self.input_shape_per_example,
                                unit_range=self.reconstruction == "bernoulli")
        return x

    def compile(self, optimizer="adam", steps_per_execution=None, jit_compile=None, **kwargs):
        """``keras.Model.compile`` with fast defaults: 32 steps per call, and XLA
        for dense models on TensorFlow (see ``vae_helpers.training``)."""
        steps, jit = training.compile_defaults(self, steps_per_execution, jit_compile)
        super().compile(optimizer=optimizer, steps_per_execution=steps, jit_compile=jit, **kwargs)

    def compile_from_config(self, config):
        """Compile a loaded model with its saved settings."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        self.optimizer.build(self.trainable_variables)

    def _array_dataset(self, x, batch_size, shuffle):
        """``(data, batch_size, shuffle)`` for ``super().fit``: numpy arrays become a
        shuffled ``tf.data`` pipeline on TensorFlow, anything else passes through."""
        if isinstance(x, np.ndarray) and training.backend_is_tensorflow():
            return training.array_dataset(x, batch_size or 32, shuffle), None, False
        return x, batch_size, shuffle

    def fit(self, x=None, y=None, batch_size=None, validation_data=None, callbacks=None,
            shuffle=True, **kwargs):
        """``keras.Model.fit`` after checking ``x`` (and ``validation_data``) are valid
        images; numpy arrays are fed through a fast in-memory ``tf.data`` pipeline.
        A NaN or inf loss stops training with a ``FloatingPointError``."""
        x = self._check_inputs(x, "x")
        if isinstance(validation_data, tuple):
            validation_data = (self._check_inputs(validation_data[0], "validation_data[0]"),
                               *validation_data[1:])
        elif isinstance(validation_data, np.ndarray):
            validation_data = (self._check_inputs(validation_data, "validation_data"),)
        if y is None:
            if validation_data is not None and len(validation_data) == 1:
                val_batch = kwargs.pop("validation_batch_size", None) or batch_size
                validation_data = self._array_dataset(validation_data[0], val_batch, False)[0]
            x, batch_size, shuffle = self._array_dataset(x, batch_size, shuffle)
        callbacks = list(callbacks or [])
        if not any(isinstance(c, NaNGuard) for c in callbacks):
            callbacks.append(NaNGuard())
        every_step = any(getattr(c, "needs_every_step", False) for c in callbacks)
        saved_steps = self.steps_per_execution
        if every_step and saved_steps > 1:  # per-step callbacks must see each step
            self.steps_per_execution, self.train_function = 1, None
        try:
            return super().fit(x, y, batch_size=batch_size, validation_data=validation_data,
                               callbacks=callbacks, shuffle=shuffle, **kwargs)
        finally:
            if self.steps_per_execution != saved_steps:
                self.steps_per_execution, self.train_function = saved_steps, None

    def evaluate(self, x=None, y=None, **kwargs):
        """``keras.Model.evaluate`` after checking ``x``."""
        return super().evaluate(self._check_inputs(x, "x"), y, **kwargs)


@keras.saving.register_keras_serializable(package=PACKAGE)
class VAE(FastFitMixin, keras.Model):
    """A VAE trained on ``reconstruction + beta * kl`` (nats per example).

    ``beta`` is a non-trainable variable: ``model.set_beta(v)`` (or a
    callback) changes it between steps without recompiling. ``fit`` and
    ``evaluate`` report ``loss``, ``reconstruction`` and ``kl`` (and their
    ``val_`` versions). Calling the model returns a dict with ``z_mean``,
    ``z_log_var``, ``z`` and ``x_hat``.
    """

    def __init__(self, encoder, decoder, beta=1.0, reconstruction="bernoulli", **kwargs):
        super().__init__(**kwargs)
        if reconstruction not in losses.RECONSTRUCTIONS:
            raise ValueError(f"reconstruction must be one of {losses.RECONSTRUCTIONS}, "
                             f"got {reconstruction!r}.")
        enc_latent, dec_latent = encoder.outputs[0].shape[-1], decoder.inputs[0].shape[-1]
        if enc_latent != dec_latent:
            raise ValueError(f"encoder latent size {enc_latent} != decoder input size "
                             f"{dec_latent}; build both with the same latent_dim.")
        self.encoder, self.decoder = encoder, decoder
        self.reconstruction = reconstruction
        self.beta = self.add_weight(name="beta", shape=(), trainable=False,
                                    initializer=keras.initializers.Constant(check_beta(beta)))
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        # Encoder and decoder are built functional models, so every weight exists
        # now: mark the model built so weights can be saved before any call.
        self.built = True

    @property
    def input_shape_per_example(self):
        return tuple(self.encoder.inputs[0].shape[1:])

    def set_beta(self, beta):
        """Set the KL weight (a finite number >= 0)."""
        self.beta.assign(check_beta(beta))

    def call(self, x, training=False):
        z_mean, z_log_var, z = self.encoder(x, training=training)
        return {"z_mean": z_mean, "z_log_var": z_log_var, "z": z,
                "x_hat": self.decoder(z, training=training)}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        total, recon, kl = losses.vae_loss(x, y_pred["x_hat"], y_pred["z_mean"],
                                           y_pred["z_log_var"], self.beta, self.reconstruction)
        batch = ops.cast(ops.shape(x)[0], "float32")
        self.reconstruction_tracker.update_state(recon, sample_weight=batch)
        self.kl_tracker.update_state(kl, sample_weight=batch)
        return total

    def encode(self, x, batch_size=4096):
        """Return ``(z_mean, z_log_var)`` as numpy arrays for images ``x``."""
        z_mean, z_log_var, _ = predict_in_chunks(self.encoder, self._check_inputs(x, "x"),
                                                 batch_size)
        return z_mean, z_log_var

    def decode(self, z, batch_size=4096):
        """Return decoded images (pixel probabilities) for latent points ``z``."""
        z = np.asarray(z, dtype="float32")
        latent = self.decoder.inputs[0].shape[-1]
        if z.ndim != 2 or z.shape[1] != latent:
            raise ValueError(f"z has shape {z.shape}; expected (n, {latent}).")
        if not np.all(np.isfinite(z)):
            raise ValueError("z contains NaN or inf values; decode finite latent points.")
        return predict_in_chunks(self.decoder, z, batch_size)

    def count_params(self):
        return self.encoder.count_params() + self.decoder.count_params()

    def get_config(self):
        return {**super().get_config(),
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "decoder": keras.saving.serialize_keras_object(self.decoder),
                "beta": float(ops.convert_to_numpy(self.beta)),
                "reconstruction": self.reconstruction}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("encoder", "decoder"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)


def dense_vae(latent_dim=2, hidden_units=512, input_dim=784, beta=1.0,
              reconstruction="bernoulli"):
    """The classic 784-512-2 VAE (encoder and decoder mirror each other)."""
    return VAE(dense_encoder(input_dim, hidden_units, latent_dim),
               dense_decoder(latent_dim, hidden_units, input_dim),
               beta=beta, reconstruction=reconstruction, name="dense_vae")


def conv_vae(latent_dim=2, input_shape=(28, 28, 1), beta=1.0, reconstruction="bernoulli"):
    """The source tutorial's convolutional VAE."""
    return VAE(conv_encoder(input_shape, latent_dim), conv_decoder(latent_dim, input_shape),
               beta=beta, reconstruction=reconstruction, name="conv_vae")


def load_vae(path):
    """Load a VAE saved with ``model.save("....keras")`` (Keras safe mode on)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no saved model at {path!r}; save one with model.save(path) "
                                "using a path ending in .keras.")
    try:
        return keras.models.load_model(path, safe_mode=True)
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"{path!r} is not a readable .keras model ({str(error)[:120]}); "
                         "save it again with model.save(path).") from None
