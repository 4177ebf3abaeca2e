"""Figures for the book: pure functions that return a matplotlib ``Figure``.

No function here touches pyplot's global state, so calling one never leaves a
stray figure behind, and a notebook shows each figure exactly once. Every
function that draws into one panel also accepts ``ax=`` to draw on a given
``Axes``.

Colour never carries meaning alone: dropped units are hollow *and* crossed out,
and series differ by line style and marker as well as colour.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .masks import _check_layer_sizes, network_masks

__all__ = ["new_figure", "draw_network", "subnetwork_gallery"]

KEPT_COLOR = "#1f5f99"
DROPPED_COLOR = "#9a9a9a"


def new_figure(ncols=1, nrows=1, *, width=6.4, height=4.0, **subplot_kw):
    """Return ``(fig, axes)`` for a grid of panels, made without pyplot."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, subplot_kw=subplot_kw or None)
    return fig, axes


def _layer_positions(sizes):
    tallest = max(sizes)
    return [
        np.column_stack([np.full(size, float(i)), (tallest - 1) / 2 - np.arange(size)])
        for i, size in enumerate(sizes)
    ]


def draw_network(layer_sizes, masks=None, *, ax=None, title=None, legend=False):
    """Draw a fully connected network, with dropped units crossed out.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first.
    masks : list of ndarray of bool, optional
        One keep-mask per layer (see :func:`dropout_lib.masks.network_masks`).
        ``None`` draws the full network.
    ax : matplotlib Axes, optional
        Panel to draw on; a new figure is made when omitted.
    title : str, optional
    legend : bool
        Add a legend explaining kept and dropped units.

    Returns
    -------
    fig : matplotlib Figure
    """
    sizes = _check_layer_sizes(layer_sizes)
    if masks is None:
        masks = [np.ones(size, dtype=bool) for size in sizes]
    if len(masks) != len(sizes) or any(np.shape(m) != (size,) for m, size in zip(masks, sizes)):
        raise ValueError(
            f"masks must hold one boolean array per layer with shapes {sizes}, "
            f"but got shapes {[np.shape(m) for m in masks]}"
        )
    if ax is None:
        fig, axes = new_figure(width=1.4 * len(sizes) + 1, height=0.6 * max(sizes) + 1)
        ax = axes[0, 0]
    fig = ax.figure
    positions = _layer_positions(sizes)
    for left in range(len(sizes) - 1):
        for i, start in enumerate(positions[left]):
            for j, end in enumerate(positions[left + 1]):
                active = bool(masks[left][i]) and bool(masks[left + 1][j])
                ax.plot(
                    [start[0], end[0]],
                    [start[1], end[1]],
                    color=KEPT_COLOR if active else DROPPED_COLOR,
                    linestyle="-" if active else ":",
                    linewidth=1.0 if active else 0.5,
                    alpha=0.8 if active else 0.4,
                    zorder=1,
                )
    for points, mask in zip(positions, masks):
        mask = np.asarray(mask, dtype=bool)
        kept, dropped = points[mask], points[~mask]
        ax.scatter(*kept.T, s=260, color=KEPT_COLOR, edgecolor="black", zorder=2)
        ax.scatter(*dropped.T, s=260, color="white", edgecolor=DROPPED_COLOR, zorder=2)
        ax.scatter(*dropped.T, s=120, marker="x", color="black", linewidths=1.5, zorder=3)
    names = ["input"] + ["hidden"] * (len(sizes) - 2) + ["output"]
    tallest = max(sizes)
    for layer, name in enumerate(names):
        ax.text(layer, -(tallest - 1) / 2 - 0.9, name, ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-(tallest - 1) / 2 - 1.5, (tallest - 1) / 2 + 0.7)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    if legend:
        handles = [
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=10,
                color=KEPT_COLOR,
                markeredgecolor="black",
                label="kept unit",
            ),
            Line2D(
                [],
                [],
                marker="X",
                linestyle="",
                markersize=10,
                color="white",
                markeredgecolor="black",
                label="dropped unit",
            ),
            Line2D([], [], color=KEPT_COLOR, label="active connection"),
            Line2D([], [], color=DROPPED_COLOR, linestyle=":", label="unused connection"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    return fig


def subnetwork_gallery(layer_sizes, p, n_samples=3, *, seed=0, drop_input=True):
    """The full network next to ``n_samples`` subnetworks sampled by dropout.

    Parameters
    ----------
    layer_sizes : sequence of int
    p : float in [0, 1]
        Drop probability of input (if ``drop_input``) and hidden units.
    n_samples : int
        Number of sampled subnetworks to draw.
    seed : int
        Seed of the masks, so the figure is the same on every run.

    Returns
    -------
    fig : matplotlib Figure
    """
    sizes = _check_layer_sizes(layer_sizes)
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, but got {n_samples!r}")
    rng = np.random.default_rng(seed)
    fig, axes = new_figure(
        n_samples + 1, width=2.3 * (n_samples + 1), height=0.55 * max(sizes) + 1.6
    )
    draw_network(sizes, ax=axes[0, 0], title="full network")
    droppable = sum(sizes[:-1]) if drop_input else sum(sizes[1:-1])
    for k in range(n_samples):
        masks = network_masks(sizes, p, rng, drop_input=drop_input)
        kept = sum(int(m.sum()) for m in (masks[:-1] if drop_input else masks[1:-1]))
        draw_network(
            sizes,
            masks,
            ax=axes[0, k + 1],
            title=f"sample {k + 1}: {kept} of {droppable} kept",
            legend=(k == n_samples - 1),
        )
    fig.suptitle(f"Subnetworks sampled by dropout, p = {p:g}", fontsize=11)
    return fig
