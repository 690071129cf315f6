import keras
import numpy as np
import pytest

from vae_helpers import losses


def test_kl_standard_normal_closed_form():
    mean, log_var = np.array([[0.5, -1.0]]), np.log(np.array([[2.0, 0.25]]))
    var = np.exp(log_var)
    expected = 0.5 * (var + mean ** 2 - 1 - log_var)
    got = np.asarray(losses.kl_standard_normal(mean, log_var, reduction="none"))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(losses.kl_standard_normal(mean, log_var)),
                               expected.sum(axis=1), rtol=1e-6)
    assert float(np.asarray(losses.kl_standard_normal(np.zeros((1, 3)), np.zeros((1, 3))))[0]) == 0


def test_general_kl_reduces_to_standard_normal_and_is_positive():
    rng = np.random.default_rng(0)
    mq, lq = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    zeros = np.zeros_like(mq)
    np.testing.assert_allclose(np.asarray(losses.kl_gaussian(mq, lq, zeros, zeros)),
                               np.asarray(losses.kl_standard_normal(mq, lq)), rtol=1e-5)
    mp, lp = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    assert np.all(np.asarray(losses.kl_gaussian(mq, lq, mp, lp)) > 0)
    np.testing.assert_allclose(np.asarray(losses.kl_gaussian(mq, lq, mq, lq)), 0, atol=1e-6)


@pytest.mark.parametrize("mean_p, log_var_p", [(0.0, 0.0), (np.array([1.0, -2.0]), np.array([0.5, -1.0]))])
def test_monte_carlo_kl_agrees_with_closed_form(mean_p, log_var_p):
    mq, lq = np.array([0.3, 1.2]), np.array([-0.7, 0.4])
    estimate, se = losses.kl_monte_carlo(mq, lq, mean_p, log_var_p, n_samples=50_000, seed=1)
    exact = float(np.asarray(losses.kl_gaussian(mq[None], lq[None], np.broadcast_to(mean_p, (1, 2)),
                                                np.broadcast_to(log_var_p, (1, 2))))[0])
    assert 0 < se < 0.05
    assert abs(estimate - exact) < 4 * se


def test_bernoulli_nll_is_binary_cross_entropy_times_pixels(unit_images):
    rng = np.random.default_rng(2)
    probs = rng.uniform(0.01, 0.99, size=unit_images.shape).astype("float32")
    bce = np.asarray(keras.losses.binary_crossentropy(unit_images, probs))
    np.testing.assert_allclose(np.asarray(losses.bernoulli_nll(unit_images, probs, "mean")), bce, rtol=1e-4)
    np.testing.assert_allclose(np.asarray(losses.bernoulli_nll(unit_images, probs, "sum")), 784 * bce,
                               rtol=1e-4)


def test_bernoulli_nll_is_finite_at_saturated_outputs():
    x = np.array([[0.0, 1.0]], "float32")
    out = np.asarray(losses.bernoulli_nll(x, np.array([[1.0, 0.0]], "float32")))
    assert np.all(np.isfinite(out)) and out[0] > 20


def test_gaussian_nll_and_squared_error():
    x, mean = np.array([[0.0, 1.0, 0.5]]), np.array([[0.5, 0.5, 0.5]])
    sq = float(np.asarray(losses.squared_error(x, mean))[0])
    assert sq == pytest.approx(0.5)
    assert float(np.asarray(losses.squared_error(x, mean, "mean"))[0]) == pytest.approx(0.5 / 3)
    # with variance 1/2 the Gaussian NLL is the squared error plus a constant
    nll = float(np.asarray(losses.gaussian_nll(x, mean, variance=0.5))[0])
    assert nll == pytest.approx(sq + 3 * 0.5 * np.log(2 * np.pi * 0.5), rel=1e-6)
    # per pixel 0.5 log(2 pi v) + (x - mean)^2 / (2 v); the default is v = 1; "mean" averages pixels
    per_pixel = 0.5 * np.log(2 * np.pi) + (x - mean) ** 2 / 2
    np.testing.assert_allclose(np.asarray(losses.gaussian_nll(x, mean)), per_pixel.sum(1), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(losses.gaussian_nll(x, mean, 2.0, "mean")),
                               (0.5 * np.log(4 * np.pi) + (x - mean) ** 2 / 4).mean(1), rtol=1e-6)
    with pytest.raises(ValueError, match="'x': \(1, 3\), 'mean': \(1, 2\)"):
        losses.gaussian_nll(x, mean[:, :2])


def test_optimal_log_variance_is_the_log_of_the_mean_squared_error():
    x, x_hat = np.array([[0.0, 1.0], [0.5, 0.5]]), np.array([[0.5, 0.5], [0.5, 1.0]])
    assert float(losses.optimal_log_variance(x, x_hat)) == pytest.approx(np.log(0.75 / 4), rel=1e-6)
    assert float(losses.optimal_log_variance(x_hat, x)) == pytest.approx(np.log(0.75 / 4), rel=1e-6)
    # a perfect fit gives the floor, so the log stays finite
    assert float(losses.optimal_log_variance(x, x)) == pytest.approx(np.log(1e-6), rel=1e-6)
    assert float(losses.optimal_log_variance(x, x, floor=0.01)) == pytest.approx(np.log(0.01), rel=1e-6)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_vae_loss_of_half_precision_outputs_is_computed_in_float32(unit_images, dtype):
    # a mixed-precision model's outputs: the loss terms are those of the same values in float32
    rng = np.random.default_rng(0)
    outputs = [rng.uniform(0.05, 0.95, unit_images.shape), rng.normal(size=(8, 2)),
               rng.normal(size=(8, 2))]
    half = [keras.ops.cast(a, dtype) for a in outputs]
    same_values = [keras.ops.cast(a, "float32") for a in half]
    for got, want in zip(losses.vae_loss(unit_images, *half, beta=2.0),
                         losses.vae_loss(unit_images, *same_values, beta=2.0)):
        assert keras.backend.standardize_dtype(got.dtype) == "float32"
        assert float(got) == float(want)


def test_integer_images_are_read_as_float_pixels():
    x = np.array([[1, 0, 1]])
    probs = np.array([[0.9, 0.2, 0.6]], "float32")
    want = -np.sum(np.log([0.9, 0.8, 0.6]))
    assert float(np.asarray(losses.bernoulli_nll(x, probs, "sum"))[0]) == pytest.approx(want, rel=1e-6)


def test_vae_loss_combines_terms(unit_images):
    probs = np.full_like(unit_images, 0.5)
    mean, log_var = np.ones((8, 2), "float32"), np.zeros((8, 2), "float32")
    total, recon, kl = (float(np.asarray(t)) for t in
                        losses.vae_loss(unit_images, probs, mean, log_var, beta=3.0))
    assert recon == pytest.approx(784 * np.log(2), rel=1e-5)
    assert kl == pytest.approx(1.0, rel=1e-6)
    assert total == pytest.approx(recon + 3 * kl, rel=1e-6)


def test_free_bits_floors_each_dimension_after_averaging_over_the_batch():
    # dimension 0: KL 2.0 for one example and 0 for the other (batch mean 1.0);
    # dimension 1: KL 0 for both
    mean = np.array([[2.0, 0.0], [0.0, 0.0]])
    log_var = np.zeros((2, 2))
    assert np.isclose(float(losses.free_bits_kl(mean, log_var, 0.0)), 1.0)
    assert np.isclose(float(losses.free_bits_kl(mean, log_var, 0.5)), 1.0 + 0.5)
    assert np.isclose(float(losses.free_bits_kl(mean, log_var, 1.5)), 1.5 + 1.5)
    # a floor applied per example before the batch mean would give (2 + 0.5 + 0.5 + 0.5) / 2
    assert not np.isclose(float(losses.free_bits_kl(mean, log_var, 0.5)), 1.75)


def test_free_bits_enter_the_total_only():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(8, 784)).astype("float32")
    x_hat = rng.uniform(0.05, 0.95, size=(8, 784)).astype("float32")
    mean, log_var = rng.normal(scale=0.1, size=(8, 4)), np.zeros((8, 4))
    plain = [float(t) for t in losses.vae_loss(x, x_hat, mean, log_var, beta=2.0)]
    floored = [float(t) for t in losses.vae_loss(x, x_hat, mean, log_var, beta=2.0, free_bits=0.5)]
    assert floored[1:] == plain[1:]                      # reconstruction and reported KL
    assert np.isclose(floored[0], plain[1] + 2.0 * 4 * 0.5, rtol=1e-6)   # every dim below the floor


def test_squared_error_plus_beta_kl_is_a_gaussian_decoder_with_variance_beta_over_two():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(8, 784)).astype("float64")
    x_hat = rng.uniform(size=(8, 784)).astype("float64")
    mean, log_var = rng.normal(size=(8, 3)), rng.normal(scale=0.3, size=(8, 3))
    for beta in (0.5, 4.0):
        squared, _, _ = losses.vae_loss(x, x_hat, mean, log_var, beta=beta, reconstruction="gaussian")
        elbo, _, _ = losses.vae_loss(x, x_hat, mean, log_var, beta=1.0, reconstruction="gaussian",
                                     log_variance=np.log(beta / 2))
        constant = 784 / 2 * np.log(2 * np.pi * beta / 2)
        assert np.isclose(float(squared) / beta, float(elbo) - constant, rtol=1e-10)


def test_a_learned_variance_enters_the_reconstruction_term():
    rng = np.random.default_rng(2)
    x = rng.uniform(size=(4, 784))
    x_hat = np.clip(x + rng.normal(scale=0.1, size=x.shape), 0, 1)
    mean, log_var = np.zeros((4, 2)), np.zeros((4, 2))
    squared = np.sum((x - x_hat) ** 2, axis=1).mean()
    for variance in (0.01, 0.5, 2.0):
        _, recon, _ = losses.vae_loss(x, x_hat, mean, log_var, reconstruction="gaussian",
                                      log_variance=np.log(variance))
        assert np.isclose(float(recon), squared / (2 * variance)
                          + 784 / 2 * np.log(2 * np.pi * variance), rtol=1e-10)
    with pytest.raises(ValueError, match="gaussian"):
        losses.vae_loss(x, x_hat, mean, log_var, log_variance=0.0)


def test_gaussian_log_density_is_the_normal_log_pdf():
    from scipy import stats

    z, mean, log_var = np.array([0.3, -2.0]), np.array([0.0, 1.0]), np.array([0.0, np.log(4.0)])
    np.testing.assert_allclose(losses.gaussian_log_density(z, mean, log_var),
                               stats.norm.logpdf(z, mean, np.exp(0.5 * log_var)), rtol=1e-12)
