"""Figures of the paper-replication experiments and of the ridge identity.

Each function takes a result dataclass of :mod:`dropout_lib.experiments` or
:mod:`dropout_lib.ridge` and returns a matplotlib ``Figure`` made without
pyplot (through :func:`dropout_lib.plots.new_figure`); it only reads the
result's fields and never runs an experiment. Means over seeds are lines; the
spread over seeds (one sample standard deviation, from
:func:`dropout_lib.stats.summarise`) is a shaded band or error bars. Series
take their colour, line style and marker from :data:`dropout_lib.palette.SERIES`,
so they differ by more than colour.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import PercentFormatter

from . import palette
from .plots import new_figure
from .stats import summarise

__all__ = [
    "plot_curves",
    "plot_effect_of_p",
    "plot_dataset_size",
    "plot_monte_carlo",
    "plot_sparsity",
    "plot_ridge_path",
]


def _style(index):
    """(colour, line style, marker) of the ``index``-th series, cycling through the palette."""
    return palette.SERIES[index % len(palette.SERIES)]


def _percent(ax, axis="y"):
    # decimals=None picks as many decimals as the tick spacing needs.
    formatter = PercentFormatter(xmax=1.0, decimals=None)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def _band(ax, x, values, style, label, *, markevery=None):
    """Mean line over the last axis of ``values`` with a +-1 sd band."""
    colour, linestyle, marker = style
    summary = summarise(values)
    mean, sd = summary.mean, summary.sd
    ax.plot(
        x,
        mean,
        color=colour,
        linestyle=linestyle,
        marker=marker,
        markevery=markevery,
        markersize=4,
        label=label,
    )
    ax.fill_between(x, mean - sd, mean + sd, color=colour, alpha=0.18, linewidth=0)


def _errorbars(ax, x, values, style, label):
    """Mean over the last axis of ``values`` with +-1 sd error bars."""
    colour, linestyle, marker = style
    summary = summarise(values)
    ax.errorbar(
        x,
        summary.mean,
        yerr=summary.sd,
        color=colour,
        linestyle=linestyle,
        marker=marker,
        capsize=3,
        label=label,
    )


def plot_curves(result, *, title=None):
    """Training and test error against epochs for every variant of a curves result.

    Parameters
    ----------
    result : dropout_lib.experiments.CurvesResult
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Two panels (training error, test error); lines are means over seeds,
        bands one standard deviation.
    """
    fig, axes = new_figure(2, 1, width=9.0, height=3.6)
    epochs = result.epoch_numbers
    markevery = max(1, len(epochs) // 8)
    for panel, (errors, name) in enumerate(
        ((result.train_error, "training"), (result.test_error, "test"))
    ):
        ax = axes[0, panel]
        for v, label in enumerate(result.labels):
            _band(ax, epochs, errors[v].T, _style(v), label, markevery=markevery)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{name} error (% misclassified)")
        ax.set_title(f"{name.capitalize()} error")
        # The interesting part is the last few per cent; the first epochs
        # (near 90% error, chance) would squash it.
        top = 2.5 * float(np.nanmax(errors[..., -10:].mean(axis=-1))) + 0.02
        ax.set_ylim(0, min(1.0, max(0.05, top)))
        _percent(ax)
        ax.grid(alpha=0.3)
    axes[0, 1].legend(loc="upper right")
    seeds = len(result.seeds)
    fig.suptitle(title or f"Digits, {result.n_train} training examples, {seeds} seeds")
    return fig


def plot_effect_of_p(result, *, title=None):
    """Test and training error against the hidden drop probability (paper Fig. 9).

    Parameters
    ----------
    result : dropout_lib.experiments.EffectOfPResult
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One panel per setting (width fixed; (1 - p) x width fixed), with error
        bars of one standard deviation over seeds.
    """
    fig, axes = new_figure(2, 1, width=9.0, height=3.6, sharey=True)
    panel_titles = (
        f"(a) width fixed at {result.width} units",
        f"(b) (1 - p) x width fixed at {result.kept_units} units",
    )
    for k, ax in enumerate(axes[0]):
        for index, (errors, name) in enumerate(
            ((result.test_error[k], "test"), (result.train_error[k], "training"))
        ):
            _errorbars(ax, result.p_values, errors, _style(index), f"{name} error")
        if k == 1:
            for p, width, mean in zip(
                result.p_values, result.widths[1], summarise(result.test_error[1]).mean
            ):
                ax.annotate(
                    f"{width}",
                    (p, mean),
                    textcoords="offset points",
                    xytext=(0, 8),
                    ha="center",
                    fontsize=7,
                )
        ax.set_xlabel("hidden drop probability p")
        ax.set_title(panel_titles[k])
        _percent(ax)
        ax.grid(alpha=0.3)
    for ax in axes[0]:
        ax.set_ylabel("error (% misclassified)")
    axes[0, 0].legend(loc="upper left")
    fig.suptitle(title or "Effect of the drop probability (numbers in (b): hidden width)")
    return fig


def plot_dataset_size(result, *, title=None):
    """Test error with and without dropout, and the gain, against training size (Fig. 10).

    Parameters
    ----------
    result : dropout_lib.experiments.DatasetSizeResult
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Left: test error of both networks; right: the gain (error without
        dropout minus error with it), with error bars of one standard deviation.
    """
    fig, axes = new_figure(2, 1, width=9.0, height=3.6)
    ax = axes[0, 0]
    for v, label in enumerate(result.labels):
        _errorbars(ax, result.sizes, result.test_error[v], _style(v), label)
    ax.set_xscale("log")
    ax.set_xlabel("training examples (log scale)")
    ax.set_ylabel("test error (% misclassified)")
    ax.set_title("Test error")
    _percent(ax)
    ax.legend()
    ax.grid(alpha=0.3)
    ax = axes[0, 1]
    _errorbars(ax, result.sizes, result.gain, _style(2), "gain from dropout")
    ax.axhline(0.0, color=palette.INK, linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("training examples (log scale)")
    ax.set_ylabel("error without minus with dropout (points)")
    ax.set_title("Gain from dropout")
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))
    ax.grid(alpha=0.3)
    fig.suptitle(title or "Effect of the training-set size")
    return fig


def plot_monte_carlo(result, *, title=None):
    """Monte-Carlo test error against the number of sampled masks k (paper Fig. 11).

    Parameters
    ----------
    result : dropout_lib.experiments.MonteCarloResult
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The Monte-Carlo error (mean over seeds and repeats, band one standard
        deviation) against k on a log axis, and the weight-scaling error as a
        horizontal line with its own band.
    """
    fig, axes = new_figure(1, 1, width=6.4, height=3.8)
    ax = axes[0, 0]
    k = result.k_values
    flat = result.mc_error.reshape(-1, len(k)).T
    _band(ax, k, flat, _style(0), "Monte-Carlo average of k passes")
    weight_scaling = summarise(result.weight_scaling_error)
    ws_mean, ws_sd = weight_scaling.mean, weight_scaling.sd
    colour, linestyle, _ = _style(1)
    ax.axhline(ws_mean, color=colour, linestyle=linestyle, label="weight scaling (dropout off)")
    ax.axhspan(ws_mean - ws_sd, ws_mean + ws_sd, color=colour, alpha=0.15, linewidth=0)
    ax.set_xscale("log")
    ax.set_xlabel("number of sampled masks k (log scale)")
    ax.set_ylabel("test error (% misclassified)")
    _percent(ax)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title or "Monte-Carlo model averaging against weight scaling")
    return fig


def plot_sparsity(result, *, title=None, bins=40):
    """Histograms of hidden activations and of mean activation per unit (paper Fig. 8).

    Parameters
    ----------
    result : dropout_lib.experiments.SparsityResult
    title : str, optional
    bins : int
        Histogram bins of each panel.

    Returns
    -------
    matplotlib.figure.Figure
        Left: the distribution of the non-zero activations of the studied
        layer (the share of exact zeros is in the legend); right: the
        distribution of each unit's mean activation. One outline per network.
    """
    fig, axes = new_figure(2, 1, width=9.0, height=3.6)
    high = max(np.percentile(a[a > 0], 99) for a in result.activations)
    edges = np.linspace(0, high, bins + 1)
    unit_high = max(u.max() for u in result.mean_per_unit)
    unit_edges = np.linspace(0, unit_high, bins + 1)
    hatches = ["", "//", ".."]
    for v, label in enumerate(result.labels):
        colour, linestyle, _ = _style(v)
        acts = result.activations[v]
        zero = np.mean(acts == 0)
        common = dict(
            histtype="step",
            color=colour,
            linestyle=linestyle,
            linewidth=1.6,
            hatch=hatches[v % len(hatches)],
        )
        axes[0, 0].hist(
            acts[acts > 0],
            bins=edges,
            density=True,
            label=f"{label} ({zero:.0%} zeros)",
            **common,
        )
        axes[0, 1].hist(
            result.mean_per_unit[v],
            bins=unit_edges,
            label=f"{label} (mean {acts.mean():.2f})",
            **common,
        )
    axes[0, 0].set_xlabel("activation (non-zero values)")
    axes[0, 0].set_ylabel("density")
    axes[0, 0].set_title("Activations on the test digits")
    axes[0, 1].set_xlabel("mean activation of a unit over the test digits")
    axes[0, 1].set_ylabel("number of units (all seeds)")
    axes[0, 1].set_title("Mean activation per unit")
    for ax in axes[0]:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(title or f"Hidden layer {result.layer + 1}: activations with and without dropout")
    return fig


def plot_ridge_path(path, *, title=None):
    """Dropout-regression weights against p, beside the per-feature ridge solution.

    Parameters
    ----------
    path : dropout_lib.ridge.RidgePath
        From :func:`dropout_lib.ridge.ridge_path`: ``p_values`` (P,),
        ``dropout`` and ``ridge`` of shape (P, d).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One line per feature: the ridge solution as a line, the minimiser of
        the enumerated dropout objective (times 1 - p) as markers on it.
    """
    fig, axes = new_figure(1, 1, width=6.4, height=3.8)
    ax = axes[0, 0]
    p = path.p_values
    for j in range(path.ridge.shape[1]):
        colour, linestyle, marker = _style(j)
        ax.plot(
            p,
            path.ridge[:, j],
            color=colour,
            linestyle=linestyle,
            label=rf"ridge $\tilde w_{j + 1}$",
        )
        ax.plot(
            p,
            path.dropout[:, j],
            color=colour,
            linestyle="none",
            marker=marker,
            markerfacecolor="none",
            label=rf"dropout (enumerated) $(1-p)\,w_{j + 1}$",
        )
    ax.axhline(0, color=palette.INK, linewidth=0.8)
    ax.set_xlabel("drop probability p")
    ax.set_ylabel("weight")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    ax.set_title(title or "Dropout in linear regression is ridge regression")
    return fig
