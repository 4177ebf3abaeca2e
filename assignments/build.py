"""Build the classroom kit: ``otter assign`` on every master, then what grading needs.

Usage::

    python assignments/build.py [--secret SECRET] [--out assignments/build]
        [--classroom classroom] [--no-run-tests] [MASTER ...]

For each master notebook ``assignments/NN_name.ipynb`` this writes
``OUT/NN_name/student/`` and ``OUT/NN_name/autograder/`` with ``otter assign``, then

* makes the student notebook's init cell find the notebook when the student's
  download was renamed (``NN_name (1).ipynb``);
* adds the student notebook to the autograder zip (``dropout_grading/template.ipynb``),
  which ``assignments/grade.py`` uses to normalise submissions and to know the
  given setup code;
* copies the student notebook to ``classroom/`` for the book (only without a
  secret: the book shows the public build).

**Course variants.** Every hidden test starts with the line
``course = 0  # course variant``, and offsets its seeds (and so its inputs and
expected values) by ``course``. With ``--secret`` (``make assignments SECRET=...``)
that 0 becomes a number derived from the secret, so a course's graded values
cannot be read from the public repository. Public tests are never varied, so the
student notebooks of every variant are identical.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_IN_ZIP = "dropout_grading/template.ipynb"
COURSE_LINE = re.compile(r"^(\s*)course = 0  # course variant\b.*$", re.MULTILINE)


def course_number(secret: str, assignment: str) -> int:
    """The seed offset of a course variant: 1 .. 999,999, from the secret and the assignment."""
    digest = hashlib.sha256(f"{secret}\0{assignment}".encode()).hexdigest()
    return int(digest[:12], 16) % 999_999 + 1


def vary(master: nbformat.NotebookNode, number: int) -> nbformat.NotebookNode:
    """The master with every ``course = 0  # course variant`` line set to ``number``."""
    out = nbformat.from_dict(master)
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.source = COURSE_LINE.sub(rf"\1course = {number}  # course variant", cell.source)
    return out


_INIT = re.compile(r'grader = otter\.Notebook\("([^"]+)"\)')


def robust_init_cell(student: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Let the init cell find the notebook under another name (a renamed download)."""
    for cell in student.cells:
        if cell.cell_type == "code" and _INIT.search(cell.source):
            name = _INIT.search(cell.source).group(1)
            cell.source = _INIT.sub(
                "import os\n\n"
                "# Finds this notebook even if your download was renamed.\n"
                f'grader = otter.Notebook("{name}" if os.path.exists("{name}") else None)',
                cell.source,
            )
    return student


def otter_command() -> str:
    candidate = Path(sys.executable).with_name("otter")
    return str(candidate) if candidate.exists() else "otter"


def build_one(master_path, out_root, *, secret=None, run_tests=True, classroom=None) -> Path:
    """Build one assignment into ``out_root/<name>``; returns that folder."""
    master_path = Path(master_path)
    name = master_path.stem
    out = Path(out_root) / name
    shutil.rmtree(out, ignore_errors=True)
    master = nbformat.read(master_path, as_version=4)
    if secret:
        master = vary(master, course_number(secret, name))
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / master_path.name
        nbformat.write(master, source)
        command = [otter_command(), "assign", "--no-pdfs", str(source), str(out)]
        if not run_tests:
            command.insert(3, "--no-run-tests")
        done = subprocess.run(command, capture_output=True, text=True, cwd=master_path.parent)
        if done.returncode != 0:
            raise RuntimeError(f"otter assign failed on {name}:\n{done.stdout}\n{done.stderr}")
    student_path = out / "student" / f"{name}.ipynb"
    student = robust_init_cell(nbformat.read(student_path, as_version=4))
    nbformat.write(student, student_path)
    (zip_path,) = (out / "autograder").glob("*.zip")
    with zipfile.ZipFile(zip_path, "a") as zf:
        zf.writestr(TEMPLATE_IN_ZIP, nbformat.writes(student))
    if classroom is not None:
        Path(classroom).mkdir(parents=True, exist_ok=True)
        shutil.copy(student_path, Path(classroom) / f"{name}.ipynb")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("masters", nargs="*", type=Path)
    parser.add_argument("--secret", default=None, help="course secret for the hidden tests")
    parser.add_argument("--out", type=Path, default=ROOT / "assignments" / "build")
    parser.add_argument("--classroom", type=Path, default=ROOT / "classroom")
    parser.add_argument("--no-run-tests", action="store_true")
    args = parser.parse_args(argv)
    masters = args.masters or sorted((ROOT / "assignments").glob("[0-9][0-9]_*.ipynb"))
    for master in masters:
        out = build_one(
            master,
            args.out,
            secret=args.secret or None,
            run_tests=not args.no_run_tests,
            classroom=None if args.secret else args.classroom,
        )
        (zip_path,) = (out / "autograder").glob("*.zip")
        print(f"{master.stem}: {zip_path}")
    if args.secret:
        print("Course variant built; classroom/ (the book's copies) left as they were.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
