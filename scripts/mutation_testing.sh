#!/usr/bin/env bash
# Mutation testing of vae_helpers with mutmut (pinned in scripts/mutation-requirements.txt):
# every small change mutmut can make to the package's functions, each run against the unit
# tests that execute it. Prints the score per module and the surviving mutants
# (scripts/mutation_score.py). Not part of the test command.
#
#   bash scripts/mutation_testing.sh                      # every module in pyproject's only_mutate
#   bash scripts/mutation_testing.sh "vae_helpers.schedules.*"   # mutants matching a pattern
#
# Which modules are mutated and which tests run is set in pyproject.toml, [tool.mutmut].
#
# Resumable: mutmut keeps its results in mutants/ and skips the mutants it has judged.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pip install --quiet -r scripts/mutation-requirements.txt
export TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=Agg VAE_QUICK=1
set -f   # the patterns are for mutmut, not file names
.venv/bin/mutmut run --max-children 2 "$@"
.venv/bin/python scripts/mutation_score.py
