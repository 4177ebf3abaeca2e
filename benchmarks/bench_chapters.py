"""Execution time of every chapter notebook.

Targets: chapters 02-04 under 20 s each, 08-10 under 30 s each, and 06 plus 07
under 60 s together (the last row), so that every chapter runs top to bottom
on a laptop in well under a minute.

Each notebook in ``chapters/`` is executed in memory with nbclient, in a fresh
kernel, as ``make notebooks`` would run it (kernel start-up included). Short
chapters report the median of three runs; a chapter whose first run takes over
20 s is run once, and the note says so. The note also gives the CPU seconds
used (kernel plus client) and the load average, because on a shared machine
the wall-clock time depends on what else is running.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
TARGET_SECONDS = {
    "02_expected_value": 20.0,
    "03_train_vs_test": 20.0,
    "04_inverted_dropout": 20.0,
    "08_nonlinear_units": 30.0,
    "09_mc_dropout": 30.0,
    "10_dropout_family": 30.0,
}
TOGETHER = {("06_dropout_on_real_data", "07_dropout_as_regulariser"): 60.0}
SINGLE_RUN_ABOVE = 20.0


def _cpu_seconds() -> float:
    # The kernel is a child process: its CPU time is counted once it has exited.
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def execute_seconds(path: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one top-to-bottom execution of the notebook."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(CHAPTERS)}}
    )
    cpu_start, start = _cpu_seconds(), time.perf_counter()
    client.execute()
    return time.perf_counter() - start, _cpu_seconds() - cpu_start


def rows():
    measured = {}
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        runs = [execute_seconds(path)]
        if runs[0][0] <= SINGLE_RUN_ABOVE:
            runs += [execute_seconds(path), execute_seconds(path)]
            note = "median of 3 runs"
        else:
            note = "single run (over 20 s)"
        seconds = statistics.median(wall for wall, _ in runs)
        cpu = statistics.median(cpu for _, cpu in runs)
        note += f"; CPU {cpu:.1f} s; load average {os.getloadavg()[0]:.1f}"
        target = TARGET_SECONDS.get(path.stem)
        if target is not None:
            verdict = "meets" if seconds < target else "MISSES"
            note += f"; target < {target:g} s ({verdict})"
        measured[path.stem] = seconds
        yield f"execute chapters/{path.name}", seconds, "s", note
    for stems, target in TOGETHER.items():
        if all(stem in measured for stem in stems):
            total = sum(measured[stem] for stem in stems)
            verdict = "meets" if total < target else "MISSES"
            names = " + ".join(stem[:2] for stem in stems)
            note = f"target < {target:g} s ({verdict})"
            yield f"execute chapters {names} together", total, "s", note
