#!/usr/bin/env bash
# Build the course website (Jupyter Book 1.x: Sphinx + sphinx-book-theme) into build/site/,
# from the notebooks' STORED outputs (nothing is executed). Check it afterwards with
#   .venv-site/bin/python scripts/check_site.py
# Needs python3 (3.11+: the pins) and npm. The first run creates ./.venv-site (Jupyter Book,
# Playwright, and MathJax 3 from npm);
# re-runs reuse it unless scripts/site-requirements.txt or this script changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv-site
MATHJAX_VERSION=3.2.2
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
stamp=$VENV/.site-stamp
want=$(cat scripts/site-requirements.txt scripts/site.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing the site's build environment into $VENV (about 450 MB, a minute or two)..."
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r scripts/site-requirements.txt
  rm -rf "$VENV/npm"
  npm install --prefix "$VENV/npm" --no-audit --no-fund --silent "mathjax@$MATHJAX_VERSION"
  echo "$want" > "$stamp"
fi
"$VENV/bin/python" scripts/site_source.py build/site-src "$VENV/npm/node_modules/mathjax/es5"
rm -rf build/site build/site-jb
"$VENV/bin/jupyter-book" build build/site-src --path-output build/site-jb --warningiserror --keep-going
mv build/site-jb/_build/html build/site
rm -rf build/site-jb
echo "The site is in build/site/ (open build/site/index.html, or serve the folder)."
