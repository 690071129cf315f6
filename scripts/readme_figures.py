"""Copy the figures the README shows from the notebooks' stored outputs into docs/, so they
are the figures of the committed run, at the size the notebooks draw them (every figure fits
the content column: tests/test_project_files.py). Run after re-executing 03 or 05:

    python scripts/readme_figures.py
"""

import base64
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
# docs file: (notebook, a line of the cell that draws it, which of the cell's images)
FIGURES = {
    "dense_vae_latent.png": ("03_dense_vae.ipynb", 'title="reference: N(0, I)")', 0),
    "prior_samples.png": ("03_dense_vae.ipynb", 'title="64 digits decoded from z ~ N(0, I)")', 0),
    "sweep_manifolds.png": ("05_kl_sweep.ipynb", "fig = plotting.plot_sweep_manifolds(", 0),
    "sweep_prior_samples.png": ("05_kl_sweep.ipynb", "fig = plotting.plot_sweep_prior_samples(", 0),
    "rate_distortion.png": ("05_kl_sweep.ipynb", "fig = plotting.plot_rate_distortion(", 0),
}


def stored_figure(notebook, line, index):
    """The PNG bytes of the ``index``-th image of the one cell of ``notebook`` holding ``line``."""
    cells = [c for c in json.loads((ROOT / "notebooks" / notebook).read_text())["cells"]
             if c["cell_type"] == "code" and line in "".join(c["source"])]
    if len(cells) != 1:
        raise SystemExit(f"{notebook}: {len(cells)} cells hold {line!r}; expected one")
    images = [o["data"]["image/png"] for o in cells[0].get("outputs", [])
              if "image/png" in o.get("data", {})]
    return base64.b64decode(images[index])


def main():
    for name, where in FIGURES.items():
        (ROOT / "docs" / name).write_bytes(stored_figure(*where))
        print(f"docs/{name} <- {where[0]}")


if __name__ == "__main__":
    main()
