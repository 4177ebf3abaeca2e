"""Every chapter's exercise checks pass with the worked solutions.

This test reads the stored notebooks and executes nothing. Generic over
``chapters/*.ipynb``: each chapter has at least three code cells tagged
``exercise-check``, and every one of them was executed in a top-to-bottom run
(execution counts 1, 2, 3, ... over the code cells) and stored its output with no
error. That alone would only say the checks passed once. ``make nbval`` closes the
gap: ``pytest --nbval`` re-executes every chapter from the top in compare mode and
fails on any exception and on any output that differs from the stored one. A check
cell that nbval skipped, or whose exception it expected, would escape it, so no
check cell may carry those markers. Together these prove that the checks pass with
the code as it is, while each chapter runs only once per ``make test``.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))
TAG = "exercise-check"
MIN_EXERCISES = 3
# nbval tags (and their comment forms) under which a cell's error would not fail nbval.
ESCAPES_NBVAL = {"nbval-skip", "raises-exception", "nbval-raises-exception"}
ESCAPE_COMMENT = re.compile(r"^\s*#\s*NBVAL_(SKIP|RAISES_EXCEPTION)\s*$", re.MULTILINE)


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def check_cells(nb):
    return [cell for cell in code_cells(nb) if TAG in cell.get("metadata", {}).get("tags", [])]


def errors(cell) -> list[str]:
    return [f"{out.ename}: {out.evalue}" for out in cell.outputs if out.output_type == "error"]


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def nb(request):
    notebook = nbformat.read(request.param, as_version=4)
    notebook.name = request.param.name
    return notebook


def test_chapters_exist():
    assert NOTEBOOKS, f"no notebooks found in {CHAPTERS}"


def test_enough_exercises(nb):
    checks = check_cells(nb)
    assert len(checks) >= MIN_EXERCISES, (
        f"{nb.name} has {len(checks)} code cells tagged {TAG!r}; every chapter needs "
        f"at least {MIN_EXERCISES} exercises, each with a checked solution"
    )


def test_executed_top_to_bottom_in_one_run(nb):
    counts = [cell.execution_count for cell in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{nb.name}: execution counts {counts}; run the chapter from the top "
        "(make notebooks) and commit it"
    )


def test_stored_checks_passed(nb):
    failures = []
    for index, cell in enumerate(check_cells(nb), start=1):
        if not cell.outputs:
            failures.append(f"check {index} stored no output")
        failures += [f"check {index}: {error}" for error in errors(cell)]
    assert not failures, f"{nb.name}:\n" + "\n".join(failures)


def test_no_stored_error_anywhere(nb):
    failing = [cell.source.splitlines()[0] for cell in code_cells(nb) if errors(cell)]
    assert not failing, f"{nb.name}: cells stored an error: {failing}"


def test_nbval_runs_every_check(nb):
    for cell in check_cells(nb):
        tags = set(cell.metadata.get("tags", []))
        assert not tags & ESCAPES_NBVAL, f"{nb.name}: check cell tagged {tags & ESCAPES_NBVAL}"
        assert not ESCAPE_COMMENT.search(cell.source), f"{nb.name}: {cell.source[:80]}"


def test_make_nbval_compares_every_chapter():
    # The stored outputs are evidence only because make test re-executes every
    # chapter under nbval in compare mode (not --nbval-lax).
    makefile = (ROOT / "Makefile").read_text()
    assert "CHAPTERS := $(sort $(wildcard chapters/*.ipynb))" in makefile
    recipe = re.search(r"^nbval:.*\n\t(.*)$", makefile, re.MULTILINE)
    assert recipe, "the Makefile has an nbval target"
    assert "--nbval " in recipe.group(1) and "--nbval-lax" not in recipe.group(1)
    assert recipe.group(1).rstrip().endswith("$(CHAPTERS)")
    test_target = re.search(r"^test:(.*)$", makefile, re.MULTILINE)
    assert test_target and "nbval" in test_target.group(1).split()
