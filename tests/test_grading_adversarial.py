"""Adversarial grading: cheating and misbehaving submissions through the real sandboxed path.

Each case is a failure an adversarial instructor found in the classroom kit, graded
with ``assignments/grade.py`` exactly as an instructor would (bubblewrap sandbox,
otter's run and the trusted run). A case passes when its outcome is the one asked:
caught on its own question, full marks, flagged, or zero. A cheating submission that
scores more than its honest answers deserve, or that goes unflagged, fails the suite.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
A1 = "01_implementing_dropout"
#: Wall clock of each sandboxed run for the ordinary cases, and for the stalling one.
TIMEOUT, SHORT_TIMEOUT = 300, 30


def _load(name):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "assignments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


grade = _load("grade")
build = _load("build")
mutants = _load("mutants")


def _append(notebook, source):
    notebook = copy.deepcopy(notebook)
    notebook.cells.append(nbformat.v4.new_code_cell(source))
    return notebook


def _in_cell(notebook, marker, source):
    """Append ``source`` to the one code cell that contains ``marker``."""
    notebook = copy.deepcopy(notebook)
    (cell,) = [c for c in notebook.cells if c.cell_type == "code" and marker in c.source]
    cell.source += source
    return notebook


def _mutated(notebook, *names):
    for name in names:
        (mutant,) = [m for m in mutants.MUTANTS if m.name == name]
        notebook = mutants.apply(mutant, notebook)
    return notebook


OTTER_PATCH = """\
import otter.test_files.abstract_test as abstract_test

abstract_test.TestFile.grade = property(lambda self: 1.0)
abstract_test.TestFile.passed_all = property(lambda self: True)
"""

NUMPY_PATCH = """\
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
"""

REPO_MASTERS = """\
import json
import pathlib

import dropout_lib

root = pathlib.Path(dropout_lib.__file__).resolve().parents[1]
master = json.loads((root / "assignments" / "01_implementing_dropout.ipynb").read_text())
for cell in master["cells"]:
    text = "".join(cell["source"])
    if cell["cell_type"] == "code" and "def " in text and "TEST CONFIG" not in text:
        exec(text)
"""

REWRITE_TESTS = """\
import glob

passing = (
    "from otter.test_files import test_case\\nOK_FORMAT = False\\nname = 'q'\\n"
    "points = None\\n\\n@test_case(points=4)\\ndef test_all():\\n    pass\\n"
)
for path in glob.glob("/**/tests/q*.py", recursive=True):
    try:
        with open(path, "w") as handle:
            handle.write(passing)
    except OSError:
        pass
"""

FORGE_RESULTS = """\
import glob
import json
import os

forged = {"tests": [{"name": f"q{i}", "score": 4, "max_score": 4} for i in range(1, 7)]}
targets = ["/grading/out/results.json", "results.json", "../results/results.json"]
targets += glob.glob("/proc/*/cwd/results/results.json") + glob.glob("/proc/*/cwd/*.json")
for target in targets:
    try:
        with open(target, "w") as handle:
            json.dump(forged, handle)
    except OSError:
        pass
os._exit(0)
"""

STARTUP_FILE = """\
import os
import pathlib

answers = '''
import numpy as np
def keep_mask(shape, p, rng):
    return rng.random(shape) >= p
'''
for folder in [os.environ.get("IPYTHONDIR", ""), "~/.ipython", "/root/.ipython"]:
    if not folder:
        continue
    startup = pathlib.Path(folder).expanduser() / "profile_default" / "startup"
    try:
        startup.mkdir(parents=True, exist_ok=True)
        (startup / "00-answers.py").write_text(answers)
    except OSError:
        pass
"""

SWALLOW_TIMER = """\
import time

while True:
    try:
        while True:
            time.sleep(0.01)
    except Exception:
        pass
"""

# One call into C that never returns to the interpreter, so no signal handler runs.
LONG_C_CALL = "total = sum(range(10**9, 10**9 + 10**11))\n"

FORBIDDEN_LIBRARY = """\
from dropout_lib.masks import sample_mask


def keep_mask(shape, p, rng):
    return ~sample_mask(shape, p, rng)
"""


@pytest.fixture(scope="module")
def sandbox():
    problem = grade.check_sandbox()
    if problem is not None:
        pytest.fail(f"grading needs its sandbox: {problem} (make unit installs it)")


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    root = tmp_path_factory.mktemp("kit")
    folder = build.build_one(ROOT / "assignments" / f"{A1}.ipynb", root, run_tests=False)
    test_module = _load_test_assignments()
    (zip_path,) = (folder / "autograder").glob("*.zip")
    short = test_module.short_limit_zip(zip_path, root / "short_limit.zip")
    student = nbformat.read(folder / "student" / f"{A1}.ipynb", as_version=4)
    return {
        "folder": folder,
        "zip": short,
        "student": student,
        "solution": mutants.solution_submission(folder),
    }


def _load_test_assignments():
    spec = importlib.util.spec_from_file_location(
        "_kit_helpers", ROOT / "tests" / "test_assignments.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _grade_dirs() -> set[str]:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith("grade-")}


@pytest.fixture(scope="module")
def cases(kit):
    student, solution = kit["student"], kit["solution"]
    no_metadata = copy.deepcopy(solution)
    no_metadata.metadata.pop("otter", None)
    other_kernel = copy.deepcopy(solution)
    other_kernel.metadata["kernelspec"] = {
        "name": "conda-env-ml-py",
        "display_name": "Python (ml)",
        "language": "python",
    }
    return {
        "otter_patch": _append(student, OTTER_PATCH),
        "numpy_patch": _append(
            _mutated(solution, "keep_with_p", "standard_test_no_scale", "backward_no_scale"),
            NUMPY_PATCH,
        ),
        "repo_masters": _append(student, REPO_MASTERS),
        "rewrite_tests": _append(student, REWRITE_TESTS),
        "forge_results": _append(student, FORGE_RESULTS),
        "swallow_timer": _append(solution, SWALLOW_TIMER),
        "del_np": _in_cell(solution, "def dropout_backward", "\n\ndel np\n"),
        "no_metadata": no_metadata,
        "other_kernel": other_kernel,
        "forbidden_library": _append(solution, FORBIDDEN_LIBRARY),
        "alice": _mutated(solution, "keep_with_p"),
        A1: _mutated(solution, "keep_with_p"),
        "untouched": student,
    }


@pytest.fixture(scope="module")
def graded(kit, cases, sandbox, tmp_path_factory):
    root = tmp_path_factory.mktemp("adversarial")
    folder = root / "submissions"
    folder.mkdir()
    paths = {}
    for name, notebook in cases.items():
        paths[name] = folder / f"{name}.ipynb"
        nbformat.write(notebook, paths[name])
    before = _grade_dirs()
    rows = grade.grade_folder(
        kit["zip"],
        list(paths.values()),
        root / "scores.csv",
        workers=2,
        timeout=TIMEOUT,
        progress=False,
    )
    return {
        "rows": dict(zip(paths, rows)),
        "root": root,
        "new_temp_dirs": _grade_dirs() - before,
    }


def _total(scores):
    return sum(score for score, _ in scores.values())


def _lost(scores):
    return sorted(q for q, (score, most) in scores.items() if score < most)


@pytest.mark.parametrize(
    "name, reason",
    [
        ("otter_patch", "otter"),
        ("repo_masters", "dropout_lib"),
        ("rewrite_tests", "tests folder"),
        ("forge_results", "os._exit"),
    ],
)
def test_cheating_on_an_empty_notebook_scores_zero_and_is_flagged(graded, name, reason):
    row = graded["rows"][name]
    assert _total(row.scores) == 0, f"{name} scored {row.scores}"
    assert row.flagged and any(reason in r for r in row.reasons), row.reasons


def test_patched_numpy_does_not_hide_wrong_answers(graded):
    row = graded["rows"]["numpy_patch"]
    assert set(_lost(row.scores)) >= {"q1", "q2", "q4"}, row.scores
    assert any("monkeypatches a module" in r for r in row.reasons), row.reasons


def test_the_repository_masters_are_not_visible_to_a_submission(graded):
    row = graded["rows"]["repo_masters"]
    # Not even otter's own run could read the solutions.
    assert _total(row.otter_scores) == 0, row.otter_scores


def test_forged_results_do_not_count(graded):
    row = graded["rows"]["forge_results"]
    assert _total(row.scores) == 0
    assert any("/proc" in r for r in row.reasons) and any("results" in r for r in row.reasons)


def test_a_startup_file_cannot_reach_the_next_submission(kit, sandbox, tmp_path):
    """The writer goes first, then an empty notebook, one at a time: the empty one gets 0."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    nbformat.write(_append(kit["student"], STARTUP_FILE), folder / "a_writer.ipynb")
    nbformat.write(kit["student"], folder / "b_empty.ipynb")
    writer, empty = grade.grade_folder(
        kit["zip"],
        [folder / "a_writer.ipynb", folder / "b_empty.ipynb"],
        tmp_path / "scores.csv",
        workers=1,
        timeout=TIMEOUT,
        progress=False,
    )
    assert _total(empty.scores) == 0 and _total(empty.otter_scores) == 0, empty
    assert writer.flagged and any("start-up" in r for r in writer.reasons), writer.reasons
    assert not (Path.home() / ".ipython" / "profile_default" / "startup" / "00-answers.py").exists()


def test_regrading_never_reuses_stale_results(kit, sandbox, tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    target = folder / "bob.ipynb"
    nbformat.write(kit["solution"], target)
    out = tmp_path / "scores.csv"
    (first,) = grade.grade_folder(kit["zip"], [target], out, timeout=TIMEOUT, progress=False)
    assert _lost(first.scores) == [] and first.status == "ok"
    target.write_text("{ this is not a notebook")
    (again,) = grade.grade_folder(kit["zip"], [target], out, timeout=TIMEOUT, progress=False)
    assert again.status == "unreadable" and _total(again.scores) == 0
    with open(out, newline="") as handle:
        (line,) = list(csv.DictReader(handle))
    assert line["status"] == "unreadable" and line["total"] == "0", line
    feedback = (tmp_path / "scores_feedback" / "bob.md").read_text()
    assert "could not be graded" in feedback
    assert grade.main([str(kit["zip"]), str(folder), "--out", str(out), "--no-progress"]) == 1


def test_feedback_quotes_no_hidden_test_code(graded, kit):
    feedback = (graded["root"] / "scores_feedback" / "untouched.md").read_text()
    assert "FAILED (hidden" in feedback
    helpers = _load_test_assignments()
    (zip_path,) = (kit["folder"] / "autograder").glob("*.zip")
    hidden = helpers._test_lines(zip_path, hidden=True) - helpers._test_lines(
        zip_path, hidden=False
    )
    code = [
        line
        for line in hidden
        if line.startswith(("assert", "for ", "def ", "if ", "with ")) or " = " in line
    ]
    assert code, "no hidden test code to look for"
    leaked = [line for line in code if line in feedback]
    assert leaked == [], leaked


def test_swallowing_the_timer_does_not_stall_the_grader(graded):
    row = graded["rows"]["swallow_timer"]
    assert row.status == "ok" and _lost(row.scores) == [], row.scores
    assert row.otter_scores == row.scores, "the loop should cost otter's run nothing"
    assert row.run_seconds["otter"] < TIMEOUT / 2, row.run_seconds


def test_a_long_call_into_c_is_killed_by_the_watchdog(kit, sandbox, tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    nbformat.write(_append(kit["solution"], LONG_C_CALL), folder / "c_call.ipynb")
    before = _grade_dirs()
    (row,) = grade.grade_folder(
        kit["zip"],
        [folder / "c_call.ipynb"],
        tmp_path / "scores.csv",
        timeout=SHORT_TIMEOUT,
        progress=False,
    )
    assert row.status == "trusted run: timeout", row.status
    assert row.flagged and any("timeout" in r for r in row.reasons), row.reasons
    for seconds in row.run_seconds.values():
        assert seconds < SHORT_TIMEOUT + 20, row.run_seconds
    assert _grade_dirs() - before == set(), "a killed run left its temp folder"
    # Nothing of the sandbox survives: no process of the sandbox user is left (the
    # kernel reaps the killed sandbox within moments).
    for _ in range(50):
        done = subprocess.run(["pgrep", "-u", str(grade.SANDBOX_UID)], capture_output=True)
        if not done.stdout.strip():
            break
        time.sleep(0.2)
    assert done.stdout.strip() == b"", done.stdout


def test_deleting_numpy_costs_no_question_of_the_trusted_grade(graded):
    """``del np`` at the end of question 4's cell breaks every later use of np in otter's run.

    The trusted run grades the definitions, which are right: full marks, flagged.
    """
    row = graded["rows"]["del_np"]
    assert _lost(row.scores) == [], row.scores
    assert "q4" in _lost(row.otter_scores), row.otter_scores
    assert any("disagree" in r for r in row.reasons), row.reasons


def test_notebooks_without_metadata_or_with_another_kernel_are_graded(graded):
    for name in ("no_metadata", "other_kernel"):
        row = graded["rows"][name]
        assert row.status == "ok" and _lost(row.scores) == [] and not row.flagged, (name, row)
        assert row.otter_scores == row.scores, (name, row.otter_scores)


def test_the_score_does_not_depend_on_the_file_name(graded):
    alice, named = graded["rows"]["alice"], graded["rows"][A1]
    assert alice.scores == named.scores and _lost(alice.scores) == ["q1"]
    assert alice.otter_scores == named.otter_scores == alice.scores


def test_a_banned_library_is_flagged(graded):
    row = graded["rows"]["forbidden_library"]
    assert any("uses dropout_lib" in r for r in row.reasons), row.reasons


def test_no_temp_folder_is_left(graded):
    assert graded["new_temp_dirs"] == set()


PROBE = r"""
import os, socket, sys, threading
import numpy as np

report = {}
report["uid"] = os.getuid()
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3)
    report["network"] = True
except OSError:
    report["network"] = False
repo = sys.argv[1]
report["masters"] = os.path.exists(os.path.join(repo, "assignments"))
report["tests"] = os.path.exists(os.path.join(repo, "tests"))
report["other"] = os.path.exists(sys.argv[2])
report["root_home"] = os.path.exists("/root/.ipython") or os.path.exists("/root/.bashrc")
report["home"] = os.environ["HOME"]
report["ipythondir"] = os.environ["IPYTHONDIR"]
open(os.path.join(os.environ["HOME"], "ok"), "w").close()
try:
    open("/usr/evil", "w")
    report["write_usr"] = True
except OSError:
    report["write_usr"] = False
try:
    open(os.path.join(repo, "evil"), "w")
    report["write_repo"] = True
except OSError:
    report["write_repo"] = False
report["pids"] = len([p for p in os.listdir("/proc") if p.isdigit()])
try:
    big = np.ones(3 * 2**30 // 8)
    big[:] = 2.0
    report["three_gib"] = True
except MemoryError:
    report["three_gib"] = False
threads = []
try:
    for _ in range(1000):
        t = threading.Thread(target=threading.Event().wait, args=(5,), daemon=True)
        t.start()
        threads.append(t)
except RuntimeError:
    pass
report["threads"] = len(threads)
print(repr(report))
"""


def test_the_sandbox_isolates_and_limits(sandbox, tmp_path):
    inputs, output = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    output.mkdir()
    os.chmod(output, 0o777)
    other = tmp_path.parent / "another_submission.ipynb"
    other.write_text("{}")
    (inputs / "probe.py").write_text(PROBE)
    command = grade.sandbox_command(
        [sys.executable, "/grading/in/probe.py", str(ROOT), str(other)],
        inputs=inputs,
        output=output,
    )
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = eval(done.stdout.strip().splitlines()[-1])  # noqa: S307 - our own probe's repr
    assert report["uid"] == grade.SANDBOX_UID
    assert report["network"] is False
    assert report["masters"] is False and report["tests"] is False and report["other"] is False
    assert report["root_home"] is False
    assert report["home"].startswith("/tmp/") and report["ipythondir"].startswith("/tmp/")
    assert report["write_usr"] is False and report["write_repo"] is False
    assert report["pids"] < 10, "the sandbox sees processes outside it"
    assert report["three_gib"] is False, "a 3 GiB allocation passed"
    assert report["threads"] < grade.MAX_PROCESSES, "no limit on processes"
    assert not (ROOT / "evil").exists()


def test_grading_refuses_without_the_sandbox(kit, tmp_path, monkeypatch, capsys):
    real_which = grade.shutil.which
    monkeypatch.setattr(
        grade.shutil, "which", lambda name: None if name == "bwrap" else real_which(name)
    )
    folder = tmp_path / "submissions"
    folder.mkdir()
    code = grade.main([str(kit["zip"]), str(folder), "--out", str(tmp_path / "s.csv")])
    assert code == 2
    err = capsys.readouterr().err
    assert "Refusing to grade" in err and "--unsafe" in err and "bubblewrap" in err
    assert not (tmp_path / "s.csv").exists()


def test_unsafe_mode_grades_without_the_sandbox(kit, tmp_path):
    """--unsafe (for machines without bubblewrap) still grades, with both runs."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    nbformat.write(_mutated(kit["solution"], "keep_with_p"), folder / "carol.ipynb")
    (row,) = grade.grade_folder(
        kit["zip"], [folder / "carol.ipynb"], tmp_path / "s.csv", unsafe=True, progress=False
    )
    assert row.status == "ok" and _lost(row.scores) == ["q1"], row
    assert row.otter_scores == row.scores


def test_the_init_cell_survives_a_renamed_download(kit, tmp_path):
    """A student whose download is named ``... (1).ipynb`` can still run grader.check."""
    renamed = tmp_path / f"{A1} (1).ipynb"
    nbformat.write(kit["student"], renamed)
    init = next(c.source for c in kit["student"].cells if "otter.Notebook(" in c.source)
    script = (
        init
        + "\nimport numpy as np\n"
        + "def keep_mask(shape, p, rng):\n    return rng.random(shape) >= p\n"
        + "result = grader.check('q1')\nprint('PASSED' if result.grade == 1 else result)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "PASSED" in done.stdout, done.stdout[-2000:]
