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
from matplotlib.collections import LineCollection
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
                    colors=KEPT_COLOR if active else DROPPED_COLOR,
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
    ax.scatter(*kept.T, s=260, color=KEPT_COLOR, edgecolor="black", zorder=2)
    ax.scatter(*dropped.T, s=260, color="white", edgecolor=DROPPED_COLOR, zorder=2)
    ax.scatter(*dropped.T, s=120, marker="x", color="black", linewidths=1.5, zorder=3)
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


# --- chapters 2-4 ---


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
        color=KEPT_COLOR,
        alpha=0.2,
        label="±2 standard errors",
    )
    ax.plot(n, mean, color=KEPT_COLOR, linestyle="-", label="running mean of samples")
    ax.axhline(exact_mean, color="black", linestyle="--", label=f"exact E[z] = {exact_mean:g}")
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
        color=KEPT_COLOR,
        alpha=0.6,
        hatch="//",
        edgecolor="white",
        label=f"{train_outputs.size} calls in training mode",
    )
    ax.axvline(
        eval_output,
        color="black",
        linestyle="--",
        linewidth=2,
        label=f"evaluation mode: {eval_output:.3f} on every call",
    )
    ax.axvline(
        train_outputs.mean(),
        color=DROPPED_COLOR,
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
        color="black",
        linestyle="--",
        label=f"slope 1/(1 − p) = {1 / (1 - p):.3g}",
    )
    ax.plot(line, line, color=DROPPED_COLOR, linestyle=":", label="slope 1")
    ax.scatter(standard, inverted, s=18, marker="o", color=KEPT_COLOR, label="hidden units")
    ax.set_xlabel("activation after standard dropout")
    ax.set_ylabel("activation after inverted dropout")
    ax.set_title(title or f"Same masks, p = {p:g}: inverted = standard / (1 − p)")
    ax.legend(loc="upper left")
    return ax.figure


# --- explorers (chapter 5) ---
# Figures of the explorers in dropout_lib.widgets. Each figure is built in two
# steps, so that a live widget can redraw only what changes with p:
#   *_frame(data)          the static part: axes, limits, ticks, labels, legends;
#   *_artists(fig, data)   the moving part: bars, lines and numbers, added to the frame;
#   *_frame_key(data)      equal for two data objects that share a frame.
# *_figure(data) = frame + artists is the pure function that returns the finished
# Figure. Frames fix their ticks by hand (no minor ticks, no layout engine), and
# the moving part holds as little text as it can, because tick and text layout
# are most of the time a redraw takes.

__all__ += [
    "activation_histogram",
    "activation_frame",
    "activation_artists",
    "activation_frame_key",
    "activation_figure",
    "activation_alt_text",
    "mask_state_frame",
    "mask_state_artists",
    "mask_state_frame_key",
    "mask_state_figure",
    "mask_state_alt_text",
    "ensemble_frame",
    "ensemble_artists",
    "ensemble_frame_key",
    "ensemble_figure",
    "ensemble_alt_text",
]

_SHARE_FLOOR = 1e-4  # the log axes of shares start at 1 in 10 000
_SHARE_TICKS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
_EMPHASIS = "#c44e00"
_FILL = "#8fb3d9"
_FILL_2 = "#f2c89b"
_ZERO_FILL = "#444444"


def _percent(share):
    return f"{100 * share:.1f}%"


def _fixed_figure(ncols, nrows, *, width, height, **adjust):
    """``new_figure`` without a layout engine: fixed margins redraw much faster."""
    fig, axes = new_figure(ncols, nrows, width=width, height=height)
    fig.set_layout_engine("none")
    _place(fig, axes[0, 0].get_gridspec(), **adjust)
    return fig, axes


def _place(fig, grid, **adjust):
    """Set the margins and gaps of ``grid`` and move its panels there."""
    grid.update(**adjust)
    for ax in fig.axes:
        spec = ax.get_subplotspec()
        if spec is not None and spec.get_gridspec() is grid:
            ax.set_position(spec.get_position(fig))


def _nice_ticks(low, high, count=5):
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(count).tick_values(low, high)
    return ticks[(ticks >= low - 1e-12) & (ticks <= high + 1e-12)]


def _share_axis(ax, label, *, top=4.0):
    from matplotlib.ticker import FixedLocator, NullLocator

    ax.set_yscale("log")
    ax.set_ylim(_SHARE_FLOOR, top)  # headroom above 100% for the numbers
    ax.yaxis.set_major_locator(FixedLocator(_SHARE_TICKS))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_yticklabels(["0.01%", "0.1%", "1%", "10%", "100%"])
    ax.set_ylabel(label, fontsize=8)
    ax.tick_params(labelsize=7)


def _title(ax, text, *, current=False):
    ax.set_title(
        text,
        fontsize=9,
        color=_EMPHASIS if current else "black",
        fontweight="bold" if current else "normal",
    )


def _add_bar(ax, x, height, width, *, bottom=0.0, **style):
    """A bar added without updating the data limits (the frame has fixed limits)."""
    from matplotlib.patches import Rectangle

    if height < 0:
        bottom, height = bottom + height, -height
    return ax.add_artist(Rectangle((x - width / 2, bottom), width, height, **style))


def _add_stairs(ax, values, edges, **style):
    from matplotlib.patches import StepPatch

    return ax.add_artist(StepPatch(values, edges, **style))


def activation_histogram(ax, edges, shares, zero_share, *, hatch="//", reference=None):
    """Draw one histogram of ReLU activations on ``ax``, with the zeros as their own bar.

    The axes' limits, scale and labels are left alone (see :func:`activation_frame`,
    which uses a log scale of shares from 0.01% to 150%).

    Parameters
    ----------
    ax : matplotlib Axes
    edges : ndarray, shape (n_bins + 1,)
        Bin edges over the positive activations.
    shares : ndarray, shape (n_bins,)
        Share of *all* activations in each bin of positive values.
    zero_share : float
        Share of activations that are exactly zero: a dark cross-hatched bar
        just left of 0, and written out in the top right corner.
    hatch : str
        Hatch of the bars, so panels differ without colour.
    reference : (shares, zero_share), optional
        Another histogram over the same bins, drawn as a dashed outline (for
        example the activations before dropout).

    Returns
    -------
    ax : the Axes drawn on
    """
    width = edges[1] - edges[0]
    _add_stairs(
        ax,
        np.maximum(shares, _SHARE_FLOOR),
        edges,
        baseline=_SHARE_FLOOR,
        fill=True,
        facecolor=_FILL,
        edgecolor=KEPT_COLOR,
        hatch=hatch,
    )
    _add_bar(
        ax,
        -0.5 * width,
        max(zero_share, _SHARE_FLOOR) - _SHARE_FLOOR,
        width,
        bottom=_SHARE_FLOOR,
        facecolor=_ZERO_FILL,
        hatch="xx",
        edgecolor="white",
    )
    if reference is not None:
        _reference_outline(ax, edges, *reference)
    ax.text(
        0.97, 0.95, _percent(zero_share), transform=ax.transAxes, ha="right", va="top", fontsize=8
    )
    return ax


def _reference_outline(ax, edges, shares, zero_share):
    width = edges[1] - edges[0]
    _add_stairs(
        ax,
        np.r_[max(zero_share, _SHARE_FLOOR), np.maximum(shares, _SHARE_FLOOR)],
        np.r_[-width, edges],
        baseline=None,
        fill=False,
        edgecolor="black",
        linestyle="--",
        linewidth=1.0,
    )


def activation_frame_key(data):
    """Data objects with equal keys share one :func:`activation_frame`."""
    return (
        data.mode,
        data.phase,
        data.width,
        data.seed,
        float(data.edges[-1]),
        float(data.z_edges[0]),
        float(data.z_edges[-1]),
    )


def activation_frame(data):
    """The static part of :func:`activation_figure`: four labelled panels with fixed axes.

    Panel (a) and the dashed before-dropout outlines do not depend on ``p``, so
    they are part of the frame.
    """
    from matplotlib.patches import Patch

    fig, axes = _fixed_figure(
        2,
        2,
        width=8.4,
        height=6.4,
        left=0.08,
        right=0.985,
        bottom=0.075,
        top=0.89,
        hspace=0.42,
        wspace=0.2,
    )
    training_now = data.phase == "training"
    width = data.edges[1] - data.edges[0]
    for ax in axes.flat[:3]:
        _share_axis(ax, "share of activations")
        ax.set_xlim(-width, data.edges[-1])
        ax.set_xticks(_nice_ticks(0.0, data.edges[-1]))
        ax.set_xlabel("activation value", fontsize=8)
        ax.text(0.80, 0.95, "zeros:", transform=ax.transAxes, ha="right", va="top", fontsize=8)
    activation_histogram(axes[0, 0], data.edges, data.counts_before, data.zeros_before, hatch="")
    for ax in (axes[0, 1], axes[1, 0]):
        _reference_outline(ax, data.edges, data.counts_before, data.zeros_before)
    _title(axes[0, 0], "(a) before dropout")
    _title(
        axes[0, 1],
        "(b) training" + (" (current phase)" if training_now else ""),
        current=training_now,
    )
    _title(
        axes[1, 0],
        "(c) evaluation" + ("" if training_now else " (current phase)"),
        current=not training_now,
    )
    axes[0, 0].legend(
        handles=[
            Patch(facecolor=_FILL, edgecolor=KEPT_COLOR, label="positive activations"),
            Patch(facecolor=_ZERO_FILL, edgecolor="white", hatch="xx", label="exactly zero"),
            Line2D([], [], color="black", linestyle="--", label="before dropout, in (b), (c)"),
        ],
        fontsize=7,
        loc="center right",
        frameon=False,
    )
    current = axes[0, 1] if training_now else axes[1, 0]
    for spine in current.spines.values():
        spine.set_linewidth(2.5)
        spine.set_edgecolor(_EMPHASIS)

    ax = axes[1, 1]
    _share_axis(ax, "share of masks", top=40.0)
    ax.set_xlim(data.z_edges[0], data.z_edges[-1])
    ax.set_xticks(_nice_ticks(data.z_edges[0], data.z_edges[-1]))
    ax.set_xlabel(f"next layer's input z (output unit of digit {data.unit})", fontsize=8)
    _title(ax, "(d) next layer's input: training vs evaluation")
    ax.legend(
        handles=[
            Patch(
                facecolor=_FILL_2 if training_now else "none",
                edgecolor=_EMPHASIS,
                hatch="..",
                linestyle="-" if training_now else ":",
                label=f"training, {len(data.z_training)} masks",
            ),
            Line2D([], [], color="black", linestyle="--", linewidth=2.0, label="evaluation"),
            Line2D([], [], color=_EMPHASIS, marker="v", label="training mean"),
        ],
        fontsize=7,
        loc="upper left",
        frameon=False,
    )
    ax.text(
        0.99, 0.97, "measured (formula)", transform=ax.transAxes, ha="right", va="top", fontsize=7
    )
    ax.text(
        0.5,
        0.89,
        "mean\nvariance\nevaluation",
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=7,
    )
    fig.text(
        0.5,
        0.975,
        f"{data.mode.capitalize()} dropout, {data.phase} phase: "
        f"a {data.width}-unit ReLU layer of a digits network",
        ha="center",
        va="top",
        fontsize=10,
    )
    return fig


def activation_artists(fig, data):
    """Add the parts of :func:`activation_figure` that move with ``p`` to its frame."""
    axes = np.array(fig.axes).reshape(2, 2)
    training_now = data.phase == "training"
    activation_histogram(
        axes[0, 1], data.edges, data.counts_training, data.zeros_training, hatch="//"
    )
    if data.mode == "standard":
        scale = "×1"
    else:
        scale = f"×{1 / data.keep:.2f}" if data.keep > 0 else "×0"
    axes[0, 1].text(
        0.1,
        0.95,
        f"{_percent(data.dropped_share)} dropped,\nkept {scale}",
        transform=axes[0, 1].transAxes,
        ha="left",
        va="top",
        fontsize=8,
    )
    activation_histogram(
        axes[1, 0], data.edges, data.counts_evaluation, data.zeros_evaluation, hatch="\\\\"
    )
    eval_scale = f"×{data.keep:.2f}" if data.mode == "standard" else "×1"
    axes[1, 0].text(
        0.1,
        0.95,
        f"every unit {eval_scale}",
        transform=axes[1, 0].transAxes,
        ha="left",
        va="top",
        fontsize=8,
    )
    ax = axes[1, 1]
    _add_stairs(
        ax,
        np.maximum(data.z_counts, _SHARE_FLOOR),
        data.z_edges,
        baseline=_SHARE_FLOOR,
        fill=training_now,
        facecolor=_FILL_2,
        edgecolor=_EMPHASIS,
        hatch="..",
        linestyle="-" if training_now else ":",
    )
    ax.axvline(
        data.z_evaluation, color="black", linestyle="--", linewidth=1.5 if training_now else 3.0
    )
    ax.plot(
        [data.empirical_mean] * 2,
        [_SHARE_FLOOR, 0.2],
        color=_EMPHASIS,
        linestyle="-",
        marker="v",
        markevery=[1],
        scalex=False,
        scaley=False,
    )
    ax.text(
        0.98,
        0.89,
        f"{data.empirical_mean:.2f} ({data.exact_mean:.2f})\n"
        f"{data.empirical_var:.2f} ({data.exact_var:.2f})\n"
        f"{data.z_evaluation:.2f} (var. 0)",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=7,
    )
    fig.text(0.01, 0.985, f"p = {data.p:.2f}", ha="left", va="top", fontsize=12, fontweight="bold")
    return fig


def activation_figure(data):
    """The activation explorer's figure: three histograms and the next layer's input.

    Parameters
    ----------
    data : dropout_lib.widgets.ActivationData

    Returns
    -------
    fig : matplotlib Figure
        (a) the hidden layer before dropout, (b) after dropout in training,
        (c) after the dropout layer at evaluation, each with the share of exact
        zeros (log scale, so the spike at zero and the tail both show);
        (d) the next layer's pre-activation ``z`` over many training masks,
        with its measured and exact mean and variance and its evaluation value.
        The panel of the selected phase is framed in a thick line.
    """
    return activation_artists(activation_frame(data), data)


def activation_alt_text(data) -> str:
    """A sentence that says what :func:`activation_figure` shows for ``data``."""
    return (
        f"Histograms of a {data.width}-unit ReLU layer at p = {data.p:.2f}, {data.mode} "
        f"dropout: zeros are {_percent(data.zeros_before)} of activations before dropout, "
        f"{_percent(data.zeros_training)} in training and {_percent(data.zeros_evaluation)} "
        f"at evaluation. The next layer's input has training mean {data.empirical_mean:.2f} "
        f"(formula {data.exact_mean:.2f}) and variance {data.empirical_var:.2f} (formula "
        f"{data.exact_var:.2f}); at evaluation it is {data.z_evaluation:.2f} with variance 0."
    )


_STATE_HATCHES = ("xx", "\\\\", "//", "")


def mask_state_frame_key(data):
    """Data objects with equal keys share one :func:`mask_state_frame`."""
    return (data.mode, data.w, data.x)


def mask_state_frame(data):
    """The static part of :func:`mask_state_figure`: axes, labels and the curves of E and Var."""
    fig, axes = _fixed_figure(
        3, 1, width=10.0, height=3.9, left=0.06, right=0.985, bottom=0.19, top=0.8, wspace=0.33
    )
    ax_prob, ax_contrib, ax_curve = axes[0]
    positions = np.arange(len(data.labels))
    names = [label.replace(" ", "\n", 1) for label in data.labels]
    ax_prob.set_ylim(0, 1.12)
    ax_prob.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax_prob.set_ylabel("probability", fontsize=8)
    _title(ax_prob, "(a) probability of each state")
    low, high = data.contribution_range
    span = high - low
    ax_contrib.set_ylim(low - 0.15 * span, high + 0.5 * span)
    ax_contrib.set_yticks(_nice_ticks(low - 0.15 * span, high + 0.5 * span))
    ax_contrib.axhline(0, color="black", linewidth=0.6)
    ax_contrib.set_ylabel("probability × z", fontsize=8)
    _title(ax_contrib, "(b) each state's share of E[z]")
    ax_contrib.legend(
        handles=[
            Line2D(
                [],
                [],
                color="black",
                linestyle="-",
                linewidth=1.5,
                label="E[z] = sum of bars",
            ),
            Line2D([], [], color=_EMPHASIS, linestyle=":", linewidth=2.0, label="evaluation z"),
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
    ax_curve.plot(data.p_grid, data.expected_curve, color="black", linestyle="-", label="E[z]")
    ax_curve.plot(data.p_grid, data.variance_curve, color=_EMPHASIS, linestyle="--", label="Var[z]")
    ax_curve.set_xlim(0, 1)
    ax_curve.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    curve_low = min(0.0, float(data.expected_curve.min())) - 0.2
    curve_high = (
        min(max(float(data.variance_curve.max()), float(data.expected_curve.max())), 12.0) * 1.08
        + 0.2
    )
    ax_curve.set_ylim(curve_low, curve_high)
    ax_curve.set_yticks(_nice_ticks(curve_low, curve_high))
    ax_curve.set_xlabel("drop probability p", fontsize=8)
    ax_curve.set_ylabel("value of E[z] or Var[z]", fontsize=8)
    _title(ax_curve, "(c) E[z] and Var[z] against p")
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
        _add_bar(
            ax_prob,
            index,
            data.probabilities[index],
            0.8,
            facecolor=_FILL,
            edgecolor=KEPT_COLOR,
            hatch=hatch,
        )
        ax_prob.text(
            index,
            data.probabilities[index] + 0.02,
            f"{data.probabilities[index]:.3f}",
            ha="center",
            fontsize=7,
        )
        _add_bar(
            ax_contrib,
            index,
            data.contributions[index],
            0.8,
            facecolor=_FILL_2,
            edgecolor=_EMPHASIS,
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
    ax_contrib.axhline(data.expected, color="black", linestyle="-", linewidth=1.5)
    ax_contrib.axhline(data.evaluation, color=_EMPHASIS, linestyle=":", linewidth=2.0)
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
        color="black",
        linestyle="",
        scalex=False,
        scaley=False,
    )
    ax_curve.plot(
        [data.p],
        [data.variance],
        marker="s",
        color=_EMPHASIS,
        linestyle="",
        scalex=False,
        scaley=False,
    )
    ax_curve.axvline(data.p, color="#999999", linewidth=0.8, linestyle=":")
    fig.text(0.01, 0.985, f"p = {data.p:.2f}", ha="left", va="top", fontsize=12, fontweight="bold")
    return fig


def mask_state_figure(data):
    """The mask-state explorer's figure for the two-input unit.

    Parameters
    ----------
    data : dropout_lib.widgets.MaskStateData

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


def ensemble_frame_key(data):
    """Data objects with equal keys share one :func:`ensemble_frame`."""
    return (data.network, data.layer_sizes, data.steps, len(data.shown))


def ensemble_frame(data):
    """The static part of :func:`ensemble_figure`: diagram panels and the labelled curve axes."""
    from matplotlib.ticker import FixedLocator, NullLocator

    n_shown = len(data.shown)
    sizes = data.layer_sizes
    fig, axes = _fixed_figure(
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
    grid = axes[1, 0].get_gridspec()
    grid.set_height_ratios([1.5, 1])
    _place(fig, grid)
    for ax in axes[1]:
        ax.remove()
    ax = fig.add_subplot(grid[1, :])
    droppable = sum(sizes[:-1])
    ax.axhline(data.n_possible, color=_EMPHASIS, linestyle=":", linewidth=2)
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
            Line2D([], [], color=KEPT_COLOR, linestyle="-", label="distinct subnetworks visited"),
            Line2D(
                [],
                [],
                color="black",
                linestyle="--",
                marker="o",
                markersize=3,
                label="expected number",
            ),
            Line2D(
                [],
                [],
                color=_EMPHASIS,
                linestyle=":",
                linewidth=2,
                label=f"possible: 2^{droppable} = {data.n_possible}",
            ),
        ],
        fontsize=7,
        loc="upper left",
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
        color=KEPT_COLOR,
        linestyle="-",
        scalex=False,
        scaley=False,
    )
    ax.plot(
        data.checkpoints,
        data.expected_curve,
        color="black",
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
    data : dropout_lib.widgets.EnsembleData

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
