"""The project's benchmark command (`make bench`): prints one table of timings.

Each module in ``benchmarks/`` defines ``rows()``, a generator of
``(name, value, unit, note)`` tuples, usually produced with :func:`median_time`.
Rows are collected in file-name order, so each area of the book owns one file.
"""

from __future__ import annotations

import importlib.util
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine_description  # noqa: E402


def main(argv: list[str]) -> int:
    only = argv[1] if len(argv) > 1 else ""
    print(f"# dropout book benchmark on {machine_description()}")
    print(f"# Python {platform.python_version()}; each time is a median of several runs")
    print(f"{'benchmark':58s} {'value':>12s}  {'unit':8s} note")
    print("-" * 100)
    for path in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        if only and only not in path.stem:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, value, unit, note in module.rows():
            shown = f"{value:12.4g}" if isinstance(value, float) else f"{value!s:>12}"
            print(f"{name:58s} {shown}  {unit:8s} {note}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
