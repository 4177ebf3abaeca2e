"""The ensemble explorer: the subnetworks dropout samples during training (chapter 5).

Each training step draws one mask, that is one subnetwork of a small network.
:func:`ensemble_data` samples them and counts the distinct subnetworks visited
against their expected number; :func:`ensemble_frame`, :func:`ensemble_artists`
and :func:`ensemble_alt_text` draw and describe that
(:func:`ensemble_figure` is the two drawing steps in one), and
:func:`ensemble_explorer` is the live widget with its static fallback.

``p`` is the probability of dropping an input or hidden unit; output units are
never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, NullLocator

from .. import palette
from .._checks import as_generator, check_choice, check_int, check_p
from ..masks import count_subnetworks, expected_distinct_subnetworks, network_masks, sample_mask
from ..plots import draw_network
from ._figure import fixed_figure, place
from .fallback import FALLBACK_PS, fallback_html, p_fallback_slider, scene_frames
from .frontend import Explorer, choice_slider, p_slider, seed_box
from .scene import FigureScene

__all__ = [
    "NETWORKS",
    "STEP_CHOICES",
    "N_SHOWN",
    "EnsembleData",
    "ensemble_data",
    "ensemble_frame_key",
    "ensemble_frame",
    "ensemble_artists",
    "ensemble_figure",
    "ensemble_alt_text",
    "ensemble_explorer",
]

#: Small networks of the explorer, by name.
NETWORKS = {"3-4-2": (3, 4, 2), "4-5-3": (4, 5, 3), "5-6-3": (5, 6, 3)}
#: Numbers of training steps the steps slider offers.
STEP_CHOICES = (3, 10, 30, 100, 300, 1000, 3000, 10000)
#: Training steps whose subnetworks are drawn as diagrams.
N_SHOWN = 3


@dataclass(frozen=True)
class EnsembleData:
    """Sampled subnetworks and how many distinct ones training visits.

    Attributes
    ----------
    p, network, steps, seed : the controls.
    layer_sizes : tuple of int
    shown : list of list of ndarray of bool
        The masks of the first :data:`N_SHOWN` training steps, one keep-mask per layer.
    n_possible : int
        ``2**(input + hidden units)``, from :func:`dropout_lib.masks.count_subnetworks`.
    visited : ndarray of int, shape (steps,)
        ``visited[t]`` distinct subnetworks seen in the first ``t + 1`` steps.
    n_distinct : int
        ``visited[-1]``.
    expected_distinct : float
        Its expectation, :func:`dropout_lib.masks.expected_distinct_subnetworks`.
    checkpoints : ndarray of int, shape (n,)
        Step counts from 1 to ``steps`` (about evenly spaced on a log scale).
    expected_curve : ndarray of float, shape (n,)
        The expected number of distinct subnetworks after each checkpoint.
    """

    p: float
    network: str
    steps: int
    seed: int
    layer_sizes: tuple
    shown: list
    n_possible: int
    visited: np.ndarray
    n_distinct: int
    expected_distinct: float
    checkpoints: np.ndarray
    expected_curve: np.ndarray


def ensemble_data(p=0.5, network="4-5-3", steps=100, seed=0) -> EnsembleData:
    """Sample one mask per training step and count the distinct subnetworks visited.

    Input and hidden units are dropped with probability ``p``; output units
    never are. The first :data:`N_SHOWN` steps are drawn as diagrams.

    Parameters
    ----------
    p : float in [0, 1]
    network : str, a key of :data:`NETWORKS`
    steps : int >= N_SHOWN
        Training steps, one mask each.
    seed : int >= 0

    Returns
    -------
    EnsembleData
    """
    p = check_p(p)
    check_choice(network, "network", NETWORKS)
    steps = check_int(steps, "steps", minimum=N_SHOWN)
    seed = check_int(seed, "seed", minimum=0)
    sizes = NETWORKS[network]
    rng = as_generator(seed)
    shown = [network_masks(sizes, p, rng) for _ in range(N_SHOWN)]
    droppable = sum(sizes[:-1])
    first = np.array([np.concatenate(masks[:-1]) for masks in shown])
    rest = sample_mask((steps - N_SHOWN, droppable), p, rng)
    all_masks = np.concatenate([first, rest])
    codes = all_masks @ (1 << np.arange(droppable, dtype=np.int64))
    _, first_seen = np.unique(codes, return_index=True)
    is_new = np.zeros(steps, dtype=np.int64)
    is_new[first_seen] = 1
    visited = np.cumsum(is_new)
    checkpoints = np.unique(np.geomspace(1, steps, 25).round().astype(np.int64))
    expected_curve = np.array(
        [expected_distinct_subnetworks(droppable, p, int(t)) for t in checkpoints]
    )
    return EnsembleData(
        p=p,
        network=network,
        steps=steps,
        seed=seed,
        layer_sizes=sizes,
        shown=shown,
        n_possible=count_subnetworks(sizes),
        visited=visited,
        n_distinct=int(visited[-1]),
        expected_distinct=float(expected_curve[-1]),
        checkpoints=checkpoints,
        expected_curve=expected_curve,
    )


# --------------------------------------------------------------------------
# The figure
# --------------------------------------------------------------------------


def ensemble_frame_key(data):
    """Data objects with equal keys share one :func:`ensemble_frame`."""
    return (data.network, data.layer_sizes, data.steps, len(data.shown))


def ensemble_frame(data):
    """The static part of :func:`ensemble_figure`: diagram panels and the labelled curve axes."""
    n_shown = len(data.shown)
    sizes = data.layer_sizes
    fig, axes = fixed_figure(
        n_shown,
        2,
        width=3.0 * n_shown + 0.6,
        height=7.2,
        left=0.08,
        right=0.98,
        bottom=0.16,
        top=0.86,
        hspace=0.3,
    )
    for index in range(n_shown):
        ax = axes[0, index]
        # Draw once for the limits, the aspect, the layer names and the legend,
        # then keep only those: the units and connections move with p.
        draw_network(sizes, ax=ax, legend=(index == n_shown - 1))
        for artist in [*ax.lines, *ax.collections]:
            artist.remove()
        # Spread the layers over the panel's width: at an equal aspect they sit
        # as close as the units of a layer, and their names run into each other.
        ax.set_aspect("auto")
    grid = axes[1, 0].get_gridspec()
    grid.set_height_ratios([1.5, 1])
    place(fig, grid)
    for ax in axes[1]:
        ax.remove()
    ax = fig.add_subplot(grid[1, :])
    droppable = sum(sizes[:-1])
    ax.axhline(data.n_possible, color=palette.EMPHASIS, linestyle=":", linewidth=2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(1, max(data.steps, 2))
    ax.set_ylim(0.8, data.n_possible * 3)
    for axis, top in ((ax.xaxis, data.steps), (ax.yaxis, data.n_possible)):
        axis.set_major_locator(FixedLocator([10.0**k for k in range(int(np.log10(top)) + 1)]))
        axis.set_minor_locator(NullLocator())
    ax.set_xlabel("training steps (one mask each)", fontsize=8)
    ax.set_ylabel("distinct subnetworks", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(
        handles=[
            Line2D([], [], color=palette.KEPT, linestyle="-", label="distinct subnetworks visited"),
            Line2D(
                [],
                [],
                color=palette.INK,
                linestyle="--",
                marker="o",
                markersize=3,
                label="expected number",
            ),
            Line2D(
                [],
                [],
                color=palette.EMPHASIS,
                linestyle=":",
                linewidth=2,
                label=f"possible: 2^{droppable} = {data.n_possible}",
            ),
        ],
        fontsize=7,
        # Below the curves, which rise to the right, and away from the dotted
        # line of possible subnetworks along the top.
        loc="lower right",
        frameon=False,
    )
    fig.text(
        0.5,
        0.975,
        f"The {data.network} network: {data.n_possible} possible subnetworks, "
        f"{data.steps} training steps (the first {n_shown} drawn)",
        ha="center",
        va="top",
        fontsize=10,
    )
    return fig


def ensemble_artists(fig, data):
    """Add the sampled subnetworks and the visit curve of ``data`` to its frame."""
    n_shown = len(data.shown)
    droppable = sum(data.layer_sizes[:-1])
    for index, masks in enumerate(data.shown):
        kept = sum(int(mask.sum()) for mask in masks[:-1])
        draw_network(data.layer_sizes, masks, ax=fig.axes[index], labels=False)
        fig.axes[index].set_aspect("auto")  # as in the frame (draw_network sets it equal)
        fig.axes[index].text(
            0.5,
            1.0,
            f"step {index + 1}: {kept} of {droppable} kept",
            transform=fig.axes[index].transAxes,
            ha="center",
            va="bottom",
            fontsize=9,
        )
    ax = fig.axes[n_shown]
    steps = np.arange(1, data.steps + 1)
    ax.step(
        steps,
        data.visited,
        where="post",
        color=palette.KEPT,
        linestyle="-",
        scalex=False,
        scaley=False,
    )
    ax.plot(
        data.checkpoints,
        data.expected_curve,
        color=palette.INK,
        linestyle="--",
        marker="o",
        markersize=3,
        scalex=False,
        scaley=False,
    )
    fig.text(
        0.01,
        0.93,
        f"p = {data.p:.2f}: {data.n_distinct} distinct subnetworks visited "
        f"(expected {data.expected_distinct:.1f})",
        ha="left",
        va="top",
        fontsize=10,
        fontweight="bold",
    )
    return fig


def ensemble_figure(data):
    """The ensemble explorer's figure: sampled subnetworks and the distinct ones visited.

    Parameters
    ----------
    data : EnsembleData

    Returns
    -------
    fig : matplotlib Figure
        Top row: the subnetworks of the first training steps (dropped units
        hollow and crossed out). Bottom: distinct subnetworks visited against
        training steps, measured (solid) and expected (dashed, circles), with
        the number of possible subnetworks (dotted), on log-log axes.
    """
    return ensemble_artists(ensemble_frame(data), data)


def ensemble_alt_text(data) -> str:
    """A sentence that says what :func:`ensemble_figure` shows for ``data``."""
    return (
        f"{len(data.shown)} subnetworks of the {data.network} network sampled at p = "
        f"{data.p:.2f}, and a curve of distinct subnetworks visited: {data.n_distinct} "
        f"after {data.steps} steps (expected {data.expected_distinct:.1f}) out of "
        f"{data.n_possible} possible."
    )


# --------------------------------------------------------------------------
# The live explorer and its static fallback
# --------------------------------------------------------------------------


def _ensemble_scene():
    return FigureScene(ensemble_frame_key, ensemble_frame, ensemble_artists)


def _ensemble_fallback(p, network, steps, seed):
    datas = [ensemble_data(q, network, steps, seed) for q in FALLBACK_PS]
    return fallback_html(
        scene_frames(_ensemble_scene(), datas, ensemble_alt_text),
        [p_fallback_slider(FALLBACK_PS, p)],
        title=f"Subnetworks of the {network} network visited in {steps} training steps",
        name="ensemble",
    )


def ensemble_explorer(p=0.5, network="4-5-3", steps=100, seed=0) -> Explorer:
    """The live ensemble explorer (see :func:`ensemble_data`).

    The static fallback scrubs over
    :data:`~dropout_lib.widgets.fallback.FALLBACK_PS` for the network, steps
    and seed shown.
    """
    import ipywidgets

    # Moving p only redraws the diagrams over a cached frame, so it follows a
    # drag. A new number of steps needs a new frame (axes, ticks), so that
    # slider redraws when it is released instead of queueing redraws.
    controls = {
        "p": p_slider(p),
        "network": ipywidgets.Dropdown(
            options=list(NETWORKS),
            value=network,
            description="network",
            style={"description_width": "initial"},
        ),
        "steps": choice_slider(STEP_CHOICES, steps, "training steps"),
        "seed": seed_box(seed),
    }
    return Explorer(
        ensemble_data,
        _ensemble_scene(),
        controls,
        lambda: _ensemble_fallback(
            controls["p"].value,
            controls["network"].value,
            controls["steps"].value,
            controls["seed"].value,
        ),
    )
