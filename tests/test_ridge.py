"""Dropout on a linear regression is ridge regression (paper Sec. 9.1), checked against truth.

The truth here is an enumeration of every mask written out with itertools,
independently of the library's enumerate_masks, the ridge solution written as
its textbook formula, a finite-difference gradient, and hand-worked examples.
"""

import itertools
import math

import numpy as np
import pytest
import sympy as sp

from dropout_lib import ridge


def _brute_force_objective(X, y, w, p):
    """E_R ||y - (R * X) w||^2 by listing every 0/1 mask R, one at a time."""
    total = 0.0
    for bits in itertools.product((0, 1), repeat=X.size):
        R = np.array(bits, dtype=float).reshape(X.shape)
        kept = int(R.sum())
        prob = (1 - p) ** kept * p ** (X.size - kept)
        total += prob * float(np.sum((y - (R * X) @ w) ** 2))
    return total


def _ridge_formula(X, y, p):
    """(X^T X + p / (1 - p) diag(X^T X))^-1 X^T y, the per-feature ridge solution."""
    gram = X.T @ X
    return np.linalg.solve(gram + p / (1 - p) * np.diag(np.diag(gram)), X.T @ y)


def _problem(seed, n, d):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d)


def test_one_entry_by_hand():
    # X = [[1]], y = [1], w = [1]: the residual is 1 when the entry is dropped
    # (probability p) and 0 when kept, so the expectation is p; the closed form
    # gives (1 - q)^2 + p q = p^2 + p (1 - p) = p.
    for p in (0.0, 0.25, 0.5, 1.0):
        X, y, w = np.ones((1, 1)), np.ones(1), np.ones(1)
        assert ridge.expected_dropout_objective(X, y, w, p) == pytest.approx(p, abs=1e-15)
        assert ridge.ridge_closed_form_objective(X, y, w, p) == pytest.approx(p, abs=1e-15)


@pytest.mark.parametrize("n, d", [(1, 1), (2, 3), (3, 2), (4, 3)])
@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 0.9, 1.0])
def test_expected_objective_and_closed_form_equal_the_brute_force_enumeration(n, d, p):
    X, y, w = _problem(10 * n + d, n, d)
    truth = _brute_force_objective(X, y, w, p)
    # Sums of at most 4096 float64 terms of order 10: rounding near 1e-13.
    assert ridge.expected_dropout_objective(X, y, w, p) == pytest.approx(truth, rel=1e-12)
    assert ridge.ridge_closed_form_objective(X, y, w, p) == pytest.approx(truth, rel=1e-12)


@pytest.mark.parametrize(
    "n_samples, n_features, p", [(4, 3, 0.3), (5, 4, 0.5), (2, 2, 0.0), (3, 2, 1.0), (6, 3, 0.9)]
)
def test_ridge_identity_check_on_random_data(n_samples, n_features, p):
    seed = n_samples * 10 + n_features
    check = ridge.ridge_identity_check(n_samples, n_features, p, rng=seed)
    # The documented draws: X, then y, then w, standard normal, from one generator.
    rng = np.random.default_rng(seed)
    np.testing.assert_array_equal(check.X, rng.normal(size=(n_samples, n_features)))
    np.testing.assert_array_equal(check.y, rng.normal(size=n_samples))
    np.testing.assert_array_equal(check.w, rng.normal(size=n_features))
    assert check.p == p
    # Up to 2**20 masks of terms of order 10: rounding errors near 1e-13, so
    # 1e-10 leaves a wide margin and still catches any wrong term.
    assert check.difference < 1e-10
    assert check.difference == abs(check.enumerated - check.closed_form)
    closed = np.sum((check.y - (1 - p) * check.X @ check.w) ** 2) + p * (1 - p) * np.sum(
        np.sum(check.X**2, axis=0) * check.w**2
    )
    assert check.closed_form == pytest.approx(closed, rel=1e-12)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_minimiser_is_the_ridge_formula_divided_by_q_and_has_zero_gradient(p):
    X, y, _ = _problem(3, 4, 3)
    w = ridge.dropout_ridge_solution(X, y, p)
    # Sec. 9.1: (1 - p) w is the per-feature ridge solution; 3x3 solves of
    # well-conditioned matrices agree to near machine precision.
    np.testing.assert_allclose((1 - p) * w, _ridge_formula(X, y, p), rtol=1e-10, atol=1e-12)
    # And it is a minimum of the brute-force objective: central differences of
    # a quadratic are exact up to rounding, so the gradient is ~1e-7 at most.
    eps = 1e-5
    for j in range(3):
        step = np.eye(3)[j] * eps
        up = _brute_force_objective(X, y, w + step, p)
        down = _brute_force_objective(X, y, w - step, p)
        assert abs(up - down) / (2 * eps) < 1e-6
        assert up > _brute_force_objective(X, y, w, p) < down


def test_per_feature_ridge_solution_closed_forms():
    X, y, _ = _problem(4, 6, 3)
    np.testing.assert_allclose(
        ridge.per_feature_ridge_solution(X, y, 0.3), _ridge_formula(X, y, 0.3), rtol=1e-12
    )
    # p = 0: no penalty, ordinary least squares.
    np.testing.assert_allclose(
        ridge.per_feature_ridge_solution(X, y, 0.0),
        np.linalg.lstsq(X, y, rcond=None)[0],
        rtol=1e-10,
    )
    # p = 0.5 and orthogonal features with (X^T X)_jj = c_j: w~_j = (X^T y)_j / (2 c_j).
    Q = np.linalg.qr(np.random.default_rng(5).normal(size=(6, 3)))[0] * [1.0, 2.0, 3.0]
    np.testing.assert_allclose(
        ridge.per_feature_ridge_solution(Q, y, 0.5), (Q.T @ y) / (2 * np.sum(Q**2, axis=0))
    )


def test_ridge_path_holds_the_identity_at_every_p():
    path = ridge.ridge_path((0.0, 0.2, 0.6), n_samples=4, n_features=2, rng=1)
    assert path.p_values.shape == (3,) and path.dropout.shape == path.ridge.shape == (3, 2)
    # The documented draws: X, then the true weights, then the noise.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4, 2))
    y = X @ rng.normal(size=2) + 0.5 * rng.normal(size=4)
    np.testing.assert_array_equal(path.X, X)
    np.testing.assert_array_equal(path.y, y)
    for p, row_dropout, row_ridge in zip(path.p_values, path.dropout, path.ridge):
        np.testing.assert_allclose(row_ridge, _ridge_formula(X, y, p), rtol=1e-12)
        np.testing.assert_allclose(row_dropout, row_ridge, rtol=1e-10, atol=1e-12)


def test_the_identity_holds_symbolically_and_matches_the_enumeration():
    result = ridge.symbolic_ridge_identity(2, 2)
    assert result.difference == 0
    assert set(result.R) == {sp.Symbol(f"r_{i}{j}") for i in (1, 2) for j in (1, 2)}
    X, y, w = _problem(2, 2, 2)
    p = 0.35
    values = {result.p: p}
    values.update(dict(zip(result.X, X.ravel())))
    values.update(dict(zip(result.y, y)))
    values.update(dict(zip(result.w, w)))
    symbolic = float(sp.N(result.expected.subs(values)))
    assert symbolic == pytest.approx(_brute_force_objective(X, y, w, p), rel=1e-12)
    # At p = 0 nothing is dropped and the objective is the plain squared error.
    plain = sum(
        (yi - sum(xij * wj for xij, wj in zip(row, result.w))) ** 2
        for row, yi in zip(result.X.tolist(), result.y)
    )
    assert sp.expand(result.expected.subs(result.p, 0) - plain) == 0


def test_inputs_are_not_modified():
    X, y, w = _problem(6, 3, 2)
    X_int = np.arange(6).reshape(3, 2)
    before = [a.copy() for a in (X, y, w, X_int)]
    ridge.expected_dropout_objective(X, y, w, 0.4)
    ridge.ridge_closed_form_objective(X_int, y, w, 0.4)
    ridge.dropout_ridge_solution(X, y, 0.4)
    ridge.per_feature_ridge_solution(X, y, 0.4)
    for array, copy in zip((X, y, w, X_int), before):
        np.testing.assert_array_equal(array, copy)


_X, _Y, _W = np.ones((2, 2)), np.ones(2), np.ones(2)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: ridge.expected_dropout_objective(_X, _Y, _W, "0.5"), TypeError, "p"),
        (lambda: ridge.expected_dropout_objective(_X, _Y, _W, 1.5), ValueError, "p"),
        (lambda: ridge.expected_dropout_objective(_X, _Y, _W, math.nan), ValueError, "p"),
        (lambda: ridge.expected_dropout_objective(["a"], _Y, _W, 0.5), TypeError, "X"),
        (lambda: ridge.expected_dropout_objective(np.ones(2), _Y, _W, 0.5), ValueError, "X"),
        (lambda: ridge.expected_dropout_objective(_X, np.ones(3), _W, 0.5), ValueError, "y"),
        (lambda: ridge.expected_dropout_objective(_X, _Y, np.ones(3), 0.5), ValueError, "w"),
        (
            lambda: ridge.expected_dropout_objective(np.ones((5, 5)), np.ones(5), np.ones(5), 0.5),
            ValueError,
            "entries",
        ),
        (lambda: ridge.ridge_closed_form_objective(_X, _Y, _W, True), TypeError, "p"),
        (lambda: ridge.dropout_ridge_solution(_X, _Y, 1.0), ValueError, "below 1"),
        (lambda: ridge.per_feature_ridge_solution(_X, _Y, 1.0), ValueError, "infinite"),
        (lambda: ridge.per_feature_ridge_solution(_X, _Y, None), TypeError, "p"),
        (lambda: ridge.ridge_identity_check(2.0, 3), TypeError, "n_samples"),
        (lambda: ridge.ridge_identity_check(0, 3), ValueError, "n_samples"),
        (lambda: ridge.ridge_identity_check(5, 5), ValueError, "at most 20"),
        (lambda: ridge.ridge_identity_check(2, 2, rng="seed"), TypeError, "rng"),
        (lambda: ridge.ridge_path((0.0, 1.0)), ValueError, "p_values"),
        (lambda: ridge.ridge_path(("0.1",)), TypeError, "p_values"),
        (lambda: ridge.ridge_path(n_features=1.5), TypeError, "n_features"),
        (lambda: ridge.symbolic_ridge_identity(4, 4), ValueError, "at most 12"),
        (lambda: ridge.symbolic_ridge_identity("2", 2), TypeError, "n_samples"),
    ],
)
def test_bad_types_are_type_errors_and_bad_values_value_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_numpy_integers_are_accepted_where_ints_are():
    check = ridge.ridge_identity_check(np.int64(2), np.int32(3), 0.5, rng=np.int64(4))
    assert check.X.shape == (2, 3) and check.difference < 1e-10
    path = ridge.ridge_path((0.5,), n_samples=np.int64(3), n_features=np.int64(2))
    assert path.X.shape == (3, 2)
    assert ridge.symbolic_ridge_identity(np.int64(1), np.int64(2)).difference == 0


def test_results_are_frozen():
    check = ridge.ridge_identity_check(2, 2, 0.5)
    with pytest.raises(AttributeError):
        check.p = 0.1


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_closed_form_trained_weights_minimise_the_brute_force_objective(p):
    # The minimiser of the brute-force expectation, found without the formula:
    # the objective is quadratic in w, so a central-difference gradient at the
    # closed-form weights is zero to rounding, and the closed form agrees with
    # the enumerated normal equations.
    X, y, _ = _problem(5, 4, 3)
    w = ridge.dropout_ridge_weights(X, y, p)
    h = 1e-5
    gradient = [
        (
            _brute_force_objective(X, y, w + h * np.eye(3)[j], p)
            - _brute_force_objective(X, y, w - h * np.eye(3)[j], p)
        )
        / (2 * h)
        for j in range(3)
    ]
    np.testing.assert_allclose(gradient, 0.0, atol=1e-7)
    np.testing.assert_allclose(w, ridge.dropout_ridge_solution(X, y, p), rtol=1e-10)
    # The test-time weights q w are the per-feature ridge solution.
    np.testing.assert_allclose((1 - p) * w, _ridge_formula(X, y, p), rtol=1e-10)


def test_dropout_gram_shrinks_off_diagonal_entries_by_q():
    X, _, _ = _problem(6, 7, 4)
    p = 0.3
    gram, shrunk = X.T @ X, ridge.dropout_gram(X, p)
    np.testing.assert_allclose(np.diag(shrunk), np.diag(gram), rtol=1e-15)
    off = ~np.eye(4, dtype=bool)
    np.testing.assert_allclose(shrunk[off], 0.7 * gram[off], rtol=1e-14)
    # Cosine similarities of the columns are multiplied by q = 0.7.
    norms = np.sqrt(np.diag(gram))
    np.testing.assert_allclose(
        (shrunk / np.outer(norms, norms))[off], 0.7 * (gram / np.outer(norms, norms))[off]
    )


def test_orthogonal_features_give_least_squares_training_weights():
    # Q from a QR decomposition has orthonormal columns; scaling them keeps them
    # orthogonal, so X^T X is diagonal and q G + p diag G = G.
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.normal(size=(20, 4)))
    X = Q * np.array([1.0, 3.0, 0.2, 7.0])
    y = rng.normal(size=20)
    ols = np.linalg.solve(X.T @ X, X.T @ y)
    for p in (0.2, 0.5, 0.9):
        np.testing.assert_allclose(ridge.dropout_ridge_weights(X, y, p), ols, rtol=1e-10)
        np.testing.assert_allclose(ridge.per_feature_ridge_solution(X, y, p), (1 - p) * ols)
    np.testing.assert_allclose(ridge.least_squares_solution(X, y), ols, rtol=1e-10)


def test_dropout_is_scale_equivariant_and_weight_decay_is_not():
    X, y, _ = _problem(8, 30, 3)
    scale = np.array([10.0, 1.0, 0.1])
    for p in (0.3, 0.6):
        w, w_scaled = (
            ridge.dropout_ridge_weights(X, y, p),
            ridge.dropout_ridge_weights(X * scale, y, p),
        )
        np.testing.assert_allclose(w_scaled, w / scale, rtol=1e-10)
        np.testing.assert_allclose((X * scale) @ w_scaled, X @ w, rtol=1e-10)
    # The textbook L2 penalty alpha ||w||^2 is not: rescaling changes the fit.
    fit = X @ ridge.l2_ridge_solution(X, y, 5.0)
    fit_scaled = (X * scale) @ ridge.l2_ridge_solution(X * scale, y, 5.0)
    assert np.abs(fit - fit_scaled).max() > 1e-2
    # alpha = 0 is least squares.
    np.testing.assert_allclose(
        ridge.l2_ridge_solution(X, y, 0.0), ridge.least_squares_solution(X, y), rtol=1e-10
    )


def test_new_ridge_functions_check_their_arguments():
    X, y, _ = _problem(1, 3, 2)
    with pytest.raises(ValueError, match="p"):
        ridge.dropout_ridge_weights(X, y, 1.0)
    with pytest.raises(TypeError, match="p"):
        ridge.dropout_gram(X, "0.5")
    with pytest.raises(ValueError, match="X"):
        ridge.dropout_gram(X[0], 0.5)
    with pytest.raises(ValueError, match="alpha"):
        ridge.l2_ridge_solution(X, y, -1.0)
    with pytest.raises(TypeError, match="alpha"):
        ridge.l2_ridge_solution(X, y, None)
    with pytest.raises(ValueError, match="y"):
        ridge.least_squares_solution(X, y[:2])
