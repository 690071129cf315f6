#!/usr/bin/env bash
# The JupyterLab defaults students get: no "fetch Jupyter news?" pop-up over the start page and
# no update check (no network needed). Usage: lab_settings.sh [PREFIX] (default: the active Python's).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-$(python -c 'import sys; print(sys.prefix)')}
mkdir -p "$prefix/share/jupyter/lab/settings"
cp scripts/jupyterlab_overrides.json "$prefix/share/jupyter/lab/settings/overrides.json"
