"""The classroom kit: build it with otter assign, grade submissions with otter run.

What is checked, for every master notebook in ``assignments/``:

* ``otter assign`` builds a student and an autograder version;
* the solutions score full marks through ``otter run``, and so do correct
  alternatives (``>`` for ``>=``, ``rng.binomial``, float32, ...);
* the untouched student notebook runs through the grader and scores zero;
* each mutant of ``assignments/mutants.py`` loses points on the question where
  its mistake is made, and keeps full marks everywhere else;
* a submission that raises, loops forever or deletes a name still gets a
  results file, and loses only the question it broke;
* the student build holds no line of solution code and no hidden test;
* the copies of the student notebooks shown in the book (``classroom/``) are
  up to date with the masters.

Every submission is a real notebook graded by the ``otter`` command line, one
``otter run`` per notebook (``otter run`` takes a single submission, so a folder
cannot be graded in one call), two at a time, through ``assignments/grade.py``.
The whole module grades 34 notebooks and takes about 3 minutes on an idle
two-core machine (6 minutes when the machine was shared with other heavy jobs).
"""

from __future__ import annotations

import ast
import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
MASTERS = sorted((ROOT / "assignments").glob("[0-9][0-9]_*.ipynb"))
CLASSROOM = ROOT / "classroom"
# The grader starts a kernel with this Python; it must import dropout_lib (the
# timer plugin and assignment 2 need it), also when it is not installed.
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}
# In assignment 1, which has a looping submission, cells are stopped after this many
# seconds instead of the kit's own limit, to keep the test short.
TEST_CELL_LIMIT = 10


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "assignments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


mutants = _load("mutants")
grade = _load("grade")
# Correct alternatives graded end to end by otter run; every alternative of
# assignment 1 also runs in-process, with ten sets of seeds, in the last test.
GRADED_VARIANTS = tuple(
    v for v in mutants.VARIANTS if v.name in {"alt_float32", "a2_val_by_error_method"}
)
ALL_MUTANTS = mutants.MUTANTS + mutants.ROBUSTNESS + GRADED_VARIANTS
BUILT = {m.stem for m in MASTERS}


def _otter(*args, timeout=900):
    return subprocess.run(
        [grade.otter_command(), *args], env=ENV, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """Build every assignment with ``otter assign``, as ``make assignments`` does."""
    root = tmp_path_factory.mktemp("kit")
    builds = {}
    for master in MASTERS:
        out = root / master.stem
        # --no-run-tests: grading the solution below checks the same thing (make
        # assignments keeps otter assign's own check).
        done = _otter("assign", "--no-pdfs", "--no-run-tests", str(master), str(out))
        assert done.returncode == 0, done.stdout + done.stderr
        builds[master.stem] = out
    return builds


def _autograder_zip(build: Path) -> Path:
    (zip_path,) = (build / "autograder").glob("*.zip")
    return zip_path


def _zip_with_short_limit(zip_path: Path, out: Path) -> Path:
    """Copy of the autograder zip whose timer plugin stops cells after TEST_CELL_LIMIT s."""
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "otter_config.json":
                config = json.loads(data)
                for plugin in config.get("plugins", []):
                    if isinstance(plugin, dict) and "dropout_lib.grading.CellTimeLimit" in plugin:
                        plugin["dropout_lib.grading.CellTimeLimit"]["seconds"] = TEST_CELL_LIMIT
                data = json.dumps(config).encode()
            target.writestr(item, data)
    return out


@pytest.fixture(scope="module")
def graded(kit, tmp_path_factory):
    """Grade the solution, the untouched student notebook and every mutant and variant."""
    root = tmp_path_factory.mktemp("graded")
    results = {}
    for assignment, build in kit.items():
        folder = root / assignment
        paths = mutants.write_submissions(build, folder / "submissions", ALL_MUTANTS)
        student = nbformat.read(build / "student" / f"{assignment}.ipynb", as_version=4)
        paths["untouched_student"] = folder / "submissions" / "untouched_student.ipynb"
        nbformat.write(student, paths["untouched_student"])
        zip_path = _autograder_zip(build)
        if any(m.assignment == assignment and m.name == "loops_forever" for m in ALL_MUTANTS):
            zip_path = _zip_with_short_limit(zip_path, folder / "short_limit.zip")
        rows = grade.grade_folder(
            zip_path, list(paths.values()), folder / "results", workers=2, env=ENV
        )
        grade.write_csv(rows, folder / "scores.csv")
        results.update({(assignment, name): row for name, row in zip(paths, rows)})
        results[(assignment, "csv")] = folder / "scores.csv"
    return results


def _scores(graded, assignment, name):
    result = graded[(assignment, name)]
    assert result["error"] is None, f"no results file for {name}:\n{result['error']}"
    return result["scores"]


def _lost(scores):
    return sorted(q for q, (score, max_score) in scores.items() if score < max_score)


@pytest.mark.parametrize("assignment", sorted(BUILT))
def test_kit_layout(kit, assignment):
    build = kit[assignment]
    assert (build / "student" / f"{assignment}.ipynb").exists()
    assert (build / "autograder" / f"{assignment}.ipynb").exists()
    with zipfile.ZipFile(_autograder_zip(build)) as zf:
        tests = [n for n in zf.namelist() if n.startswith("tests/")]
        config = json.loads(zf.read("otter_config.json"))
    assert tests, "the autograder zip holds no tests"
    assert any("CellTimeLimit" in json.dumps(p) for p in config["plugins"])


@pytest.mark.parametrize("assignment", sorted(BUILT))
def test_solution_scores_full_marks(graded, assignment):
    scores = _scores(graded, assignment, "solution")
    assert scores and _lost(scores) == [], graded[(assignment, "solution")]["tests"]


@pytest.mark.parametrize("assignment", sorted(BUILT))
def test_untouched_student_notebook_scores_zero(graded, assignment):
    scores = _scores(graded, assignment, "untouched_student")
    assert scores
    assert all(score == 0 for score, _ in scores.values()), scores


@pytest.mark.parametrize(
    "mutant", [m for m in mutants.MUTANTS if m.assignment in BUILT], ids=lambda m: m.name
)
def test_mutant_loses_points_on_its_question_only(graded, mutant):
    scores = _scores(graded, mutant.assignment, mutant.name)
    assert _lost(scores) == [mutant.question], (
        f"{mutant.name} ({mutant.mistake}) should lose points on {mutant.question} only, "
        f"but scored {scores}"
    )


@pytest.mark.parametrize(
    "variant", [m for m in GRADED_VARIANTS if m.assignment in BUILT], ids=lambda m: m.name
)
def test_correct_alternative_scores_full_marks(graded, variant):
    scores = _scores(graded, variant.assignment, variant.name)
    assert _lost(scores) == [], f"{variant.name} ({variant.mistake}) is correct: {scores}"


@pytest.mark.parametrize(
    "case", [m for m in mutants.ROBUSTNESS if m.assignment in BUILT], ids=lambda m: m.name
)
def test_misbehaving_submission_still_gets_results(graded, case):
    scores = _scores(graded, case.assignment, case.name)
    assert scores[case.question][0] == 0, scores
    assert _lost(scores) == [case.question], scores


@pytest.mark.parametrize("assignment", sorted(BUILT))
def test_scores_csv(graded, assignment):
    with open(graded[(assignment, "csv")]) as handle:
        rows = {row["file"]: row for row in csv.DictReader(handle)}
    solution = rows["solution.ipynb"]
    assert float(solution["total"]) == float(solution["max"]) > 0
    assert float(rows["untouched_student.ipynb"]["total"]) == 0
    assert all(row["error"] == "" for row in rows.values())


def _solution_lines(notebook: nbformat.NotebookNode) -> set[str]:
    """Solution text of a master notebook: code between BEGIN and END SOLUTION
    comments or ending in ``# SOLUTION``, and the written model answers (cells
    between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` raw cells)."""
    lines, in_code, in_cells = set(), False, False
    for cell in notebook.cells:
        marker = cell.source.strip()
        if cell.cell_type == "raw" and marker in ("# BEGIN SOLUTION", "# END SOLUTION"):
            in_cells = marker == "# BEGIN SOLUTION"
            continue
        for line in cell.source.splitlines():
            stripped = line.strip()
            if cell.cell_type == "code" and stripped == "# BEGIN SOLUTION":
                in_code = True
            elif cell.cell_type == "code" and stripped == "# END SOLUTION":
                in_code = False
            elif cell.cell_type == "markdown" and in_cells and len(stripped) > 25:
                lines.add(stripped)
            elif cell.cell_type == "code" and (in_code or stripped.endswith("# SOLUTION")):
                if len(stripped) > 3:
                    lines.add(stripped.removesuffix("# SOLUTION").strip())
    return lines


def _test_lines(zip_path: Path, hidden: bool) -> set[str]:
    """Lines (longer than 25 characters) and names of the hidden or public test functions."""
    lines = set()
    with zipfile.ZipFile(zip_path) as zf:
        for name in zf.namelist():
            if not (name.startswith("tests/") and name.endswith(".py")):
                continue
            source = zf.read(name).decode()
            for node in ast.parse(source).body:
                if not isinstance(node, ast.FunctionDef):
                    continue
                flags = [
                    kw.value.value
                    for dec in node.decorator_list
                    if isinstance(dec, ast.Call)
                    for kw in dec.keywords
                    if kw.arg == "hidden"
                ]
                if flags == [hidden]:
                    body = ast.get_source_segment(source, node)
                    lines |= {ln.strip() for ln in body.splitlines() if len(ln.strip()) > 25}
                    lines.add(node.name)
    return lines


def _hidden_test_lines(zip_path: Path) -> set[str]:
    """Text that only hidden tests hold (lines shared with public tests are not secret)."""
    return _test_lines(zip_path, hidden=True) - _test_lines(zip_path, hidden=False)


def _text_of(folder: Path) -> str:
    return "\n".join(
        path.read_text(errors="replace") for path in sorted(folder.rglob("*")) if path.is_file()
    )


@pytest.mark.parametrize("assignment", sorted(BUILT))
def test_student_build_holds_no_solution_and_no_hidden_test(kit, assignment):
    build = kit[assignment]
    master = nbformat.read(ROOT / "assignments" / f"{assignment}.ipynb", as_version=4)
    student_text = _text_of(build / "student")
    # Read the student notebook's sources as plain lines too, not only as JSON text.
    student = nbformat.read(build / "student" / f"{assignment}.ipynb", as_version=4)
    student_lines = {ln.strip() for c in student.cells for ln in c.source.splitlines()}
    student_lines |= {
        ln.strip()
        for test in student.metadata.get("otter", {}).get("tests", {}).values()
        for ln in str(test).splitlines()
    }
    solution = _solution_lines(master)
    assert solution, "no solution lines found in the master notebook"
    leaked = sorted(line for line in solution if line in student_lines)
    assert leaked == [], f"solution lines in the student build: {leaked}"
    hidden = _hidden_test_lines(_autograder_zip(build))
    assert hidden, "no hidden tests found in the autograder zip"
    leaked = sorted(line for line in hidden if line in student_text or line in student_lines)
    assert leaked == [], f"hidden test text in the student build: {leaked}"


def _cells(notebook: nbformat.NotebookNode):
    return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in notebook.cells]


@pytest.mark.parametrize("assignment", sorted(BUILT))
def test_book_copy_is_the_current_student_notebook(kit, assignment):
    fresh = nbformat.read(kit[assignment] / "student" / f"{assignment}.ipynb", as_version=4)
    book_copy = CLASSROOM / f"{assignment}.ipynb"
    assert book_copy.exists(), f"run `make assignments` to create {book_copy}"
    shown = nbformat.read(book_copy, as_version=4)
    assert _cells(shown) == _cells(fresh), f"{book_copy} is stale: run `make assignments`"
    assert shown.metadata.get("otter") == fresh.metadata.get("otter")


def test_every_mistake_of_the_brief_has_a_mutant():
    names = {m.name for m in mutants.MUTANTS}
    for needed in [
        "inverted_no_scale",  # forgetting to scale
        "inverted_scales_by_p",  # scaling by p instead of 1 - p
        "keep_with_p",  # keeping with probability p
        "inverted_scales_at_test",  # scaling again at test time
        "modifies_input",
        "mask_ignores_rng",
        "backward_no_scale",
        "backward_ignores_mask",
        "returns_mask",
        "breaks_2d",
        "mean_three_masks",
        "var_state_probability",
    ]:
        assert needed in names
    assert re.fullmatch(r"q\d+", mutants.MUTANTS[0].question)


def _namespace(notebook: nbformat.NotebookNode) -> dict:
    """Run a submission's own code cells (not otter's) in a fresh namespace."""
    env: dict = {}
    for cell in notebook.cells:
        if cell.cell_type == "code" and "otter" not in cell.source and "grader." not in cell.source:
            exec(compile(cell.source, "<submission>", "exec"), env)
    return env


@pytest.mark.parametrize("offset", range(1, 11))
def test_assignment1_tests_hold_whatever_the_seeds(kit, offset):
    """Every test of assignment 1 passes for every correct implementation with other seeds.

    The statistical checks use tolerances of five standard errors, which a correct
    implementation misses with probability below 1e-6 per check; this runs every test
    (public and hidden) in-process with all the tests' seeds moved, against the
    solution and each correct alternative.
    """
    from otter.test_files import ExceptionTestFile

    assignment = mutants.A1
    if assignment not in kit:
        pytest.skip(f"{assignment} is not in assignments/")
    build = kit[assignment]
    solution = mutants.solution_submission(build)
    implementations = {"solution": solution}
    for variant in mutants.VARIANTS:
        if variant.assignment == assignment:
            implementations[variant.name] = mutants.apply(variant, solution)
    with zipfile.ZipFile(_autograder_zip(build)) as zf:
        sources = {
            name: zf.read(name).decode()
            for name in zf.namelist()
            if name.startswith("tests/") and name.endswith(".py")
        }
    for name, notebook in implementations.items():
        env = _namespace(notebook)
        for path, source in sorted(sources.items()):
            moved = re.sub(
                r"default_rng\(([^()]*)\)", rf"default_rng((\1) + {1000 * offset})", source
            )
            assert moved != source
            test_file = ExceptionTestFile.from_string(moved, path=path)
            test_file.run(env)
            failed = [r.message for r in test_file.test_case_results if not r.passed]
            assert failed == [], f"{name} fails {path} with seeds moved by {1000 * offset}"


def test_cell_time_limit_plugin_inserts_a_timer_cell():
    from dropout_lib.grading import CellTimeLimit, time_limit_source

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    plugin = CellTimeLimit("submission.ipynb", {}, {"seconds": 7})
    out = plugin.before_execution(notebook)
    assert len(out.cells) == 2 and out.cells[1].source == "x = 1"
    assert "setitimer" in out.cells[0].source and "7.0" in out.cells[0].source
    compile(out.cells[0].source, "<timer>", "exec")
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="seconds"):
            time_limit_source(bad)
    for bad in ("10", True, None):
        with pytest.raises(TypeError, match="seconds"):
            time_limit_source(bad)
