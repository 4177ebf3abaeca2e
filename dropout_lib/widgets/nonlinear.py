"""The nonlinear-unit explorer: a sigmoid unit's ensemble, NWGM and weight scaling (chapter 8).

A sigmoid unit with dropout on its six inputs has 64 subnetworks.
:func:`nonlinear_unit_data` enumerates them at one drop probability ``p`` and
input scale; :func:`nonlinear_unit_frame`, :func:`nonlinear_unit_artists` and
:func:`nonlinear_unit_alt_text` draw and describe the ensemble mean, the
normalised weighted geometric mean (NWGM) and the weight-scaled output, and
:func:`nonlinear_explorer` is the live widget with its static fallback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.lines import Line2D

from .. import palette
from .._checks import check_p, check_real
from ..nonlinear import SigmoidEnsemble, sigmoid, sigmoid_ensemble
from ..plots import new_figure
from .fallback import FALLBACK_PS, FallbackSlider, fallback_html, p_fallback_slider, scene_frames
from .frontend import Explorer, float_slider, p_slider
from .scene import FigureScene

__all__ = [
    "NONLINEAR_W",
    "NONLINEAR_X",
    "NONLINEAR_BIAS",
    "NONLINEAR_SCALES",
    "NONLINEAR_PS",
    "S_RANGE",
    "NonlinearUnitData",
    "nonlinear_unit_data",
    "nonlinear_unit_frame",
    "nonlinear_unit_artists",
    "nonlinear_unit_alt_text",
    "nonlinear_explorer",
]

#: Weights, base input and bias of the explorer's sigmoid unit.
NONLINEAR_W = (0.75, -1.0, 0.5, 0.4, -0.3, 0.6)
NONLINEAR_X = (1.0, 0.6, 1.2, -0.8, 0.5, 0.9)
NONLINEAR_BIAS = -0.5
#: Input scales and drop probabilities of the static fallback (the live sliders are
#: continuous). The grid has two axes, so p goes in steps of 0.1 here rather than the
#: 0.05 of the one-axis explorers: 50 frames instead of 100, which halves the time the
#: chapter spends drawing them and the size of the stored page.
NONLINEAR_SCALES = (-3.0, -1.5, 0.0, 1.5, 3.0)
NONLINEAR_PS = FALLBACK_PS[::2]


@dataclass(frozen=True)
class NonlinearUnitData:
    """A sigmoid unit with dropout on its six inputs, at one setting of the controls.

    Attributes
    ----------
    p : float
        Drop probability of each input.
    scale : float
        The input is ``scale * NONLINEAR_X``.
    w, x : ndarray of float64, shape (6,)
    ensemble : dropout_lib.nonlinear.SigmoidEnsemble
        All 64 subnetworks, the ensemble mean, the NWGM and ``sigmoid(E[S])``.
    """

    p: float
    scale: float
    w: np.ndarray
    x: np.ndarray
    ensemble: SigmoidEnsemble


def nonlinear_unit_data(p=0.5, scale=1.0) -> NonlinearUnitData:
    """Enumerate the sigmoid unit of the nonlinear-unit explorer (see :class:`NonlinearUnitData`).

    Parameters
    ----------
    p : float in [0, 1]
        Drop probability of each input.
    scale : finite float
        Multiplies the base input ``NONLINEAR_X``.

    Returns
    -------
    NonlinearUnitData
    """
    p = check_p(p)
    scale = check_real(scale, "scale", low=-math.inf, high=math.inf, low_open=True, high_open=True)
    w = np.array(NONLINEAR_W)
    x = scale * np.array(NONLINEAR_X)
    return NonlinearUnitData(
        p=p, scale=scale, w=w, x=x, ensemble=sigmoid_ensemble(w, x, p, bias=NONLINEAR_BIAS)
    )


# --------------------------------------------------------------------------
# The figure
# --------------------------------------------------------------------------

#: Fixed pre-activation range of the figure, so its frame never changes.
S_RANGE = (-10.0, 10.0)
_OUTPUT_NAMES = ["ensemble mean\nE[σ(S)]", "NWGM\nG/(G+G′)", "weight-scaled\nσ(E[S])"]
_OUTPUT_STYLE = [("", palette.EMPHASIS), ("//", palette.DROPPED), ("..", palette.KEPT)]


def nonlinear_unit_frame(data):
    """The static part of the explorer's figure: axes, the sigmoid curve, the legend.

    The figure has two panels. Left: every subnetwork's ``(S, sigmoid(S))`` on
    the sigmoid curve (area proportional to its probability), with the
    ensemble mean, the NWGM and ``E[S]`` as lines. Right: bars of the three
    outputs. The frame is the same for every setting of the controls.
    """
    fig, axes = new_figure(2, width=10.0, height=4.0)
    ax_curve, ax_bars = axes[0]
    grid = np.linspace(*S_RANGE, 400)
    ax_curve.plot(grid, sigmoid(grid), color=palette.INK, linewidth=1)
    ax_curve.set_xlim(*S_RANGE)
    ax_curve.set_ylim(-0.05, 1.12)
    ax_curve.set_xlabel("pre-activation s of a subnetwork")
    ax_curve.set_ylabel("output σ(s)")
    ax_curve.set_title("Every subnetwork on the sigmoid curve")
    handles = [
        Line2D([], [], color=palette.INK, linewidth=1, label="sigmoid σ(s)"),
        Line2D([], [], color=palette.KEPT, marker="o", linestyle="", alpha=0.5,
               label="subnetworks (area ∝ probability)"),
        Line2D([], [], color=palette.EMPHASIS, linestyle="--", label="ensemble mean E[σ(S)]"),
        Line2D([], [], color=palette.DROPPED, linestyle=":", linewidth=2.5, label="NWGM = σ(E[S])"),
        Line2D([], [], color=palette.DROPPED, linestyle="-.", label="E[S]"),
    ]  # fmt: skip
    ax_curve.legend(handles=handles, loc="lower right", fontsize=7)
    ax_bars.set_xlim(-0.6, 2.6)
    ax_bars.set_ylim(0, 1.12)
    ax_bars.set_xticks(range(3), _OUTPUT_NAMES, fontsize=8)
    ax_bars.set_xlabel("summary of the ensemble")
    ax_bars.set_ylabel("unit output")
    ax_bars.set_title("Ensemble mean, NWGM and weight scaling")
    return fig


def nonlinear_unit_artists(fig, data):
    """Add the subnetworks, the three outputs and their lines of ``data`` to the frame."""
    ax_curve, ax_bars = fig.axes[:2]
    ens = data.ensemble
    s, probs = ens.s, ens.probs
    mean_s = float(probs @ s)
    ax_curve.scatter(
        np.clip(s, *S_RANGE), sigmoid(s), s=12 + 150 * probs / probs.max(), color=palette.KEPT,
        alpha=0.5, marker="o",
    )  # fmt: skip
    ax_curve.axhline(ens.arithmetic_mean, color=palette.EMPHASIS, linestyle="--")
    ax_curve.axhline(ens.nwgm, color=palette.DROPPED, linestyle=":", linewidth=2.5)
    ax_curve.axvline(np.clip(mean_s, *S_RANGE), color=palette.DROPPED, linestyle="-.")
    ax_curve.text(
        S_RANGE[0] + 0.3, 1.08, f"p = {data.p:.2f}, input scale {data.scale:+.1f}, "
        f"{s.size} subnetworks, E[S] = {mean_s:.2f}", fontsize=8, va="top",
    )  # fmt: skip
    values = [ens.arithmetic_mean, ens.nwgm, ens.weight_scaled]
    for index, (value, (hatch, color)) in enumerate(zip(values, _OUTPUT_STYLE)):
        ax_bars.bar(index, value, color=color, hatch=hatch, edgecolor=palette.INK, alpha=0.8)
        ax_bars.text(index, value + 0.02, f"{value:.4f}", ha="center", fontsize=8)
    return fig


def nonlinear_unit_alt_text(data) -> str:
    """A sentence that says what the explorer's figure shows for ``data``."""
    ens = data.ensemble
    return (
        f"Left: the {ens.s.size} subnetworks of a sigmoid unit at p = {data.p:.2f} and input "
        f"scale {data.scale:+.1f}, drawn on the sigmoid curve. Right: bars for the ensemble "
        f"mean {ens.arithmetic_mean:.4f}, the NWGM {ens.nwgm:.4f} and the weight-scaled "
        f"output {ens.weight_scaled:.4f}; the last two are equal."
    )


# --------------------------------------------------------------------------
# The live explorer and its static fallback
# --------------------------------------------------------------------------


def _nonlinear_scene():
    # The frame does not depend on the controls: one key, drawn once, then blitted.
    return FigureScene(lambda data: "sigmoid unit", nonlinear_unit_frame, nonlinear_unit_artists)


def _nonlinear_fallback(p, scale):
    datas = [nonlinear_unit_data(q, s) for q in NONLINEAR_PS for s in NONLINEAR_SCALES]
    start = int(np.argmin([abs(s - scale) for s in NONLINEAR_SCALES]))
    return fallback_html(
        scene_frames(_nonlinear_scene(), datas, nonlinear_unit_alt_text),
        [
            p_fallback_slider(NONLINEAR_PS, p),
            FallbackSlider(
                "scale",
                "input scale",
                tuple(f"scale = {s:+.1f}" for s in NONLINEAR_SCALES),
                tuple(f"{s:+.1f}" for s in NONLINEAR_SCALES),
                start,
            ),
        ],
        title="A sigmoid unit: ensemble mean, NWGM and weight-scaled output",
        name="nonlinear-unit",
    )


def nonlinear_explorer(p=0.5, scale=1.5) -> Explorer:
    """The live nonlinear-unit explorer (see :func:`nonlinear_unit_data`).

    The static fallback scrubs over :data:`NONLINEAR_PS` and :data:`NONLINEAR_SCALES`.
    """
    controls = {
        "p": p_slider(p),
        "scale": float_slider("input scale", scale, min=-3.0, max=3.0, step=0.1),
    }
    return Explorer(
        nonlinear_unit_data,
        _nonlinear_scene(),
        controls,
        lambda: _nonlinear_fallback(controls["p"].value, controls["scale"].value),
    )
