import keras
import numpy as np
import pytest

from vae_helpers import models, prediction


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


def test_same_seed_same_training(mnist_small):
    results = []
    for _ in range(2):
        keras.utils.set_random_seed(42)
        model = models.dense_vae(hidden_units=32)
        results.append(_fit(model, mnist_small.x_train[:256], epochs=2).history["loss"])
    assert results[0] == results[1]


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
