"""Figures of chapters 1-4: pure functions that return a matplotlib ``Figure``.

Network diagrams and sampled subnetworks (chapters 1 and 3), the running
Monte-Carlo mean (chapter 2), the spread of training-mode predictions
(chapter 3) and standard against inverted dropout (chapter 4). The figures of
the explorers live with them in :mod:`dropout_lib.widgets`, those of chapters
6-7 in :mod:`dropout_lib.plots_experiments` and of chapters 8-10 in
:mod:`dropout_lib.plots_beyond`.

No function here touches pyplot's global state, so calling one never leaves a
stray figure behind, and a notebook shows each figure exactly once. Every
function that draws into one panel also accepts ``ax=`` to draw on a given
``Axes``.

Colour never carries meaning alone: dropped units are hollow *and* crossed out,
and series differ by line style and marker as well as colour.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import palette
from ._checks import as_generator, check_int, check_layer_sizes, check_p_below_one
from .masks import network_masks

__all__ = [
    "new_figure",
    "draw_network",
    "subnetwork_gallery",
    "plot_running_mean",
    "plot_prediction_spread",
    "plot_same_mask_comparison",
]


def new_figure(ncols=1, nrows=1, *, width=6.4, height=4.0, **subplot_kw):
    """Return ``(fig, axes)`` for a grid of panels, made without pyplot.

    ``axes`` is an ndarray of Axes of shape ``(nrows, ncols)``; the figure uses
    the constrained layout engine. ``subplot_kw`` goes to every panel.
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, subplot_kw=subplot_kw or None)
    return fig, axes


def _layer_positions(sizes):
    tallest = max(sizes)
    return [
        np.column_stack([np.full(size, float(i)), (tallest - 1) / 2 - np.arange(size)])
        for i, size in enumerate(sizes)
    ]


def draw_network(layer_sizes, masks=None, *, ax=None, title=None, legend=False, labels=True):
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
    labels : bool
        Name the layers under the diagram (a live explorer that redraws the
        units draws the names once, in its static frame).

    Returns
    -------
    fig : matplotlib Figure
    """
    sizes = check_layer_sizes(layer_sizes)
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
    # One collection per style instead of one artist per connection or layer:
    # a 4-5-3 network draws in about half the time (live widgets redraw it).
    segments = {True: [], False: []}
    for left in range(len(sizes) - 1):
        for i, start in enumerate(positions[left]):
            for j, end in enumerate(positions[left + 1]):
                active = bool(masks[left][i]) and bool(masks[left + 1][j])
                segments[active].append([start, end])
    for active in (False, True):
        if segments[active]:
            ax.add_collection(
                LineCollection(
                    segments[active],
                    colors=palette.KEPT if active else palette.DROPPED,
                    linestyles="-" if active else ":",
                    linewidths=1.0 if active else 0.5,
                    alpha=0.8 if active else 0.4,
                    zorder=1,
                ),
                autolim=False,
            )
    points = np.concatenate(positions)
    mask = np.concatenate([np.asarray(m, dtype=bool) for m in masks])
    kept, dropped = points[mask], points[~mask]
    ax.scatter(*kept.T, s=260, color=palette.KEPT, edgecolor=palette.INK, zorder=2)
    ax.scatter(*dropped.T, s=260, color="white", edgecolor=palette.DROPPED, zorder=2)
    ax.scatter(*dropped.T, s=120, marker="x", color=palette.INK, linewidths=1.5, zorder=3)
    names = ["input"] + ["hidden"] * (len(sizes) - 2) + ["output"]
    tallest = max(sizes)
    for layer, name in enumerate(names if labels else []):
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
                color=palette.KEPT,
                markeredgecolor=palette.INK,
                label="kept unit",
            ),
            Line2D(
                [],
                [],
                marker="X",
                linestyle="",
                markersize=10,
                color="white",
                markeredgecolor=palette.INK,
                label="dropped unit",
            ),
            Line2D([], [], color=palette.KEPT, label="active connection"),
            Line2D([], [], color=palette.DROPPED, linestyle=":", label="unused connection"),
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
    n_samples : int >= 1
        Number of sampled subnetworks to draw.
    seed : int >= 0 or numpy.random.Generator
        Seed of the masks, so the figure is the same on every run.
    drop_input : bool
        Whether input units are dropped too (output units never are).

    Returns
    -------
    fig : matplotlib Figure
    """
    sizes = check_layer_sizes(layer_sizes)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    rng = as_generator(seed, "seed")
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


def plot_running_mean(result, exact_mean, *, ax=None, title=None):
    """Running Monte-Carlo mean with a ±2 standard-error band, against the exact mean.

    Parameters
    ----------
    result : dropout_lib.sampling.RunningMean
        From :func:`dropout_lib.sampling.running_mean`.
    exact_mean : float
        The exact expected value (for example from :func:`dropout_lib.exact_moments`).
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    fig : matplotlib Figure
    """
    if ax is None:
        _, axes = new_figure()
        ax = axes[0, 0]
    n, mean, stderr = result.n, result.mean, result.stderr
    ax.fill_between(
        n,
        mean - 2 * stderr,
        mean + 2 * stderr,
        color=palette.KEPT,
        alpha=0.2,
        label="±2 standard errors",
    )
    ax.plot(n, mean, color=palette.KEPT, linestyle="-", label="running mean of samples")
    ax.axhline(exact_mean, color=palette.INK, linestyle="--", label=f"exact E[z] = {exact_mean:g}")
    ax.set_xscale("log")
    ax.set_xlabel("number of sampled masks (log scale)")
    ax.set_ylabel("estimate of E[z]")
    ax.set_title(title or "Monte-Carlo estimate of E[z] converging to the exact value")
    ax.legend(loc="upper right")
    return ax.figure


def plot_prediction_spread(train_outputs, eval_output, *, ax=None, title=None, bins=30):
    """Histogram of repeated training-mode predictions, with the evaluation-mode prediction.

    Parameters
    ----------
    train_outputs : array_like of float, shape (n_calls,)
        One scalar prediction per call made (by mistake) in training mode.
    eval_output : float
        The deterministic prediction in evaluation mode.

    Returns
    -------
    fig : matplotlib Figure
    """
    train_outputs = np.asarray(train_outputs, dtype=float).ravel()
    if ax is None:
        _, axes = new_figure()
        ax = axes[0, 0]
    ax.hist(
        train_outputs,
        bins=bins,
        color=palette.KEPT,
        alpha=0.6,
        hatch="//",
        edgecolor="white",
        label=f"{train_outputs.size} calls in training mode",
    )
    ax.axvline(
        eval_output,
        color=palette.INK,
        linestyle="--",
        linewidth=2,
        label=f"evaluation mode: {eval_output:.3f} on every call",
    )
    ax.axvline(
        train_outputs.mean(),
        color=palette.DROPPED,
        linestyle=":",
        linewidth=2,
        label=f"mean of training-mode calls: {train_outputs.mean():.3f}",
    )
    ax.set_xlabel("prediction for the same input")
    ax.set_ylabel("number of calls")
    ax.set_title(title or "Forgetting eval(): the same input gives different predictions")
    # Below the panel, so the legend never hides bars wherever the predictions fall.
    ax.figure.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    return ax.figure


def plot_same_mask_comparison(standard, inverted, p, *, ax=None, title=None):
    """Hidden activations of standard against inverted dropout computed with the same masks.

    Parameters
    ----------
    standard, inverted : array_like of float, same shape
        Activations after standard and after inverted dropout, mask for mask.
    p : float in [0, 1)
        Drop probability; the points lie on the line of slope ``1 / (1 - p)``.

    Returns
    -------
    fig : matplotlib Figure
    """
    p = check_p_below_one(p, why="the slope 1 / (1 - p) is infinite at p = 1")
    standard = np.asarray(standard, dtype=float).ravel()
    inverted = np.asarray(inverted, dtype=float).ravel()
    if ax is None:
        _, axes = new_figure(width=5.0, height=4.0)
        ax = axes[0, 0]
    top = max(float(standard.max(initial=0.0)), 1e-12)
    line = np.linspace(0.0, top, 2)
    ax.plot(
        line,
        line / (1.0 - p),
        color=palette.INK,
        linestyle="--",
        label=f"slope 1/(1 − p) = {1 / (1 - p):.3g}",
    )
    ax.plot(line, line, color=palette.DROPPED, linestyle=":", label="slope 1")
    ax.scatter(standard, inverted, s=18, marker="o", color=palette.KEPT, label="hidden units")
    ax.set_xlabel("activation after standard dropout")
    ax.set_ylabel("activation after inverted dropout")
    ax.set_title(title or f"Same masks, p = {p:g}: inverted = standard / (1 − p)")
    ax.legend(loc="upper left")
    return ax.figure
