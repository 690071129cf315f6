"""The wrong-answer catalogue: for every exercise, the reference answer and wrong answers that
students really write (Clegg, McMinn and Fraser 2020 grade an autograder by the faulty
solutions it rejects). ``tests/test_exercise_catalogue.py`` runs each exercise's graded cell
on each; ``tests/test_nbgrader.py`` hands the wrong answers in as a submission."""

import textwrap


def answer_cell(solution_source, body):
    """A solution cell's source with its body (between the signature and the end) replaced
    by ``body``, the source of an answer's body."""
    signature = solution_source.splitlines()[0]
    return signature + "\n" + textwrap.indent(body, "    ") + "\n"


# grade id of the solution cell -> (notebook, {label: source of the answer's body})
# The first entry is the reference; "delegates" answers call the package's own implementation.
CATALOGUE = {
    "kl_to_standard_normal_solution": ("02_elbo_derivation_checks", {
        "reference": "return 0.5 * np.sum(np.exp(log_var) + mean ** 2 - 1.0 - log_var, axis=-1)",
        "sign slip on log_var": "return 0.5 * np.sum(np.exp(log_var) + mean ** 2 - 1.0 + log_var, axis=-1)",
        "missing 1/2": "return np.sum(np.exp(log_var) + mean ** 2 - 1.0 - log_var, axis=-1)",
        "log-variance used as the standard deviation":
            "return 0.5 * np.sum(np.exp(2 * log_var) + mean ** 2 - 1.0 - 2 * log_var, axis=-1)",
        "mean over the latent dimensions":
            "return 0.5 * np.mean(np.exp(log_var) + mean ** 2 - 1.0 - log_var, axis=-1)",
        "summed over the whole batch": "return 0.5 * np.sum(np.exp(log_var) + mean ** 2 - 1.0 - log_var)",
        "forgot the -1": "return 0.5 * np.sum(np.exp(log_var) + mean ** 2 - log_var, axis=-1)",
        "delegates": "from vae_helpers import losses\n"
                     "return np.asarray(losses.kl_standard_normal(mean, log_var))",
    }),
    "reparameterize_solution": ("02_elbo_derivation_checks", {
        "reference": "return mean + np.exp(0.5 * log_var) * eps",
        "variance used as the standard deviation": "return mean + np.exp(log_var) * eps",
        "log-variance used as the standard deviation": "return mean + log_var * eps",
        "square root of the log-variance": "return mean + np.sqrt(np.abs(log_var)) * eps",
        "forgot eps": "return mean + np.exp(0.5 * log_var)",
        "mean scaled by eps": "return mean * eps + np.exp(0.5 * log_var)",
    }),
    "bernoulli_reconstruction_solution": ("03_dense_vae", {
        "reference": "return -np.sum(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat), axis=1)",
        "mean over the pixels": "return -np.mean(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat), axis=1)",
        "sign slip": "return np.sum(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat), axis=1)",
        "only the x = 1 term": "return -np.sum(x * np.log(x_hat), axis=1)",
        "summed over the whole batch": "return -np.sum(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat))",
        "squared error": "return np.sum((x - x_hat) ** 2, axis=1)",
        "Keras' binary cross-entropy (a mean)":
            "import keras\nreturn np.asarray(keras.losses.binary_crossentropy(x, x_hat))",
        "delegates": "from vae_helpers import losses\n"
                     "return np.asarray(losses.bernoulli_nll(x, x_hat, 'sum'))",
    }),
    "my_vae_loss_solution": ("03_dense_vae", {
        "reference": "reconstruction = ops.mean(ops.sum(ops.square(x - x_hat), axis=-1))\n"
                     "kl = ops.mean(ops.sum(0.5 * (ops.exp(z_log_var) + ops.square(z_mean) - 1 - z_log_var), axis=-1))\n"
                     "return reconstruction + beta * kl, reconstruction, kl",
        "mean over the pixels": "reconstruction = ops.mean(ops.square(x - x_hat))\n"
                                "kl = ops.mean(ops.sum(0.5 * (ops.exp(z_log_var) + ops.square(z_mean) - 1 - z_log_var), axis=-1))\n"
                                "return reconstruction + beta * kl, reconstruction, kl",
        "beta on the reconstruction": "reconstruction = ops.mean(ops.sum(ops.square(x - x_hat), axis=-1))\n"
                                      "kl = ops.mean(ops.sum(0.5 * (ops.exp(z_log_var) + ops.square(z_mean) - 1 - z_log_var), axis=-1))\n"
                                      "return beta * reconstruction + kl, reconstruction, kl",
        "KL sign slip": "reconstruction = ops.mean(ops.sum(ops.square(x - x_hat), axis=-1))\n"
                        "kl = ops.mean(ops.sum(0.5 * (ops.exp(z_log_var) + ops.square(z_mean) - 1 + z_log_var), axis=-1))\n"
                        "return reconstruction + beta * kl, reconstruction, kl",
        "summed over the batch": "reconstruction = ops.sum(ops.square(x - x_hat))\n"
                                 "kl = ops.sum(0.5 * (ops.exp(z_log_var) + ops.square(z_mean) - 1 - z_log_var))\n"
                                 "return reconstruction + beta * kl, reconstruction, kl",
        "half the squared error (the Gaussian with variance 1)":
            "reconstruction = ops.mean(ops.sum(0.5 * ops.square(x - x_hat), axis=-1))\n"
            "kl = ops.mean(ops.sum(0.5 * (ops.exp(z_log_var) + ops.square(z_mean) - 1 - z_log_var), axis=-1))\n"
            "return reconstruction + beta * kl, reconstruction, kl",
        "delegates": "from vae_helpers import losses\n"
                     "return losses.vae_loss(x, x_hat, z_mean, z_log_var, beta, 'gaussian')",
    }),
    "kl_per_dimension_solution": ("04_conv_vae", {
        "reference": "return np.mean(0.5 * (np.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var), axis=0)",
        "summed over the images": "return np.sum(0.5 * (np.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var), axis=0)",
        "averaged over the dimensions": "return np.mean(0.5 * (np.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var), axis=1)",
        "the total KL, not per dimension": "return np.mean(np.sum(0.5 * (np.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var), axis=1))",
        "missing 1/2": "return np.mean(np.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var, axis=0)",
        "sign slip on log_var": "return np.mean(0.5 * (np.exp(z_log_var) + z_mean ** 2 - 1.0 + z_log_var), axis=0)",
        "the KL of the mean code": "m, lv = z_mean.mean(axis=0), z_log_var.mean(axis=0)\n"
                                   "return 0.5 * (np.exp(lv) + m ** 2 - 1.0 - lv)",
        "delegates": "from vae_helpers import losses\n"
                     "return np.mean(np.asarray(losses.kl_standard_normal(z_mean, z_log_var, reduction='none')), axis=0)",
    }),
    "information_estimate_solution": ("05_kl_sweep", {
        "reference": "from scipy.special import logsumexp\n\n"
                     "diff = z[:, None, :] - z_mean[None, :, :]                 # draw n against encoder m\n"
                     "log_q = -0.5 * np.sum(np.log(2 * np.pi) + z_log_var[None] + diff ** 2 / np.exp(z_log_var)[None],\n"
                     "                      axis=-1)\n"
                     "log_marginal = logsumexp(log_q, axis=1) - np.log(len(z))   # log q(z_n), in logs throughout\n"
                     "return np.mean(np.diag(log_q) - log_marginal)",
        "the prior in place of the mixture (the rate)": "own = -0.5 * np.sum(np.log(2 * np.pi) + z_log_var + (z - z_mean) ** 2 / np.exp(z_log_var), axis=1)\n"
                                                        "prior = -0.5 * np.sum(np.log(2 * np.pi) + z ** 2, axis=1)\n"
                                                        "return np.mean(own - prior)",
        "missing log N": "from scipy.special import logsumexp\n"
            "diff = z[:, None, :] - z_mean[None, :, :]\n"
            "log_q = -0.5 * np.sum(np.log(2 * np.pi) + z_log_var[None] + diff ** 2 / np.exp(z_log_var)[None], axis=-1)\n"
            "return np.mean(np.diag(log_q) - logsumexp(log_q, axis=1))",
        "densities, not logs (underflow)": "diff = z[:, None, :] - z_mean[None, :, :]\n"
            "log_q = -0.5 * np.sum(np.log(2 * np.pi) + z_log_var[None] + diff ** 2 / np.exp(z_log_var)[None], axis=-1)\n"
            "return np.mean(np.diag(log_q) - np.log(np.mean(np.exp(log_q), axis=1)))",
        "variance used as the standard deviation": "from scipy.special import logsumexp\n"
            "diff = z[:, None, :] - z_mean[None, :, :]\n"
            "log_q = -0.5 * np.sum(np.log(2 * np.pi) + 2 * z_log_var[None] + diff ** 2 / np.exp(2 * z_log_var)[None], axis=-1)\n"
            "return np.mean(np.diag(log_q) - logsumexp(log_q, axis=1) + np.log(len(z)))",
        "mixture over the wrong axis": "from scipy.special import logsumexp\n"
            "diff = z[:, None, :] - z_mean[None, :, :]\n"
            "log_q = -0.5 * np.sum(np.log(2 * np.pi) + z_log_var[None] + diff ** 2 / np.exp(z_log_var)[None], axis=-1)\n"
            "return np.mean(np.diag(log_q) - logsumexp(log_q, axis=0) + np.log(len(z)))",
        "own encoder left out of the mixture": "from scipy.special import logsumexp\n"
            "diff = z[:, None, :] - z_mean[None, :, :]\n"
            "log_q = -0.5 * np.sum(np.log(2 * np.pi) + z_log_var[None] + diff ** 2 / np.exp(z_log_var)[None], axis=-1)\n"
            "others = log_q + np.diag(np.full(len(z), -np.inf))\n"
            "return np.mean(np.diag(log_q) - logsumexp(others, axis=1) + np.log(len(z) - 1))",
        "delegates": "from vae_helpers import diagnostics\n"
                     "return diagnostics.kl_decomposition(z_mean, z_log_var)['information']",
    }),
    "fraction_inside_solution": ("05_kl_sweep", {
        "reference": "return np.mean(np.linalg.norm(z, axis=1) < radius)",
        "points on the circle counted": "return np.mean(np.linalg.norm(z, axis=1) <= radius)",
        "squared distance against the radius": "return np.mean(np.sum(z ** 2, axis=1) < radius)",
        "a count, not a share": "return np.sum(np.linalg.norm(z, axis=1) < radius)",
        "both coordinates inside (a square)": "return np.mean(np.all(np.abs(z) < radius, axis=1))",
        "norm over the wrong axis": "return np.mean(np.linalg.norm(z, axis=0) < radius)",
    }),
    "count_active_units_solution": ("05_kl_sweep", {
        "reference": "return int(np.sum(z_mean.var(axis=0) > threshold))",
        "threshold with >=": "return int(np.sum(z_mean.var(axis=0) >= threshold))",
        "variance over the wrong axis": "return int(np.sum(z_mean.var(axis=1) > threshold))",
        "standard deviation instead of variance": "return int(np.sum(z_mean.std(axis=0) > threshold))",
        "mean instead of variance": "return int(np.sum(np.abs(z_mean.mean(axis=0)) > threshold))",
        "a share, not a count": "return float(np.mean(z_mean.var(axis=0) > threshold))",
        "inactive units counted": "return int(np.sum(z_mean.var(axis=0) < threshold))",
    }),
    "my_warmup_solution": ("06_kl_annealing", {
        "reference": "return BETA * min(max((t - WARMUP_START) / WARMUP_EPOCHS, 0.0), 1.0)",
        "ramp starts one epoch late": "return BETA * min(max((t - WARMUP_START - 1) / WARMUP_EPOCHS, 0.0), 1.0)",
        "ramp ends at start + duration - 1":
            "return BETA * min(max((t - WARMUP_START) / (WARMUP_EPOCHS - 1), 0.0), 1.0)",
        "no ceiling at BETA": "return BETA * max((t - WARMUP_START) / WARMUP_EPOCHS, 0.0)",
        "reaches 1, not BETA": "return min(max((t - WARMUP_START) / WARMUP_EPOCHS, 0.0), 1.0)",
        "whole-epoch steps": "return BETA * min(max((t - WARMUP_START) // WARMUP_EPOCHS, 0.0), 1.0)",
        "hard-coded settings": "return 1.0 * min(max((t - 2) / 10, 0.0), 1.0)",
        "delegates": "return schedules['linear warm-up'](t)",
    }),
    "my_cyclical_solution": ("06_kl_annealing", {
        "reference": "period = EPOCHS / N_CYCLES\nposition = (t % period) / period\n"
                     "return BETA if position >= RATIO else BETA * position / RATIO",
        "period rounded down to whole epochs": "period = EPOCHS // N_CYCLES\nposition = (t % period) / period\n"
                                               "return BETA if position >= RATIO else BETA * position / RATIO",
        "ramp over the whole cycle": "period = EPOCHS / N_CYCLES\nreturn BETA * (t % period) / period",
        "ramp without dividing by RATIO": "period = EPOCHS / N_CYCLES\nposition = (t % period) / period\n"
                                          "return BETA if position >= RATIO else BETA * position",
        "cycle index instead of position": "period = EPOCHS / N_CYCLES\nposition = (t // period) / N_CYCLES\n"
                                           "return BETA if position >= RATIO else BETA * position / RATIO",
        "position from t modulo the number of cycles":
            "position = (t % N_CYCLES) / N_CYCLES\nreturn BETA if position >= RATIO else BETA * position / RATIO",
        "delegates": "return schedules['cyclical'](t)",
    }),
}

# Right answers written another way, which every graded cell must accept (grade id -> {label: body})
ALSO_RIGHT = {
    "kl_to_standard_normal_solution": {
        "keras.ops": "import keras\nops = keras.ops\n"
                     "return ops.convert_to_numpy(0.5 * ops.sum(ops.exp(log_var) + mean ** 2 - 1.0 - log_var, axis=-1))",
        "a loop over the rows, as a list": "return [0.5 * sum(np.exp(v) + m ** 2 - 1.0 - v for m, v in zip(row_m, row_v))\n"
                                           "        for row_m, row_v in zip(mean, log_var)]",
        "float32": "mean, log_var = np.float32(mean), np.float32(log_var)\n"
                   "return 0.5 * np.sum(np.exp(log_var) + mean ** 2 - 1.0 - log_var, axis=1)",
    },
    "reparameterize_solution": {
        "square root of the variance": "return mean + np.sqrt(np.exp(log_var)) * eps",
    },
    "bernoulli_reconstruction_solution": {
        "probabilities clipped away from 0 and 1": "p = np.clip(x_hat, 1e-7, 1 - 1e-7)\n"
                                                   "return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=-1)",
        "log1p": "return -np.sum(x * np.log(x_hat) + (1 - x) * np.log1p(-x_hat), axis=1)",
    },
    "my_vae_loss_solution": {
        "KL written with the variance": "variance = ops.exp(z_log_var)\n"
                                        "kl = ops.mean(0.5 * ops.sum(variance + z_mean ** 2 - 1.0 - ops.log(variance), axis=1))\n"
                                        "reconstruction = ops.mean(ops.sum((x - x_hat) ** 2, axis=1))\n"
                                        "return reconstruction + beta * kl, reconstruction, kl",
    },
    "kl_per_dimension_solution": {
        "summed over images, then divided": "kl = 0.5 * (np.exp(z_log_var) + z_mean ** 2 - 1.0 - z_log_var)\n"
                                            "return kl.sum(axis=0) / len(kl)",
    },
    "fraction_inside_solution": {
        "squared distances against the squared radius": "return float(np.mean(np.sum(z ** 2, axis=1) < radius ** 2))",
        "hypot": "return np.count_nonzero(np.hypot(z[:, 0], z[:, 1]) < radius) / len(z)",
    },
    "information_estimate_solution": {
        "without the constant log(2 pi) (it cancels)": "from scipy.special import logsumexp\n"
            "log_q = -0.5 * np.sum(z_log_var[None] + (z[:, None] - z_mean[None]) ** 2 / np.exp(z_log_var)[None], axis=-1)\n"
            "return np.mean(np.diag(log_q) - logsumexp(log_q, axis=1) + np.log(len(z)))",
        "log-sum-exp written out": "diff = z[:, None, :] - z_mean[None, :, :]\n"
            "log_q = -0.5 * np.sum(np.log(2 * np.pi) + z_log_var[None] + diff ** 2 / np.exp(z_log_var)[None], axis=-1)\n"
            "top = log_q.max(axis=1, keepdims=True)\n"
            "log_marginal = top[:, 0] + np.log(np.exp(log_q - top).mean(axis=1))\n"
            "return float(np.mean(np.diag(log_q) - log_marginal))",
    },
    "count_active_units_solution": {
        "variance written out": "variance = ((z_mean - z_mean.mean(axis=0)) ** 2).mean(axis=0)\n"
                                "return int((variance > threshold).sum())",
        "a numpy integer": "return np.count_nonzero(np.var(z_mean, axis=0) > threshold)",
    },
    "my_warmup_solution": {
        "np.interp": "return float(np.interp(t, [WARMUP_START, WARMUP_START + WARMUP_EPOCHS], [0.0, BETA]))",
        "if and elif": "if t <= WARMUP_START:\n    return 0.0\n"
                       "elif t >= WARMUP_START + WARMUP_EPOCHS:\n    return BETA\n"
                       "return BETA * (t - WARMUP_START) / WARMUP_EPOCHS",
    },
    "my_cyclical_solution": {
        "np.clip": "period = EPOCHS / N_CYCLES\nreturn BETA * float(np.clip((t % period) / (RATIO * period), 0, 1))",
    },
}
