"""Conventions every chapter notebook keeps: structure, committed outputs, nbval tags,
and no dependence on the optional PyTorch."""

import re
from pathlib import Path

import nbformat
import pytest

CHAPTERS = sorted((Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb"))
TOC = (Path(__file__).resolve().parent.parent / "_toc.yml").read_text()
# Cells whose output may change between runs: live explorers and timings only.
IGNORABLE = re.compile(r"explorer\(|time|perf_counter|benchmark", re.IGNORECASE)


def test_there_are_chapters():
    assert len(CHAPTERS) >= 10


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_structure(path):
    nb = nbformat.read(path, as_version=4)
    markdown = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    assert markdown and markdown[0].startswith("# "), "a chapter opens with its title"
    # The learning objectives sit near the top, in the admonition every chapter uses.
    opening = [line.strip() for text in markdown[:3] for line in text.splitlines()]
    assert any(
        line in ("```{admonition} Learning objectives", ":::{admonition} Learning objectives")
        for line in opening
    ), "learning objectives in a {admonition} Learning objectives block"
    headings = [line for text in markdown for line in text.splitlines() if line.startswith("#")]
    assert "## Summary" in headings and "## Exercises" in headings
    assert headings.index("## Summary") < headings.index("## Exercises")
    assert f"chapters/{path.stem}" in TOC, "every chapter is in the table of contents"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_outputs_are_committed_without_widget_state(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    # Stored widget state would be embedded in the page and is not needed: the
    # rendered book shows the static fallbacks.
    assert "widgets" not in nb.metadata
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code), "committed executed"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_only_widget_and_timing_cells_skip_the_output_comparison(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "nbval-ignore-output" in cell.metadata.get("tags", []):
            assert IGNORABLE.search(cell.source), f"nbval-ignore-output on:\n{cell.source}"


TORCH_USE = re.compile(
    r"^\s*(import|from)\s+torch\b"
    r"|importorskip\(\s*[\"']torch|find_spec\(\s*[\"']torch",
    re.MULTILINE,
)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapters_do_not_run_pytorch(path):
    # PyTorch is optional (make TORCH=0): a chapter that ran it would store outputs
    # that depend on whether it is installed, and nbval would fail on the other
    # setup. Comparisons with PyTorch live in the tests instead.
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not TORCH_USE.search(cell.source), f"runs PyTorch:\n{cell.source}"


ASSERT = re.compile(r"^\s*assert\b", re.MULTILINE)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_asserts_live_in_hidden_check_cells(path):
    # Visible code shows the idea; the checks that back the prose are test
    # scaffolding, removed from the rendered book (check) or folded behind a
    # toggle with an exercise's answer (exercise-check).
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = set(cell.metadata.get("tags", []))
        if "check" in tags:
            assert "remove-cell" in tags, f"a check cell is hidden:\n{cell.source}"
        elif ASSERT.search(cell.source):
            assert "exercise-check" in tags, f"assert in a visible cell:\n{cell.source}"
            assert tags & {"hide-input", "remove-cell", "remove-input"}, cell.source
