"""Building the rendered book (targets: clean build < 90 s, cached rebuild < 15 s).

Every build runs on a temporary copy of the book's sources with its own
``--path-output``, so the repository's files and its ``_build/`` are never
touched. A clean build starts with an empty jupyter-cache, so every notebook is
executed. The cached rebuild then changes one line of prose in a copy of the
first chapter and builds again into the same output. Times are medians over
``BENCH_BOOK_RUNS`` runs (3 unless set), measured around the build command
alone (copying the sources is not timed).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RUNS = int(os.environ.get("BENCH_BOOK_RUNS", "3"))
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "_build", "node_modules", "__pycache__", ".pytest_cache",
    ".hypothesis", ".ruff_cache", "*.egg-info", "build",
)  # fmt: skip


def copy_sources(target: Path) -> Path:
    if not (ROOT / "_vendor").is_dir():
        raise RuntimeError("the vendored MathJax is missing: run `make assets` first")
    shutil.copytree(ROOT, target, ignore=NOT_SOURCES)
    return target


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(source: Path, output: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one ``jupyter-book build`` (warnings are errors,
    as in make). The CPU time includes the notebook kernels, and unlike the wall
    clock it hardly depends on what else the machine is running."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.setdefault("MPLBACKEND", "Agg")
    command = [str(BIN / "jupyter-book"), "build", str(source), "-W", "-n", "--keep-going"]
    command += ["--path-output", str(output)]
    cpu, start = children_cpu(), time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, children_cpu() - cpu
    if result.returncode != 0:
        raise RuntimeError(f"book build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return seconds, cpu


def change_prose(source: Path, run: int) -> None:
    """Append one sentence to the last Markdown cell of the first chapter (of the copy)."""
    chapters = sorted((source / "chapters").glob("*.ipynb"))
    path = chapters[0] if chapters else None
    if path is None:
        (source / "intro.md").open("a").write(f"\nOne more line of prose, edit {run}.\n")
        return
    notebook = nbformat.read(path, as_version=4)
    cell = [c for c in notebook.cells if c.cell_type == "markdown"][-1]
    cell.source += f"\n\nOne more line of prose, edit {run}."
    nbformat.write(notebook, path)


def site_size(html: Path) -> tuple[int, int, int]:
    """Bytes and number of files of the built site, and the bytes of vendored MathJax."""
    files = [p for p in html.rglob("*") if p.is_file()]
    mathjax = sum(p.stat().st_size for p in (html / "_static" / "vendor").rglob("*") if p.is_file())
    return sum(p.stat().st_size for p in files), len(files), mathjax


def rows():
    clean, cached, clean_cpu, cached_cpu = [], [], [], []
    size = n_files = mathjax = 0
    for run in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="bench-book-") as tmp:
            source = copy_sources(Path(tmp) / "src")
            output = Path(tmp) / "out"
            seconds, cpu = build(source, output)
            clean.append(seconds)
            clean_cpu.append(cpu)
            size, n_files, mathjax = site_size(output / "_build" / "html")
            change_prose(source, run)
            seconds, cpu = build(source, output)
            cached.append(seconds)
            cached_cpu.append(cpu)
    runs = f"median of {RUNS} run(s)"
    load = os.getloadavg()[0]

    def note(target, times, cpu):
        return (
            f"target < {target} s; {runs}: " + ", ".join(f"{t:.1f}" for t in times)
            + f"; CPU {statistics.median(cpu):.1f} s; load average {load:.1f}"
        )  # fmt: skip

    clean_note = note(90, clean, clean_cpu)
    cached_note = note(15, cached, cached_cpu)
    size_note = f"{n_files} files, of which {mathjax / 2**20:.1f} MiB are the vendored MathJax"
    yield "book: clean build, all notebooks executed", statistics.median(clean), "s", clean_note
    yield (
        "book: cached rebuild after a one-line prose change",
        statistics.median(cached),
        "s",
        cached_note,
    )
    yield "book: size of the built site (_build/html)", size / 2**20, "MiB", size_note
