"""What makes training fast, in Keras' own idiom: a ``tf.data`` pipeline to pass
to ``fit``, the compile settings, a NaN guard callback, the device in use.

Measured on a 2-core CPU (``benchmarks/``): feeding ``fit`` through
``array_dataset`` (batches gathered from the numpy array, autotuning off, so
no epoch waits for the autotune thread to stop), running 32 steps per call
(``steps_per_execution=32``) and compiling the dense model with XLA
(``jit_compile=True``) trains a dense epoch faster than ``fit`` on numpy
arrays with Keras' defaults. XLA made the conv model slower on a CPU, so
there Keras decides (``"auto"``: XLA on a GPU only).
"""

import contextlib
import math
import os
import time

import keras

from .validation import check_bool, check_choice, check_images, check_model, check_seed, check_size

# Keras dtype policies a model may be built under: "mixed_bfloat16" keeps the
# weights and the loss in float32 and computes layers in bfloat16.
PRECISIONS = ("float32", "mixed_bfloat16")

# Steps run per call of the compiled train function: per-batch Python work
# (callbacks, logs) then happens once every this many steps.
STEPS_PER_EXECUTION = 32


def backend_is_tensorflow():
    """True when Keras runs on TensorFlow (the default backend)."""
    return keras.backend.backend() == "tensorflow"


def array_dataset(x, batch_size=128, shuffle=True, unit_range=True, shape=None, seed=None):
    """Batches of the images ``x`` to pass to ``fit``/``evaluate``: a ``tf.data``
    pipeline on TensorFlow, the checked array itself on other backends.

    ``x`` is checked first (numeric, finite, in [0, 1] with ``unit_range``, and
    each example of ``shape`` if given).
    Indices are shuffled each epoch (the orders follow from ``seed``, or from the
    global seed set by ``set_seed`` when it is None) and each batch is gathered from ``x`` in
    the pipeline's background thread: no copy of the data is made (on 60,000
    images a copy takes 188 MB); the last batch may be smaller.
    """
    x = check_images(x, "x", shape=shape, unit_range=check_bool("unit_range", unit_range))
    batch_size, shuffle = check_size("batch_size", batch_size), check_bool("shuffle", shuffle)
    seed = check_seed(seed, allow_none=True)
    if not backend_is_tensorflow():
        return x
    import tensorflow as tf

    def gather(indices):
        batch = tf.numpy_function(lambda i: x[i], [indices], tf.float32, stateful=False)
        batch.set_shape((None, *x.shape[1:]))
        return batch

    indices = tf.data.Dataset.range(len(x))
    if shuffle:
        indices = indices.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    dataset = indices.batch(batch_size).map(gather).prefetch(2)
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def compile_settings(model, xla=True):
    """``steps_per_execution`` and ``jit_compile`` for ``model.compile``: 32 steps a
    call; XLA for dense models on TensorFlow, Keras' own choice ("auto") for conv
    models and other backends. ``xla=False`` turns XLA off: each model XLA compiles
    keeps about 150 MB in the process (measured on the 4-run fused model of notebook
    06), which adds up where one kernel trains many models."""
    has_conv = any(isinstance(layer, keras.layers.Conv2D | keras.layers.Conv2DTranspose)
                   for layer in check_model("model", model)._flatten_layers())
    if not check_bool("xla", xla):
        return {"steps_per_execution": STEPS_PER_EXECUTION, "jit_compile": False}
    jit = True if backend_is_tensorflow() and not has_conv else "auto"
    return {"steps_per_execution": STEPS_PER_EXECUTION, "jit_compile": jit}


@contextlib.contextmanager
def precision(policy="float32"):
    """Build the models created inside this ``with`` block under the Keras dtype
    policy ``policy`` (one of ``PRECISIONS``); the global policy is restored after."""
    policy = check_choice("precision", policy, PRECISIONS)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


class EpochLog(keras.callbacks.Callback):
    """Print a short line for the first epoch, every ``every``-th and the last:
    the loss terms (training, then validation) and the seconds per epoch."""

    def __init__(self, every=5):
        super().__init__()
        self.every = check_size("every", every)
        self.start = self.epoch_start = 0.0
        self.last = None

    def on_train_begin(self, logs=None):
        self.start, self.last = time.perf_counter(), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()

    def _line(self, epoch, logs):
        def terms(prefix):
            return ", ".join(f"{name} {logs[prefix + key]:.2f}"
                             for key, name in (("loss", "loss"), ("reconstruction", "recon"),
                                               ("kl", "KL")) if prefix + key in logs)
        val = terms("val_")
        return (f"epoch {epoch + 1:>3}: {terms('')}" + (f" | validation: {val}" if val else "")
                + f" ({time.perf_counter() - self.epoch_start:.1f} s)")

    def on_epoch_end(self, epoch, logs=None):
        self.last = (epoch, dict(logs or {}))
        total = self.params.get("epochs") or 0
        if epoch == 0 or (epoch + 1) % self.every == 0 or epoch + 1 == total:
            print(self._line(epoch, logs or {}), flush=True)
            self.last = None

    def on_train_end(self, logs=None):
        if self.last is not None:  # stopped early: show where
            print(self._line(*self.last), flush=True)
        print(f"training took {time.perf_counter() - self.start:.0f} s", flush=True)


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


def device_report():
    """One line naming the backend and the device training runs on."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name)
                 for g in gpus]
        version = tf.__version__
    elif backend == "jax":
        import jax

        names = [d.device_kind for d in jax.devices() if d.platform != "cpu"]
        version = jax.__version__
    elif backend == "torch":
        import torch

        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        version = torch.__version__
    else:
        names, version = [], "?"
    if names:
        return f"{backend} {version} on GPU: {', '.join(names)}"
    hint = " (a GPU needs the full tensorflow package, not tensorflow-cpu)" \
        if backend == "tensorflow" else ""
    return f"{backend} {version} on CPU ({os.cpu_count()} cores); no GPU visible{hint}"
