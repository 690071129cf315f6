import keras
import numpy as np
import pytest
import tensorflow as tf

from vae_helpers import fused, losses, models, prediction
from vae_helpers.config import set_seed

BETAS = [0.0, 1.0, 20.0]


def _weights(vae):
    return vae.encoder.get_weights() + vae.decoder.get_weights()


def _separate_step(vae, optimizer, x, eps):
    """One training step of a single VAE with given noise (the model's own layers and loss)."""
    with tf.GradientTape() as tape:
        z_mean, z_log_var, _ = vae.encoder(x, training=True)
        z = z_mean + tf.exp(0.5 * z_log_var) * eps
        total, _, _ = losses.vae_loss(x, vae.decoder(z, training=True), z_mean, z_log_var,
                                      vae.beta, vae.reconstruction)
    optimizer.apply(tape.gradient(total, vae.trainable_variables), vae.trainable_variables)


def _fused_step(model, optimizer, x, eps):
    with tf.GradientTape() as tape:
        total, _ = model.loss_terms(x, model.forward(x, eps))
    optimizer.apply(tape.gradient(total, model.trainable_variables), model.trainable_variables)


OPTIMIZERS = {"sgd": lambda: keras.optimizers.SGD(1e-3), "adam": lambda: keras.optimizers.Adam(1e-2)}


@pytest.fixture
def float64():
    """Build models in float64 for the test, then restore float32."""
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    yield
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy("float32")


@pytest.mark.parametrize("reconstruction, optimizer", [("bernoulli", "sgd"), ("gaussian", "sgd"),
                                                       ("bernoulli", "adam")])
def test_each_fused_run_matches_a_separate_training(unit_images, reconstruction, optimizer,
                                                    float64):
    # The fused and separate steps compute the same sums in a different order, so
    # they differ by rounding only. In float64 (unit roundoff 1.1e-16) a gradient
    # component g comes out as g (1 + d) with |d| of order 1e-16 times the depth
    # of the computation; SGD passes this relative error on to each update, and
    # Adam's update m / (sqrt(v) + 1e-7) is Lipschitz in g with a constant below
    # 1 / 1e-7, so even a gradient near 0 moves by at most 1e-16 / 1e-7 = 1e-9 of
    # a step (lr = 1e-2). Over 5 steps that is far below 1e-9 in every weight, on
    # any CPU and any vector unit, while runs with different betas differ by much
    # more (checked below), so the comparison can fail.
    x = unit_images.astype("float64")
    set_seed(0)
    start = models.dense_vae(hidden_units=[64, 32], reconstruction=reconstruction)
    model = fused.FusedDenseVAE.from_vae(start, BETAS)
    separate = []
    for beta in BETAS:
        vae = models.dense_vae(hidden_units=[64, 32], beta=beta, reconstruction=reconstruction)
        vae.set_weights(start.get_weights())
        vae.beta.assign(beta)
        separate.append((vae, OPTIMIZERS[optimizer]()))
    fused_optimizer = OPTIMIZERS[optimizer]()
    rng = np.random.default_rng(1)
    for _ in range(5):
        eps = rng.standard_normal((len(x), 2))
        _fused_step(model, fused_optimizer, x, eps)
        for vae, vae_optimizer in separate:
            _separate_step(vae, vae_optimizer, x, eps)
    for run, (vae, _) in enumerate(separate):
        got = np.concatenate([w.ravel() for w in _weights(model.vae_of_run(run))])
        want = np.concatenate([w.ravel() for w in _weights(vae)])
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
        assert np.all(np.isfinite(want))
        if run:  # runs with other betas differ far more than the bound: the check can fail
            other = np.concatenate([w.ravel() for w in _weights(separate[run - 1][0])])
            assert np.abs(want - other).max() > 1e-4


def test_runs_start_from_the_given_weights_and_keep_their_betas(unit_images):
    vae = models.dense_vae(hidden_units=32)
    model = fused.FusedDenseVAE.from_vae(vae, BETAS)
    eps = np.zeros((len(unit_images), 2), "float32")
    out = model.forward(unit_images, eps)
    assert out["x_hat"].shape == (3, len(unit_images), 784)
    z_mean, _ = prediction.encode(vae, unit_images)
    for run in range(3):
        np.testing.assert_allclose(out["z_mean"][run], z_mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(out["x_hat"][run], prediction.decode(vae, z_mean), rtol=1e-5, atol=1e-6)
        assert float(model.vae_of_run(run).beta.numpy()) == BETAS[run]
    _, terms = model.loss_terms(unit_images, out)
    np.testing.assert_allclose(terms[0][1], np.mean(losses.reconstruction_loss(unit_images, out["x_hat"][0])),
                               rtol=1e-5)


def test_fit_logs_each_run_with_its_own_beta(unit_images):
    model = fused.FusedDenseVAE(BETAS, hidden_units=16)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(unit_images, epochs=2, batch_size=4, validation_data=(unit_images,),
                        callbacks=[fused.RunSchedules([lambda t: 0.5 * t] * 3)], verbose=0)
    one = model.history_of_run(history.history, 1)
    assert one["beta"] == [0.0, 0.5]
    assert set(one) == {"beta", "loss", "reconstruction", "kl", "val_loss", "val_reconstruction",
                        "val_kl"}
    # the loss logged in epoch 1 (beta 0) is the reconstruction alone
    assert one["loss"][0] == pytest.approx(one["reconstruction"][0])


def test_bad_fused_inputs_are_named():
    with pytest.raises(ValueError, match="betas is empty"):
        fused.FusedDenseVAE([])
    with pytest.raises(ValueError, match="beta"):
        fused.FusedDenseVAE([1.0, -1.0])
    model = fused.FusedDenseVAE([1.0, 2.0], hidden_units=16)
    with pytest.raises(ValueError, match="one per run"):
        model.set_betas([1.0])
    with pytest.raises(ValueError, match="layer sizes differ"):
        model.set_run_weights(0, models.dense_vae(hidden_units=32))

