"""Models whose answers are exact: a linear-Gaussian latent-variable model (log p(x) and
p(z|x)) and probabilistic PCA (which latent dimensions the optimum keeps)."""

import math

import numpy as np

from . import losses
from .validation import check_number, check_same_shape, check_size, check_values


class LinearGaussian:
    """z ~ N(0, 1) (one latent dimension), x | z ~ N(w z + b, noise_var I).

    The evidence p(x) = N(b, w w^T + noise_var I) and the posterior p(z|x)
    are Gaussian, so the ELBO of any Gaussian q(z) = N(mean, exp(log_var))
    can be compared with log p(x) exactly.
    """

    def __init__(self, w, b, noise_var):
        self.w = np.asarray(check_values("w", w), dtype="float64").ravel()
        self.b = np.asarray(check_values("b", b), dtype="float64").ravel()
        check_same_shape(w=self.w, b=self.b)
        self.noise_var = check_number("noise_var", noise_var, low_inclusive=False)

    def _x(self, x):
        """``x`` as float64 after checking it has one entry per data dimension."""
        x = np.asarray(check_values("x", x), dtype="float64")
        check_same_shape(x=x, b=self.b)
        return x

    def log_evidence(self, x):
        """log p(x), from the marginal Gaussian N(b, w w^T + noise_var I)."""
        diff = self._x(x) - self.b
        cov = np.outer(self.w, self.w) + self.noise_var * np.eye(len(self.w))
        _, logdet = np.linalg.slogdet(cov)
        return float(-0.5 * (len(diff) * math.log(2 * math.pi) + logdet
                             + diff @ np.linalg.solve(cov, diff)))

    def log_joint(self, x, z):
        """log p(x, z) = log p(z) + log p(x | z) for an array of scalar z."""
        z = np.asarray(z, dtype="float64")[..., None]
        log_prior = losses.gaussian_log_density(z[..., 0], 0.0, 0.0)
        log_lik = losses.gaussian_log_density(x, self.w * z + self.b,
                                              math.log(self.noise_var)).sum(axis=-1)
        return log_prior + log_lik

    def posterior(self, x):
        """(mean, variance) of the Gaussian posterior p(z | x)."""
        variance = 1.0 / (1.0 + self.w @ self.w / self.noise_var)
        mean = variance * self.w @ (self._x(x) - self.b) / self.noise_var
        return float(mean), float(variance)

    def elbo(self, x, mean, log_var):
        """Closed-form ELBO of q(z) = N(mean, exp(log_var)):
        E_q[log p(x|z)] - KL(q || N(0, 1))."""
        x = self._x(x)
        var = math.exp(check_number("log_var", log_var, low=-math.inf))
        residual = x - self.w * mean - self.b
        expected_log_lik = (-0.5 * len(x) * math.log(2 * math.pi * self.noise_var)
                            - (residual @ residual + var * self.w @ self.w) / (2 * self.noise_var))
        kl = float(np.asarray(losses.kl_standard_normal(np.array([[mean]], dtype='float64'),
                                                         np.array([[log_var]], dtype='float64')))[0])
        return float(expected_log_lik - kl)


def data_spectrum(x):
    """Eigenvalues of the data covariance (1/N, the maximum-likelihood estimate), largest
    first: the variances of the data along its principal directions."""
    x = np.asarray(check_values("x", x), dtype="float64")
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"x has shape {x.shape}; expected (n, d) with n >= 2 examples.")
    centred = x - x.mean(axis=0)
    return np.linalg.eigvalsh(centred.T @ centred / len(x))[::-1].clip(min=0.0)


def ppca_kl_per_dimension(eigenvalues, noise_var, latent_dim):
    """Per-dimension KL, averaged over the data, of the optimal linear VAE (probabilistic
    PCA; Tipping and Bishop 1999, Lucas et al. 2019) with pixel variance ``noise_var``.

    A principal direction with data variance lambda > noise_var is kept, with posterior
    variance noise_var / lambda and average KL log(lambda / noise_var) / 2; a direction with
    lambda <= noise_var is switched off (its posterior is the prior, KL 0). Returns the
    ``latent_dim`` values for the largest eigenvalues.
    """
    eigenvalues = np.sort(np.asarray(check_values("eigenvalues", eigenvalues),
                                     dtype="float64").ravel())[::-1]
    noise_var = check_number("noise_var", noise_var, low_inclusive=False)
    top = eigenvalues[:check_size("latent_dim", latent_dim)]
    top = np.pad(top, (0, latent_dim - len(top)))
    return np.where(top > noise_var, 0.5 * np.log(np.maximum(top, noise_var) / noise_var), 0.0)
