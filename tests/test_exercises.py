import numpy as np
import pytest

from vae_helpers import diagnostics, exercises
from vae_helpers.exercises import ExerciseNotPassed
from vae_helpers.schedules import LinearWarmup


def right_kl(mean, log_var):
    return 0.5 * np.sum(np.exp(log_var) + mean ** 2 - 1 - log_var, axis=-1)


def test_a_correct_solution_passes(capsys):
    exercises.check_kl_standard_normal(right_kl)
    assert "✓ right_kl: all 3 cases agree" in capsys.readouterr().out


@pytest.mark.parametrize("fn, words", [
    (lambda m, lv: 0.5 * np.sum(np.exp(lv) - 1 - lv, axis=-1), ["mean=1.5", "expected", "got", "Hint"]),
    (lambda m, lv: 0.5 * (np.exp(lv) + m ** 2 - 1 - lv), ["shape", "Hint"]),
    (lambda m, lv: 1 / 0, ["ZeroDivisionError"]),
    (lambda m, lv: "twelve", ["returned str"]),
])
def test_wrong_solutions_get_a_helpful_message(fn, words):
    with pytest.raises(ExerciseNotPassed) as info:
        exercises.check_kl_standard_normal(fn)
    for word in words:
        assert word in str(info.value)


def test_a_wrong_reparameterization_gets_the_exercises_hint():
    with pytest.raises(ExerciseNotPassed) as info:   # the variance used as the standard deviation
        exercises.check_reparameterize(lambda m, lv, e: m + np.exp(lv) * e)
    assert "wrong for the case log_var=log 4, eps=1:\n  expected [[2.]]\n  got      [[4.]]" in str(info.value)
    assert str(info.value).endswith("Hint: z must have the encoder's mean and variance: what scale "
                                    "must eps be multiplied by, given the log of the variance?")


def test_a_stub_is_reported_as_not_implemented():
    def reparameterize(mean, log_var, eps):
        raise NotImplementedError()

    with pytest.raises(ExerciseNotPassed, match="reparameterize is not implemented yet"):
        exercises.check_reparameterize(reparameterize)


@pytest.mark.parametrize("check, solution", [
    (exercises.check_reparameterize, lambda m, lv, e: m + np.exp(0.5 * lv) * e),
    (exercises.check_bernoulli_reconstruction,
     lambda x, p: -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)),
    (exercises.check_fraction_inside, lambda z, r: np.mean(np.linalg.norm(z, axis=1) < r)),
    (exercises.check_active_units, lambda z, t: int(np.sum(z.var(axis=0) > t))),
])
def test_reference_solutions_pass_every_check(check, solution):
    check(solution)


def test_schedule_check_catches_an_off_by_one_ramp():
    reference = LinearWarmup(start=10, duration=20)
    exercises.check_schedule(lambda t: min(max((t - 10) / 20, 0), 1), reference, "warm-up", [0, 10, 20, 30])
    with pytest.raises(ExerciseNotPassed, match="warm-up, t=20"):
        exercises.check_schedule(lambda t: min(max((t - 9) / 20, 0), 1), reference, "warm-up", [0, 20])


def test_monte_carlo_z_reports_distance_in_standard_errors(capsys):
    assert diagnostics.monte_carlo_z("x", 1.2, 0.1, 1.0) == pytest.approx(2.0)
    assert "tolerance 4 SE" in capsys.readouterr().out


def _ops_loss(x, x_hat, z_mean, z_log_var, beta, reconstruction_scale=1.0):
    from keras import ops

    x_hat = ops.clip(x_hat, 1e-7, 1 - 1e-7)
    bce = -(x * ops.log(x_hat) + (1 - x) * ops.log(1 - x_hat))
    reconstruction = reconstruction_scale * ops.mean(ops.sum(bce, axis=-1))
    kl = ops.mean(ops.sum(0.5 * (ops.exp(z_log_var) + ops.square(z_mean) - 1 - z_log_var), axis=-1))
    return reconstruction + beta * kl, reconstruction, kl


def _squared_error_loss(x, x_hat, z_mean, z_log_var, beta):
    from keras import ops

    reconstruction = ops.mean(ops.sum(ops.square(x - x_hat), axis=-1))
    kl = ops.mean(ops.sum(0.5 * (ops.exp(z_log_var) + ops.square(z_mean) - 1 - z_log_var), axis=-1))
    return reconstruction + beta * kl, reconstruction, kl


def test_vae_loss_check_passes_the_right_loss_and_names_a_pixel_mean(capsys):
    exercises.check_vae_loss(_ops_loss)
    exercises.check_vae_loss(_squared_error_loss, reconstruction="gaussian")
    assert capsys.readouterr().out.count("all 3 cases agree") == 2
    with pytest.raises(ExerciseNotPassed, match="beta=1"):
        exercises.check_vae_loss(lambda *a: _ops_loss(*a, reconstruction_scale=1 / 784))
    with pytest.raises(ExerciseNotPassed, match="squared error"):  # the other likelihood
        exercises.check_vae_loss(_ops_loss, reconstruction="gaussian")


def test_loss_training_check_runs_the_students_loss_inside_fit(mnist_small, capsys):
    exercises.check_loss_trains(_ops_loss, mnist_small.x_train, n_images=200)
    exercises.check_loss_trains(_squared_error_loss, mnist_small.x_train, "gaussian",
                                n_images=200)
    assert capsys.readouterr().out.count("trains a VAE") == 2
    with pytest.raises(ExerciseNotPassed, match="reference loss"):  # trains, but not the VAE loss
        exercises.check_loss_trains(lambda *a: _ops_loss(*a[:4], 0.0), mnist_small.x_train,
                                    n_images=200)
    with pytest.raises(ExerciseNotPassed, match="keras.ops"):       # numpy cannot run on tensors
        exercises.check_loss_trains(lambda x, *a: (np.sum(np.asarray(x)),) * 3,
                                    mnist_small.x_train, n_images=200)


def test_an_exercise_failure_shows_its_message_and_no_code():
    error = ExerciseNotPassed("reparameterize is wrong for the case eps=0")
    assert error._render_traceback_() == [
        "Exercise not passed yet: reparameterize is wrong for the case eps=0"]


def test_a_check_refuses_no_cases_and_a_non_function():
    with pytest.raises(ValueError, match="at least one case"):
        exercises._run_cases(right_kl, [], right_kl, "hint")
    with pytest.raises(TypeError, match="your function itself"):
        exercises.check_kl_standard_normal(3.0)


def test_a_reconstruction_that_works_only_on_binary_pixels_fails_on_grey_ones():
    def binary_only(x, x_hat):
        return -np.sum(np.where(x > 0.5, np.log(x_hat), np.log(1 - x_hat)), axis=1)

    with pytest.raises(ExerciseNotPassed, match="grey"):
        exercises.check_bernoulli_reconstruction(binary_only)


def _right_information(z_mean, z_log_var, z):
    from scipy.special import logsumexp

    log_q = -0.5 * np.sum(z_log_var[None] + (z[:, None] - z_mean[None]) ** 2
                          / np.exp(z_log_var)[None], axis=-1)
    return np.mean(np.diag(log_q) - logsumexp(log_q, axis=1) + np.log(len(z)))


# what a student reads when an answer fails: each check's cases, in order, and its hint
FEEDBACK = {
    exercises.check_kl_standard_normal: (
        right_kl, ["mean=0, log_var=0 (q is the prior)", "one dimension, mean=1.5, var=0.6",
                   "a batch of 5 in 3-D"],
        "start from the closed form of the KL between two Gaussians (notebook 02, section 3) with "
        "the prior's mean 0 and variance 1; remember that log_var is the log of the variance, that "
        "a q equal to the prior must cost 0, and that the dimensions are independent (one number "
        "per example)."),
    exercises.check_kl_per_dimension: (
        lambda m, lv: np.mean(0.5 * (np.exp(lv) + m ** 2 - 1 - lv), axis=0),
        ["two images equal to the prior", "one image, one informative dimension",
         "a batch of 6 in 3-D"],
        "one number per latent dimension: each dimension's own KL to N(0, 1) (the dimensions are "
        "independent), averaged over the images (the rows)."),
    exercises.check_information: (
        _right_information, ["5 encoders in 2-D", "3 identical encoders", "2 encoders far apart"],
        "for each draw, compare how likely it is under its own encoder with how likely it is under "
        "the mixture of all N encoders (equal weights 1/N), in logs; average over the draws. "
        "Far-apart encoders make some densities underflow: stay in logs."),
    exercises.check_active_units: (
        lambda z, t: np.sum(z.var(axis=0) > t), ["threshold 0.01", "threshold 0.1", "threshold 10"],
        "a dimension is active when its mean moves from image to image: measure that movement for "
        "each dimension across the images (rows), and count only values strictly above the "
        "threshold."),
}


@pytest.mark.parametrize("check", FEEDBACK, ids=lambda check: check.__name__)
def test_a_failing_case_is_named_with_the_checks_hint(check):
    right, labels, hint = FEEDBACK[check]
    for wrong_case, label in enumerate(labels):
        calls = []

        def answer(*args):   # right on every case but one
            calls.append(None)
            return right(*args) + (len(calls) == wrong_case + 1)

        with pytest.raises(ExerciseNotPassed) as info:
            check(answer)
        assert f"answer is wrong for the case {label}:\n" in str(info.value)
        assert str(info.value).endswith(f"\nHint: {hint}")


def test_an_answer_without_a_name_is_called_your_function():
    import functools

    def kl(mean, log_var, scale):
        return scale * right_kl(mean, log_var)

    with pytest.raises(ExerciseNotPassed, match="^your function is wrong for the case"):
        exercises.check_kl_standard_normal(functools.partial(kl, scale=2.0))


def test_per_dimension_kl_with_one_mean_over_every_entry_fails():
    def answer(z_mean, z_log_var):   # axis=0 forgotten on the variance terms' mean
        return 0.5 * (np.mean(z_mean ** 2, axis=0) + np.mean(np.exp(z_log_var) - 1 - z_log_var))

    with pytest.raises(ExerciseNotPassed, match="a batch of 6 in 3-D"):
        exercises.check_kl_per_dimension(answer)


def test_the_loss_checks_use_grey_and_binary_images():
    x, x_hat, z_mean, z_log_var = exercises._fixed_vae_outputs()
    grey, binary = x[:3], x[3:]
    assert np.all((grey > 0) & (grey < 1))
    assert set(np.unique(binary)) == {0.0, 1.0}
    ones = binary.mean()   # 30% ones: a share of 2352 pixels, SE 0.0094
    assert abs(ones - 0.3) < 4 * np.sqrt(0.3 * 0.7 / binary.size)
    assert x_hat.shape == x.shape and z_mean.shape == z_log_var.shape == (6, 2)


def _stub_loss(x, x_hat, z_mean, z_log_var, beta):
    raise NotImplementedError()


def test_a_loss_stub_is_reported_as_not_implemented(mnist_small):
    with pytest.raises(ExerciseNotPassed, match="^_stub_loss is not implemented yet: replace"):
        exercises.check_loss_trains(_stub_loss, mnist_small.x_train, n_images=100)


def test_a_numpy_loss_is_told_to_use_keras_ops(mnist_small):
    def numpy_loss(x, x_hat, z_mean, z_log_var, beta):
        total = np.mean(np.sum((np.asarray(x) - np.asarray(x_hat)) ** 2, axis=1))
        return total, total, total * 0

    with pytest.raises(ExerciseNotPassed) as info:
        exercises.check_loss_trains(numpy_loss, mnist_small.x_train, n_images=100)
    assert str(info.value).startswith("training with numpy_loss failed: ")
    assert str(info.value).endswith("Inside training the inputs are tensors: use keras.ops "
                                    "(ops.log, ops.sum, ...), not numpy.")


def test_the_loss_training_check_reports_the_first_and_last_epochs(mnist_small, capsys):
    import re

    def printed(epochs):
        exercises.check_loss_trains(_ops_loss, mnist_small.x_train, epochs=epochs, n_images=100)
        numbers = re.search(r"loss (\S+) -> (\S+) per image over (\d) epochs on 100 images, as "
                            r"the reference loss does \((\S+)\)", capsys.readouterr().out)
        return [float(numbers[1]), float(numbers[2]), int(numbers[3]), float(numbers[4])]

    first, _, one, reference_first = printed(1)
    start, end, three, reference_end = printed(3)
    assert (one, three) == (1, 3)
    assert start == first and end < start   # epoch 1 is the same training in both calls
    assert abs(reference_end - end) <= 0.1 + 1e-3 * end   # the reference's last epoch
    assert abs(reference_first - first) <= 0.1 + 1e-3 * first
