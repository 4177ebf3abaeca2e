"""Symbolic dropout with sympy: every mask state of a linear unit, and its moments.

The unit is ``z = m_1 w_1 x_1 + ... + m_n w_n x_n`` with independent keep
indicators ``m_i`` that are 1 with probability ``1 - p``. Here ``p`` is the
sympy symbol for the drop probability.
"""

from __future__ import annotations

import numbers

import sympy as sp

from .masks import MAX_ENUMERATED_UNITS, enumerate_masks

__all__ = [
    "p",
    "weights_and_inputs",
    "mask_states",
    "expected_value",
    "second_moment",
    "variance",
    "closed_form_mean",
    "closed_form_variance",
]

#: The drop probability as a sympy symbol, in [0, 1].
p = sp.Symbol("p", nonnegative=True)

_SYMBOLIC_LIMIT = 10  # 2**10 states already make sympy slow; the book needs n <= 6.


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be a positive int, but got {n!r}")
    if not 1 <= n <= min(_SYMBOLIC_LIMIT, MAX_ENUMERATED_UNITS):
        raise ValueError(
            f"n must be between 1 and {_SYMBOLIC_LIMIT} for symbolic enumeration, but got n={n}"
        )
    return int(n)


def weights_and_inputs(n):
    """Return the symbols ``(w1..wn)`` and ``(x1..xn)`` as two tuples."""
    n = _check_n(n)
    w = sp.symbols(f"w1:{n + 1}", real=True)
    x = sp.symbols(f"x1:{n + 1}", real=True)
    return w, x


def _scale(inverted: bool):
    return 1 / (1 - p) if inverted else sp.Integer(1)


def mask_states(n=2, *, inverted=False):
    """Every mask state of the unit with its probability and its value of ``z``.

    Parameters
    ----------
    n : int, 1 <= n <= 10
        Number of inputs.
    inverted : bool
        Divide ``z`` by the keep probability ``1 - p``.

    Returns
    -------
    rows : list of (mask, probability, contribution)
        ``mask`` is a tuple of 0/1 ints (1 = kept), ordered as in
        :func:`dropout_lib.enumerate_masks`; ``probability`` is a product of
        ``(1 - p)`` and ``p`` factors; ``contribution`` is the value of ``z``
        in that state.
    """
    n = _check_n(n)
    w, x = weights_and_inputs(n)
    masks, _ = enumerate_masks(n, 0.5)  # only the 0/1 patterns are used here
    rows = []
    for row in masks.tolist():
        mask = tuple(int(bit) for bit in row)
        probability = sp.Mul(*[(1 - p) if bit else p for bit in mask])
        contribution = _scale(inverted) * sp.Add(
            *[wi * xi for bit, wi, xi in zip(mask, w, x) if bit]
        )
        rows.append((mask, probability, contribution))
    return rows


def expected_value(n, inverted=False):
    """``E[z]``, summed over all ``2**n`` mask states and simplified."""
    total = sp.Add(*[prob * z for _, prob, z in mask_states(n, inverted=inverted)])
    return sp.factor(sp.expand(total))


def second_moment(n, inverted=False):
    """``E[z**2]``, summed over all ``2**n`` mask states and simplified."""
    total = sp.Add(*[prob * z**2 for _, prob, z in mask_states(n, inverted=inverted)])
    return sp.factor(sp.expand(total))


def variance(n, inverted=False):
    """``Var[z] = E[z**2] - E[z]**2``, from the mask states, simplified."""
    mean = expected_value(n, inverted=inverted)
    return sp.factor(sp.expand(second_moment(n, inverted=inverted) - mean**2))


def closed_form_mean(n, inverted=False):
    """The textbook result ``(1 - p) * sum(w_i x_i)`` (``sum(w_i x_i)`` if inverted)."""
    w, x = weights_and_inputs(n)
    total = sp.Add(*[wi * xi for wi, xi in zip(w, x)])
    return total if inverted else (1 - p) * total


def closed_form_variance(n, inverted=False):
    """The textbook ``p (1 - p) sum((w_i x_i)**2)``, divided by ``(1 - p)**2`` if inverted."""
    w, x = weights_and_inputs(n)
    total = sp.Add(*[(wi * xi) ** 2 for wi, xi in zip(w, x)])
    return p / (1 - p) * total if inverted else p * (1 - p) * total
