import keras
import numpy as np
import pytest

from vae_helpers import diagnostics, models
from vae_helpers.toy_models import LinearGaussian


# A linear-Gaussian model written as a VAE: x | z ~ N(w z + b, I/2), the "gaussian"
# reconstruction, whose evidence and posterior are exact (toy_models.LinearGaussian),
# with an encoder giving that posterior shifted by (mean_shift, log_var_shift) and a
# second latent dimension, N(idle_mean, 1) for every x, that the decoder ignores.
W, B = np.array([1.0, -0.5, 2.0]), np.array([0.1, 0.2, -0.3])
TOY = LinearGaussian(W, B, noise_var=0.5)


def _toy_vae(mean_shift=0.0, log_var_shift=0.0, idle_mean=0.0):
    post_var = 1.0 / (1.0 + W @ W / TOY.noise_var)
    a = post_var * W / TOY.noise_var             # posterior mean = a . (x - b)
    x = keras.Input((3,))
    z_mean = keras.layers.Dense(2)(x)
    z_log_var = keras.layers.Dense(2)(x)
    z = models.Sampling(seed=0)([z_mean, z_log_var])
    encoder = keras.Model(x, [z_mean, z_log_var, z])
    encoder.layers[1].set_weights([np.stack([a, 0 * a], 1), np.array([mean_shift - a @ B, idle_mean])])
    encoder.layers[2].set_weights([np.zeros((3, 2)),
                                   np.array([np.log(post_var) + log_var_shift, 0.0])])
    latent = keras.Input((2,))
    decoder = keras.Model(latent, keras.layers.Dense(3)(latent))
    decoder.layers[1].set_weights([np.stack([W, 0 * W]), B])
    return models.VAE(encoder, decoder, reconstruction="gaussian"), a, post_var


def _toy_data(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 1)) * W + B
            + np.sqrt(TOY.noise_var) * rng.standard_normal((n, 3))).astype("float32")


def test_per_dimension_kl_against_the_closed_form():
    x = _toy_data(500)
    model, a, post_var = _toy_vae(mean_shift=0.4, idle_mean=0.3)
    m = (x - B) @ a + 0.4
    np.testing.assert_allclose(diagnostics.per_dimension_kl(model, x),
                               [np.mean(0.5 * (m ** 2 + post_var - 1 - np.log(post_var))),
                                0.5 * 0.3 ** 2], rtol=1e-4)


def test_active_units_are_the_variances_of_the_encoder_means():
    x = _toy_data(500)
    model, a, _ = _toy_vae()
    count, variances = diagnostics.active_units(model, x)
    # independent: Var(a . x) = a^T Cov(x) a for the moving dimension, 0 for the other
    np.testing.assert_allclose(variances, [a @ np.cov(x.T, ddof=0) @ a, 0.0], rtol=1e-4, atol=1e-9)
    assert count == 1 and diagnostics.active_units(model, x, threshold=variances[0] * 2)[0] == 0


def test_rate_and_distortion_against_their_closed_forms():
    x = _toy_data(2000)
    model, a, post_var = _toy_vae(mean_shift=0.4, idle_mean=0.3)
    m = (x - B) @ a + 0.4
    rd = diagnostics.rate_distortion(model, x)
    # rate: the KL of N(m, v) and of N(0.3, 1) from N(0, 1), in closed form
    rate = np.mean(0.5 * (m ** 2 + post_var - 1 - np.log(post_var))) + 0.5 * 0.3 ** 2
    assert rd["rate"] == pytest.approx(rate, rel=1e-4)
    # distortion, one z per example: ||x - w z - b||^2 has mean |r|^2 + v |w|^2 with
    # r = x - w m - b, and variance 4 v (r . w)^2 + 2 v^2 |w|^4
    r = x - np.outer(m, W) - B
    expected = np.mean((r ** 2).sum(1) + post_var * W @ W)
    se = np.sqrt(np.mean(4 * post_var * (r @ W) ** 2 + 2 * post_var ** 2 * (W @ W) ** 2) / len(x))
    assert abs(rd["distortion"] - expected) < 5 * se


def test_importance_sampling_is_exact_with_the_true_posterior():
    # with q = p(z|x) (and the idle dimension's q equal to its prior) every importance
    # weight equals p(x): the estimate is log p(x) for any k, up to float32 rounding,
    # and the ELBO equals it too
    x = _toy_data(8)
    model, _, _ = _toy_vae()
    log_px, elbo = diagnostics.importance_sampled_log_likelihood(model, x, k=5)
    exact = np.array([TOY.log_evidence(v) for v in x])
    np.testing.assert_allclose(log_px, exact, atol=2e-4)
    np.testing.assert_allclose(elbo, exact, atol=2e-4)


def test_importance_sampling_closes_the_gap_of_a_wrong_posterior():
    x = _toy_data(4)
    model, a, post_var = _toy_vae(mean_shift=0.8, log_var_shift=0.7)
    exact = np.array([TOY.log_evidence(v) for v in x])
    closed_elbo = np.array([TOY.elbo(v, (v - B) @ a + 0.8, np.log(post_var) + 0.7) for v in x])
    assert np.all(exact - closed_elbo > 0.3)  # the shifted posterior leaves a real gap
    log_px, elbo = diagnostics.importance_sampled_log_likelihood(model, x, k=20_000, chunk=1)
    # the averaged log-weights estimate the closed-form ELBO; the log-mean-exp of the same
    # weights lands within a tenth of the gap of log p(x)
    np.testing.assert_allclose(elbo, closed_elbo, atol=0.05)
    assert np.all(np.abs(log_px - exact) < 0.1 * (exact - closed_elbo))
    with pytest.raises(ValueError, match="k must be"):
        diagnostics.importance_sampled_log_likelihood(model, x, k=0)


def test_gaussian_log_likelihood_is_squared_error_plus_constant():
    x, x_hat = np.zeros((2, 4)), np.full((2, 4), 0.5)
    ll = diagnostics.log_likelihood(x, x_hat, "gaussian")
    np.testing.assert_allclose(-ll, 4 * 0.25 + 4 * 0.5 * np.log(np.pi), rtol=1e-6)
