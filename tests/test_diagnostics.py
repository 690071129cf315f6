import keras
import numpy as np
import pytest

from vae_helpers import diagnostics, losses, models, prediction


@pytest.fixture(scope="module")
def trained(mnist_small):
    keras.utils.set_random_seed(0)
    model = models.dense_vae(hidden_units=64, latent_dim=4)
    model.compile(optimizer="adam")
    model.fit(mnist_small.x_train, epochs=3, batch_size=64, verbose=0)
    return model, mnist_small.x_test[:64]


def test_per_dimension_kl_sums_to_the_kl_term(trained):
    model, x = trained
    per_dim = diagnostics.per_dimension_kl(model, x)
    z_mean, z_log_var = prediction.encode(model, x)
    assert per_dim.shape == (4,) and np.all(per_dim >= 0)
    assert per_dim.sum() == pytest.approx(float(np.mean(losses.kl_standard_normal(z_mean, z_log_var))),
                                          rel=1e-5)


def test_active_units_counts_variances_above_threshold(trained):
    model, x = trained
    count, variances = diagnostics.active_units(model, x)
    assert count == int(np.sum(variances > 0.01))
    assert diagnostics.active_units(model, x, threshold=np.inf)[0] == 0


def test_rate_distortion(trained):
    model, x = trained
    rd = diagnostics.rate_distortion(model, x)
    assert rd["rate"] == pytest.approx(diagnostics.per_dimension_kl(model, x).sum(), rel=1e-5)
    assert 0 < rd["distortion"] < 784 * np.log(2) * 2


def test_importance_sampling_bound_is_above_the_elbo(trained):
    model, x = trained
    log_px, elbo = diagnostics.importance_sampled_log_likelihood(model, x, k=64)
    assert log_px.shape == elbo.shape == (64,)
    assert np.all(log_px >= elbo - 1e-6)           # log-mean-exp >= mean, sample by sample
    log_px_1, elbo_1 = diagnostics.importance_sampled_log_likelihood(model, x, k=1)
    np.testing.assert_allclose(log_px_1, elbo_1, rtol=1e-6)   # k = 1 is the ELBO
    assert log_px.mean() > log_px_1.mean()         # more samples: a tighter bound
    with pytest.raises(ValueError, match="k must be"):
        diagnostics.importance_sampled_log_likelihood(model, x, k=0)


def test_gaussian_log_likelihood_is_squared_error_plus_constant():
    x, x_hat = np.zeros((2, 4)), np.full((2, 4), 0.5)
    ll = diagnostics.log_likelihood(x, x_hat, "gaussian")
    np.testing.assert_allclose(-ll, 4 * 0.25 + 4 * 0.5 * np.log(np.pi), rtol=1e-6)
