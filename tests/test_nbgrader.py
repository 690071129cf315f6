"""The exercises as nbgrader coursework: cell metadata in the source notebooks, and the real
flow (generate_assignment, validate, autograde) run in a temporary course folder."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISE_NOTEBOOKS = ["02_elbo_derivation_checks", "03_dense_vae", "05_kl_sweep", "06_kl_annealing"]
MARKER = re.compile(r"(?i)#.*\b(begin|end)\s*solution")
ASSIGNMENT = "vae_kl"


def _code_cells(path):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercise_cells_carry_nbgrader_metadata(path):
    grade_ids = []
    for cell in _code_cells(path):
        source, meta = "".join(cell["source"]), cell["metadata"].get("nbgrader")
        for line in source.splitlines():  # a near-miss marker would ship its solution
            if MARKER.search(line):
                assert line.strip() in ("### BEGIN SOLUTION", "### END SOLUTION"), line
        if "### BEGIN SOLUTION" in source:
            assert meta and meta["solution"] and not meta["grade"], source
        elif "exercises.check_" in source:
            assert meta and meta["grade"] and meta["locked"] and not meta["solution"], source
            assert meta["points"] == source.count("exercises.check_"), source
        else:
            assert meta is None, source
        if meta:
            grade_ids.append(meta["grade_id"])
    assert len(grade_ids) == len(set(grade_ids)), "grade ids must be unique"
    if path.stem in EXERCISE_NOTEBOOKS:
        assert len(grade_ids) >= 4, "two exercises, each a solution and a check"


def _nbgrader(course, *args):
    """Run nbgrader in ``course`` as an instructor does; return its output."""
    bin_dir = pathlib.Path(sys.executable).parent  # nbgrader calls alembic from the same env
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "VAE_QUICK": "1",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([str(bin_dir / "nbgrader"), *args], cwd=course, env=env, text=True,
                          capture_output=True, timeout=1800)
    output = done.stdout + done.stderr
    assert "Exception while loading config" not in output, output
    return done.returncode, output


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder with the exercise notebooks as one assignment, generated and autograded
    for two students: one hands in the solved source, one the unsolved release."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "course" / "nbgrader_config.py", course)
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for name in EXERCISE_NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", source)
    rc, output = _nbgrader(course, "generate_assignment", ASSIGNMENT)
    assert rc == 0, output
    submitted = course / "submitted"
    shutil.copytree(source, submitted / "solved" / ASSIGNMENT)
    rc, output = _nbgrader(course, "autograde", ASSIGNMENT, "--student", "solved")
    assert rc == 0, output
    # the unsolved hand-in reuses the runs the solved one trained (the experiments reload
    # finished runs with the same settings), which halves the time of this test
    shutil.copytree(course / "release" / ASSIGNMENT, submitted / "unsolved" / ASSIGNMENT)
    shutil.copytree(course / "autograded" / "solved" / ASSIGNMENT / "results",
                    submitted / "unsolved" / ASSIGNMENT / "results")
    rc, output = _nbgrader(course, "autograde", ASSIGNMENT, "--student", "unsolved")
    assert rc == 0, output
    return course


def test_release_holds_no_solution_output_or_run_state(course):
    for name in EXERCISE_NOTEBOOKS:
        nb = json.loads((course / "release" / ASSIGNMENT / f"{name}.ipynb").read_text())
        text = "\n".join("".join(c["source"]) for c in nb["cells"])
        assert "BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text
        assert set(nb["metadata"]) <= {"kernelspec", "language_info"}, "widget state left"
        for cell in nb["cells"]:
            assert not cell.get("outputs")
            assert set(cell["metadata"]) <= {"nbgrader", "tags", "editable", "deletable"}, name


def test_validate_fails_on_the_release_and_passes_on_the_solutions(course):
    notebook = f"{EXERCISE_NOTEBOOKS[0]}.ipynb"
    _, released = _nbgrader(course, "validate", str(course / "release" / ASSIGNMENT / notebook))
    _, solved = _nbgrader(course, "validate", str(course / "source" / ASSIGNMENT / notebook))
    assert "VALIDATION FAILED" in released and "is not implemented yet" in released
    assert "Success! Your notebook passes all the tests." in solved


def test_autograde_gives_full_points_to_solutions_and_none_to_the_release(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        solved = gradebook.find_submission(ASSIGNMENT, "solved")
        unsolved = gradebook.find_submission(ASSIGNMENT, "unsolved")
        points = sum(c["metadata"]["nbgrader"].get("points", 0) for name in EXERCISE_NOTEBOOKS
                     for c in _code_cells(ROOT / "notebooks" / f"{name}.ipynb")
                     if "nbgrader" in c["metadata"])
        assert len(solved.notebooks) == len(EXERCISE_NOTEBOOKS)
        assert solved.max_score == points >= 2 * len(EXERCISE_NOTEBOOKS)
        assert solved.score == solved.max_score
        assert unsolved.score == 0


def test_unsolved_notebooks_fail_only_in_their_checks_with_the_student_message(course):
    for name in EXERCISE_NOTEBOOKS:
        cells = _code_cells(course / "autograded" / "unsolved" / ASSIGNMENT / f"{name}.ipynb")
        graded = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade")]
        errors = [(c, o) for c in cells for o in c["outputs"] if o["output_type"] == "error"]
        assert len(errors) == len(graded), name      # every check fails, nothing else does
        for cell, error in errors:
            assert cell in graded
            assert error["ename"] == "ExerciseNotPassed" and "is not implemented yet" in error["evalue"]
            assert "def " not in "".join(error["traceback"])   # no reference code shown


def test_generate_assignment_refuses_a_misspelt_solution_marker(tmp_path):
    shutil.copy(ROOT / "course" / "nbgrader_config.py", tmp_path)
    source = tmp_path / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    notebook = json.loads((ROOT / "notebooks" / "02_elbo_derivation_checks.ipynb").read_text())
    for cell in notebook["cells"]:
        cell["source"] = "".join(cell["source"]).replace("### BEGIN SOLUTION", "# BEGIN SOLUTION")
    (source / "02.ipynb").write_text(json.dumps(notebook))
    rc, output = _nbgrader(tmp_path, "generate_assignment", ASSIGNMENT)
    assert rc != 0 and "misspelt solution marker" in output, output
    assert not list((tmp_path / "release").rglob("*.ipynb")), "a solution reached the release"
