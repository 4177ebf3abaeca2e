"""Dropout on the inputs of a linear regression is ridge regression (paper Sec. 9.1).

Every entry ``x_ij`` of the design matrix ``X`` (shape (n, d)) is kept by an
independent mask entry ``R_ij ~ Bernoulli(1 - p)`` and zeroed otherwise, with
no rescaling, as in Srivastava et al. (2014). ``p`` is the probability of
**dropping** an entry. The expected squared error is

.. math::

    E_R \\|y - (R * X) w\\|^2 = \\|y - (1 - p) X w\\|^2 + p (1 - p) \\|\\Gamma w\\|^2,
    \\qquad \\Gamma = \\mathrm{diag}(X^T X)^{1/2},

so with ``w~ = (1 - p) w`` minimising it is ridge regression with the penalty
``p / (1 - p) * (X^T X)_jj`` on feature ``j``. Setting the gradient to zero
gives the trained weights in closed form, ``w = (q G + p diag G)^-1 X^T y``
with ``G = X^T X`` and ``q = 1 - p``: dropout replaces the Gram matrix by one
whose off-diagonal entries are shrunk by ``q`` towards its diagonal. The
solution is scale-equivariant (multiplying a feature by ``c`` divides its
weight by ``c``), and with orthogonal features the trained weights are the
least-squares ones. This module computes both sides:
the left by enumerating every one of the ``2**(n d)`` masks (small problems
only), the right in closed form, and, with sympy, the identity for symbolic
``X``, ``y``, ``w`` and ``p``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import (
    as_generator,
    as_real_array,
    check_int,
    check_p,
    check_p_below_one,
    check_real,
)
from .masks import enumerate_masks

__all__ = [
    "MAX_ENUMERATED_ENTRIES",
    "MAX_SYMBOLIC_ENTRIES",
    "expected_dropout_objective",
    "ridge_closed_form_objective",
    "RidgeCheck",
    "ridge_identity_check",
    "dropout_ridge_solution",
    "dropout_ridge_weights",
    "dropout_gram",
    "least_squares_solution",
    "l2_ridge_solution",
    "per_feature_ridge_solution",
    "RidgePath",
    "ridge_path",
    "SymbolicRidgeIdentity",
    "symbolic_ridge_identity",
]

#: Most entries of ``X`` whose masks are enumerated (2**20, about a million masks).
MAX_ENUMERATED_ENTRIES = 20
#: Most entries of the symbolic ``X`` of :func:`symbolic_ridge_identity`; the
#: expansion has of the order of ``(n d)**2`` terms per example and sympy slows down.
MAX_SYMBOLIC_ENTRIES = 12


def _check_regression(X, y, w=None):
    """Return ``X`` (n, d), ``y`` (n,) and ``w`` (d,) as float64 arrays after checking shapes."""
    X = as_real_array(X, "X").astype(np.float64, copy=False)
    y = as_real_array(y, "y").astype(np.float64, copy=False)
    w = None if w is None else as_real_array(w, "w").astype(np.float64, copy=False)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, d), but got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape (n,) = ({X.shape[0]},) to match X, but got {y.shape}")
    if w is not None and w.shape != (X.shape[1],):
        raise ValueError(f"w must have shape (d,) = ({X.shape[1]},) to match X, but got {w.shape}")
    return X, y, w


def _check_enumerable(X):
    if X.size > MAX_ENUMERATED_ENTRIES:
        raise ValueError(
            f"X has {X.size} entries, so there are 2**{X.size} masks to enumerate; use at "
            f"most {MAX_ENUMERATED_ENTRIES} entries"
        )


def _check_shape_sizes(n_samples, n_features, maximum=MAX_ENUMERATED_ENTRIES):
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    n_features = check_int(n_features, "n_features", minimum=1)
    if n_samples * n_features > maximum:
        raise ValueError(
            f"n_samples * n_features must be at most {maximum}, but got "
            f"n_samples={n_samples} and n_features={n_features}"
        )
    return n_samples, n_features


def _dropped_designs(X, p):
    """Every masked design ``R * X``, shape (2**(n d), n, d), and the probability of each."""
    masks, probs = enumerate_masks(X.size, p)
    return masks.reshape(-1, *X.shape) * X, probs


def expected_dropout_objective(X, y, w, p) -> float:
    """Exact ``E_R ||y - (R * X) w||^2`` by enumerating every mask R (paper Sec. 9.1).

    ``R`` has the shape of ``X`` and independent entries that are 0 with
    probability ``p`` (dropped) and 1 otherwise; ``*`` is the elementwise
    product. No rescaling by ``1 / (1 - p)``, as in the paper.

    Parameters
    ----------
    X : array_like of float, shape (n, d), with n * d <= 20
    y : array_like of float, shape (n,)
    w : array_like of float, shape (d,)
    p : float in [0, 1]

    Returns
    -------
    float
        The probability-weighted sum over all ``2**(n*d)`` masks.
    """
    X, y, w = _check_regression(X, y, w)
    p = check_p(p)
    _check_enumerable(X)
    dropped_X, probs = _dropped_designs(X, p)
    residuals = y - dropped_X @ w
    return float(probs @ np.einsum("mi,mi->m", residuals, residuals))


def ridge_closed_form_objective(X, y, w, p) -> float:
    """``||y - (1 - p) X w||^2 + p (1 - p) ||Gamma w||^2`` with ``Gamma = diag(X^T X)^(1/2)``.

    Parameters
    ----------
    X : array_like of float, shape (n, d)
    y : array_like of float, shape (n,)
    w : array_like of float, shape (d,)
    p : float in [0, 1]

    Returns
    -------
    float
        The right side of the Sec. 9.1 identity; any size of ``X`` works.
    """
    X, y, w = _check_regression(X, y, w)
    p = check_p(p)
    keep = 1.0 - p
    residual = y - keep * (X @ w)
    gamma_sq = np.einsum("ij,ij->j", X, X)
    return float(residual @ residual + p * keep * np.sum(gamma_sq * w**2))


@dataclass(frozen=True, eq=False)
class RidgeCheck:
    """One numerical check of the Sec. 9.1 identity on random data.

    Attributes
    ----------
    X : ndarray of float64, shape (n, d)
    y : ndarray of float64, shape (n,)
    w : ndarray of float64, shape (d,)
    p : float
        Drop probability of each entry of ``X``.
    enumerated : float
        :func:`expected_dropout_objective`, the average over every mask.
    closed_form : float
        :func:`ridge_closed_form_objective`.
    """

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    p: float
    enumerated: float
    closed_form: float

    @property
    def difference(self) -> float:
        """``|enumerated - closed_form|``, rounding error only."""
        return abs(self.enumerated - self.closed_form)


def ridge_identity_check(n_samples=4, n_features=3, p=0.3, *, rng=0) -> RidgeCheck:
    """Compare :func:`expected_dropout_objective` with the closed form on random data.

    ``X``, ``y`` and ``w`` have independent standard normal entries, drawn in
    that order.

    Parameters
    ----------
    n_samples, n_features : int >= 1
        Shape of the random ``X``; their product is at most 20.
    p : float in [0, 1]
    rng : numpy.random.Generator or int

    Returns
    -------
    RidgeCheck
    """
    n_samples, n_features = _check_shape_sizes(n_samples, n_features)
    p = check_p(p)
    rng = as_generator(rng)
    X = rng.normal(size=(n_samples, n_features))
    y = rng.normal(size=n_samples)
    w = rng.normal(size=n_features)
    return RidgeCheck(
        X=X,
        y=y,
        w=w,
        p=p,
        enumerated=expected_dropout_objective(X, y, w, p),
        closed_form=ridge_closed_form_objective(X, y, w, p),
    )


def dropout_ridge_solution(X, y, p) -> np.ndarray:
    """The ``w`` minimising the exact expected dropout objective, found by enumeration.

    The objective is ``E_R ||y - (R * X) w||^2 = w^T A w - 2 b^T w + y^T y`` with
    ``A = E[(R * X)^T (R * X)]`` and ``b = E[(R * X)^T y]``, both computed over
    every mask; the minimiser solves ``A w = b``.

    Parameters
    ----------
    X : array_like of float, shape (n, d), with n * d <= 20
    y : array_like of float, shape (n,)
    p : float in [0, 1)
        At ``p = 1`` every entry is dropped and no ``w`` is preferred.

    Returns
    -------
    w : ndarray of float64, shape (d,)
    """
    X, y, _ = _check_regression(X, y)
    p = check_p_below_one(p, why="every entry of X is dropped, so the objective ignores w")
    _check_enumerable(X)
    dropped_X, probs = _dropped_designs(X, p)
    A = np.einsum("m,mij,mik->jk", probs, dropped_X, dropped_X)
    b = np.einsum("m,mij,i->j", probs, dropped_X, y)
    return np.linalg.solve(A, b)


def dropout_gram(X, p) -> np.ndarray:
    """The Gram matrix dropout trains with: ``q G + p diag(G)``, ``G = X^T X``, ``q = 1 - p``.

    Its diagonal is ``G``'s; every off-diagonal entry is ``q`` times ``G``'s, so
    the cosine similarity of two features' columns is multiplied by ``q``:
    dropout decorrelates the features it sees.

    Parameters
    ----------
    X : array_like of float, shape (n, d)
    p : float in [0, 1]

    Returns
    -------
    ndarray of float64, shape (d, d)
    """
    X = as_real_array(X, "X").astype(np.float64, copy=False)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, d), but got shape {X.shape}")
    p = check_p(p)
    gram = X.T @ X
    return (1.0 - p) * gram + p * np.diag(np.diag(gram))


def dropout_ridge_weights(X, y, p) -> np.ndarray:
    """The trained weights of dropout regression in closed form, for any size of ``X``.

    Setting the gradient of ``||y - q X w||^2 + p q w^T diag(G) w`` to zero gives
    ``(q G + p diag G) w = X^T y`` with ``G = X^T X`` and ``q = 1 - p``. These are
    the weights dropout *trains*; the network uses ``q w`` at test time
    (:func:`per_feature_ridge_solution`). :func:`dropout_ridge_solution` finds
    the same ``w`` by enumerating every mask.

    Parameters
    ----------
    X : array_like of float, shape (n, d)
    y : array_like of float, shape (n,)
    p : float in [0, 1)

    Returns
    -------
    w : ndarray of float64, shape (d,)
        ``(q G + p diag G)^-1 X^T y``.
    """
    X, y, _ = _check_regression(X, y)
    p = check_p_below_one(p, why="every entry of X is dropped, so the objective ignores w")
    return np.linalg.solve(dropout_gram(X, p), X.T @ y)


def least_squares_solution(X, y) -> np.ndarray:
    """Ordinary least squares, ``argmin ||y - X w||^2`` (minimum-norm if not unique).

    Parameters
    ----------
    X : array_like of float, shape (n, d)
    y : array_like of float, shape (n,)

    Returns
    -------
    w : ndarray of float64, shape (d,)
    """
    X, y, _ = _check_regression(X, y)
    return np.linalg.lstsq(X, y, rcond=None)[0]


def l2_ridge_solution(X, y, alpha) -> np.ndarray:
    """Ridge regression with one penalty for every feature (L2 weight decay).

    Minimises ``||y - X w||^2 + alpha ||w||^2``.

    Parameters
    ----------
    X : array_like of float, shape (n, d)
    y : array_like of float, shape (n,)
    alpha : float >= 0

    Returns
    -------
    w : ndarray of float64, shape (d,)
        ``(X^T X + alpha I)^-1 X^T y``.
    """
    X, y, _ = _check_regression(X, y)
    alpha = check_real(alpha, "alpha", low=0.0)
    return np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T @ y)


def per_feature_ridge_solution(X, y, p) -> np.ndarray:
    """Ridge regression with a penalty ``(p / (1 - p)) (X^T X)_jj`` on feature ``j``.

    Sec. 9.1 of the paper says the dropout solution is ``w = w~ / (1 - p)``.

    Parameters
    ----------
    X : array_like of float, shape (n, d)
    y : array_like of float, shape (n,)
    p : float in [0, 1)

    Returns
    -------
    w_tilde : ndarray of float64, shape (d,)
        ``(X^T X + (p/(1-p)) diag(X^T X))^-1 X^T y``.
    """
    X, y, _ = _check_regression(X, y)
    p = check_p_below_one(p, why="the ridge penalty p / (1 - p) is infinite at p = 1")
    gram = X.T @ X
    penalty = p / (1.0 - p) * np.diag(np.diag(gram))
    return np.linalg.solve(gram + penalty, X.T @ y)


@dataclass(frozen=True, eq=False)
class RidgePath:
    """Dropout-regression and ridge weights of one problem over a range of p.

    Attributes
    ----------
    p_values : ndarray of float64, shape (P,)
    dropout : ndarray of float64, shape (P, d)
        ``(1 - p) w`` with ``w`` the minimiser of the enumerated dropout objective.
    ridge : ndarray of float64, shape (P, d)
        The per-feature ridge solution ``w~`` at each ``p``.
    X : ndarray of float64, shape (n, d)
    y : ndarray of float64, shape (n,)
    """

    p_values: np.ndarray
    dropout: np.ndarray
    ridge: np.ndarray
    X: np.ndarray
    y: np.ndarray


def ridge_path(
    p_values=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8), *, n_samples=5, n_features=3, rng=0
) -> RidgePath:
    """Dropout-regression weights against p, beside the per-feature ridge solution.

    On one random regression problem small enough to enumerate every mask, for
    each p: the minimiser ``w`` of the exact expected dropout objective
    (:func:`dropout_ridge_solution`), scaled to ``(1 - p) w``, and the ridge
    solution ``w~`` with penalty ``(p / (1 - p)) (X^T X)_jj`` on feature ``j``
    (:func:`per_feature_ridge_solution`). Sec. 9.1 says they are equal.

    ``X`` has standard normal entries and ``y = X v + 0.5 e`` with standard
    normal ``v`` and ``e``, drawn in that order.

    Parameters
    ----------
    p_values : sequence of float in [0, 1)
    n_samples, n_features : int >= 1
        Shape of ``X``; their product is at most 20.
    rng : numpy.random.Generator or int

    Returns
    -------
    RidgePath
    """
    n_samples, n_features = _check_shape_sizes(n_samples, n_features)
    p_values = np.array(
        [
            check_p_below_one(p, "p_values", why="the ridge penalty p / (1 - p) is infinite")
            for p in p_values
        ]
    )
    rng = as_generator(rng)
    X = rng.normal(size=(n_samples, n_features))
    y = X @ rng.normal(size=n_features) + 0.5 * rng.normal(size=n_samples)
    dropout = np.array([(1 - p) * dropout_ridge_solution(X, y, p) for p in p_values])
    ridge = np.array([per_feature_ridge_solution(X, y, p) for p in p_values])
    return RidgePath(p_values=p_values, dropout=dropout, ridge=ridge, X=X, y=y)


@dataclass(frozen=True, eq=False)
class SymbolicRidgeIdentity:
    """The Sec. 9.1 identity derived with sympy.

    Attributes
    ----------
    expected : sympy.Expr
        ``E_R ||y - (R * X) w||^2``, derived by expanding, replacing every
        ``r**2`` by ``r`` and every ``r`` by ``1 - p``.
    closed_form : sympy.Expr
        ``||y - (1-p) X w||^2 + p (1-p) ||Gamma w||^2``.
    difference : sympy.Expr
        ``expected - closed_form``, expanded: 0 when the identity holds.
    X : sympy.Matrix, shape (n, d)
        Symbols ``x_ij``.
    y : sympy.Matrix, shape (n, 1)
        Symbols ``y_i``.
    w : sympy.Matrix, shape (d, 1)
        Symbols ``w_j``.
    R : sympy.Matrix, shape (n, d)
        The mask symbols ``r_ij``.
    p : sympy.Symbol
        The drop probability.
    """

    expected: object
    closed_form: object
    difference: object
    X: object
    y: object
    w: object
    R: object
    p: object


def symbolic_ridge_identity(n_samples=2, n_features=2) -> SymbolicRidgeIdentity:
    """Derive the Sec. 9.1 identity with sympy for symbolic X, y, w and p.

    The squared error is a polynomial of degree two in the mask entries
    ``r_ij``. For a 0/1 variable ``r**2 = r``, and independent entries with
    ``E[r] = 1 - p`` make the expectation of a product of distinct entries the
    product of their expectations, so the expectation is: expand, replace
    every ``r**2`` by ``r``, then every ``r`` by ``1 - p``.

    Parameters
    ----------
    n_samples, n_features : int >= 1
        Shape of the symbolic ``X``; their product is at most 12.

    Returns
    -------
    SymbolicRidgeIdentity
    """
    n_samples, n_features = _check_shape_sizes(n_samples, n_features, MAX_SYMBOLIC_ENTRIES)
    import sympy as sp

    from .symbolic import p

    X = sp.Matrix(n_samples, n_features, lambda i, j: sp.Symbol(f"x_{i + 1}{j + 1}", real=True))
    R = sp.Matrix(n_samples, n_features, lambda i, j: sp.Symbol(f"r_{i + 1}{j + 1}"))
    y = sp.Matrix(n_samples, 1, lambda i, _: sp.Symbol(f"y_{i + 1}", real=True))
    w = sp.Matrix(n_features, 1, lambda j, _: sp.Symbol(f"w_{j + 1}", real=True))
    residual = y - X.multiply_elementwise(R) * w
    loss = sp.expand((residual.T * residual)[0, 0])
    expected = loss.subs({r**2: r for r in R}).subs({r: 1 - p for r in R})
    keep_residual = y - (1 - p) * X * w
    gamma_sq = [sum(X[i, j] ** 2 for i in range(n_samples)) for j in range(n_features)]
    closed_form = (keep_residual.T * keep_residual)[0, 0] + p * (1 - p) * sum(
        gamma_sq[j] * w[j] ** 2 for j in range(n_features)
    )
    return SymbolicRidgeIdentity(
        expected=expected,
        closed_form=closed_form,
        difference=sp.expand(expected - closed_form),
        X=X,
        y=y,
        w=w,
        R=R,
        p=p,
    )
