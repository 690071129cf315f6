import keras
import numpy as np
import pytest

from vae_helpers import models, prediction, training
from vae_helpers.config import set_seed


def _fit(model, x, epochs=2, seed=0, **kwargs):
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    return model.fit(x, epochs=epochs, batch_size=64, verbose=0, shuffle=False, **kwargs)


def test_conv_parameter_counts_match_the_source():
    assert models.conv_encoder().count_params() == 69_076
    assert models.conv_decoder().count_params() == 65_089
    assert models.conv_vae().count_params() == 69_076 + 65_089


def test_dense_parameter_counts():
    # 784*512 + 512, then two heads of 512*2 + 2 / mirror for the decoder
    assert models.dense_encoder().count_params() == 784 * 512 + 512 + 2 * (512 * 2 + 2)
    assert models.dense_decoder().count_params() == 2 * 512 + 512 + 512 * 784 + 784
    enc = models.dense_encoder(hidden_units=[64, 32], latent_dim=5)
    assert [o.shape[-1] for o in enc.outputs] == [5, 5, 5]


def test_training_reports_terms_and_lowers_loss(mnist_small):
    keras.utils.set_random_seed(0)
    model = models.dense_vae(hidden_units=64)
    history = _fit(model, mnist_small.x_train, epochs=3, validation_data=(mnist_small.x_test,))
    logs = history.history
    assert {"loss", "reconstruction", "kl", "val_loss", "val_reconstruction", "val_kl"} <= set(logs)
    assert logs["loss"][-1] < logs["loss"][0]
    # loss = reconstruction + beta * kl, each tracked per example
    np.testing.assert_allclose(logs["loss"][-1], logs["reconstruction"][-1] + logs["kl"][-1], rtol=1e-4)


def test_beta_is_a_variable_that_changes_the_loss(mnist_small):
    keras.utils.set_random_seed(0)
    model = models.dense_vae(hidden_units=32, beta=0.0)
    model.compile(optimizer="adam")
    x = mnist_small.x_test[:128]
    r0 = model.evaluate(x, verbose=0, return_dict=True)
    assert r0["loss"] == pytest.approx(r0["reconstruction"], rel=1e-6)
    model.beta.assign(10)
    assert float(model.beta.numpy()) == 10
    keras.utils.set_random_seed(0)
    r1 = model.evaluate(x, verbose=0, return_dict=True)
    assert r1["loss"] == pytest.approx(r1["reconstruction"] + 10 * r1["kl"], rel=1e-5)
    assert not model.beta.trainable


def test_same_seed_same_numbers_and_other_seeds_differ(mnist_small):
    # the real path: set_seed, then fit on the shuffled pipeline with random noise
    def train(seed):
        set_seed(seed)
        model = models.dense_vae(hidden_units=32)
        model.compile(optimizer="adam", **training.compile_settings(model))
        model.fit(training.array_dataset(mnist_small.x_train[:256], 32), epochs=2, verbose=0,
                  shuffle=False)
        return np.concatenate([w.ravel() for w in model.get_weights()])

    first, again, other = train(42), train(42), train(43)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).max() > 1e-3


def test_shuffle_order_follows_the_seed():
    x = np.arange(16, dtype="float32").reshape(16, 1) / 16
    def order(seed):
        set_seed(seed)
        return np.concatenate([b.numpy().ravel() for b in training.array_dataset(x, 4)])
    assert np.array_equal(order(1), order(1)) and not np.array_equal(order(1), order(2))


def test_sampling_draws_from_the_gaussian_it_is_given():
    # z = mean + exp(log_var / 2) eps: over n draws the sample mean and variance of each
    # dimension are within 6 standard errors of mean and exp(log_var) (the standard
    # error of a sample variance of a Gaussian is var * sqrt(2 / (n - 1)))
    n = 200_000
    mean = np.array([[-1.0, 0.0, 2.0]], "float32")
    log_var = np.array([[-2.0, 0.0, 1.5]], "float32")
    z = models.Sampling(seed=0)([np.repeat(mean, n, 0), np.repeat(log_var, n, 0)]).numpy()
    var = np.exp(log_var[0])
    assert np.all(np.abs(z.mean(0) - mean[0]) < 6 * np.sqrt(var / n))
    assert np.all(np.abs(z.var(0, ddof=1) - var) < 6 * var * np.sqrt(2 / (n - 1)))


def test_gaussian_reconstruction_trains_and_accepts_any_range(mnist_small):
    keras.utils.set_random_seed(0)
    model = models.dense_vae(hidden_units=32, reconstruction="gaussian")
    history = _fit(model, 2 * mnist_small.x_train[:128] - 0.5, epochs=1)
    assert np.isfinite(history.history["loss"][0])


def test_save_and_load_roundtrip(tmp_path, mnist_small):
    keras.utils.set_random_seed(0)
    model = models.conv_vae(beta=0.5)
    x = mnist_small.x_test[:16].reshape(-1, 28, 28, 1)
    _fit(model, x, epochs=1)
    path = tmp_path / "vae.keras"
    model.save(path)
    loaded = models.load_vae(str(path))
    assert isinstance(loaded, models.VAE) and loaded.reconstruction == "bernoulli"
    assert float(loaded.beta.numpy()) == 0.5
    np.testing.assert_allclose(prediction.encode(loaded, x)[0], prediction.encode(model, x)[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(prediction.decode(loaded, np.zeros((2, 2))), prediction.decode(model, np.zeros((2, 2))),
                               rtol=1e-5, atol=1e-6)


def test_a_learned_decoder_variance_is_the_mean_squared_error_of_the_batch(mnist_small):
    """sigma^2 is set to its maximum-likelihood value, the mean squared error per pixel, and
    the reconstruction term is the Gaussian negative log-likelihood with it."""
    model = models.dense_vae(latent_dim=2, hidden_units=16, reconstruction="gaussian",
                             learned_variance=True)
    x = mnist_small.x_train[:64]
    out = model(x)
    model.compute_loss(x, y_pred=out)
    squared = (np.asarray(out["x_hat"], "float64") - x) ** 2
    mse = squared.mean()
    assert np.isclose(float(np.exp(model.log_variance.numpy())), mse, rtol=1e-5)
    want = (squared.sum(axis=1) / (2 * mse) + 784 / 2 * np.log(2 * np.pi * mse)).mean()
    assert np.isclose(float(model.reconstruction_tracker.result()), want, rtol=1e-5)
    # the maximum: any other variance gives a larger negative log-likelihood
    for other in (mse / 2, mse * 2):
        worse = (squared.sum(axis=1) / (2 * other) + 784 / 2 * np.log(2 * np.pi * other)).mean()
        assert worse > want
    assert all(w is not model.log_variance for w in model.trainable_weights)
    with pytest.raises(ValueError, match="gaussian"):
        models.dense_vae(learned_variance=True)
