"""Write the course website's Jupyter Book source into a folder (scripts/site.sh calls it).

    python scripts/site_source.py build/site-src MATHJAX_ES5_DIR

The folder mirrors the repository's layout, so the launch buttons and the README's links
point at the real files:

- ``index.md``: the README's title and introduction, the loss in TeX (LOSS below), "Quick
  start" and "The notebooks" (the home page);
- ``notebooks/*.ipynb``: every notebook with its STORED outputs (never executed), each
  ipywidgets output replaced by its static figure (the image saved in the widget state) or,
  for a progress bar, its saved text, so no widget JavaScript has to be fetched from a CDN;
- ``results.md`` and ``speed_and_memory.md``: the README's "Results" and "Speed and memory";
- ``docs/*.png``: the figures the README shows;
- ``site_static/mathjax/``: MathJax 3 (the npm package), served with the site, no CDN;
- ``site_static/wrap.css`` (long code and output lines wrap) and ``favicon.svg``;
- ``_config.yml`` and ``_toc.yml``, written here, with the GitHub path read from its one home,
  ``[project.urls] Repository`` in pyproject.toml (scripts/set_repository.py).
"""

import base64
import html
import json
import pathlib
import re
import shutil
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import set_repository  # noqa: E402

LAUNCH_MARKS = set_repository.LAUNCH_MARKS
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
HOME_SECTIONS = ["Quick start", "The notebooks"]
PAGES = {"results": "Results", "speed_and_memory": "Speed and memory"}
# The notebooks write their maths as Unicode text (no TeX); the home page states the loss the
# series studies in TeX, so every build renders (and scripts/check_site.py checks) MathJax.
LOSS = r"""
The loss every notebook studies, per image, as `vae_helpers.losses.vae_loss` forms it
(reconstruction + β · KL; notebook 05 calls the KL weight $c$):

$$
\mathcal{L}(x) = \underbrace{-\,\mathbb{E}_{q(z \mid x)}\big[\log p(x \mid z)\big]}_{\text{reconstruction}}
  \;+\; \beta \, \underbrace{\mathrm{KL}\big(q(z \mid x) \,\|\, \mathcal{N}(0, I)\big)}_{\text{KL term}}
$$
"""


# Long lines wrap instead of running past the right edge of the content column (install cells
# with the repository's address, the quick-start block, printed notes).
WRAP_CSS = """div.highlight pre, .cell_output pre, .output pre {
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}
"""
# The site's icon: the prior N(0, 1) and a narrower encoder Gaussian beside it.
FAVICON = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="5" fill="#1f77b4"/>
<path d="M2 27 C9 27 11 9 16 9 C21 9 23 27 30 27" fill="none" stroke="#fff" stroke-width="2.5"/>
<path d="M13 27 C17 27 18 5 21 5 C24 5 25 27 29 27" fill="none" stroke="#ffbf00" stroke-width="2"/>
</svg>
"""


def without_launch_line(text):
    """``text`` less the launch line that scripts/set_repository.py writes under a title: on
    the site the theme's launch buttons (a notebook page's header) or ``launch_links`` (the
    home page) take its place."""
    return "\n".join(line for line in text.split("\n") if not line.startswith(LAUNCH_MARKS))


def launch_links(repository):
    """Text links that open the start page on Binder and Colab, from the same URLs as the
    README's badges (scripts/set_repository.py)."""
    binder, colab = set_repository.launch_urls(repository, "notebooks/00_start_here.ipynb")
    return f"**Open the series:** [on Binder]({binder}) · [on Colab]({colab})\n"


def readme_sections(text):
    """The README split at its ``## `` headings: {"": preamble, heading: body with heading}."""
    sections, name, lines, fence = {}, "", [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
        if line.startswith("## ") and not fence:
            sections[name] = "\n".join(lines).strip() + "\n"
            name, lines = line[3:].strip(), []
        lines.append(line)
    sections[name] = "\n".join(lines).strip() + "\n"
    return sections


def promoted(section):
    """A ``## `` section as a page of its own: every heading one level up."""
    out, fence = [], False
    for line in section.splitlines():
        if line.startswith("```"):
            fence = not fence
        if not fence and re.match(r"#{2,6} ", line):
            line = line[1:]
        out.append(line)
    return "\n".join(out) + "\n"


def _children(state):
    """Model ids referenced by a widget's state (``IPY_MODEL_<id>`` strings)."""
    found = []

    def walk(value):
        if isinstance(value, str) and value.startswith("IPY_MODEL_"):
            found.append(value[len("IPY_MODEL_"):])
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(state)
    return found


def static_widget(model_id, models):
    """The data of a static output for the widget ``model_id``: its first image as PNG, or the
    text of its HTML/Label parts and progress bar (tqdm), from the saved widget state."""
    images, texts, seen, todo = [], [], set(), [model_id]
    while todo:
        current = todo.pop(0)
        if current in seen or current not in models:
            continue
        seen.add(current)
        model = models[current]
        state = model.get("state", {})
        if model.get("model_name") == "ImageModel":
            for buffer in model.get("buffers", []):
                if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64":
                    images.append(buffer["data"])
        elif model.get("model_name") in ("HTMLModel", "LabelModel") and state.get("value"):
            texts.append(html.unescape(re.sub(r"<[^>]+>", "", state["value"])).strip())
        elif model.get("model_name") in ("FloatProgressModel", "IntProgressModel"):
            fraction = state.get("value", 0) / (state.get("max") or 1)
            texts.append("█" * round(10 * fraction) + "░" * (10 - round(10 * fraction)))
        todo.extend(_children(state.get("children", [])))
    if images:
        return {"image/png": images[0], "text/plain": "(the widget's starting figure)"}
    return {"text/plain": " ".join(t for t in texts if t)}


def static_notebook(path):
    """The notebook at ``path`` with its widget outputs made static and its widget state
    dropped (so the page loads no widget JavaScript)."""
    notebook = json.loads(path.read_text())
    models = notebook["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = set_repository.source_lines(
                without_launch_line("".join(cell["source"])))
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                output["data"] = static_widget(data[WIDGET_VIEW]["model_id"], models)
                base64.b64decode(output["data"].get("image/png", ""), validate=True)
    notebook["metadata"].pop("widgets", None)
    return notebook


def config(repository):
    owner, name = repository.split("/")
    return {
        "title": "How the KL term shapes a variational autoencoder",
        "author": owner,
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "repository": {"url": f"https://github.com/{repository}", "path_to_book": "",
                       "branch": "main"},
        "launch_buttons": {"notebook_interface": "jupyterlab",
                           "binderhub_url": "https://mybinder.org",
                           "colab_url": "https://colab.research.google.com"},
        "html": {"use_repository_button": True, "use_issues_button": True,
                 "home_page_in_navbar": True},
        "parse": {"myst_enable_extensions": ["amsmath", "colon_fence", "dollarmath"]},
        "sphinx": {"local_extensions": {"site_sphinx_ext": str(ROOT / "scripts")},
                   "config": {
            # MathJax 3 served with the site (from the npm package), not from a CDN: Sphinx
            # copies site_static/ into _static/. (Not the book's own _static/: Jupyter Book
            # would add every .js file there to every page.)
            "html_static_path": ["site_static"],
            "mathjax_path": "mathjax/tex-mml-chtml.js",
            "html_css_files": ["wrap.css"],
            "html_favicon": "site_static/favicon.svg",
            "myst_heading_anchors": 3,
            "html_show_copyright": False,
            # Without it a first visit logs "Got invalid theme mode" (no mode stored yet).
            "html_context": {"default_mode": "light"},
            "nb_ipywidgets_js": {},
        }},
    }


def toc():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    return {
        "format": "jb-book",
        "root": "index",
        "parts": [
            {"caption": "The series",
             "chapters": [{"file": f"notebooks/{nb.stem}"} for nb in notebooks]},
            {"caption": "Results and benchmark",
             "chapters": [{"file": page} for page in PAGES]},
        ],
    }


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.split("\n\n")[1])
    out, mathjax = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    if not (mathjax / "tex-mml-chtml.js").is_file():
        raise SystemExit(f"{mathjax} holds no MathJax 3 (tex-mml-chtml.js)")
    if out.exists():
        shutil.rmtree(out)
    (out / "notebooks").mkdir(parents=True)
    repository = set_repository.repository()
    sections = readme_sections(without_launch_line((ROOT / "README.md").read_text()))
    missing = [name for name in [*HOME_SECTIONS, *PAGES.values()] if name not in sections]
    if missing:
        raise SystemExit(f"README.md has no section(s) {missing}: the site's pages are made "
                         "from them; update HOME_SECTIONS/PAGES in scripts/site_source.py")
    (out / "index.md").write_text(
        "\n".join([sections[""], launch_links(repository), LOSS,
                   *(sections[name] for name in HOME_SECTIONS)]))
    for page, heading in PAGES.items():
        (out / f"{page}.md").write_text(promoted(sections[heading]))
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        (out / "notebooks" / path.name).write_text(
            json.dumps(static_notebook(path), indent=1, ensure_ascii=False) + "\n")
    shutil.copytree(ROOT / "docs", out / "docs")
    shutil.copytree(mathjax, out / "site_static" / "mathjax")
    (out / "site_static" / "wrap.css").write_text(WRAP_CSS)
    (out / "site_static" / "favicon.svg").write_text(FAVICON)
    (out / "_config.yml").write_text(
        "# Written by scripts/site_source.py; do not edit.\n"
        + yaml.safe_dump(config(repository), sort_keys=False))
    (out / "_toc.yml").write_text(
        "# Written by scripts/site_source.py; do not edit.\n"
        + yaml.safe_dump(toc(), sort_keys=False))
    print(f"site source written to {out} for {repository}")


if __name__ == "__main__":
    main()
