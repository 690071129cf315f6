"""Write the repository's GitHub path into every launch link and install cell.

    python scripts/set_repository.py               # rewrite the links from pyproject.toml
    python scripts/set_repository.py owner/name    # set a new path (e.g. a fork), then rewrite
    python scripts/set_repository.py --check       # exit 1 if a link is out of date

The path has ONE home, ``[project.urls] Repository`` in pyproject.toml; the README's
badges, each notebook's "Open in Binder / Colab" line and its first code cell (which
installs ``vae_helpers`` where it is missing, as on Colab) are written from it.
"""

import argparse
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
URL_LINE = re.compile(r'^Repository = "https://github\.com/([^"]+)"$', re.M)
BADGES = "[![Binder](https://mybinder.org/badge_logo.svg)]"  # how the README's launch line starts
# a notebook's launch line is text, not remote badge images, which show broken without a network
NOTEBOOK_LINKS = "**Open this notebook on** [Binder]"
LAUNCH_MARKS = (BADGES, NOTEBOOK_LINKS)
INSTALL_TAG = "install-if-missing"


def repository():
    """The ``owner/name`` GitHub path stored in pyproject.toml."""
    found = URL_LINE.search(PYPROJECT.read_text())
    if found is None:
        raise SystemExit('pyproject.toml has no [project.urls] line '
                         'Repository = "https://github.com/owner/name".')
    return found.group(1)


def launch_urls(path, notebook):
    """``(binder, colab)``: the URLs that open ``notebook`` (relative to the repository)."""
    return (f"https://mybinder.org/v2/gh/{path}/HEAD?urlpath=lab/tree/{notebook}",
            f"https://colab.research.google.com/github/{path}/blob/main/{notebook}")


def launch_line(path, notebook):
    """Markdown badges that open ``notebook`` in Binder and Colab (the README's)."""
    binder, colab = launch_urls(path, notebook)
    return (f"{BADGES}({binder}) "
            f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})")


def notebook_launch_line(path, notebook):
    """Text links that open ``notebook`` in Binder and Colab (a notebook's)."""
    binder, colab = launch_urls(path, notebook)
    return f"{NOTEBOOK_LINKS}({binder}) · [Colab]({colab})"


def install_cell(path):
    return [
        "try:\n",
        "    import vae_helpers  # the series' package (imported first: it quiets TensorFlow)\n",
        "except ModuleNotFoundError:  # on Colab, or any machine without it: install it\n",
        f'    %pip install --quiet "vae_helpers @ git+https://github.com/{path}"',
    ]


def _with_launch_line(text, line):
    """``text`` with its launch line (re)written right under its title."""
    title, *rest = [item for item in text.split("\n") if not item.startswith(LAUNCH_MARKS)]
    while rest and rest[0] == "":
        rest.pop(0)
    return "\n".join([title, "", line, "", *rest])


def updated_readme(text, path):
    return _with_launch_line(text, launch_line(path, "notebooks/00_start_here.ipynb"))


def updated_notebook(text, path, name):
    """The notebook ``text`` with its launch line and install cell written for ``path``."""
    notebook = json.loads(text)
    cells = notebook["cells"]
    cells[0]["source"] = source_lines(_with_launch_line(
        "".join(cells[0]["source"]), notebook_launch_line(path, f"notebooks/{name}")))
    first = next(cell for cell in cells if cell["cell_type"] == "code")
    if INSTALL_TAG not in first["metadata"].get("tags", []):
        first = {"cell_type": "code", "execution_count": None, "id": INSTALL_TAG,
                 "metadata": {"tags": [INSTALL_TAG]}, "outputs": [], "source": []}
        cells.insert(1, first)
    first["source"] = install_cell(path)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def source_lines(text):
    """``text`` as a notebook cell's list of lines."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", help="the new GitHub path, owner/name")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if out of date")
    args = parser.parse_args()
    if args.path:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", args.path):
            raise SystemExit(f"{args.path!r} is not a GitHub path; give it as owner/name.")
        PYPROJECT.write_text(URL_LINE.sub(f'Repository = "https://github.com/{args.path}"',
                                          PYPROJECT.read_text()))
    path = repository()
    files = [ROOT / "README.md", *sorted((ROOT / "notebooks").glob("*.ipynb"))]
    changed = []
    for file in files:
        text = file.read_text()
        new = (updated_readme(text, path) if file.suffix == ".md"
               else updated_notebook(text, path, file.name))
        if new != text:
            changed.append(file.name)
            if not args.check:
                file.write_text(new)
    if args.check and changed:
        print(f"launch links out of date for {path} in {', '.join(changed)}: "
              "run python scripts/set_repository.py")
        return 1
    print(f"{path}: {'rewrote ' + ', '.join(changed) if changed else 'every link is current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
