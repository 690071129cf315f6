"""The bad-input battery: every public entry point answers bad input with a clear
ValueError/TypeError/FileNotFoundError that names the problem, never a
TensorFlow internal error."""

import json
import math
import re

import keras
import matplotlib.figure
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vae_helpers import (data, diagnostics, exercises, experiments, losses, models, plotting, prediction,
                         schedules, set_seed, training, widgets)
from vae_helpers.diagnostics import monte_carlo_z
from vae_helpers.data import MNIST, load_mnist
from vae_helpers.fused import FusedDenseVAE
from vae_helpers.validation import check_beta, check_images, check_labels
from vae_helpers.toy_models import LinearGaussian

CLEAR_ERRORS = (ValueError, TypeError, FileNotFoundError)
ONES = np.ones((2, 784), "float32")
HALF = np.full((2, 784), 0.5, "float32")
Z = np.zeros((2, 2))  # latent means and log-variances of two images
NEAR_MISSES = ("# BEGIN SOLUTION", "## BEGIN SOLUTION", "### BEGIN SOLUTON", "### begin solution",
               "###BEGIN SOLUTION", "### BEGIN  SOLUTION", "### END SOLUTON", "# END SOLUTION")


def _vae(**kwargs):
    return models.dense_vae(hidden_units=8, **kwargs)


def _fit(x, steps=1, shape=(784,), **kwargs):
    """Train as the notebooks do: the checked input pipeline, then Keras' own fit."""
    model = _vae()
    model.compile(optimizer="adam", steps_per_execution=steps)
    return model.fit(training.array_dataset(x, 2, shape=shape), epochs=1, verbose=0,
                     shuffle=False, **kwargs)


def _stock_fit(x, model=None, **kwargs):
    """Keras' own ``fit`` on an array, as a student calls it."""
    model = model or _vae()
    model.compile(optimizer="adam")
    return model.fit(x, **{"epochs": 1, "verbose": 0, **kwargs})


def _tensor(values):
    return keras.ops.convert_to_tensor(np.asarray(values, "float32"))


def _notebook(line):
    """A notebook whose one solution cell opens with ``line``."""
    source = f"def f():\n    {line}\n    return 1\n    ### END SOLUTION\n"
    return {"cells": [{"cell_type": "code", "source": source, "metadata": {}}], "metadata": {}}


def _evaluate(x):
    model = _vae()
    model.compile(optimizer="adam")
    return model.evaluate(x, verbose=0)


def _npz(tmp_path, **arrays):
    """An MNIST-like .npz of two training and one test image, with ``arrays`` replaced."""
    path = tmp_path / "mnist.npz"
    np.savez(path, **{"x_train": np.zeros((2, 28, 28), "uint8"), "y_train": np.zeros(2, int),
                      "x_test": np.zeros((1, 28, 28), "uint8"), "y_test": np.zeros(1, int), **arrays})
    return str(path)


def _tiny_data(x_train=ONES, y=np.zeros(2, int)):
    return MNIST(x_train, y, ONES, y, "test")


def _corrupt(tmp_path, name, content=b"garbage"):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def _sweep(tmp_path, **kwargs):
    args = dict(coefficients=[1], epochs=1, hidden_units=8, progress=False)
    args.update(kwargs)
    return experiments.kl_sweep(args.pop("data", _tiny_data()), tmp_path / "sweep", **args)


def _anneal(tmp_path, runs=None, **kwargs):
    args = dict(epochs=1, hidden_units=8, latent_dim=2, progress=False)
    args.update(kwargs)
    return experiments.annealing_comparison(args.pop("data", _tiny_data()),
                                            {"constant": schedules.Constant()} if runs is None else runs,
                                            tmp_path / "annealing", **args)


# (id, call taking tmp_path, expected error, words the message must contain)
BATTERY = [
    # images: shape, range, values, dtype, emptiness
    ("images 3-D for a dense model", lambda p: _fit(np.zeros((4, 28, 28))), ValueError, "reshape"),
    ("images of 10 pixels", lambda p: _fit(np.zeros((4, 10))), ValueError, "expects"),
    ("raw bytes 0-255", lambda p: _fit(np.full((4, 784), 255.0)), ValueError, "255"),
    ("negative pixels", lambda p: _fit(np.full((4, 784), -0.5)), ValueError, "[0, 1]"),
    ("NaN pixels", lambda p: _fit(np.full((4, 784), np.nan)), ValueError, "NaN"),
    ("inf pixels", lambda p: _fit(np.full((4, 784), np.inf)), ValueError, "inf"),
    ("empty image array", lambda p: _fit(np.zeros((0, 784))), ValueError, "empty"),
    ("string images", lambda p: _fit(np.array([["a"] * 784])), TypeError, "numeric"),
    ("complex images", lambda p: _fit(np.zeros((2, 784), complex)), TypeError, "numeric"),
    ("object images", lambda p: _fit(np.array([[None] * 784])), TypeError, "numeric"),
    ("scalar images", lambda p: check_images(3.0), ValueError, "empty"),
    ("bad validation images", lambda p: _fit(ONES, validation_data=training.array_dataset(
        np.full((2, 784), 2.0))), ValueError, "[0, 1]"),
    ("zero batch size", lambda p: training.array_dataset(ONES, 0), ValueError, "batch_size"),
    ("wrong shape in stock fit", lambda p: _fit(np.zeros((4, 28, 28)), shape=None), ValueError,
     "incompatible"),
    ("encode wrong shape", lambda p: prediction.encode(_vae(), np.zeros((2, 5))), ValueError, "expects"),
    ("decode wrong latent size", lambda p: prediction.decode(_vae(), np.zeros((2, 3))), ValueError, "(n, 2)"),
    ("decode NaN latent", lambda p: prediction.decode(_vae(), np.full((2, 2), np.nan)), ValueError, "NaN"),
    # labels
    ("too many labels", lambda p: check_labels([1, 2, 3], 2), ValueError, "one integer label"),
    ("2-D labels", lambda p: check_labels(np.zeros((2, 2), int), 2), ValueError, "one integer label"),
    ("float labels", lambda p: check_labels([0.5, 1.5], 2), TypeError, "integer"),
    ("scatter labels mismatch", lambda p: plotting.plot_latent_scatter(np.zeros((5, 2)), [1, 2]), ValueError,
     "one integer label per"),
    # model construction
    ("negative beta", lambda p: _vae(beta=-1), ValueError, "beta"),
    ("NaN beta", lambda p: _vae(beta=float("nan")), ValueError, "beta"),
    ("inf beta", lambda p: _vae(beta=float("inf")), ValueError, "beta"),
    ("string beta", lambda p: _vae(beta="big"), TypeError, "beta"),
    ("None beta", lambda p: _vae(beta=None), TypeError, "beta"),
    ("schedule giving a negative beta", lambda p: _fit(ONES, callbacks=[
        schedules.KLScheduler(lambda t: -0.1)]), ValueError, "schedule(0)"),
    ("per-step schedule, 32 steps per call", lambda p: _fit(ONES, steps=32, callbacks=[
        schedules.KLScheduler(lambda t: 1.0, per="step")]), ValueError, "steps_per_execution=1"),
    ("latent size 0", lambda p: models.dense_encoder(latent_dim=0), ValueError, "latent_dim"),
    ("latent size -2", lambda p: models.dense_decoder(latent_dim=-2), ValueError, "latent_dim"),
    ("latent size 1.5", lambda p: models.conv_decoder(latent_dim=1.5), ValueError, "latent_dim"),
    ("latent size True", lambda p: models.conv_encoder(latent_dim=True), ValueError, "latent_dim"),
    ("hidden layer of 0 units", lambda p: models.dense_encoder(hidden_units=[64, 0]), ValueError,
     "hidden_units"),
    ("conv output not divisible", lambda p: models.conv_decoder(output_shape=(30, 30, 1)), ValueError,
     "divisible"),
    ("unknown reconstruction", lambda p: _vae(reconstruction="mse"), ValueError, "reconstruction"),
    ("encoder/decoder mismatch", lambda p: models.VAE(models.dense_encoder(latent_dim=2),
                                                      models.dense_decoder(latent_dim=3)), ValueError,
     "latent_dim"),
    # files
    ("missing saved model", lambda p: models.load_vae(str(p / "missing.keras")), FileNotFoundError, "no saved"),
    ("corrupt saved model", lambda p: models.load_vae(_corrupt(p, "bad.keras")), ValueError, "not a readable"),
    ("missing MNIST file", lambda p: load_mnist(path=str(p / "nope.npz")), FileNotFoundError, "does not exist"),
    ("corrupt MNIST file", lambda p: load_mnist(path=_corrupt(p, "bad.npz")), ValueError, "not a readable"),
    ("MNIST file without labels", lambda p: (np.savez(p / "part.npz", x_train=np.zeros((2, 28, 28))),
                                             load_mnist(path=str(p / "part.npz"))), ValueError,
     "lacks the arrays ['y_train', 'x_test', 'y_test']; it needs ('x_train', 'y_train', 'x_test', 'y_test') "
     "as in Keras' mnist.npz."),
    ("npz without a path", lambda p: load_mnist(source="npz"), ValueError, "path"),
    ("unknown data source", lambda p: load_mnist(source="internet"), ValueError, "source"),
    ("unknown layout", lambda p: load_mnist(layout="square"), ValueError, "layout"),
    ("binarize a string", lambda p: load_mnist(binarize="yes"), TypeError, "binarize must be"),
    ("MNIST path a number", lambda p: load_mnist(path=5), TypeError, "path must be"),
    ("n_train 0", lambda p: load_mnist(n_train=0), ValueError, "n_train"),
    ("n_test 2.5", lambda p: load_mnist(n_test=2.5), ValueError, "n_test"),
    # losses
    ("KL shape mismatch", lambda p: losses.kl_standard_normal(np.zeros((2, 3)), np.zeros((2, 2))), ValueError,
     "shapes"),
    ("KL with NaN mean", lambda p: losses.kl_standard_normal(np.array([[np.nan]]), np.zeros((1, 1))), ValueError,
     "mean"),
    ("general KL shape mismatch", lambda p: losses.kl_gaussian(np.zeros(2), np.zeros(2), np.zeros(3), np.zeros(2)),
     ValueError, "shapes"),
    *[(f"general KL inf {name}", lambda p, i=i: losses.kl_gaussian(
        *[np.full(2, np.inf) if j == i else np.zeros(2) for j in range(4)]), ValueError, name)
      for i, name in enumerate(("mean_q", "log_var_q", "mean_p", "log_var_p"))],
    *[(f"Monte Carlo KL inf {name}", lambda p, i=i: losses.kl_monte_carlo(
        *[np.full(2, np.inf) if j == i else np.zeros(2) for j in range(4)]), ValueError, name)
      for i, name in enumerate(("mean_q", "log_var_q", "mean_p", "log_var_p"))],
    *[(f"general KL {name} of another shape", lambda p, i=i: losses.kl_gaussian(
        *[np.zeros(3) if j == i else np.zeros(2) for j in range(4)]), ValueError, f"'{name}': (3,)")
      for i, name in enumerate(("mean_q", "log_var_q", "mean_p", "log_var_p"))],
    ("Monte Carlo log_var_q of another shape", lambda p: losses.kl_monte_carlo(np.zeros(2), np.zeros(3)),
     ValueError, "'log_var_q': (3,)"),
    ("BCE shape mismatch", lambda p: losses.bernoulli_nll(np.zeros((2, 4)), np.zeros((2, 5))), ValueError,
     "shapes"),
    ("BCE NaN probabilities", lambda p: losses.bernoulli_nll(np.zeros((1, 2)), np.full((1, 2), np.nan)),
     ValueError, "probs"),
    ("Gaussian NLL negative variance", lambda p: losses.gaussian_nll(np.zeros((1, 2)), np.zeros((1, 2)), -1.0),
     ValueError, "variance"),
    ("Gaussian NLL zero variance", lambda p: losses.gaussian_nll(np.zeros((1, 2)), np.zeros((1, 2)), 0.0),
     ValueError, "variance"),
    ("squared error batch mismatch", lambda p: losses.squared_error(np.zeros((2, 4)), np.zeros((3, 4))),
     ValueError, "shapes"),
    ("unknown reduction", lambda p: losses.bernoulli_nll(np.zeros((1, 2)), np.zeros((1, 2)), "avg"), ValueError,
     "reduction"),
    ("unknown reconstruction loss", lambda p: losses.reconstruction_loss(ONES, ONES, "poisson"), ValueError,
     "reconstruction"),
    ("Monte Carlo with 1 sample", lambda p: losses.kl_monte_carlo(0.0, 0.0, n_samples=1), ValueError,
     "n_samples"),
    ("Monte Carlo with NaN mean", lambda p: losses.kl_monte_carlo(np.nan, 0.0), ValueError, "mean_q"),
    ("zero standard error", lambda p: monte_carlo_z("x", 1.0, 0.0, 1.0), ValueError, "standard_error"),
    ("toy model shape mismatch", lambda p: LinearGaussian([1.0, 2.0], [0.0], 1.0), ValueError, "shapes do not match"),
    ("toy model negative noise", lambda p: LinearGaussian([1.0], [0.0], -1.0), ValueError, "noise_var"),
    # schedules
    ("constant negative", lambda p: schedules.Constant(-1), ValueError, "beta"),
    ("warm-up negative start", lambda p: schedules.LinearWarmup(start=-1), ValueError, "start"),
    ("warm-up zero duration", lambda p: schedules.LinearWarmup(duration=0), ValueError, "duration"),
    ("warm-up NaN beta_max", lambda p: schedules.LinearWarmup(beta_max=float("nan")), ValueError, "beta"),
    ("cyclical zero total", lambda p: schedules.Cyclical(total=0), ValueError, "total"),
    ("digit grid of zero-inch images", lambda p: plotting.plot_digit_grid(np.zeros((2, 784)), size=0), ValueError,
     "size must be a finite number > 0"),
    ("sigmoid of zero steepness", lambda p: schedules.Sigmoid(steepness=0), ValueError, "steepness must be"),
    ("cyclical zero cycles", lambda p: schedules.Cyclical(total=10, n_cycles=0), ValueError, "n_cycles"),
    ("cyclical ratio 1.5", lambda p: schedules.Cyclical(total=10, ratio=1.5), ValueError, "ratio"),
    ("cyclical ratio 0", lambda p: schedules.Cyclical(total=10, ratio=0), ValueError, "ratio"),
    ("cyclical unknown shape", lambda p: schedules.Cyclical(total=10, shape="square"), ValueError, "shape"),
    ("sigmoid negative steepness", lambda p: schedules.Sigmoid(steepness=-1), ValueError, "steepness"),
    ("sigmoid string midpoint", lambda p: schedules.Sigmoid(midpoint="soon"), TypeError, "midpoint"),
    ("scheduler with a number", lambda p: schedules.KLScheduler(0.5), TypeError, "schedule"),
    ("scheduler with a number names a schedule", lambda p: schedules.KLScheduler(0.5), TypeError,
     "LinearWarmup()"),
    ("schedule values of a two-argument function", lambda p: schedules.schedule_values(lambda t, s: 0, 3),
     TypeError, "schedule must take 1 argument"),
    ("KL log_var NaN", lambda p: losses.kl_standard_normal(np.zeros((1, 1)), np.array([[np.nan]])),
     ValueError, "log_var"),
    ("scheduler per batch", lambda p: schedules.KLScheduler(schedules.Constant(), per="batch"), ValueError, "per"),
    # experiments
    ("sweep without coefficients", lambda p: _sweep(p, coefficients=[]), ValueError, "coefficients"),
    ("sweep with repeated c", lambda p: _sweep(p, coefficients=[1, 1.0]), ValueError, "repeated"),
    ("sweep with negative c", lambda p: _sweep(p, coefficients=[-1]), ValueError, "coefficient c"),
    ("sweep with 0 epochs", lambda p: _sweep(p, epochs=0), ValueError, "epochs"),
    ("sweep with batch size 0", lambda p: _sweep(p, batch_size=0), ValueError, "batch_size"),
    ("sweep on raw bytes", lambda p: _sweep(p, data=_tiny_data(ONES * 255)), ValueError, "255"),
    ("sweep into a file", lambda p: experiments.kl_sweep(_tiny_data(), _corrupt(p, "f") + "/sweep"), ValueError,
     "writable"),
    ("annealing without schedules", lambda p: experiments.annealing_comparison(_tiny_data(), {}, p), ValueError,
     "schedules"),
    ("annealing with a path as name", lambda p: experiments.annealing_comparison(
        _tiny_data(), {"../x": schedules.Constant()}, p), ValueError, "folder name"),
    ("load a run that never ran", lambda p: experiments.load_run_model(p, "c=7"), FileNotFoundError,
     "no finished run"),
    # diagnostics and plots
    ("importance sampling k=0", lambda p: diagnostics.importance_sampled_log_likelihood(_vae(), ONES, k=0),
     ValueError, "k must"),
    ("manifold of 0 tiles", lambda p: plotting.decode_grid(_vae().decoder, n=0), ValueError, "n must"),
    ("manifold extent -1", lambda p: plotting.decode_grid(_vae().decoder, extent=-1.0), ValueError, "extent"),
    ("scatter of 3-D latents", lambda p: plotting.plot_latent_scatter(np.zeros((5, 3)), np.zeros(5)), ValueError,
     "(n, 2)"),
    ("history without kl", lambda p: plotting.plot_history({"loss": [1.0]}), ValueError, "history has no"),
    # --- silent garbage: losses, tensors, empty batches, counts (issue 11) ---------------------
    ("BCE of logits", lambda p: losses.bernoulli_nll(HALF, HALF * 8), ValueError, "probs"),
    ("BCE of 0-255 pixels", lambda p: losses.bernoulli_nll(ONES * 255, HALF), ValueError, "255"),
    ("reconstruction loss of logits", lambda p: losses.reconstruction_loss(HALF, HALF - 3), ValueError,
     "logits"),
    ("vae_loss of 0-255 pixels", lambda p: losses.vae_loss(ONES * 255, HALF, Z, Z), ValueError, "255"),
    ("vae_loss of logits", lambda p: losses.vae_loss(HALF, HALF - 3, Z, Z), ValueError, "probs"),
    ("vae_loss negative beta", lambda p: losses.vae_loss(HALF, HALF, Z, Z, -1.0), ValueError, "beta"),
    ("vae_loss beta True", lambda p: losses.vae_loss(HALF, HALF, Z, Z, True), TypeError, "beta"),
    ("KL NaN in a tensor", lambda p: losses.kl_standard_normal(_tensor([[np.nan]]), _tensor([[0.0]])),
     ValueError, "mean"),
    ("BCE NaN in a tensor", lambda p: losses.bernoulli_nll(_tensor(HALF), _tensor(HALF * np.nan)), ValueError,
     "probs"),
    ("BCE tensor of 0-255 pixels", lambda p: losses.bernoulli_nll(_tensor(ONES * 255), _tensor(HALF)),
     ValueError, "255"),
    ("squared error NaN tensor", lambda p: losses.squared_error(_tensor([[np.nan]]), _tensor([[0.0]])),
     ValueError, "NaN"),
    ("Gaussian NLL NaN variance tensor", lambda p: losses.gaussian_nll(Z, Z, _tensor(np.nan)), ValueError,
     "variance"),
    ("KL of an empty batch", lambda p: losses.kl_standard_normal(np.zeros((0, 2)), np.zeros((0, 2))),
     ValueError, "empty"),
    ("BCE of an empty batch", lambda p: losses.bernoulli_nll(np.zeros((0, 784)), np.zeros((0, 784))),
     ValueError, "empty"),
    ("vae_loss of an empty batch", lambda p: losses.vae_loss(np.zeros((0, 784)), np.zeros((0, 784)),
                                                             np.zeros((0, 2)), np.zeros((0, 2))), ValueError,
     "empty"),
    ("Monte Carlo z of a NaN estimate", lambda p: monte_carlo_z("x", np.nan, 0.1, 1.0), ValueError, "estimate"),
    ("Monte Carlo z of an inf exact value", lambda p: monte_carlo_z("x", 1.0, 0.1, np.inf), ValueError, "exact"),
    ("toy model NaN weights", lambda p: LinearGaussian([np.nan], [0.0], 1.0), ValueError, "w contains"),
    ("toy model NaN noise", lambda p: LinearGaussian([1.0], [0.0], np.nan), ValueError, "noise_var"),
    ("Monte Carlo NaN prior mean", lambda p: losses.kl_monte_carlo(0.0, 0.0, np.nan), ValueError, "mean_p"),
    ("Monte Carlo n_samples True", lambda p: losses.kl_monte_carlo(0.0, 0.0, n_samples=True), ValueError,
     "n_samples"),
    ("fit batch_size 0", lambda p: _stock_fit(HALF, batch_size=0), ValueError, "batch_size"),
    ("fit batch_size True", lambda p: _stock_fit(HALF, batch_size=True), ValueError, "batch_size"),
    ("fit on a tensor of 0-255 pixels", lambda p: _stock_fit(_tensor(ONES * 255)), ValueError, "255"),
    ("fit on numpy 0-255 pixels", lambda p: _stock_fit(ONES * 255), ValueError, "255"),
    ("pipeline of a 0-255 tensor", lambda p: training.array_dataset(_tensor(ONES * 255), 2), ValueError, "255"),
    ("sweep negative learning rate", lambda p: _sweep(p, learning_rate=-1e-3), ValueError, "learning_rate"),
    ("sweep zero learning rate", lambda p: _sweep(p, learning_rate=0), ValueError, "learning_rate"),
    ("annealing negative learning rate", lambda p: _anneal(p, learning_rate=-0.1), ValueError,
     "learning_rate"),
    ("sweep epochs True", lambda p: _sweep(p, epochs=True), ValueError, "epochs"),
    ("manifold n True", lambda p: plotting.decode_grid(_vae().decoder, n=True), ValueError, "n must"),
    ("importance sampling k True", lambda p: diagnostics.importance_sampled_log_likelihood(_vae(), HALF, k=True),
     ValueError, "k must"),
    ("digit grid columns True", lambda p: plotting.plot_digit_grid(HALF, columns=True), ValueError, "columns"),
    ("KL explorer negative std", lambda p: widgets.kl_explorer(std=-1.0), ValueError, "std"),
    ("Gaussian vs prior std 0", lambda p: plotting.plot_gaussian_vs_prior(0.0, 0.0), ValueError, "std"),
    ("schedule values n=-1", lambda p: schedules.Constant().values(-1), ValueError, "n must"),
    ("schedule plot of 0 steps", lambda p: plotting.plot_schedules({"a": schedules.Constant()}, 0), ValueError,
     "n must"),
    ("schedule plot of a NaN schedule", lambda p: plotting.plot_schedules({"a": lambda t: math.nan}, 3),
     ValueError, "schedule(0)"),
    ("active units NaN threshold", lambda p: diagnostics.active_units(_vae(), HALF, threshold=math.nan),
     ValueError, "threshold"),
    ("fused NaN beta", lambda p: FusedDenseVAE([math.nan], hidden_units=8), ValueError, "beta"),
    # --- stored state ---------------------------------------------------------------------------
    ("load the result of a run that never ran", lambda p: experiments.load_run_result(p, "c=7"),
     FileNotFoundError, "no finished run 'c=7' in"),
    ("load the result of a run that never ran: the fix", lambda p: experiments.load_run_result(p, "c=7"),
     FileNotFoundError, "run the experiment first."),
    ("load a run result from no folder", lambda p: experiments.load_run_result(None, "c=7"), TypeError,
     "results_dir must be a path"),
    ("reconstructions of NaN originals", lambda p: plotting.plot_reconstructions(np.full((2, 784), np.nan),
                                                                              np.zeros((2, 784))),
     ValueError, "originals contains NaN"),
    ("pruning figure with a NaN threshold", lambda p: plotting.plot_pruning({1.0: [1.0]}, {1.0: [1.0]},
                                                                              {"a": {1.0: 1}}, math.nan),
     ValueError, "threshold must be"),
    ("KL decomposition in chunks of 0", lambda p: diagnostics.kl_decomposition(np.zeros((2, 2)), np.zeros((2, 2)),
                                                                               max_elements=0),
     ValueError, "max_elements must be"),
    ("digit classifier of NaN images", lambda p: diagnostics.digit_classifier(np.full((2, 784), np.nan), [0, 1]),
     ValueError, "x_train contains NaN"),
    # --- library errors: wrong types and shapes --------------------------------------------------
    ("sweep coefficients a number", lambda p: _sweep(p, coefficients=0.5), TypeError, "coefficients"),
    ("sweep coefficients a string", lambda p: _sweep(p, coefficients="1"), TypeError, "coefficients"),
    ("sweep data an array", lambda p: _sweep(p, data=ONES), TypeError, "data must"),
    ("sweep data None", lambda p: _sweep(p, data=None), TypeError, "data must"),
    ("sweep epochs 1.5", lambda p: _sweep(p, epochs=1.5), ValueError, "epochs"),
    ("sweep learning rate a string", lambda p: _sweep(p, learning_rate="fast"), TypeError, "learning_rate"),
    ("sweep results_dir None", lambda p: experiments.kl_sweep(_tiny_data(), None), TypeError, "results_dir"),
    ("sweep labels mismatch", lambda p: _sweep(p, data=MNIST(ONES, np.zeros(3, int), ONES, np.zeros(2, int),
                                                             "test")), ValueError, "data.y_train"),
    ("sweep progress a string", lambda p: _sweep(p, progress="no"), TypeError, "progress"),
    ("sweep fused a string", lambda p: _sweep(p, fused="yes"), TypeError, "fused"),
    ("annealing with a Poisson likelihood", lambda p: _anneal(p, reconstruction="poisson"), ValueError,
     "reconstruction"),
    ("load run model from a folder 5", lambda p: experiments.load_run_model(5, "c=1"), TypeError,
     "results_dir"),
    ("annealing schedules a list", lambda p: _anneal(p, [schedules.Constant()]), TypeError, "schedules"),
    ("annealing schedule a number", lambda p: _anneal(p, {"a": 0.5}), TypeError, "schedules['a']"),
    ("annealing schedule a string, sequential", lambda p: _anneal(p, {"a": "linear"}, fused=False), TypeError,
     "callable"),
    ("annealing schedule without t", lambda p: _anneal(p, {"a": lambda: 1.0}), TypeError, "1 argument"),
    ("load run result name an int", lambda p: experiments.load_run_result(p, 5), TypeError, "name"),
    ("load run model name None", lambda p: experiments.load_run_model(p, None), TypeError, "name"),
    ("manifold of a whole VAE", lambda p: plotting.plot_manifold(_vae()), TypeError, "vae.decoder"),
    ("manifold of a 3-D decoder", lambda p: plotting.plot_manifold(models.dense_decoder(3, 8)), ValueError,
     "latent_dim=2"),
    ("manifold of an encoder", lambda p: plotting.plot_manifold(_vae().encoder), ValueError, "latent"),
    ("manifold extent a string", lambda p: plotting.decode_grid(_vae().decoder, extent="3"), TypeError,
     "extent"),
    ("manifold of 2.5 tiles", lambda p: plotting.decode_grid(_vae().decoder, n=2.5), ValueError, "n must"),
    ("manifold with a wrong image_shape", lambda p: plotting.decode_grid(_vae().decoder, n=2,
                                                                          image_shape=(10, 10)), ValueError,
     "image_shape"),
    ("rate-distortion table missing a column", lambda p: plotting.plot_rate_distortion(
        pd.DataFrame({"c": [1.0], "test_reconstruction": [2.0]})), ValueError, "test_kl"),
    ("rate-distortion table a list", lambda p: plotting.plot_rate_distortion([1, 2]), TypeError, "table"),
    ("history a number", lambda p: plotting.plot_history(3), TypeError, "history"),
    ("history terms a string", lambda p: plotting.plot_history({"loss": [1.0]}, terms="loss"), TypeError,
     "terms"),
    ("schedule histories missing a term", lambda p: plotting.plot_schedule_histories({"a": {"beta": [1.0]}}),
     ValueError, "has no"),
    ("schedule histories a list", lambda p: plotting.plot_schedule_histories([{"beta": [1.0]}]), TypeError,
     "histories"),
    ("schedule plot not a dict", lambda p: plotting.plot_schedules(schedules.Constant(), 5), TypeError,
     "schedules"),
    ("schedule plot value a number", lambda p: plotting.plot_schedules({"a": 0.5}, 5), TypeError, "callable"),
    ("KL bars of nothing", lambda p: plotting.plot_kl_per_dimension({}), ValueError, "kl_by_name"),
    ("KL bars of an array", lambda p: plotting.plot_kl_per_dimension(np.ones(3)), TypeError, "kl_by_name"),
    ("digit grid of 10-pixel images", lambda p: plotting.plot_digit_grid(np.zeros((2, 10))), ValueError,
     "image_shape"),
    ("digit grid of 0 columns", lambda p: plotting.plot_digit_grid(HALF, columns=0), ValueError, "columns"),
    ("digit grid of no images", lambda p: plotting.plot_digit_grid(np.zeros((0, 784))), ValueError, "empty"),
    ("digit grid of strings", lambda p: plotting.plot_digit_grid(np.array([["a"] * 784])), TypeError,
     "numeric"),
    ("reconstructions fewer than originals", lambda p: plotting.plot_reconstructions(np.zeros((3, 784)),
                                                                                     np.zeros((1, 784))),
     ValueError, "shapes do not match"),
    ("reconstructions n 0", lambda p: plotting.plot_reconstructions(HALF, HALF, n=0), ValueError, "n must"),
    ("scatter of no points", lambda p: plotting.plot_latent_scatter(np.zeros((0, 2)), []), ValueError,
     "n >= 1"),
    ("scatter of NaN points", lambda p: plotting.plot_latent_scatter(np.full((2, 2), np.nan), [0, 1]),
     ValueError, "NaN"),
    ("scatter extent a string", lambda p: plotting.plot_latent_scatter(Z, [0, 1], extent="4"), TypeError,
     "extent"),
    ("standard normal plot of 1-D samples", lambda p: plotting.plot_standard_normal(np.zeros(5)), ValueError,
     "samples"),
    ("radius plot of 1-D samples", lambda p: plotting.plot_radius_distribution(np.zeros(5)), ValueError,
     "samples"),
    ("Gaussian vs prior mean a string", lambda p: plotting.plot_gaussian_vs_prior("a", 1.0), TypeError, "mean"),
    ("sweep scatters a list", lambda p: plotting.plot_sweep_scatters([_vae()], HALF, [0, 1]), TypeError,
     "models_by_c"),
    ("sweep scatters of nothing", lambda p: plotting.plot_sweep_scatters({}, HALF, [0, 1]), ValueError,
     "models_by_c"),
    ("sweep scatters of a decoder", lambda p: plotting.plot_sweep_scatters({1: _vae().decoder}, HALF, [0, 1]),
     TypeError, "encoder and a decoder"),
    ("sweep manifolds a list", lambda p: plotting.plot_sweep_manifolds([_vae()]), TypeError, "models_by_c"),
    ("prior samples n 0", lambda p: plotting.plot_sweep_prior_samples({1: _vae()}, n=0), ValueError, "n must"),
    ("prior samples c a string", lambda p: plotting.plot_sweep_prior_samples({"one": _vae()}, n=1), TypeError,
     "key c"),
    ("encode with a decoder", lambda p: prediction.encode(_vae().decoder, HALF), TypeError,
     "encoder and a decoder"),
    ("encode with a string", lambda p: prediction.encode("model", HALF), TypeError, "model must"),
    ("decode with a decoder", lambda p: prediction.decode(_vae().decoder, Z), TypeError, "model must"),
    ("decode strings", lambda p: prediction.decode(_vae(), [["a", "b"]]), TypeError, "numeric"),
    ("encode batch_size 0", lambda p: prediction.encode(_vae(), HALF, batch_size=0), ValueError, "batch_size"),
    ("latent explorer with a decoder", lambda p: widgets.latent_explorer(_vae().decoder, HALF, [0, 1]),
     TypeError, "model must"),
    ("latent explorer extent 0", lambda p: widgets.latent_explorer(_vae(), HALF, [0, 1], extent=0), ValueError,
     "extent"),
    ("latent explorer labels mismatch", lambda p: widgets.latent_explorer(_vae(), HALF, [0, 1, 2]), ValueError,
     "one integer label"),
    ("KL explorer mean a string", lambda p: widgets.kl_explorer(mean="a"), TypeError, "mean"),
    ("schedule explorer ratio a string", lambda p: widgets.schedule_explorer(ratio="half"), TypeError,
     "ratio"),
    ("sweep browser of nothing", lambda p: widgets.sweep_browser({}, HALF, [0, 1]), ValueError, "models_by_c"),
    ("sweep browser a list", lambda p: widgets.sweep_browser([_vae()], HALF, [0, 1]), TypeError,
     "models_by_c"),
    ("importance sampling chunk 0", lambda p: diagnostics.importance_sampled_log_likelihood(
        _vae(), HALF, k=1, chunk=0), ValueError, "chunk"),
    ("importance sampling of no images", lambda p: diagnostics.importance_sampled_log_likelihood(
        _vae(), np.zeros((0, 784)), k=1), ValueError, "empty"),
    ("importance sampling of 0-255 pixels", lambda p: diagnostics.importance_sampled_log_likelihood(
        _vae(), ONES * 255, k=1), ValueError, "255"),
    ("importance sampling with a decoder", lambda p: diagnostics.importance_sampled_log_likelihood(
        _vae().decoder, HALF, k=1), TypeError, "model must"),
    ("active units threshold a string", lambda p: diagnostics.active_units(_vae(), HALF, threshold="a"),
     TypeError, "threshold"),
    ("rate and distortion of 0-255 pixels", lambda p: diagnostics.rate_distortion(_vae(), ONES * 255),
     ValueError, "255"),
    ("digit classifier labels mismatch", lambda p: diagnostics.digit_classifier(HALF, [0, 1, 2]), ValueError,
     "y_train"),
    ("log-likelihood of an unknown kind", lambda p: diagnostics.log_likelihood(HALF, HALF, "poisson"),
     ValueError, "kind"),
    ("schedule check reference a number", lambda p: exercises.check_schedule(lambda t: 0, 0.5, "x", [0]),
     TypeError, "reference"),
    ("schedule check points a number", lambda p: exercises.check_schedule(
        lambda t: 0, schedules.Constant(), "x", 5), TypeError, "points must be a list of time steps"),
    ("schedule check reference of two arguments", lambda p: exercises.check_schedule(
        lambda t: 0, lambda t, s: 0, "x", [0]), TypeError, "reference must take 1 argument"),
    ("loss-training check x of 10 pixels", lambda p: exercises.check_loss_trains(
        lambda *a: 0, np.full((2, 10), 0.5)), ValueError, "x"),
    ("loss-training check epochs 0", lambda p: exercises.check_loss_trains(lambda *a: 0, HALF, epochs=0),
     ValueError, "epochs"),
    ("loss-training check n_images 0", lambda p: exercises.check_loss_trains(lambda *a: 0, HALF, n_images=0),
     ValueError, "n_images"),
    ("loss-training check fn a number", lambda p: exercises.check_loss_trains(5, HALF), TypeError, "fn must"),
    ("loss-training check on a 0-255 tensor", lambda p: exercises.check_loss_trains(
        lambda *a: 0, _tensor(ONES * 255)), ValueError, "255"),
    ("VAE loss check fn a string", lambda p: exercises.check_vae_loss("vae_loss"), TypeError,
     "your function itself"),
    ("hidden_units None", lambda p: models.dense_encoder(hidden_units=None), TypeError, "hidden_units"),
    ("hidden_units 8.0", lambda p: models.dense_encoder(hidden_units=8.0), TypeError, "hidden_units"),
    ("hidden_units '64'", lambda p: models.dense_decoder(hidden_units="64"), TypeError, "hidden_units"),
    ("conv kernel size 0", lambda p: models.conv_encoder(kernel_size=0), ValueError, "kernel_size"),
    ("conv filters None", lambda p: models.conv_decoder(filters=None), TypeError, "filters"),
    ("conv input shape 2-D", lambda p: models.conv_vae(input_shape=(28, 28)), ValueError, "input_shape"),
    ("conv VAE fit on flat images", lambda p: _stock_fit(HALF, model=models.conv_vae()), ValueError, "reshape"),
    ("VAE of layers", lambda p: models.VAE(keras.layers.Dense(2), keras.layers.Dense(2)), TypeError,
     "keras.Model"),
    ("load_vae None", lambda p: models.load_vae(None), TypeError, "path"),
    ("fused run index out of range", lambda p: FusedDenseVAE([0, 1], hidden_units=8).vae_of_run(5), ValueError,
     "run must"),
    ("fused weights into run 7", lambda p: FusedDenseVAE([0, 1], hidden_units=8).set_run_weights(7, _vae()),
     ValueError, "run must"),
    ("fit epochs 1.5", lambda p: _stock_fit(HALF, epochs=1.5), ValueError, "epochs"),
    ("fit validation_split 2", lambda p: _stock_fit(HALF, validation_split=2.0), ValueError,
     "validation_split"),
    ("fit images of the wrong shape", lambda p: _stock_fit(np.zeros((2, 10))), ValueError, "expects"),
    ("pipeline shuffle a string", lambda p: training.array_dataset(HALF, 2, shuffle="no"), TypeError,
     "shuffle"),
    ("compile settings of a string", lambda p: training.compile_settings("model"), TypeError, "model must"),
    ("scheduler schedule without t", lambda p: schedules.KLScheduler(lambda: 1.0), TypeError, "1 argument"),
    ("schedule returning a string", lambda p: schedules.schedule_values(lambda t: "a", 2), TypeError,
     "schedule(0)"),
    ("MNIST path an int", lambda p: load_mnist(path=5), TypeError, "path"),
    ("BCE of strings", lambda p: losses.bernoulli_nll([["a"]], [["b"]]), TypeError, "numeric"),
    ("KL of None", lambda p: losses.kl_standard_normal(None, None), TypeError, "numeric"),
    ("Monte Carlo seed a string", lambda p: losses.kl_monte_carlo(0.0, 0.0, seed="a"), ValueError, "seed"),
    ("Gaussian NLL variance a string", lambda p: losses.gaussian_nll(Z, Z, "one"), TypeError, "variance"),
    ("Monte Carlo prior shape mismatch", lambda p: losses.kl_monte_carlo([0.0, 0.0], [0.0, 0.0],
                                                                         [0.0, 0.0, 0.0]), ValueError, "shapes"),
    ("Monte Carlo prior of another shape than q", lambda p: losses.kl_monte_carlo(
        [0.0, 0.0], [0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]), ValueError, "mean_q"),
    ("toy model w strings", lambda p: LinearGaussian(["a"], [0.0], 1.0), TypeError, "w must"),
    ("toy model noise a string", lambda p: LinearGaussian([1.0], [0.0], "one"), TypeError, "noise_var"),
    ("toy ELBO of x of the wrong length", lambda p: LinearGaussian([1.0, 2.0], [0.0, 0.0], 1.0).elbo(
        [1.0], 0.0, 0.0), ValueError, "shapes"),
    ("toy evidence of x of the wrong length", lambda p: LinearGaussian([1.0, 2.0], [0.0, 0.0], 1.0).log_evidence(
        [1.0, 2.0, 3.0]), ValueError, "shapes"),
    ("cyclical total a string", lambda p: schedules.Cyclical(total="ten"), TypeError, "total"),
    ("sigmoid midpoint a numeric string", lambda p: schedules.Sigmoid(midpoint="10"), TypeError, "midpoint"),
    ("warm-up start True", lambda p: schedules.LinearWarmup(start=True), TypeError, "start"),
    ("cyclical ratio NaN", lambda p: schedules.Cyclical(total=10, ratio=math.nan), ValueError, "ratio"),
    ("epoch log every 0", lambda p: training.EpochLog(every=0), ValueError, "every"),
    ("expected time of a list", lambda p: training.expected_time([1]), TypeError, "trainings"),
    ("expected time of a bare model", lambda p: training.expected_time(
        {"a": models.dense_vae(hidden_units=8)}), TypeError, "training.Training"),
    ("expected time over NaN images", lambda p: training.expected_time({"a": training.Training(
        models.dense_vae(hidden_units=8), ONES * np.nan, 1)}), ValueError, "NaN"),
    ("expected time with a negative budget", lambda p: training.expected_time({"a": training.Training(
        models.dense_vae(hidden_units=8), ONES, 1)}, budget_minutes=-1), ValueError, "budget_minutes"),
    # --- exercise checks and the student version -------------------------------------------------
    ("schedule check with no points", lambda p: exercises.check_schedule(
        lambda t: 0, schedules.Constant(), "x", []), ValueError, "at least one time step"),
    ("schedule check with an empty generator", lambda p: exercises.check_schedule(
        lambda t: 0, schedules.Constant(), "x", iter([])), ValueError, "at least one time step"),
    # --- issue 30: evaluate and predict, lists, validation images, npz contents, seeds -------------
    ("evaluate on 0-255 pixels", lambda p: _evaluate(ONES * 255), ValueError, "255"),
    ("evaluate on a 0-255 tensor", lambda p: _evaluate(_tensor(ONES * 255)), ValueError, "255"),
    ("evaluate images of the wrong shape", lambda p: _evaluate(np.zeros((2, 10))), ValueError, "expects"),
    ("evaluate NaN images", lambda p: _evaluate(HALF * np.nan), ValueError, "NaN"),
    ("predict on 0-255 pixels", lambda p: _vae().predict(ONES * 255, verbose=0), ValueError, "255"),
    ("fit on a list of strings", lambda p: _stock_fit([["a"] * 784]), TypeError, "numeric"),
    ("fit on a ragged list", lambda p: _stock_fit([[0.5] * 784, [0.5] * 10]), TypeError, "numeric"),
    ("validation images of the wrong shape", lambda p: _stock_fit(HALF, validation_data=(np.zeros((2, 10)),)),
     ValueError, "validation_data[0] has examples of shape (10,)"),
    ("validation images a bare array of the wrong shape", lambda p: _stock_fit(
        HALF, validation_data=np.zeros((2, 28, 28))), ValueError, "reshape"),
    ("validation images as a list pair of 0-255 pixels", lambda p: _stock_fit(
        HALF, validation_data=[ONES * 255, None]), ValueError, "255"),
    ("conv VAE validation on flat images", lambda p: _stock_fit(
        HALF.reshape(2, 28, 28, 1), model=models.conv_vae(), validation_data=(HALF,)), ValueError, "reshape"),
    ("npz of pickled objects", lambda p: load_mnist(path=_npz(p, x_train=np.array([None, None], object))),
     ValueError, "it is not loaded (unpickling can run code). Save the images and labels as numeric arrays: "
     "np.savez(path, x_train=np.asarray(x_train, 'uint8'), ...)."),
    ("npz with an empty test split", lambda p: load_mnist(path=_npz(p, x_test=np.zeros((0, 28, 28)),
                                                                    y_test=np.zeros(0, int))),
     ValueError, "x_test holds no images"),
    ("npz with an empty training split", lambda p: load_mnist(path=_npz(p, x_train=np.zeros((0, 784)),
                                                                        y_train=np.zeros(0, int))),
     ValueError, "x_train holds no images"),
    ("npz of string images", lambda p: load_mnist(path=_npz(p, x_test=np.full((1, 784), "a"))), TypeError,
     "mnist.npz:x_test must be a numeric array"),
    ("npz of images of 5 pixels", lambda p: load_mnist(path=_npz(p, x_train=np.zeros((2, 5)))), ValueError,
     "x_train has shape (2, 5); expected (n, 28, 28) or (n, 784) images."),
    ("npz with NaN pixels", lambda p: load_mnist(path=_npz(p, x_train=np.full((2, 784), np.nan))), ValueError,
     "mnist.npz:x_train contains NaN"),
    ("npz with a label too many", lambda p: load_mnist(path=_npz(p, y_test=np.array([1, 2]))), ValueError,
     "mnist.npz:y_test has shape (2,)"),
    *[(f"set_seed({seed!r})", lambda p, s=seed: set_seed(s), ValueError, "seed must be an integer")
      for seed in (None, -1, "abc", 2.5, True, 2 ** 32)],
    ("dense VAE seed -1", lambda p: models.dense_vae(hidden_units=8, seed=-1), ValueError, "seed"),
    ("conv VAE seed a string", lambda p: models.conv_vae(seed="abc"), ValueError, "seed"),
    ("fused seed -1", lambda p: FusedDenseVAE([1.0], hidden_units=8, seed=-1), ValueError, "seed"),
    ("pipeline seed -1", lambda p: training.array_dataset(HALF, 2, seed=-1), ValueError, "seed"),
    ("sweep seed None", lambda p: _sweep(p, seed=None), ValueError, "seed"),
    ("annealing seed -1", lambda p: _anneal(p, seed=-1), ValueError, "seed"),
    ("rate and distortion seed -1", lambda p: diagnostics.rate_distortion(_vae(), HALF, seed=-1), ValueError,
     "seed"),
    ("KL decomposition seed a string", lambda p: diagnostics.kl_decomposition(Z, Z, seed="abc"), ValueError,
     "seed"),
    ("posterior sample seed 2.5", lambda p: diagnostics.aggregate_posterior_sample(_vae(), HALF, seed=2.5),
     ValueError, "seed"),
    ("importance sampling seed -3", lambda p: diagnostics.importance_sampled_log_likelihood(
        _vae(), HALF, k=1, seed=-3), ValueError, "seed"),
    ("digit classifier seed -1", lambda p: diagnostics.digit_classifier(HALF, [0, 1], seed=-1), ValueError,
     "seed"),
    ("loss-training check seed None", lambda p: exercises.check_loss_trains(lambda *a: 0, HALF, seed=None),
     ValueError, "seed"),
    *[(f"near-miss solution marker {marker!r}", lambda p, m=marker: exercises.check_solution_markers(_notebook(m)),
       ValueError, "misspelt") for marker in NEAR_MISSES],
]


def test_battery_is_large():
    assert len(BATTERY) >= 150
    assert len({case[0] for case in BATTERY}) == len(BATTERY)


@pytest.mark.parametrize("case", BATTERY, ids=[case[0] for case in BATTERY])
def test_bad_input_gets_a_clear_error(case, tmp_path, monkeypatch):
    _, call, error, words = case
    monkeypatch.delenv(data.NPZ_ENV, raising=False)
    with pytest.raises(CLEAR_ERRORS) as info:
        call(tmp_path)
    assert info.type is error, f"{info.type.__name__}: {info.value}"
    # the words whole and as they are spelt (the argument's name, not a longer or capitalised one)
    assert re.search(rf"(?<!\w){re.escape(words)}(?!\w)", str(info.value)), str(info.value)


def _is_figure(result):
    return isinstance(result, matplotlib.figure.Figure)


def _trained_beta(schedule, per="epoch"):
    """The beta a KLScheduler logs after one epoch on two images (one step per call)."""
    model = _vae()
    model.compile(optimizer="adam", steps_per_execution=1)
    history = model.fit(training.array_dataset(HALF, 2), epochs=1, verbose=0, shuffle=False,
                        callbacks=[schedules.KLScheduler(schedule, per=per)])
    return history.history["beta"][0]


# (id, call taking tmp_path, check of its result): valid edge inputs that must keep working
VALID = [
    ("vae_loss of float32 images and float64 latents",
     lambda p: losses.vae_loss(HALF, HALF, Z, Z),
     lambda r: np.isfinite(float(r[0])) and keras.backend.standardize_dtype(r[0].dtype) == "float32"),
    ("Gaussian vae_loss of values outside [0, 1]",
     lambda p: losses.vae_loss(HALF * 3, HALF - 2, Z, Z, reconstruction="gaussian"),
     lambda r: float(r[1]) == pytest.approx(784 * 3.0 ** 2)),
    ("fit with validation_split on a numpy array",
     lambda p: _stock_fit(np.full((10, 784), 0.5, "float32"), validation_split=0.1, batch_size=4),
     lambda r: "val_loss" in r.history and np.isfinite(r.history["val_loss"][0])),
    ("fit on an eager tensor", lambda p: _stock_fit(_tensor(HALF), batch_size=2),
     lambda r: np.isfinite(r.history["loss"][0])),
    ("per-step sigmoid with a huge midpoint", lambda p: _trained_beta(
        schedules.Sigmoid(midpoint=1e6, steepness=5.0), per="step"), lambda r: r == 0.0),
    ("sigmoid far before its midpoint", lambda p: schedules.Sigmoid(midpoint=1e9, steepness=1e3)(0),
     lambda r: r == 0.0),
    ("plain function as a KLScheduler schedule", lambda p: _trained_beta(lambda t: 0.5),
     lambda r: r == 0.5),
    ("plain function in a schedule plot", lambda p: plotting.plot_schedules({"f": lambda t: min(1, t / 5)}, 10),
     lambda r: _is_figure(r) and list(r.axes[0].lines[0].get_ydata())[-1] == 1.0),
    ("plain function in the annealing comparison", lambda p: _anneal(p, {"half": lambda t: 0.5}),
     lambda r: r["half"]["history"]["beta"] == [0.5]),
    ("reconstruction plot of one flat image", lambda p: plotting.plot_reconstructions(HALF[0], HALF[1]),
     lambda r: _is_figure(r) and len(r.axes) == 2),
    ("reconstruction plot of one 28x28 image", lambda p: plotting.plot_reconstructions(
        HALF[0].reshape(28, 28), HALF[1].reshape(28, 28)), lambda r: len(r.axes) == 2),
    ("digit grid of (n, 28, 28, 1) images", lambda p: plotting.plot_digit_grid(HALF.reshape(2, 28, 28, 1)),
     lambda r: len(r.axes) == 8),
    ("KL of one 1-D example is its sum", lambda p: losses.kl_standard_normal(np.ones(3), np.zeros(3)),
     lambda r: np.ndim(r) == 0 and float(r) == pytest.approx(1.5)),
    ("BCE of eager tensors", lambda p: losses.bernoulli_nll(_tensor(HALF), _tensor(HALF)),
     # 784 float32 terms of ln 2 summed in any order: relative error at most 784 * eps / 2
     lambda r: np.allclose(np.asarray(r), 784 * math.log(2), rtol=784 * np.finfo("float32").eps / 2)),
    ("BCE of probabilities exactly 0 and 1", lambda p: losses.bernoulli_nll([[0.0, 1.0]], [[0.0, 1.0]]),
     lambda r: np.all(np.isfinite(np.asarray(r))) and float(np.asarray(r)[0]) < 1e-5),
    ("sweep with numpy coefficients and a numpy epoch count", lambda p: _sweep(
        p, coefficients=np.array([0.5]), epochs=np.int64(1)), lambda r: list(r["c"]) == [0.5]),
    ("manifold of 1 tile", lambda p: plotting.decode_grid(_vae().decoder, n=1),
     lambda r: r[0].shape == (28, 28)),
    ("history plot of a keras History", lambda p: plotting.plot_history(_fit(HALF)),
     lambda r: _is_figure(r) and len([a for a in r.axes if a.get_title()]) == 3),
    ("scatter of points at the origin with list labels", lambda p: plotting.plot_latent_scatter(Z, [0, 1]),
     lambda r: _is_figure(r)),
    ("pipeline of boolean images", lambda p: training.array_dataset(np.ones((2, 784), bool), 2),
     lambda r: r is not None),
    ("Monte Carlo z of negative values", lambda p: monte_carlo_z("x", -1.0, 0.5, -1.2),
     lambda r: r == pytest.approx(0.4)),
    ("importance sampling with k=2", lambda p: diagnostics.importance_sampled_log_likelihood(_vae(), HALF, k=2),
     lambda r: r[0].shape == (2,) and np.all(np.isfinite(r[0]))),
    ("conv VAE fit on (n, 28, 28, 1) images", lambda p: _stock_fit(HALF.reshape(2, 28, 28, 1),
                                                                   model=models.conv_vae()),
     lambda r: np.isfinite(r.history["loss"][0])),
    ("schedule check of a right answer", lambda p: exercises.check_schedule(
        lambda t: 1.0, schedules.Constant(), "constant", (0, 1)), lambda r: r is None),
    ("exact solution markers", lambda p: exercises.check_solution_markers(_notebook("### BEGIN SOLUTION")),
     lambda r: len(r[0]["cells"]) == 1),
    ("solution markers of a notebook file", lambda p: exercises.check_solution_markers(
        _write_notebook(p, "### BEGIN SOLUTION")), lambda r: r[1] is None),
    ("a comment that only mentions the solution", lambda p: exercises.check_solution_markers(
        _notebook("# compare this solution with the reference below")), lambda r: r is not None),
    ("fit on a list of lists", lambda p: _stock_fit(HALF.tolist(), batch_size=2),
     lambda r: np.isfinite(r.history["loss"][0])),
    ("evaluate on a list of lists", lambda p: _evaluate(HALF.tolist()), lambda r: np.isfinite(r[0])),
    ("fit with validation images and no targets", lambda p: _stock_fit(HALF, validation_data=(HALF, None)),
     lambda r: np.isfinite(r.history["val_loss"][0])),
    ("fit with a validation pipeline", lambda p: _stock_fit(HALF, validation_data=training.array_dataset(HALF, 2)),
     lambda r: np.isfinite(r.history["val_loss"][0])),
    ("set_seed at the largest seed", lambda p: set_seed(2 ** 32 - 1), lambda r: r is None),
    ("set_seed of a numpy integer", lambda p: set_seed(np.int64(3)), lambda r: r is None),
    ("pipeline seed None", lambda p: training.array_dataset(HALF, 2, seed=None), lambda r: r is not None),
    ("fused run index at the last run", lambda p: FusedDenseVAE([0, 1], hidden_units=8).vae_of_run(1),
     lambda r: float(keras.ops.convert_to_numpy(r.beta)) == 1.0),
]


def _write_notebook(tmp_path, line):
    path = tmp_path / "exercise.ipynb"
    path.write_text(json.dumps(_notebook(line)))
    return path


@pytest.mark.parametrize("case", VALID, ids=[case[0] for case in VALID])
def test_valid_edge_input_keeps_working(case, tmp_path):
    _, call, check = case
    result = call(tmp_path)
    assert check(result), result


def test_corrupt_sweep_weights_are_retrained(tmp_path):
    _sweep(tmp_path)
    (tmp_path / "sweep" / "c=1" / "model.weights.h5").write_bytes(b"half a file")
    with pytest.warns(UserWarning, match="corrupt or incomplete"):
        _sweep(tmp_path)
    assert experiments.load_run_model(tmp_path / "sweep", "c=1") is not None


def _nan_in_last_pixel(n=3):
    x = np.full((n, 784), 0.5, "float32")
    x[-1, -1] = np.nan
    return x


@pytest.mark.parametrize("call", [
    lambda x, folder: training.array_dataset(x, 2),
    lambda x, folder: prediction.encode(_vae(), x),
    lambda x, folder: experiments.kl_sweep(MNIST(ONES, None, x, None, "test"), folder,
                                           coefficients=[1], epochs=1, progress=False),
], ids=["array_dataset", "encode", "kl_sweep test images"])
def test_nan_in_the_last_pixel_of_the_last_image_is_rejected(call, tmp_path):
    with pytest.raises(ValueError, match="NaN or inf"):
        call(_nan_in_last_pixel(), tmp_path / "results")
    assert not (tmp_path / "results").exists()  # refused before the folder is made


# --- property-based: random bad arrays are always rejected with ValueError -------------------

finite_unit = hnp.arrays(np.float32, st.tuples(st.integers(1, 4), st.just(6)),
                         elements=st.floats(0, 1, width=32))


@settings(max_examples=40, deadline=None)
@given(finite_unit, st.integers(0, 23), st.sampled_from([np.nan, np.inf, -np.inf]))
def test_any_nan_or_inf_is_rejected(x, index, bad):
    x = x.copy()
    x.flat[index % x.size] = bad
    with pytest.raises(ValueError, match="NaN or inf"):
        check_images(x)


@settings(max_examples=40, deadline=None)
@given(finite_unit, st.integers(0, 23),
       st.one_of(st.floats(1.0001, 1e6), st.floats(-1e6, -0.0001)))
def test_any_value_outside_unit_range_is_rejected(x, index, bad):
    x = x.copy()
    x.flat[index % x.size] = bad
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        check_images(x)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 30), min_size=1, max_size=3).filter(lambda s: s != [6]))
def test_any_wrong_example_shape_is_rejected(shape):
    with pytest.raises(ValueError, match="expects"):
        check_images(np.zeros((2, *shape)), shape=(6,))


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.floats(max_value=-1e-9), st.just(math.nan), st.just(math.inf)))
def test_any_negative_or_non_finite_beta_is_rejected(beta):
    with pytest.raises(ValueError, match="beta"):
        check_beta(beta)
