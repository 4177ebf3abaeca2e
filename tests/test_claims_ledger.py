"""The claims ledger (tools/claims_ledger.py): every number in a chapter's prose is
asserted by a check cell of the same chapter. The first tests pin down what the
script counts as a claim and as a check; the last runs it on every chapter."""

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("claims_ledger", ROOT / "tools" / "claims_ledger.py")
ledger = importlib.util.module_from_spec(_spec)
sys.modules["claims_ledger"] = ledger  # dataclasses look their module up there
_spec.loader.exec_module(ledger)

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def notebook(tmp_path, markdown, check="", tags=("check", "remove-cell")):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown)]
    if check:
        cell = nbformat.v4.new_code_cell(check)
        cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    return path


def numbers(markdown):
    return [written for written, _, _ in ledger.prose_numbers(markdown)]


def test_a_number_without_a_check_is_listed(tmp_path):
    path = notebook(tmp_path, "About 49.1 % of the activations are zero.")
    [item] = ledger.unchecked(path)
    assert item.number == "49.1" and "activations" in item.sentence


@pytest.mark.parametrize(
    "check", ["assert round(100 * share, 1) == 49.1", "assert abs(share - 0.491) < 5e-4"]
)
def test_a_literal_in_a_check_cell_backs_it(tmp_path, check):
    assert ledger.unchecked(notebook(tmp_path, "About 49.1 % are zero.", check)) == []


@pytest.mark.parametrize(
    ("check", "tags"),
    [
        ("# 49.1\nassert share > 0", ("check", "remove-cell")),  # a comment
        ("assert share > 0, 'about 49.1'", ("check", "remove-cell")),  # a string
        ("assert round(share, 1) == 49.1", ("hide-input",)),  # not a check cell
    ],
)
def test_comments_strings_and_other_cells_do_not_count(tmp_path, check, tags):
    assert len(ledger.unchecked(notebook(tmp_path, "About 49.1 % are zero.", check, tags))) == 1


def test_thousands_separators_and_exercise_checks(tmp_path):
    path = notebook(
        tmp_path, "It takes 1,500 updates.", "assert updates == 1500", ("exercise-check",)
    )
    assert ledger.unchecked(path) == []


def test_what_is_not_a_claim():
    text = (
        "# Chapter 3 heading 42\n"
        "As chapter 2 showed, see Fig. 7, Table 9 and Exercise 4 (Srivastava et al. 2014).\n"
        "The mean is $0.5 x_1$ and $$E = 1.2$$ with `p = 0.3` and {cite}`hinton2012`.\n"
        "1. A list item\n"
        "[a link](https://example.org/3)\n"
        ":::{admonition} Predict first\n:class: hint\nGuess it.\n:::\n"
        "```python\nx = 17\n```\n"
        "```{math}\n\\sigma = 19\n```\n"
    )
    assert numbers(text) == []


def test_numbers_inside_kept_directives_and_tables_are_claims():
    text = ":::{note}\nThe error falls to 5.4 %.\n:::\n\n| p | error |\n|---|---|\n| 0.5 | 1.3 |\n"
    assert numbers(text) == ["5.4", "0.5", "1.3"]


def test_architectures_are_claims():
    assert numbers("A 784-256-10 network and a 2×800 one.") == ["784", "256", "10", "2", "800"]


def test_the_script_exits_nonzero_on_unchecked_numbers(tmp_path, capsys):
    path = notebook(tmp_path, "Exactly 3 seeds.")
    assert ledger.main([str(path)]) == 1
    assert "'3'" in capsys.readouterr().out
    assert ledger.main([str(notebook(tmp_path, "Exactly 3 seeds.", "assert n == 3"))]) == 0


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_prose_number_in_every_chapter_is_checked(path):
    missing = ledger.unchecked(path)
    assert not missing, "unchecked numbers in the prose:\n" + "\n".join(map(str, missing))
