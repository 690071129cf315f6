#!/usr/bin/env bash
# Set up .venv if needed, then run the unit tests and every notebook under nbval (quick mode).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TF_CPP_MIN_LOG_LEVEL=2 MPLBACKEND=Agg VAE_QUICK="${VAE_QUICK:-1}"
.venv/bin/python -m pytest tests/ "$@"
.venv/bin/python -m pytest --nbval notebooks/ --nbval-kernel-name vae-helpers-nbval \
  --sanitize-with tests/nbval_sanitize.cfg "$@"
