#!/usr/bin/env bash
# Set up .venv if needed, then open the series in JupyterLab.
#   bash scripts/lab.sh             JupyterLab on notebooks/, at the start page (extra arguments go to jupyter lab)
#   bash scripts/lab.sh --headless  execute every notebook in order into executed/ instead
# Full settings by default; VAE_QUICK=1 runs the quick mode (a few epochs on a small slice).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=2
if [ "${1:-}" = "--headless" ]; then
  mkdir -p executed
  for nb in notebooks/*.ipynb; do
    echo "Running $nb ..."
    .venv/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=-1 \
      --output-dir executed "$nb"
  done
  echo "Executed notebooks are in executed/."
else
  root_flag=()
  [ "$(id -u)" = 0 ] && root_flag=(--allow-root)   # e.g. inside a container
  cd notebooks   # the file browser shows the series; the start page opens first
  exec ../.venv/bin/jupyter lab --LabApp.default_url=/lab/tree/00_start_here.ipynb "${root_flag[@]}" "$@"
fi
