"""Give every chapter its install cell and its self-check quiz (idempotent).

Usage::

    .venv/bin/python tools/chapter_furniture.py [chapters/NN_name.ipynb ...]

With no argument it works on every ``chapters/*.ipynb``. For each notebook it

1. makes the first code cell the **install cell** (id ``install-dropout-lib``,
   tags ``remove-cell``, source hidden in JupyterLab): when ``import dropout_lib``
   would fail (Colab, Binder without the library, a downloaded notebook), it
   installs ``dropout_lib[widgets]`` from the repository set in ``_config.yml``
   (``repository.url`` and ``branch``). The environment variable
   ``DROPOUT_LIB_SOURCE`` overrides that source: a pip requirement URL or a local
   folder (the tests point it at a copy of the checkout);
2. puts the **self-check quiz** right before ``## Summary``: a markdown cell
   ``## Check yourself`` (id ``self-check-heading``) and a code cell (id
   ``self-check-quiz``, tag ``remove-input``, source hidden in JupyterLab) that
   displays ``dropout_lib.quiz.quiz("<chapter>")``. Its output is the same on
   every run, so nbval compares it like any other.

Running it again changes nothing. It writes cells only; re-execute the chapter
afterwards (``make notebooks``) so that the quiz cell has its output.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
INSTALL_ID = "install-dropout-lib"
HEADING_ID = "self-check-heading"
QUIZ_ID = "self-check-quiz"
SUMMARY = re.compile(r"^## Summary\s*$", re.MULTILINE)

INSTALL_SOURCE = """# Makes dropout_lib importable wherever this notebook is opened (Colab, Binder,
# a downloaded copy): installs it from the book's repository when it is missing.
# DROPOUT_LIB_SOURCE, if set, names another source (a pip URL or a local folder).
import importlib.util
import os
import pathlib
import subprocess
import sys

if importlib.util.find_spec("dropout_lib") is None:
    source = os.environ.get(
        "DROPOUT_LIB_SOURCE",
        "{url}",
    )
    if pathlib.Path(source).is_dir():
        source = pathlib.Path(source).resolve().as_uri()
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", f"dropout_lib[widgets] @ {{source}}"],
        check=True,
    )
    importlib.invalidate_caches()"""

HEADING_SOURCE = """## Check yourself

A few questions on this chapter. Pick an answer: the feedback says whether it is
right, and why."""

QUIZ_SOURCE = """from dropout_lib.quiz import quiz

quiz("{chapter}")"""


def repository_source(config_path: Path = ROOT / "_config.yml") -> str:
    """The pip source of the repository in ``_config.yml``: ``git+<url>@<branch>``."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    repository = config.get("repository") or {}
    url = str(repository.get("url", "")).rstrip("/")
    if not url:
        raise ValueError(f"{config_path} sets no repository.url")
    return f"git+{url}@{repository.get('branch', 'main')}"


def _hidden(cell, tags):
    cell.metadata["tags"] = list(tags)
    cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def install_cell(source_url: str):
    """The install cell for the pip source ``source_url``."""
    cell = nbformat.v4.new_code_cell(INSTALL_SOURCE.format(url=source_url))
    cell.id = INSTALL_ID
    return _hidden(cell, ["remove-cell"])


def quiz_cells(chapter: str):
    """The heading and the code cell of ``chapter``'s quiz."""
    heading = nbformat.v4.new_markdown_cell(HEADING_SOURCE)
    heading.id = HEADING_ID
    code = nbformat.v4.new_code_cell(QUIZ_SOURCE.format(chapter=chapter))
    code.id = QUIZ_ID
    return heading, _hidden(code, ["remove-input"])


def _same(old, new) -> bool:
    return (
        old.cell_type == new.cell_type
        and old.source == new.source
        and old.metadata.get("tags") == new.metadata.get("tags")
        and old.metadata.get("jupyter") == new.metadata.get("jupyter")
    )


def furnish(nb, chapter: str, source_url: str) -> bool:
    """Add or update the install cell and the quiz of notebook ``nb``; True if it changed."""
    before = [(c.get("id"), c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]
    old = {c.get("id"): c for c in nb.cells if c.get("id") in (INSTALL_ID, HEADING_ID, QUIZ_ID)}
    cells = [c for c in nb.cells if c.get("id") not in old]

    install = install_cell(source_url)
    if INSTALL_ID in old and _same(old[INSTALL_ID], install):
        install = old[INSTALL_ID]  # keeps its execution count
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    cells.insert(first_code, install)

    heading, code = quiz_cells(chapter)
    if HEADING_ID in old and _same(old[HEADING_ID], heading):
        heading = old[HEADING_ID]
    if QUIZ_ID in old and _same(old[QUIZ_ID], code):
        code = old[QUIZ_ID]  # keeps its stored output
    summary = next(
        (i for i, c in enumerate(cells) if c.cell_type == "markdown" and SUMMARY.search(c.source)),
        None,
    )
    if summary is None:
        raise ValueError(f"{chapter} has no '## Summary' heading to put the quiz before")
    cells[summary:summary] = [heading, code]
    nb.cells = cells
    after = [(c.get("id"), c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]
    return after != before


def furnish_file(path: Path, source_url: str) -> bool:
    """Furnish the notebook at ``path`` in place; True if it changed (and was written)."""
    from dropout_lib.quiz import quiz_chapters

    chapter = path.stem
    if chapter not in quiz_chapters():
        raise ValueError(f"{path} has no quiz: add dropout_lib/quizzes/{chapter}.json")
    nb = nbformat.read(path, as_version=4)
    changed = furnish(nb, chapter, source_url)
    if changed:
        nbformat.validate(nb)
        nbformat.write(nb, path)
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--config", type=Path, default=ROOT / "_config.yml")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    source_url = repository_source(args.config)
    for path in notebooks:
        changed = furnish_file(path, source_url)
        print(f"{path}: {'updated' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
