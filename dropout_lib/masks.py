"""Dropout masks: sampling one, and enumerating all of them.

A *keep-mask* is a boolean array in which ``True`` means the unit is kept and
``False`` means it is dropped. Throughout the book ``p`` is the probability of
dropping a unit, so each entry is ``True`` with probability ``1 - p``.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_generator, check_int, check_layer_sizes, check_p, check_shape

__all__ = [
    "MAX_ENUMERATED_UNITS",
    "count_subnetworks",
    "distinct_subnetworks_visited",
    "enumerate_masks",
    "expected_distinct_subnetworks",
    "network_masks",
    "sample_mask",
]

#: Largest ``n`` that :func:`enumerate_masks` accepts: 2**24 masks already take
#: about 400 MB as booleans.
MAX_ENUMERATED_UNITS = 24


def sample_mask(shape, p, rng=None) -> np.ndarray:
    """Sample a boolean keep-mask.

    Parameters
    ----------
    shape : int or tuple of int
        Shape of the mask, usually the shape of the activations it will drop.
    p : float in [0, 1]
        Probability that an entry is *dropped* (``False``).
    rng : numpy.random.Generator, int or None
        Source of randomness. An int is used as a seed; ``None`` makes a fresh
        generator. The global ``np.random`` state is never touched.

    Returns
    -------
    mask : ndarray of bool, shape ``shape``
        Independent entries with ``P(True) = 1 - p``.
    """
    shape = check_shape(shape)
    p = check_p(p)
    rng = as_generator(rng)
    # random() lies in [0, 1): ">= p" is always True at p = 0, never at p = 1.
    return rng.random(shape) >= p


def enumerate_masks(n, p):
    """List every keep-mask of ``n`` units with its exact probability.

    Parameters
    ----------
    n : int, 0 <= n <= MAX_ENUMERATED_UNITS
        Number of units.
    p : float in [0, 1]
        Drop probability of each unit, independently.

    Returns
    -------
    masks : ndarray of bool, shape (2**n, n)
        Row ``i`` holds the binary digits of ``i``, least significant first, so
        for ``n = 2`` the rows are (0, 0), (1, 0), (0, 1), (1, 1).
    probs : ndarray of float64, shape (2**n,)
        ``probs[i] = (1 - p)**k * p**(n - k)`` where ``k`` is the number of kept
        units in row ``i``. They sum to one.
    """
    n = _check_n_units(n, "n")
    p = check_p(p)
    index = np.arange(2**n, dtype=np.uint32)
    masks = ((index[:, None] >> np.arange(n, dtype=np.uint32)) & 1).astype(bool)
    kept = masks.sum(axis=1)
    # Look the probability up per count k instead of raising to a power 2**n times.
    per_count = (1.0 - p) ** np.arange(n + 1) * p ** (n - np.arange(n + 1))
    return masks, per_count[kept]


def network_masks(layer_sizes, p, rng=None, *, drop_input=True):
    """Sample one keep-mask per layer of a fully connected network.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first and output last, for example ``(4, 5, 3)``.
    p : float in [0, 1]
        Drop probability of every input and hidden unit.
    rng : numpy.random.Generator, int or None
    drop_input : bool
        Whether input units can be dropped too. Output units never are.

    Returns
    -------
    masks : list of ndarray of bool
        ``masks[l]`` has shape ``(layer_sizes[l],)``.
    """
    sizes = check_layer_sizes(layer_sizes)
    p = check_p(p)
    rng = as_generator(rng)
    masks = []
    for index, size in enumerate(sizes):
        droppable = 0 < index < len(sizes) - 1 or (index == 0 and drop_input)
        masks.append(sample_mask(size, p, rng) if droppable else np.ones(size, dtype=bool))
    return masks


def count_subnetworks(layer_sizes, *, drop_input=True) -> int:
    """Number of distinct subnetworks dropout can sample: ``2**(droppable units)``.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first and output last.
    drop_input : bool
        Whether input units can be dropped too. Output units never are.

    Returns
    -------
    count : int
        ``2**(sum of the hidden sizes, plus the input size if drop_input)``.
    """
    sizes = check_layer_sizes(layer_sizes)
    droppable = sum(sizes[1:-1]) + (sizes[0] if drop_input else 0)
    return 2**droppable


def _check_n_units(n, name: str) -> int:
    """``n`` as an int in [0, MAX_ENUMERATED_UNITS], with a hint when it is too large."""
    n = check_int(n, name, minimum=0)
    try:
        return check_int(n, name, maximum=MAX_ENUMERATED_UNITS)
    except ValueError as err:
        raise ValueError(
            f"{err}: 2**{name} masks would be stored; sample masks with sample_mask "
            "for larger layers"
        ) from None


def distinct_subnetworks_visited(
    layer_sizes, p, steps, *, batch_size=1, seed=0, drop_input=True
) -> int:
    """Count the distinct subnetworks that ``steps`` training steps sample.

    Dropout draws one mask per training *example*, not one per step: a step on
    a mini-batch of ``batch_size`` examples draws ``batch_size`` independent
    masks (a boolean array of shape ``(batch_size, units)`` per layer), so it
    samples ``batch_size`` subnetworks. Two examples visit the same subnetwork
    when all their masks agree.

    Parameters
    ----------
    layer_sizes : sequence of int
    p : float in [0, 1]
        Drop probability.
    steps : int >= 1
        Number of training steps.
    batch_size : int >= 1
        Examples per step, each with its own mask; ``steps * batch_size`` masks
        are drawn in all.
    seed : int or numpy.random.Generator
        Seed of the masks.
    drop_input : bool
        Whether input units can be dropped too.

    Returns
    -------
    count : int
        Number of distinct masks among the ``steps * batch_size`` drawn.
    """
    sizes = check_layer_sizes(layer_sizes)
    p = check_p(p)
    steps = check_int(steps, "steps", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    rng = as_generator(seed, "seed")
    n_units = sum(sizes[:-1]) if drop_input else sum(sizes[1:-1])
    masks = sample_mask((steps * batch_size, n_units), p, rng)
    return int(np.unique(np.packbits(masks, axis=1), axis=0).shape[0])


def expected_distinct_subnetworks(n_units, p, steps, *, batch_size=1) -> float:
    """Expected number of distinct subnetworks that ``steps`` steps visit, exactly.

    Each of the ``T = steps * batch_size`` training examples draws its own mask.
    Mask ``m`` is drawn at least once with probability ``1 - (1 - P(m))**T``, so
    the expected count is the sum of that over all ``2**n_units`` masks.

    Parameters
    ----------
    n_units : int, 0 <= n_units <= MAX_ENUMERATED_UNITS
        Number of droppable units.
    p : float in [0, 1]
    steps : int >= 1
    batch_size : int >= 1
        Examples per step, one mask each.

    Returns
    -------
    expected : float
    """
    n_units = _check_n_units(n_units, "n_units")
    p = check_p(p)
    steps = check_int(steps, "steps", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if p in (0.0, 1.0):  # a single mask has probability 1
        return 1.0
    _, probs = enumerate_masks(n_units, p)
    # log1p/expm1 keep the tiny per-mask probabilities accurate.
    return float(-np.expm1(steps * batch_size * np.log1p(-probs)).sum())
