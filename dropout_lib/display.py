"""Helpers that chapters use to show things: library source and tables.

Chapters never copy library code. They call :func:`show_source`, so the code a
reader sees is exactly the code the tests cover.
"""

from __future__ import annotations

import inspect
import textwrap

from IPython.display import Markdown

from ._checks import check_choice

__all__ = ["show_source", "markdown_table"]


def show_source(*objects) -> Markdown:
    """Display the source code of library functions or classes as a code block.

    Parameters
    ----------
    *objects : functions, classes or modules
        Shown one after another, in the order given.

    Returns
    -------
    IPython.display.Markdown
        One fenced ``python`` code block.
    """
    if not objects:
        raise TypeError("show_source needs at least one function, class or module")
    blocks = []
    for obj in objects:
        try:
            source = inspect.getsource(obj)
        except (TypeError, OSError) as err:
            raise TypeError(f"cannot show the source of {obj!r}: {err}") from None
        blocks.append(textwrap.dedent(source).rstrip())
    return Markdown("```python\n" + "\n\n\n".join(blocks) + "\n```")


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(headers, rows, *, align=None) -> Markdown:
    """Build a Markdown table that renders as a real table in Jupyter and in the book.

    Parameters
    ----------
    headers : sequence of str
        Column titles. Cells may hold inline math such as ``$p^2$``.
    rows : sequence of sequences
        One sequence per row, each as long as ``headers``.
    align : sequence of {"left", "right", "center"}, optional
        Column alignment; left by default.

    Returns
    -------
    IPython.display.Markdown
        The table; ``|`` in a cell is escaped and a newline becomes a space.
    """
    headers = [str(h) for h in headers]
    marks = {"left": ":--", "right": "--:", "center": ":-:"}
    align = ["left"] * len(headers) if align is None else list(align)
    for a in align:
        check_choice(a, "align entry", tuple(marks))
    if len(align) != len(headers):
        raise ValueError(f"align has {len(align)} entries but there are {len(headers)} columns")
    lines = [
        "| " + " | ".join(_cell(h) for h in headers) + " |",
        "| " + " | ".join(marks[a] for a in align) + " |",
    ]
    for index, row in enumerate(rows):
        row = list(row)
        if len(row) != len(headers):
            raise ValueError(
                f"row {index} has {len(row)} cells but there are {len(headers)} columns"
            )
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return Markdown("\n".join(lines))
