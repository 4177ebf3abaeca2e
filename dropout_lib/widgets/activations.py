"""The activation explorer: a trained ReLU layer before and after dropout (chapter 5).

Everything the explorer needs is here, in the order the data flows:

1. :func:`trained_hidden_layer` trains the 64-``width``-10 digits network
   behind it;
2. :func:`activation_data` computes, for one setting of the controls, the
   histograms of the layer's activations before dropout, in training and at
   evaluation, and the distribution of the next layer's input ``z``;
3. :func:`activation_frame`, :func:`activation_artists` and
   :func:`activation_alt_text` draw and describe that data
   (:func:`activation_figure` is the two drawing steps in one);
4. :func:`activation_explorer` is the live widget with its static fallback.

``p`` is the probability of dropping a unit and ``keep = 1 - p``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from matplotlib.lines import Line2D

from .. import palette
from .._checks import check_choice, check_int, check_p
from ..data import N_CLASSES, N_PIXELS, digits_split
from ..layers import apply_mask, dropout
from ..masks import sample_mask
from ..mlp import MLP
from ..moments import exact_moments, linear_unit_moments
from ._figure import (
    MODES,
    P_MAX,
    add_bar,
    add_stairs,
    fixed_figure,
    nice_ticks,
    p_heading,
    panel_title,
)
from .fallback import (
    FALLBACK_PS,
    choice_fallback_slider,
    fallback_html,
    p_fallback_slider,
    scene_frames,
)
from .frontend import Explorer, choice_slider, p_slider, seed_box, toggle_buttons
from .scene import FigureScene

__all__ = [
    "WIDTHS",
    "PHASES",
    "TRAINING_EPOCHS",
    "ENUMERATION_LIMIT",
    "INVERTED_STRETCHES",
    "HiddenLayer",
    "trained_hidden_layer",
    "ActivationData",
    "axis_stretch",
    "activation_data",
    "activation_histogram",
    "activation_frame_key",
    "activation_frame",
    "activation_artists",
    "activation_figure",
    "activation_alt_text",
    "activation_explorer",
]

#: Hidden-layer widths of the digits networks the explorer offers.
WIDTHS = (1, 2, 4, 8, 16, 32, 64)
#: The phase whose next-layer input is highlighted.
PHASES = ("training", "evaluation")
#: Epochs of plain SGD for the explorer's digits networks (no dropout while training).
TRAINING_EPOCHS = 20
#: Above this width the exact moments are not also enumerated over 2**width masks.
ENUMERATION_LIMIT = 12
#: Stretch factors of the activation axis in inverted mode, for 1 / (1 - p) up to 20.
INVERTED_STRETCHES = (1.25, 2.5, 5.0, 10.0, 20.0)

_SHARE_FLOOR = 1e-4  # the log axes of shares start at 1 in 10 000
_SHARE_TICKS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
_Z_LINE_TOP = 0.68  # top of the evaluation line in panel (d), in axes coordinates


# --------------------------------------------------------------------------
# The network behind the explorer
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class HiddenLayer:
    """A trained ReLU hidden layer of a digits network and the layer after it.

    Attributes
    ----------
    activations : ndarray of float64, shape (n_examples, width)
        ReLU outputs of the hidden layer on the test digits (no dropout).
    next_weights : ndarray of float64, shape (width, 10)
        Weights of the output layer, which reads the hidden layer.
    next_bias : ndarray of float64, shape (10,)
    labels : ndarray of int, shape (n_examples,)
        True digit of each test example.
    """

    activations: np.ndarray
    next_weights: np.ndarray
    next_bias: np.ndarray
    labels: np.ndarray


@lru_cache(maxsize=len(WIDTHS) * 2)
def trained_hidden_layer(width, seed=0) -> HiddenLayer:
    """Train a 64-``width``-10 ReLU network on the digits and return its hidden layer.

    This is the single place where the activation explorer gets its network:
    a :class:`dropout_lib.mlp.MLP` trained without dropout on a seeded split of
    scikit-learn's digits (:func:`dropout_lib.data.digits_split`). Trained
    networks are cached per ``(width, seed)``, so moving a slider back to a
    width seen before costs nothing.

    Parameters
    ----------
    width : int >= 1
        Number of hidden units.
    seed : int >= 0
        Seed of the split and of the weight initialisation.

    Returns
    -------
    HiddenLayer
        Read-only arrays: the layer's activations on the test digits and the
        output layer's weights and bias.
    """
    width = check_int(width, "width", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    split = digits_split(seed=seed)
    net = MLP((N_PIXELS, width, N_CLASSES), seed=seed)
    net.fit(split.X_train, split.y_train, epochs=TRAINING_EPOCHS)
    layer = HiddenLayer(
        activations=net.hidden_activations(split.X_test)[0].astype(np.float64),
        next_weights=net.weights[1].astype(np.float64),
        next_bias=net.biases[1].astype(np.float64),
        labels=np.array(split.y_test),
    )
    for array in (layer.activations, layer.next_weights, layer.next_bias, layer.labels):
        array.setflags(write=False)
    return layer


# --------------------------------------------------------------------------
# The data of one setting of the controls
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivationData:
    """Everything the activation-distribution figure shows, for one setting of the controls.

    Attributes
    ----------
    p, mode, phase, width, seed :
        The controls. ``p`` is the drop probability.
    before : ndarray, shape (n_examples, width)
        The hidden layer's ReLU activations on the test digits, before dropout.
    training : ndarray, shape (n_examples, width)
        After dropout in training, one fresh mask per example.
    evaluation : ndarray, shape (n_examples, width)
        After the dropout layer at evaluation: ``keep * before`` (standard) or
        ``before`` (inverted).
    mask : ndarray of bool, shape (n_examples, width)
        The keep-mask behind ``training``.
    edges : ndarray, shape (n_bins + 1,)
        Histogram bin edges over the positive activations, shared by all panels.
        They reach ``max(before)`` times a stretch factor that changes only at a
        few values of ``p`` (see :func:`axis_stretch`), so the axes stay put while
        a slider moves.
    counts_before, counts_training, counts_evaluation : ndarray, shape (n_bins,)
        Share of all activations (zeros included in the total) in each bin of
        positive values.
    zeros_before, zeros_training, zeros_evaluation : float
        Share of activations that are exactly zero.
    dropped_share : float
        Share of units the mask dropped; about ``p``.
    example, unit : int
        The test example and the output unit (its true digit) whose
        pre-activation ``z`` is shown in the last panel.
    z_training : ndarray, shape (n_masks,)
        ``z = b + sum_i w_i * (dropped hidden)_i`` over ``n_masks`` training masks.
    z_evaluation : float
        ``z`` at evaluation (deterministic).
    z_edges : ndarray, shape (41,)
        Bin edges for ``z``: the mean plus or minus four standard deviations at
        the largest ``p`` of the current stretch step, within the range of
        values ``z`` can take.
    z_counts : ndarray, shape (40,)
        Share of the ``z_training`` values in each bin (values outside the
        edges are counted in the end bins).
    z_samples : ndarray, shape (n_masks,)
        ``z`` in the selected phase: ``z_training``, or ``z_evaluation`` repeated.
    empirical_mean, empirical_var : float
        Mean and variance (``ddof=1``) of ``z_training``.
    exact_mean, exact_var : float
        From :func:`dropout_lib.linear_unit_moments` (the bias added to the mean).
    enumerated_mean, enumerated_var : float or None
        The same by enumerating all ``2**width`` masks
        (:func:`dropout_lib.exact_moments`), for ``width <= 12``.
    """

    p: float
    mode: str
    phase: str
    width: int
    seed: int
    before: np.ndarray
    training: np.ndarray
    evaluation: np.ndarray
    mask: np.ndarray
    edges: np.ndarray
    counts_before: np.ndarray
    counts_training: np.ndarray
    counts_evaluation: np.ndarray
    zeros_before: float
    zeros_training: float
    zeros_evaluation: float
    dropped_share: float
    example: int
    unit: int
    z_training: np.ndarray
    z_evaluation: float
    z_edges: np.ndarray
    z_counts: np.ndarray
    z_samples: np.ndarray
    empirical_mean: float
    empirical_var: float
    exact_mean: float
    exact_var: float
    enumerated_mean: float | None
    enumerated_var: float | None

    @property
    def keep(self) -> float:
        """The keep probability ``1 - p``."""
        return 1.0 - self.p


def axis_stretch(p, mode) -> float:
    """How far the activation axis reaches, as a multiple of the largest activation.

    Inverted dropout stretches kept activations by ``1 / (1 - p)``. The axis
    takes the smallest of :data:`INVERTED_STRETCHES` that holds the stretch,
    so it changes at only five values of ``p``. Standard dropout never
    stretches, so its axis is fixed at 1.05.
    """
    if mode == "standard":
        return 1.05
    keep = 1.0 - p
    for stretch in INVERTED_STRETCHES:
        if stretch * keep >= 1.0 - 1e-9:
            return stretch
    return INVERTED_STRETCHES[-1]


def _stretch_p_range(stretch, mode):
    """The drop probabilities that share one axis stretch: ``(low, high)``."""
    if mode == "standard":
        return 0.0, P_MAX
    index = INVERTED_STRETCHES.index(stretch)
    low = 0.0 if index == 0 else 1.0 - 1.0 / INVERTED_STRETCHES[index - 1]
    return low, min(1.0 - 1.0 / stretch, P_MAX)


def _z_edges(terms, bias, p, mode, n_bins=40):
    """Bin edges of z that stay the same for every p of one axis stretch."""
    stretch = axis_stretch(p, mode)
    low_p, high_p = _stretch_p_range(stretch, mode)
    total, squares = float(terms.sum()), float((terms**2).sum())
    scale = stretch if mode == "inverted" else 1.0
    lowest = bias + scale * float(terms[terms < 0].sum())
    highest = bias + scale * float(terms[terms > 0].sum())
    if mode == "inverted":
        means = [bias + total]
        spread = 4.0 * np.sqrt(high_p / (1.0 - high_p) * squares)
    else:
        means = [bias + total, bias + (1.0 - P_MAX) * total]
        spread = 4.0 * np.sqrt(0.25 * squares)
    low = max(
        min(means) - spread,
        lowest,
    )
    high = min(max(means) + spread, highest)
    low, high = min(low, bias, min(means)), max(high, bias, max(means))
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, n_bins + 1)


def _shares(values, edges):
    """Share of exact zeros, and share of all values in each positive bin."""
    flat = values.ravel()
    total = max(flat.size, 1)
    positive = flat[flat > 0]
    counts, _ = np.histogram(positive, bins=edges)
    return float(np.count_nonzero(flat == 0) / total), counts / total


def activation_data(
    p=0.5, mode="inverted", phase="training", width=32, seed=0, *, n_masks=4000, n_bins=30
) -> ActivationData:
    """Compute the activation explorer's data for one setting of its controls.

    Parameters
    ----------
    p : float in [0, 1]
        Drop probability of the hidden units.
    mode : {"standard", "inverted"}
        Standard dropout scales by ``keep = 1 - p`` at evaluation; inverted
        dropout divides the kept units by ``keep`` in training.
    phase : {"training", "evaluation"}
        Which phase's ``z`` goes into ``z_samples`` (and is highlighted).
    width : int >= 1
        Hidden units of the digits network (see :func:`trained_hidden_layer`).
    seed : int >= 0
        Seed of the network, of the data split and of the masks.
    n_masks : int >= 2
        Number of masks over which ``z`` is sampled.
    n_bins : int >= 1
        Histogram bins over the positive activations.

    Returns
    -------
    ActivationData
    """
    p = check_p(p)
    check_choice(mode, "mode", MODES)
    check_choice(phase, "phase", PHASES)
    width = check_int(width, "width", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    n_masks = check_int(n_masks, "n_masks", minimum=2)
    n_bins = check_int(n_bins, "n_bins", minimum=1)
    inverted = mode == "inverted"
    layer = trained_hidden_layer(width, seed)
    before = layer.activations
    rng = np.random.default_rng([seed, 4])
    mask = sample_mask(before.shape, p, rng)
    training = apply_mask(before, mask, p, inverted=inverted)
    evaluation = dropout(before, p, training=False, inverted=inverted)

    top = float(before.max()) if before.max() > 0 else 1.0
    edges = np.linspace(0.0, top * axis_stretch(p, mode), n_bins + 1)
    zeros_before, counts_before = _shares(before, edges)
    zeros_training, counts_training = _shares(training, edges)
    zeros_evaluation, counts_evaluation = _shares(evaluation, edges)

    # The next layer's pre-activation for one example: the output unit of its true digit.
    example = 0
    unit = int(layer.labels[example])
    h = before[example]
    w = layer.next_weights[:, unit]
    b = float(layer.next_bias[unit])
    z_masks = sample_mask((n_masks, width), p, rng)
    dropped = apply_mask(np.broadcast_to(h, (n_masks, width)), z_masks, p, inverted=inverted)
    z_training = dropped @ w + b
    z_evaluation = float(dropout(h, p, training=False, inverted=inverted) @ w + b)
    mean, var = linear_unit_moments(w, h, p, inverted=inverted)
    if width <= ENUMERATION_LIMIT:
        enum_mean, enum_var = exact_moments(w, h, p, inverted=inverted)
        enum_mean += b
    else:
        enum_mean = enum_var = None
    z_edges = _z_edges(w * h, b, p, mode)
    z_counts, _ = np.histogram(np.clip(z_training, z_edges[0], z_edges[-1]), bins=z_edges)
    z_samples = z_training if phase == "training" else np.full(n_masks, z_evaluation)
    return ActivationData(
        p=p,
        mode=mode,
        phase=phase,
        width=width,
        seed=seed,
        before=before,
        training=training,
        evaluation=evaluation,
        mask=mask,
        edges=edges,
        counts_before=counts_before,
        counts_training=counts_training,
        counts_evaluation=counts_evaluation,
        zeros_before=zeros_before,
        zeros_training=zeros_training,
        zeros_evaluation=zeros_evaluation,
        dropped_share=float(1.0 - mask.mean()),
        example=example,
        unit=unit,
        z_training=z_training,
        z_evaluation=z_evaluation,
        z_edges=z_edges,
        z_counts=z_counts / n_masks,
        z_samples=z_samples,
        empirical_mean=float(z_training.mean()),
        empirical_var=float(z_training.var(ddof=1)),
        exact_mean=mean + b,
        exact_var=var,
        enumerated_mean=enum_mean,
        enumerated_var=enum_var,
    )


# --------------------------------------------------------------------------
# The figure
# --------------------------------------------------------------------------


def _percent(share):
    """``0.1234`` -> ``"12.3%"``."""
    return f"{100 * share:.1f}%"


def _share_axis(ax, label, *, top=4.0):
    """A log axis of shares from 0.01% to ``top`` (headroom above 100% for the numbers)."""
    from matplotlib.ticker import FixedLocator, NullLocator

    ax.set_yscale("log")
    ax.set_ylim(_SHARE_FLOOR, top)  # headroom above 100% for the numbers
    ax.yaxis.set_major_locator(FixedLocator(_SHARE_TICKS))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_yticklabels(["0.01%", "0.1%", "1%", "10%", "100%"])
    ax.set_ylabel(label, fontsize=8)
    ax.tick_params(labelsize=7)


def activation_histogram(ax, edges, shares, zero_share, *, hatch="//"):
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

    Returns
    -------
    ax : the Axes drawn on
    """
    width = edges[1] - edges[0]
    add_stairs(
        ax,
        np.maximum(shares, _SHARE_FLOOR),
        edges,
        baseline=_SHARE_FLOOR,
        fill=True,
        facecolor=palette.FILL,
        edgecolor=palette.KEPT,
        hatch=hatch,
    )
    add_bar(
        ax,
        -0.5 * width,
        max(zero_share, _SHARE_FLOOR) - _SHARE_FLOOR,
        width,
        bottom=_SHARE_FLOOR,
        facecolor=palette.ZERO_FILL,
        hatch="xx",
        edgecolor="white",
    )
    ax.text(
        0.97, 0.95, _percent(zero_share), transform=ax.transAxes, ha="right", va="top", fontsize=8
    )
    return ax


def _reference_outline(ax, edges, shares, zero_share):
    """The histogram before dropout as a dashed outline, zeros included."""
    width = edges[1] - edges[0]
    add_stairs(
        ax,
        np.r_[max(zero_share, _SHARE_FLOOR), np.maximum(shares, _SHARE_FLOOR)],
        np.r_[-width, edges],
        baseline=None,
        fill=False,
        edgecolor=palette.INK,
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

    fig, axes = fixed_figure(
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
        ax.set_xticks(nice_ticks(0.0, data.edges[-1]))
        ax.set_xlabel("activation value", fontsize=8)
        ax.text(0.80, 0.95, "zeros:", transform=ax.transAxes, ha="right", va="top", fontsize=8)
    activation_histogram(axes[0, 0], data.edges, data.counts_before, data.zeros_before, hatch="")
    for ax in (axes[0, 1], axes[1, 0]):
        _reference_outline(ax, data.edges, data.counts_before, data.zeros_before)
    panel_title(axes[0, 0], "(a) before dropout")
    panel_title(
        axes[0, 1],
        "(b) training" + (" (current phase)" if training_now else ""),
        current=training_now,
    )
    panel_title(
        axes[1, 0],
        "(c) evaluation" + ("" if training_now else " (current phase)"),
        current=not training_now,
    )
    axes[0, 0].legend(
        handles=[
            Patch(facecolor=palette.FILL, edgecolor=palette.KEPT, label="positive activations"),
            Patch(facecolor=palette.ZERO_FILL, edgecolor="white", hatch="xx", label="exactly zero"),
            Line2D([], [], color=palette.INK, linestyle="--", label="before dropout, in (b), (c)"),
        ],
        fontsize=7,
        # Under the zeros' share, above the bars (which fall to the right).
        loc="upper right",
        bbox_to_anchor=(1.0, 0.88),
        frameon=False,
    )
    current = axes[0, 1] if training_now else axes[1, 0]
    for spine in current.spines.values():
        spine.set_linewidth(2.5)
        spine.set_edgecolor(palette.EMPHASIS)

    ax = axes[1, 1]
    _share_axis(ax, "share of masks", top=40.0)
    ax.set_xlim(data.z_edges[0], data.z_edges[-1])
    ax.set_xticks(nice_ticks(data.z_edges[0], data.z_edges[-1]))
    ax.set_xlabel(f"next layer's input z (output unit of digit {data.unit})", fontsize=8)
    panel_title(ax, "(d) next layer's input: training vs evaluation")
    ax.legend(
        handles=[
            Patch(
                facecolor=palette.FILL_2 if training_now else "none",
                edgecolor=palette.EMPHASIS,
                hatch="..",
                linestyle="-" if training_now else ":",
                label=f"training, {len(data.z_training)} masks",
            ),
            Line2D([], [], color=palette.INK, linestyle="--", linewidth=2.0, label="evaluation"),
            Line2D([], [], color=palette.EMPHASIS, marker="v", label="training mean"),
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
    add_stairs(
        ax,
        np.maximum(data.z_counts, _SHARE_FLOOR),
        data.z_edges,
        baseline=_SHARE_FLOOR,
        fill=training_now,
        facecolor=palette.FILL_2,
        edgecolor=palette.EMPHASIS,
        hatch="..",
        linestyle="-" if training_now else ":",
    )
    # The line stops below the legend and the numbers at the top of the panel,
    # so that it never runs through them, wherever the evaluation value lies.
    ax.axvline(
        data.z_evaluation,
        ymax=_Z_LINE_TOP,
        color=palette.INK,
        linestyle="--",
        linewidth=1.5 if training_now else 3.0,
    )
    ax.plot(
        [data.empirical_mean] * 2,
        [_SHARE_FLOOR, 0.2],
        color=palette.EMPHASIS,
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
    p_heading(fig, data.p)
    return fig


def activation_figure(data):
    """The activation explorer's figure: three histograms and the next layer's input.

    Parameters
    ----------
    data : ActivationData

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


# --------------------------------------------------------------------------
# The live explorer and its static fallback
# --------------------------------------------------------------------------


def _activation_scene():
    return FigureScene(activation_frame_key, activation_frame, activation_artists)


def _activation_fallback(scene, p, mode, width, seed):
    # Drawing the fallback through the live explorer's scene leaves its frame
    # cache warm, so the first drag after the explorer is shown draws no new frame.
    datas = [activation_data(q, m, "training", width, seed) for q in FALLBACK_PS for m in MODES]
    return fallback_html(
        scene_frames(scene, datas, activation_alt_text),
        [
            p_fallback_slider(FALLBACK_PS, p),
            choice_fallback_slider("mode", "dropout mode", MODES, mode),
        ],
        title=f"Activation distributions of a {width}-unit ReLU layer, training phase",
        name="activations",
    )


def activation_explorer(p=0.5, mode="inverted", phase="training", width=32, seed=0) -> Explorer:
    """The live activation-distribution explorer (see :func:`activation_data`).

    Its controls are named after :func:`activation_data`'s arguments; the
    static fallback scrubs over :data:`~dropout_lib.widgets.fallback.FALLBACK_PS`
    and both modes, in the training phase, at the ``width`` and ``seed`` shown.
    """
    controls = {
        "p": p_slider(p),
        "mode": toggle_buttons(MODES, mode, "mode"),
        "phase": toggle_buttons(PHASES, phase, "phase"),
        "width": choice_slider(WIDTHS, width, "hidden units"),
        "seed": seed_box(seed),
    }
    scene = _activation_scene()
    return Explorer(
        activation_data,
        scene,
        controls,
        lambda: _activation_fallback(
            scene,
            controls["p"].value,
            controls["mode"].value,
            controls["width"].value,
            controls["seed"].value,
        ),
    )
