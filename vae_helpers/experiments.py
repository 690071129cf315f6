"""Resumable experiments: the KL-coefficient sweep and the annealing comparison.

Each finished run is written to its own folder under ``results_dir``
(``result.json`` and ``model.weights.h5``, each written to a temporary file
and renamed), so calling the experiment again skips finished runs. Runs
trained fused are also checkpointed after every epoch, so an interrupted
experiment loses at most the epoch in progress (sequentially: the run in
progress).
"""

import contextlib
import fcntl
import hashlib
import json
import math
import os
import pathlib
import shutil
import tempfile
import time
import warnings

import h5py
import keras
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from . import diagnostics, losses, models, training
from .config import set_seed
from .fused import FusedDenseVAE, RunSchedules
from .schedules import Constant, KLScheduler, free_bits_of, schedule_values
from .validation import (check_beta, check_bool, check_callable, check_choice, check_dataset,
                         check_images, check_labels, check_list, check_mapping, check_number,
                         check_path, check_seed, check_size, check_sizes)

DEFAULT_COEFFICIENTS = (0, 0.02, 0.1, 0.5, 1, 2, 10, 20)
RESULT_KEYS = ("name", "history", "test")
# what a results folder holds beside the runs' folders: no run may take one of these names
SETTINGS_FILE = "settings.json"
INITIAL_WEIGHTS, INITIAL_WEIGHTS_TMP = "initial.weights.h5", "initial.tmp.weights.h5"
CHECKPOINT_DIR = "fused_checkpoint"
LOCK_FILE = ".lock"
RESERVED_NAMES = frozenset({SETTINGS_FILE, SETTINGS_FILE + ".tmp", INITIAL_WEIGHTS,
                            INITIAL_WEIGHTS_TMP, CHECKPOINT_DIR, LOCK_FILE})
# the modules whose code produces a stored result
RESULT_CODE = ("config.py", "diagnostics.py", "experiments.py", "fused.py", "losses.py",
               "models.py", "prediction.py", "schedules.py", "training.py")


class FusedCheckpoint(keras.callbacks.Callback):
    """After each epoch, store a fused model's weights with its optimizer state, the
    state of its noise generator and its history in ``folder`` (state file last), so
    an interrupted fused training resumes from its last finished epoch as if it had
    not stopped (``_fit`` skips the shuffle orders of the finished epochs)."""

    def __init__(self, folder, names):
        super().__init__()
        self.folder, self.names = pathlib.Path(folder), list(names)
        self.history = {}

    def restore(self, model):
        """Load a stored state for the same runs into ``model``; return the epoch
        to start from (0 when there is none)."""
        try:
            state = json.loads((self.folder / "state.json").read_text())
            if state["names"] != self.names:
                return 0
            model.optimizer.build(model.trainable_variables)  # so its state is loaded too
            model.load_weights(self.folder / "fused.weights.h5")
            model.seed_generator.state.assign(np.asarray(state["noise_state"],
                                                         model.seed_generator.state.dtype))
        except (OSError, ValueError, KeyError):
            return 0
        self.history = state["history"]
        return int(state["epoch"])

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.model.save_weights(self.folder / "fused.tmp.weights.h5")
        os.replace(self.folder / "fused.tmp.weights.h5", self.folder / "fused.weights.h5")
        noise = keras.ops.convert_to_numpy(self.model.seed_generator.state).tolist()
        _write_json(self.folder / "state.json", {"names": self.names, "epoch": epoch + 1,
                                                 "noise_state": noise, "history": self.history})

    def remove(self):
        """Delete the stored state (all runs are stored as finished)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _writable_dir(results_dir):
    path = pathlib.Path(check_path("results_dir", results_dir))
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
    except OSError as error:
        raise ValueError(f"results_dir {str(path)!r} is not a writable folder ({error}); "
                         "pass a folder you can write to.") from None
    return path


def _write_json(path, payload):
    """Write JSON atomically: a temporary file in the same folder, then a rename."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    os.replace(tmp, path)


def _settings_file(results_dir, settings):
    """Record the experiment's settings; refuse a folder holding other settings, and
    clear one whose results another version of the training code made (with the
    settings that version knew of unchanged)."""
    path = results_dir / SETTINGS_FILE
    if path.exists():
        saved = _read_settings(results_dir)
        differ = sorted(k for k in set(saved) | set(settings) if saved.get(k) != settings.get(k))
        # a setting only one side has was added or dropped by the other code version
        chosen = [k for k in differ if k in saved and k in settings and k != "code"]
        if "code" in saved and "code" in differ and not chosen:
            warnings.warn(f"{str(results_dir)!r} holds results made by another version of "
                          "vae_helpers' training code; they are deleted and trained again.",
                          stacklevel=4)
            for entry in results_dir.iterdir():
                if entry.is_dir():
                    shutil.rmtree(entry)
                elif entry.name != LOCK_FILE:
                    entry.unlink()
        elif differ:
            raise ValueError(f"{str(results_dir)!r} holds results made with other settings "
                             f"(different: {', '.join(differ)}); use another results_dir or "
                             "delete that folder.")
        else:
            return
    _write_json(path, settings)


def _read_settings(results_dir):
    """The settings stored in ``results_dir``, refused with a clear error when the file is
    not a JSON object (cut short or edited by hand)."""
    path = results_dir / SETTINGS_FILE
    try:
        saved = json.loads(path.read_text())
    except ValueError:
        saved = None
    if not isinstance(saved, dict):
        raise ValueError(f"{str(path)!r} is not a readable settings file (cut short or edited?), "
                         "so the runs beside it cannot be matched to any settings; delete the "
                         f"folder {str(results_dir)!r} and run the experiment again.")
    return saved


def _code_fingerprint():
    """A hash of the package files that produce stored results (training, losses,
    diagnostics): results from other code are not reused."""
    digest = hashlib.blake2b(digest_size=8)
    for name in RESULT_CODE:
        digest.update((pathlib.Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


def _finished(run_dir):
    """The stored result of a finished run, or None (with a warning if it is corrupt)."""
    result_path, weights_path = run_dir / "result.json", run_dir / "model.weights.h5"
    if not result_path.exists():
        return None
    try:
        result = json.loads(result_path.read_text())
        if not all(k in result for k in RESULT_KEYS) or not h5py.is_hdf5(weights_path):
            raise ValueError("incomplete")
        return result
    except ValueError:
        warnings.warn(f"{result_path} is corrupt or incomplete; training that run again.",
                      stacklevel=3)
        return None


def _weights_load(model, run_dir):
    """True when the run's weights file opens and holds one array of each shape of
    ``model``'s weights (``model`` built from the run's settings): a file cut short,
    unreadable or holding other layers or shapes does not."""
    shapes = []

    def read(name, entry):
        if isinstance(entry, h5py.Dataset):
            shape = entry[()].shape   # reads every array: a damaged one raises
            if not name.startswith("optimizer/"):   # a compiled model also stores Adam's state
                shapes.append(shape)

    try:
        with h5py.File(run_dir / "model.weights.h5", "r") as weights:
            weights.visititems(read)
    except (OSError, ValueError, KeyError):
        return False
    return sorted(shapes) == sorted(tuple(w.shape) for w in model.weights)


def _check_same_schedule(results_dir, name, result, schedule, epochs):
    """Refuse a finished run whose stored betas are not the ones ``schedule`` asks for."""
    wanted = schedule_values(schedule, epochs)
    if (not np.allclose(result["history"]["beta"], wanted, rtol=1e-6, atol=1e-9)
            or result.get("free_bits", 0.0) != free_bits_of(schedule)):
        raise ValueError(f"run {name!r} in {str(results_dir)!r} was trained with another schedule "
                         f"(beta per epoch {result['history']['beta'][:4]}... against "
                         f"{wanted[:4].tolist()}..., free bits {result.get('free_bits', 0.0):g} "
                         f"against {free_bits_of(schedule):g}); use another results_dir or delete "
                         "that run's folder.")


def _build(settings, free_bits=0.0):
    """The run's dense VAE, built under the settings' precision."""
    if settings["architecture"] != "dense":
        raise ValueError(f"unknown architecture {settings['architecture']!r}.")
    with training.precision(settings.get("precision", "float32")):
        return models.dense_vae(latent_dim=settings["latent_dim"],
                                hidden_units=settings["hidden_units"],
                                reconstruction=settings["reconstruction"], free_bits=free_bits)


def _initial_weights(results_dir, settings):
    """Path of the shared initial weights, created once from the seed."""
    path = results_dir / INITIAL_WEIGHTS
    if not path.exists():
        set_seed(settings["seed"])
        model = _build(settings)
        tmp = results_dir / INITIAL_WEIGHTS_TMP
        model.save_weights(tmp)
        os.replace(tmp, path)
    return path


def _store_result(name, run_dir, model, history, test, schedule, data):
    """Write a trained run's weights and then its result file (test terms ``test``); a
    loss that became NaN or inf stopped the training before (``training.NaNGuard``)."""
    n_active, variances = diagnostics.active_units(model, data.x_test)
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / "model.tmp.weights.h5"
    model.save_weights(tmp)
    os.replace(tmp, run_dir / "model.weights.h5")
    result = {"name": name, "schedule": repr(schedule), "free_bits": free_bits_of(schedule),
              "history": {k: [float(v) for v in vs] for k, vs in history.items()},
              "test": {k: float(v) for k, v in test.items()},
              "active_units": n_active, "unit_variances": variances.tolist(),
              "kl_per_dimension": diagnostics.per_dimension_kl(model, data.x_test).tolist()}
    _write_json(run_dir / "result.json", result)
    return result


def _train_run(name, run_dir, settings, data, schedule, progress, xla):
    """Train one run from the shared initial weights and store its result."""
    set_seed(settings["seed"])  # same shuffling and noise for every run
    model = _build(settings, free_bits_of(schedule))
    model.load_weights(_initial_weights(run_dir.parent, settings))
    _compile(model, settings, xla)
    history = _fit(model, settings, data, [KLScheduler(schedule)],
                   progress and training.EpochLog(None, name))
    test = model.evaluate(_batches(data.x_test, settings, False), verbose=0, return_dict=True)
    return _store_result(name, run_dir, model, history.history, test, schedule, data)


def _batches(x, settings, shuffle):
    return training.array_dataset(x, settings["batch_size"], shuffle, seed=settings["seed"],
                                  unit_range=settings["reconstruction"] == "bernoulli")


def _compile(model, settings, xla):
    model.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"]),
                  **training.compile_settings(model, xla))


def _fit(model, settings, data, callbacks, progress, initial_epoch=0):
    """Train the compiled ``model`` on ``data`` with the fast input pipeline.

    With ``steps_per_epoch`` given, Keras starts one pass over the batches per
    epoch, and each pass draws the next shuffle order: skipping the passes of the
    finished epochs makes a resumed training see the orders an uninterrupted one sees.
    """
    callbacks = [*callbacks, training.NaNGuard(), *([progress] if progress else [])]
    n_validation = settings["n_validation"]   # from validation_split_of, in _settings
    x_fit, x_validation = data.x_train[:-n_validation], data.x_train[-n_validation:]
    batches = _batches(x_fit, settings, True)
    for _ in range(initial_epoch):
        iter(batches)
    return model.fit(batches, epochs=settings["epochs"], initial_epoch=initial_epoch,
                     steps_per_epoch=math.ceil(len(x_fit) / settings["batch_size"]),
                     validation_data=_batches(x_validation, settings, False),
                     callbacks=callbacks, verbose=0, shuffle=False)  # the pipeline shuffles


def validation_split_of(x_train, validation_split=0.1):
    """``(fitted, validation)``: the training images the experiments fit and the last
    ``validation_split`` of them, held out for the per-epoch validation curves (the test
    images are used once, after training)."""
    fraction = check_number("validation_split", validation_split, low_inclusive=False, high=0.5)
    n_validation = max(1, round(fraction * len(x_train)))
    if len(x_train) - n_validation < 1:
        raise ValueError(f"data.x_train has {len(x_train)} images: too few to hold out a "
                         "validation split and train on the rest; pass more training images.")
    return x_train[:-n_validation], x_train[-n_validation:]


def _train_fused(runs, results_dir, settings, data, progress, xla):
    """Train the runs (``name -> schedule``) as one ``FusedDenseVAE`` from the shared
    initial weights, resuming from its last finished epoch; store each run's result."""
    names = list(runs)
    set_seed(settings["seed"])
    initial = _build(settings)
    initial.load_weights(_initial_weights(results_dir, settings))
    model = FusedDenseVAE.from_vae(initial, [0.0] * len(names),  # in the run's precision
                                   free_bits=[free_bits_of(runs[n]) for n in names])
    _compile(model, settings, xla)
    checkpoint = FusedCheckpoint(results_dir / CHECKPOINT_DIR, names)
    start = checkpoint.restore(model)
    bar = progress and training.EpochLog(None, f"{len(names)} runs fused")
    _fit(model, settings, data, [RunSchedules(runs.values()), checkpoint], bar, start)
    test = model.evaluate(_batches(data.x_test, settings, False), verbose=0,
                          return_dict=True)  # every run at once, with the same noise
    results = {}
    for r, name in enumerate(names):
        results[name] = _store_result(
            name, results_dir / name, model.vae_of_run(r),
            model.history_of_run(checkpoint.history, r),
            {term: test[f"{term}_{r}"] for term in ("loss", "reconstruction", "kl")},
            runs[name], data)
    checkpoint.remove()
    return results


def _run_all(results_dir, settings, data, runs, progress, fused, xla):
    """Train (or load) each ``name -> schedule`` run; return their results in order.

    ``fused=True`` trains the unfinished runs together as one fused model."""
    results_dir = _writable_dir(results_dir)
    with _folder_lock(results_dir):
        return _run_all_locked(results_dir, settings, data, runs, progress, fused, xla)


@contextlib.contextmanager
def _folder_lock(results_dir):
    """Hold ``results_dir`` for this process; a second process gets a clear error."""
    with open(results_dir / LOCK_FILE, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"results_dir {str(results_dir)!r} is in use by another process "
                               "(another notebook or sweep training into it); wait for it to "
                               "finish or pass another results_dir.") from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run_all_locked(results_dir, settings, data, runs, progress, fused, xla):
    _settings_file(results_dir, settings)
    results = {name: _finished(results_dir / name) for name in runs}
    finished = [name for name, result in results.items() if result is not None]
    checker = _build(settings) if finished else None
    for name in finished:  # a result.json survives a weights file cut short: verify both
        if not _weights_load(checker, results_dir / name):
            warnings.warn(f"{str(results_dir / name / 'model.weights.h5')!r} is cut short or "
                          "corrupt (its result.json is intact); training that run again.",
                          stacklevel=4)
            results[name] = None
    for name, result in results.items():
        if result is not None:
            _check_same_schedule(results_dir, name, result, runs[name], settings["epochs"])
    pending = {name: runs[name] for name in runs if results[name] is None}
    if pending:  # free what earlier trainings left in this process (Binder has 2 GB)
        keras.backend.clear_session(free_memory=True)
    start = time.perf_counter()
    if fused and pending:
        results.update(_train_fused(pending, results_dir, settings, data, progress, xla))
    else:
        for name in tqdm(pending, desc="runs", disable=not progress, unit="run"):
            results[name] = _train_run(name, results_dir / name, settings, data, pending[name],
                                       progress, xla)
    if progress:
        print(f"{len(pending)} runs trained in {time.perf_counter() - start:.0f} s, "
              f"{len(runs) - len(pending)} finished runs loaded from {str(results_dir)!r}")
    return [results[name] for name in runs]


def _settings(data, epochs, batch_size, learning_rate, latent_dim, hidden_units, reconstruction,
              seed, precision, validation_split):
    """The settings a results folder is kept for, each checked before anything is written."""
    reconstruction = check_choice("reconstruction", reconstruction, losses.RECONSTRUCTIONS)
    check_dataset(data)
    input_dim = int(np.prod(np.shape(data.x_train)[1:]))
    n_validation = len(validation_split_of(data.x_train, validation_split)[1])
    for x_name, y_name in (("x_train", "y_train"), ("x_test", "y_test")):
        x = check_images(getattr(data, x_name), f"data.{x_name}", shape=(input_dim,),
                         unit_range=reconstruction == "bernoulli")
        if getattr(data, y_name) is not None:
            check_labels(getattr(data, y_name), len(x), f"data.{y_name}")
    return {"architecture": "dense", "input_dim": input_dim,
            "epochs": check_size("epochs", epochs),
            "batch_size": check_size("batch_size", batch_size),
            "learning_rate": check_number("learning_rate", learning_rate, low_inclusive=False),
            "latent_dim": check_size("latent_dim", latent_dim),
            "hidden_units": (check_size("hidden_units", hidden_units) if np.ndim(hidden_units) == 0
                             else list(check_sizes("hidden_units", hidden_units))),
            "reconstruction": reconstruction,
            "seed": check_seed(seed),
            "precision": check_choice("precision", precision, training.PRECISIONS),
            "data_source": data.source, "n_train": len(data.x_train),
            "n_validation": n_validation,
            "data_fingerprint": _fingerprint(data), "code": _code_fingerprint()}


def _fingerprint(data):
    """A hash of the images and labels: other data of the same size and source gets its own runs."""
    digest = hashlib.blake2b(digest_size=16)
    for array in (data.x_train, data.y_train, data.x_test, data.y_test):
        array = np.ascontiguousarray(np.asarray(array))
        digest.update(str((array.dtype, array.shape)).encode())
        digest.update(array.data)
    return digest.hexdigest()


def _run_name(c):
    return f"c={check_beta(c, 'coefficient c'):g}"


def kl_sweep(data, results_dir, coefficients=DEFAULT_COEFFICIENTS, epochs=40, batch_size=128,
             learning_rate=1e-3, latent_dim=2, hidden_units=512, seed=0, progress=True,
             fused=True, precision="float32", validation_split=0.1, xla=True):
    """Train the dense VAE once per KL coefficient c, every run from the SAME
    initial weights (and the same data order and noise), and return a table of
    test results, one row per c.

    Finished runs are stored under ``results_dir/c=<c>/`` and skipped when the
    sweep is called again with the same settings. ``fused=True`` trains the
    unfinished runs at once as one ``FusedDenseVAE`` (same mathematics per run,
    shared step overhead; it resumes from its last finished epoch);
    ``fused=False`` trains them one after another. ``precision="mixed_bfloat16"``
    computes the layers in bfloat16 (weights and loss stay float32); see the README
    for when it is faster. ``xla=False`` trains without XLA (``training.compile_settings``).
    The last ``validation_split`` of the training images are
    held out for the per-epoch validation curves; the test images are used once, at
    the end, for the table.
    """
    coefficients = check_list("coefficients", coefficients, "KL coefficient")
    runs = {_run_name(c): Constant(c) for c in coefficients}
    if len(runs) < len(coefficients):
        raise ValueError(f"coefficients {coefficients} has repeated values; list each c once.")
    settings = _settings(data, epochs, batch_size, learning_rate, latent_dim, hidden_units,
                         "bernoulli", seed, precision, validation_split)
    progress, fused = check_bool("progress", progress), check_bool("fused", fused)
    results = _run_all(results_dir, settings, data, runs, progress, fused, check_bool("xla", xla))
    return pd.DataFrame({
        "c": [float(c) for c in coefficients],
        "test_total": [r["test"]["loss"] for r in results],
        "test_reconstruction": [r["test"]["reconstruction"] for r in results],
        "test_kl": [r["test"]["kl"] for r in results],
        "active_units": [r["active_units"] for r in results],
    })


def annealing_comparison(data, schedules, results_dir, epochs=60, batch_size=128,
                         learning_rate=1e-3, latent_dim=16, hidden_units=512,
                         reconstruction="gaussian", seed=0, progress=True, fused=True,
                         precision="float32", validation_split=0.1, xla=True):
    """Train one dense VAE per KL schedule (``name -> schedule``, per epoch) from
    the same initial weights; return ``name -> stored result`` (history with the
    beta of each epoch, test terms, active units, per-dimension KL). ``fused``,
    ``precision``, ``validation_split`` and ``xla`` as in ``kl_sweep``."""
    check_mapping("schedules", schedules, "a dict {name: schedule}, e.g. {'constant': Constant()}")
    for name, schedule in schedules.items():
        if (not isinstance(name, str) or not name or os.sep in name or name.startswith(".")
                or name in RESERVED_NAMES):
            raise ValueError(f"schedule name {name!r} must be a plain folder name other than "
                             f"{sorted(RESERVED_NAMES)}, e.g. 'linear warm-up'.")
        check_callable(f"schedules[{name!r}]", schedule, "LinearWarmup()", n_args=1)
    settings = _settings(data, epochs, batch_size, learning_rate, latent_dim, hidden_units,
                         reconstruction, seed, precision, validation_split)
    progress, fused = check_bool("progress", progress), check_bool("fused", fused)
    results = _run_all(results_dir, settings, data, dict(schedules), progress, fused,
                       check_bool("xla", xla))
    return dict(zip(schedules, results))


def load_run_result(results_dir, name):
    """The stored result of a finished run (``history``, ``test``, active units, ...)."""
    run_dir = pathlib.Path(check_path("results_dir", results_dir)) / check_path("name", name)
    result = _finished(run_dir)
    if result is None:
        raise FileNotFoundError(f"no finished run {name!r} in {str(results_dir)!r}; run the "
                                "experiment first.")
    return result


def load_run_model(results_dir, name):
    """Rebuild the model of a finished run (e.g. ``"c=0.5"``) with its trained weights."""
    results_dir = pathlib.Path(check_path("results_dir", results_dir))
    weights = results_dir / check_path("name", name) / "model.weights.h5"
    settings_path = results_dir / SETTINGS_FILE
    if not weights.exists() or not settings_path.exists():
        raise FileNotFoundError(f"no finished run {name!r} in {str(results_dir)!r}; run the "
                                "experiment first.")
    model = _build(_read_settings(results_dir))
    try:
        model.load_weights(weights)
    except (OSError, ValueError) as error:
        raise ValueError(f"{weights} is corrupt ({str(error)[:80]}); delete the folder "
                         f"{str(weights.parent)!r} and run the experiment again to retrain it.") from None
    return model
