"""What the set-up installs: TensorFlow's GPU build where nvidia-smi lists an NVIDIA GPU (Linux)
and the pinned CPU build otherwise, checked with stand-in nvidia-smi commands on the PATH; and
the JupyterLab settings students get."""
import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SYSTEM_PATH = "/usr/bin:/bin"
VERSION = re.search(r"^tensorflow-cpu==([0-9.]+)", (ROOT / "requirements.txt").read_text(), re.M)[1]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the choice is Linux's")


def _choice(tmp_path, nvidia_smi=None):
    """Run the choice with ``nvidia_smi`` (a shell script body, or None for no command)."""
    if nvidia_smi is not None:
        (tmp_path / "nvidia-smi").write_text(f"#!/bin/sh\n{nvidia_smi}\n")
        (tmp_path / "nvidia-smi").chmod(0o755)
    done = subprocess.run(["bash", str(ROOT / "scripts" / "tensorflow_requirement.sh")], text=True,
                          capture_output=True, env={"PATH": f"{tmp_path}:{SYSTEM_PATH}"}, check=True)
    return done.stdout.strip(), done.stderr


def test_a_listed_nvidia_gpu_gets_the_gpu_build(tmp_path):
    requirement, said = _choice(tmp_path, 'echo "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0a1b2c)"')
    assert requirement == f"tensorflow[and-cuda]=={VERSION}"
    assert "NVIDIA H100" in said and "GPU build" in said


@pytest.mark.parametrize("nvidia_smi", [
    'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver."; exit 9',
    "exit 0",   # a driver without devices lists nothing
], ids=["driver failure", "no device listed"])
def test_an_nvidia_smi_without_a_gpu_gets_the_cpu_build(tmp_path, nvidia_smi):
    requirement, said = _choice(tmp_path, nvidia_smi)
    assert requirement == f"tensorflow-cpu=={VERSION}" and "CPU build" in said


@pytest.mark.skipif(shutil.which("nvidia-smi", path=SYSTEM_PATH) is not None,
                    reason="this machine has a real nvidia-smi")
def test_no_nvidia_smi_gets_the_cpu_build(tmp_path):
    requirement, said = _choice(tmp_path)
    assert requirement == f"tensorflow-cpu=={VERSION}" and "No NVIDIA GPU visible" in said


def test_setup_installs_the_chosen_build_in_place_of_the_pinned_line():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert "tensorflow=$(bash scripts/tensorflow_requirement.sh)" in setup
    assert "grep -v '^tensorflow' requirements.txt" in setup and '"$tensorflow"' in setup
    assert 'echo "$tensorflow"' in setup   # the choice is part of the stamp: a new machine reinstalls


def test_lab_settings_switch_off_the_news_prompt_where_setup_and_binder_install(tmp_path):
    subprocess.run(["bash", str(ROOT / "scripts" / "lab_settings.sh"), str(tmp_path)], check=True)
    overrides = json.loads((tmp_path / "share/jupyter/lab/settings/overrides.json").read_text())
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    schema = json.loads((pathlib.Path(sys.prefix) / "share/jupyter/lab/schemas/@jupyterlab"
                         / "apputils-extension/notification.json").read_text())["properties"]
    # "false" is JupyterLab's "Never" (the default "none" asks, in a pop-up over the start page)
    assert notification["fetchNews"] == "false"
    assert "false" in [choice["const"] for choice in schema["fetchNews"]["oneOf"]]
    assert notification["checkForUpdates"] is False and set(notification) <= set(schema)
    assert 'lab_settings.sh "$PWD/.venv"' in (ROOT / "scripts" / "setup.sh").read_text()
    assert "bash scripts/lab_settings.sh" in (ROOT / "binder" / "postBuild").read_text()
