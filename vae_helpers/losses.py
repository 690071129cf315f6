"""The terms of the VAE loss: KL divergences and reconstruction likelihoods.

Every function takes numpy arrays or backend tensors (it uses ``keras.ops``),
so the model and the derivation notebook share one implementation. Results
are backend tensors; ``np.asarray`` turns them into numpy.
"""

import math

import keras
import numpy as np
from keras import ops

from .validation import (check_beta, check_choice, check_number, check_same_shape, check_seed,
                         check_size, check_values)

REDUCTIONS = ("sum", "mean", "none")
RECONSTRUCTIONS = ("bernoulli", "gaussian")
# Probabilities are clipped to [EPS, 1 - EPS] before taking logs (as Keras' BCE does).
EPS = 1e-7


def _tensors(first, *rest):
    """Convert arrays to backend tensors of one float dtype (that of ``first``)."""
    first = ops.convert_to_tensor(first)
    if "float" not in keras.backend.standardize_dtype(first.dtype):
        first = ops.cast(first, "float32")
    return (first, *(ops.convert_to_tensor(a, dtype=first.dtype) for a in rest))


def _reduce(values, reduction):
    """Sum or average over every axis but the first (the batch), or keep all; a 1-D
    array is one example, reduced to a scalar."""
    if reduction == "none" or not values.shape:
        return values
    axes = tuple(range(1, len(values.shape))) or (0,)  # a 1-D array is one example
    return ops.sum(values, axis=axes) if reduction == "sum" else ops.mean(values, axis=axes)


def kl_standard_normal(mean, log_var, reduction="sum"):
    """KL(N(mean, exp(log_var)) || N(0, I)) for diagonal Gaussians.

    Per dimension it is ``-0.5 * (1 + log_var - mean**2 - exp(log_var))``;
    ``reduction="sum"`` adds the dimensions of each example (the VAE's KL term),
    ``"none"`` keeps them (per-dimension KL).
    """
    check_choice("reduction", reduction, REDUCTIONS)
    check_same_shape(mean=mean, log_var=log_var)
    mean, log_var = check_values("mean", mean), check_values("log_var", log_var)
    mean, log_var = _tensors(mean, log_var)
    per_dim = -0.5 * (1.0 + log_var - ops.square(mean) - ops.exp(log_var))
    return _reduce(per_dim, reduction)


def kl_gaussian(mean_q, log_var_q, mean_p, log_var_p, reduction="sum"):
    """KL(N(mean_q, exp(log_var_q)) || N(mean_p, exp(log_var_p))), diagonal.

    Per dimension: ``0.5 * (log_var_p - log_var_q + (var_q + (mean_q - mean_p)**2) / var_p - 1)``.
    """
    check_choice("reduction", reduction, REDUCTIONS)
    check_same_shape(mean_q=mean_q, log_var_q=log_var_q, mean_p=mean_p, log_var_p=log_var_p)
    for name, values in (("mean_q", mean_q), ("log_var_q", log_var_q), ("mean_p", mean_p),
                         ("log_var_p", log_var_p)):
        check_values(name, values)
    mean_q, log_var_q, mean_p, log_var_p = _tensors(mean_q, log_var_q, mean_p, log_var_p)
    per_dim = 0.5 * (log_var_p - log_var_q
                     + (ops.exp(log_var_q) + ops.square(mean_q - mean_p)) / ops.exp(log_var_p)
                     - 1.0)
    return _reduce(per_dim, reduction)


def gaussian_log_density(z, mean, log_var):
    """Elementwise log N(z; mean, exp(log_var)) in numpy (float64)."""
    z, mean, log_var = (np.asarray(a, dtype="float64") for a in (z, mean, log_var))
    return -0.5 * (math.log(2 * math.pi) + log_var + (z - mean) ** 2 / np.exp(log_var))


def kl_monte_carlo(mean_q, log_var_q, mean_p=0.0, log_var_p=0.0, n_samples=10_000, seed=0):
    """Monte Carlo estimate of KL(q || p) for one diagonal Gaussian pair.

    Draws ``n_samples`` z ~ q and averages log q(z) - log p(z) summed over
    dimensions. Returns ``(estimate, standard_error)`` as floats.
    """
    check_size("n_samples", n_samples, low=2)
    for name, values in (("mean_q", mean_q), ("log_var_q", log_var_q), ("mean_p", mean_p),
                         ("log_var_p", log_var_p)):
        check_values(name, values)
    mean_q, log_var_q = np.atleast_1d(mean_q).astype("float64"), np.atleast_1d(log_var_q)
    check_same_shape(mean_q=mean_q, log_var_q=log_var_q)
    check_same_shape(broadcast=True, mean_q=mean_q, mean_p=mean_p, log_var_p=log_var_p)
    rng = np.random.default_rng(check_seed(seed, allow_none=True))
    z = mean_q + np.exp(0.5 * log_var_q) * rng.standard_normal((n_samples, *mean_q.shape))
    log_ratio = (gaussian_log_density(z, mean_q, log_var_q)
                 - gaussian_log_density(z, mean_p, log_var_p)).reshape(n_samples, -1).sum(axis=1)
    return float(log_ratio.mean()), float(log_ratio.std(ddof=1) / math.sqrt(n_samples))


def bernoulli_nll(x, probs, reduction="sum"):
    """Negative log-likelihood of ``x`` under independent Bernoulli(``probs``).

    ``-(x log p + (1 - x) log(1 - p))`` per pixel, i.e. binary cross-entropy;
    ``"sum"`` adds the pixels of each example (nats per image), ``"mean"``
    averages them (what ``keras.losses.binary_crossentropy`` returns).
    """
    check_choice("reduction", reduction, REDUCTIONS)
    check_same_shape(x=x, probs=probs)
    x, probs = check_values("x", x, unit_range=True), check_values("probs", probs, unit_range=True)
    x, probs = _tensors(x, probs)
    probs = ops.clip(probs, EPS, 1.0 - EPS)
    per_pixel = -(x * ops.log(probs) + (1.0 - x) * ops.log(1.0 - probs))
    return _reduce(per_pixel, reduction)


def gaussian_nll(x, mean, variance=1.0, reduction="sum"):
    """Negative log-likelihood of ``x`` under independent N(``mean``, ``variance``).

    Per pixel: ``0.5 * log(2 pi variance) + (x - mean)**2 / (2 variance)``.
    """
    check_choice("reduction", reduction, REDUCTIONS)
    check_same_shape(x=x, mean=mean)
    x, mean = check_values("x", x), check_values("mean", mean)
    variance = check_values("variance", variance, positive=True)
    x, mean, variance = _tensors(x, mean, variance)
    per_pixel = 0.5 * math.log(2 * math.pi) + 0.5 * ops.log(variance) \
        + ops.square(x - mean) / (2.0 * variance)
    return _reduce(per_pixel, reduction)


def squared_error(x, x_hat, reduction="sum"):
    """``(x - x_hat)**2`` summed (m * MSE) or averaged (MSE) per example."""
    check_choice("reduction", reduction, REDUCTIONS)
    check_same_shape(x=x, x_hat=x_hat)
    x, x_hat = check_values("x", x), check_values("x_hat", x_hat)
    x, x_hat = _tensors(x, x_hat)
    return _reduce(ops.square(x - x_hat), reduction)


def reconstruction_loss(x, x_hat, kind="bernoulli"):
    """Per-example reconstruction term, summed over pixels.

    ``"bernoulli"``: Bernoulli NLL (BCE * m); ``"gaussian"``: squared error
    (MSE * m), the Gaussian NLL with variance 1/2 up to a constant.
    """
    if check_choice("reconstruction", kind, RECONSTRUCTIONS) == "bernoulli":
        return bernoulli_nll(x, x_hat, reduction="sum")
    return squared_error(x, x_hat, reduction="sum")


def free_bits_kl(mean, log_var, floor):
    """The KL term with free bits (Kingma et al. 2016): each dimension's KL, averaged over
    the batch first, counts as at least ``floor`` nats, sum_j max(floor, mean_batch KL_j).

    A dimension whose average KL is below the floor gets no gradient from the KL, so the
    objective no longer pays to switch it off completely.
    """
    per_dim = ops.mean(kl_standard_normal(mean, log_var, reduction="none"), axis=0)
    return ops.sum(ops.maximum(per_dim, ops.cast(floor, per_dim.dtype)))


def optimal_log_variance(x, x_hat, floor=1e-6):
    """log of the pixel variance that maximises the Gaussian likelihood of ``x`` given the
    decoder's means ``x_hat``: the mean squared error per pixel over the batch (the "optimal
    sigma" of Rybkin et al. 2021), floored at ``floor`` so a perfect fit stays finite."""
    x, x_hat = _tensors(x, x_hat)
    return ops.log(ops.maximum(ops.mean(ops.square(x - x_hat)), floor))


def vae_loss(x, x_hat, z_mean, z_log_var, beta=1.0, reconstruction="bernoulli", free_bits=0.0,
             log_variance=None):
    """The (beta-weighted) negative ELBO averaged over the batch.

    Returns ``(total, reconstruction, kl)``, each a scalar in nats per example:
    ``total = reconstruction + beta * kl``, the one place the package forms it. With
    ``free_bits`` > 0 the KL inside ``total`` is ``free_bits_kl`` (the reported ``kl`` stays
    the plain KL). With ``log_variance`` (a scalar, "gaussian" only) the reconstruction
    is the Gaussian negative log-likelihood with that pixel variance instead of the
    squared error.
    """
    if not ops.is_tensor(beta) and not isinstance(beta, keras.Variable):
        beta = check_beta(beta)
    free_bits = check_number("free_bits", free_bits)
    # under a mixed-precision policy the model outputs bfloat16/float16: the loss is float32
    x_hat, z_mean, z_log_var = (_at_least_float32(a) for a in (x_hat, z_mean, z_log_var))
    if log_variance is None:
        recon = ops.mean(reconstruction_loss(x, x_hat, reconstruction))
    else:
        if reconstruction != "gaussian":
            raise ValueError("a learned pixel variance needs reconstruction='gaussian'.")
        x, x_hat = _tensors(x, x_hat)
        variance = ops.exp(ops.cast(log_variance, x_hat.dtype))
        recon = ops.mean(gaussian_nll(x, x_hat, variance=variance, reduction="sum"))
    kl = ops.cast(ops.mean(kl_standard_normal(z_mean, z_log_var)), recon.dtype)
    kl_term = kl if not free_bits else ops.cast(free_bits_kl(z_mean, z_log_var, free_bits),
                                                recon.dtype)
    return recon + ops.cast(beta, kl.dtype) * kl_term, recon, kl


def _at_least_float32(a):
    if ops.is_tensor(a) and keras.backend.standardize_dtype(a.dtype) in ("bfloat16", "float16"):
        return ops.cast(a, "float32")
    return a
