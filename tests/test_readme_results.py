"""The README's Results section quotes only numbers that the committed notebooks print."""

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _outputs_text(pattern="*.ipynb"):
    parts = []
    for path in sorted((ROOT / "notebooks").glob(pattern)):
        for cell in json.loads(path.read_text())["cells"]:
            for out in cell.get("outputs", []):
                parts.append("".join(out.get("text", "")))
                parts.append("".join(out.get("data", {}).get("text/plain", "")))
    return "\n\n".join(parts)   # a blank line ends each output (and so each table)


def _results_section():
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Results")
    return readme[start:readme.index("\n## ", start + 1)]


def _rows(text, header, pattern):
    """The groups of ``pattern`` matched on each row of the table whose header line is
    the first holding ``header`` (its rows end at the first empty line)."""
    rows = text[text.index(header):].split("\n\n")[0].splitlines()[1:]
    matches = [re.match(pattern, row) for row in rows]
    assert rows and all(matches), rows
    return [m.groups() for m in matches]


def test_every_decimal_number_in_the_results_section_is_a_stored_output():
    numbers = re.findall(r"[−+-]?\d+\.\d+", _results_section())
    assert len(numbers) >= 10, numbers
    outputs = _outputs_text()
    missing = [n for n in numbers if n.replace("−", "-") not in outputs]
    assert not missing, f"quoted in the README but printed by no notebook: {missing}"


def test_the_counts_in_the_results_section_are_those_the_notebooks_print():
    results = " ".join(_results_section().split())
    sweep = _outputs_text("05_*.ipynb")   # 05's table, printed in two blocks of columns
    header = "c  test_total  test_reconstruction  test_kl  active_units  \\"
    coefficients = dict(_rows(sweep, header, r"(\d+)\s+([\d.]+)\s+[\d.\s\\]+$"))
    drawn = {float(coefficients[i]): n
             for i, n in _rows(sweep, "digits drawn  inside", r"(\d+)\s+([\d.]+)\s+[\d.]+\s*$")}
    assert f"{drawn[0.0]} at c = 0, {drawn[1.0]} at c = 1 and {drawn[20.0]} at c = 20" in results
    header = "share that is information  share SE"
    shares = {float(coefficients[i]): (share, se)
              for i, share, se in _rows(sweep, header, r"(\d+)\s+([\d.]+)\s+([\d.]+)\s*$")}
    assert (f"{shares[0.0][0]} at c = 0, {shares[1.0][0]} at c = 1 and {shares[20.0][0]} ± "
            f"{shares[20.0][1]} at c = 20") in results
    pruning_and_path = _outputs_text("06_*.ipynb")
    assert _pruning_phrase(pruning_and_path) in results
    assert _path_phrase(pruning_and_path) in results


def _block(text, header):
    """The lines after ``header`` up to the first blank line."""
    return text[text.index(header):].split("\n\n")[0].splitlines()[1:]


def _listed(values):
    return ", ".join(values[:-1]) + " and " + values[-1]


def _pruning_phrase(text):
    """06's counts of dimensions with KL > 0.1 nats per sigma^2: closed form, linear, deep."""
    first = [line.split() for line in _block(text, "probabilistic PCA (closed form)  linear VAE")
             if re.match(r"^[\d.]+\s+\d+\s+\d+", line)]
    deep = [line.split() for line in _block(text, "deep VAE (trained)  deep VAE: active units")
            if re.match(r"^[\d.]+\s+\d+\s+\d+", line)]
    assert len(first) == len(deep) == 4, (first, deep)
    return (f"probabilistic PCA predicts that {_listed([r[1] for r in first])} of 16 dimensions "
            f"carry more than 0.1 nats; a trained linear VAE keeps {_listed([r[2] for r in first])} "
            f"and the deep VAE {_listed([r[1] for r in deep])}")


def _path_phrase(text):
    """06's dimensions above 0.1 nats per schedule and seed, and the log p(x) verdicts."""
    rows = {m.group(1): m.group(2, 3, 4) for m in (
        re.match(r"^(\S.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+\[", line)
        for line in _block(text, "seed 0  seed 1  seed 2")) if m}
    assert set(rows) == {"constant", "linear warm-up", "cyclical", "free bits"}, rows
    verdicts = {(name, measure): (side, mean.replace("-", "−"), se) for name, measure, side, mean, se in
                re.findall(r"^(linear warm-up|cyclical|free bits)\s+(ELBO|log p\(x\))\s+(higher|lower|no "
                           r"consistent).*mean over seeds ([+-][\d.]+) ± ([\d.]+)", text, re.M)}
    assert len(verdicts) == 6, verdicts
    warmup, cyclical = verdicts["linear warm-up", "ELBO"], verdicts["cyclical", "ELBO"]
    assert (warmup[0], cyclical[0]) == ("no consistent", "lower"), verdicts
    return (f"the constant β ends with {_listed(list(rows['constant']))} dimensions above 0.1 nats "
            f"in its three seeds, linear warm-up with {_listed(list(rows['linear warm-up']))} and "
            f"cyclical annealing with {_listed(list(rows['cyclical']))} (free bits keeps "
            f"{_listed(list(rows['free bits']))}, set by its floor): the path changes how many "
            "dimensions end in use. On 500 test images, paired, it gives no better model on the "
            "objective these runs share: the warm-up's test ELBO shows no consistent difference from "
            f"the constant β's (mean over seeds {warmup[1]} ± {warmup[2]} nats, SE over 3 seeds) and the "
            f"cyclical schedule's is lower in all three seeds ({cyclical[1]} ± {cyclical[2]})")


def class_budget_rows():
    """The README's class-budget table, as benchmarks/class_budget.json gives it."""
    from vae_helpers import training

    table = training.class_budget(ROOT / "benchmarks" / "class_budget.json")
    rows = ["| notebook | training images, default | whole notebook, default (class budget) "
            "| peak memory, default | training with `FULL = True`, estimated |",
            "| --- | --- | --- | --- | --- |"]
    for name, row in table.iterrows():
        rows.append(f"| {name.removesuffix('.ipynb')} | {int(row['training images (default)']):,} | "
                    f"{row['whole notebook, default (min)']} min ({int(row['class budget (min)'])} min) | "
                    f"{row['peak memory, default (GB)']} GB | "
                    f"{row['training, FULL = True (min, estimated)']} min on "
                    f"{int(row['training images (FULL = True)']):,} images |")
    return "\n".join(rows)


def test_the_readme_class_budget_table_is_the_measured_one():
    assert class_budget_rows() in (ROOT / "README.md").read_text()
