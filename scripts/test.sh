#!/usr/bin/env bash
# Set up .venv if needed, then run the unit tests and every notebook under nbval (quick mode),
# each on two pytest-xdist workers, one test file (or notebook) per worker at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=2 MPLBACKEND=Agg VAE_QUICK="${VAE_QUICK:-1}"
PARALLEL=(-n 2 --dist loadfile)
.venv/bin/python -m pytest tests/ "${PARALLEL[@]}" "$@"
# nbval's kernel does not capture TensorFlow's C-level stderr (see README); it lives in a
# tests-only Jupyter path, so students' JupyterLab offers one kernel.
JUPYTER_PATH="$PWD/tests/jupyter" .venv/bin/python -m pytest --nbval notebooks/ --nbval-kernel-name vae-helpers-nbval \
  --sanitize-with tests/nbval_sanitize.cfg "${PARALLEL[@]}" "$@"
