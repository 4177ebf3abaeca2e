"""Figures of the "Beyond the basics" chapters (8-10): pure functions returning a ``Figure``.

Like :mod:`dropout_lib.plots`, nothing here touches pyplot, every panel has a
title and labelled axes, and series differ by line style or marker as well as
by colour. ``p`` is always the drop probability.
"""

from __future__ import annotations

import numpy as np

from .nonlinear import sigmoid
from .plots import DROPPED_COLOR, KEPT_COLOR, new_figure

__all__ = [
    "plot_sigmoid_ensemble",
    "plot_three_outputs",
    "nonlinear_unit_frame",
    "nonlinear_unit_artists",
    "nonlinear_unit_figure",
    "nonlinear_unit_alt_text",
    "plot_nwgm_gaps",
    "plot_relu_gaps",
    "plot_regression_uncertainty",
    "plot_moments_vs_samples",
    "plot_digit_gallery",
    "plot_blend_entropy",
    "plot_error_by_entropy",
    "plot_selu_depth",
    "plot_feature_maps",
]

ACCENT = "#c0392b"
STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v")]


def _axis(ax, **figure_kw):
    if ax is None:
        _, axes = new_figure(**figure_kw)
        ax = axes[0, 0]
    return ax


def plot_sigmoid_ensemble(ensemble, *, ax=None, title=None):
    """Every subnetwork of a sigmoid unit on the sigmoid curve, with the three summaries.

    Parameters
    ----------
    ensemble : dropout_lib.nonlinear.SigmoidEnsemble
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    fig : matplotlib Figure
    """
    ax = _axis(ax)
    s, probs = ensemble.s, ensemble.probs
    mean_s = float(probs @ s)
    low = min(float(s.min()), mean_s) - 1.5
    high = max(float(s.max()), mean_s) + 1.5
    grid = np.linspace(low, high, 300)
    ax.plot(grid, sigmoid(grid), color="black", linewidth=1, label="sigmoid σ(s)")
    sizes = 12 + 150 * probs / probs.max()
    ax.scatter(
        s, sigmoid(s), s=sizes, color=KEPT_COLOR, alpha=0.5, marker="o",
        label="subnetworks (area ∝ probability)",
    )  # fmt: skip
    ax.axhline(
        ensemble.arithmetic_mean, color=ACCENT, linestyle="--",
        label=f"ensemble mean E[σ(S)] = {ensemble.arithmetic_mean:.3f}",
    )  # fmt: skip
    ax.axhline(
        ensemble.nwgm, color=DROPPED_COLOR, linestyle=":", linewidth=2.5,
        label=f"NWGM = σ(E[S]) = {ensemble.nwgm:.3f}",
    )  # fmt: skip
    ax.axvline(mean_s, color=DROPPED_COLOR, linestyle="-.", label=f"E[S] = {mean_s:.2f}")
    ax.set_xlabel("pre-activation s of a subnetwork")
    ax.set_ylabel("output σ(s)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(title or "Every subnetwork of one sigmoid unit")
    ax.legend(loc="upper left", fontsize=7)
    return ax.figure


def plot_three_outputs(ensemble, *, ax=None, title=None):
    """Bars of the exact ensemble mean, the NWGM and the weight-scaled output.

    Parameters
    ----------
    ensemble : dropout_lib.nonlinear.SigmoidEnsemble

    Returns
    -------
    fig : matplotlib Figure
    """
    ax = _axis(ax, width=4.0)
    names = ["ensemble mean\nE[σ(S)]", "NWGM\nG/(G+G′)", "weight-scaled\nσ(E[S])"]
    values = [ensemble.arithmetic_mean, ensemble.nwgm, ensemble.weight_scaled]
    hatches = ["", "//", ".."]
    colors = [ACCENT, DROPPED_COLOR, KEPT_COLOR]
    for index, (value, hatch, color) in enumerate(zip(values, hatches, colors)):
        ax.bar(index, value, color=color, hatch=hatch, edgecolor="black", alpha=0.8)
        ax.text(index, value + 0.02, f"{value:.4f}", ha="center", fontsize=8)
    ax.set_xticks(range(3), names, fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("summary of the ensemble")
    ax.set_ylabel("unit output")
    ax.set_title(title or "Three ways to summarise the ensemble")
    return ax.figure


#: Fixed pre-activation range of the nonlinear-unit explorer, so its frame never changes.
S_RANGE = (-10.0, 10.0)
_OUTPUT_NAMES = ["ensemble mean\nE[σ(S)]", "NWGM\nG/(G+G′)", "weight-scaled\nσ(E[S])"]
_OUTPUT_STYLE = [("", ACCENT), ("//", DROPPED_COLOR), ("..", KEPT_COLOR)]


def nonlinear_unit_frame(data):
    """The static part of :func:`nonlinear_unit_figure`: axes, the sigmoid curve, the legend."""
    from matplotlib.lines import Line2D

    fig, axes = new_figure(2, width=10.0, height=4.0)
    ax_curve, ax_bars = axes[0]
    grid = np.linspace(*S_RANGE, 400)
    ax_curve.plot(grid, sigmoid(grid), color="black", linewidth=1)
    ax_curve.set_xlim(*S_RANGE)
    ax_curve.set_ylim(-0.05, 1.12)
    ax_curve.set_xlabel("pre-activation s of a subnetwork")
    ax_curve.set_ylabel("output σ(s)")
    ax_curve.set_title("Every subnetwork on the sigmoid curve")
    handles = [
        Line2D([], [], color="black", linewidth=1, label="sigmoid σ(s)"),
        Line2D([], [], color=KEPT_COLOR, marker="o", linestyle="", alpha=0.5,
               label="subnetworks (area ∝ probability)"),
        Line2D([], [], color=ACCENT, linestyle="--", label="ensemble mean E[σ(S)]"),
        Line2D([], [], color=DROPPED_COLOR, linestyle=":", linewidth=2.5, label="NWGM = σ(E[S])"),
        Line2D([], [], color=DROPPED_COLOR, linestyle="-.", label="E[S]"),
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
    """Add the parts of :func:`nonlinear_unit_figure` that move with the controls."""
    ax_curve, ax_bars = fig.axes[:2]
    ens = data.ensemble
    s, probs = ens.s, ens.probs
    mean_s = float(probs @ s)
    ax_curve.scatter(
        np.clip(s, *S_RANGE), sigmoid(s), s=12 + 150 * probs / probs.max(), color=KEPT_COLOR,
        alpha=0.5, marker="o",
    )  # fmt: skip
    ax_curve.axhline(ens.arithmetic_mean, color=ACCENT, linestyle="--")
    ax_curve.axhline(ens.nwgm, color=DROPPED_COLOR, linestyle=":", linewidth=2.5)
    ax_curve.axvline(np.clip(mean_s, *S_RANGE), color=DROPPED_COLOR, linestyle="-.")
    ax_curve.text(
        S_RANGE[0] + 0.3, 1.08, f"p = {data.p:.2f}, input scale {data.scale:+.1f}, "
        f"{s.size} subnetworks, E[S] = {mean_s:.2f}", fontsize=8, va="top",
    )  # fmt: skip
    values = [ens.arithmetic_mean, ens.nwgm, ens.weight_scaled]
    for index, (value, (hatch, color)) in enumerate(zip(values, _OUTPUT_STYLE)):
        ax_bars.bar(index, value, color=color, hatch=hatch, edgecolor="black", alpha=0.8)
        ax_bars.text(index, value + 0.02, f"{value:.4f}", ha="center", fontsize=8)
    return fig


def nonlinear_unit_figure(data):
    """The nonlinear-unit explorer's picture: the ensemble on the curve, and the three outputs.

    Parameters
    ----------
    data : dropout_lib.widgets.NonlinearUnitData

    Returns
    -------
    fig : matplotlib Figure
        Left: every subnetwork's ``(S, sigmoid(S))`` on the sigmoid curve (area
        proportional to its probability), with the ensemble mean, the NWGM and
        ``E[S]`` as lines. Right: bars of the three outputs.
    """
    return nonlinear_unit_artists(nonlinear_unit_frame(data), data)


def nonlinear_unit_alt_text(data) -> str:
    """Alt text of :func:`nonlinear_unit_figure`, with the numbers it shows."""
    ens = data.ensemble
    return (
        f"Left: the {ens.s.size} subnetworks of a sigmoid unit at p = {data.p:.2f} and input "
        f"scale {data.scale:+.1f}, drawn on the sigmoid curve. Right: bars for the ensemble "
        f"mean {ens.arithmetic_mean:.4f}, the NWGM {ens.nwgm:.4f} and the weight-scaled "
        f"output {ens.weight_scaled:.4f}; the last two are equal."
    )


def plot_nwgm_gaps(means, gaps, spreads, *, threshold=0.5, ax=None, title=None):
    """``|E - NWGM|`` of many random units against ``E``, with the quoted bound.

    Parameters
    ----------
    means, gaps, spreads : array_like of float, shape (n,)
        Ensemble mean ``E``, ``|E - NWGM|`` and the standard deviation of ``S``.
    threshold : float
        Units with spread below it are drawn as circles, the others as crosses.

    Returns
    -------
    fig : matplotlib Figure
    """
    means, gaps, spreads = (np.asarray(a, dtype=float) for a in (means, gaps, spreads))
    ax = _axis(ax)
    small = spreads < threshold
    ax.scatter(
        means[~small], gaps[~small], s=10, marker="x", color=DROPPED_COLOR,
        label=f"units with sd(S) ≥ {threshold}",
    )  # fmt: skip
    ax.scatter(
        means[small], gaps[small], s=10, marker="o", color=KEPT_COLOR,
        label=f"units with sd(S) < {threshold}",
    )  # fmt: skip
    grid = np.linspace(0, 1, 400)
    bound = 2 * grid * (1 - grid) * np.abs(1 - 2 * grid)
    ax.plot(grid, bound, color=ACCENT, linestyle="--", linewidth=2, label="2E(1−E)|1−2E|")
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("ensemble mean E = E[σ(S)]")
    ax.set_ylabel("|E − NWGM| (symlog scale)")
    ax.set_title(title or "How far the weight-scaled output is from the ensemble mean")
    ax.legend(loc="upper left", fontsize=8)
    return ax.figure


def plot_relu_gaps(ps, gaps, *, ax=None, title=None):
    """Relative Jensen gap of each hidden layer, one line per drop probability.

    Parameters
    ----------
    ps : sequence of float
        Drop probabilities the networks were trained with.
    gaps : sequence of dropout_lib.nonlinear.LayerGaps
        One per ``p``.

    Returns
    -------
    fig : matplotlib Figure
    """
    ax = _axis(ax)
    for index, (p, gap) in enumerate(zip(ps, gaps)):
        linestyle, marker = STYLES[index % len(STYLES)]
        layers = np.arange(1, len(gap.jensen) + 1)
        ax.plot(
            layers, gap.jensen / gap.activation, linestyle=linestyle, marker=marker,
            label=f"p = {p:g}",
        )  # fmt: skip
    ax.set_xticks(layers)
    ax.set_xlabel("hidden layer (1 = nearest the input)")
    ax.set_ylabel("(E[relu(S)] − relu(E[S])) / E[relu(S)]")
    ax.set_title(title or "The Jensen gap grows with p and with depth")
    ax.legend(title="hidden-layer drop probability", fontsize=8)
    return ax.figure


def plot_regression_uncertainty(
    x_train, y_train, x_grid, mean, sd, *, truth=None, gap=None, ax=None, title=None
):
    """Monte-Carlo dropout regression: predictive mean with ±1 and ±2 sd bands.

    Parameters
    ----------
    x_train, y_train : array_like, shape (n,)
    x_grid, mean, sd : array_like, shape (m,)
        Grid, predictive mean and predictive standard deviation.
    truth : array_like, shape (m,), optional
        The noise-free function on the grid.
    gap : (float, float), optional
        Interval without training data, shaded.

    Returns
    -------
    fig : matplotlib Figure
    """
    ax = _axis(ax, width=7.5, height=4.2)
    x_grid, mean, sd = (np.asarray(a, dtype=float) for a in (x_grid, mean, sd))
    if gap is not None:
        ax.axvspan(*gap, color="#f3e5c0", alpha=0.6, label="no training data")
    ax.fill_between(
        x_grid, mean - 2 * sd, mean + 2 * sd, color=KEPT_COLOR, alpha=0.15, label="±2 sd"
    )
    ax.fill_between(x_grid, mean - sd, mean + sd, color=KEPT_COLOR, alpha=0.3, label="±1 sd")
    ax.plot(x_grid, mean, color=KEPT_COLOR, linestyle="-", label="predictive mean")
    if truth is not None:
        ax.plot(x_grid, truth, color="black", linestyle="--", label="true function")
    ax.scatter(x_train, y_train, s=14, color=ACCENT, marker="o", zorder=3, label="training data")
    ax.set_xlabel("input x")
    ax.set_ylabel("output y")
    ax.set_title(title or "Monte-Carlo dropout regression")
    ax.legend(loc="upper left", fontsize=8, ncols=2)
    return ax.figure


def plot_moments_vs_samples(counts, means, sds, labels, *, noise_sd=None, title=None):
    """Predictive mean and standard deviation at a few inputs as the number of passes grows.

    Parameters
    ----------
    counts : array_like of int, shape (k,)
        Numbers of passes ``T``.
    means, sds : array_like, shape (k, n_points)
    labels : sequence of str, length n_points
    noise_sd : float, optional
        ``tau ** -0.5``, drawn as the floor of the standard deviation.

    Returns
    -------
    fig : matplotlib Figure
    """
    fig, axes = new_figure(2, width=10.0, height=3.8)
    means, sds = np.asarray(means), np.asarray(sds)
    for index, label in enumerate(labels):
        linestyle, marker = STYLES[index % len(STYLES)]
        axes[0, 0].plot(counts, means[:, index], linestyle=linestyle, marker=marker, label=label)
        axes[0, 1].plot(counts, sds[:, index], linestyle=linestyle, marker=marker, label=label)
    if noise_sd is not None:
        axes[0, 1].axhline(
            noise_sd, color="black", linestyle=":", label=f"τ^(−1/2) = {noise_sd:.2f}"
        )
    for ax, name in zip(axes[0], ("predictive mean", "predictive standard deviation")):
        ax.set_xscale("log")
        ax.set_xlabel("number of dropout passes T (log scale)")
        ax.set_ylabel(name)
        ax.set_title(f"{name.capitalize()} as T grows")
        ax.legend(fontsize=8)
    fig.suptitle(title or "Monte-Carlo estimates settle as T grows")
    return fig


def plot_digit_gallery(images, captions, *, ncols=6, title=None):
    """A grid of 8x8 digit images with a caption under each.

    Parameters
    ----------
    images : array_like, shape (n, 64)
        Pixels in [0, 1].
    captions : sequence of str, length n

    Returns
    -------
    fig : matplotlib Figure
    """
    images = np.asarray(images)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = new_figure(ncols, nrows, width=1.5 * ncols, height=1.75 * nrows + 0.5)
    for index, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if index < len(images):
            ax.imshow(images[index].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_title(captions[index], fontsize=7)
    fig.suptitle(title or "Digits")
    return fig


def plot_blend_entropy(weights, entropies, labels, *, ax=None, title=None):
    """Predictive entropy along a blend of two digits.

    Parameters
    ----------
    weights : array_like, shape (k,)
        Weight of the second digit in the blend.
    entropies : sequence of array_like, each shape (k,)
    labels : sequence of str

    Returns
    -------
    fig : matplotlib Figure
    """
    ax = _axis(ax)
    for index, (values, label) in enumerate(zip(entropies, labels)):
        linestyle, marker = STYLES[index % len(STYLES)]
        ax.plot(weights, values, linestyle=linestyle, marker=marker, label=label)
    ax.axhline(np.log(10), color="black", linestyle=":", label="log 10 (uniform)")
    ax.set_xlabel("weight of the second digit in the blend")
    ax.set_ylabel("predictive entropy (nats)")
    ax.set_title(title or "Entropy peaks where the blend is most ambiguous")
    ax.legend(fontsize=8)
    return ax.figure


def plot_error_by_entropy(bins, *, ax=None, title=None, label="MC dropout"):
    """Error rate in equal-count bins of predictive entropy.

    Parameters
    ----------
    bins : dropout_lib.mc_dropout.EntropyBins

    Returns
    -------
    fig : matplotlib Figure
    """
    ax = _axis(ax)
    positions = np.arange(len(bins.error_rate))
    ax.bar(
        positions, 100 * bins.error_rate, color=KEPT_COLOR, hatch="//", edgecolor="black",
        label=label,
    )  # fmt: skip
    for pos, rate, count in zip(positions, bins.error_rate, bins.count):
        ax.text(pos, 100 * rate + 0.5, f"{100 * rate:.1f}%\n(n={count})", ha="center", fontsize=7)
    ticks = [f"{lo:.2f}–{hi:.2f}" for lo, hi in zip(bins.edges[:-1], bins.edges[1:])]
    ax.set_xticks(positions, ticks, fontsize=7)
    ax.set_xlabel("predictive entropy bin (nats), equal counts")
    ax.set_ylabel("error rate (%)")
    ax.set_ylim(0, max(100 * bins.error_rate.max() * 1.3, 5))
    ax.set_title(title or "Errors concentrate where the entropy is high")
    ax.legend(loc="upper left")
    return ax.figure


def plot_selu_depth(depth, curves, *, title=None):
    """Mean and variance of activations through a deep SELU network under different noises.

    Parameters
    ----------
    depth : array_like of int, shape (L,)
    curves : dict of str -> (means, variances), each array of shape (L,)

    Returns
    -------
    fig : matplotlib Figure
    """
    fig, axes = new_figure(2, width=10.0, height=3.8)
    for index, (label, (means, variances)) in enumerate(curves.items()):
        linestyle, marker = STYLES[index % len(STYLES)]
        axes[0, 0].plot(depth, means, linestyle=linestyle, marker=marker, label=label)
        axes[0, 1].plot(depth, variances, linestyle=linestyle, marker=marker, label=label)
    for ax, name, target in zip(axes[0], ("mean", "variance"), (0.0, 1.0)):
        ax.axhline(target, color="black", linestyle=":", linewidth=1)
        ax.set_xlabel("layer")
        ax.set_ylabel(f"{name} of the activations")
        ax.set_title(f"Activation {name} by depth (target {target:g})")
        ax.legend(fontsize=8)
    fig.suptitle(title or "Self-normalisation survives alpha dropout")
    return fig


def plot_feature_maps(maps, row_titles, *, title=None):
    """Rows of channel images: e.g. original, element dropout, spatial dropout.

    Parameters
    ----------
    maps : sequence of array_like, each shape (C, H, W)
    row_titles : sequence of str

    Returns
    -------
    fig : matplotlib Figure
    """
    channels = np.asarray(maps[0]).shape[0]
    fig, axes = new_figure(channels, len(maps), width=1.6 * channels + 0.6, height=1.9 * len(maps))
    # One colour scale per channel (column), shared by the rows, so rows compare.
    tops = [
        max(float(np.abs(np.asarray(m)[c]).max()) for m in maps) or 1.0 for c in range(channels)
    ]
    for row, (stack, row_title) in enumerate(zip(maps, row_titles)):
        for channel in range(channels):
            ax = axes[row, channel]
            top = tops[channel]
            ax.imshow(np.asarray(stack)[channel], cmap="RdBu_r", vmin=-top, vmax=top)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{row_title}\nchannel {channel + 1}", fontsize=7)
    fig.suptitle(title or "Feature maps")
    return fig
