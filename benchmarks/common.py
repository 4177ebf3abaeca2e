"""Timing helpers shared by the benchmark modules."""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def one_thread():
    """Run numpy's BLAS and PyTorch (when installed) on one thread; yields torch or None.

    On a busy two-core machine two OpenBLAS threads made small batched products
    many times slower, not faster, so comparisons of small kernels run on one
    thread on both sides. The previous thread counts are restored afterwards.
    """
    try:
        import torch
    except ImportError:
        torch = None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    threads = None if torch is None else torch.get_num_threads()
    if torch is not None:
        torch.set_num_threads(1)
    limits = threadpool_limits(1) if threadpool_limits is not None else None
    try:
        yield torch
    finally:
        if limits is not None:
            limits.restore_original_limits()
        if torch is not None:
            torch.set_num_threads(threads)
