"""The dropout family: Gaussian dropout, alpha dropout, DropConnect and spatial dropout.

Every member injects multiplicative noise while training and is deterministic
at evaluation. ``p`` is always the probability of **dropping** (a unit, a
weight or a channel) and ``q = 1 - p`` the probability of keeping it. The edge
cases follow the core :func:`dropout_lib.dropout` (and PyTorch): a ``p`` that is
not a real number raises a ``TypeError`` and one outside [0, 1] (or NaN) a
``ValueError``, both naming it; ``p = 0`` and evaluation return a copy of the
input, and ``p = 1`` returns zeros where that has a meaning.
Floating dtypes are kept (float32 in, float32 out) and inputs are never
modified.

* **Gaussian dropout** (Srivastava et al. 2014, Sec. 10) multiplies each unit by
  ``r ~ N(1, p / (1 - p))``, the mean and variance of the inverted Bernoulli
  multiplier ``mask / (1 - p)``.
* **Alpha dropout** (Klambauer et al. 2017) sets dropped units to the SELU
  saturation value ``alpha' = -scale * alpha`` and then applies ``a * x + b`` so
  that standardised SELU activations keep mean 0 and variance 1.
* **DropConnect** (Wan et al. 2013) drops *weights* instead of units, with a
  fresh weight mask per example; its inference approximates the random
  pre-activation by a Gaussian with matched moments.
* **Spatial dropout** (Tompson et al. 2015) drops whole channels of 2-D feature
  maps, because neighbouring pixels of one map are strongly correlated.
"""

from __future__ import annotations

import numpy as np

from ._checks import (
    as_generator,
    as_real_array,
    check_choice,
    check_int,
    check_p,
    check_p_below_one,
    check_shape,
)
from .layers import apply_mask
from .masks import sample_mask

__all__ = [
    "SELU_ALPHA",
    "SELU_SCALE",
    "ALPHA_PRIME",
    "selu",
    "gaussian_noise",
    "gaussian_dropout",
    "alpha_dropout_affine",
    "apply_alpha_mask",
    "alpha_dropout",
    "dropconnect",
    "dropconnect_moments",
    "dropconnect_gaussian_inference",
    "channel_mask",
    "spatial_dropout",
    "READOUT_METHODS",
    "noisy_readout",
    "readout_moments",
    "fill_from_neighbours",
    "feature_maps",
]

#: SELU's alpha and scale (Klambauer et al. 2017, Eq. 14): the fixed point with
#: mean 0 and variance 1.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
#: The value SELU tends to for very negative inputs; alpha dropout sets dropped
#: units to it (about -1.7580993408473766).
ALPHA_PRIME = -SELU_SCALE * SELU_ALPHA

_GAUSSIAN_WHY = "the Gaussian noise variance p / (1 - p) is infinite at p = 1"


def gaussian_noise(shape, p, rng) -> np.ndarray:
    """Multiplicative Gaussian dropout noise, ``r ~ N(1, p / (1 - p))``, in float32.

    Its mean (1) and variance (``p / (1 - p)``) equal those of the inverted
    Bernoulli multiplier ``mask / (1 - p)`` with ``P(mask = 0) = p``
    (Srivastava et al. 2014, Sec. 10).

    Parameters
    ----------
    shape : int or tuple of int
    p : float in [0, 1)
        The drop probability of the Bernoulli dropout being matched.
    rng : numpy.random.Generator or int
        The noise is drawn from it (an int seeds a new generator).

    Returns
    -------
    noise : ndarray of float32, shape ``shape``
    """
    shape = check_shape(shape)
    p = check_p_below_one(p, why=_GAUSSIAN_WHY)
    noise = as_generator(rng).standard_normal(shape, dtype=np.float32)
    noise *= np.float32(np.sqrt(p / (1.0 - p)))
    noise += np.float32(1.0)
    return noise


def selu(x) -> np.ndarray:
    """Scaled exponential linear unit, ``scale * (x if x > 0 else alpha * (exp(x) - 1))``.

    Parameters
    ----------
    x : array_like of float, any shape

    Returns
    -------
    out : ndarray, same shape and floating dtype as ``x``
    """
    x = as_real_array(x)
    negative = SELU_ALPHA * np.expm1(np.minimum(x, 0))
    return (SELU_SCALE * np.where(x > 0, x, negative)).astype(x.dtype, copy=False)


def gaussian_dropout(x, p, *, training=True, rng=None) -> np.ndarray:
    """Gaussian dropout: multiply every unit by independent ``N(1, p / (1 - p))`` noise.

    The noise has the mean (1) and variance (``p / (1 - p)``) of the inverted
    Bernoulli multiplier ``mask / (1 - p)``, so, like inverted dropout, the
    layer needs no scaling at evaluation.

    Parameters
    ----------
    x : array_like of float, any shape
    p : float in [0, 1)
        Drop probability of the Bernoulli dropout whose moments are matched.
        ``p = 1`` raises while training: the noise variance would be infinite.
    training : bool
        Add noise (training) or return a copy of ``x`` (evaluation).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    out : ndarray, same shape and floating dtype as ``x``
    """
    x = as_real_array(x)
    p = check_p(p)
    if not training or p == 0.0:
        return x.copy()
    p = check_p_below_one(
        p, why="Gaussian dropout while training: the noise variance p / (1 - p) is infinite"
    )
    # One noise generator for the whole library (GaussianDropoutMLP uses it too).
    return x * gaussian_noise(x.shape, p, as_generator(rng)).astype(x.dtype, copy=False)


def alpha_dropout_affine(p) -> tuple[float, float]:
    """The constants ``(a, b)`` of alpha dropout for drop probability ``p``.

    With ``q = 1 - p`` and ``alpha' = -1.7580993408473766``,

    .. math:: a = (q + \\alpha'^2 q (1 - q))^{-1/2}, \\qquad b = -a (1 - q) \\alpha'

    make ``a * (mask * x + (1 - mask) * alpha') + b`` have mean 0 and variance 1
    when ``x`` has mean 0 and variance 1 (Klambauer et al. 2017, Sec. 3).

    Parameters
    ----------
    p : float in [0, 1)

    Returns
    -------
    a, b : float
    """
    p = check_p_below_one(p, why="alpha dropout has no affine correction when q = 0")
    q = 1.0 - p
    a = (q + ALPHA_PRIME**2 * q * (1.0 - q)) ** -0.5
    b = -a * (1.0 - q) * ALPHA_PRIME
    return a, b


def apply_alpha_mask(x, mask, p) -> np.ndarray:
    """Apply a given keep-mask as alpha dropout does while training.

    Parameters
    ----------
    x : array_like of float
    mask : array_like of bool, broadcastable to the shape of ``x``
        ``True`` where the unit is kept.
    p : float in [0, 1]
        Drop probability the mask was drawn with.

    Returns
    -------
    out : ndarray, same shape and floating dtype as ``x``
        ``a * x + b`` where kept and ``a * alpha' + b`` where dropped; zeros at
        ``p = 1``, as in PyTorch.
    """
    x = as_real_array(x)
    p = check_p(p)
    mask = np.asarray(mask, dtype=bool)
    if p == 1.0:
        return np.zeros_like(x)
    a, b = alpha_dropout_affine(p)
    dtype = x.dtype.type
    return np.where(mask, x * dtype(a) + dtype(b), dtype(a * ALPHA_PRIME + b))


def alpha_dropout(x, p, *, training=True, per_channel=False, rng=None) -> np.ndarray:
    """Alpha dropout for self-normalising (SELU) networks.

    Parameters
    ----------
    x : array_like of float
        Activations; shape (N, C, H, W) when ``per_channel``.
    p : float in [0, 1]
        Probability of dropping each unit (or each channel).
    training : bool
        At evaluation the input is returned unchanged (as a copy).
    per_channel : bool
        Drop whole channels, like PyTorch's ``feature_alpha_dropout``.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    out : ndarray, same shape and floating dtype as ``x``
        ``p = 0`` or evaluation: a copy of ``x``; ``p = 1``: zeros (as PyTorch).
    """
    x = as_real_array(x)
    p = check_p(p)
    if not training or p == 0.0:
        return x.copy()
    rng = as_generator(rng)
    mask = channel_mask(x.shape, p, rng) if per_channel else sample_mask(x.shape, p, rng)
    return apply_alpha_mask(x, mask, p)


def _check_layer(x, W, name="x"):
    """``x`` (n, d_in) and ``W`` (d_in, d_out) as real arrays; ``name`` is what ``x`` is called."""
    x = as_real_array(x, name)
    W = as_real_array(W, "W")
    if x.ndim != 2 or W.ndim != 2 or x.shape[1] != W.shape[0]:
        raise ValueError(
            f"{name} must have shape (n, d_in) and W shape (d_in, d_out), but got "
            f"{name}{x.shape} and W{W.shape}"
        )
    return x, W


def _check_bias(b, W):
    """``b`` as a real array of shape (d_out,) for the weights ``W`` (d_in, d_out)."""
    b = as_real_array(b, "b")
    if b.shape != (W.shape[1],):
        raise ValueError(
            f"b must have shape (d_out,) = ({W.shape[1]},) to match W{W.shape}, but got b{b.shape}"
        )
    return b


def dropconnect(x, W, p, *, training=True, inverted=True, rng=None) -> np.ndarray:
    """DropConnect pre-activations ``u = x (M * W)``, one weight mask ``M`` per example.

    Parameters
    ----------
    x : array_like of float, shape (n, d_in)
    W : array_like of float, shape (d_in, d_out)
    p : float in [0, 1]
        Probability of dropping each *weight*.
    training : bool
        Sample masks (training) or use the expected weights (evaluation).
    inverted : bool
        Divide the kept weights by ``1 - p`` while training (evaluation then uses
        ``W``); otherwise evaluation uses ``(1 - p) W``, as Wan et al. (2013).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    u : ndarray of shape (n, d_out), the dtype of ``x @ W``
        Memory grows as ``n * d_in * d_out`` while training.
    """
    x, W = _check_layer(x, W)
    p = check_p(p)
    if not training:
        return x @ (W if inverted else W * W.dtype.type(1.0 - p))
    if p == 1.0:
        return np.zeros((x.shape[0], W.shape[1]), dtype=np.result_type(x, W))
    masks = sample_mask((x.shape[0],) + W.shape, p, as_generator(rng))
    masked = apply_mask(np.broadcast_to(W, masks.shape), masks, p, inverted=inverted)
    return np.einsum("ni,nio->no", x, masked)


def dropconnect_moments(x, W, p, *, inverted=True):
    """Exact mean and variance of each DropConnect pre-activation.

    With independent weight masks ``M_ij ~ Bernoulli(q)``, ``q = 1 - p`` and the
    factor ``s = 1/q`` (inverted) or ``s = 1``:

    .. math:: E[u] = s\\,q\\,x W, \\qquad Var[u] = s^2\\,p\\,q\\,(x \\circ x)(W \\circ W)

    Parameters
    ----------
    x : array_like of float, shape (n, d_in)
    W : array_like of float, shape (d_in, d_out)
    p : float in [0, 1]
    inverted : bool

    Returns
    -------
    mean, var : ndarray of float64, shape (n, d_out)
    """
    x, W = _check_layer(x, W)
    p = check_p(p)
    x, W = x.astype(np.float64), W.astype(np.float64)
    q = 1.0 - p
    if p == 1.0:
        zeros = np.zeros((x.shape[0], W.shape[1]))
        return zeros, zeros.copy()
    scale = 1.0 / q if inverted else 1.0
    return scale * q * (x @ W), scale**2 * p * q * ((x * x) @ (W * W))


def dropconnect_gaussian_inference(
    x, W, p, activation, *, bias=None, n_samples=1000, inverted=True, rng=None
) -> np.ndarray:
    """Wan et al.'s inference for DropConnect: average the activation over matched Gaussians.

    Each pre-activation is replaced by a Gaussian with the mean and variance of
    :func:`dropconnect_moments`; ``n_samples`` draws of it go through
    ``activation`` and are averaged. This approximates the ensemble mean
    ``E[activation(u)]`` far better than ``activation(E[u])`` when the
    activation is non-linear.

    Parameters
    ----------
    x : array_like of float, shape (n, d_in)
    W : array_like of float, shape (d_in, d_out)
    p : float in [0, 1]
    activation : callable
        Elementwise non-linearity, e.g. ``lambda u: np.maximum(u, 0)``; a
        non-callable raises ``TypeError``.
    bias : array_like of float, shape (d_out,), optional
        Added to the pre-activation; never dropped.
    n_samples : int >= 1
    inverted : bool
    rng : numpy.random.Generator, int or None

    Returns
    -------
    out : ndarray of float64, shape (n, d_out)
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    if not callable(activation):
        raise TypeError(
            f"activation must be a callable such as np.tanh, but got {activation!r} of type "
            f"{type(activation).__name__}"
        )
    mean, var = dropconnect_moments(x, W, p, inverted=inverted)
    if bias is not None:
        mean = mean + as_real_array(bias, "bias")
    rng = as_generator(rng)
    total = np.zeros_like(mean)
    std = np.sqrt(var)
    for _ in range(n_samples):
        total += activation(mean + std * rng.standard_normal(mean.shape))
    return total / n_samples


def channel_mask(shape, p, rng=None) -> np.ndarray:
    """A keep-mask with one entry per channel of (N, C, H, W) feature maps.

    Parameters
    ----------
    shape : tuple of 4 ints >= 0
        ``(N, C, H, W)``.
    p : float in [0, 1]
        Probability of dropping each channel of each example.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    mask : ndarray of bool, shape (N, C, 1, 1)
        Broadcasts against the feature maps.
    """
    shape = check_shape(shape)
    if len(shape) != 4:
        raise ValueError(f"shape must be (N, C, H, W) of feature maps, but got shape={shape}")
    return sample_mask((shape[0], shape[1], 1, 1), p, as_generator(rng))


def spatial_dropout(x, p, *, training=True, inverted=True, rng=None) -> np.ndarray:
    """Spatial dropout (PyTorch's ``dropout2d``): drop whole channels of 2-D feature maps.

    Parameters
    ----------
    x : array_like of float, shape (N, C, H, W)
    p : float in [0, 1]
        Probability of dropping each channel of each example.
    training : bool
    inverted : bool
        Divide kept channels by ``1 - p`` while training (as PyTorch), or scale
        by ``1 - p`` at evaluation.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    out : ndarray, same shape and floating dtype as ``x``
        Every channel is either all zeros or the input channel scaled.
    """
    x = as_real_array(x)
    p = check_p(p)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), but got shape {x.shape}")
    if not training:
        return x.copy() if inverted else x * x.dtype.type(1.0 - p)
    if p == 0.0:
        return x.copy()
    mask = np.broadcast_to(channel_mask(x.shape, p, rng), x.shape)
    return apply_mask(x, mask, p, inverted=inverted)


# ---------------------------------------------------------------- comparisons

#: The members :func:`noisy_readout` can apply, all with drop probability ``p``.
READOUT_METHODS = ("bernoulli", "gaussian", "dropconnect", "alpha")


def noisy_readout(h, W, b, p, method, *, n_samples, rng=None) -> np.ndarray:
    """Logits ``noise(h) W + b`` of a read-out layer under one member of the family.

    This is the common task of chapter 10: the same trained hidden activations
    and output layer, with each kind of dropout noise injected in turn.

    Parameters
    ----------
    h : array_like of float, shape (n, d_in)
        Hidden activations (the input of the read-out layer).
    W : array_like of float, shape (d_in, d_out)
    b : array_like of float, shape (d_out,)
    p : float in [0, 1)
        Drop probability of every member.
    method : {"bernoulli", "gaussian", "dropconnect", "alpha"}
        Inverted Bernoulli dropout on ``h``, Gaussian dropout on ``h``,
        inverted DropConnect on ``W``, or alpha dropout on ``h``.
    n_samples : int >= 1
        Independent noisy passes.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    logits : ndarray, shape (n_samples, n, d_out)
    """
    h, W = _check_layer(h, W, "h")
    b = _check_bias(b, W)
    p = check_p_below_one(p, why="inverted dropout divides by 1 - p")
    method = check_choice(method, "method", READOUT_METHODS)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    rng = as_generator(rng)
    out = []
    for _ in range(n_samples):
        if method == "dropconnect":
            out.append(dropconnect(h, W, p, rng=rng) + b)
        elif method == "gaussian":
            out.append(gaussian_dropout(h, p, rng=rng) @ W + b)
        elif method == "alpha":
            out.append(alpha_dropout(h, p, rng=rng) @ W + b)
        else:
            out.append(apply_mask(h, sample_mask(h.shape, p, rng), p) @ W + b)
    return np.array(out)


def readout_moments(h, W, b, p):
    """Exact mean and variance of each logit under inverted Bernoulli dropout on ``h``.

    Gaussian dropout and inverted DropConnect inject exactly the same mean and
    variance into every single logit:

    .. math:: E[z] = h W + b, \\qquad Var[z] = \\frac{p}{1 - p} (h \\circ h)(W \\circ W)

    Parameters
    ----------
    h : array_like of float, shape (n, d_in)
    W : array_like of float, shape (d_in, d_out)
    b : array_like of float, shape (d_out,)
    p : float in [0, 1)

    Returns
    -------
    mean, var : ndarray of float64, shape (n, d_out)
    """
    h, W = _check_layer(h, W, "h")
    b = _check_bias(b, W)
    p = check_p_below_one(p, why="inverted dropout divides by 1 - p")
    h, W = h.astype(np.float64), W.astype(np.float64)
    return h @ W + b, p / (1.0 - p) * ((h * h) @ (W * W))


def fill_from_neighbours(x, keep) -> np.ndarray:
    """Guess dropped pixels of feature maps from their kept 4-neighbours in the same channel.

    This is how much of a dropped unit a following convolution can still
    recover when neighbouring pixels are correlated, the reason spatial dropout
    drops whole channels (Tompson et al. 2015).

    Parameters
    ----------
    x : array_like of float, shape (N, C, H, W)
        Feature maps before dropout.
    keep : array_like of bool, broadcastable to ``x``
        ``True`` where a pixel is kept.

    Returns
    -------
    filled : ndarray of float64, shape (N, C, H, W)
        Kept pixels unchanged; each dropped pixel replaced by the mean of its
        kept up, down, left and right neighbours, or 0 when none is kept.
    """
    x = as_real_array(x).astype(np.float64)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), but got shape {x.shape}")
    keep = np.broadcast_to(np.asarray(keep, dtype=bool), x.shape)
    pad = ((0, 0), (0, 0), (1, 1), (1, 1))
    values = np.pad(np.where(keep, x, 0.0), pad)
    counts = np.pad(keep.astype(np.float64), pad)
    shifts = [(slice(None, -2), slice(1, -1)), (slice(2, None), slice(1, -1)),
              (slice(1, -1), slice(None, -2)), (slice(1, -1), slice(2, None))]  # fmt: skip
    total = sum(values[:, :, rows, cols] for rows, cols in shifts)
    number = sum(counts[:, :, rows, cols] for rows, cols in shifts)
    guess = np.divide(total, number, out=np.zeros_like(total), where=number > 0)
    return np.where(keep, x, guess)


def feature_maps(images, filters) -> np.ndarray:
    """Correlate 2-D images with small filters ("same" size, zero padding).

    Parameters
    ----------
    images : array_like of float, shape (N, H, W)
    filters : array_like of float, shape (C, k, k), k odd

    Returns
    -------
    maps : ndarray of float64, shape (N, C, H, W)
    """
    images = as_real_array(images, "images").astype(np.float64)
    filters = as_real_array(filters, "filters").astype(np.float64)
    if images.ndim != 3 or filters.ndim != 3 or filters.shape[1] != filters.shape[2]:
        raise ValueError(
            f"images must be (N, H, W) and filters (C, k, k), got {images.shape} and "
            f"{filters.shape}"
        )
    k = filters.shape[1]
    if k % 2 == 0:
        raise ValueError(f"filters must have an odd size, but got k={k}")
    r = k // 2
    height, width = images.shape[1:]
    padded = np.pad(images, ((0, 0), (r, r), (r, r)))
    windows = np.stack(
        [padded[:, i : i + height, j : j + width] for i in range(k) for j in range(k)], axis=-1
    )
    return np.einsum("nhwk,ck->nchw", windows, filters.reshape(filters.shape[0], -1))
