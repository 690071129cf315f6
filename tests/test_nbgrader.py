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

from exercise_answers import CATALOGUE, answer_cell

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISE_NOTEBOOKS = ["02_elbo_derivation_checks", "03_dense_vae", "04_conv_vae", "05_kl_sweep",
                      "06_kl_annealing"]
MARKER = re.compile(r"(?i)#.*\b(begin|end)\s*solution")
ASSIGNMENT = "vae_kl"


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _code_cells(path):
    return [c for c in _cells(path) if c["cell_type"] == "code"]


def _points(notebook, manual):
    """The points of a source notebook's autograded (or manually graded) cells."""
    return sum(c["metadata"]["nbgrader"]["points"] for c in _cells(notebook)
               if c["metadata"].get("nbgrader", {}).get("grade")
               and (c["cell_type"] == "markdown") == manual)


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
        elif "### BEGIN HIDDEN TESTS" in source:   # a public check, then the graded tests
            assert meta and meta["grade"] and meta["locked"] and not meta["solution"], source
            assert "exercises.check_" in source.split("### BEGIN HIDDEN TESTS")[0], source
            assert "### END HIDDEN TESTS" in source and meta["points"] >= 1, source
        else:
            assert meta is None, source
        if meta:
            grade_ids.append(meta["grade_id"])
    for cell in _cells(path):   # manually graded answers: markdown, graded and answered
        meta = cell["metadata"].get("nbgrader")
        if cell["cell_type"] == "markdown" and meta:
            assert meta["grade"] and meta["solution"] and meta["points"] >= 1, cell["source"]
            grade_ids.append(meta["grade_id"])
    assert len(grade_ids) == len(set(grade_ids)), "grade ids must be unique"
    if path.stem in EXERCISE_NOTEBOOKS:
        assert len(grade_ids) >= 3, "an exercise (a solution and a check) and a question, or two exercises"
    if path.stem in EXERCISE_NOTEBOOKS[1:]:   # the training notebooks: a question to answer
        assert _points(path, manual=True) >= 2, "a manually graded question"


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


def _wrong_submission(release, folder):
    """The release with every solution cell answered by a wrong answer of the catalogue."""
    folder.mkdir(parents=True)
    for name in EXERCISE_NOTEBOOKS:
        notebook = json.loads((release / f"{name}.ipynb").read_text())
        for cell in notebook["cells"]:
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if grade_id in CATALOGUE:
                wrong = list(CATALOGUE[grade_id][1].values())[1]
                cell["source"] = answer_cell("".join(cell["source"]), wrong)
        (folder / f"{name}.ipynb").write_text(json.dumps(notebook))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder with the exercise notebooks as one assignment, generated, autograded and
    given feedback for three students: one hands in the solved source, one the unsolved
    release, one the release answered with the catalogue's wrong answers."""
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
    _wrong_submission(course / "release" / ASSIGNMENT, submitted / "wrong" / ASSIGNMENT)
    shutil.copytree(course / "autograded" / "solved" / ASSIGNMENT / "results",
                    submitted / "wrong" / ASSIGNMENT / "results")
    rc, output = _nbgrader(course, "autograde", ASSIGNMENT, "--student", "wrong")
    assert rc == 0, output
    rc, output = _nbgrader(course, "generate_feedback", ASSIGNMENT)
    assert rc == 0, output
    return course


def test_release_holds_no_solution_output_or_run_state(course):
    for name in EXERCISE_NOTEBOOKS:
        nb = json.loads((course / "release" / ASSIGNMENT / f"{name}.ipynb").read_text())
        text = "\n".join("".join(c["source"]) for c in nb["cells"])
        assert "BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text
        assert "HIDDEN TESTS" not in text and "package_answers_blocked" not in text
        assert "Model answer" not in text and "YOUR ANSWER HERE" in text or name == EXERCISE_NOTEBOOKS[0]
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


def test_autograde_gives_full_points_to_solutions_and_none_to_the_release_or_wrong_answers(course):
    from nbgrader.api import Gradebook

    sources = [ROOT / "notebooks" / f"{name}.ipynb" for name in EXERCISE_NOTEBOOKS]
    autograded = sum(_points(path, manual=False) for path in sources)
    manual = sum(_points(path, manual=True) for path in sources)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        solved, unsolved, wrong = (gradebook.find_submission(ASSIGNMENT, student)
                                   for student in ("solved", "unsolved", "wrong"))
        assert len(solved.notebooks) == len(EXERCISE_NOTEBOOKS)
        assert solved.max_score == autograded + manual and autograded >= 2 * len(EXERCISE_NOTEBOOKS)
        # the questions wait for a person; every autograded point is the solutions'
        assert solved.score == autograded and solved.needs_manual_grade
        assert unsolved.score == 0 and wrong.score == 0
        for notebook in wrong.notebooks:   # every check of every exercise failed, none errored
            checks = [g for g in notebook.grades if g.cell.cell_type == "code"]
            assert checks and all(g.auto_score == 0 for g in checks), notebook.name


def test_feedback_is_generated_for_every_student_and_says_what_failed(course):
    for student in ("solved", "unsolved", "wrong"):
        for name in EXERCISE_NOTEBOOKS:
            html = (course / "feedback" / student / ASSIGNMENT / f"{name}.html").read_text()
            assert "Score:" in html or "score" in html.lower(), (student, name)
    wrong = (course / "feedback" / "wrong" / ASSIGNMENT / "06_kl_annealing.html").read_text()
    assert "Exercise not passed yet" in wrong or "ExerciseNotPassed" in wrong


def test_unsolved_notebooks_fail_only_in_their_checks_with_the_student_message(course):
    for name in EXERCISE_NOTEBOOKS:
        cells = _code_cells(course / "autograded" / "unsolved" / ASSIGNMENT / f"{name}.ipynb")
        graded = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade")]   # code cells
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
