"""Run mutmut on a seeded random sample of each module's mutants (scripts/mutation_testing.sh).

    .venv/bin/python scripts/mutation_sample.py [--per-module 60] [--seed 0] [--all] [--again]

Every mutant of the package would take hours on 2 cores (TensorFlow's tracing is paid again in
each mutant's fork), so the default is a sample: ``--per-module`` mutants of each module, drawn
by a hash of the seed and the name (the same draw for the same seed), of which only those not
judged yet are run; the results stay in mutants/, so another seed adds to them. ``--all`` runs
every mutant not yet judged; ``--again`` runs the sample's survivors again too (after tests were
added), except those the equivalents file explains. The score of a sample estimates the module's
score with the standard error scripts/mutation_score.py prints.
"""

import argparse
import collections
import hashlib
import subprocess
import sys

from mutation_score import MUTMUT, READ_BY_STUDENTS, ROOT, equivalents, results


def generate():
    """Write every mutant into mutants/ (mutmut's first step, without running any test)."""
    import os

    os.chdir(ROOT)
    from mutmut.__main__ import (copy_also_copy_files, copy_src_dir, create_mutants,
                                 setup_source_paths)

    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    create_mutants(2)


def sample(status, per_module, seed):
    """``per_module`` names from each module's mutants: those that rank first by a hash of the
    seed and the name, so the draw is the same for the same seed and keeps its mutants when
    other functions gain or lose some."""
    by_module = collections.defaultdict(list)
    for name in status:
        by_module[name.split(".")[1]].append(name)
    rank = lambda name: hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()  # noqa: E731
    return [name for module in sorted(by_module) if module in READ_BY_STUDENTS
            for name in sorted(by_module[module], key=rank)[:per_module]]


def to_run(chosen, status, again, explained):
    """The chosen mutants not judged yet and, with ``again``, those that survived (or found
    no test, or timed out) unless ``explained`` (equivalent or presentation only)."""
    rerun = ("survived", "no tests", "timeout")
    return [name for name in chosen if status[name] == "not checked"
            or (again and status[name] in rerun and name not in explained)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-module", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--all", action="store_true", help="every mutant, not a sample")
    parser.add_argument("--again", action="store_true",
                        help="judge the survivors again too (after tests were added)")
    args = parser.parse_args()
    generate()
    status = results()
    chosen = sorted(status) if args.all else sample(status, args.per_module, args.seed)
    todo = to_run(chosen, status, args.again, equivalents())
    print(f"{len(chosen)} mutants chosen, {len(chosen) - len(todo)} judged before, {len(todo)} to run",
          flush=True)
    if todo:
        subprocess.run([MUTMUT, "run", "--max-children", "2", *todo], cwd=ROOT, check=True)


if __name__ == "__main__":
    sys.exit(main())
