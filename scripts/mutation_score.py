"""The score per module of the mutants mutmut has judged (scripts/mutation_testing.sh), and every
surviving mutant that ``scripts/mutation_equivalents.txt`` does not explain.

    .venv/bin/python scripts/mutation_score.py [--check 85]

A mutant is killed when a test fails with it; it survives when every test that runs its code
passes, and has no tests when none does. A timeout is shown on its own and not counted as a kill
(a worker killed by mutmut's CPU limit looks the same as a mutant that loops). Score = killed /
(killed + survived + no tests + timeout), the equivalent mutants (no behaviour can tell them
apart from the original) and, in plotting and widgets, those that change only how a figure
looks ("presentation:"), one line of reasoning each in the equivalents file, left out. Where
only a random sample of a module's mutants was judged (scripts/mutation_sample.py), the score
estimates the module's with the standard error of a sample drawn without replacement, printed
beside it. ``--check P`` exits with 1 when a module named in ``READ_BY_STUDENTS`` scores below P
percent.
"""

import argparse
import collections
import math
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
EQUIVALENTS = ROOT / "scripts" / "mutation_equivalents.txt"
# the modules that compute something a student reads (issue 34)
READ_BY_STUDENTS = ("losses", "schedules", "diagnostics", "experiments", "exercises", "data",
                    "plotting", "widgets")
MUTMUT = str(ROOT / ".venv" / "bin" / "mutmut")


def equivalents():
    """``{mutant name: reason}`` from the equivalents file (``name  # reason`` per line)."""
    found = {}
    if EQUIVALENTS.exists():
        for line in EQUIVALENTS.read_text().splitlines():
            name, _, reason = line.partition("#")
            if name.strip():
                found[name.strip()] = reason.strip()
    return found


def results():
    """``{mutant name: status}`` as ``mutmut results --all true`` prints them."""
    out = subprocess.run([MUTMUT, "results", "--all", "true"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    status = {}
    for line in out.splitlines():
        name, sep, state = line.strip().rpartition(": ")
        if sep and name.startswith("vae_helpers."):
            status[name] = state.strip()
    return status


def score_and_se(counts):
    """Killed share of the judged mutants (``counts``: a Counter by status) and its standard
    error as an estimate of the share among all the module's mutants: a sample drawn without
    replacement, so the error is 0 when every mutant is judged."""
    judged = counts["killed"] + counts["survived"] + counts["no tests"] + counts["timeout"]
    if not judged:
        return math.nan, math.nan
    score, population = counts["killed"] / judged, judged + counts["not run"]
    correction = (population - judged) / (population - 1) if population > 1 else 0.0
    return score, math.sqrt(score * (1 - score) / judged * correction)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", type=float, default=None)
    args = parser.parse_args()
    status, explained = results(), equivalents()
    stale = sorted(set(explained) - set(status))
    by_module = collections.defaultdict(collections.Counter)
    survivors = []
    for name, state in sorted(status.items()):
        module = name.split(".")[1]
        if name in explained:
            kind = "presentation" if explained[name].startswith("presentation:") else "equivalent"
            by_module[module][kind] += 1
        elif state == "killed":
            by_module[module]["killed"] += 1
        elif state in ("survived", "no tests", "timeout"):
            by_module[module][state] += 1
            survivors.append((name, state))
        else:
            by_module[module]["not run"] += 1
    print(f"{'module':14s} {'killed':>7s} {'survived':>9s} {'no tests':>9s} {'timeout':>8s} "
          f"{'equivalent':>11s} {'presentation':>13s} {'not run':>8s} {'score':>7s} {'SE':>5s}")
    low = []
    for module, counts in sorted(by_module.items()):
        score, se = score_and_se(counts)
        print(f"{module:14s} {counts['killed']:7d} {counts['survived']:9d} {counts['no tests']:9d} "
              f"{counts['timeout']:8d} {counts['equivalent']:11d} {counts['presentation']:13d} "
              f"{counts['not run']:8d} "
              f"{100 * score:6.1f}% {100 * se:4.1f}%")
        if args.check is not None and module in READ_BY_STUDENTS and not 100 * score >= args.check:
            low.append(f"{module} ({100 * score:.1f}%)")
    print(f"\n{len(survivors)} surviving (or timed-out) mutants not explained as equivalent "
          "(see one with: .venv/bin/mutmut show NAME):")
    for name, state in survivors:
        print(f"  {name}: {state}")
    if stale:
        print(f"\n{len(stale)} names in {EQUIVALENTS.name} match no mutant any more: "
              + ", ".join(stale))
    if low:
        sys.exit(f"below {args.check:g}%: " + ", ".join(low))


if __name__ == "__main__":
    main()
