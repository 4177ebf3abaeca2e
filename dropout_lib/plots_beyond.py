"""Figures of the "Beyond the basics" chapters (8-10): pure functions returning a ``Figure``.

Like :mod:`dropout_lib.plots`, nothing here touches pyplot, every panel has a
title and labelled axes, colours come from :mod:`dropout_lib.palette`, and
series differ by line style and marker as well as by colour. ``p`` is always
the drop probability. The chapter 8 explorer of a sigmoid unit lives in
:mod:`dropout_lib.widgets.nonlinear`.
"""

from __future__ import annotations

import numpy as np

from . import palette
from ._checks import check_choice
from .nonlinear import sigmoid
from .plots import new_figure

__all__ = [
    "plot_sigmoid_ensemble",
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


def _series(index):
    """Colour, line style and marker of the ``index``-th series (``palette.SERIES``, cycled)."""
    return palette.SERIES[index % len(palette.SERIES)]


def _axis(ax, **figure_kw):
    """``ax``, or the one panel of a new figure when it is ``None``."""
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
    ax.plot(grid, sigmoid(grid), color=palette.INK, linewidth=1, label="sigmoid σ(s)")
    sizes = 12 + 150 * probs / probs.max()
    ax.scatter(
        s, sigmoid(s), s=sizes, color=palette.KEPT, alpha=0.5, marker="o",
        label="subnetworks (area ∝ probability)",
    )  # fmt: skip
    ax.axhline(
        ensemble.arithmetic_mean, color=palette.EMPHASIS, linestyle="--",
        label=f"ensemble mean E[σ(S)] = {ensemble.arithmetic_mean:.3f}",
    )  # fmt: skip
    ax.axhline(
        ensemble.nwgm, color=palette.DROPPED, linestyle=":", linewidth=2.5,
        label=f"NWGM = σ(E[S]) = {ensemble.nwgm:.3f}",
    )  # fmt: skip
    ax.axvline(mean_s, color=palette.DROPPED, linestyle="-.", label=f"E[S] = {mean_s:.2f}")
    ax.set_xlabel("pre-activation s of a subnetwork")
    ax.set_ylabel("output σ(s)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(title or "Every subnetwork of one sigmoid unit")
    ax.legend(loc="upper left", fontsize=7)
    return ax.figure


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
        means[~small], gaps[~small], s=10, marker="x", color=palette.DROPPED,
        label=f"units with sd(S) ≥ {threshold}",
    )  # fmt: skip
    ax.scatter(
        means[small], gaps[small], s=10, marker="o", color=palette.KEPT,
        label=f"units with sd(S) < {threshold}",
    )  # fmt: skip
    grid = np.linspace(0, 1, 400)
    bound = 2 * grid * (1 - grid) * np.abs(1 - 2 * grid)
    ax.plot(grid, bound, color=palette.EMPHASIS, linestyle="--", linewidth=2, label="2E(1−E)|1−2E|")
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("ensemble mean E = E[σ(S)]")
    ax.set_ylabel("|E − NWGM| (symlog scale)")
    ax.set_title(title or "How far the weight-scaled output is from the ensemble mean")
    ax.legend(loc="upper left", fontsize=8)
    return ax.figure


def plot_relu_gaps(ps, gaps, *, which="jensen", ax=None, title=None):
    """Relative gap of each hidden layer, one line per drop probability.

    Parameters
    ----------
    ps : sequence of float
        Drop probabilities the networks were trained with.
    gaps : sequence of dropout_lib.nonlinear.LayerGaps, or of sequences of them
        One per ``p``; a sequence (one per seed) is drawn as its mean, with
        each seed's value as a small dot.
    which : {"jensen", "scaling"}
        ``"jensen"``: ``E[relu(S)] - relu(E[S])``; ``"scaling"``: the ensemble's
        mean activation minus the weight-scaled network's. Both relative to
        the ensemble's mean activation.

    Returns
    -------
    fig : matplotlib Figure
    """
    which = check_choice(which, "which", ("jensen", "scaling"))
    ax = _axis(ax)
    for index, (p, gap) in enumerate(zip(ps, gaps)):
        runs = [gap] if hasattr(gap, "activation") else list(gap)
        relative = np.array([getattr(run, which) / run.activation for run in runs])
        color, linestyle, marker = _series(index)
        layers = np.arange(1, relative.shape[1] + 1)
        ax.plot(
            layers, relative.mean(axis=0), color=color, linestyle=linestyle, marker=marker,
            label=f"p = {p:g}",
        )  # fmt: skip
        if len(runs) > 1:
            for row in relative:
                ax.plot(layers, row, linestyle="none", marker=".", color=color, alpha=0.5)
    ax.set_xticks(layers)
    ax.set_xlabel("hidden layer (1 = nearest the input)")
    if which == "jensen":
        ax.set_ylabel("(E[relu(S)] − relu(E[S])) / E[relu(S)]")
        default = "The Jensen gap grows with p and with depth"
    else:
        ax.set_ylabel("(E[relu(S)] − relu(S_scaled)) / E[relu(S)]")
        default = "The weight-scaling gap grows with p and with depth"
    ax.set_title(title or default)
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
        ax.axvspan(*gap, color=palette.FILL_2, alpha=0.5, label="no training data")
    ax.fill_between(
        x_grid, mean - 2 * sd, mean + 2 * sd, color=palette.KEPT, alpha=0.15, label="±2 sd"
    )
    ax.fill_between(x_grid, mean - sd, mean + sd, color=palette.KEPT, alpha=0.3, label="±1 sd")
    ax.plot(x_grid, mean, color=palette.KEPT, linestyle="-", label="predictive mean")
    if truth is not None:
        ax.plot(x_grid, truth, color=palette.INK, linestyle="--", label="true function")
    ax.scatter(
        x_train, y_train, s=14, color=palette.EMPHASIS, marker="o", zorder=3, label="training data"
    )
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
        style = dict(zip(("color", "linestyle", "marker"), _series(index)), label=label)
        axes[0, 0].plot(counts, means[:, index], **style)
        axes[0, 1].plot(counts, sds[:, index], **style)
    if noise_sd is not None:
        axes[0, 1].axhline(
            noise_sd, color=palette.INK, linestyle=":", label=f"τ^(−1/2) = {noise_sd:.2f}"
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
        color, linestyle, marker = _series(index)
        ax.plot(weights, values, color=color, linestyle=linestyle, marker=marker, label=label)
    ax.axhline(np.log(10), color=palette.INK, linestyle=":", label="log 10 (uniform)")
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
        positions, 100 * bins.error_rate, color=palette.KEPT, hatch="//", edgecolor=palette.INK,
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
        style = dict(zip(("color", "linestyle", "marker"), _series(index)), label=label)
        axes[0, 0].plot(depth, means, **style)
        axes[0, 1].plot(depth, variances, **style)
    for ax, name, target in zip(axes[0], ("mean", "variance"), (0.0, 1.0)):
        ax.axhline(target, color=palette.INK, linestyle=":", linewidth=1)
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
