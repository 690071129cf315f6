import numpy as np
import pytest

from vae_helpers.toy_models import LinearGaussian, data_spectrum, ppca_kl_per_dimension

MODEL = LinearGaussian(w=[1.0, -0.5, 2.0], b=[0.1, 0.0, -0.3], noise_var=0.4)
X = np.array([0.8, -0.2, 1.5])


def test_evidence_matches_numerical_integration():
    z = np.linspace(-10, 10, 20001)
    integral = np.trapezoid(np.exp(MODEL.log_joint(X, z)), z)
    assert MODEL.log_evidence(X) == pytest.approx(np.log(integral), rel=1e-8)


def test_posterior_is_normalised_joint():
    mean, var = MODEL.posterior(X)
    z = np.linspace(-10, 10, 20001)
    density = np.exp(MODEL.log_joint(X, z) - MODEL.log_evidence(X))
    assert np.trapezoid(z * density, z) == pytest.approx(mean, rel=1e-6)
    assert np.trapezoid((z - mean) ** 2 * density, z) == pytest.approx(var, rel=1e-6)


def test_elbo_bound_and_equality_at_posterior():
    mean, var = MODEL.posterior(X)
    assert MODEL.elbo(X, mean, np.log(var)) == pytest.approx(MODEL.log_evidence(X), abs=1e-9)
    for m, lv in [(0.0, 0.0), (mean + 0.3, np.log(var)), (mean, np.log(var) + 1)]:
        assert MODEL.elbo(X, m, lv) < MODEL.log_evidence(X)


def test_data_spectrum_is_the_covariance_eigen_decomposition():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6))
    centred = x - x.mean(axis=0)
    direct = np.sort(np.linalg.eig(centred.T @ centred / len(x))[0].real)[::-1]
    np.testing.assert_allclose(data_spectrum(x), direct, rtol=1e-10)


def test_ppca_keeps_the_directions_above_the_noise_variance():
    kl = ppca_kl_per_dimension([8.0, 4.0, 2.0, 1.0, 0.5], noise_var=2.0, latent_dim=4)
    np.testing.assert_allclose(kl, [0.5 * np.log(4), 0.5 * np.log(2), 0.0, 0.0])
    np.testing.assert_allclose(ppca_kl_per_dimension([3.0], 1.0, 3), [0.5 * np.log(3), 0, 0])


def test_a_trained_linear_vae_reaches_the_ppca_solution():
    """A linear VAE with Gaussian decoder variance s2 (squared error + 2 s2 KL), trained by
    Keras on data with a known spectrum, keeps the directions whose variance exceeds s2,
    each with KL log(lambda / s2) / 2 (Lucas et al. 2019)."""
    import keras

    from vae_helpers import diagnostics, models, training
    from vae_helpers.config import set_seed

    set_seed(0)
    rng = np.random.default_rng(0)
    variances = np.array([9.0, 4.0, 0.25, 0.25, 0.25, 0.25])
    basis, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    x = (rng.normal(size=(4000, 6)) * np.sqrt(variances)) @ basis.T
    noise_var = 1.0
    inputs = keras.Input((6,))
    z_mean, z_log_var = keras.layers.Dense(3)(inputs), keras.layers.Dense(3)(inputs)
    encoder = keras.Model(inputs, [z_mean, z_log_var, models.Sampling(seed=0)([z_mean, z_log_var])])
    decoder = keras.Sequential([keras.Input((3,)), keras.layers.Dense(6)])
    vae = models.VAE(encoder, decoder, beta=2 * noise_var, reconstruction="gaussian")
    vae.compile(optimizer=keras.optimizers.Adam(1e-2), **training.compile_settings(vae))
    vae.fit(training.array_dataset(x.astype("float32"), 200, unit_range=False), epochs=60,
            verbose=0)
    kl = np.sort(diagnostics.per_dimension_kl(vae, x.astype("float32")))[::-1]
    expected = ppca_kl_per_dimension(data_spectrum(x), noise_var, 3)
    # the two kept directions within 0.05 nats of log(lambda / s2) / 2; the third switched off
    np.testing.assert_allclose(kl, expected, atol=0.05)
    assert expected[2] == 0 and expected[1] > 0.3
