"""Self-check quizzes: one per chapter, each answer says why, the numbers are the library's.

A quantitative question names the library computation behind its answer
(``check``); here that computation is run and the marked-correct answer must
state its result, to the precision shown, while every other answer must not.
"""

import importlib
import json
import re
from pathlib import Path

import pytest

from dropout_lib import quiz as quizzes

ROOT = Path(__file__).resolve().parent.parent
# The chapters of the book, including those being written (their quizzes hold
# textbook facts of their topic, not numbers of a run).
CHAPTERS = sorted(
    {path.stem for path in (ROOT / "chapters").glob("*.ipynb")}
    | {
        "11_paper_on_mnist",
        "12_transformers_and_recurrent",
        "13_residual_and_batch_norm",
        "14_dropout_in_practice",
    }
)
ALL = [(chapter, q) for chapter in quizzes.quiz_chapters() for q in quizzes.load_questions(chapter)]
CHECKED = [(chapter, q) for chapter, q in ALL if "check" in q]
NUMBER = re.compile(r"^\s*(about\s+)?[-−]?\d+(\.\d+)?\s*$", re.IGNORECASE)


def test_every_chapter_has_a_quiz_of_three_to_six_questions():
    assert set(CHAPTERS) <= set(quizzes.quiz_chapters())
    for chapter in CHAPTERS:
        assert 3 <= len(quizzes.load_questions(chapter)) <= 6


@pytest.mark.parametrize(
    "chapter, question", ALL, ids=lambda v: v if isinstance(v, str) else v["id"]
)
def test_each_answer_says_why(chapter, question):
    answers = question["answers"]
    assert sum(a["correct"] for a in answers) == 1
    for answer in answers:
        # The feedback starts with the verdict in words (colour is not the only cue)
        # and goes on to give a reason.
        verdict = "Right. " if answer["correct"] else "Not quite. "
        assert answer["feedback"].startswith(verdict)
        assert len(answer["feedback"]) > len(verdict) + 15
        assert "$" not in answer["feedback"] + answer["answer"] + question["question"]
    # An answer that is a number is a quantitative question: the library must back it.
    if any(NUMBER.match(a["answer"]) for a in answers):
        assert "check" in question, f"{chapter}/{question['id']} states numbers without a check"


def _compute(check):
    module, _, name = check["function"].rpartition(".")
    assert module.startswith("dropout_lib")
    result = getattr(importlib.import_module(module), name)(
        *check.get("args", []), **check.get("kwargs", {})
    )
    if "attribute" in check:
        result = getattr(result, check["attribute"])
    if "index" in check:
        result = result[check["index"]]
    return float(result)


def _shown(value):
    return f"{value:g}"


@pytest.mark.parametrize(
    "chapter, question", CHECKED, ids=lambda v: v if isinstance(v, str) else v["id"]
)
def test_the_marked_answer_is_the_librarys_number(chapter, question):
    check = question["check"]
    digits = check["digits"]
    computed = round(_compute(check), digits)
    for answer in question["answers"]:
        # The value is what the answer says, to the digits shown.
        assert _shown(answer["value"]) in answer["answer"].replace("−", "-")
        if answer["correct"]:
            assert answer["value"] == pytest.approx(computed, abs=0.5 * 10**-digits), (
                f"{chapter}/{question['id']}: the library gives {computed}"
            )
        else:
            assert abs(answer["value"] - computed) >= 10**-digits, (
                f"{chapter}/{question['id']}: a wrong answer {answer['value']} is the library's"
            )


def test_there_are_quantitative_questions_in_most_early_chapters():
    checked = {chapter for chapter, _ in CHECKED}
    assert len(CHECKED) >= 10
    assert len(checked & {c for c in CHAPTERS if c < "11"}) >= 7


def test_the_quiz_html_is_fixed_offline_and_keyboard_ready():
    quiz = quizzes.quiz("05_activation_distributions")
    html = quiz._repr_html_()
    assert html == quizzes.quiz("05_activation_distributions")._repr_html_()  # nbval compares it
    assert quiz.container_id == "dlibQuiz05activationdistributions"
    assert f'<div id="{quiz.container_id}" data-shufflequestions="False"' in html
    assert 'data-shuffleanswers="False"' in html
    # No address of another host: jupyterquiz's MathJax CDN fallback is taken out.
    assert not re.search(r"https?://|//cdn", html)
    assert "<link" not in html and "@import" not in html
    # jupyterquiz's own scripts and styles, from the installed package.
    assert "function make_mc" in html and ".MCButton" in html
    # Where no script runs, a line says what to do; the feedback becomes a live region.
    assert "run the notebook, or read the book" in html
    assert 'setAttribute("aria-live", "polite")' in html
    assert ".MCButton:focus-within" in html
    # The questions jupyterquiz gets carry no check or value of the book's own.
    data = re.search(r"var questions" + quiz.container_id + r"=(\[.*?\]);\n", html, re.S)
    questions = json.loads(data.group(1).replace("<\\/", "</"))
    assert [q["question"] for q in questions] == [q["question"] for q in quiz.questions]
    assert all(set(a) == {"answer", "correct", "feedback"} for q in questions for a in q["answers"])
    assert repr(quiz) == "Quiz('05_activation_distributions': 4 questions)"


def test_bad_quizzes_are_refused(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="chapter"):
        quizzes.quiz("99_no_such_chapter")
    good = quizzes.load_questions("01_what_is_dropout")[0]
    bad = dict(good, answers=[dict(a, correct=True) for a in good["answers"]])
    with pytest.raises(ValueError, match="correct"):
        quizzes._check_question(bad, "q")
    bad = dict(good, answers=[dict(good["answers"][0], feedback="")] + good["answers"][1:])
    with pytest.raises(ValueError, match="feedback"):
        quizzes._check_question(bad, "q")
    with pytest.raises(ValueError, match="type"):
        quizzes._check_question(dict(good, type="essay"), "q")
    checked = dict(good, check={"function": "x"})
    with pytest.raises(ValueError, match="value"):
        quizzes._check_question(checked, "q")
