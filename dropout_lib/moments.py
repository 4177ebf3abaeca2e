"""Mean and variance of a linear unit under dropout: by enumeration and in closed form.

The unit is ``z = sum_i m_i w_i x_i`` with independent ``m_i ~ Bernoulli(1 - p)``.
With ``inverted=True`` it is divided by the keep probability ``1 - p``.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_real_array, check_p
from .masks import MAX_ENUMERATED_UNITS, enumerate_masks

__all__ = ["exact_moments", "linear_unit_moments", "unit_values"]


def _terms(w, x) -> np.ndarray:
    w = as_real_array(w, "w")
    x = as_real_array(x, "x")
    if w.ndim != 1 or x.ndim != 1:
        raise ValueError(f"w and x must be 1-D arrays, but got shapes w{w.shape} and x{x.shape}")
    if w.shape != x.shape:
        raise ValueError(
            f"w and x must have the same length, but got {w.shape[0]} and {x.shape[0]}"
        )
    return w.astype(np.float64) * x.astype(np.float64)


def _invert(z, p: float):
    """Divide ``z`` by the keep probability; at p = 1 the output is 0, as in PyTorch, not 0/0."""
    return z / (1.0 - p) if p < 1.0 else np.zeros_like(z)


def unit_values(w, x, p, *, inverted=False):
    """Every value the unit can take, one per keep-mask, with its probability.

    Parameters
    ----------
    w, x : array_like of float, shape (n,)
        Weights and inputs, ``n`` at most ``MAX_ENUMERATED_UNITS``.
    p : float in [0, 1]
        Drop probability.
    inverted : bool
        Divide ``z`` by the keep probability ``1 - p`` (inverted dropout).

    Returns
    -------
    masks : ndarray of bool, shape (2**n, n)
    probs : ndarray of float64, shape (2**n,)
    z : ndarray of float64, shape (2**n,)
        ``z[i] = sum_j masks[i, j] * w[j] * x[j]``, divided by ``1 - p`` when inverted.
    """
    terms = _terms(w, x)
    p = check_p(p)
    if terms.shape[0] > MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"w and x have {terms.shape[0]} entries, but at most {MAX_ENUMERATED_UNITS} can be "
            "enumerated (2**n masks); use linear_unit_moments for the closed form"
        )
    masks, probs = enumerate_masks(terms.shape[0], p)
    z = masks @ terms
    if inverted:
        z = _invert(z, p)
    return masks, probs, z


def exact_moments(w, x, p, *, inverted=False):
    """Exact mean and variance of the unit, by summing over all ``2**n`` masks.

    Parameters
    ----------
    w, x : array_like of float, shape (n,)
        Weights and inputs, ``n`` at most ``MAX_ENUMERATED_UNITS``.
    p : float in [0, 1]
        Drop probability.
    inverted : bool
        Divide ``z`` by the keep probability ``1 - p``.

    Returns
    -------
    mean, var : float
        ``E[z] = sum_i P(mask_i) z_i`` and ``Var[z] = sum_i P(mask_i) (z_i - E[z])**2``.
    """
    _, probs, z = unit_values(w, x, p, inverted=inverted)
    mean = float(probs @ z)
    var = float(probs @ (z - mean) ** 2)
    return mean, var


def linear_unit_moments(w, x, p, *, inverted=False):
    """Closed-form mean and variance of the unit.

    .. math::

        E[z] = q \\sum_i w_i x_i, \\qquad \\mathrm{Var}[z] = q(1-q) \\sum_i (w_i x_i)^2,

    with ``q = 1 - p``; inverted dropout divides the mean by ``q`` and the
    variance by ``q**2``. At ``p = 1`` inverted dropout outputs 0, so both are 0.

    Parameters are as for :func:`exact_moments`, with no limit on ``n``.

    Returns
    -------
    mean, var : float
    """
    terms = _terms(w, x)
    p = check_p(p)
    keep = 1.0 - p
    mean = keep * terms.sum()
    var = keep * p * (terms**2).sum()
    if inverted:
        if keep == 0.0:
            return 0.0, 0.0
        mean, var = mean / keep, var / keep**2
    return float(mean), float(var)
