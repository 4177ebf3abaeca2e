"""Widget update latency of the explorers (chapters 5 and 8), and the cost of their fallbacks.

The targets: a median update under 50 ms and a 95th percentile under 100 ms,
so that the picture follows a slider as it is dragged.

One update is the time from setting the p slider's ``.value`` to the finished
figure: the explorer recomputes its data, redraws, encodes the PNG and hands it
to its ``ipywidgets.Image``. Each explorer starts fresh (no frame cached) and
the slider sweeps p from 0 to 0.95 and back in steps of 0.05, as a drag does,
so the few updates that have to draw a new static frame are included. The
sweep runs on an explorer that was never shown, then on one that was shown
(its mimebundle built, as Jupyter does before a reader can touch a slider),
and a second time on that one, whose frames are all cached. CPU times are
given too, because on a shared machine the wall clock includes waiting for a core.

Every picture is drawn for a device pixel ratio of 2 (144 dpi, four times the
pixels of a 72-dpi picture) and shown at half its pixel width. The last rows
give the CPU time of building each static fallback (every frame of its grid,
p in steps of 0.05), which a chapter pays when it displays the explorer.
"""

from __future__ import annotations

import time

import numpy as np

from dropout_lib import widgets

FRAME_MARK = '"src":"data:'  # one per frame in a fallback's JSON block
SWEEP = [round(float(p), 2) for p in np.arange(0.0, widgets.P_MAX + 1e-9, 0.05)]


def sweep_latencies(explorer):
    """Seconds (wall clock and CPU) of each update as p sweeps up to 0.95 and back to 0."""
    values = SWEEP[1:] + SWEEP[-2::-1]
    wall, cpu = [], []
    for p in values:
        start, start_cpu = time.perf_counter(), time.process_time()
        explorer.controls["p"].value = p
        assert explorer.image.value == explorer.png  # the picture is finished and shown
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return np.array(wall), np.array(cpu)


def rows():
    explorers = {
        "activations": lambda: widgets.activation_explorer(p=0.0, width=32),
        "mask states": lambda: widgets.mask_state_explorer(p=0.0),
        "ensemble": lambda: widgets.ensemble_explorer(p=0.0),
        "nonlinear unit": lambda: widgets.nonlinear_explorer(p=0.0),
    }
    widgets.trained_hidden_layer(32, 0)  # the network is trained once, outside the timing
    for name, make in explorers.items():
        cold = make()
        shown = make()
        # Jupyter builds the mimebundle (live view + static fallback) when it shows
        # an explorer, before anyone can touch a slider.
        shown._repr_mimebundle_()
        sweeps = [
            ("first sweep, never shown", cold),
            ("first sweep after display", shown),
            ("second sweep", shown),
        ]
        for sweep, explorer in sweeps:
            misses = explorer.scene.misses
            wall, cpu = sweep_latencies(explorer)
            new = explorer.scene.misses - misses
            note = (
                f"{len(wall)} updates, {new} new frames, CPU median {np.median(cpu) * 1e3:.0f} ms"
            )
            yield (
                f"widget update, {name}, {sweep}: median",
                np.median(wall) * 1e3,
                "ms",
                "target < 50 ms; " + note,
            )
            yield (
                f"widget update, {name}, {sweep}: 95th percentile",
                np.percentile(wall, 95) * 1e3,
                "ms",
                f"target < 100 ms; CPU p95 {np.percentile(cpu, 95) * 1e3:.0f} ms",
            )
        fresh = make()
        start = time.process_time()
        html = fresh.fallback_html()
        yield (
            f"static fallback, {name}: build",
            (time.process_time() - start) * 1e3,
            "ms CPU",
            f"{html.count(FRAME_MARK)} frames, {len(html) / 1e6:.1f} MB of HTML in the notebook",
        )
