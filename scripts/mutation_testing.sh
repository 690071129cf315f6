#!/usr/bin/env bash
# Mutation testing of vae_helpers with mutmut (pinned in scripts/mutation-requirements.txt):
# small changes mutmut makes to the package's functions, each run against the unit tests that
# execute it. Prints the score per module and the surviving mutants (scripts/mutation_score.py).
# Not part of the test command.
#
#   bash scripts/mutation_testing.sh                 # 60 random mutants a module: about an hour on 2 cores
#   bash scripts/mutation_testing.sh --seed 1        # another 60 a module, added to those judged
#   bash scripts/mutation_testing.sh --all           # every mutant: about 8 hours on 2 cores
#   .venv/bin/mutmut run "vae_helpers.schedules.*"   # (after a first run) mutmut's own patterns
#
# Which modules are mutated and which tests run is set in pyproject.toml, [tool.mutmut];
# the sample is drawn by scripts/mutation_sample.py.
#
# Resumable: mutmut keeps its results in mutants/ and skips the mutants it has judged.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pip install --quiet -r scripts/mutation-requirements.txt
export TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=Agg VAE_QUICK=1
.venv/bin/python scripts/mutation_sample.py "$@"
.venv/bin/python scripts/mutation_score.py
