"""The classroom kit: build it, grade solutions, mutants and alternatives through the sandbox.

What is checked, for every master notebook in ``assignments/``:

* ``assignments/build.py`` (what ``make assignments`` runs) builds a student and an
  autograder version, and puts the student notebook in the autograder zip;
* through ``assignments/grade.py`` (bubblewrap sandbox, otter's run and the trusted
  run), the solutions score full marks unflagged, the untouched student notebook
  scores zero, and correct alternatives score full marks;
* each mutant of ``assignments/mutants.py`` loses points on the question where its
  mistake is made and keeps full marks everywhere else (mutants are graded by the
  sandboxed trusted run alone, ``cross_check=False``, to keep the suite short);
* a submission that raises, loops forever or deletes a name still gets a grade, and
  the run that executed it says which question it broke;
* every hidden test says what it checks (a docstring) and varies with the course
  secret; the student build holds no line of solution code and no hidden test;
* the copies of the student notebooks in the book (``classroom/``) are current.

``tests/test_grading_adversarial.py`` grades cheating and misbehaving submissions.
"""

from __future__ import annotations

import ast
import csv
import importlib.util
import json
import re
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
MASTERS = sorted((ROOT / "assignments").glob("[0-9][0-9]_*.ipynb"))
CLASSROOM = ROOT / "classroom"
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
build = _load("build")
BUILT = {m.stem for m in MASTERS}
ALL = mutants.MUTANTS + mutants.A3_MUTANTS
VARIANTS = mutants.VARIANTS + mutants.A3_VARIANTS


def _autograder_zip(folder: Path) -> Path:
    (zip_path,) = (folder / "autograder").glob("*.zip")
    return zip_path


@pytest.fixture(scope="module")
def sandbox():
    problem = grade.check_sandbox()
    if problem is not None:
        pytest.fail(f"grading needs its sandbox: {problem} (make unit installs it)")


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """Build every assignment as ``make assignments`` does (otter assign, then the extras)."""
    root = tmp_path_factory.mktemp("kit")
    return {
        master.stem: build.build_one(master, root, run_tests=False, classroom=None)
        for master in MASTERS
    }


def short_limit_zip(zip_path: Path, out: Path, seconds=TEST_CELL_LIMIT) -> Path:
    """Copy of the autograder zip whose timer plugin stops cells after ``seconds``."""
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "otter_config.json":
                config = json.loads(data)
                for plugin in config.get("plugins", []):
                    if isinstance(plugin, dict) and "dropout_lib.grading.CellTimeLimit" in plugin:
                        plugin["dropout_lib.grading.CellTimeLimit"]["seconds"] = seconds
                data = json.dumps(config).encode()
            target.writestr(item, data)
    return out


@pytest.fixture(scope="module")
def graded(kit, sandbox, tmp_path_factory):
    """Grade, per assignment: solution, untouched notebook, alternatives and misbehaving
    notebooks with both runs; every mutant with the trusted run alone."""
    root = tmp_path_factory.mktemp("graded")
    results = {}
    for assignment, folder in kit.items():
        here = root / assignment
        cases = [m for m in ALL + VARIANTS + mutants.ROBUSTNESS if m.assignment == assignment]
        paths = mutants.write_submissions(folder, here / "submissions", cases)
        student = nbformat.read(folder / "student" / f"{assignment}.ipynb", as_version=4)
        paths["untouched_student"] = here / "submissions" / "untouched_student.ipynb"
        nbformat.write(student, paths["untouched_student"])
        zip_path = short_limit_zip(_autograder_zip(folder), here / "short_limit.zip")
        mutant_names = {m.name for m in ALL}
        for cross_check in (True, False):
            chosen = [n for n in paths if (n in mutant_names) != cross_check]
            out = here / ("both.csv" if cross_check else "trusted.csv")
            rows = grade.grade_folder(
                zip_path,
                [paths[n] for n in chosen],
                out,
                workers=2,
                timeout=400,
                progress=False,
                cross_check=cross_check,
            )
            results.update({(assignment, n): row for n, row in zip(chosen, rows)})
            results[(assignment, out.stem)] = out
    return results


def _lost(row):
    return sorted(q for q, (score, most) in row.scores.items() if score < most)


@pytest.mark.parametrize("assignment", sorted(BUILT))
def test_kit_layout(kit, assignment):
    folder = kit[assignment]
    assert (folder / "student" / f"{assignment}.ipynb").exists()
    assert (folder / "autograder" / f"{assignment}.ipynb").exists()
    with zipfile.ZipFile(_autograder_zip(folder)) as zf:
        names = zf.namelist()
        config = json.loads(zf.read("otter_config.json"))
    assert any(n.startswith("tests/") for n in names), "the autograder zip holds no tests"
    assert grade.TEMPLATE_IN_ZIP in names
    assert any("CellTimeLimit" in json.dumps(p) for p in config["plugins"])


@pytest.mark.parametrize("assignment", sorted(BUILT))
def test_solution_scores_full_marks_unflagged(graded, assignment):
    row = graded[(assignment, "solution")]
    assert row.status == "ok" and row.scores and _lost(row) == [], (row.status, row.tests)
    assert not row.flagged, row.reasons
    assert row.otter_scores == row.scores, "otter's run and the trusted run should agree"


def test_assignment2_lesson_shows_in_the_solution(graded):
    """Validation picks a p > 0, and Monte Carlo comes closer to weight scaling as k grows."""
    if mutants.A2 not in BUILT:
        pytest.skip("assignment 2 is not in assignments/")
    values = graded[(mutants.A2, "solution")].values
    assert values["best_p"] > 0, values
    mc, ws = {int(k): v for k, v in values["mc_errors"].items()}, values["ws_error"]
    assert mc[1] > mc[5] > mc[20] and mc[50] <= mc[20], mc
    assert abs(mc[50] - ws) < abs(mc[1] - ws), (mc, ws)


@pytest.mark.parametrize("assignment", sorted(BUILT))
def test_untouched_student_notebook_scores_zero(graded, assignment):
    row = graded[(assignment, "untouched_student")]
    assert row.status == "ok" and row.scores
    assert all(score == 0 for score, _ in row.scores.values()), row.scores
    assert all(score == 0 for score, _ in row.otter_scores.values()), row.otter_scores


@pytest.mark.parametrize("mutant", [m for m in ALL if m.assignment in BUILT], ids=lambda m: m.name)
def test_mutant_loses_points_on_its_question_only(graded, mutant):
    row = graded[(mutant.assignment, mutant.name)]
    assert row.status == "ok", row.status
    assert _lost(row) == [mutant.question], (
        f"{mutant.name} ({mutant.mistake}) should lose points on {mutant.question} only, "
        f"but scored {row.scores}"
    )


@pytest.mark.parametrize(
    "variant", [m for m in VARIANTS if m.assignment in BUILT], ids=lambda m: m.name
)
def test_correct_alternative_scores_full_marks(graded, variant):
    row = graded[(variant.assignment, variant.name)]
    assert row.status == "ok" and _lost(row) == [], (variant.mistake, row.scores)
    assert not row.flagged, row.reasons


@pytest.mark.parametrize(
    "case", [m for m in mutants.ROBUSTNESS if m.assignment in BUILT], ids=lambda m: m.name
)
def test_misbehaving_submission_is_graded_and_explained(graded, case):
    """otter's run loses the broken question only; the trusted run grades the definitions.

    A cell that raises or never ends leaves its functions undefined in the executed
    notebook, while the definitions themselves are right: the grade (the trusted
    run's) keeps the marks and the CSV flags the disagreement for the instructor.
    Deleting an answer deletes it in both runs.
    """
    row = graded[(case.assignment, case.name)]
    assert row.status == "ok", row.status
    lost_by_otter = sorted(q for q, (s, m) in row.otter_scores.items() if s < m)
    assert lost_by_otter == [case.question], row.otter_scores
    if case.name == "deletes_name":
        assert _lost(row) == [case.question] and not row.flagged, (row.scores, row.reasons)
    else:
        assert _lost(row) == [], row.scores
        assert any(f"disagree on {case.question}" in r for r in row.reasons), row.reasons


@pytest.mark.parametrize("assignment", sorted(BUILT))
def test_csv_has_status_and_flags(graded, assignment):
    with open(graded[(assignment, "both")], newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_file = {row["file"]: row for row in rows}
    header = list(rows[0])
    assert header[:2] == ["file", "status"] and header[-5:] == [
        "total",
        "max",
        "flagged",
        "reasons",
        "seconds",
    ]
    solution = by_file["solution.ipynb"]
    assert solution["status"] == "ok" and solution["total"] == solution["max"]
    assert solution["flagged"] == ""
    assert by_file["untouched_student.ipynb"]["total"] == "0"


def _hidden_test_sources(master: Path) -> list[tuple[str, str]]:
    notebook = nbformat.read(master, as_version=4)
    found = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and "hidden: true" in cell.source:
            tree = ast.parse(cell.source)
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                    found.append((node.name, cell.source))
    return found


@pytest.mark.parametrize("master", MASTERS, ids=lambda m: m.stem)
def test_every_hidden_test_says_what_it_checks(master):
    for name, source in _hidden_test_sources(master):
        function = next(
            n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name
        )
        doc = ast.get_docstring(function)
        assert doc and len(doc.split()) >= 4, f"{master.stem}: {name} needs a docstring"
        asserts = [n for n in ast.walk(function) if isinstance(n, ast.Assert)]
        assert asserts and all(a.msg is not None for a in asserts), (
            f"{master.stem}: every assert of {name} needs a message for the feedback"
        )


@pytest.mark.parametrize("master", MASTERS, ids=lambda m: m.stem)
def test_hidden_tests_with_random_inputs_vary_with_the_course(master):
    for name, source in _hidden_test_sources(master):
        if "default_rng(" in source and "final_net" not in source:
            assert "course = 0  # course variant" in source, f"{master.stem}: {name}"
            assert "+ course" in source, f"{master.stem}: {name} does not use the course number"


def test_course_variant_changes_hidden_tests_only(tmp_path):
    """``make assignments SECRET=...``: other hidden inputs, same student notebook."""
    master = ROOT / "assignments" / "03_batch_norm_variance_shift.ipynb"
    public = build.build_one(master, tmp_path / "public", run_tests=False)
    secret = build.build_one(master, tmp_path / "secret", secret="s3cret", run_tests=False)
    number = build.course_number("s3cret", master.stem)
    assert number != 0 and number == build.course_number("s3cret", master.stem)
    assert number != build.course_number("other", master.stem)

    def tests_of(folder):
        with zipfile.ZipFile(_autograder_zip(folder)) as zf:
            return {n: zf.read(n).decode() for n in zf.namelist() if n.startswith("tests/")}

    public_tests, secret_tests = tests_of(public), tests_of(secret)
    assert public_tests.keys() == secret_tests.keys()
    assert any("course = 0" in t for t in public_tests.values())
    assert not any("course = 0" in t for t in secret_tests.values())
    assert any(f"course = {number}" in t for t in secret_tests.values())
    name = f"{master.stem}.ipynb"
    shown = [nbformat.read(f / "student" / name, as_version=4) for f in (public, secret)]
    assert [c.source for c in shown[0].cells] == [c.source for c in shown[1].cells]
    # The solution still passes the varied tests (trusted run, in this process).
    assignment = grade.Assignment.from_zip(_autograder_zip(secret))
    solution = mutants.solution_submission(secret)
    sources = grade._student_sources(solution, assignment.template)
    from dropout_lib import grading

    result = grading.run_plan(
        {
            "setup": grading.setup_sources(assignment.template),
            "program": grading.answer_program(
                sources, answers=assignment.answers, given=assignment.given
            ),
            "tests": assignment.tests,
            "answers": assignment.answers,
        }
    )
    assert all(t["passed"] for t in result["tests"]), [
        t for t in result["tests"] if not t["passed"]
    ]


def _solution_lines(master: nbformat.NotebookNode) -> set[str]:
    """Lines of solution code (long enough to be distinctive) from a master notebook."""
    lines = set()
    inside = False
    for cell in master.cells:
        if cell.cell_type == "raw" and cell.source.strip() == "# BEGIN SOLUTION":
            inside = True
        elif cell.cell_type == "raw" and cell.source.strip() == "# END SOLUTION":
            inside = False
        elif inside and cell.cell_type == "code":
            block = False
            for line in cell.source.splitlines():
                stripped = line.strip()
                if stripped == "# BEGIN SOLUTION":
                    block = True
                elif stripped == "# END SOLUTION":
                    block = False
                elif (block or stripped.endswith("# SOLUTION")) and len(stripped) > 20:
                    lines.add(stripped.removesuffix("# SOLUTION").strip())
    return lines


def _test_lines(zip_path: Path, *, hidden: bool) -> set[str]:
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


def _text_of(folder: Path) -> str:
    return "\n".join(
        path.read_text(errors="replace") for path in sorted(folder.rglob("*")) if path.is_file()
    )


@pytest.mark.parametrize("assignment", sorted(BUILT))
def test_student_build_holds_no_solution_and_no_hidden_test(kit, assignment):
    folder = kit[assignment]
    master = nbformat.read(ROOT / "assignments" / f"{assignment}.ipynb", as_version=4)
    student_text = _text_of(folder / "student")
    student = nbformat.read(folder / "student" / f"{assignment}.ipynb", as_version=4)
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
    hidden = _test_lines(_autograder_zip(folder), hidden=True) - _test_lines(
        _autograder_zip(folder), hidden=False
    )
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
    names = {m.name for m in ALL}
    for needed in [
        # assignment 1
        "inverted_no_scale",
        "inverted_scales_by_p",
        "keep_with_p",
        "inverted_scales_at_test",
        "modifies_input",
        "mask_ignores_rng",
        "backward_no_scale",
        "backward_ignores_mask",
        "returns_mask",
        "breaks_2d",
        "mean_three_masks",
        "var_state_probability",
        "mask_exact_count",  # entries not independent
        "standard_test_divides",  # divides by zero at p = 1
        "helper_keeps_with_p",  # the mistake in a shared helper
        "mask_int_dtype",
        # assignment 2: the seven mistakes that scored full marks
        "a2_best_p_smallest_key",
        "a2_chooses_by_training_error",
        "a2_final_5_epochs",
        "a2_final_train_and_validation",
        "a2_mc_errors_on_validation",
        "a2_one_pass_for_every_k",
        "a2_ws_with_50_passes",
    ]:
        assert needed in names, needed
    assert len([m for m in ALL if m.assignment == mutants.A3]) >= 8


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
    folder = kit[assignment]
    solution = mutants.solution_submission(folder)
    implementations = {"solution": solution}
    for variant in mutants.VARIANTS:
        if variant.assignment == assignment:
            implementations[variant.name] = mutants.apply(variant, solution)
    with zipfile.ZipFile(_autograder_zip(folder)) as zf:
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
    assert "BaseException" in out.cells[0].source
    compile(out.cells[0].source, "<timer>", "exec")
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="seconds"):
            time_limit_source(bad)
    for bad in ("10", True, None):
        with pytest.raises(TypeError, match="seconds"):
            time_limit_source(bad)
