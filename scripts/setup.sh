#!/usr/bin/env bash
# Create ./.venv with the pinned packages, vae_helpers (editable) and the test kernel.
# Re-running is cheap: nothing is reinstalled unless requirements.txt or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.setup-stamp
want=$(cat requirements.txt pyproject.toml tests/kernel/kernel.json | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing the pinned environment into .venv (about 2 GB, a few minutes the first time)..."
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  .venv/bin/python -m pip install -q --no-deps -e .
  # nbval needs a kernel that does not capture TensorFlow's C-level stderr (see README).
  .venv/bin/jupyter kernelspec install --sys-prefix --name vae-helpers-nbval tests/kernel >/dev/null
  echo "$want" > "$stamp"
fi
