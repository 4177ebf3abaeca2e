"""Enumerating every keep-mask (target: under one second for n = 20)."""

from benchmarks.common import median_time
from dropout_lib import enumerate_masks


def rows():
    for n in (10, 15, 20):
        seconds = median_time(lambda n=n: enumerate_masks(n, 0.5), repeat=7)
        note = "target < 1 s" if n == 20 else ""
        yield f"enumerate_masks(n={n}) [{2**n} masks]", seconds * 1e3, "ms", note
