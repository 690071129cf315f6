"""A notebook run headless through papermill with other parameters, in a folder where the
defaults already ran: its values reach everything derived from them (the results folder)."""
import json
import pathlib
import shutil

import papermill

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "notebooks" / "05_kl_sweep.ipynb"


def _printed(path):
    cells = json.loads(path.read_text())["cells"]
    return "".join("".join(o.get("text", "")) for c in cells if c["cell_type"] == "code"
                   for o in c["outputs"])


def test_changed_parameters_train_their_own_runs_where_the_defaults_already_ran(tmp_path,
                                                                                monkeypatch):
    monkeypatch.setenv("VAE_QUICK", "1")
    shutil.copy(NOTEBOOK, tmp_path)
    source = str(tmp_path / NOTEBOOK.name)
    run = dict(cwd=str(tmp_path), kernel_name="python3", progress_bar=False)
    papermill.execute_notebook(source, str(tmp_path / "default.ipynb"), **run)
    papermill.execute_notebook(source, str(tmp_path / "changed.ipynb"),
                               parameters={"EPOCHS": 1, "COEFFICIENTS": [0, 1]}, **run)
    folders = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert folders == ["kl_sweep_1epochs_batch128_lr0.001_seed0_val0.1_n1000_quick",
                       "kl_sweep_2epochs_batch128_lr0.001_seed0_val0.1_n1000_quick"]
    assert "8 runs trained" in _printed(tmp_path / "default.ipynb")
    assert "2 runs trained" in _printed(tmp_path / "changed.ipynb")   # not loaded, not refused
    history = json.loads((tmp_path / "results" / folders[0] / "c=1" / "result.json").read_text())
    assert len(history["history"]["loss"]) == 1
