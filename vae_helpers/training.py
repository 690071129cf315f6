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
import pathlib
import time
import typing

import keras
import numpy as np
from tqdm.auto import tqdm

from .config import set_seed
from .validation import (check_bool, check_choice, check_images, check_mapping, check_model,
                         check_number, check_path, check_seed, check_size)

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
    """The progress of one training: a bar over its epochs (tqdm: the latest loss
    terms and the time left), and printed lines: after the second epoch how long the
    rest will take (timed on it; the first also compiles), and with ``every`` set,
    the loss terms of the first, every ``every``-th and the last epoch and the total
    time. ``description`` names the model on the bar, so that a cell that
    trains several models shows which one is running."""

    def __init__(self, every=5, description="training"):
        super().__init__()
        self.every = None if every is None else check_size("every", every)
        self.description = str(description)
        self.bar, self.last = None, None
        self.start = self.epoch_start = 0.0

    def on_train_begin(self, logs=None):
        self.start, self.last, self.bar = time.perf_counter(), None, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()
        if self.bar is None:  # here, not in on_train_begin: a resumed fit starts at epoch > 0
            self.bar = tqdm(total=self.params.get("epochs"), initial=epoch, unit="epoch",
                            desc=self.description, leave=False)

    def _line(self, epoch, logs):
        def terms(prefix):
            return ", ".join(f"{name} {logs[prefix + key]:.2f}"
                             for key, name in (("loss", "loss"), ("reconstruction", "recon"),
                                               ("kl", "KL")) if prefix + key in logs)
        val = terms("val_")
        return (f"epoch {epoch + 1:>3}: {terms('')}" + (f" | validation: {val}" if val else "")
                + f" ({time.perf_counter() - self.epoch_start:.1f} s)")

    def on_epoch_end(self, epoch, logs=None):
        logs, total = dict(logs or {}), self.params.get("epochs") or 0
        seconds = time.perf_counter() - self.epoch_start
        self.bar.set_postfix({k: f"{logs[k]:.1f}" for k in ("loss", "reconstruction", "kl")
                              if k in logs}, refresh=False)
        self.bar.update(1)
        if self.bar.n - self.bar.initial == 2 and total - epoch > 1:
            print(f"{self.description}: an epoch takes {seconds:.1f} s (timed on the second; "
                  f"the first also compiled), so the other {total - epoch - 1} epochs will take "
                  f"about {duration(seconds * (total - epoch - 1))}.", flush=True)
        self.last = (epoch, logs)
        if self.every and (epoch == 0 or (epoch + 1) % self.every == 0 or epoch + 1 == total):
            print(self._line(epoch, logs), flush=True)
            self.last = None

    def on_train_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()
        if self.every:
            if self.last is not None:  # stopped early: show where
                print(self._line(*self.last), flush=True)
            print(f"{self.description} took {duration(time.perf_counter() - self.start)}",
                  flush=True)


def duration(seconds):
    """``seconds`` as a student reads a wait: "40 s", "3 min"."""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


class Training(typing.NamedTuple):
    """One training a notebook will run, for ``expected_time``: a fresh, uncompiled
    ``model`` of its kind, the images ``x`` it fits, its epochs and batch size, and
    ``xla`` as in ``compile_settings``."""
    model: keras.Model
    x: object
    epochs: int
    batch_size: int = 128
    xla: bool = True


def expected_time(trainings, budget_minutes=None, seed=None, calls=3):
    """Print how long ``trainings`` (``{label: Training}``) will take on this machine,
    before any of them starts, and return the seconds in all.

    Each model is compiled as ``compile_settings`` says, trained for one call of
    ``STEPS_PER_EXECUTION`` batches of its images (which also compiles), then timed
    over 1 and over ``1 + calls`` calls (the difference leaves out the set-up of each
    ``fit``, which an epoch of a long training does not pay), and thrown away. The estimate counts training steps only:
    validation, evaluation and figures add a little. Timing draws random numbers:
    with ``seed``, every generator is seeded with it afterwards (``set_seed``), so a
    notebook that seeded before gives the same numbers with or without the estimate.
    """
    check_mapping("trainings", trainings, "{'dense VAE': Training(model, x, epochs)}")
    calls = check_size("calls", calls)
    seed = None if seed is None else check_seed(seed)
    budget = None if budget_minutes is None else check_number(
        "budget_minutes", budget_minutes, low_inclusive=False)
    total, lines = 0.0, []
    for label, plan in trainings.items():
        if not isinstance(plan, Training):
            raise TypeError(f"trainings[{label!r}] must be a training.Training(model, x, epochs, "
                            f"batch_size, xla), got {type(plan).__name__}.")
        model, epochs = check_model("model", plan.model), check_size("epochs", plan.epochs)
        x = check_images(plan.x, "x")
        batch_size = check_size("batch_size", plan.batch_size)
        steps = STEPS_PER_EXECUTION
        # the notebooks' input pipeline, over one call's worth of the images
        sample = array_dataset(x[np.arange(steps * batch_size) % len(x)], batch_size,
                               shuffle=False, unit_range=False)
        model.compile(optimizer="adam", **compile_settings(model, plan.xla))
        model.fit(sample, epochs=1, verbose=0, shuffle=False)  # compiles
        timed = []
        for epochs_timed in (1, 1 + calls):  # the difference leaves out fit's own set-up
            start = time.perf_counter()
            model.fit(sample, epochs=epochs_timed, verbose=0, shuffle=False)
            timed.append(time.perf_counter() - start)
        extra = timed[1] - timed[0]
        # a tiny model's difference can drown in timing noise: then the whole (longer) fit
        step = (extra / calls if extra > 0 else timed[1] / (1 + calls)) / steps
        steps_per_epoch = math.ceil(len(x) / batch_size)
        seconds = step * epochs * steps_per_epoch
        total += seconds
        lines.append(f"  {label}: {epochs} epochs of {steps_per_epoch} steps ({len(x):,} images) "
                     f"at {1000 * step:.1f} ms a step: about {duration(seconds)}")
    keras.backend.clear_session(free_memory=True)  # the timed models' graphs (Binder has 2 GB)
    if seed is not None:
        set_seed(seed)
    verdict = ""
    if budget is not None:
        verdict = (f", within the class budget of {budget:g} min" if total <= 60 * budget else
                   f", over the class budget of {budget:g} min: lower N_TRAIN or the epochs "
                   "in the parameters cell")
    print("Expected training time on this machine, from steps timed just now:", *lines,
          f"in all about {duration(total)}{verdict}.", sep="\n", flush=True)
    return total


def class_budget(path):
    """The class budget as measured by ``benchmarks/class_budget.py``: print the machine
    and images it ran on and return one row per training notebook (its default settings
    measured whole: time and the kernel's peak memory; and the training time its own
    estimate gives with ``FULL = True``)."""
    import json

    import pandas as pd

    path = pathlib.Path(check_path("path", path))
    if not path.exists():
        raise FileNotFoundError(f"{str(path)!r} not found: it is written by "
                                "benchmarks/class_budget.py in the series' repository.")
    table = json.loads(path.read_text())
    print(f"measured on {table['cpu']['model']} ({table['cpu_count']} cores), "
          f"{table['device'].split(';')[0]}, with {table['images']}")
    return pd.DataFrame([{
        "notebook": row["notebook"],
        "training images (default)": row["training_images_default"],
        "whole notebook, default (min)": round(row["seconds"] / 60, 1),
        "peak memory, default (GB)": row["peak_gb"],
        "class budget (min)": row["budget_minutes"],
        "training images (FULL = True)": row["training_images_full"],
        "training, FULL = True (min, estimated)": round(row["expected_training_seconds_full"] / 60, 1),
    } for _, row in sorted(table["notebooks"].items())]).set_index("notebook")


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
