"""Write the student version of the series: solutions replaced by stubs, outputs cleared.

Usage: ``python -m vae_helpers.student notebooks/ student/``

Exercise cells mark their solution with nbgrader's markers::

    ### BEGIN SOLUTION
    ...
    ### END SOLUTION

Each marked block becomes ``# YOUR CODE HERE`` + ``raise NotImplementedError()``
at the block's indentation; the check cells that follow are kept, so a student
sees a helpful message until the exercise is solved. nbgrader reads the same markers.
"""

import argparse
import pathlib
import sys

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def strip_solutions(source):
    """Return ``(new_source, n_blocks)`` with every marked solution replaced by a stub."""
    out, inside, blocks = [], False, 0
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"line {number}: {BEGIN} inside another solution block.")
            inside, blocks = True, blocks + 1
            indent = line[:len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
        elif marker == END:
            if not inside:
                raise ValueError(f"line {number}: {END} without a {BEGIN} before it.")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"a solution block has no {END}.")
    return "\n".join(out), blocks


def student_notebook(notebook):
    """A copy of ``notebook`` with solutions stubbed and every output cleared."""
    notebook = nbformat.from_dict(notebook)
    exercises = 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        try:
            cell.source, found = strip_solutions(cell.source)
        except ValueError as error:
            raise ValueError(f"cell {index}: {error}") from None
        exercises += found
        cell.outputs, cell.execution_count = [], None
    return notebook, exercises


def write_student_version(source_dir, target_dir):
    """Write the student version of every notebook in ``source_dir`` to ``target_dir``.

    Returns ``{notebook name: number of exercises}``.
    """
    source_dir, target_dir = pathlib.Path(source_dir), pathlib.Path(target_dir)
    paths = sorted(source_dir.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {str(source_dir)!r}.")
    if target_dir.resolve() == source_dir.resolve():
        raise ValueError("target_dir must differ from source_dir: the solutions would be lost.")
    target_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for path in paths:
        notebook, counts[path.name] = student_notebook(nbformat.read(path, as_version=4))
        nbformat.write(notebook, target_dir / path.name)
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source_dir", help="folder with the solution notebooks")
    parser.add_argument("target_dir", help="folder to write the student notebooks to")
    args = parser.parse_args(argv)
    try:
        counts = write_student_version(args.source_dir, args.target_dir)
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f"error: {error}")
    for name, n in counts.items():
        print(f"{name}: {n} exercise(s)")
    print(f"Student version written to {args.target_dir}/ ({sum(counts.values())} exercises).")


if __name__ == "__main__":
    main()
