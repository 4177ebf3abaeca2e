"""Monte-Carlo estimates of a dropout unit's mean, with their standard error.

The unit is ``z = sum_i m_i w_i x_i`` with independent ``m_i ~ Bernoulli(1 - p)``
(divided by ``1 - p`` when inverted), as in :mod:`dropout_lib.moments`; ``p`` is
the drop probability.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import as_generator, check_int, check_p
from .masks import sample_mask
from .moments import _invert, _terms

__all__ = ["RunningMean", "running_mean"]


class RunningMean(NamedTuple):
    """Running Monte-Carlo estimate after each sample.

    Attributes
    ----------
    n : ndarray of int64, shape (n_samples,)
        1, 2, ..., n_samples.
    samples : ndarray of float64, shape (n_samples,)
        The sampled values of ``z``.
    mean : ndarray of float64, shape (n_samples,)
        ``mean[k]`` is the average of the first ``k + 1`` samples.
    stderr : ndarray of float64, shape (n_samples,)
        Standard error of ``mean[k]``: the sample standard deviation
        (``ddof=1``) of the first ``k + 1`` samples over ``sqrt(k + 1)``; NaN at
        ``k = 0``, where it is undefined.
    """

    n: np.ndarray
    samples: np.ndarray
    mean: np.ndarray
    stderr: np.ndarray


def running_mean(w, x, p, n_samples, *, inverted=False, rng=None) -> RunningMean:
    """Sample the unit ``n_samples`` times and track the running mean and its standard error.

    Parameters
    ----------
    w, x : array_like of float, shape (n,)
        Weights and inputs.
    p : float in [0, 1]
        Drop probability.
    n_samples : int >= 1
        Number of samples of ``z``.
    inverted : bool
        Divide ``z`` by ``1 - p``.
    rng : numpy.random.Generator, int or None
        Source of the masks.

    Returns
    -------
    result : RunningMean
    """
    terms = _terms(w, x)
    p = check_p(p)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    masks = sample_mask((n_samples, terms.shape[0]), p, as_generator(rng))
    samples = masks @ terms
    if inverted:
        samples = _invert(samples, p)
    n = np.arange(1, n_samples + 1)
    mean = np.cumsum(samples) / n
    # Running variance from running sums; clip the tiny negatives of round-off.
    second = np.cumsum(samples**2) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.clip(second - mean**2, 0.0, None) * n / (n - 1)
        stderr = np.sqrt(var / n)
    stderr[0] = np.nan
    return RunningMean(n, samples, mean, stderr)
