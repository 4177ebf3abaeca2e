"""Figures of the MNIST experiments of :mod:`dropout_lib.mnist_experiments`.

Each function takes a result dataclass and returns a matplotlib ``Figure``
made without pyplot (through :func:`dropout_lib.plots.new_figure`); none runs
an experiment. Colours come from :mod:`dropout_lib.palette`, and series differ
by marker or line style as well.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import PercentFormatter

from . import palette
from ._checks import as_real_array, check_int
from .data import MNIST_SIDE, N_MNIST_PIXELS
from .plots import new_figure

__all__ = [
    "plot_learning_rate_sweep",
    "plot_regulariser_table",
    "plot_filters",
    "filter_mosaic",
    "plot_activation_histograms",
]


def _percent(axis):
    axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))


def plot_learning_rate_sweep(sweep, *, title=None):
    """Test error against learning rate, dropout with and without max-norm.

    One marker per seed, a line through the medians; runs whose loss blew up
    are drawn at the top with a cross.
    """
    fig, axes = new_figure(width=6.4, height=4.0)
    ax = axes[0, 0]
    lrs = np.asarray(sweep.lrs)
    for v, name in enumerate(sweep.names):
        colour, line, marker = palette.SERIES[v]
        errors = np.nan_to_num(sweep.test_error[v], nan=0.9)
        shift = 1.0 + 0.04 * (v - 0.5)  # keep the two variants' markers apart
        label = name if sweep.max_norms[v] is None else f"{name} (c = {sweep.max_norms[v]:g})"
        ax.plot(lrs * shift, np.median(errors, axis=1), line, color=colour, label=label)
        for i, lr in enumerate(lrs):
            blew = sweep.blew_up[v, i]
            ax.scatter(
                np.full(np.sum(~blew), lr * shift),
                errors[i][~blew],
                color=colour,
                marker=marker,
                s=18,
                zorder=3,
            )
            if blew.any():
                ax.scatter(
                    np.full(np.sum(blew), lr * shift),
                    np.full(np.sum(blew), 1.0),
                    color=colour,
                    marker="x",
                    s=40,
                    zorder=3,
                )
    ax.axhline(0.9, color=palette.GUIDE, lw=0.8, ls=":")
    ax.text(lrs[0], 0.905, "chance (90 %)", color=palette.GUIDE, fontsize=8, va="bottom")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    _percent(ax.yaxis)
    ax.set_xlabel(f"learning rate (momentum {sweep.momentum:g})")
    ax.set_ylabel("test error")
    ax.legend(loc="center left", fontsize=8, frameon=False)
    ax.set_title(title or "Dropout on MNIST across learning rates (x: the loss blew up)")
    return fig


def plot_regulariser_table(table, *, title=None):
    """Our mean test error per regulariser with its t interval, beside the paper's Table 9."""
    fig, axes = new_figure(ncols=2, width=9.0, height=3.6)
    ours, paper = axes[0]
    names = list(table.names)
    y = np.arange(len(names))[::-1]
    for k, name in enumerate(names):
        interval = table.interval(name)
        colour = palette.KEPT if "dropout" in name else palette.DROPPED
        ours.errorbar(
            interval.estimate,
            y[k],
            xerr=[[interval.estimate - interval.low], [interval.high - interval.estimate]],
            fmt="o",
            color=colour,
            capsize=3,
        )
        ours.scatter(
            table.errors(name), np.full(len(table.seeds), y[k]), s=8, color=palette.GUIDE, zorder=1
        )
        value = table.paper_error(name)
        if value is not None:
            paper.scatter(value / 100, y[k], marker="s", color=palette.EMPHASIS)
    for ax in (ours, paper):
        ax.set_yticks(y, names)
        _percent(ax.xaxis)
        ax.set_xlabel("test error")
    paper.set_ylim(ours.get_ylim())
    ours.set_title(
        f"ours: 784-{'-'.join(map(str, table.settings['hidden']))}-10, {len(table.seeds)} seeds"
    )
    paper.set_title("paper, Table 9 (784-1024-1024-2048-10)")
    if title:
        fig.suptitle(title)
    return fig


def filter_mosaic(filters, *, rows=8, cols=8, pad=1):
    """Tile the first ``rows * cols`` filters into one image, each scaled to [-1, 1].

    Parameters
    ----------
    filters : array_like of float, shape (k, 784)
    rows, cols, pad : int

    Returns
    -------
    ndarray of float64, shape (rows * (28 + pad) - pad, cols * (28 + pad) - pad)
        NaN in the padding (drawn blank).
    """
    filters = as_real_array(filters, "filters")
    if filters.ndim != 2 or filters.shape[1] != N_MNIST_PIXELS:
        raise ValueError(f"filters must have shape (k, {N_MNIST_PIXELS}), but got {filters.shape}")
    rows = check_int(rows, "rows", minimum=1)
    cols = check_int(cols, "cols", minimum=1)
    pad = check_int(pad, "pad", minimum=0)
    side, step = MNIST_SIDE, MNIST_SIDE + pad
    out = np.full((rows * step - pad, cols * step - pad), np.nan)
    for k, w in enumerate(filters[: rows * cols]):
        scale = np.max(np.abs(w))
        tile = (w / scale if scale > 0 else w).reshape(side, side)
        r, c = divmod(k, cols)
        out[r * step : r * step + side, c * step : c * step + side] = tile
    return out


def plot_filters(panels, titles, *, rows=8, cols=8, title=None):
    """Filter grids side by side, one panel per set of filters.

    Parameters
    ----------
    panels : sequence of array_like, each of shape (k, 784)
        Sets of filters (one per row), e.g. an autoencoder's ``filters``.
    titles : sequence of str
        One per panel.
    """
    if len(panels) != len(titles):
        raise ValueError(
            f"panels and titles must have the same length, got {len(panels)} and {len(titles)}"
        )
    fig, axes = new_figure(ncols=len(panels), width=3.3 * len(panels), height=3.6)
    for ax, filters, name in zip(axes[0], panels, titles):
        ax.imshow(filter_mosaic(filters, rows=rows, cols=cols), cmap="gray", vmin=-1, vmax=1)
        ax.set_title(name, fontsize=10)
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return fig


def plot_activation_histograms(study, *, bins=40, title=None):
    """The paper's Fig. 8: per-unit mean and all hidden activations, with and without dropout."""
    bins = check_int(bins, "bins", minimum=2)
    fig, axes = new_figure(ncols=2, width=9.0, height=3.4)
    means_ax, all_ax = axes[0]
    codes = study.activations
    top_mean = float(codes.mean(axis=1).max())
    top = float(codes.max())
    for v, (name, fill) in enumerate(zip(study.names, (palette.FILL_2, palette.FILL))):
        colour = palette.SERIES[v][0]
        unit_means = codes[v].mean(axis=0)
        means_ax.hist(
            unit_means,
            bins=np.linspace(0, top_mean, bins + 1),
            color=fill,
            edgecolor=colour,
            histtype="stepfilled",
            alpha=0.7,
            label=f"{name}: mean {codes[v].mean():.2f}",
        )
        values = codes[v].ravel()
        all_ax.hist(
            values[values > 0],
            bins=np.linspace(0, top, bins + 1),
            color=colour,
            histtype="step",
            lw=1.5,
            ls=palette.SERIES[v][1],
            label=f"{name}: {np.mean(values == 0):.0%} exact zeros",
        )
    means_ax.set_xlabel("mean activation of a hidden unit")
    means_ax.set_ylabel("hidden units")
    means_ax.legend(fontsize=8, frameon=False)
    all_ax.set_yscale("log")
    all_ax.set_xlabel("activation (positive values)")
    all_ax.set_ylabel("count (log scale)")
    all_ax.legend(fontsize=8, frameon=False)
    fig.suptitle(title or "Hidden activations of the autoencoders on the test images")
    return fig
