#!/usr/bin/env bash
# Print the TensorFlow requirement the set-up installs on this machine, and why (on stderr):
# on Linux with an NVIDIA GPU that nvidia-smi lists, the GPU build tensorflow[and-cuda]; else the
# pinned build of requirements.txt (tensorflow-cpu on Linux, tensorflow elsewhere). Same version.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^tensorflow-cpu==\([0-9.]*\).*/\1/p' requirements.txt)
if [ "$(uname -s)" != Linux ]; then
  echo "Not Linux: installing tensorflow==$version (TensorFlow's own build for this system)" >&2
  echo "tensorflow==$version"
elif gpus=$(nvidia-smi -L 2>/dev/null) && grep -q '^GPU' <<<"$gpus"; then
  echo "NVIDIA GPU visible ($(head -n 1 <<<"$gpus")): installing the GPU build," \
       "tensorflow[and-cuda]==$version" >&2
  echo "tensorflow[and-cuda]==$version"
else
  echo "No NVIDIA GPU visible (nvidia-smi missing or listing none): installing the CPU build," \
       "tensorflow-cpu==$version" >&2
  echo "tensorflow-cpu==$version"
fi
