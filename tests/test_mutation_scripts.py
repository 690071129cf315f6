"""The mutation-testing scripts' own arithmetic: the sample they draw and the score's error."""

import collections
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import mutation_sample  # noqa: E402
import mutation_score  # noqa: E402


def _names(module, n):
    return {f"vae_helpers.{module}.x_f__mutmut_{i}": "not checked" for i in range(1, n + 1)}


def test_the_sample_draws_the_same_mutants_per_module_for_the_same_seed():
    status = {**_names("losses", 100), **_names("plotting", 30), **_names("models", 50)}
    chosen = mutation_sample.sample(status, 40, seed=0)
    per_module = collections.Counter(name.split(".")[1] for name in chosen)
    # at most 40 a module, all of a smaller one, none of a module students do not read
    assert per_module == {"losses": 40, "plotting": 30}
    assert len(set(chosen)) == len(chosen) and set(chosen) <= set(status)
    assert chosen == mutation_sample.sample(dict(reversed(status.items())), 40, seed=0)
    assert chosen != mutation_sample.sample(status, 40, seed=1)
    # a function that loses mutants the sample did not hold leaves the sample as it was
    fewer = {name: s for name, s in status.items() if name in chosen or "losses" not in name}
    assert mutation_sample.sample(fewer, 40, seed=0) == chosen


def test_the_score_of_a_sample_carries_the_error_of_drawing_without_replacement():
    every = collections.Counter(killed=45, survived=5)
    assert mutation_score.score_and_se(every) == (0.9, 0.0)   # all judged: no sampling error
    sampled = collections.Counter(killed=45, survived=4, timeout=1, **{"not run": 150})
    score, se = mutation_score.score_and_se(sampled)
    assert score == 0.9
    assert se == pytest.approx(math.sqrt(0.9 * 0.1 / 50 * 150 / 199))
    assert all(math.isnan(v) for v in mutation_score.score_and_se(collections.Counter()))


def test_mutmut_runs_exactly_the_tests_a_mutated_module_is_judged_by():
    import tomllib

    import conftest

    config = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    mutated = [Path(p).stem for p in config["tool"]["mutmut"]["only_mutate"]]
    own = {"test_bad_inputs.py"}
    for module in mutated:
        own |= set(conftest.OWN_TESTS.get(module, (f"test_{module}.py",)))
    selection = config["tool"]["mutmut"]["pytest_add_cli_args_test_selection"]
    assert sorted(Path(p).name for p in selection) == sorted(own)
    assert all((Path(__file__).parent / name).exists() for name in own)


def test_again_judges_the_survivors_left_unexplained_and_everything_not_judged():
    status = {"a": "killed", "b": "survived", "c": "survived", "d": "not checked", "e": "timeout",
              "f": "no tests", "g": "survived"}
    chosen = ["a", "b", "c", "d", "e", "f"]
    assert mutation_sample.to_run(chosen, status, False, {"c": "equivalent"}) == ["d"]
    assert mutation_sample.to_run(chosen, status, True, {"c": "equivalent"}) == ["b", "d", "e", "f"]
