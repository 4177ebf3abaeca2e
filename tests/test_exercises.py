"""Every chapter's exercise checks pass with the worked solutions.

Generic over ``chapters/*.ipynb``: for each notebook, the code cells tagged
``exercise-check`` are collected, the notebook is executed from the top up to
and including the last of them (the checks need the cells before them), and
each check cell must run without an error. Chapters also need at least three
exercises.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))
TAG = "exercise-check"
MIN_EXERCISES = 3


def check_cells(nb) -> list[int]:
    return [
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and TAG in cell.get("metadata", {}).get("tags", [])
    ]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_exercise_checks_pass(path):
    nb = nbformat.read(path, as_version=4)
    checks = check_cells(nb)
    assert len(checks) >= MIN_EXERCISES, (
        f"{path.name} has {len(checks)} code cells tagged {TAG!r}; every chapter needs "
        f"at least {MIN_EXERCISES} exercises, each with a checked solution"
    )
    nb.cells = nb.cells[: checks[-1] + 1]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        allow_errors=True,  # run every check, then report each one that failed
        resources={"metadata": {"path": str(CHAPTERS)}},
    )
    try:
        client.execute()
    except CellExecutionError as err:  # only raised for errors outside allow_errors
        pytest.fail(f"{path.name} failed to execute: {err}")
    failures = []
    for index, cell in enumerate(nb.cells):
        errors = [out for out in cell.get("outputs", []) if out.output_type == "error"]
        if errors:
            where = "exercise check" if index in checks else "cell before the exercises"
            failures.append(f"{where} (cell {index}): {errors[0].ename}: {errors[0].evalue}")
    assert not failures, f"{path.name}:\n" + "\n".join(failures)


def test_chapters_exist():
    assert NOTEBOOKS, f"no notebooks found in {CHAPTERS}"
