"""Self-check quizzes: a few questions per chapter that answer back, and say why.

The questions of each chapter live in ``dropout_lib/quizzes/<chapter>.json``
(installed with the package, so a chapter opened alone in Colab or Binder finds
them), in the format of `jupyterquiz <https://pypi.org/project/jupyterquiz/>`_:
a list of questions, each with ``question``, ``type`` (``"multiple_choice"``)
and ``answers``, each answer with ``answer``, ``correct`` and ``feedback`` (why
it is right or wrong). Two keys of the book's own ride along and are ignored
by jupyterquiz:

- ``id``: a short name of the question, unique in its chapter;
- ``check``, on a question whose answer is a number: the library computation
  that gives it, ``{"function": "dropout_lib.moments.linear_unit_moments",
  "args": [...], "kwargs": {...}, "index": 0, "attribute": "...", "scale": 1}``,
  and on each of its answers a ``value``, the number the answer states. The
  test suite calls the function and holds the correct answer's value to it.

:func:`quiz` returns a :class:`Quiz`, which Jupyter and the book display as
``text/html``: jupyterquiz's own markup, styles and scripts (read from the
installed package, so nothing is fetched from another host), with the
questions inlined, a fixed container id and fixed answer order, so that the
stored output is the same on every run. The answers are radio buttons inside
labels, so a keyboard reader tabs to a question and picks an answer with the
arrow keys or the space bar; the feedback is announced (``aria-live``). Where
no script runs (a notebook not yet run in JupyterLab, GitHub), a line says to
run the notebook or read the book for the quiz.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from dataclasses import dataclass

from . import palette
from ._checks import check_choice

__all__ = ["QUESTION_TYPES", "Quiz", "quiz", "load_questions", "quiz_chapters", "render_quiz"]

#: The question types the book's quizzes use (both are jupyterquiz types).
QUESTION_TYPES = ("multiple_choice", "many_choice")
_MAX_WIDTH = 760
_MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-svg.js"

# jupyterquiz's colour variables, from the book's palette. Light text on the
# question panels and dark text on the answer buttons keep a contrast above 4.5.
_COLOURS = {
    "--jq-multiple-choice-bg": palette.KEPT,
    "--jq-mc-button-bg": "#fafafa",
    "--jq-mc-button-border": "#c8c8c8",
    "--jq-mc-button-inset-shadow": "#555555",
    "--jq-many-choice-bg": palette.KEPT,
    "--jq-numeric-bg": palette.KEPT,
    "--jq-numeric-input-bg": "#fafafa",
    "--jq-numeric-input-label": "#101010",
    "--jq-numeric-input-shadow": "#999999",
    "--jq-string-bg": palette.KEPT,
    "--jq-incorrect-color": palette.ZERO_FILL,
    "--jq-correct-color": palette.SERIES[2][0],
    "--jq-text-color": "#ffffff",
    "--jq-link-color": "#dbe8f5",
}

# The book's additions to jupyterquiz's styles: answers a keyboard can see it is on.
_EXTRA_CSS = """
.dlib-quiz .sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
.dlib-quiz .MCButton:focus-within { outline: 3px solid FOCUS; outline-offset: 2px; }
.dlib-quiz .Quiz { font-size: 1.05rem; line-height: 1.35; }
.dlib-quiz .Feedback { font-size: 1rem; padding: 0.4em 0.6em; }
""".replace("FOCUS", palette.EMPHASIS)

# Runs after jupyterquiz has drawn the questions: the feedback of each question
# is a live region, and the note for renderers without scripts goes away.
_AFTER_SCRIPT = """(function () {
  var tries = 0;
  function finish() {
    var root = document.getElementById("%(root)s");
    if (!root) { return; }
    var feedback = root.querySelectorAll(".Feedback");
    if (feedback.length < %(n)d && tries++ < 50) { setTimeout(finish, 100); return; }
    for (var i = 0; i < feedback.length; i++) {
      feedback[i].setAttribute("aria-live", "polite");
      feedback[i].setAttribute("role", "status");
    }
    var note = root.querySelector(".dlib-quiz-note");
    if (note) { note.textContent = "Pick an answer: the feedback says why it is right or wrong."; }
  }
  finish();
})();"""


@dataclass(frozen=True)
class Quiz:
    """A chapter's self-check quiz, displayed as interactive HTML.

    Attributes
    ----------
    chapter : str
        The chapter's file name without ``.ipynb`` (``"05_activation_distributions"``).
    questions : tuple of dict
        The questions, as in the chapter's JSON file.
    """

    chapter: str
    questions: tuple

    @property
    def container_id(self) -> str:
        """The id of jupyterquiz's container: fixed per chapter, a valid JS name."""
        return "dlibQuiz" + re.sub(r"[^A-Za-z0-9]", "", self.chapter)

    def _repr_html_(self) -> str:
        return render_quiz(self)

    def __repr__(self) -> str:
        return f"Quiz({self.chapter!r}: {len(self.questions)} questions)"


def quiz_chapters() -> list[str]:
    """The chapters that have a quiz, sorted: the names of the JSON files."""
    folder = importlib.resources.files(__package__).joinpath("quizzes")
    names = [f.name for f in folder.iterdir()]
    return sorted(name.removesuffix(".json") for name in names if name.endswith(".json"))


def _check_question(question, where):
    for key in ("id", "question", "type", "answers"):
        if key not in question:
            raise ValueError(f"{where} has no {key!r}")
    check_choice(question["type"], f"{where} type", QUESTION_TYPES)
    answers = question["answers"]
    if len(answers) < 2:
        raise ValueError(f"{where} needs at least two answers, but has {len(answers)}")
    correct = sum(bool(a.get("correct")) for a in answers)
    if question["type"] == "multiple_choice" and correct != 1:
        raise ValueError(f"{where} is multiple choice with {correct} correct answers, not one")
    if correct < 1:
        raise ValueError(f"{where} has no correct answer")
    for number, answer in enumerate(answers):
        if not answer.get("answer") or not answer.get("feedback"):
            raise ValueError(f"{where}, answer {number} needs an answer text and feedback")
        if "check" in question and not isinstance(answer.get("value"), (int, float)):
            raise ValueError(f"{where}, answer {number} of a checked question needs a value")


def load_questions(chapter) -> tuple:
    """The questions of ``chapter``'s quiz, checked for the keys the book relies on.

    Parameters
    ----------
    chapter : str
        A name from :func:`quiz_chapters`.

    Returns
    -------
    tuple of dict
    """
    check_choice(chapter, "chapter", quiz_chapters())
    path = importlib.resources.files(__package__).joinpath("quizzes", f"{chapter}.json")
    questions = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(questions, list) or not 3 <= len(questions) <= 6:
        raise ValueError(f"the quiz of {chapter} must be a list of three to six questions")
    ids = [q.get("id") for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"the quiz of {chapter} repeats a question id: {ids}")
    for question in questions:
        _check_question(question, f"question {question.get('id')!r} of {chapter}")
    return tuple(questions)


def quiz(chapter) -> Quiz:
    """The self-check quiz of ``chapter`` (see :func:`quiz_chapters`), ready to display."""
    return Quiz(chapter, load_questions(chapter))


def _public(question) -> dict:
    """What jupyterquiz reads of a question (the book's ``check`` and ``value`` stay out)."""
    answers = [
        {key: a[key] for key in ("answer", "correct", "feedback")} for a in question["answers"]
    ]
    return {"question": question["question"], "type": question["type"], "answers": answers}


def render_quiz(quiz: Quiz) -> str:
    """The HTML of ``quiz``: jupyterquiz's container, styles and script, and the book's note.

    The same quiz always gives the same string (fixed id, no shuffling).
    """
    from jupyterquiz.dynamic.loader import load_questions_script
    from jupyterquiz.dynamic.renderer import build_script, build_styles, render_div

    div_id = quiz.container_id
    root_id = f"{div_id}-root"
    prefix, static, url = load_questions_script([_public(q) for q in quiz.questions], div_id)
    script = build_script(prefix, static, url, div_id, True)
    # jupyterquiz loads MathJax from a CDN when a page has a MathJax without
    # `typeset`; the book's own MathJax has it, and the book never asks another
    # host for anything, so that address is taken out (an empty src loads nothing).
    script = script.replace(_MATHJAX_CDN, "")
    styles = build_styles(div_id, _COLOURS).replace("</style>", _EXTRA_CSS + "</style>")
    container = render_div(div_id, False, False, False, len(quiz.questions), _MAX_WIDTH, 10, "left")
    n = len(quiz.questions)
    parts = [
        f'<div class="dlib-quiz" id="{root_id}" role="region" '
        f'aria-label="Self-check quiz, {n} questions">',
        f'<p class="dlib-quiz-note">A self-check quiz of {n} questions: run the notebook, or '
        "read the book, to answer them and see why each answer is right or wrong.</p>",
        styles,
        container + "</div>",
        # "</" inside a script would end it early.
        "<script>" + script.replace("</", "<\\/") + "</script>",
        "<script>" + _AFTER_SCRIPT % {"root": root_id, "n": n} + "</script>",
        "</div>",
    ]
    return "\n".join(parts)
