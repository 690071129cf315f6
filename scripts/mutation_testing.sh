#!/usr/bin/env bash
# Mutation testing of vae_helpers with mutmut (pinned in scripts/mutation-requirements.txt):
# small changes mutmut makes to the package's functions, each run against the unit tests that
# execute it. Prints the score per module and the surviving mutants (scripts/mutation_score.py).
# Not part of the test command.
#
#   bash scripts/mutation_testing.sh                 # 60 random mutants a module (seed 0)
#   bash scripts/mutation_testing.sh --seed 1        # another 60 a module, added to those judged
#   bash scripts/mutation_testing.sh --again         # the sample's survivors again, after new tests
#   bash scripts/mutation_testing.sh --all           # every mutant (about 6,100)
#   .venv/bin/mutmut run "vae_helpers.schedules.*"   # (after a first run) mutmut's own patterns
#
# Time on 2 cores (measured, AMD EPYC): a first run of the default sample, from an empty
# mutants/, took 26 minutes: 9 for set-up, finding which tests run each function and a clean run
# of them (the clean run again on every run), 17 for the 480 mutants (0.47 a second: a killed
# one a few seconds, a surviving one its minute of tests, an experiments' mutant up to its 5
# minutes). Most of a mutant's cost is its fork's start, so the forks start with vae_helpers
# imported and without nbval (pyproject.toml, scripts/mutation_preload.txt): with each fork
# importing them itself the same run took 60 minutes. --per-module 50 makes a shorter run.
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
