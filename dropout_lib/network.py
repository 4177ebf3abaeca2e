"""A small two-layer ReLU network, and the train and test steps of standard and inverted dropout.

The network is ``out = W2 · relu(W1 · x + b1) + b2`` with dropout on the hidden
layer only (the inputs and outputs are never dropped). ``p`` is the probability
of dropping a hidden unit and ``1 - p`` the probability of keeping it.

* Standard dropout: the training step zeroes dropped units and scales nothing;
  the test step multiplies the hidden activations by ``1 - p``.
* Inverted dropout: the training step divides the kept units by ``1 - p``; the
  test step is the plain network, with no ``p`` anywhere.

Every step is written with the core functions of :mod:`dropout_lib.layers`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ._checks import as_generator, as_real_array, check_int, check_mask, check_p
from .layers import Dropout, apply_mask, dropout
from .masks import MAX_ENUMERATED_UNITS, enumerate_masks

__all__ = [
    "TwoLayerNet",
    "make_network",
    "hidden_layer",
    "output_layer",
    "train_step",
    "test_step",
    "train_step_inverted",
    "test_step_inverted",
    "forward_with_mask",
    "outputs_over_all_masks",
    "fold_dropout_scale",
    "DropoutModel",
    "Timing",
    "inference_operations",
    "inference_timings",
]


@dataclass(frozen=True)
class TwoLayerNet:
    """Weights of ``out = W2 · relu(W1 · x + b1) + b2``.

    Attributes
    ----------
    W1 : ndarray of shape (n_hidden, n_in)
    b1 : ndarray of shape (n_hidden,)
    W2 : ndarray of shape (n_out, n_hidden)
    b2 : ndarray of shape (n_out,)
    """

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray

    @property
    def sizes(self) -> tuple[int, int, int]:
        """``(n_in, n_hidden, n_out)``."""
        return self.W1.shape[1], self.W1.shape[0], self.W2.shape[0]


def make_network(n_in=3, n_hidden=8, n_out=1, *, seed=0) -> TwoLayerNet:
    """A network with seeded random weights (He initialisation, small positive biases).

    Parameters
    ----------
    n_in, n_hidden, n_out : int >= 1
        Layer sizes.
    seed : int or numpy.random.Generator
        The same seed always gives the same weights.

    Returns
    -------
    net : TwoLayerNet
        float64 weights: ``W1`` of shape (n_hidden, n_in), ``W2`` of shape (n_out, n_hidden).
    """
    n_in = check_int(n_in, "n_in", minimum=1)
    n_hidden = check_int(n_hidden, "n_hidden", minimum=1)
    n_out = check_int(n_out, "n_out", minimum=1)
    rng = as_generator(seed, "seed")
    W1 = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_hidden, n_in))
    # Positive biases keep most hidden units active, so dropout has something to drop.
    b1 = np.full(n_hidden, 0.1)
    W2 = rng.normal(0.0, np.sqrt(2.0 / n_hidden), size=(n_out, n_hidden))
    b2 = np.zeros(n_out)
    return TwoLayerNet(W1, b1, W2, b2)


def _check_net(net) -> TwoLayerNet:
    if not isinstance(net, TwoLayerNet):
        raise TypeError(
            f"net must be a TwoLayerNet (see make_network), but got {net!r} of type "
            f"{type(net).__name__}"
        )
    return net


def _check_input(net, x, name: str = "x") -> np.ndarray:
    """``x`` (network input) or ``h1`` (hidden layer) as a real array of shape (width,) or
    (batch, width), where width is n_in or n_hidden: the network's own shape rule."""
    _check_net(net)
    width_name, width = ("n_in", net.W1.shape[1]) if name == "x" else ("n_hidden", net.W2.shape[1])
    x = as_real_array(x, name)
    if x.ndim not in (1, 2) or x.shape[-1] != width:
        raise ValueError(
            f"{name} must have shape ({width_name},) or (batch, {width_name}) with "
            f"{width_name}={width}, but got shape {x.shape}"
        )
    return x


def hidden_layer(net: TwoLayerNet, x) -> np.ndarray:
    """``relu(W1 · x + b1)`` for ``x`` of shape (n_in,) or (batch, n_in).

    Returns an array of shape (n_hidden,) or (batch, n_hidden).
    """
    x = _check_input(net, x)
    return np.maximum(0.0, x @ net.W1.T + net.b1)


def output_layer(net: TwoLayerNet, h1) -> np.ndarray:
    """``W2 · h1 + b2`` for ``h1`` of shape (n_hidden,) or (batch, n_hidden).

    Returns an array of shape (n_out,) or (batch, n_out).
    """
    h1 = _check_input(net, h1, "h1")
    return h1 @ net.W2.T + net.b2


def train_step(net: TwoLayerNet, x, p, rng=None) -> np.ndarray:
    """Standard dropout, training: drop hidden units, scale nothing.

    Parameters
    ----------
    net : TwoLayerNet
    x : array_like of shape (n_in,) or (batch, n_in)
    p : float in [0, 1]
        Probability of dropping each hidden unit.
    rng : numpy.random.Generator, int or None
        Source of the mask; a new mask on every call.

    Returns
    -------
    out : ndarray of shape (n_out,) or (batch, n_out)
    """
    h1 = hidden_layer(net, x)
    h1 = dropout(h1, p, training=True, inverted=False, rng=rng)
    return output_layer(net, h1)


def test_step(net: TwoLayerNet, x, p) -> np.ndarray:
    """Standard dropout, testing: keep every unit, multiply the hidden layer by ``1 - p``.

    The scaling makes each hidden unit's test value equal to its expected
    training value, ``(1 - p) * h``. Shapes as in :func:`train_step`.
    """
    h1 = hidden_layer(net, x)
    h1 = dropout(h1, p, training=False, inverted=False)
    return output_layer(net, h1)


def train_step_inverted(net: TwoLayerNet, x, p, rng=None) -> np.ndarray:
    """Inverted dropout, training: drop hidden units and divide the kept ones by ``1 - p``.

    Shapes as in :func:`train_step`.
    """
    h1 = hidden_layer(net, x)
    h1 = dropout(h1, p, training=True, inverted=True, rng=rng)
    return output_layer(net, h1)


def test_step_inverted(net: TwoLayerNet, x) -> np.ndarray:
    """Inverted dropout, testing: the plain network. It needs no ``p`` at all.

    Shapes as in :func:`train_step`.
    """
    return output_layer(net, hidden_layer(net, x))


def forward_with_mask(net: TwoLayerNet, x, mask, p, *, inverted) -> np.ndarray:
    """A training step with a *given* keep-mask on the hidden layer.

    Running standard and inverted dropout with the same mask shows that they
    differ only by the factor ``1 / (1 - p)`` on the hidden layer.

    Parameters
    ----------
    net : TwoLayerNet
    x : array_like of shape (n_in,) or (batch, n_in)
    mask : array_like of bool, shape (n_hidden,) or (batch, n_hidden)
        ``True`` where the hidden unit is kept.
    p : float in [0, 1]
        Drop probability the mask was drawn with.
    inverted : bool

    Returns
    -------
    out : ndarray of shape (n_out,) or (batch, n_out)
    """
    h1 = hidden_layer(net, x)
    mask = check_mask(mask, h1.shape, of="the hidden layer of x")
    return output_layer(net, apply_mask(h1, mask, p, inverted=inverted))


def outputs_over_all_masks(net: TwoLayerNet, x, p, *, inverted=False):
    """The training output for every hidden keep-mask, with the masks' probabilities.

    Parameters
    ----------
    net : TwoLayerNet
        At most ``MAX_ENUMERATED_UNITS`` hidden units (``2**n_hidden`` masks).
    x : array_like of shape (n_in,)
    p : float in [0, 1]
    inverted : bool

    Returns
    -------
    mean : ndarray of shape (n_out,)
        The exact expected training output, ``probs @ outputs``.
    probs : ndarray of shape (2**n_hidden,)
    outputs : ndarray of shape (2**n_hidden, n_out)
        ``outputs[i] = forward_with_mask(net, x, masks[i], p, inverted=inverted)``
        for the masks of :func:`dropout_lib.enumerate_masks`, in its order.
    """
    x = _check_input(net, x)
    if x.ndim != 1:
        raise ValueError(f"x must be a single input of shape (n_in,), but got shape {x.shape}")
    if net.sizes[1] > MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"net has {net.sizes[1]} hidden units, but at most {MAX_ENUMERATED_UNITS} can be "
            "enumerated (2**n_hidden masks)"
        )
    masks, probs = enumerate_masks(net.sizes[1], p)
    # Masks as rows make a batch: row i of the hidden layer gets mask i.
    batch = np.broadcast_to(x, (masks.shape[0], x.shape[0]))
    outputs = forward_with_mask(net, batch, masks, p, inverted=inverted)
    return probs @ outputs, probs, outputs


def fold_dropout_scale(net: TwoLayerNet, p) -> TwoLayerNet:
    """The test-time network of standard dropout with the ``1 - p`` folded into ``W2``.

    This is the paper's weight-scaling rule ``W_test = (1 - p) W`` in the book's
    notation (the paper writes ``p W`` with ``p`` the keep probability).
    ``test_step_inverted(fold_dropout_scale(net, p), x)`` equals
    ``test_step(net, x, p)``.

    Parameters
    ----------
    net : TwoLayerNet
        Not modified.
    p : float in [0, 1]
        Drop probability of the hidden layer.

    Returns
    -------
    folded : TwoLayerNet
        A new network whose ``W2`` is ``(1 - p) * net.W2``; the other arrays are shared.
    """
    net = _check_net(net)
    p = check_p(p)
    return TwoLayerNet(net.W1, net.b1, (1.0 - p) * net.W2, net.b2)


class DropoutModel:
    """The two-layer network with a :class:`~dropout_lib.layers.Dropout` layer, in PyTorch style.

    ``model.train()`` and ``model.eval()`` switch the dropout layer's mode, as
    ``torch.nn.Module.train``/``eval`` do. A new model is in training mode.

    Parameters
    ----------
    net : TwoLayerNet
    p : float in [0, 1]
        Probability of dropping each hidden unit.
    inverted : bool
        Inverted (default, as in PyTorch) or standard dropout.
    seed : int or None
        Seed of the dropout layer's generator.
    """

    def __init__(self, net: TwoLayerNet, p, *, inverted=True, seed=None):
        self.net = _check_net(net)
        self.dropout = Dropout(p, inverted, seed=seed)

    @property
    def training(self) -> bool:
        """True in training mode."""
        return self.dropout.training

    def train(self, mode=True):
        """Switch to training mode (evaluation with ``mode=False``); returns the model."""
        self.dropout.train(mode)
        return self

    def eval(self):
        """Switch to evaluation mode; returns the model."""
        self.dropout.eval()
        return self

    def __call__(self, x) -> np.ndarray:
        """Forward pass in the current mode; shapes as in :func:`train_step`."""
        return output_layer(self.net, self.dropout(hidden_layer(self.net, x)))

    def __repr__(self):
        return f"DropoutModel(sizes={self.net.sizes}, {self.dropout!r})"


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of one test-time forward pass, over repeated calls.

    Attributes
    ----------
    name : str
        Which variant was timed.
    best : float
        Seconds of the fastest call: the best estimate of what a call costs
        when nothing else competes for the processor (what :mod:`timeit`
        recommends reporting).
    median, lower_quartile, upper_quartile : float
        Seconds per call. A difference between two variants smaller than the
        spread between their quartiles is noise, not a result.
    calls : int
        Number of timed calls.
    """

    name: str
    best: float
    median: float
    lower_quartile: float
    upper_quartile: float
    calls: int


def inference_operations(net: TwoLayerNet, batch_size) -> tuple[int, int]:
    """Multiplications of one test-time forward pass, and those the standard step adds.

    Parameters
    ----------
    net : TwoLayerNet
    batch_size : int >= 1
        Inputs per call.

    Returns
    -------
    products, extra : int
        ``products`` counts the multiply-adds of the two matrix products,
        ``batch_size * n_hidden * (n_in + n_out)``; ``extra`` the multiplications
        by ``1 - p`` that :func:`test_step` adds, ``batch_size * n_hidden``.
    """
    net = _check_net(net)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    n_in, n_hidden, n_out = net.sizes
    return batch_size * n_hidden * (n_in + n_out), batch_size * n_hidden


def inference_timings(net: TwoLayerNet, x, p, *, repeat=20) -> tuple[Timing, ...]:
    """Time one test-time forward pass, three ways, on one BLAS thread.

    * ``"standard: scale activations"``: :func:`test_step`, which multiplies the
      hidden layer by ``1 - p`` on every call;
    * ``"standard: weights folded once"``: the plain network with
      :func:`fold_dropout_scale` applied beforehand;
    * ``"inverted: plain network"``: :func:`test_step_inverted`.

    The variants take turns, so a change in machine load affects all alike.
    BLAS runs on one thread while timing (with threadpoolctl, which
    scikit-learn installs): on a machine whose other cores are busy, a second
    BLAS thread waits to be scheduled at every product and a call that takes
    about a millisecond can take ten times as long.

    Parameters
    ----------
    net : TwoLayerNet
    x : array_like of shape (batch, n_in)
    p : float in [0, 1]
    repeat : int >= 1
        Timed calls per variant, after one untimed warm-up call each.

    Returns
    -------
    timings : tuple of Timing
        One per variant, in the order above.
    """
    from ._engine import _Blas

    repeat = check_int(repeat, "repeat", minimum=1)
    x = _check_input(net, x)
    folded = fold_dropout_scale(net, p)
    variants = {
        "standard: scale activations": lambda: test_step(net, x, p),
        "standard: weights folded once": lambda: test_step_inverted(folded, x),
        "inverted: plain network": lambda: test_step_inverted(net, x),
    }
    times = {name: [] for name in variants}
    with _Blas(1):
        for call in variants.values():
            call()  # warm-up
        for _ in range(repeat):
            for name, call in variants.items():
                start = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - start)
    return tuple(
        Timing(
            name,
            float(min(values)),
            *(float(v) for v in np.percentile(values, [50, 25, 75])),
            len(values),
        )
        for name, values in times.items()
    )
