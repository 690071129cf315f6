import keras
import numpy as np
import pytest

from vae_helpers import diagnostics, losses, models
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
    assert diagnostics.active_units(model, x, threshold=variances[0])[0] == 0   # strictly above


def test_a_sample_of_the_aggregate_posterior_has_the_posterior_mean_and_variance():
    n = 20_000
    x = np.repeat(_toy_data(1), n, axis=0)   # one image encoded n times: n draws of q(z|x)
    model, a, post_var = _toy_vae(mean_shift=0.4, idle_mean=0.3)
    z = diagnostics.aggregate_posterior_sample(model, x, seed=1).astype("float64")
    mean, variance = np.array([(x[0] - B) @ a + 0.4, 0.3]), np.array([post_var, 1.0])
    # standard errors of a mean and of a variance of n normal draws: sqrt(v / n), v sqrt(2 / (n - 1))
    assert np.all(np.abs(z.mean(0) - mean) < 4 * np.sqrt(variance / n))
    assert np.all(np.abs(z.var(0, ddof=1) - variance) < 4 * variance * np.sqrt(2 / (n - 1)))
    assert not np.array_equal(z, diagnostics.aggregate_posterior_sample(model, x, seed=2))


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


# The split of the rate into information and marginal KL (Hoffman and Johnson 2016),
# checked on encodings whose answers are known without Monte Carlo.

def _quadrature_split(z_mean, z_log_var):
    """I(x; z) and KL(q(z) || N(0, 1)) for 1-D Gaussian encoders, by the trapezoid rule."""
    z = np.linspace(-30, 30, 600_001)
    log_q_n = losses.gaussian_log_density(z, z_mean, z_log_var)
    log_q = np.logaddexp.reduce(log_q_n, axis=0) - np.log(len(z_mean))
    log_p = losses.gaussian_log_density(z, 0.0, 0.0)
    return (np.trapezoid(np.exp(log_q_n) * (log_q_n - log_q), z, axis=1).mean(),
            np.trapezoid(np.exp(log_q) * (log_q - log_p), z))


def _known_answer_failures(estimator):
    """The cases an estimator of the split must get right; returns the names of those it fails."""
    failures = []
    # encoders equal to the prior: nothing about x is in z, and q(z) is the prior
    split = estimator(np.zeros((40, 3)), np.zeros((40, 3)))
    if not (abs(split["information"]) < 1e-12 and abs(split["marginal_kl"]) < 1e-12):
        failures.append("equal to the prior")
    # every image has the same encoder N(m, v): I = 0 and the marginal KL is the whole rate,
    # KL(N(m, v) || N(0, I)) in closed form
    split = estimator(np.full((40, 2), 1.5), np.full((40, 2), np.log(0.3)))
    closed_form = 2 * 0.5 * (0.3 + 1.5 ** 2 - 1 - np.log(0.3))
    if not (abs(split["information"]) < 1e-9
            and abs(split["marginal_kl"] - closed_form) <= 4 * split["marginal_kl_se"]):
        failures.append("one shared Gaussian")
    # tight encoders far apart: the code names the image, I = log N
    split = estimator(np.arange(12.0)[:, None] * 20, np.full((12, 1), -12.0))
    if abs(split["information"] - np.log(12)) > 1e-9:
        failures.append("tight and separated")
    # a handful of overlapping 1-D encoders: both parts against quadrature
    rng = np.random.default_rng(3)
    mean, log_var = rng.normal(scale=1.5, size=(6, 1)), rng.normal(scale=0.5, size=(6, 1)) - 1
    info, marginal = _quadrature_split(mean, log_var)
    split = estimator(mean, log_var, samples=4000)
    if not (abs(split["information"] - info) <= 4 * split["information_se"]
            and abs(split["marginal_kl"] - marginal) <= 4 * split["marginal_kl_se"]):
        failures.append("overlapping, against quadrature")
    return failures


def _prior_in_place_of_the_aggregate(z_mean, z_log_var, samples=8, seed=0):
    """A wrong estimator that students (and reviewers) write: log p(z) where log q(z) belongs."""
    split = diagnostics.kl_decomposition(z_mean, z_log_var, samples=samples, seed=seed)
    return {**split, "information": split["rate_monte_carlo"],
            "information_se": split["rate_monte_carlo_se"], "marginal_kl": 0.0, "marginal_kl_se": 0.0}


def test_the_quadrature_reference_satisfies_the_decomposition_exactly():
    rng = np.random.default_rng(3)
    mean, log_var = rng.normal(scale=1.5, size=(6, 1)), rng.normal(scale=0.5, size=(6, 1)) - 1
    info, marginal = _quadrature_split(mean, log_var)
    rate = np.mean(0.5 * (np.exp(log_var) + mean ** 2 - 1 - log_var))
    assert abs(info + marginal - rate) < 1e-8
    assert 0 < info < np.log(6)


def test_kl_decomposition_gets_the_known_answers():
    assert _known_answer_failures(diagnostics.kl_decomposition) == []


def test_an_estimator_using_the_prior_in_place_of_the_aggregate_posterior_fails():
    assert "one shared Gaussian" in _known_answer_failures(_prior_in_place_of_the_aggregate)


def test_kl_decomposition_parts_add_up_to_the_closed_form_rate_and_respect_log_n():
    rng = np.random.default_rng(0)
    mean, log_var = rng.normal(scale=3, size=(500, 4)), rng.normal(scale=0.5, size=(500, 4)) - 2
    split = diagnostics.kl_decomposition(mean, log_var, seed=1)
    assert np.isclose(split["information"] + split["marginal_kl"], split["rate_monte_carlo"])
    assert abs(split["rate_monte_carlo"] - split["rate"]) <= 4 * split["rate_monte_carlo_se"]
    assert split["information"] <= split["log_n"] == np.log(500)
    # chunking changes only how the work is split, not the numbers
    small = diagnostics.kl_decomposition(mean, log_var, seed=1, max_elements=5000)
    assert all(np.isclose(small[k], split[k], rtol=1e-12, atol=1e-12) for k in split)


@pytest.mark.parametrize("mean, log_var, samples, message", [
    (np.zeros((5, 2)), np.zeros((5, 3)), 8, "z_log_var"),
    (np.zeros(5), np.zeros(5), 8, "shape"),
    (np.full((5, 2), np.nan), np.zeros((5, 2)), 8, "NaN"),
    (np.zeros((5, 2)), np.zeros((5, 2)), 1, "samples"),
    (np.zeros((0, 2)), np.zeros((0, 2)), 8, "shape"),
])
def test_kl_decomposition_refuses_bad_encodings(mean, log_var, samples, message):
    with pytest.raises(ValueError, match=message):
        diagnostics.kl_decomposition(mean, log_var, samples=samples)


def test_digits_drawn_classifies_images_decoded_from_the_prior():
    class Brightness:
        """A fake classifier: the digit is the thousandths of the image's mean pixel, so any
        other draw of z changes the counts."""

        def predict(self, images):
            return (images.mean(axis=1) * 10_000).astype(int) % 10

    model = models.dense_vae(latent_dim=2, hidden_units=8)
    counts = diagnostics.digits_drawn(model, Brightness(), n=300, seed=1)
    assert counts.shape == (10,) and counts.sum() == 300
    z = np.random.default_rng(1).standard_normal((300, 2)).astype("float32")
    from vae_helpers.prediction import decode
    np.testing.assert_array_equal(counts, np.bincount(Brightness().predict(decode(model, z)),
                                                      minlength=10))
    # the default draw is seed 0's, so a notebook's counts repeat
    assert np.array_equal(diagnostics.digits_drawn(model, Brightness(), n=300),
                          diagnostics.digits_drawn(model, Brightness(), n=300, seed=0))
    assert not np.array_equal(diagnostics.digits_drawn(model, Brightness(), n=300, seed=0), counts)


def test_the_digit_classifier_learns_the_digits(mnist_small):
    classifier = diagnostics.digit_classifier(mnist_small.x_train, mnist_small.y_train)
    accuracy = np.mean(classifier.predict(mnist_small.x_test.reshape(256, -1)) == mnist_small.y_test)
    assert accuracy > 0.75, accuracy   # 512 training digits; about 90% with all of MNIST


def test_closed_dimensions_counts_the_seeds_whose_run_ended_with_a_dimension_at_the_prior(tmp_path):
    import json

    runs = {"a|0": {"test_loss": 170.0, "kl_per_dimension": [2.5, 2.4]},
            "a|1": {"test_loss": 190.0, "kl_per_dimension": [0.05, 3.0]},
            "a|2": {"test_loss": 174.0, "kl_per_dimension": [2.0, 0.1]},   # 0.1 is not below 0.1
            "a|3": {"test_loss": 194.0, "kl_per_dimension": [3.1, 0.02]},
            "b|0": {"test_loss": 180.0, "kl_per_dimension": [1.0, 1.0]}}
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(runs))
    table = diagnostics.closed_dimensions(path)
    a = table.loc["a"]
    assert (a["seeds"], a["closed a dimension"], a["seeds that closed one"]) == (4, 2, "1, 3")
    assert a["share"] == 0.5 and a["share SE"] == pytest.approx(0.25)      # sqrt(0.5 * 0.5 / 4)
    assert a["test loss, mean"] == 182.0 and a["median"] == 182.0
    assert a["SE"] == pytest.approx(np.std([170, 190, 174, 194], ddof=1) / 2)
    assert (a["mean, none closed"], a["mean, one closed"]) == (172.0, 192.0)
    assert table.loc["b", "seeds that closed one"] == "" and np.isnan(table.loc["b", "mean, one closed"])
    with pytest.raises(FileNotFoundError, match="conv_closed_dimension.py"):
        diagnostics.closed_dimensions(tmp_path / "missing.json")


def test_closed_pair_compares_two_variants_seed_by_seed(tmp_path):
    import json

    from scipy import stats

    closed, open_ = [0.01, 2.0], [2.0, 2.0]
    runs = {}
    # seeds 0-5 run by both (4 has no partner in b, 9 none in a): both closed in 0 and 1, only a in 2
    # and 3, only b in 5, neither in 6 and 7
    for seed, (ka, kb) in {0: (closed, closed), 1: (closed, closed), 2: (closed, open_),
                           3: (closed, open_), 5: (open_, closed), 6: (open_, open_),
                           7: (open_, open_)}.items():
        runs[f"a|{seed}"] = {"test_loss": 180.0 + seed, "kl_per_dimension": ka}
        runs[f"b|{seed}"] = {"test_loss": 178.0 + 2 * seed, "kl_per_dimension": kb}
    runs["a|4"] = {"test_loss": 100.0, "kl_per_dimension": closed}
    runs["b|9"] = {"test_loss": 100.0, "kl_per_dimension": closed}
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(runs))
    pair = diagnostics.closed_pair(path, "a", "b")
    d = np.array([2.0 - s for s in (0, 1, 2, 3, 5, 6, 7)])
    assert (pair["seeds"], pair["both"], pair["only_a"], pair["only_b"]) == (7, 2, 2, 1)
    assert pair["loss_difference"] == pytest.approx(d.mean())
    assert pair["loss_difference_se"] == pytest.approx(d.std(ddof=1) / np.sqrt(7))
    assert pair["expected_both"] == pytest.approx(4 * 3 / 7)
    # 2 or 3 of b's 3 closed seeds among a's 4, drawing 3 of 7: (C(4,2) C(3,1) + C(4,3)) / C(7,3)
    assert pair["p_overlap"] == pytest.approx((6 * 3 + 4) / 35)
    assert pair["p_paired"] == pytest.approx(stats.binomtest(2, 3).pvalue) and pair["p_paired"] == 1.0
    assert diagnostics.closed_pair(path, "b", "a")["only_a"] == 1
    # a stricter threshold: KL 0.01 is still below 0.02, so nothing changes; below 0.005 none closes
    assert diagnostics.closed_pair(path, "a", "b", closed_below=0.02)["both"] == 2
    strict = diagnostics.closed_pair(path, "a", "b", closed_below=0.005)
    assert (strict["both"], strict["only_a"], strict["only_b"], strict["p_paired"]) == (0, 0, 0, 1.0)
    with pytest.raises(ValueError, match="b='c' has no runs"):
        diagnostics.closed_pair(path, "a", "c")
    # the seed is what follows the last "|": a variant's name may hold one
    runs = {"free|bits|0": {"test_loss": 1.0, "kl_per_dimension": closed},
            "free|bits|1": {"test_loss": 2.0, "kl_per_dimension": open_}}
    path.write_text(json.dumps(runs))
    assert diagnostics.closed_runs(path) == {"free|bits": {0: (1.0, True), 1: (2.0, False)}}
