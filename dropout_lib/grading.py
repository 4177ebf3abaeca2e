"""Support for grading the classroom assignments: limits, intake, a second grading, flags.

The classroom kit grades each submission twice, each time inside a sandbox
(``assignments/grade.py`` builds the sandbox; this module holds the parts that
run inside it or that only read notebooks):

1. **otter's own run**, ``otter run``, executes the whole notebook in a fresh
   kernel and runs every test. :class:`CellTimeLimit` is an otter plugin (it
   travels inside the autograder zip) that stops any cell after a time limit
   with :class:`CellTimeout`, an exception that ``except Exception`` cannot
   swallow, raised again every ``seconds`` for code that catches everything.
2. **the trusted run**, :func:`run_plan` in a fresh Python process, executes
   only the student's *definitions*, taken from the notebook's source without
   executing it (:func:`answer_program`: imports, function and class
   definitions, and the statements that bind the names the tests ask for), then
   the tests of every question, one at a time, and writes the outcome and the
   JSON-able answer values as JSON (never pickle).

The grader compares the two, and :func:`scan_code` lists code that touches the
grader or the tests (otter, ``tests/``, ``/proc``, ``signal``, ``os._exit``,
``sys.modules``, patched modules, ``exec``/``eval``, IPython start-up files) or
calls a library where students must implement the thing themselves.
:func:`normalise_submission` gives every submission the assignment's file
name, kernel and otter metadata before it is graded.

The timer is POSIX only (``signal.setitimer``); on other systems the cell does
nothing and grading works as before, without a per-cell limit.
"""

from __future__ import annotations

import ast
import copy
import json
import math
import signal
import sys
import time
from dataclasses import dataclass, field

from ._checks import check_real

try:  # otter is needed only when grading; importing this module must not require it.
    from otter.plugins import AbstractOtterPlugin
except ImportError:  # pragma: no cover - otter-grader comes with the grading extra
    AbstractOtterPlugin = object

__all__ = [
    "CellTimeLimit",
    "CellTimeout",
    "DEFAULT_SECONDS",
    "TestOutcome",
    "answer_program",
    "is_otter_cell",
    "normalise_submission",
    "run_plan",
    "scan_code",
    "setup_sources",
    "time_limit_source",
]

#: Default limit per cell, in seconds, when the plugin configuration gives none.
DEFAULT_SECONDS = 60


class CellTimeout(BaseException):
    """A cell or statement ran past its time limit.

    A ``BaseException``, not an ``Exception``, so that ``except Exception``
    around student code does not swallow it.
    """


_TIMER_CELL = """\
# Inserted by dropout_lib.grading.CellTimeLimit: every cell gets {seconds} s.
def _cell_time_limit_install(seconds={seconds}):
    import signal

    if not hasattr(signal, "setitimer"):
        return

    class CellTimeout(BaseException):
        "Not an Exception: `except Exception` cannot swallow it."

    def _raise(signum, frame):
        raise CellTimeout(f"this cell ran for more than {{seconds}} s and was stopped")

    def _arm(*args):
        # A repeating timer: code that swallows one CellTimeout is stopped again.
        signal.setitimer(signal.ITIMER_REAL, seconds, seconds)

    def _disarm(*args):
        signal.setitimer(signal.ITIMER_REAL, 0)

    signal.signal(signal.SIGALRM, _raise)
    events = get_ipython().events
    events.register("pre_run_cell", _arm)
    events.register("post_run_cell", _disarm)


_cell_time_limit_install()
del _cell_time_limit_install
"""


def time_limit_source(seconds) -> str:
    """Source of the notebook cell that limits every later cell to ``seconds`` seconds.

    Parameters
    ----------
    seconds : int or float, > 0 and finite
        Wall-clock limit per cell.

    Returns
    -------
    source : str
        Python code for an IPython kernel. When a cell runs too long it raises a
        ``BaseException`` subclass, again every ``seconds`` until the cell ends.
    """
    seconds = check_real(seconds, "seconds", low=0.0, low_open=True, high=math.inf, high_open=True)
    return _TIMER_CELL.format(seconds=seconds)


class CellTimeLimit(AbstractOtterPlugin):
    """Otter plugin: stop any cell of a graded submission after a time limit.

    Configure it in the assignment's ``ASSIGNMENT CONFIG`` cell::

        generate:
          plugins:
            - dropout_lib.grading.CellTimeLimit:
                seconds: 30

    The grader's Python must be able to import ``dropout_lib`` (it is installed
    in the book's ``.venv``). A long call into C code does not return to Python
    and so cannot be stopped by this timer: the grader's wall clock per
    submission (``assignments/grade.py --timeout``) kills it instead.
    """

    def before_execution(self, submission):
        """Insert the timer cell at the top of the notebook about to be executed."""
        import nbformat  # installed with otter-grader; importing this module needs neither

        config = self.plugin_config or {}
        seconds = config.get("seconds", DEFAULT_SECONDS)
        if isinstance(submission, nbformat.NotebookNode):
            submission.cells.insert(0, nbformat.v4.new_code_cell(time_limit_source(seconds)))
        return submission


# ---------------------------------------------------------------------- intake

#: The kernel every submission is graded with, whatever the student's was called.
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def is_otter_cell(source: str) -> bool:
    """True for the cells otter adds to a student notebook (init, checks, export), and empty ones.

    Judged statement by statement: a cell qualifies only if every statement is
    ``import otter``/``import os``, ``grader = otter.Notebook(...)``, or a call of
    ``grader.check``, ``grader.check_all`` or ``grader.export`` with constant
    arguments. Anything else (``grader.check = ...``, extra code on the line) makes
    it a student cell, which is scanned and extracted like any other.
    """
    try:
        tree = ast.parse(_without_magics(source))
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, ast.Import) and all(a.name in ("otter", "os") for a in node.names):
            continue
        if isinstance(node, ast.Assign) and _is_call(node.value, "otter", ("Notebook",)):
            if [ast.unparse(t) for t in node.targets] == ["grader"]:
                continue
        if isinstance(node, ast.Expr) and _is_call(
            node.value, "grader", ("check", "check_all", "export")
        ):
            continue
        return False
    return True


def _is_call(node, owner: str, names) -> bool:
    """``owner.name(...)`` with only constant (or, for Notebook, conditional) arguments."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == owner
        and node.func.attr in names
    ):
        return False
    allowed = (ast.Constant, ast.IfExp, ast.Call, ast.Attribute, ast.Name)
    for argument in [*node.args, *(k.value for k in node.keywords)]:
        if not isinstance(argument, allowed):
            return False
        if owner == "grader" and not isinstance(argument, ast.Constant):
            return False
    return True


def normalise_submission(notebook, template):
    """A copy of a submitted notebook, made gradable the same way whatever its origin.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        The submission as read (not modified).
    template : nbformat.NotebookNode
        The assignment's student notebook, as ``make assignments`` built it.

    Returns
    -------
    nbformat.NotebookNode
        The kernel is set to :data:`KERNELSPEC`, the otter metadata (the public
        tests) are the template's, so answers pasted into a fresh notebook or
        saved from a kernel of another name are graded like any other, and a
        student cannot change the tests that travel in the metadata. Cells whose
        type is unknown are dropped.
    """
    out = copy.deepcopy(notebook)
    out.metadata["kernelspec"] = dict(KERNELSPEC)
    out.metadata["language_info"] = {"name": "python"}
    if "otter" in template.metadata:
        out.metadata["otter"] = copy.deepcopy(template.metadata["otter"])
    else:
        out.metadata.pop("otter", None)
    out.cells = [c for c in out.cells if c.cell_type in ("code", "markdown", "raw")]
    return out


def setup_sources(template) -> list[str]:
    """The given setup: the template's code cells before its first answer cell, but otter's.

    Later cells that are not answers (a cell that prints a comparison) belong to
    the questions and may need the answers, so they are not setup.
    """
    setup = []
    for cell in template.cells:
        if cell.cell_type != "code":
            continue
        if "otter_answer_cell" in cell.metadata.get("tags", []):
            break
        if not is_otter_cell(cell.source):
            setup.append(cell.source)
    return setup


# --------------------------------------------------------- the trusted program


def _bound_names(target) -> set[str]:
    """Plain names an assignment target binds (``a``, ``a, b``); attributes bind none."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_bound_names(t) for t in target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return set()


def _stores_attribute(node) -> bool:
    """True if the statement assigns to an attribute anywhere (``np.isclose = ...``)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            return True
    return False


def _subscript_root(target):
    while isinstance(target, ast.Subscript):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


def _keep_statement(node, answers: set[str], given: set[str]) -> bool:
    """Whether one top-level statement belongs to the student's definitions."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name not in given
    if _stores_attribute(node):
        return False
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names: set[str] = set()
        for target in targets:
            root = _subscript_root(target)
            if root is not None and isinstance(target, ast.Subscript):
                names.add(root)
            else:
                bound = _bound_names(target)
                if not bound:
                    return False
                names |= bound
        return bool(names) and not names & given
    if isinstance(node, ast.Delete):
        deleted = set().union(*(_bound_names(t) for t in node.targets))
        return bool(deleted) and deleted <= answers
    if isinstance(node, ast.Expr):
        # final_net.fit(...): a method call on an answer the tests read.
        call = node.value
        return (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in answers
        )
    if isinstance(node, (ast.For, ast.While, ast.If, ast.With, ast.Try)):
        # A loop that fills an answer (val_errors[p] = ...): kept if it binds an answer.
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store) and sub.id in answers:
                return True
            if isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Store):
                if _subscript_root(sub) in answers:
                    return True
        return False
    return False


def answer_program(sources, *, answers, given=()) -> str:
    """The student's definitions, taken from notebook code without running it.

    Parameters
    ----------
    sources : sequence of str
        The code cells of the submission, in order (otter's own cells are skipped).
    answers : iterable of str
        The names the tests ask for (functions and answer values).
    given : iterable of str
        Names the assignment's setup defines (``split``, ``EPOCHS``...): a
        statement that rebinds one is dropped, so the settings stay the given ones.

    Returns
    -------
    str
        Python source: every import, function and class definition, and every
        top-level statement that binds an answer (or a helper value) to a plain
        name, fills an answer by subscript, calls a method of an answer
        (``final_net.fit(...)``) or deletes an answer. Statements that assign to
        attributes (``np.isclose = ...``), call anything else at top level
        (``print``, ``os._exit``, ``exec``), or do not parse are left out.
    """
    answers, given = set(answers), set(given)
    kept = []
    for source in sources:
        if is_otter_cell(source):
            continue
        try:
            tree = ast.parse(_without_magics(source))
        except SyntaxError:
            continue
        text = _without_magics(source)
        for node in tree.body:
            if _keep_statement(node, answers, given):
                kept.append(ast.get_source_segment(text, node))
    return "\n\n".join(kept) + "\n"


def _without_magics(source: str) -> str:
    """IPython magics and shell escapes (``%time``, ``!ls``) become comments."""
    return "\n".join(
        "# " + line if line.lstrip().startswith(("%", "!")) else line
        for line in source.splitlines()
    )


# ------------------------------------------------------------------- the flags

_GRADER_STRINGS = {
    "tests/": "refers to the tests folder",
    "/proc": "reads /proc",
    "results.json": "refers to the results file",
    "startup": "refers to IPython start-up files",
    ".ipython": "refers to IPython's configuration folder",
    "ipython_config": "refers to IPython's configuration",
    "site-packages": "refers to installed packages",
    "autograder": "refers to the autograder",
}
_GRADER_NAMES = {
    "otter": "uses otter",
    "signal": "uses signal",
    "exec": "calls exec",
    "eval": "calls eval",
    "compile": "calls compile",
    "__import__": "calls __import__",
    "get_ipython": "uses get_ipython",
    "__builtins__": "uses __builtins__",
    "builtins": "uses builtins",
    "importlib": "uses importlib",
    "subprocess": "uses subprocess",
    "ctypes": "uses ctypes",
    "socket": "uses socket",
    "setattr": "calls setattr",
    "globals": "calls globals",
    "__file__": "reads __file__",
    "open": "opens files",
    "gc": "uses gc",
    "inspect": "uses inspect",
    "shutil": "uses shutil",
}
_GRADER_ATTRIBUTES = {
    ("os", "_exit"): "calls os._exit",
    ("os", "kill"): "calls os.kill",
    ("os", "system"): "calls os.system",
    ("os", "environ"): "reads os.environ",
    ("os", "remove"): "removes files",
    ("os", "chdir"): "changes directory",
    ("sys", "modules"): "touches sys.modules",
    ("sys", "exit"): "calls sys.exit",
    ("sys", "settrace"): "calls sys.settrace",
    ("sys", "setprofile"): "calls sys.setprofile",
}


def scan_code(sources, *, forbidden_modules=()) -> list[str]:
    """Reasons to read a submission by hand: code that touches the grader, or a banned library.

    Parameters
    ----------
    sources : sequence of str
        The student's code cells (otter's own cells are skipped).
    forbidden_modules : iterable of str
        Top-level packages the assignment asks students not to use (for example
        ``"dropout_lib"`` and ``"torch"`` where they implement dropout themselves).

    Returns
    -------
    list of str
        Distinct reasons, in the order first met; empty for ordinary code. A
        cell that does not parse is itself a reason.
    """
    forbidden = set(forbidden_modules)
    reasons: list[str] = []

    def add(reason):
        if reason not in reasons:
            reasons.append(reason)

    for source in sources:
        if is_otter_cell(source):
            continue
        text = _without_magics(source)
        if text != source:
            add("runs IPython magics or shell commands")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            add("a code cell does not parse")
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for module in modules:
                    top = module.split(".")[0]
                    if top in forbidden:
                        add(f"uses {top}, where the assignment asks for your own code")
                    elif top in _GRADER_NAMES:
                        add(_GRADER_NAMES[top])
                    if top == "os" and isinstance(node, ast.ImportFrom):
                        add("imports from os")
            elif isinstance(node, ast.Name) and node.id in _GRADER_NAMES:
                if node.id == "grader":
                    continue
                add(_GRADER_NAMES[node.id])
            elif isinstance(node, ast.Name) and node.id in forbidden:
                add(f"uses {node.id}, where the assignment asks for your own code")
            elif isinstance(node, ast.Attribute):
                if isinstance(node.value, ast.Name):
                    key = (node.value.id, node.attr)
                    if key in _GRADER_ATTRIBUTES:
                        add(_GRADER_ATTRIBUTES[key])
                    if node.value.id == "grader" and not node.attr.startswith("check"):
                        add("uses otter's grader object")
                    if node.value.id == "grader" and isinstance(node.ctx, ast.Store):
                        add("replaces part of otter's grader")
                if isinstance(node.ctx, (ast.Store, ast.Del)) and _is_module_path(node.value):
                    add(f"monkeypatches a module ({ast.unparse(node)})")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                lowered = node.value.lower()
                for needle, reason in _GRADER_STRINGS.items():
                    if needle in lowered:
                        add(reason)
    return reasons


_MODULE_ALIASES = {"np", "numpy", "otter", "os", "sys", "builtins", "math", "random", "IPython"}


def _is_module_path(node) -> bool:
    """``np``, ``np.random``, ``numpy.testing``...: a module (by its usual alias)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in _MODULE_ALIASES


# ------------------------------------------------------------ the trusted run


@dataclass(frozen=True)
class TestOutcome:
    """One test case of the trusted run.

    Attributes
    ----------
    question : str
        The question it belongs to (``"q1"``).
    name : str
        The test function's name.
    points : float
        What it is worth.
    hidden : bool
        Whether students see it before grading.
    passed : bool
    message : str
        For a failed test: the assertion's message (never the test's source);
        for a passed one, "".
    checks : str
        What the test checks: the first line of its docstring.
    """

    question: str
    name: str
    points: float
    hidden: bool
    passed: bool
    message: str = ""
    checks: str = ""


@dataclass
class _Registry:
    cases: list = field(default_factory=list)

    def test_case(self, name=None, points=None, hidden=False, success_message=None, **_):
        def register(func):
            self.cases.append((func, 1 if points is None else points, bool(hidden)))
            return func

        return register


def _json_value(value):
    """``value`` as JSON data if it is plain data (numbers, str, lists, dicts), else None."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else repr(value)
    if np is not None and isinstance(value, np.generic):
        return _json_value(value.item())
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return None


def _limited(seconds, func, *args, **kwargs):
    """Call ``func`` with a repeating :class:`CellTimeout` after ``seconds`` of wall clock."""

    def _raise(signum, frame):
        raise CellTimeout(f"stopped after {seconds} s")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds, seconds)
    try:
        return func(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_plan(plan: dict) -> dict:
    """Run the student's definitions and then every test, in this (fresh) process.

    Parameters
    ----------
    plan : dict
        ``setup`` (list of str: the assignment's given code), ``program`` (str:
        :func:`answer_program`'s output), ``tests`` (dict from question to the
        source of its otter test file), ``answers`` (list of str: names whose
        values are reported) and ``seconds`` (limit per statement and per test).

    Returns
    -------
    dict
        ``tests``: a list of :class:`TestOutcome` fields as dicts; ``values``:
        the JSON-able answer values; ``program_errors``: the errors the
        student's statements raised (each is skipped and the rest run on).
    """
    seconds = float(plan.get("seconds", 60))
    namespace: dict = {"__name__": "__main__"}
    errors = []
    for source in plan["setup"]:
        exec(compile(source, "<setup>", "exec"), namespace)
    tree = ast.parse(plan["program"])
    for node in tree.body:
        code = compile(ast.Module(body=[node], type_ignores=[]), "<submission>", "exec")
        try:
            _limited(seconds, exec, code, namespace)
        except (Exception, CellTimeout) as error:
            errors.append(f"line {node.lineno}: {type(error).__name__}: {error}")
    outcomes = []
    for question, source in plan["tests"].items():
        registry = _Registry()
        module = {"__name__": f"tests.{question}"}
        source = source.replace(
            "from otter.test_files import test_case", "test_case = __registry__.test_case"
        )
        module["__registry__"] = registry
        exec(compile(source, f"<tests {question}>", "exec"), module)
        for func, points, hidden in registry.cases:
            import inspect

            doc = (inspect.getdoc(func) or "").strip().splitlines()
            checks = doc[0] if doc else func.__name__.replace("_", " ")
            params = list(inspect.signature(func).parameters)
            missing = [p for p in params if p not in namespace]
            if missing:
                passed, message = False, f"not defined: {', '.join(missing)}"
            else:
                try:
                    _limited(seconds, func, *(namespace[p] for p in params))
                    passed, message = True, ""
                except AssertionError as error:
                    passed, message = False, str(error) or "an assertion failed"
                except (Exception, CellTimeout) as error:
                    passed, message = False, f"{type(error).__name__}: {error}"
            outcomes.append(
                TestOutcome(question, func.__name__, points, hidden, passed, message, checks)
            )
    values = {}
    for name in plan.get("answers", []):
        if name in namespace:
            values[name] = _json_value(namespace[name])
    return {
        "tests": [outcome.__dict__ for outcome in outcomes],
        "values": values,
        "program_errors": errors,
    }


def _main(argv=None) -> int:  # pragma: no cover - run by assignments/grade.py in a sandbox
    """``python -m dropout_lib.grading PLAN.json OUT.json``: the trusted run."""
    argv = sys.argv[1:] if argv is None else argv
    plan_path, out_path = argv
    with open(plan_path) as handle:
        plan = json.load(handle)
    started = time.monotonic()
    result = run_plan(plan)
    result["seconds"] = time.monotonic() - started
    with open(out_path, "w") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main())
