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
    most = max(drawn, key=lambda c: float(drawn[c]))
    assert (f"{drawn[0.0]} at c = 0, {drawn[most]} at c = {most:g} (the most of the eight) and "
            f"{drawn[20.0]} at c = 20") in results
    header = "share that is information  share SE"
    shares = {float(coefficients[i]): (share, se)
              for i, share, se in _rows(sweep, header, r"(\d+)\s+([\d.]+)\s+([\d.]+)\s*$")}
    assert (f"{shares[0.0][0]} at c = 0, {shares[1.0][0]} at c = 1 and {shares[20.0][0]} ± "
            f"{shares[20.0][1]} at c = 20") in results
    annealing = _outputs_text("06_*.ipynb")
    counts, beta = {}, None   # (beta, schedule) -> (active units, dims with KL > 0.1 nats)
    for b, schedule, units, dims in _rows(annealing, "active units  dims with KL > 0.1 nats",
                                          r"(?:beta = (\d+))?\s*(\S.*?)\s+(\d+)\s+(\d+)\s+[\d.]+$"):
        beta = int(b or beta)
        counts[beta, schedule] = int(units), int(dims)
    active = {s: counts[4, s][0] for s in ("constant", "linear warm-up", "cyclical")}
    kl = {s: counts[4, s][1] for s in active}
    assert len(counts) == 9 and f"active units: {active}" in annealing
    assert (f"a constant β leaves {active['constant']} of 16 latent units active, linear warm-up "
            f"{active['linear warm-up']} and cyclical annealing {active['cyclical']}") in results
    assert (f"the three are close: {kl['constant']}, {kl['linear warm-up']} and "
            f"{kl['cyclical']}") in results
    assert "At β = 1 every schedule keeps all 16 units active" in results
    assert all(counts[1, s][0] == 16 for s in active)
    assert f"at β = 8 none keeps more than {max(counts[8, s][0] for s in active)}" in results
