"""The mask-state explorer: the four mask states of a two-input unit (chapter 5).

The unit is ``z = m1 w1 x1 + m2 w2 x2`` with keep-masks ``m1, m2``. For one
``p``, :func:`mask_state_data` enumerates the four states symbolically (their
probabilities, values and shares of ``E[z]``); :func:`mask_state_frame`,
:func:`mask_state_artists` and :func:`mask_state_alt_text` draw and describe
them (:func:`mask_state_figure` is the two drawing steps in one), and
:func:`mask_state_explorer` is the live widget with its static fallback.

``p`` is the probability of dropping an input and ``keep = 1 - p``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from matplotlib.lines import Line2D

from .. import palette
from .._checks import as_real_array, check_choice, check_p, check_p_below_one
from ..moments import linear_unit_moments
from ._figure import MODES, P_MAX, add_bar, fixed_figure, nice_ticks, p_heading, panel_title
from .fallback import (
    FALLBACK_PS,
    choice_fallback_slider,
    fallback_html,
    p_fallback_slider,
    scene_frames,
)
from .frontend import Explorer, p_slider, toggle_buttons
from .scene import FigureScene

__all__ = [
    "TWO_INPUT_W",
    "TWO_INPUT_X",
    "MaskStateData",
    "mask_state_data",
    "mask_state_frame_key",
    "mask_state_frame",
    "mask_state_artists",
    "mask_state_figure",
    "mask_state_alt_text",
    "mask_state_explorer",
]

#: The two-input example of the book: w = (2, -1), x = (1.5, 1).
TWO_INPUT_W = (2.0, -1.0)
TWO_INPUT_X = (1.5, 1.0)


@dataclass(frozen=True)
class MaskStateData:
    """The four mask states of ``z = m1 w1 x1 + m2 w2 x2`` at one ``p``.

    Attributes
    ----------
    p, mode : the controls.
    w, x : tuple of float, length 2
    masks : list of tuple of int
        The states, ``(m1, m2)`` with 1 = kept, ordered (0,0), (1,0), (0,1), (1,1).
    labels : list of str
        Plain-word names of the states.
    probabilities : ndarray, shape (4,)
        ``P(state)``, a product of ``keep`` and ``p`` factors.
    values : ndarray, shape (4,)
        ``z`` in each state (divided by ``keep`` in inverted mode).
    contributions : ndarray, shape (4,)
        ``P(state) * z(state)``; they add up to ``expected``.
    expected, variance : float
        ``E[z]`` and ``Var[z]`` over the four states.
    evaluation : float
        ``z`` at evaluation: ``keep * (w . x)`` (standard) or ``w . x`` (inverted).
    contribution_range : (float, float)
        Smallest and largest contribution over ``p_grid`` (fixes the axis).
    p_grid, expected_curve, variance_curve : ndarray, shape (n,)
        ``E[z]`` and ``Var[z]`` along a grid of ``p`` in [0, P_MAX], for the
        curve the current point moves along.
    """

    p: float
    mode: str
    w: tuple
    x: tuple
    masks: list
    labels: list
    probabilities: np.ndarray
    values: np.ndarray
    contributions: np.ndarray
    expected: float
    variance: float
    evaluation: float
    contribution_range: tuple
    p_grid: np.ndarray
    expected_curve: np.ndarray
    variance_curve: np.ndarray


@lru_cache(maxsize=2)
def _mask_state_functions(inverted):
    """Numeric functions of ``(p, w1, w2, x1, x2)`` from the symbolic mask states."""
    import sympy as sp

    from .. import symbolic

    rows = symbolic.mask_states(2, inverted=inverted)
    w, x = symbolic.weights_and_inputs(2)
    args = (symbolic.p, *w, *x)
    masks = [mask for mask, _, _ in rows]
    prob = sp.lambdify(args, [prob for _, prob, _ in rows], "numpy")
    value = sp.lambdify(args, [z for _, _, z in rows], "numpy")
    return masks, prob, value


def _pair(values, name):
    """The two numbers of a two-input unit's weights or inputs, as a tuple of float."""
    array = as_real_array(values, name)
    if array.shape != (2,):
        raise ValueError(
            f"{name} must hold two numbers (the unit has two inputs), but got {name}={values!r}"
        )
    return tuple(float(v) for v in array)


def _state_label(mask):
    kept = [f"x{i + 1}" for i, bit in enumerate(mask) if bit]
    if not kept:
        return "both dropped"
    if len(kept) == len(mask):
        return "both kept"
    return f"only {kept[0]} kept"


def mask_state_data(p=0.4, mode="standard", *, w=TWO_INPUT_W, x=TWO_INPUT_X) -> MaskStateData:
    """Compute the mask-state explorer's data.

    The probabilities and values come from the symbolic enumeration in
    :func:`dropout_lib.symbolic.mask_states`, evaluated at the numbers.

    Parameters
    ----------
    p : float in [0, 1], below 1 in inverted mode
        Drop probability of each input.
    mode : {"standard", "inverted"}
    w, x : pair of float
        Weights and inputs of the two-input unit; the book's example by default.

    Returns
    -------
    MaskStateData
    """
    p = check_p(p)
    check_choice(mode, "mode", MODES)
    inverted = mode == "inverted"
    if inverted:
        check_p_below_one(p, why="inverted dropout divides the kept inputs by 1 - p")
    w = _pair(w, "w")
    x = _pair(x, "x")
    masks, prob_fn, value_fn = _mask_state_functions(inverted)
    probabilities = np.array(prob_fn(p, *w, *x), dtype=np.float64)
    values = np.array(value_fn(p, *w, *x), dtype=np.float64)
    contributions = probabilities * values
    expected = float(contributions.sum())
    variance = float(probabilities @ (values - expected) ** 2)
    dot = w[0] * x[0] + w[1] * x[1]
    evaluation = dot if inverted else (1.0 - p) * dot
    p_grid = np.linspace(0.0, P_MAX, 96)
    curve = np.array([linear_unit_moments(w, x, q, inverted=inverted) for q in p_grid])
    grid_contributions = [
        np.broadcast_to(prob * value, p_grid.shape)
        for prob, value in zip(prob_fn(p_grid, *w, *x), value_fn(p_grid, *w, *x))
    ]
    contribution_range = (
        min(0.0, float(np.min(grid_contributions)), float(curve[:, 0].min())),
        max(0.0, float(np.max(grid_contributions)), float(curve[:, 0].max()), dot),
    )
    return MaskStateData(
        p=p,
        mode=mode,
        w=w,
        x=x,
        masks=masks,
        labels=[_state_label(m) for m in masks],
        probabilities=probabilities,
        values=values,
        contributions=contributions,
        expected=expected,
        variance=variance,
        evaluation=evaluation,
        contribution_range=contribution_range,
        p_grid=p_grid,
        expected_curve=curve[:, 0],
        variance_curve=curve[:, 1],
    )


# --------------------------------------------------------------------------
# The figure
# --------------------------------------------------------------------------

_STATE_HATCHES = ("xx", "\\\\", "//", "")


def mask_state_frame_key(data):
    """Data objects with equal keys share one :func:`mask_state_frame`."""
    return (data.mode, data.w, data.x)


def mask_state_frame(data):
    """The static part of :func:`mask_state_figure`: axes, labels and the curves of E and Var."""
    fig, axes = fixed_figure(
        3, 1, width=10.0, height=3.9, left=0.06, right=0.985, bottom=0.19, top=0.8, wspace=0.33
    )
    ax_prob, ax_contrib, ax_curve = axes[0]
    positions = np.arange(len(data.labels))
    names = [label.replace(" ", "\n", 1) for label in data.labels]
    ax_prob.set_ylim(0, 1.12)
    ax_prob.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax_prob.set_ylabel("probability", fontsize=8)
    panel_title(ax_prob, "(a) probability of each state")
    low, high = data.contribution_range
    span = high - low
    ax_contrib.set_ylim(low - 0.15 * span, high + 0.5 * span)
    ax_contrib.set_yticks(nice_ticks(low - 0.15 * span, high + 0.5 * span))
    ax_contrib.axhline(0, color=palette.INK, linewidth=0.6)
    ax_contrib.set_ylabel("probability × z", fontsize=8)
    panel_title(ax_contrib, "(b) each state's share of E[z]")
    ax_contrib.legend(
        handles=[
            Line2D(
                [],
                [],
                color=palette.INK,
                linestyle="-",
                linewidth=1.5,
                label="E[z] = sum of bars",
            ),
            Line2D(
                [], [], color=palette.EMPHASIS, linestyle=":", linewidth=2.0, label="evaluation z"
            ),
        ],
        fontsize=7,
        loc="upper left",
        frameon=False,
    )
    ax_contrib.text(
        0.84,
        0.97,
        "E[z] =\nevaluation =",
        transform=ax_contrib.transAxes,
        ha="right",
        va="top",
        fontsize=7,
    )
    for ax in (ax_prob, ax_contrib):
        ax.set_xlim(-0.6, len(positions) - 0.4)
        ax.set_xticks(positions, names, fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    ax_curve.plot(data.p_grid, data.expected_curve, color=palette.INK, linestyle="-", label="E[z]")
    ax_curve.plot(
        data.p_grid, data.variance_curve, color=palette.EMPHASIS, linestyle="--", label="Var[z]"
    )
    ax_curve.set_xlim(0, 1)
    ax_curve.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    curve_low = min(0.0, float(data.expected_curve.min())) - 0.2
    curve_high = (
        min(max(float(data.variance_curve.max()), float(data.expected_curve.max())), 12.0) * 1.08
        + 0.2
    )
    ax_curve.set_ylim(curve_low, curve_high)
    ax_curve.set_yticks(nice_ticks(curve_low, curve_high))
    ax_curve.set_xlabel("drop probability p", fontsize=8)
    ax_curve.set_ylabel("value of E[z] or Var[z]", fontsize=8)
    panel_title(ax_curve, "(c) E[z] and Var[z] against p")
    ax_curve.tick_params(labelsize=7)
    ax_curve.legend(fontsize=7, loc="upper right", frameon=False)
    w, x = data.w, data.x
    fig.text(
        0.5,
        0.975,
        f"{data.mode.capitalize()} dropout:  z = m1·{w[0]:g}·{x[0]:g} + m2·({w[1]:g})·{x[1]:g}"
        + ("  divided by 1 − p" if data.mode == "inverted" else ""),
        ha="center",
        va="top",
        fontsize=10,
    )
    return fig


def mask_state_artists(fig, data):
    """Add the parts of :func:`mask_state_figure` that move with ``p`` to its frame."""
    ax_prob, ax_contrib, ax_curve = fig.axes[:3]
    for index, hatch in enumerate(_STATE_HATCHES):
        add_bar(
            ax_prob,
            index,
            data.probabilities[index],
            0.8,
            facecolor=palette.FILL,
            edgecolor=palette.KEPT,
            hatch=hatch,
        )
        ax_prob.text(
            index,
            data.probabilities[index] + 0.02,
            f"{data.probabilities[index]:.3f}",
            ha="center",
            fontsize=7,
        )
        add_bar(
            ax_contrib,
            index,
            data.contributions[index],
            0.8,
            facecolor=palette.FILL_2,
            edgecolor=palette.EMPHASIS,
            hatch=hatch,
        )
        ax_contrib.text(
            index,
            0.0,
            f"z = {data.values[index]:.3g}",
            ha="center",
            va="bottom" if data.contributions[index] < 0 else "top",
            fontsize=7,
        )
    ax_contrib.axhline(data.expected, color=palette.INK, linestyle="-", linewidth=1.5)
    ax_contrib.axhline(data.evaluation, color=palette.EMPHASIS, linestyle=":", linewidth=2.0)
    ax_contrib.text(
        0.98,
        0.97,
        f"{data.expected:.3f}\n{data.evaluation:.3f}",
        transform=ax_contrib.transAxes,
        ha="right",
        va="top",
        fontsize=7,
    )
    ax_curve.plot(
        [data.p],
        [data.expected],
        marker="o",
        color=palette.INK,
        linestyle="",
        scalex=False,
        scaley=False,
    )
    ax_curve.plot(
        [data.p],
        [data.variance],
        marker="s",
        color=palette.EMPHASIS,
        linestyle="",
        scalex=False,
        scaley=False,
    )
    ax_curve.axvline(data.p, color=palette.GUIDE, linewidth=0.8, linestyle=":")
    p_heading(fig, data.p)
    return fig


def mask_state_figure(data):
    """The mask-state explorer's figure for the two-input unit.

    Parameters
    ----------
    data : MaskStateData

    Returns
    -------
    fig : matplotlib Figure
        (a) the probability of each of the four states, (b) each state's
        contribution ``P(state) * z(state)`` with ``z`` written on the bar and
        the expected ``z`` (their sum) and the evaluation value as lines,
        (c) ``E[z]`` and ``Var[z]`` against ``p``, with the current ``p`` marked.
    """
    return mask_state_artists(mask_state_frame(data), data)


def mask_state_alt_text(data) -> str:
    """A sentence that says what :func:`mask_state_figure` shows for ``data``."""
    states = "; ".join(
        f"{label}: probability {prob:.3f}, z = {value:.3g}"
        for label, prob, value in zip(data.labels, data.probabilities, data.values)
    )
    return (
        f"Four mask states at p = {data.p:.2f}, {data.mode} dropout. {states}. "
        f"Expected z = {data.expected:.3f}, variance {data.variance:.3f}, "
        f"evaluation z = {data.evaluation:.3f}."
    )


# --------------------------------------------------------------------------
# The live explorer and its static fallback
# --------------------------------------------------------------------------


def _mask_state_scene():
    return FigureScene(mask_state_frame_key, mask_state_frame, mask_state_artists)


def _mask_state_fallback(p, mode):
    datas = [mask_state_data(q, m) for q in FALLBACK_PS for m in MODES]
    return fallback_html(
        scene_frames(_mask_state_scene(), datas, mask_state_alt_text),
        [
            p_fallback_slider(FALLBACK_PS, p),
            choice_fallback_slider("mode", "dropout mode", MODES, mode),
        ],
        title="The four mask states of z = w1 x1 + w2 x2",
        name="mask-states",
    )


def mask_state_explorer(p=0.4, mode="standard") -> Explorer:
    """The live mask-state explorer of the two-input unit (see :func:`mask_state_data`).

    The static fallback scrubs over
    :data:`~dropout_lib.widgets.fallback.FALLBACK_PS` and both modes.
    """
    controls = {"p": p_slider(p), "mode": toggle_buttons(MODES, mode, "mode")}
    return Explorer(
        mask_state_data,
        _mask_state_scene(),
        controls,
        lambda: _mask_state_fallback(controls["p"].value, controls["mode"].value),
    )
