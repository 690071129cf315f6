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


def test_a_stub_is_reported_as_not_implemented():
    def reparameterize(mean, log_var, eps):
        raise NotImplementedError()

    with pytest.raises(ExerciseNotPassed, match="reparameterize is not implemented yet"):
        exercises.check_reparameterize(reparameterize)


@pytest.mark.parametrize("check, solution", [
    (exercises.check_reparameterize, lambda m, lv, e: m + np.exp(0.5 * lv) * e),
    (exercises.check_bernoulli_reconstruction,
     lambda x, p: -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)),
    (exercises.check_negative_elbo, lambda r, k, b: np.mean(r + b * k)),
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
