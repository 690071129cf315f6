"""The bad-input battery: every public entry point answers bad input with a clear
ValueError/TypeError/FileNotFoundError that names the problem, never a
TensorFlow internal error."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vae_helpers import (data, diagnostics, experiments, losses, models, plotting, prediction, schedules,
                         training)
from vae_helpers.diagnostics import monte_carlo_z
from vae_helpers.data import MNIST, load_mnist
from vae_helpers.validation import check_beta, check_images, check_labels
from vae_helpers.toy_models import LinearGaussian

CLEAR_ERRORS = (ValueError, TypeError, FileNotFoundError)
ONES = np.ones((2, 784), "float32")


def _vae(**kwargs):
    return models.dense_vae(hidden_units=8, **kwargs)


def _fit(x, steps=1, shape=(784,), **kwargs):
    """Train as the notebooks do: the checked input pipeline, then Keras' own fit."""
    model = _vae()
    model.compile(optimizer="adam", steps_per_execution=steps)
    return model.fit(training.array_dataset(x, 2, shape=shape), epochs=1, verbose=0,
                     shuffle=False, **kwargs)


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
     "one label per"),
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
                                             load_mnist(path=str(p / "part.npz"))), ValueError, "lacks"),
    ("npz without a path", lambda p: load_mnist(source="npz"), ValueError, "path"),
    ("unknown data source", lambda p: load_mnist(source="internet"), ValueError, "source"),
    ("unknown layout", lambda p: load_mnist(layout="square"), ValueError, "layout"),
    ("n_train 0", lambda p: load_mnist(n_train=0), ValueError, "n_train"),
    ("n_test 2.5", lambda p: load_mnist(n_test=2.5), ValueError, "n_test"),
    # losses
    ("KL shape mismatch", lambda p: losses.kl_standard_normal(np.zeros((2, 3)), np.zeros((2, 2))), ValueError,
     "shapes"),
    ("KL with NaN mean", lambda p: losses.kl_standard_normal(np.array([[np.nan]]), np.zeros((1, 1))), ValueError,
     "mean"),
    ("general KL shape mismatch", lambda p: losses.kl_gaussian(np.zeros(2), np.zeros(2), np.zeros(3), np.zeros(2)),
     ValueError, "shapes"),
    ("general KL inf prior", lambda p: losses.kl_gaussian(np.zeros(2), np.zeros(2), np.zeros(2),
                                                          np.full(2, np.inf)), ValueError, "log_var_p"),
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
    ("toy model shape mismatch", lambda p: LinearGaussian([1.0, 2.0], [0.0], 1.0), ValueError, "data dimension"),
    ("toy model negative noise", lambda p: LinearGaussian([1.0], [0.0], -1.0), ValueError, "noise_var"),
    # schedules
    ("constant negative", lambda p: schedules.Constant(-1), ValueError, "beta"),
    ("warm-up negative start", lambda p: schedules.LinearWarmup(start=-1), ValueError, "start"),
    ("warm-up zero duration", lambda p: schedules.LinearWarmup(duration=0), ValueError, "duration"),
    ("warm-up NaN beta_max", lambda p: schedules.LinearWarmup(beta_max=float("nan")), ValueError, "beta"),
    ("cyclical zero total", lambda p: schedules.Cyclical(total=0), ValueError, "total"),
    ("cyclical zero cycles", lambda p: schedules.Cyclical(total=10, n_cycles=0), ValueError, "n_cycles"),
    ("cyclical ratio 1.5", lambda p: schedules.Cyclical(total=10, ratio=1.5), ValueError, "ratio"),
    ("cyclical ratio 0", lambda p: schedules.Cyclical(total=10, ratio=0), ValueError, "ratio"),
    ("cyclical unknown shape", lambda p: schedules.Cyclical(total=10, shape="square"), ValueError, "shape"),
    ("sigmoid negative steepness", lambda p: schedules.Sigmoid(steepness=-1), ValueError, "steepness"),
    ("sigmoid string midpoint", lambda p: schedules.Sigmoid(midpoint="soon"), TypeError, "midpoint"),
    ("scheduler with a number", lambda p: schedules.KLScheduler(0.5), TypeError, "schedule"),
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
]


def test_battery_is_large():
    assert len(BATTERY) >= 50
    assert len({case[0] for case in BATTERY}) == len(BATTERY)


@pytest.mark.parametrize("case", BATTERY, ids=[case[0] for case in BATTERY])
def test_bad_input_gets_a_clear_error(case, tmp_path, monkeypatch):
    _, call, error, words = case
    monkeypatch.delenv(data.NPZ_ENV, raising=False)
    with pytest.raises(CLEAR_ERRORS) as info:
        call(tmp_path)
    assert info.type is error, f"{info.type.__name__}: {info.value}"
    assert words.lower() in str(info.value).lower()


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
