"""The wrong-answer catalogue: for every exercise, the reference answer and wrong answers that
students really write (Clegg, McMinn and Fraser 2020 grade an autograder by the faulty
solutions it rejects). ``tests/test_exercise_catalogue.py`` runs each exercise's graded cell
on each; ``tests/test_nbgrader.py`` hands the wrong answers in as a submission."""

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
