"""The README's Results section quotes only numbers that the committed notebooks print."""

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _outputs_text():
    parts = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            for out in cell.get("outputs", []):
                parts.append("".join(out.get("text", "")))
                parts.append("".join(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def test_every_decimal_number_in_the_results_section_is_a_stored_output():
    readme = (ROOT / "README.md").read_text()
    results = readme[readme.index("## Results"):readme.index("\n## ", readme.index("## Results") + 1)]
    numbers = re.findall(r"[−+-]?\d+\.\d+", results)
    assert len(numbers) >= 10, numbers
    outputs = _outputs_text()
    missing = [n for n in numbers if n.replace("−", "-") not in outputs]
    assert not missing, f"quoted in the README but printed by no notebook: {missing}"
