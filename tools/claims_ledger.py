"""The claims ledger: list every number in a chapter's prose that no check cell asserts.

A chapter states numbers in its prose ("49.1 % of the activations", "about 1,500
updates", "784-256-10"). Each of them must be backed by a check: a code cell
tagged ``check`` (hidden in the rendered book) or ``exercise-check`` whose *code*
contains the same number as a numeric literal, for example
``assert round(100 * share, 1) == 49.1``. A number in a comment or a string does
not count. A per-cent in prose may be checked as its fraction (49.1 as 0.491),
and thousands separators are ignored (1,500 is 1500).

Not claims, and so not listed:

- anything inside math (``$...$``, ``$$...$$``, ``{math}`` blocks), inline code,
  code blocks, MyST roles (``{cite}`...```), link targets, HTML, headings and
  directive options;
- a number right after a word that makes it a reference: chapter, section, Sec.,
  Fig., figure, Table, Exercise, Experiment, Eq., equation, part, step, question,
  appendix;
- a four-digit year from 1900 to 2099, and numbered-list markers.

Usage::

    python tools/claims_ledger.py [notebook ...]   # default: chapters/*.ipynb

It prints one line per unchecked number and exits with status 1 if there are any.
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHECK_TAGS = {"check", "exercise-check"}

_REFERENCE_WORDS = (
    r"chapters?|sections?|sec\.|figs?\.|figures?|tables?|exercises?|ex\.|eqs?\.|equations?"
    r"|experiments?|parts?|steps?|questions?|appendix|q"
)
_REFERENCE = re.compile(
    rf"(?:\b(?:{_REFERENCE_WORDS})\s*(?:\d+[.,]?\s*(?:and|or|to|–|-)?\s*)*)$", re.IGNORECASE
)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w])")


@dataclass(frozen=True)
class Unchecked:
    """One number in the prose that no check cell asserts."""

    path: Path
    cell: int
    number: str
    sentence: str

    def __str__(self) -> str:
        return f"{self.path.name}: cell {self.cell}: {self.number!r} in: {self.sentence}"


def _strip_directive_fences(text: str) -> str:
    """Drop code and math blocks, keep the prose inside other directives (minus options)."""
    out, fence = [], None
    for line in text.splitlines():
        stripped = line.strip()
        match = re.match(r"^(`{3,}|~{3,}|:{3,})\s*(\{[^}]*\})?\s*(.*)$", stripped)
        if fence is None and match:
            marker, directive = match.group(1), match.group(2) or ""
            keep = bool(directive) and directive not in {
                "{math}",
                "{code-cell}",
                "{code}",
                "{code-block}",
                "{raw}",
            }
            if marker.startswith(":") and not directive:
                continue  # a closing colon fence of a directive we kept
            fence = (marker, keep)
            if keep:
                # A kept directive's title is prose, for example {admonition} Predict first.
                out.append(match.group(3))
                fence = None if marker.startswith(":") else fence
                if marker.startswith(":"):
                    continue
            continue
        if fence is not None:
            marker, keep = fence
            if stripped.startswith(marker[0] * 3) and stripped.strip(marker[0]) == "":
                fence = None
                continue
            if keep and not re.match(r"^:[\w-]+:", stripped):
                out.append(line)
            continue
        if re.match(r"^:[\w-]+:", stripped):
            continue  # directive option of a colon fence
        if stripped.startswith("#"):
            continue  # a heading
        out.append(line)
    return "\n".join(out)


def prose(markdown: str) -> str:
    """The sentences of a markdown cell, with everything that is not prose removed."""
    text = re.sub(r"<!--.*?-->", " ", markdown, flags=re.DOTALL)
    text = _strip_directive_fences(text)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.DOTALL)
    text = re.sub(r"(?<!\\)\$[^$]+?(?<!\\)\$", " ", text, flags=re.DOTALL)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", text)  # roles
    text = re.sub(r"``.*?``|`[^`]*`", " ", text)  # inline code
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)  # images
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: keep the text
    text = re.sub(r"\[\^[^\]]*\]:?", " ", text)  # footnote markers
    text = re.sub(r"<[^>]+>", " ", text)  # HTML tags
    text = re.sub(r"^\s*(?:[-*+]\s+)?\d+[.)]\s+", " ", text, flags=re.MULTILINE)  # list markers
    text = re.sub(r"^\s*\(?[a-z]\)\s+", " ", text, flags=re.MULTILINE)
    return text


def prose_numbers(markdown: str) -> list[tuple[str, float, str]]:
    """``(as written, value, sentence)`` for every number that is a claim."""
    text = prose(markdown)
    found = []
    for match in _NUMBER.finditer(text):
        written = match.group(0)
        before = text[: match.start()]
        if _REFERENCE.search(before[-60:]):
            continue
        value = float(written.replace(",", ""))
        if match.group(2) is None and 1900 <= value <= 2099 and "," not in written:
            continue
        start = max(before.rfind(". "), before.rfind("\n"), 0)
        end = text.find(". ", match.end())
        sentence = " ".join(text[start : end if end > 0 else None].split())[:160]
        found.append((written, value, sentence.lstrip(". ")))
    return found


def checked_literals(nb) -> set[float]:
    """Every numeric literal in the code of the notebook's check cells."""
    values = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or not CHECK_TAGS & set(cell.metadata.get("tags", [])):
            continue
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(cell.source).readline))
        except (tokenize.TokenError, SyntaxError, IndentationError):
            continue
        for token in tokens:
            if token.type == tokenize.NUMBER:
                try:
                    values.add(float(token.string.replace("_", "")))
                except ValueError:
                    continue  # complex or other literal
    return values


def _matches(value: float, literals: set[float]) -> bool:
    return any(
        abs(literal - target) <= 1e-9 * max(1.0, abs(target))
        for literal in literals
        for target in (value, value / 100)
    )


def unchecked(path) -> list[Unchecked]:
    """The numbers in the prose of notebook ``path`` that no check cell's code contains."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    literals = checked_literals(nb)
    missing = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for written, value, sentence in prose_numbers(cell.source):
            if not _matches(value, literals):
                missing.append(Unchecked(path, index, written, sentence))
    return missing


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or sorted((ROOT / "chapters").glob("*.ipynb"))
    total = 0
    for path in paths:
        for item in unchecked(path):
            print(item)
            total += 1
    print(f"{total} unchecked number(s) in the prose of {len(paths)} notebook(s)")
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
