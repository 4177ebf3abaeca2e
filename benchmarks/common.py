"""Timing helpers shared by the benchmark modules."""

from __future__ import annotations

import os
import platform
import statistics
import time


def machine_description() -> str:
    """A short name of this machine: processor, cores and memory."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()}"


def time_runs(func, *, repeat=7, warmup=1):
    """Call ``func`` ``warmup`` times untimed, then ``repeat`` times; return the seconds."""
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def median_time(func, *, repeat=7, warmup=1) -> float:
    """Median wall-clock seconds of ``func()`` over ``repeat`` runs."""
    return statistics.median(time_runs(func, repeat=repeat, warmup=warmup))
