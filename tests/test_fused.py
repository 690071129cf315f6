import keras
import numpy as np
import pytest

from vae_helpers import fused, losses, models, prediction
from vae_helpers.config import set_seed

BETAS = [0.0, 1.0, 20.0]


def _weights(vae):
    return vae.encoder.get_weights() + vae.decoder.get_weights()


OPTIMIZERS = {"sgd": lambda: keras.optimizers.SGD(1e-3), "adam": lambda: keras.optimizers.Adam(1e-2)}


@pytest.fixture
def float64():
    """Build models in float64 for the test, then restore float32."""
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    yield
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy("float32")


@pytest.mark.parametrize("reconstruction, optimizer, floors", [
    ("bernoulli", "sgd", None), ("gaussian", "sgd", None), ("bernoulli", "adam", None),
    ("bernoulli", "sgd", [0.0, 0.5, 2.0])])   # each run with its own free-bits floor
def test_fused_fit_equals_separate_fits_given_the_same_noise(unit_images, reconstruction,
                                                             optimizer, floors, float64):
    # The real path: Keras' fit on the fused model (its own call, noise and loss)
    # against fit on separate VAEs whose Sampling layer has the same noise seed, so
    # every step draws the same noise (the sweep shares one noise stream between its
    # runs instead: equal in distribution, not in value).
    # The fused and separate steps compute the same sums in a different order, so
    # they differ by rounding only. In float64 (unit roundoff 1.1e-16) a gradient
    # component g comes out as g (1 + d) with |d| of order 1e-16 times the depth
    # of the computation; SGD passes this relative error on to each update, and
    # Adam's update m / (sqrt(v) + 1e-7) is Lipschitz in g with a constant below
    # 1 / 1e-7, so even a gradient near 0 moves by at most 1e-16 / 1e-7 = 1e-9 of
    # a step (lr = 1e-2). Over 6 steps that is far below 1e-9 in every weight, on
    # any CPU and any vector unit, while training moves every run by much more.
    x = unit_images.astype("float64")
    set_seed(0)
    start = models.dense_vae(hidden_units=[64, 32], reconstruction=reconstruction, seed=7)
    model = fused.FusedDenseVAE.from_vae(start, BETAS, seed=7, free_bits=floors)
    model.compile(optimizer=OPTIMIZERS[optimizer]())
    model.fit(x, epochs=3, batch_size=4, shuffle=False, verbose=0)
    for run, beta in enumerate(BETAS):
        vae = models.dense_vae(hidden_units=[64, 32], reconstruction=reconstruction, seed=7,
                               free_bits=floors[run] if floors else 0.0)
        vae.set_weights(start.get_weights())
        vae.beta.assign(beta)
        vae.compile(optimizer=OPTIMIZERS[optimizer]())
        vae.fit(x, epochs=3, batch_size=4, shuffle=False, verbose=0)
        want = np.concatenate([w.ravel() for w in _weights(vae)])
        got = np.concatenate([w.ravel() for w in _weights(model.vae_of_run(run))])
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
        initial = np.concatenate([w.ravel() for w in _weights(start)])
        assert np.all(np.isfinite(want)) and np.abs(want - initial).max() > 1e-4
        if floors and floors[run] and beta:   # the floor changed this run's training
            plain = models.dense_vae(hidden_units=[64, 32], reconstruction=reconstruction, seed=7)
            plain.set_weights(start.get_weights())
            plain.beta.assign(beta)
            plain.compile(optimizer=OPTIMIZERS[optimizer]())
            plain.fit(x, epochs=3, batch_size=4, shuffle=False, verbose=0)
            other = np.concatenate([w.ravel() for w in _weights(plain)])
            assert np.abs(other - want).max() > 1e-6


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

