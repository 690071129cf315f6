#!/usr/bin/env bash
# Create ./.venv with the pinned packages and vae_helpers (editable).
# Re-running is cheap: nothing is reinstalled unless requirements.txt or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.setup-stamp
tensorflow=$(bash scripts/tensorflow_requirement.sh)   # the GPU build where nvidia-smi lists a GPU
want=$( (cat requirements.txt pyproject.toml scripts/hide_nbgrader_ui.sh scripts/lab_settings.sh \
         scripts/jupyterlab_overrides.json; echo "$tensorflow") \
        | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing the pinned environment into .venv (about 2 GB, a few minutes the first time)..."
  .venv/bin/python -m pip install -q --upgrade pip
  grep -v '^tensorflow' requirements.txt > .venv/requirements-without-tensorflow.txt
  .venv/bin/python -m pip install -q -r .venv/requirements-without-tensorflow.txt "$tensorflow"
  .venv/bin/python -m pip install -q --no-deps -e .
  bash scripts/hide_nbgrader_ui.sh .venv/bin
  bash scripts/lab_settings.sh "$PWD/.venv"
  echo "$want" > "$stamp"
fi
