import numpy as np
import pytest

from vae_helpers.toy_models import LinearGaussian

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
