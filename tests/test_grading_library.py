"""dropout_lib.grading without a sandbox: static extraction, flags, intake, the trusted run."""

from __future__ import annotations

import ast
import copy

import nbformat
import pytest

from dropout_lib import grading

ANSWERS = {"keep_mask", "best_p", "val_errors", "final_net", "var_z"}


def _program(*cells, given=()):
    return grading.answer_program(cells, answers=ANSWERS, given=given)


def test_the_program_keeps_definitions_and_answer_bindings():
    program = _program(
        "import numpy as np\nfrom math import sqrt",
        "def keep_mask(shape, p, rng):\n    return rng.random(shape) >= p\n\nprint('hi')",
        "val_errors = {}\nfor p in (0.0, 0.5):\n    val_errors[p] = p / 2\n"
        "best_p = min(val_errors)",
        "final_net = object()\nfinal_net.fit(1, 2)\nfinal_net.weights = 3",
        "class Helper:\n    pass\n\nscale = 2.0",
    )
    tree = ast.parse(program)
    kinds = [type(node).__name__ for node in tree.body]
    assert kinds == [
        "Import",
        "ImportFrom",
        "FunctionDef",
        "Assign",
        "For",
        "Assign",
        "Assign",
        "Expr",
        "ClassDef",
        "Assign",
    ]
    assert "print" not in program and "weights = 3" not in program


@pytest.mark.parametrize(
    "statement",
    [
        "np.isclose = lambda *a, **k: True",
        "setattr(np, 'allclose', lambda *a, **k: True)",
        "import os\nos._exit(0)",
        "exec('x = 1')",
        "del np",
        "grader.check('q1')",
        "for name in dir():\n    print(name)",
        "import otter\notter.Notebook.check = None",
    ],
)
def test_the_program_drops_what_is_not_a_definition(statement):
    program = _program("import numpy as np", statement)
    lines = [line for line in program.splitlines() if line.strip()]
    kept = [line for line in lines if line not in ("import numpy as np", "import os")]
    assert kept == [] or kept == ["import otter"], program


def test_the_program_keeps_deleting_an_answer_and_drops_rebinding_the_settings():
    program = _program("def var_z():\n    return 0\n\ndel var_z", "EPOCHS = 5", given={"EPOCHS"})
    assert "del var_z" in program and "EPOCHS" not in program


def test_the_program_survives_magics_and_broken_cells():
    program = _program("%time x = 1\nbest_p = 0.2", "def broken(:\n", "!ls")
    assert "best_p = 0.2" in program and "broken" not in program
    compile(program, "<program>", "exec")


def test_otter_cells_are_recognised():
    assert grading.is_otter_cell('import otter\ngrader = otter.Notebook("a.ipynb")')
    assert grading.is_otter_cell('grader.check("q1")')
    assert grading.is_otter_cell("grader.check_all()")
    assert grading.is_otter_cell("   ")
    assert not grading.is_otter_cell("x = 1")


@pytest.mark.parametrize(
    "source, reason",
    [
        ("import otter.test_files", "uses otter"),
        ('grader.check("q1"); import os; os._exit(0)', "calls os._exit"),
        ("open('tests/q1.py', 'w')", "refers to the tests folder"),
        ("import glob\nglob.glob('/proc/*')", "reads /proc"),
        ("import signal\nsignal.alarm(0)", "uses signal"),
        ("import os\nos._exit(0)", "calls os._exit"),
        ("import sys\nsys.modules['numpy'] = None", "touches sys.modules"),
        ("np.isclose = print", "monkeypatches a module (np.isclose)"),
        ("exec('1')", "calls exec"),
        ("eval('1')", "calls eval"),
        ("x = '~/.ipython/profile_default/startup/a.py'", "refers to IPython start-up files"),
        ("grader.check = print", "replaces part of otter's grader"),
        ("from dropout_lib.masks import sample_mask", "uses dropout_lib"),
        ("import torch", "uses torch"),
        ("def f(:", "a code cell does not parse"),
    ],
)
def test_scan_code_names_the_reason(source, reason):
    reasons = grading.scan_code([source], forbidden_modules=("dropout_lib", "torch"))
    assert any(reason in r for r in reasons), reasons


def test_scan_code_leaves_ordinary_answers_alone():
    ordinary = [
        "import numpy as np",
        "def keep_mask(shape, p, rng):\n    return rng.random(shape) >= p",
        "val_errors = {p: p for p in (0.0, 0.2)}\nbest_p = min(val_errors, key=val_errors.get)",
        'grader.check("q1")',
        "print(f'{best_p:.2f}')",
    ]
    assert grading.scan_code(ordinary, forbidden_modules=("torch",)) == []


def test_normalise_submission_restores_kernel_and_metadata_and_copies():
    template = nbformat.v4.new_notebook()
    template.metadata["otter"] = {"tests": {"q1": "public"}}
    submission = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    submission.metadata["kernelspec"] = {"name": "my-env", "display_name": "Mine"}
    submission.metadata["otter"] = {"tests": {"q1": "tampered"}}
    before = copy.deepcopy(submission)
    out = grading.normalise_submission(submission, template)
    assert out.metadata["kernelspec"]["name"] == "python3"
    assert out.metadata["otter"] == {"tests": {"q1": "public"}}
    assert submission == before
    bare = nbformat.v4.new_notebook()
    assert (
        grading.normalise_submission(bare, template).metadata["otter"] == template.metadata["otter"]
    )


def test_setup_sources_stop_at_the_first_answer():
    cells = [
        nbformat.v4.new_code_cell('import otter\ngrader = otter.Notebook("a.ipynb")'),
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_code_cell("...", metadata={"tags": ["otter_answer_cell"]}),
        nbformat.v4.new_code_cell("print(answer)"),
    ]
    template = nbformat.v4.new_notebook(cells=cells)
    assert grading.setup_sources(template) == ["import numpy as np"]


TESTS = '''\
from otter.test_files import test_case

OK_FORMAT = False
name = "q1"
points = None


@test_case(points=2, hidden=True)
def test_value(best_p):
    """best_p is the chosen p."""
    assert best_p == 0.2, f"best_p is {best_p}, not the best setting."


@test_case(points=1, hidden=False)
def test_defined(missing_name):
    assert missing_name


@test_case(points=1, hidden=True)
def test_slow(best_p):
    """A test that never ends is stopped."""
    while True:
        try:
            while True:
                pass
        except Exception:
            pass
'''


def test_run_plan_reports_messages_not_sources_and_stops_slow_tests():
    plan = {
        "setup": ["import math"],
        "program": "best_p = 0.4\nnoise = 1 / 0\nval_errors = {0.4: math.nan}",
        "tests": {"q1": TESTS},
        "answers": ["best_p", "val_errors"],
        "seconds": 0.5,
    }
    result = grading.run_plan(plan)
    by_name = {t["name"]: t for t in result["tests"]}
    value = by_name["test_value"]
    assert not value["passed"] and value["points"] == 2 and value["hidden"]
    assert value["message"] == "best_p is 0.4, not the best setting."
    assert value["checks"] == "best_p is the chosen p."
    assert "assert" not in value["message"]
    assert by_name["test_defined"]["message"] == "not defined: missing_name"
    assert "CellTimeout" in by_name["test_slow"]["message"]
    assert result["values"] == {"best_p": 0.4, "val_errors": {"0.4": "nan"}}
    assert len(result["program_errors"]) == 1 and "ZeroDivisionError" in result["program_errors"][0]


def test_cell_timeout_is_not_an_exception():
    assert issubclass(grading.CellTimeout, BaseException)
    assert not issubclass(grading.CellTimeout, Exception)
