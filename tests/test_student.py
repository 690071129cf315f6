import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

from vae_helpers import student

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
EXERCISE_NOTEBOOKS = ["02_elbo_derivation_checks.ipynb", "03_dense_vae.ipynb", "05_kl_sweep.ipynb",
                      "06_kl_annealing.ipynb"]


def test_strip_solutions_keeps_indentation_and_counts_blocks():
    source = ("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
              "### BEGIN SOLUTION\ny = 1\n### END SOLUTION\nprint('kept')")
    out, blocks = student.strip_solutions(source)
    assert blocks == 2
    assert out == ("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
                   "# YOUR CODE HERE\nraise NotImplementedError()\nprint('kept')")


@pytest.mark.parametrize("source, match", [
    ("### BEGIN SOLUTION\nx = 1", "no ### END SOLUTION"),
    ("x = 1\n### END SOLUTION", "without a ### BEGIN SOLUTION"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
])
def test_unmatched_markers_are_reported(source, match):
    with pytest.raises(ValueError, match=match):
        student.strip_solutions(source)


def test_command_line_errors(tmp_path):
    with pytest.raises(SystemExit, match="no notebooks"):
        student.main([str(tmp_path), str(tmp_path / "out")])
    with pytest.raises(SystemExit, match="must differ"):
        student.main([str(NOTEBOOKS), str(NOTEBOOKS)])


def test_every_exercise_notebook_has_two_or_more_exercises(tmp_path, capsys):
    counts = student.write_student_version(NOTEBOOKS, tmp_path)
    for name in EXERCISE_NOTEBOOKS:
        assert counts[name] >= 2, name
    for path in tmp_path.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        assert "BEGIN SOLUTION" not in text
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("name", EXERCISE_NOTEBOOKS)
def test_student_version_runs_and_its_checks_fail_helpfully(name, tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_QUICK", "1")
    student.write_student_version(NOTEBOOKS, tmp_path)
    nb = nbformat.read(tmp_path / name, as_version=4)
    NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=600,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [(cell.source, out) for cell in nb.cells if cell.cell_type == "code"
              for out in cell.outputs if out.output_type == "error"]
    stubs = sum(cell.source.count("raise NotImplementedError()") for cell in nb.cells)
    assert len(errors) == stubs >= 2            # one failing check per exercise, nothing else
    for source, out in errors:
        assert "exercises.check_" in source         # only the check cells fail ...
        assert out.ename == "ExerciseNotPassed"  # ... with the student-facing message
        assert "is not implemented yet" in out.evalue
