"""Numerical stability: extreme betas, saturated inputs, huge log-variances, NaN losses."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from vae_helpers import losses, models, prediction, training
from vae_helpers.config import set_seed

BINARY = (np.random.default_rng(0).uniform(size=(128, 784)) < 0.2).astype("float32")  # exact 0s and 1s


@pytest.mark.parametrize("reconstruction", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("beta", [0, 1e-3, 1, 20, 1000])
def test_training_stays_finite(beta, reconstruction):
    set_seed(0)
    model = models.dense_vae(hidden_units=32, latent_dim=4, beta=beta, reconstruction=reconstruction)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(BINARY, epochs=2, batch_size=32, verbose=0)
    for term in ("loss", "reconstruction", "kl"):
        assert np.all(np.isfinite(history.history[term])), term
    z_mean, z_log_var = prediction.encode(model, BINARY)
    assert np.all(np.isfinite(z_mean)) and np.all(np.isfinite(z_log_var))
    assert np.all(np.isfinite(prediction.decode(model, z_mean)))


def test_huge_log_variance_is_clipped_so_nothing_overflows():
    model = models.dense_vae(hidden_units=8)
    head = model.encoder.get_layer("z_log_var")
    kernel, bias = head.get_weights()
    head.set_weights([kernel, np.full_like(bias, 500.0)])   # exp(500) overflows float32
    _, z_log_var = prediction.encode(model, BINARY[:4])
    assert np.all(z_log_var == models.LOG_VAR_LIMIT)
    model.compile(optimizer="adam")
    result = model.evaluate(BINARY[:32], verbose=0, return_dict=True)
    assert all(np.isfinite(v) for v in result.values())


def test_saturated_probabilities_give_finite_bce():
    x = np.array([[0.0, 1.0, 0.0, 1.0]], "float32")
    probs = np.array([[1.0, 0.0, 0.0, 1.0]], "float32")
    assert np.isfinite(float(np.asarray(losses.bernoulli_nll(x, probs))[0]))


def test_nan_loss_stops_training_with_a_message():
    model = models.dense_vae(hidden_units=8)
    model.compile(optimizer="adam", steps_per_execution=32)
    poisoned = tf.data.Dataset.from_tensor_slices(np.full((64, 784), np.nan, "float32")).batch(32)
    with pytest.raises(FloatingPointError, match="nan in epoch 1;"):
        model.fit(poisoned, epochs=3, verbose=0, shuffle=False, callbacks=[training.NaNGuard()])
    model.compile(optimizer="adam", steps_per_execution=1)  # step by step: names the batch
    with pytest.raises(FloatingPointError, match="nan in epoch 1, batch 1;"):
        model.fit(poisoned, epochs=3, verbose=0, shuffle=False, callbacks=[training.NaNGuard()])


def test_same_seed_same_conv_training():
    x = BINARY[:64].reshape(-1, 28, 28, 1)
    runs = []
    for _ in range(2):
        set_seed(3)
        model = models.conv_vae()
        model.compile(optimizer="adam")
        runs.append((model.fit(x, epochs=2, batch_size=32, verbose=0).history["loss"],
                     prediction.decode(model, np.zeros((1, 2)))))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
