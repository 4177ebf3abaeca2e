"""Figures of the chapter on residual nets, DropBlock and batch norm.

Pure functions that take the results of :mod:`dropout_lib.modern` and return a
matplotlib ``Figure`` drawn with the book's palette. They live here, not in
``dropout_lib.modern``, because that package needs numpy alone.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from .modern.batchnorm import BatchNormComparison
from .modern.residual import DropPathComparison
from .palette import DROPPED, GUIDE, INK, KEPT, SERIES

__all__ = ["plot_block_removal", "plot_masks", "plot_variance_shift"]


def plot_block_removal(result: DropPathComparison):
    """Test error when one block is removed at evaluation, with and without DropPath.

    Parameters
    ----------
    result : DropPathComparison

    Returns
    -------
    matplotlib.figure.Figure
        Mean over the seeds of the error increase against the full network,
        one line per variant, against the index of the removed block.
    """
    if not isinstance(result, DropPathComparison):
        raise TypeError(f"result must be a DropPathComparison, but got {type(result).__name__}")
    blocks = np.arange(1, result.skip_error_plain.shape[1] + 1)
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    series = [
        ("no DropPath", result.skip_error_plain, result.error_plain),
        ("DropPath, linear decay", result.skip_error_drop_path, result.error_drop_path),
    ]
    for (label, skip, full), (colour, style, marker) in zip(series, SERIES):
        increase = 100 * (skip - full[:, None])
        ax.plot(
            blocks, increase.mean(axis=0), color=colour, linestyle=style, marker=marker, label=label
        )
    ax.axhline(0.0, color=GUIDE, linewidth=0.8)
    ax.set_xlabel("block removed at evaluation")
    ax.set_ylabel("test error increase (points)")
    ax.set_xticks(blocks)
    ax.legend(frameon=False)
    ax.set_title(f"Removing one residual block ({len(result.seeds)} seeds, mean)")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_masks(masks, titles):
    """Keep-masks of feature maps, one row per kind of mask: kept units dark, dropped grey.

    Parameters
    ----------
    masks : sequence of array_like of bool, each of shape (k, H, W)
        ``k`` maps per row, the same ``k`` for every row.
    titles : sequence of str, one per row

    Returns
    -------
    matplotlib.figure.Figure
    """
    masks = [np.asarray(m, dtype=bool) for m in masks]
    titles = list(titles)
    if not masks or len(masks) != len(titles) or any(m.ndim != 3 for m in masks):
        raise ValueError("masks must be a non-empty list of (k, H, W) masks, one title each")
    if len({m.shape[0] for m in masks}) != 1:
        raise ValueError("every row of masks must hold the same number of maps")
    rows, cols = len(masks), masks[0].shape[0]
    fig, axes = plt.subplots(rows, cols, figsize=(1.5 * cols + 1.6, 1.6 * rows), squeeze=False)
    cmap = ListedColormap([DROPPED, KEPT])
    for r, (row, title) in enumerate(zip(masks, titles)):
        for c in range(cols):
            ax = axes[r, c]
            ax.imshow(row[c], cmap=cmap, vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(
            f"{title}\n{(~row).mean():.0%} of these\ndropped", fontsize=9, color=INK
        )
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_variance_shift(result: BatchNormComparison):
    """Per unit: the measured variance shift at evaluation against its closed form.

    Parameters
    ----------
    result : BatchNormComparison

    Returns
    -------
    matplotlib.figure.Figure
        One point per unit and seed: ``x`` is the closed-form ratio
        ``eval_var / train_var`` on the training digits, ``y`` the ratio of the
        unit's evaluation variance on the test digits to its running variance.
    """
    if not isinstance(result, BatchNormComparison):
        raise TypeError(f"result must be a BatchNormComparison, but got {type(result).__name__}")
    closed = (result.closed_eval_var / result.closed_train_var).ravel()
    measured = (result.test_eval_var / result.running_var).ravel()
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.scatter(closed, measured, s=8, color=KEPT, alpha=0.5, linewidths=0)
    low = min(closed.min(), measured.min()) - 0.05
    high = max(closed.max(), measured.max()) + 0.05
    ax.plot(
        [low, high],
        [low, high],
        color=GUIDE,
        linestyle="--",
        linewidth=1,
        label="measured = closed form",
    )
    ax.axhline(1 - result.p, color=GUIDE, linestyle=":", linewidth=1, label="1 - p")
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_xlabel("closed form: eval var / train var")
    ax.set_ylabel("measured: test var / running var")
    ax.legend(frameon=False, loc="upper left")
    ax.set_title(f"Variance shift of each unit, p = {result.p:g}")
    fig.tight_layout()
    plt.close(fig)
    return fig
