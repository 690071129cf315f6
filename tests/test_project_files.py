"""The set-up files agree with each other and the committed notebooks are clean."""

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


def _pins(text):
    return [line.strip().removeprefix("- ").strip() for line in text.splitlines()
            if "==" in line and not line.lstrip().startswith("#")]


def test_binder_environment_is_identical_to_the_top_level_one():
    assert (ROOT / "binder" / "environment.yml").read_text() == (ROOT / "environment.yml").read_text()


def test_environment_pins_match_requirements():
    assert _pins((ROOT / "environment.yml").read_text()) == _pins((ROOT / "requirements.txt").read_text())


def test_postbuild_stops_on_error_and_prefetches_mnist():
    text = (ROOT / "binder" / "postBuild").read_text()
    assert "set -e" in text and "load_mnist(source='keras')" in text


def test_ci_runs_the_readme_test_command():
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith(("#", "set "))]
    assert commands == ["bash scripts/test.sh"]
    assert "bash scripts/test.sh" in (ROOT / "README.md").read_text()


def test_notebooks_are_numbered_in_order_after_the_start_page():
    assert NOTEBOOKS[0].name == "00_start_here.ipynb"
    assert [nb.name[:3] for nb in NOTEBOOKS] == [f"{i:02d}_" for i in range(len(NOTEBOOKS))]


def test_the_start_page_links_every_chapter_and_binder_opens_it():
    text = "".join("".join(c["source"]) for c in json.loads(NOTEBOOKS[0].read_text())["cells"])
    for chapter in NOTEBOOKS[1:]:
        assert f"]({chapter.name})" in text, chapter.name
    assert "urlpath=lab/tree/notebooks/00_start_here.ipynb" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_has_a_parameters_cell(path):
    code = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    assert any("parameters" in c["metadata"].get("tags", []) for c in code), "no parameters cell"


@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=lambda p: p.name)
def test_committed_chapter_is_clean(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is not None for c in code), "a code cell was never run"
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"], "stored error"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert any("assert " in "".join(c["source"]) for c in code), "no assertion cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_vae_helpers_is_imported_before_tensorflow(path):
    """vae_helpers quiets TensorFlow's start-up messages (TF_CPP_MIN_LOG_LEVEL) only
    if it is imported before TensorFlow is: the first import of any cell must be it."""
    sources = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]
               if c["cell_type"] == "code"]
    first = next(line for s in sources for line in s.splitlines()
                 if line.startswith(("import ", "from ")))
    assert first.startswith(("from vae_helpers", "import vae_helpers")), first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_test_markers_are_cell_tags_not_comments_students_read(path):
    code = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    assert not [c for c in code if "NBVAL_" in "".join(c["source"])], "a # NBVAL_ comment is back"
    tags = {tag for c in code for tag in c["metadata"].get("tags", [])}
    assert not {t for t in tags if t.startswith("nbval")} - {"nbval-ignore-output", "nbval-skip",
                                                             "nbval-raises-exception"}, tags


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_shows_no_stderr(path):
    """A stderr output shows as a pink block in JupyterLab."""
    cells = json.loads(path.read_text())["cells"]
    assert not [o for c in cells for o in c.get("outputs", []) if o.get("name") == "stderr"]


KERNEL_RUN = """
import json, sys, nbformat
from nbclient import NotebookClient
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in json.loads(sys.argv[1])])
NotebookClient(nb, kernel_name="python3", timeout=300).execute()
print(json.dumps([o["text"] for c in nb.cells for o in c.outputs if o.get("name") == "stderr"]))
"""


def test_a_default_kernel_shows_no_tensorflow_noise():
    """As a student's JupyterLab runs it: the default kernel (which captures C-level stderr;
    it does not under pytest's own capture, hence the subprocess) and no TensorFlow variables
    set beforehand. On AVX-512 CPUs TensorFlow announces oneDNN at import time."""
    cells = ["from vae_helpers import quick_mode",
             "import keras, numpy as np\nfrom vae_helpers import models, training\n"
             "vae = models.dense_vae(hidden_units=8)\n"
             "vae.compile(optimizer='adam', steps_per_execution=32, jit_compile=True)\n"
             "vae.fit(training.array_dataset(np.random.rand(64, 784), 32), epochs=1, "
             "verbose=0, shuffle=False)"]
    # ipykernel does not capture C-level output under pytest (PYTEST_CURRENT_TEST)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PYTEST_"))}
    done = subprocess.run([sys.executable, "-c", KERNEL_RUN, json.dumps(cells)], env=env,
                          capture_output=True, text=True, timeout=600, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_the_nbval_kernel_is_offered_to_the_tests_only():
    def kernels(**env):
        environ = {k: v for k, v in os.environ.items() if k != "JUPYTER_PATH"}
        code = "from jupyter_client.kernelspec import find_kernel_specs; print(sorted(find_kernel_specs()))"
        return subprocess.run([sys.executable, "-c", code], env={**environ, **env}, text=True,
                              capture_output=True, check=True).stdout
    assert "vae-helpers-nbval" not in kernels()          # what a student's JupyterLab lists
    assert "vae-helpers-nbval" in kernels(JUPYTER_PATH=str(ROOT / "tests" / "jupyter"))


PLACEHOLDER = "OWNER" + "/REPO"  # spelled in two parts so this file does not hold it


def test_no_repository_placeholder_is_left_in_the_project():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    holding = [name for name in tracked if (ROOT / name).is_file()
               and PLACEHOLDER in (ROOT / name).read_bytes().decode("utf-8", "replace")]
    assert holding == [], f"set the GitHub path with scripts/set_repository.py: {holding}"


def test_launch_links_and_install_cells_follow_the_one_repository_path(tmp_path):
    for name in ("README.md", "pyproject.toml", "notebooks", "scripts"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    script = [sys.executable, str(tmp_path / "scripts" / "set_repository.py")]
    assert subprocess.run([*script, "--check"], capture_output=True).returncode == 0, \
        "launch links are out of date: run python scripts/set_repository.py"
    subprocess.run([*script, "someone/a-fork"], check=True, capture_output=True)
    assert subprocess.run([*script, "--check"], capture_output=True).returncode == 0
    for notebook in sorted((tmp_path / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        install = next(c for c in cells if c["cell_type"] == "code")
        assert all("id" in c for c in cells), "nbformat 4.5 needs an id on every cell"
        assert "git+https://github.com/someone/a-fork\"" in "".join(install["source"])
        assert (f"colab.research.google.com/github/someone/a-fork/blob/main/notebooks/"
                f"{notebook.name}") in "".join(cells[0]["source"])
    readme = (tmp_path / "README.md").read_text()
    assert "mybinder.org/v2/gh/someone/a-fork/HEAD?urlpath=lab/tree/notebooks/00_start_here" in readme
    assert "github.com/someone/a-fork" in (tmp_path / "pyproject.toml").read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_show_no_remote_image_which_breaks_without_a_network(path):
    markdown = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                       if c["cell_type"] == "markdown")
    assert not re.findall(r"!\[[^\]]*\]\(https?://", markdown)
    assert "**Open this notebook on** [Binder](https://mybinder.org/" in markdown   # text links


# "Kingma and Welling (2014)", "Burda et al. 2016", "(Fu et al., 2019)", "Lunot 2019"
CITATION = re.compile(r"\b([A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?: et al\.| and [A-Z][a-z]+(?:-[A-Z][a-z]+)?)?,? "
                      r"\(?((?:19|20)\d\d)\)?")


@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=lambda p: p.name)
def test_every_cited_author_and_year_is_in_the_notebooks_references(path):
    markdown = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                if c["cell_type"] == "markdown"]
    references = [m for m in markdown if m.startswith("## References")]
    assert len(references) == 1, "one references cell"
    entries = references[0].split("\n- ")[1:]
    assert entries, "the references cell lists its sources"
    text = "\n".join(m for m in markdown if not m.startswith("## References"))
    for author, year in set(CITATION.findall(text)):
        authors = [e.split(f"({year})")[0] for e in entries if f"({year})" in e]
        assert any(author in names for names in authors), f"{author} {year} is cited but not referenced"


def test_the_class_budget_was_measured_for_every_training_notebook_and_is_kept():
    """benchmarks/class_budget.py's table: each training notebook's default run on 60,000
    MNIST-shaped images within its budget and under Binder's 2 GB, and no notebook's
    default trains on more images than the table was measured with."""
    table = json.loads((ROOT / "benchmarks" / "class_budget.json").read_text())
    assert sorted(table["notebooks"]) == ["03", "04", "05", "06"]
    for number, row in table["notebooks"].items():
        assert row["seconds"] <= 60 * row["budget_minutes"], (number, row["seconds"])
        assert row["peak_gb"] < 2.0, (number, row["peak_gb"])
        assert row["training_images_default"] < row["training_images_full"] == 60_000, number
        notebook = json.loads((ROOT / "notebooks" / row["notebook"]).read_text())
        parameters = next("".join(c["source"]) for c in notebook["cells"]
                          if "parameters" in c["metadata"].get("tags", []))
        assert "FULL = False" in parameters, number
        default = re.search(r"N_TRAIN = 1000 if QUICK else \(None if FULL else ([\d_]+)\)", parameters)
        assert default and int(default.group(1)) == row["training_images_default"], number



# The narrowest column a stored figure is shown in: the course site's content column (about
# 690 CSS px; JupyterLab's output area is wider). A PNG wider than this is scaled down there,
# text and digits with it, so every figure is drawn for this width at its stored resolution.
CONTENT_COLUMN_PX = 700


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_stored_figure_fits_the_content_column_it_is_shown_in(path):
    import base64
    import struct

    too_wide = []
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                width = struct.unpack(">I", base64.b64decode(png)[16:20])[0]  # the IHDR chunk
                if width > CONTENT_COLUMN_PX:
                    too_wide.append((index, width))
    assert not too_wide, f"figures wider than {CONTENT_COLUMN_PX} px (cell, width): {too_wide}"


def test_the_readme_figures_are_the_stored_outputs_of_the_committed_run():
    sys.path.insert(0, str(ROOT / "scripts"))
    import readme_figures

    for name, where in readme_figures.FIGURES.items():
        assert f"(docs/{name})" in (ROOT / "README.md").read_text(), name
        assert (ROOT / "docs" / name).read_bytes() == readme_figures.stored_figure(*where), (
            f"docs/{name} is not the figure {where[0]} stores: run python scripts/readme_figures.py")
