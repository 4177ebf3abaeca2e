"""Grade a folder of submissions with ``otter run`` (no Docker) into a CSV of scores.

Usage::

    python assignments/grade.py AUTOGRADER_ZIP SUBMISSIONS_FOLDER [--out scores.csv] [--workers 2]

``otter run`` grades one notebook per call and always names its output
``results.json``, so each submission gets its own folder next to the CSV
(``<csv stem>_results/<submission stem>/results.json``, with the grader's log).
The CSV has one row per submission: its file name, the score of every
autograded question, the total, the maximum and a note when grading failed.
Questions graded by hand (the written ones) are not in it: add them yourself.

The grader runs each notebook in a kernel of the Python that runs ``otter``, so
that Python must have numpy, otter-grader and ``dropout_lib`` installed (the
book's ``.venv`` has them all).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

#: Safety net per submission, in seconds, on top of the per-cell limit the
#: autograder zip sets (dropout_lib.grading.CellTimeLimit).
WALL_CLOCK_LIMIT = 1800


def otter_command() -> str:
    """The ``otter`` script next to this Python, or plain ``otter`` from PATH."""
    candidate = Path(sys.executable).with_name("otter")
    return str(candidate) if candidate.exists() else "otter"


def grade_one(zip_path, submission, out_dir, *, env=None) -> dict:
    """Grade one notebook with ``otter run``.

    Parameters
    ----------
    zip_path : path
        The autograder zip made by ``otter assign``.
    submission : path
        A student's ``.ipynb``.
    out_dir : path
        Created if needed; receives ``results.json`` and ``otter.log``.
    env : dict or None
        Environment of the grader (None: this process's).

    Returns
    -------
    dict
        ``file``, ``scores`` (question -> (score, max_score)), ``tests`` (the
        raw results) and ``error`` (None, or why there are no results).
    """
    submission, out_dir = Path(submission), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [otter_command(), "run", "--no-logo", "-a", str(zip_path), "-o", str(out_dir)]
    try:
        done = subprocess.run(
            [*command, str(submission)],
            env=env,
            capture_output=True,
            text=True,
            timeout=WALL_CLOCK_LIMIT,
        )
        log = f"exit code {done.returncode}\n{done.stdout}\n{done.stderr}"
    except subprocess.TimeoutExpired:
        log = f"otter run was stopped after {WALL_CLOCK_LIMIT} s"
    (out_dir / "otter.log").write_text(log)
    results = out_dir / "results.json"
    if not results.exists():
        return {"file": submission.name, "scores": {}, "tests": [], "error": log[-2000:]}
    tests = json.loads(results.read_text())["tests"]
    scores = {t["name"]: (t["score"], t["max_score"]) for t in tests if "max_score" in t}
    return {"file": submission.name, "scores": scores, "tests": tests, "error": None}


def grade_folder(zip_path, submissions, out_dir, *, workers=1, env=None) -> list[dict]:
    """Grade every ``.ipynb`` in ``submissions`` (a folder or a list of paths)."""
    if isinstance(submissions, (str, Path)):
        submissions = sorted(Path(submissions).glob("*.ipynb"))
    out_dir = Path(out_dir)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(grade_one, zip_path, path, out_dir / Path(path).stem, env=env)
            for path in submissions
        ]
        return [future.result() for future in futures]


def write_csv(rows, path) -> None:
    """One line per submission: file, one column per question, total, max, error."""
    questions = sorted({q for row in rows for q in row["scores"]}, key=_question_order)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", *questions, "total", "max", "error"])
        for row in rows:
            scores = [row["scores"].get(q, (0, 0)) for q in questions]
            total = sum(score for score, _ in scores)
            maximum = sum(max_score for _, max_score in scores)
            error = "" if row["error"] is None else "no results: see its otter.log"
            writer.writerow([row["file"], *(s for s, _ in scores), total, maximum, error])


def _question_order(name: str):
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 0, name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("autograder_zip", type=Path)
    parser.add_argument("submissions", type=Path, help="folder of .ipynb submissions")
    parser.add_argument("--out", type=Path, default=Path("scores.csv"), help="CSV to write")
    parser.add_argument("--workers", type=int, default=1, help="notebooks graded at once")
    args = parser.parse_args(argv)
    out_dir = args.out.with_name(args.out.stem + "_results")
    rows = grade_folder(args.autograder_zip, args.submissions, out_dir, workers=args.workers)
    write_csv(rows, args.out)
    failed = [row["file"] for row in rows if row["error"] is not None]
    print(f"graded {len(rows)} submissions into {args.out}; per-submission results in {out_dir}")
    if failed:
        print("no results for:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
