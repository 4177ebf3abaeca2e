"""DropBlock (Ghiasi et al. 2018): drop contiguous square regions of feature maps.

Neighbouring pixels of a feature map carry nearly the same information, so a
pixel dropped on its own is easy for the next convolution to fill in from its
neighbours. DropBlock drops ``block_size x block_size`` squares instead. Block
*seeds* (top-left corners) are drawn independently with a rate ``gamma`` inside
the region where a whole block fits, and each seed drops the block it starts.
Ghiasi et al. choose

.. math:: \\gamma = \\frac{p}{b^2} \\frac{H W}{(H - b + 1)(W - b + 1)},

so that, were blocks never to overlap, a share ``p`` of the units would be
dropped. Overlaps make the dropped share a little smaller than ``p``;
:func:`dropblock_drop_share` gives it exactly. The kept units are rescaled by
the inverse of the share kept in the whole tensor, as in Ghiasi et al.'s
reference code and ``torchvision.ops.drop_block2d``. ``block_size = 1`` is
element-wise dropout with that rescaling.

Masks are drawn independently for every example and every channel.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_generator, as_real_array, check_int, check_mask, check_p, check_shape

__all__ = [
    "dropblock_gamma",
    "dropblock_mask",
    "apply_block_mask",
    "dropblock",
    "dropblock_backward",
    "dropblock_drop_share",
]


def _check_block(block_size, height, width) -> int:
    block_size = check_int(block_size, "block_size", minimum=1)
    if block_size > min(height, width):
        raise ValueError(
            f"block_size must be at most the feature-map size min(H, W) = {min(height, width)}, "
            f"but got block_size={block_size}"
        )
    return block_size


def _check_maps_shape(shape, name="shape") -> tuple[int, int, int, int]:
    if len(shape) != 4:
        raise ValueError(f"{name} must be (N, C, H, W) of feature maps, but got {name}={shape}")
    if shape[2] < 1 or shape[3] < 1:
        raise ValueError(f"the feature maps must be at least 1 x 1, but got {name}={shape}")
    return shape


def dropblock_gamma(p, block_size, height, width) -> float:
    """Ghiasi et al.'s seed rate ``gamma = p / b^2 * H W / ((H - b + 1)(W - b + 1))``.

    Parameters
    ----------
    p : float in [0, 1]
        Target share of dropped units.
    block_size : int, 1 <= block_size <= min(height, width)
    height, width : int >= 1

    Returns
    -------
    float
        At most ``p`` (equal at ``block_size = 1`` and at ``block_size = H = W``).
    """
    p = check_p(p)
    height = check_int(height, "height", minimum=1)
    width = check_int(width, "width", minimum=1)
    b = _check_block(block_size, height, width)
    return p * height * width / (b * b * (height - b + 1) * (width - b + 1))


def dropblock_mask(shape, p, block_size, rng=None) -> np.ndarray:
    """A DropBlock keep-mask for feature maps of shape (N, C, H, W).

    Parameters
    ----------
    shape : tuple of 4 ints
        ``(N, C, H, W)``.
    p : float in [0, 1]
        Target share of dropped units.
    block_size : int, 1 <= block_size <= min(H, W)
    rng : numpy.random.Generator, int or None

    Returns
    -------
    keep : ndarray of bool, shape (N, C, H, W)
        ``False`` inside every dropped block.
    """
    n, c, height, width = _check_maps_shape(check_shape(shape))
    gamma = dropblock_gamma(p, block_size, height, width)
    b = int(block_size)
    seeds = as_generator(rng).random((n, c, height - b + 1, width - b + 1)) < gamma
    dropped = np.zeros((n, c, height, width), dtype=bool)
    for di in range(b):  # each seed drops the b x b block whose top-left corner it is
        for dj in range(b):
            dropped[:, :, di : di + height - b + 1, dj : dj + width - b + 1] |= seeds
    return ~dropped


def apply_block_mask(x, keep) -> np.ndarray:
    """Zero the dropped units of ``x`` and rescale the rest by (all units) / (kept units).

    Parameters
    ----------
    x : array_like of float, any shape
    keep : array_like of bool, same shape as ``x``

    Returns
    -------
    out : ndarray, same shape and floating dtype as ``x``
        A new array; all zeros when nothing is kept.
    """
    x = as_real_array(x)
    keep = check_mask(keep, x.shape, "keep", of="x")
    kept = int(keep.sum())
    if kept == 0:
        return np.zeros_like(x)
    scale = x.dtype.type(keep.size / kept)
    return np.where(keep, x * scale, x.dtype.type(0))


def dropblock(x, p, block_size, *, rng=None, training=True) -> np.ndarray:
    """DropBlock on feature maps: drop ``block_size x block_size`` squares, rescale the rest.

    Parameters
    ----------
    x : array_like of float, shape (N, C, H, W)
        Feature maps.
    p : float in [0, 1]
        Target share of dropped units (the seed rate follows :func:`dropblock_gamma`).
    block_size : int, 1 <= block_size <= min(H, W)
        Side of a dropped square.
    rng : numpy.random.Generator, int or None
        Source of the block seeds. Not used at evaluation or at ``p = 0``.
    training : bool
        Training (drop) or evaluation (identity).

    Returns
    -------
    out : ndarray, same shape and floating dtype as ``x``
        Always a new array: a copy at evaluation and at ``p = 0``. The kept
        units are multiplied by the inverse of the kept share of the whole
        tensor, so the tensor's sum is kept on average.
    """
    x = as_real_array(x)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), but got shape {x.shape}")
    _check_maps_shape(x.shape, "x.shape")
    p = check_p(p)
    _check_block(block_size, x.shape[2], x.shape[3])
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"training must be a bool, but got {training!r}")
    if not training or p == 0.0:
        return x.copy()
    return apply_block_mask(x, dropblock_mask(x.shape, p, block_size, as_generator(rng)))


def dropblock_backward(dout, keep) -> np.ndarray:
    """Gradient with respect to the input of a training-mode :func:`dropblock`.

    With the mask fixed the forward pass is linear, ``out = x * keep * s`` with
    ``s = keep.size / keep.sum()``, so the gradient is ``dout * keep * s``.

    Parameters
    ----------
    dout : array_like of float, shape (N, C, H, W)
    keep : array_like of bool, same shape
        The keep-mask of the forward pass.

    Returns
    -------
    dx : ndarray, same shape and floating dtype as ``dout``
    """
    dout = as_real_array(dout, "dout")
    keep = check_mask(keep, dout.shape, "keep", of="dout")
    return apply_block_mask(dout, keep)


def dropblock_drop_share(p, block_size, height, width) -> float:
    """Exact expected share of units that :func:`dropblock_mask` drops.

    A unit at row ``i`` is covered by the blocks of the seeds in rows
    ``max(0, i - b + 1)`` to ``min(i, H - b)``, ``n_i`` of them, and likewise
    ``m_j`` seeds in the columns, so it is dropped with probability
    ``1 - (1 - gamma)^(n_i m_j)``. The share is the mean over the ``H x W`` units.

    Parameters
    ----------
    p : float in [0, 1]
    block_size : int, 1 <= block_size <= min(height, width)
    height, width : int >= 1

    Returns
    -------
    float
        At most ``p``; equal to ``p`` at ``block_size = 1``.
    """
    gamma = dropblock_gamma(p, block_size, height, width)
    b = int(block_size)

    def covering(size):
        i = np.arange(size)
        return np.minimum(i, size - b) - np.maximum(0, i - b + 1) + 1

    counts = np.outer(covering(height), covering(width))
    return float(np.mean(1.0 - (1.0 - gamma) ** counts))
