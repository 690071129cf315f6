"""Every graded check rejects every wrong answer of the catalogue (``exercise_answers.py``) and
accepts the reference and the right answers written another way: the whole graded cell (public check and hidden tests) and its hidden
tests alone, in quick and full mode's settings."""
import json
import pathlib

import numpy as np
import pytest

from exercise_answers import ALSO_RIGHT, CATALOGUE, answer_cell
from vae_helpers import exercises, losses, schedules

ROOT = pathlib.Path(__file__).resolve().parents[1]
HIDDEN = "### BEGIN HIDDEN TESTS"


def _cells(notebook):
    return json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())["cells"]


def _graded_cells(notebook, solution_id):
    """The solution cell's source and the source of the graded check cell after it."""
    cells = _cells(notebook)
    ids = [(c["metadata"].get("nbgrader") or {}).get("grade_id") for c in cells]
    index = ids.index(solution_id)
    check = next(c for c in cells[index + 1:] if c["cell_type"] == "code"
                 and (c["metadata"].get("nbgrader") or {}).get("grade"))
    return "".join(cells[index]["source"]), "".join(check["source"])


def _parameters(notebook, quick, monkeypatch):
    """The notebook's parameters (its ``parameters`` cell run in quick or full mode)."""
    monkeypatch.setenv("VAE_QUICK", "1" if quick else "0")
    cell = next(c for c in _cells(notebook) if "parameters" in c["metadata"].get("tags", []))
    namespace = {}
    exec("".join(cell["source"]), namespace)
    return namespace


def _context(notebook, quick, monkeypatch, mnist_small):
    """What the notebook has defined when its exercises run."""
    import keras

    namespace = {"np": np, "ops": keras.ops, "exercises": exercises}
    if notebook == "03_dense_vae":
        namespace["x_train"] = mnist_small.x_train
    if notebook == "06_kl_annealing":
        p = _parameters(notebook, quick, monkeypatch)
        namespace.update(p)
        namespace.update(LinearWarmup=schedules.LinearWarmup, Cyclical=schedules.Cyclical)
        namespace["schedules"] = {
            "linear warm-up": schedules.LinearWarmup(start=p["WARMUP_START"], duration=p["WARMUP_EPOCHS"],
                                                     beta_max=p["BETA"]),
            "cyclical": schedules.Cyclical(total=p["EPOCHS"], n_cycles=p["N_CYCLES"], ratio=p["RATIO"],
                                           beta_max=p["BETA"])}
    return namespace


def _passes(namespace, source):
    try:
        exec(source, namespace)
    except Exception:   # an ExerciseNotPassed, an AssertionError, or the answer's own crash
        return False
    return True


# only 06's exercises read the notebook's settings, which differ between quick and full mode
CASES = [(solution_id, label, quick) for solution_id, (notebook, answers) in CATALOGUE.items()
         for label in [*answers, *ALSO_RIGHT.get(solution_id, {})]
         for quick in ((True, False) if notebook == "06_kl_annealing" else (False,))]


@pytest.mark.parametrize("solution_id, label, quick", CASES,
                         ids=[f"{s}: {l}{' (quick)' if q else ''}" for s, l, q in CASES])
def test_graded_cell_accepts_the_reference_and_rejects_every_wrong_answer(
        solution_id, label, quick, monkeypatch, mnist_small):
    notebook, answers = CATALOGUE[solution_id]
    answers = {**answers, **ALSO_RIGHT.get(solution_id, {})}
    right = label == "reference" or label in ALSO_RIGHT.get(solution_id, {})
    solution, check = _graded_cells(notebook, solution_id)
    hidden = check[check.index(HIDDEN):]

    def passes(source):
        """Run ``source`` where the answer was defined, as in the notebook (one namespace)."""
        namespace = _context(notebook, quick, monkeypatch, mnist_small)
        exec(answer_cell(solution, answers[label]), namespace)
        return _passes(namespace, source)

    if right:
        assert passes(check) and passes(hidden), f"the graded cell refuses the right answer {label!r}"
    else:
        assert not passes(check), f"the graded cell accepts {label!r}"
        assert not passes(hidden), f"the hidden tests accept {label!r}"
    # a failing hidden test leaves the package's own functions working
    assert float(np.asarray(losses.kl_standard_normal(np.ones((1, 1)), np.zeros((1, 1))))[0]) == 0.5
    assert schedules.LinearWarmup(0, 2)(1) == 0.5


def test_the_catalogue_covers_every_exercise_with_four_wrong_answers_or_more():
    solutions = {(c["metadata"].get("nbgrader") or {}).get("grade_id")
                 for path in (ROOT / "notebooks").glob("*.ipynb")
                 for c in json.loads(path.read_text())["cells"]
                 if c["cell_type"] == "code" and (c["metadata"].get("nbgrader") or {}).get("solution")}
    assert solutions == set(CATALOGUE)
    for solution_id, (notebook, answers) in CATALOGUE.items():
        assert list(answers)[0] == "reference"
        assert len(answers) - 1 >= 4, solution_id
        solution, check = _graded_cells(notebook, solution_id)
        assert HIDDEN in check and "### END HIDDEN TESTS" in check, solution_id
        assert "package_answers_blocked()" in check, solution_id
        # the catalogue's reference is the notebook's own solution
        assert answers["reference"].splitlines()[0] in solution, solution_id


def test_the_block_catches_every_route_to_the_package_and_lifts_afterwards():
    from vae_helpers.losses import kl_standard_normal

    warmup = schedules.LinearWarmup(0, 2)
    routes = {"module attribute": lambda: losses.kl_standard_normal(np.zeros((1, 1)), np.zeros((1, 1))),
              "imported name": lambda: kl_standard_normal(np.zeros((1, 1)), np.zeros((1, 1))),
              "schedule object": lambda: warmup(1.0),
              "schedule method": lambda: warmup.values(3)}
    for route, call in routes.items():
        with exercises.package_answers_blocked():
            with pytest.raises(exercises.ExerciseNotPassed, match="the package's own implementation"):
                call()
            assert np.mean([1.0, 3.0]) == 2.0      # numpy is not blocked
        assert call() is not None, route          # restored
