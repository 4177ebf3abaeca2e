"""Symbolic dropout with sympy: every mask state of a linear unit, and its moments.

The unit is ``z = m_1 w_1 x_1 + ... + m_n w_n x_n`` with independent keep
indicators ``m_i`` that are 1 with probability ``1 - p``. Here ``p`` is the
sympy symbol for the drop probability.
"""

from __future__ import annotations

from typing import NamedTuple

import sympy as sp

from ._checks import check_int
from .masks import enumerate_masks

__all__ = [
    "p",
    "weights_and_inputs",
    "mask_states",
    "expected_value",
    "second_moment",
    "variance",
    "closed_form_mean",
    "closed_form_variance",
    "Step",
    "two_input_expectation_steps",
    "two_input_variance_steps",
    "check_steps",
    "steps_latex",
    "mask_state_latex_rows",
    "confirm_moments",
    "MAX_SYMBOLIC_UNITS",
]

#: The drop probability as a sympy symbol, in [0, 1].
p = sp.Symbol("p", nonnegative=True)

#: Largest number of inputs that the symbolic functions accept: 2**10 mask
#: states already make sympy slow, and the book needs n <= 6.
MAX_SYMBOLIC_UNITS = 10


def weights_and_inputs(n):
    """The real sympy symbols of the unit's weights and inputs.

    Parameters
    ----------
    n : int, 1 <= n <= MAX_SYMBOLIC_UNITS
        Number of inputs.

    Returns
    -------
    w, x : tuple of sympy.Symbol, each of length n
        ``(w1, ..., wn)`` and ``(x1, ..., xn)``.
    """
    n = check_int(n, "n", minimum=1, maximum=MAX_SYMBOLIC_UNITS)
    w = sp.symbols(f"w1:{n + 1}", real=True)
    x = sp.symbols(f"x1:{n + 1}", real=True)
    return w, x


def _scale(inverted: bool):
    return 1 / (1 - p) if inverted else sp.Integer(1)


def mask_states(n=2, *, inverted=False):
    """Every mask state of the unit with its probability and its value of ``z``.

    Parameters
    ----------
    n : int, 1 <= n <= MAX_SYMBOLIC_UNITS
        Number of inputs.
    inverted : bool
        Divide ``z`` by the keep probability ``1 - p``.

    Returns
    -------
    rows : list of (mask, probability, contribution), ``2**n`` of them
        ``mask`` is a tuple of 0/1 ints (1 = kept), ordered as in
        :func:`dropout_lib.enumerate_masks`; ``probability`` is a product of
        ``(1 - p)`` and ``p`` factors; ``contribution`` is the value of ``z``
        in that state.
    """
    n = check_int(n, "n", minimum=1, maximum=MAX_SYMBOLIC_UNITS)
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
    """``E[z]``, summed over all ``2**n`` mask states and simplified.

    Parameters
    ----------
    n : int, 1 <= n <= MAX_SYMBOLIC_UNITS
        Number of inputs.
    inverted : bool
        Divide ``z`` by the keep probability ``1 - p``.

    Returns
    -------
    expr : sympy.Expr
        In the symbols ``p``, ``w1..wn`` and ``x1..xn``.
    """
    total = sp.Add(*[prob * z for _, prob, z in mask_states(n, inverted=inverted)])
    return sp.factor(sp.expand(total))


def second_moment(n, inverted=False):
    """``E[z**2]``, summed over all ``2**n`` mask states and simplified.

    Parameters
    ----------
    n : int, 1 <= n <= MAX_SYMBOLIC_UNITS
        Number of inputs.
    inverted : bool
        Divide ``z`` by the keep probability ``1 - p``.

    Returns
    -------
    expr : sympy.Expr
        In the symbols ``p``, ``w1..wn`` and ``x1..xn``.
    """
    total = sp.Add(*[prob * z**2 for _, prob, z in mask_states(n, inverted=inverted)])
    return sp.factor(sp.expand(total))


def variance(n, inverted=False):
    """``Var[z] = E[z**2] - E[z]**2``, from the mask states, simplified.

    Parameters
    ----------
    n : int, 1 <= n <= MAX_SYMBOLIC_UNITS
        Number of inputs.
    inverted : bool
        Divide ``z`` by the keep probability ``1 - p``.

    Returns
    -------
    expr : sympy.Expr
        In the symbols ``p``, ``w1..wn`` and ``x1..xn``.
    """
    mean = expected_value(n, inverted=inverted)
    return sp.factor(sp.expand(second_moment(n, inverted=inverted) - mean**2))


def closed_form_mean(n, inverted=False):
    """The textbook result ``(1 - p) * sum(w_i x_i)`` (``sum(w_i x_i)`` if inverted).

    Parameters
    ----------
    n : int, 1 <= n <= MAX_SYMBOLIC_UNITS
        Number of inputs.
    inverted : bool
        Divide ``z`` by the keep probability ``1 - p``.

    Returns
    -------
    expr : sympy.Expr
        In the symbols ``p``, ``w1..wn`` and ``x1..xn``.
    """
    w, x = weights_and_inputs(n)
    total = sp.Add(*[wi * xi for wi, xi in zip(w, x)])
    return total if inverted else (1 - p) * total


def closed_form_variance(n, inverted=False):
    """The textbook ``p (1 - p) sum((w_i x_i)**2)``, divided by ``(1 - p)**2`` if inverted.

    Parameters
    ----------
    n : int, 1 <= n <= MAX_SYMBOLIC_UNITS
        Number of inputs.
    inverted : bool
        Divide ``z`` by the keep probability ``1 - p``.

    Returns
    -------
    expr : sympy.Expr
        In the symbols ``p``, ``w1..wn`` and ``x1..xn``.
    """
    w, x = weights_and_inputs(n)
    total = sp.Add(*[(wi * xi) ** 2 for wi, xi in zip(w, x)])
    return p / (1 - p) * total if inverted else p * (1 - p) * total


# --- chapters 2-4: hand-written derivations that sympy checks step by step ---
#
# A derivation is a list of steps, each a sympy expression built *unevaluated*
# (so it prints the way a person writes it, zeros and brackets included) with a
# short reason. check_steps() asks sympy whether each step equals the previous
# one, so a chapter can show every step and a proof that every step is right.


class Step(NamedTuple):
    """One line of a derivation: an unevaluated sympy expression and why it follows."""

    expr: sp.Expr
    reason: str


def _sum(*terms):
    return sp.Add(*terms, evaluate=False)


def _prod(*factors):
    return sp.Mul(*factors, evaluate=False)


def _two_input_terms():
    w, x = weights_and_inputs(2)
    return _prod(w[0], x[0]), _prod(w[1], x[1])


def _contribution_with_zeros(mask, terms):
    """``z`` in one mask state with the dropped inputs written as explicit zeros."""
    return _sum(*[term if bit else sp.Integer(0) for bit, term in zip(mask, terms)])


def two_input_expectation_steps():
    """The hand derivation of ``E[z]`` for ``z = m1 w1 x1 + m2 w2 x2``.

    Starts from the sum over the four mask states of :func:`mask_states` (in its
    order) and ends at ``(1 - p)(w1 x1 + w2 x2)``.

    Returns
    -------
    steps : list of Step
        Consecutive steps are equal as functions of ``p``, ``w`` and ``x``; see
        :func:`check_steps`.
    """
    a1, a2 = _two_input_terms()
    total = _sum(a1, a2)
    keep = _sum(1, -p)
    first = _sum(
        *[
            _prod(probability, _contribution_with_zeros(mask, (a1, a2)))
            for mask, probability, _ in mask_states(2)
        ]
    )
    return [
        Step(first, "probability times z, summed over the four mask states"),
        Step(
            _sum(_prod(keep, p, a1), _prod(p, keep, a2), _prod(keep**2, total)),
            "a dropped input contributes 0",
        ),
        Step(
            _sum(_prod(p, keep, total), _prod(keep**2, total)),
            "the two one-input states share a factor",
        ),
        Step(_prod(_sum(_prod(p, keep), keep**2), total), "factor out the weighted sum"),
        Step(
            _prod(_sum(p, -(p**2), 1, -2 * p, p**2), total),
            "expand the bracket",
        ),
        Step(_prod(keep, total), "the squares cancel"),
    ]


def two_input_variance_steps():
    """The hand derivation of ``Var[z] = E[z**2] - E[z]**2`` for two inputs.

    Ends at ``p (1 - p) ((w1 x1)**2 + (w2 x2)**2)``.

    Returns
    -------
    steps : list of Step
    """
    a1, a2 = _two_input_terms()
    total = _sum(a1, a2)
    keep = _sum(1, -p)
    second = _sum(
        *[
            _prod(probability, sp.Pow(_contribution_with_zeros(mask, (a1, a2)), 2, evaluate=False))
            for mask, probability, _ in mask_states(2)
        ]
    )
    mean_squared = sp.Pow(_prod(keep, total), 2, evaluate=False)
    return [
        Step(
            _sum(*second.args, _prod(-1, mean_squared)),
            "second moment over the four states, minus the squared mean",
        ),
        Step(
            _sum(
                _prod(keep, p, a1**2),
                _prod(p, keep, a2**2),
                _prod(keep**2, sp.Pow(total, 2, evaluate=False)),
                _prod(-1, keep**2, sp.Pow(total, 2, evaluate=False)),
            ),
            "drop the zeros and square the mean",
        ),
        Step(_sum(_prod(p, keep, a1**2), _prod(p, keep, a2**2)), "the two full-sum terms cancel"),
        Step(_prod(p, keep, _sum(a1**2, a2**2)), "factor out the common factor"),
    ]


def _as_steps(steps) -> list[Step]:
    """``steps`` as a list of Step; a bare sympy expression or number becomes a Step with no reason.

    Strings are refused rather than parsed, since sympify would evaluate them as code.
    """
    bad = TypeError(
        f"steps must be a sequence of Step or sympy expressions, but got {steps!r} "
        f"of type {type(steps).__name__}"
    )
    if isinstance(steps, (str, bytes, sp.Basic)):
        raise bad
    try:
        items = list(steps)
    except TypeError:
        raise bad from None
    result = []
    for item in items:
        if isinstance(item, Step):
            result.append(item)
            continue
        try:
            result.append(Step(sp.sympify(item, strict=True), ""))
        except sp.SympifyError:
            raise bad from None
    return result


def check_steps(steps):
    """Whether each step equals the one before it, according to sympy.

    Parameters
    ----------
    steps : sequence of Step or of sympy expressions

    Returns
    -------
    checks : list of bool, one per consecutive pair (``len(steps) - 1`` entries)
        ``checks[i]`` is ``sp.simplify(steps[i + 1] - steps[i]) == 0``.
    """
    exprs = [step.expr for step in _as_steps(steps)]
    if len(exprs) < 2:
        raise ValueError(f"steps needs at least two expressions to compare, but got {len(exprs)}")
    # doit() evaluates the unevaluated sums and products before comparing.
    return [bool(sp.simplify(b.doit() - a.doit()) == 0) for a, b in zip(exprs, exprs[1:])]


def _wrapped_latex(expr, max_chars):
    """LaTeX of ``expr``; a long top-level sum is split into lines of at most ``max_chars``."""
    whole = sp.latex(expr, order="none")
    if not isinstance(expr, sp.Add) or len(whole) <= max_chars:
        return [whole]
    lines, current = [], ""
    for term in expr.args:
        text = sp.latex(term, order="none")
        piece = text if text.startswith("-") else "+ " + text
        if current and len(current) + len(piece) > max_chars:
            lines.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else text
    lines.append(current)
    return lines


def steps_latex(steps, lhs=r"\mathbb{E}[z]", *, reasons=False, max_chars=150) -> str:
    """The derivation as a LaTeX ``aligned`` block, one step per line.

    Parameters
    ----------
    steps : sequence of Step (or of sympy expressions, which have no reason)
    lhs : str
        LaTeX of the quantity being derived, written before the first ``=``.
    reasons : bool
        Append each step's reason in ``\\text{...}`` (makes long lines).
    max_chars : int
        A step that is a sum with LaTeX longer than this continues on further
        lines, so that the block fits the page.

    Returns
    -------
    latex : str
        Ready to wrap in ``$$ ... $$``.
    """
    max_chars = check_int(max_chars, "max_chars", minimum=1)
    lines = []
    for index, step in enumerate(_as_steps(steps)):
        left = lhs if index == 0 else ""
        first, *rest = _wrapped_latex(step.expr, max_chars)
        line = rf"{left} &= {first}"
        if reasons:
            line += rf" && \text{{({step.reason})}}"
        lines.append(line)
        lines.extend(rf"&\qquad {{}} {more}" for more in rest)  # {} makes the sign binary
    return r"\begin{aligned}" + " \\\\\n".join(lines) + r"\end{aligned}"


def mask_state_latex_rows(n=2, *, inverted=False):
    """Rows of the mask-state table, every cell as inline LaTeX.

    Parameters
    ----------
    n, inverted
        As for :func:`mask_states`.

    Returns
    -------
    rows : list of (mask, probability, contribution) strings
        ``mask`` as ``(1, 0)`` with 1 = kept; the other two as ``$...$``.
    """
    return [
        (
            "(" + ", ".join(str(bit) for bit in mask) + ")",
            "$" + sp.latex(probability) + "$",
            "$" + sp.latex(contribution) + "$",
        )
        for mask, probability, contribution in mask_states(n, inverted=inverted)
    ]


def confirm_moments(n_max=6, *, inverted=False):
    """Check the closed-form mean and variance against full enumeration for n = 1..n_max.

    Parameters
    ----------
    n_max : int, 1 <= n_max <= MAX_SYMBOLIC_UNITS
        Largest number of inputs checked.
    inverted : bool
        Check the moments of inverted dropout.

    Returns
    -------
    rows : list of (n, number_of_states, mean_matches, variance_matches)
        The two booleans are ``sp.simplify(enumerated - closed_form) == 0``.
    """
    rows = []
    n_max = check_int(n_max, "n_max", minimum=1, maximum=MAX_SYMBOLIC_UNITS)
    for n in range(1, n_max + 1):
        mean_ok = sp.simplify(expected_value(n, inverted) - closed_form_mean(n, inverted)) == 0
        var_ok = sp.simplify(variance(n, inverted) - closed_form_variance(n, inverted)) == 0
        rows.append((n, 2**n, bool(mean_ok), bool(var_ok)))
    return rows
