"""What a trained VAE uses its latent space for: per-dimension KL, active
units, rate and distortion, the split of the KL into information and marginal
KL, an importance-sampled log-likelihood, and how often training closed a dimension."""

import math

import numpy as np

from . import losses
from .prediction import decode, encode
from .validation import (check_choice, check_encodings, check_images, check_labels,
                         check_number, check_path, check_seed, check_size, check_vae_images)

ACTIVE_THRESHOLD = 0.01  # Burda et al. (2016): Var_x(E_q[z_j]) above 0.01 counts as active
CLOSED_BELOW = 0.1  # nats: a latent dimension whose KL is below this is at the prior


def monte_carlo_z(label, estimate, standard_error, exact):
    """Print a Monte Carlo estimate beside the exact value and return |difference| / SE.

    The series' tolerance policy: every Monte Carlo comparison uses a fixed
    seed and passes when this z-score is at most 4 (a chance failure rate
    under 1 in 10,000 for an unbiased estimator).
    """
    estimate, exact = (check_number(name, v, low=-math.inf)
                       for name, v in (("estimate", estimate), ("exact", exact)))
    standard_error = check_number("standard_error", standard_error, low_inclusive=False)
    z = abs(estimate - exact) / standard_error
    print(f"{label}: Monte Carlo {estimate:.4f} ± {standard_error:.4f} (1 SE), exact {exact:.4f}, "
          f"|difference| = {z:.1f} SE (tolerance 4 SE)")
    return z


def per_dimension_kl(model, x):
    """KL(q(z_j|x) || N(0, 1)) for each latent dimension j, averaged over ``x`` (nats)."""
    z_mean, z_log_var = encode(model, x)
    return np.mean(np.asarray(losses.kl_standard_normal(z_mean, z_log_var, reduction="none")), axis=0)


def closed_runs(path, closed_below=CLOSED_BELOW):
    """The runs of ``benchmarks/conv_closed_dimension.py`` (one training per variant and seed):
    ``{variant: {seed: (test_loss, closed)}}``, where ``closed`` says the run ended with a latent
    dimension whose KL is below ``closed_below`` nats."""
    import json
    import pathlib

    path = pathlib.Path(check_path("path", path))
    if not path.exists():
        raise FileNotFoundError(f"{str(path)!r} not found: it is written by "
                                "benchmarks/conv_closed_dimension.py in the series' repository.")
    closed_below = check_number("closed_below", closed_below, low_inclusive=False)
    variants = {}
    for key, run in json.loads(path.read_text()).items():
        variant, seed = key.rsplit("|", 1)
        variants.setdefault(variant, {})[int(seed)] = (
            run["test_loss"], bool(min(run["kl_per_dimension"]) < closed_below))
    return variants


def closed_dimensions(path, closed_below=CLOSED_BELOW):
    """One row per variant of :func:`closed_runs`: how many runs closed a dimension, their
    share with its standard error and their seeds, and the test loss (mean and SE over seeds,
    median, and the mean of the runs with and without a closed dimension)."""
    import pandas as pd

    rows = []
    for variant, runs in closed_runs(path, closed_below).items():
        seeds = sorted(runs)
        n, loss = len(seeds), np.array([runs[s][0] for s in seeds])
        closed = np.array([runs[s][1] for s in seeds])
        share = closed.mean()
        rows.append({
            "variant": variant, "seeds": n, "closed a dimension": int(closed.sum()),
            "share": share, "share SE": math.sqrt(share * (1 - share) / n),
            "seeds that closed one": ", ".join(str(s) for s in seeds if runs[s][1]),
            "test loss, mean": loss.mean(),
            "SE": loss.std(ddof=1) / math.sqrt(n) if n > 1 else math.nan,
            "median": float(np.median(loss)),
            "mean, none closed": loss[~closed].mean() if (~closed).any() else math.nan,
            "mean, one closed": loss[closed].mean() if closed.any() else math.nan})
    return pd.DataFrame(rows).set_index("variant")


def closed_pair(path, a, b, closed_below=CLOSED_BELOW):
    """Variants ``a`` and ``b`` of :func:`closed_runs` seed by seed, over the seeds both ran (one
    seed gives both the same initial weights). Returns a dict: ``seeds``; the paired test-loss
    difference a - b (``loss_difference`` and its ``loss_difference_se``); how many seeds closed a
    dimension in ``both``, ``only_a`` and ``only_b``; the overlap independent runs would give
    (``expected_both``) and the hypergeometric p of one as large (``p_overlap``); and the sign
    test on the seeds where only one of the two closed a dimension (``p_paired``)."""
    from scipy import stats

    runs = closed_runs(path, closed_below)
    for name, variant in (("a", a), ("b", b)):
        if variant not in runs:
            raise ValueError(f"{name}={variant!r} has no runs in {str(path)!r}; "
                             f"its variants are {sorted(runs)}.")
    seeds = sorted(set(runs[a]) & set(runs[b]))
    x, y = ([runs[v][s][1] for s in seeds] for v in (a, b))
    d = np.array([runs[a][s][0] - runs[b][s][0] for s in seeds])
    both = sum(p and q for p, q in zip(x, y))
    only_a, only_b = sum(x) - both, sum(y) - both
    return {"seeds": len(seeds), "loss_difference": d.mean() if len(d) else math.nan,
            "loss_difference_se": d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else math.nan,
            "both": both, "only_a": only_a, "only_b": only_b,
            "expected_both": sum(x) * sum(y) / len(seeds) if seeds else math.nan,
            "p_overlap": float(stats.hypergeom.sf(both - 1, len(seeds), sum(x), sum(y))),
            "p_paired": float(stats.binomtest(only_a, only_a + only_b).pvalue) if only_a + only_b else 1.0}


def active_units(model, x, threshold=ACTIVE_THRESHOLD):
    """Return ``(count, variances)``: variance over ``x`` of each dimension's
    encoder mean E_q[z_j], and how many exceed ``threshold``."""
    threshold = check_number("threshold", threshold)
    z_mean, _ = encode(model, x)
    variances = z_mean.var(axis=0)
    return int(np.sum(variances > threshold)), variances


def log_likelihood(x, x_hat, kind):
    """log p(x | z) per example for the model's decoder distribution.

    ``"bernoulli"``: minus the summed BCE; ``"gaussian"``: the Gaussian with
    variance 1/2, whose negative log-likelihood is the squared error plus a constant.
    """
    if check_choice("kind", kind, losses.RECONSTRUCTIONS) == "gaussian":
        return -np.asarray(losses.gaussian_nll(x, x_hat, variance=0.5, reduction="sum"))
    return -np.asarray(losses.reconstruction_loss(x, x_hat, kind))


def rate_distortion(model, x, seed=0):
    """Rate (mean KL, nats) and distortion (mean reconstruction term, nats) on ``x``,
    with one sample of z per example."""
    z_mean, z_log_var = encode(model, x)
    rate = float(np.mean(np.asarray(losses.kl_standard_normal(z_mean, z_log_var))))
    z = _sample(z_mean, z_log_var, np.random.default_rng(check_seed(seed)))
    x_hat = decode(model, z)
    distortion = float(np.mean(np.asarray(losses.reconstruction_loss(x, x_hat, model.reconstruction))))
    return {"rate": rate, "distortion": distortion}


def _sample(mean, log_var, rng):
    return (mean + np.exp(0.5 * log_var) * rng.standard_normal(mean.shape)).astype("float32")


def importance_sampled_log_likelihood(model, x, k=100, seed=0, chunk=32):
    """Estimate log p(x) per example with ``k`` importance samples from q(z|x).

    log p(x) ~ logsumexp_i [log p(x|z_i) + log p(z_i) - log q(z_i|x)] - log k
    (Burda et al., 2016). For k = 1 this is a one-sample ELBO; its expectation
    grows with k towards log p(x). Returns ``(log_px, elbo)``, each one value
    per example, the ELBO with the same samples averaged instead.
    """
    k, chunk = check_size("k", k), check_size("chunk", chunk)
    x = check_vae_images(model, x)
    rng = np.random.default_rng(check_seed(seed))
    log_px, elbo = [], []
    for start in range(0, len(x), chunk):
        xb = x[start:start + chunk]
        z_mean, z_log_var = encode(model, xb)
        z_mean, z_log_var = np.repeat(z_mean, k, axis=0), np.repeat(z_log_var, k, axis=0)
        z = _sample(z_mean, z_log_var, rng)
        x_rep = np.repeat(xb, k, axis=0)
        log_w = (log_likelihood(x_rep, decode(model, z), model.reconstruction)
                 + losses.gaussian_log_density(z, 0.0, 0.0).sum(axis=1)
                 - losses.gaussian_log_density(z, z_mean, z_log_var).sum(axis=1))
        log_w = log_w.reshape(len(xb), k)
        top = log_w.max(axis=1, keepdims=True)
        log_px.append(top[:, 0] + np.log(np.exp(log_w - top).mean(axis=1)))
        elbo.append(log_w.mean(axis=1))
    return np.concatenate(log_px), np.concatenate(elbo)


def kl_decomposition(z_mean, z_log_var, samples=8, seed=0, max_elements=4_000_000):
    """Split the rate (the KL averaged over N encodings) into information and marginal KL.

    With the aggregate posterior q(z) = (1/N) sum_m q(z|x_m), the mixture of the N
    diagonal Gaussians given by ``z_mean`` and ``z_log_var`` (one row per image),
    Hoffman and Johnson (2016) show

        mean_n KL(q(z|x_n) || N(0, I)) = I(x; z) + KL(q(z) || N(0, I)),

    with I(x; z) = mean_n E_q(z|x_n)[log q(z|x_n) - log q(z)] <= log N (each term is:
    q(z) >= q(z|x_n) / N). Both parts are estimated with ``samples`` draws of z from
    each q(z|x_n) (log-sum-exp over the N components, in chunks of at most
    ``max_elements`` numbers, so 10,000 encodings fit in a few hundred MB). Returns a dict:
    ``rate`` (closed form), ``information``, ``marginal_kl`` and their sum
    ``rate_monte_carlo``, each estimate with its standard error (``*_se``, from the spread
    of its terms within each image), and ``log_n``.
    """
    z_mean, z_log_var = check_encodings(z_mean, z_log_var)
    samples = check_size("samples", samples, low=2)
    max_elements = check_size("max_elements", max_elements)
    n, d = z_mean.shape
    precision = np.exp(-z_log_var)
    log_normaliser = d * math.log(2 * math.pi) + z_log_var.sum(1)
    # log q(z|x_m) = -(log_normaliser_m + sum_j (z_j - mu_mj)^2 / var_mj) / 2, with the square
    # expanded so that all N components are two matrix products
    constant = log_normaliser + (z_mean ** 2 * precision).sum(1)
    weighted_mean = z_mean * precision
    rng = np.random.default_rng(check_seed(seed))
    rows = max(1, max_elements // (n * samples))
    sums = {key: np.empty(n) for key in ("information", "marginal_kl", "rate_monte_carlo")}
    variances = {key: np.empty(n) for key in sums}
    for start in range(0, n, rows):
        part = slice(start, min(start + rows, n))
        eps = rng.standard_normal((part.stop - start, samples, d))
        z = z_mean[part, None] + np.exp(0.5 * z_log_var[part, None]) * eps
        log_own = -0.5 * (log_normaliser[part, None] + (eps ** 2).sum(-1))   # log q(z|x_n)
        flat = z.reshape(-1, d)
        log_components = -0.5 * (flat ** 2 @ precision.T - 2 * flat @ weighted_mean.T + constant)
        # each z's own component exactly (not through the expanded square), so that
        # log q(z) >= log q(z|x_n) - log N holds to the last digit
        log_components[np.arange(len(flat)), np.repeat(np.arange(start, part.stop), samples)] = \
            log_own.ravel()
        top = log_components.max(axis=1, keepdims=True)
        log_mixture = (top[:, 0] + np.log(np.exp(log_components - top).sum(axis=1))
                       - math.log(n)).reshape(z.shape[:2])
        log_prior = -0.5 * (d * math.log(2 * math.pi) + (z ** 2).sum(-1))
        for key, terms in (("information", log_own - log_mixture),
                           ("marginal_kl", log_mixture - log_prior),
                           ("rate_monte_carlo", log_own - log_prior)):
            sums[key][part] = terms.mean(axis=1)
            variances[key][part] = terms.var(axis=1, ddof=1)
    result = {"rate": float(np.mean(np.asarray(losses.kl_standard_normal(z_mean, z_log_var))))}
    for key in sums:
        result[key] = float(sums[key].mean())
        result[key + "_se"] = float(math.sqrt(variances[key].sum() / samples) / n)
    result["log_n"] = math.log(n)
    return result


def aggregate_posterior_sample(model, x, seed=0):
    """One z ~ q(z|x) per example: a sample of the aggregate posterior q(z),
    the distribution the KL term pulls towards the prior N(0, I)."""
    z_mean, z_log_var = encode(model, x)
    return _sample(z_mean, z_log_var, np.random.default_rng(check_seed(seed)))


def digit_classifier(x_train, y_train, seed=0):
    """A logistic-regression digit classifier (about 90% accurate on MNIST test digits) used
    to tell which digits a decoder draws."""
    from sklearn.linear_model import LogisticRegression

    x_train = check_images(x_train, "x_train")
    y_train = check_labels(y_train, len(x_train), "y_train")
    classifier = LogisticRegression(max_iter=300, random_state=check_seed(seed))
    return classifier.fit(x_train.reshape(len(x_train), -1), y_train)


def digits_drawn(model, classifier, n=2000, seed=0):
    """What a model generates: how many of ``n`` images decoded from draws z ~ N(0, I)
    the classifier assigns to each digit (an array of 10 counts)."""
    from .prediction import latent_dim

    z = np.random.default_rng(check_seed(seed)).standard_normal((check_size("n", n), latent_dim(model)))
    images = decode(model, z.astype("float32")).reshape(n, -1)
    return np.bincount(classifier.predict(images), minlength=10)
