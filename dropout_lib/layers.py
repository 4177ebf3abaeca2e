"""The dropout layer: forward and backward, standard and inverted.

``p`` is the probability of dropping a unit and ``1 - p`` the probability of
keeping it.

* **Standard dropout** zeroes the dropped units while training and multiplies
  every activation by ``1 - p`` at evaluation, so that the evaluation output
  equals the training output's expected value.
* **Inverted dropout** zeroes the dropped units and divides the kept ones by
  ``1 - p`` while training, and leaves the activations alone at evaluation.
  This is what PyTorch and Keras do.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_generator, as_real_array, check_mask, check_p
from .masks import sample_mask

__all__ = ["apply_mask", "dropout", "dropout_backward", "Dropout"]


def _scale(p: float, inverted: bool, dtype) -> np.generic:
    """Factor applied to the kept units while training."""
    return dtype.type(1.0 / (1.0 - p)) if inverted else dtype.type(1.0)


def apply_mask(x, mask, p, *, inverted=True) -> np.ndarray:
    """Apply a given keep-mask to ``x`` as dropout does while training.

    Parameters
    ----------
    x : array_like of float, any shape
        Activations.
    mask : array_like of bool, same shape as ``x``
        ``True`` where the unit is kept.
    p : float in [0, 1]
        Drop probability the mask was drawn with.
    inverted : bool
        Divide the kept units by ``1 - p``.

    Returns
    -------
    out : ndarray, same shape and floating dtype as ``x``
        A new array; ``x`` is not modified.
    """
    x = as_real_array(x, "x")
    p = check_p(p)
    mask = check_mask(mask, x.shape, of="x")
    if p == 1.0:
        return np.zeros_like(x)
    return np.where(mask, x * _scale(p, inverted, x.dtype), x.dtype.type(0))


def dropout(x, p, *, training=True, inverted=True, rng=None) -> np.ndarray:
    """Dropout as a function.

    Parameters
    ----------
    x : array_like of float, any shape
        Activations. Integer input is promoted to float64; float32 stays float32.
    p : float in [0, 1]
        Probability of dropping each unit, independently.
    training : bool
        Training (sample a mask) or evaluation (deterministic).
    inverted : bool
        Inverted dropout (scale by ``1/(1-p)`` while training, identity at
        evaluation) or standard dropout (no scaling while training, multiply by
        ``1 - p`` at evaluation).
    rng : numpy.random.Generator, int or None
        Source of the mask. Not used at evaluation.

    Returns
    -------
    out : ndarray, same shape and floating dtype as ``x``
        Always a new array. ``p = 0`` returns a copy of ``x``; ``p = 1`` returns
        zeros while training, in both modes, as PyTorch does.
    """
    x = as_real_array(x, "x")
    p = check_p(p)
    if not training:
        if inverted:
            return x.copy()
        return x * x.dtype.type(1.0 - p)
    if p == 0.0:
        return x.copy()
    if p == 1.0:
        return np.zeros_like(x)
    mask = sample_mask(x.shape, p, as_generator(rng))
    return apply_mask(x, mask, p, inverted=inverted)


def dropout_backward(dout, mask, p, *, inverted=True) -> np.ndarray:
    """Gradient of the loss with respect to the input of a training-mode dropout.

    The forward pass is ``out = x * mask * s`` with ``s = 1/(1-p)`` (inverted)
    or ``s = 1`` (standard), so ``dL/dx = dL/dout * mask * s``.

    Parameters
    ----------
    dout : array_like of float, any shape
        Gradient of the loss with respect to the dropout output.
    mask : array_like of bool, same shape as ``dout``
        The keep-mask used in the forward pass.
    p : float in [0, 1]
        Drop probability of the forward pass.
    inverted : bool
        Whether the forward pass was inverted dropout.

    Returns
    -------
    dx : ndarray, same shape and floating dtype as ``dout``
        A new array; ``dout`` and ``mask`` are not modified.
    """
    dout = as_real_array(dout, "dout")
    mask = check_mask(mask, dout.shape, of="dout")  # so a mismatch names dout, not x
    return apply_mask(dout, mask, p, inverted=inverted)


class Dropout:
    """A dropout layer with PyTorch-style training and evaluation modes.

    Parameters
    ----------
    p : float in [0, 1]
        Probability of dropping each unit.
    inverted : bool
        Inverted (default, as in PyTorch) or standard dropout.
    seed : int or None
        Seed of the layer's own generator, used when ``forward`` gets no ``rng``.

    Notes
    -----
    A new layer is in training mode. ``train()`` and ``eval()`` switch modes and
    return the layer, like ``model.train()`` and ``model.eval()``. ``forward``
    remembers its mask so that ``backward`` can route the gradient.
    """

    def __init__(self, p, inverted=True, *, seed=None):
        self.p = check_p(p)
        self.inverted = bool(inverted)
        self.training = True
        self.mask = None
        self._rng = as_generator(seed, "seed")
        self._last_shape = None
        self._last_training = None

    def train(self, mode=True):
        """Switch to training mode (or to evaluation with ``mode=False``)."""
        self.training = bool(mode)
        return self

    def eval(self):
        """Switch to evaluation mode."""
        return self.train(False)

    def forward(self, x, rng=None) -> np.ndarray:
        """Apply dropout in the current mode.

        Parameters
        ----------
        x : array_like of float, any shape
        rng : numpy.random.Generator, int or None
            Overrides the layer's own generator for this call.

        Returns
        -------
        out : ndarray, same shape and floating dtype as ``x``
        """
        x = as_real_array(x)
        self._last_shape = x.shape
        self._last_training = self.training
        if not self.training:
            self.mask = None
            return dropout(x, self.p, training=False, inverted=self.inverted)
        generator = self._rng if rng is None else as_generator(rng)
        self.mask = sample_mask(x.shape, self.p, generator)
        return apply_mask(x, self.mask, self.p, inverted=self.inverted)

    __call__ = forward

    def backward(self, dout) -> np.ndarray:
        """Gradient with respect to the input of the last ``forward`` call."""
        if self._last_shape is None:
            raise RuntimeError("backward was called before forward; call forward(x) first")
        dout = as_real_array(dout, "dout")
        if dout.shape != self._last_shape:
            raise ValueError(
                f"dout has shape {dout.shape}, but the last forward input had shape "
                f"{self._last_shape}"
            )
        if not self._last_training:
            # Evaluation is the linear map x -> x (inverted) or x -> (1 - p) x.
            return dropout(dout, self.p, training=False, inverted=self.inverted)
        return dropout_backward(dout, self.mask, self.p, inverted=self.inverted)

    def __repr__(self):
        mode = "train" if self.training else "eval"
        return f"Dropout(p={self.p}, inverted={self.inverted}, mode={mode!r})"
