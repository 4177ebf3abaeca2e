"""Interactive explorers: vary the drop probability ``p`` and watch what dropout does.

Each explorer is three layers, so that the logic can be tested without a kernel:

1. a pure **compute** function, controls -> data (a frozen dataclass);
2. a pure **plot** function in :mod:`dropout_lib.plots`, data -> matplotlib ``Figure``;
3. an ipywidgets **front end**, :class:`Explorer`, that recomputes and redraws in
   place when a control changes. It keeps ``.data`` and ``.figure`` of what is on
   screen, so a test can set ``explorer.controls["p"].value = 0.3`` and then
   assert on ``explorer.data``.

Displayed in Jupyter, an explorer is the live widget. Its mimebundle also
carries ``text/html``: a static fallback of frames precomputed over a grid of
``p`` (and the dropout mode where it matters), switched by an inline-JavaScript
slider, which is what the rendered book shows (see ``nb_mime_priority_overrides``
in ``_config.yml``).

The three explorers are :func:`activation_explorer`, :func:`mask_state_explorer`
and :func:`ensemble_explorer`. Throughout, ``p`` is the probability of
**dropping** a unit and ``keep = 1 - p``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import numbers
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import plots
from ._checks import as_generator, check_p
from .data import N_CLASSES, N_PIXELS, digits_split
from .layers import apply_mask, dropout
from .masks import (
    count_subnetworks,
    expected_distinct_subnetworks,
    network_masks,
    sample_mask,
)
from .mlp import MLP
from .moments import exact_moments, linear_unit_moments

__all__ = [
    "ActivationData",
    "MaskStateData",
    "EnsembleData",
    "Explorer",
    "activation_data",
    "mask_state_data",
    "ensemble_data",
    "activation_explorer",
    "mask_state_explorer",
    "ensemble_explorer",
    "fallback_html",
    "scene_frames",
    "FigureScene",
    "axis_stretch",
    "figure_png",
    "trained_hidden_layer",
    "P_MAX",
    "WIDTHS",
    "NETWORKS",
]

#: Largest drop probability the sliders offer: at p = 1 nothing is left to look at.
P_MAX = 0.95
#: Hidden-layer widths of the digits networks the activation explorer offers.
WIDTHS = (1, 2, 4, 8, 16, 32, 64)
#: Small networks of the ensemble explorer, by name.
NETWORKS = {"3-4-2": (3, 4, 2), "4-5-3": (4, 5, 3), "5-6-3": (5, 6, 3)}
#: Resolution of the static fallbacks' frames (the live pictures use 72 too).
FALLBACK_DPI = 72
#: Grid of p for the static fallbacks: steps of 0.1, then the slider's end.
FALLBACK_PS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
#: Epochs of plain SGD for the explorer's digits networks (no dropout while training).
TRAINING_EPOCHS = 20
#: Above this width the exact moments are not also enumerated over 2**width masks.
ENUMERATION_LIMIT = 12

MODES = ("standard", "inverted")
PHASES = ("training", "evaluation")


def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, but got {name}={value!r}")
    return value


def _check_int(value, name, *, minimum, maximum=None):
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an int, but got {value!r} of type {type(value).__name__}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise ValueError(f"{name} must be at least {minimum}{upper}, but got {name}={value}")
    return int(value)


# --------------------------------------------------------------------------
# The network behind the activation explorer
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
    """
    width = _check_int(width, "width", minimum=1)
    seed = _check_int(seed, "seed", minimum=0)
    split = digits_split(seed=seed)
    net = MLP((N_PIXELS, width, N_CLASSES), seed=seed)
    net.fit(split.X_train, split.y_train, epochs=TRAINING_EPOCHS)
    layer = HiddenLayer(
        activations=net.hidden_activations(split.X_test)[0].astype(np.float64),
        next_weights=net.weights[1].astype(np.float64),
        next_bias=net.biases[1].astype(np.float64),
        labels=np.asarray(split.y_test),
    )
    for array in (layer.activations, layer.next_weights, layer.next_bias, layer.labels):
        array.setflags(write=False)
    return layer


# --------------------------------------------------------------------------
# Explorer 1: activation distributions
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


#: Stretch factors of the activation axis in inverted mode, for 1 / (1 - p) up to 20.
INVERTED_STRETCHES = (1.25, 2.5, 5.0, 10.0, 20.0)


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
    n_masks : int
        Number of masks over which ``z`` is sampled.
    n_bins : int
        Histogram bins over the positive activations.

    Returns
    -------
    ActivationData
    """
    p = check_p(p)
    _check_choice(mode, "mode", MODES)
    _check_choice(phase, "phase", PHASES)
    width = _check_int(width, "width", minimum=1)
    seed = _check_int(seed, "seed", minimum=0)
    n_masks = _check_int(n_masks, "n_masks", minimum=2)
    n_bins = _check_int(n_bins, "n_bins", minimum=1)
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
# Explorer 2: the four mask states of the two-input unit
# --------------------------------------------------------------------------

#: The two-input example of the book: w = (2, -1), x = (1.5, 1).
TWO_INPUT_W = (2.0, -1.0)
TWO_INPUT_X = (1.5, 1.0)


@dataclass(frozen=True)
class MaskStateData:
    """The four mask states of ``z = m1 w1 x1 + m2 w2 x2`` at one ``p``.

    Attributes
    ----------
    p, mode : the controls.
    w, x : tuple of float, length 2
    masks : list of tuple of int
        The states, ``(m1, m2)`` with 1 = kept, ordered (0,0), (1,0), (0,1), (1,1).
    labels : list of str
        Plain-word names of the states.
    probabilities : ndarray, shape (4,)
        ``P(state)``, a product of ``keep`` and ``p`` factors.
    values : ndarray, shape (4,)
        ``z`` in each state (divided by ``keep`` in inverted mode).
    contributions : ndarray, shape (4,)
        ``P(state) * z(state)``; they add up to ``expected``.
    expected, variance : float
        ``E[z]`` and ``Var[z]`` over the four states.
    evaluation : float
        ``z`` at evaluation: ``keep * (w . x)`` (standard) or ``w . x`` (inverted).
    contribution_range : (float, float)
        Smallest and largest contribution over ``p_grid`` (fixes the axis).
    p_grid, expected_curve, variance_curve : ndarray, shape (n,)
        ``E[z]`` and ``Var[z]`` along a grid of ``p`` in [0, P_MAX], for the
        curve the current point moves along.
    """

    p: float
    mode: str
    w: tuple
    x: tuple
    masks: list
    labels: list
    probabilities: np.ndarray
    values: np.ndarray
    contributions: np.ndarray
    expected: float
    variance: float
    evaluation: float
    contribution_range: tuple
    p_grid: np.ndarray
    expected_curve: np.ndarray
    variance_curve: np.ndarray


@lru_cache(maxsize=2)
def _mask_state_functions(inverted):
    """Numeric functions of ``(p, w1, w2, x1, x2)`` from the symbolic mask states."""
    import sympy as sp

    from . import symbolic

    rows = symbolic.mask_states(2, inverted=inverted)
    w, x = symbolic.weights_and_inputs(2)
    args = (symbolic.p, *w, *x)
    masks = [mask for mask, _, _ in rows]
    prob = sp.lambdify(args, [prob for _, prob, _ in rows], "numpy")
    value = sp.lambdify(args, [z for _, _, z in rows], "numpy")
    return masks, prob, value


def _state_label(mask):
    kept = [f"x{i + 1}" for i, bit in enumerate(mask) if bit]
    if not kept:
        return "both dropped"
    if len(kept) == len(mask):
        return "both kept"
    return f"only {kept[0]} kept"


def mask_state_data(p=0.4, mode="standard", *, w=TWO_INPUT_W, x=TWO_INPUT_X) -> MaskStateData:
    """Compute the mask-state explorer's data.

    The probabilities and values come from the symbolic enumeration in
    :func:`dropout_lib.symbolic.mask_states`, evaluated at the numbers.

    Parameters
    ----------
    p : float in [0, P_MAX]
        Drop probability of each input.
    mode : {"standard", "inverted"}
    w, x : pair of float
        Weights and inputs of the two-input unit; the book's example by default.
    """
    p = check_p(p)
    _check_choice(mode, "mode", MODES)
    inverted = mode == "inverted"
    if inverted and p == 1.0:
        raise ValueError("p must be below 1 in inverted mode (the kept units are divided by 1 - p)")
    w = tuple(float(v) for v in w)
    x = tuple(float(v) for v in x)
    if len(w) != 2 or len(x) != 2:
        raise ValueError(f"w and x must have two entries each, but got w={w} and x={x}")
    masks, prob_fn, value_fn = _mask_state_functions(inverted)
    probabilities = np.array(prob_fn(p, *w, *x), dtype=np.float64)
    values = np.array(value_fn(p, *w, *x), dtype=np.float64)
    contributions = probabilities * values
    expected = float(contributions.sum())
    variance = float(probabilities @ (values - expected) ** 2)
    dot = w[0] * x[0] + w[1] * x[1]
    evaluation = dot if inverted else (1.0 - p) * dot
    p_grid = np.linspace(0.0, P_MAX, 96)
    curve = np.array([linear_unit_moments(w, x, q, inverted=inverted) for q in p_grid])
    grid_contributions = [
        np.broadcast_to(prob * value, p_grid.shape)
        for prob, value in zip(prob_fn(p_grid, *w, *x), value_fn(p_grid, *w, *x))
    ]
    contribution_range = (
        min(0.0, float(np.min(grid_contributions)), float(curve[:, 0].min())),
        max(0.0, float(np.max(grid_contributions)), float(curve[:, 0].max()), dot),
    )
    return MaskStateData(
        p=p,
        mode=mode,
        w=w,
        x=x,
        masks=masks,
        labels=[_state_label(m) for m in masks],
        probabilities=probabilities,
        values=values,
        contributions=contributions,
        expected=expected,
        variance=variance,
        evaluation=evaluation,
        contribution_range=contribution_range,
        p_grid=p_grid,
        expected_curve=curve[:, 0],
        variance_curve=curve[:, 1],
    )


# --------------------------------------------------------------------------
# Explorer 3: the ensemble of subnetworks
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class EnsembleData:
    """Sampled subnetworks and how many distinct ones training visits.

    Attributes
    ----------
    p, network, steps, seed : the controls.
    layer_sizes : tuple of int
    shown : list of list of ndarray of bool
        The masks of the first ``n_shown`` training steps, one keep-mask per layer.
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


def ensemble_data(p=0.5, network="4-5-3", steps=100, seed=0, *, n_shown=3) -> EnsembleData:
    """Sample one mask per training step and count the distinct subnetworks visited.

    Input and hidden units are dropped with probability ``p``; output units
    never are. The first ``n_shown`` steps are drawn as diagrams.

    Parameters
    ----------
    p : float in [0, 1]
    network : str, a key of :data:`NETWORKS`
    steps : int >= n_shown
        Training steps, one mask each.
    seed : int >= 0
    n_shown : int >= 1
    """
    p = check_p(p)
    _check_choice(network, "network", NETWORKS)
    n_shown = _check_int(n_shown, "n_shown", minimum=1)
    steps = _check_int(steps, "steps", minimum=n_shown)
    seed = _check_int(seed, "seed", minimum=0)
    sizes = NETWORKS[network]
    rng = as_generator(seed)
    shown = [network_masks(sizes, p, rng) for _ in range(n_shown)]
    droppable = sum(sizes[:-1])
    first = np.array([np.concatenate(masks[:-1]) for masks in shown])
    rest = sample_mask((steps - n_shown, droppable), p, rng)
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
# Rendering and the static fallback
# --------------------------------------------------------------------------


def _encode_png(rgba, *, palette=False) -> bytes:
    from PIL import Image

    image = Image.fromarray(np.asarray(rgba)).convert("RGB")
    buffer = io.BytesIO()
    if palette:
        image = image.quantize(
            colors=32, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
        image.save(buffer, format="png", compress_level=9)
    else:
        # Level 1 compresses a plot almost as well as the default and is several times faster.
        image.save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def figure_png(fig, *, dpi=72, palette=False) -> bytes:
    """Render a ``Figure`` to PNG bytes without pyplot.

    Parameters
    ----------
    fig : matplotlib Figure
    dpi : float
    palette : bool
        Quantise to 32 colours: about three times smaller, for the static fallback.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    canvas.draw()
    return _encode_png(canvas.buffer_rgba(), palette=palette)


def _artist_snapshot(fig):
    """Ids of every artist the explorers' ``*_artists`` functions can add."""
    found = {id(a) for a in fig.texts}
    for ax in fig.axes:
        found.update(id(a) for a in ax.get_children())
    return found


class FigureScene:
    """Redraw a figure made of a static frame and moving artists, fast.

    The frame (axes, ticks, labels, legends: most of the drawing time) is
    rendered once per frame key and kept as a bitmap. An update pastes that
    bitmap back and draws only the new artists on top ("blitting"). Frames are
    cached by key, so sliding back and forth over ``p`` reuses them.

    Parameters
    ----------
    key : callable, data -> hashable
    frame : callable, data -> Figure (the static part)
    artists : callable, (Figure, data) -> Figure (adds the moving part)
    dpi : float
    cache_size : int
        Frames kept (a few MB each).
    """

    def __init__(self, key, frame, artists, *, dpi=72, cache_size=12):
        self._key, self._frame, self._artists = key, frame, artists
        self.dpi = dpi
        self.cache_size = cache_size
        self._cache = {}
        self.misses = 0

    def render(self, data, *, palette=False):
        """Return ``(figure, png_bytes)`` for ``data``: the frame plus the moving artists.

        ``palette=True`` makes a smaller 32-colour PNG (slower), for the static fallback.
        """
        fig, rgba = self.render_rgba(data)
        return fig, _encode_png(rgba, palette=palette)

    def render_rgba(self, data):
        """Return ``(figure, rgba)``: the figure and its pixels, shape (height, width, 4)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        key = self._key(data)
        entry = self._cache.pop(key, None)
        if entry is None:
            self.misses += 1
            fig = self._frame(data)
            fig.set_dpi(self.dpi)
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            entry = {"fig": fig, "canvas": canvas, "background": canvas.copy_from_bbox(fig.bbox)}
            entry["moving"] = []
        else:
            for artist in entry["moving"]:
                artist.remove()
        self._cache[key] = entry  # most recently used last
        while len(self._cache) > self.cache_size:
            self._cache.pop(next(iter(self._cache)))
        fig, canvas = entry["fig"], entry["canvas"]
        canvas.restore_region(entry["background"])
        before = _artist_snapshot(fig)
        self._artists(fig, data)
        moving = [a for a in fig.texts if id(a) not in before]
        for ax in fig.axes:
            moving += [a for a in ax.get_children() if id(a) not in before]
        renderer = canvas.get_renderer()
        for artist in sorted(moving, key=lambda a: a.get_zorder()):
            artist.draw(renderer)
        entry["moving"] = moving
        return fig, np.asarray(canvas.buffer_rgba())


class Explorer:
    """A live explorer: controls, and a picture redrawn in place when one changes.

    Parameters
    ----------
    compute : callable
        ``compute(**values) -> data``, pure.
    scene : FigureScene
        Turns data into the figure and its PNG (see :class:`FigureScene`).
    controls : dict of str -> ipywidgets widget
        Named after ``compute``'s arguments; their ``.value`` are passed to it.
    fallback : callable
        ``fallback() -> str``: the static HTML of :func:`fallback_html`.

    Attributes
    ----------
    data : the dataclass behind the current picture.
    figure : matplotlib Figure of the current picture.
    png : bytes, the PNG shown in ``image``.
    image : ipywidgets.Image
        The picture. Its value is replaced on every change, so there is one
        picture, never a stack of stale ones, and no pyplot state is involved.
    widget : ipywidgets.VBox, the controls above the picture.
    """

    def __init__(self, compute, scene, controls, fallback):
        import ipywidgets

        self._compute = compute
        self.scene = scene
        self._fallback = fallback
        self._fallback_html = None
        self.controls = dict(controls)
        self.image = ipywidgets.Image(format="png", layout={"max_width": "100%"})
        self.widget = ipywidgets.VBox(
            [
                ipywidgets.HBox(list(self.controls.values()), layout={"flex_flow": "row wrap"}),
                self.image,
            ]
        )
        self.data = None
        self.figure = None
        self.png = b""
        self.update()
        for control in self.controls.values():
            control.observe(self.update, names="value")

    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self, change=None):
        """Recompute the data, redraw the figure and show it (called on every control change)."""
        self.data = self._compute(**self.values())
        self.figure, self.png = self.scene.render(self.data)
        self.image.value = self.png

    def fallback_html(self) -> str:
        """The static fallback for the rendered book (computed once, then cached)."""
        if self._fallback_html is None:
            self._fallback_html = self._fallback()
        return self._fallback_html

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/html"] = self.fallback_html()
        return bundle


def _data_uri(png: bytes) -> str:
    """The PNG inlined as a data URI, so a frame needs no request at all.

    Base64 text has no colon, so it can never spell a URL scheme such as ``http:``.
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


_FALLBACK_SCRIPT = """(function () {
  var root = document.getElementById("%(id)s");
  if (!root) { return; }
  var sliders = root.querySelectorAll("input[type=range]");
  var frames = root.querySelectorAll("img.dlib-fallback-frame");
  var labels = %(labels)s;
  function show() {
    var index = 0;
    for (var i = 0; i < sliders.length; i++) {
      var value = parseInt(sliders[i].value, 10);
      index = index * labels[i].length + value;
      var text = labels[i][value];
      sliders[i].setAttribute("aria-valuetext", text);
      root.querySelector("output[for='" + sliders[i].id + "']").textContent = text;
    }
    for (var j = 0; j < frames.length; j++) {
      if (j === index) { frames[j].removeAttribute("hidden"); }
      else { frames[j].setAttribute("hidden", ""); }
    }
  }
  for (var k = 0; k < sliders.length; k++) {
    sliders[k].addEventListener("input", show);
    sliders[k].addEventListener("change", show);
  }
  show();
})();"""


def fallback_html(frames, sliders, *, title) -> str:
    """A self-contained HTML scrubber over precomputed frames.

    Parameters
    ----------
    frames : list of (png_bytes, alt_text)
        One frame per combination of slider positions, in row-major order (the
        last slider varies fastest).
    sliders : list of (label, value_labels, start_index)
        ``label`` names the control in plain words; ``value_labels`` is the text
        shown for each position (for example ``"p = 0.30"``).
    title : str
        Caption above the sliders.

    Returns
    -------
    str
        ``<div class="dlib-fallback">`` with one ``<input type="range">`` per
        slider (each labelled), one ``<img class="dlib-fallback-frame">`` per
        frame (all but one ``hidden``) and an inline script. It makes no
        external request.
    """
    expected = int(np.prod([len(values) for _, values, _ in sliders]))
    if len(frames) != expected:
        raise ValueError(f"frames has {len(frames)} entries, but the sliders need {expected}")
    uris = [_data_uri(png) for png, _ in frames]
    root_id = "dlib-fb-" + hashlib.sha1("".join(uris).encode()).hexdigest()[:12]
    start = 0
    for _, values, index in sliders:
        start = start * len(values) + index
    parts = [f'<div class="dlib-fallback" id="{root_id}">']
    parts.append(
        f'<p class="dlib-fallback-title"><strong>{html.escape(title)}</strong> '
        "(precomputed frames: move the sliders; run the notebook for the live explorer)</p>"
    )
    for number, (label, values, index) in enumerate(sliders):
        slider_id = f"{root_id}-s{number}"
        parts.append(
            '<div class="dlib-fallback-control">'
            f'<label for="{slider_id}">{html.escape(label)}</label> '
            f'<input type="range" id="{slider_id}" min="0" max="{len(values) - 1}" step="1" '
            f'value="{index}" aria-label="{html.escape(label)}" '
            f'aria-valuetext="{html.escape(values[index])}"> '
            f'<output for="{slider_id}">{html.escape(values[index])}</output></div>'
        )
    for number, ((_, alt), uri) in enumerate(zip(frames, uris)):
        hidden = "" if number == start else " hidden"
        parts.append(
            f'<img class="dlib-fallback-frame" alt="{html.escape(alt)}" '
            f'src="{uri}" style="max-width:100%;height:auto"{hidden}>'
        )
    labels = json.dumps([list(values) for _, values, _ in sliders])
    parts.append("<script>" + _FALLBACK_SCRIPT % {"id": root_id, "labels": labels} + "</script>")
    parts.append("</div>")
    return "\n".join(parts)


def _p_label(p):
    return f"p = {p:.2f}"


# --------------------------------------------------------------------------
# The live front end
# --------------------------------------------------------------------------


def _slider(description, value, **kwargs):
    import ipywidgets

    style = {"description_width": "initial"}
    return ipywidgets.FloatSlider(
        value=value, description=description, style=style, readout_format=".2f", **kwargs
    )


def scene_frames(scene, datas, alt_text):
    """Fallback frames ``(png, alt)`` for each data object, drawn through ``scene``.

    Going through a :class:`FigureScene` reuses each static frame across the
    grid of ``p``, which makes the fallback several times faster to build than
    drawing every figure from scratch; the PNGs use a 32-colour palette.
    """
    frames = []
    for data in datas:
        _, rgba = scene.render_rgba(data)
        frames.append((_encode_png(rgba, palette=True), alt_text(data)))
    return frames


def _activation_fallback(width, seed, dpi, scene=None):
    # Drawing the fallback through the live explorer's scene leaves its frame
    # cache warm, so the first drag after the explorer is shown draws no new frame.
    if scene is None or scene.dpi != dpi:
        scene = FigureScene(
            plots.activation_frame_key, plots.activation_frame, plots.activation_artists, dpi=dpi
        )
    datas = [
        activation_data(p, mode, "training", width, seed) for p in FALLBACK_PS for mode in MODES
    ]
    frames = scene_frames(scene, datas, plots.activation_alt_text)
    return fallback_html(
        frames,
        [
            ("drop probability p", [_p_label(p) for p in FALLBACK_PS], 5),
            ("dropout mode", list(MODES), 1),
        ],
        title=f"Activation distributions of a {width}-unit ReLU layer, training phase",
    )


def activation_explorer(p=0.5, mode="inverted", phase="training", width=32, seed=0, *, dpi=72):
    """The live activation-distribution explorer (see :func:`activation_data`)."""
    import ipywidgets

    style = {"description_width": "initial"}
    controls = {
        "p": _slider("drop probability p", p, min=0.0, max=P_MAX, step=0.05),
        "mode": ipywidgets.ToggleButtons(
            options=MODES, value=mode, description="mode", style=style
        ),
        "phase": ipywidgets.ToggleButtons(
            options=PHASES, value=phase, description="phase", style=style
        ),
        "width": ipywidgets.SelectionSlider(
            options=WIDTHS,
            value=width,
            description="hidden units",
            style=style,
            continuous_update=False,
        ),
        "seed": ipywidgets.BoundedIntText(
            value=seed, min=0, max=99, description="seed", style=style, layout={"width": "9em"}
        ),
    }
    scene = FigureScene(
        plots.activation_frame_key, plots.activation_frame, plots.activation_artists, dpi=dpi
    )
    return Explorer(
        activation_data,
        scene,
        controls,
        lambda: _activation_fallback(
            controls["width"].value, controls["seed"].value, FALLBACK_DPI, scene
        ),
    )


def _mask_state_fallback(dpi):
    scene = FigureScene(
        plots.mask_state_frame_key, plots.mask_state_frame, plots.mask_state_artists, dpi=dpi
    )
    datas = [mask_state_data(p, mode) for p in FALLBACK_PS for mode in MODES]
    frames = scene_frames(scene, datas, plots.mask_state_alt_text)
    return fallback_html(
        frames,
        [
            ("drop probability p", [_p_label(p) for p in FALLBACK_PS], 4),
            ("dropout mode", list(MODES), 0),
        ],
        title="The four mask states of z = w1 x1 + w2 x2",
    )


def mask_state_explorer(p=0.4, mode="standard", *, dpi=72):
    """The live mask-state explorer of the two-input unit (see :func:`mask_state_data`)."""
    import ipywidgets

    controls = {
        "p": _slider("drop probability p", p, min=0.0, max=P_MAX, step=0.05),
        "mode": ipywidgets.ToggleButtons(
            options=MODES, value=mode, description="mode", style={"description_width": "initial"}
        ),
    }
    scene = FigureScene(
        plots.mask_state_frame_key, plots.mask_state_frame, plots.mask_state_artists, dpi=dpi
    )
    return Explorer(mask_state_data, scene, controls, lambda: _mask_state_fallback(FALLBACK_DPI))


def _ensemble_fallback(network, steps, seed, dpi):
    scene = FigureScene(
        plots.ensemble_frame_key, plots.ensemble_frame, plots.ensemble_artists, dpi=dpi
    )
    datas = [ensemble_data(p, network, steps, seed) for p in FALLBACK_PS]
    frames = scene_frames(scene, datas, plots.ensemble_alt_text)
    return fallback_html(
        frames,
        [("drop probability p", [_p_label(p) for p in FALLBACK_PS], 5)],
        title=f"Subnetworks of the {network} network visited in {steps} training steps",
    )


STEP_CHOICES = (3, 10, 30, 100, 300, 1000, 3000, 10000)


def ensemble_explorer(p=0.5, network="4-5-3", steps=100, seed=0, *, dpi=72):
    """The live ensemble explorer (see :func:`ensemble_data`)."""
    import ipywidgets

    style = {"description_width": "initial"}
    # Moving p only redraws the diagrams over a cached frame (about 40 ms), so it
    # follows a drag. A new number of steps needs a new frame (axes, ticks), so
    # that slider redraws when it is released instead of queueing redraws.
    controls = {
        "p": _slider("drop probability p", p, min=0.0, max=P_MAX, step=0.05),
        "network": ipywidgets.Dropdown(
            options=list(NETWORKS), value=network, description="network", style=style
        ),
        "steps": ipywidgets.SelectionSlider(
            options=STEP_CHOICES,
            value=steps,
            description="training steps",
            style=style,
            continuous_update=False,
        ),
        "seed": ipywidgets.BoundedIntText(
            value=seed, min=0, max=99, description="seed", style=style, layout={"width": "9em"}
        ),
    }
    scene = FigureScene(
        plots.ensemble_frame_key, plots.ensemble_frame, plots.ensemble_artists, dpi=dpi
    )
    return Explorer(
        ensemble_data,
        scene,
        controls,
        lambda: _ensemble_fallback(
            controls["network"].value,
            controls["steps"].value,
            controls["seed"].value,
            FALLBACK_DPI,
        ),
    )


# --------------------------------------------------------------------------
# Explorer 4 (chapter 8, issue 8): a sigmoid unit's ensemble, NWGM and weight scaling
# --------------------------------------------------------------------------

#: Weights, base input and bias of the sigmoid unit of the nonlinear-unit explorer.
NONLINEAR_W = (0.75, -1.0, 0.5, 0.4, -0.3, 0.6)
NONLINEAR_X = (1.0, 0.6, 1.2, -0.8, 0.5, 0.9)
NONLINEAR_BIAS = -0.5
#: Input scales and drop probabilities of the static fallback (the live sliders are
#: continuous); 25 frames keep the chapter fast and the page small.
NONLINEAR_SCALES = (-3.0, -1.5, 0.0, 1.5, 3.0)
NONLINEAR_PS = (0.1, 0.3, 0.5, 0.7, 0.9)


@dataclass(frozen=True)
class NonlinearUnitData:
    """A sigmoid unit with dropout on its six inputs, at one setting of the controls.

    Attributes
    ----------
    p : float
        Drop probability of each input.
    scale : float
        The input is ``scale * NONLINEAR_X``.
    w, x : ndarray, shape (6,)
    ensemble : dropout_lib.nonlinear.SigmoidEnsemble
        All 64 subnetworks, the ensemble mean, the NWGM and ``sigmoid(E[S])``.
    """

    p: float
    scale: float
    w: np.ndarray
    x: np.ndarray
    ensemble: object


def nonlinear_unit_data(p=0.5, scale=1.0) -> NonlinearUnitData:
    """Enumerate the sigmoid unit of the nonlinear-unit explorer (see :class:`NonlinearUnitData`).

    Parameters
    ----------
    p : float in [0, 1]
        Drop probability of each input.
    scale : float
        Multiplies the base input ``NONLINEAR_X``.
    """
    from .nonlinear import sigmoid_ensemble

    p = check_p(p)
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real):
        raise TypeError(f"scale must be a real number, but got {scale!r}")
    w = np.array(NONLINEAR_W)
    x = float(scale) * np.array(NONLINEAR_X)
    return NonlinearUnitData(
        p=p, scale=float(scale), w=w, x=x, ensemble=sigmoid_ensemble(w, x, p, bias=NONLINEAR_BIAS)
    )


def _nonlinear_scene(dpi):
    from .plots_beyond import nonlinear_unit_artists, nonlinear_unit_frame

    # The frame does not depend on the controls: one key, drawn once, then blitted.
    return FigureScene(
        lambda data: "sigmoid unit", nonlinear_unit_frame, nonlinear_unit_artists, dpi=dpi
    )


def _nonlinear_fallback(dpi):
    from .plots_beyond import nonlinear_unit_alt_text

    scene = _nonlinear_scene(dpi)
    frames = []
    for p in NONLINEAR_PS:
        for scale in NONLINEAR_SCALES:
            data = nonlinear_unit_data(p, scale)
            fig, _ = scene.render(data)
            frames.append(
                (_encode_png(fig.canvas.buffer_rgba(), palette=True), nonlinear_unit_alt_text(data))
            )
    return fallback_html(
        frames,
        [
            ("drop probability p", [_p_label(p) for p in NONLINEAR_PS], 2),
            ("input scale", [f"scale = {s:+.1f}" for s in NONLINEAR_SCALES], 3),
        ],
        title="A sigmoid unit: ensemble mean, NWGM and weight-scaled output",
    )


def nonlinear_explorer(p=0.5, scale=1.5, *, dpi=72):
    """The live nonlinear-unit explorer (see :func:`nonlinear_unit_data`)."""
    controls = {
        "p": _slider("drop probability p", p, min=0.0, max=P_MAX, step=0.05),
        "scale": _slider("input scale", scale, min=-3.0, max=3.0, step=0.1),
    }
    return Explorer(
        nonlinear_unit_data,
        _nonlinear_scene(dpi),
        controls,
        lambda: _nonlinear_fallback(FALLBACK_DPI),
    )
