"""The sympy derivation against the textbook closed forms."""

import numpy as np
import pytest
import sympy as sp

from dropout_lib import exact_moments, symbolic
from dropout_lib.symbolic import p


def test_two_input_states_are_the_four_cases_written_by_hand():
    rows = symbolic.mask_states(2)
    (w1, w2), (x1, x2) = symbolic.weights_and_inputs(2)
    expected = {
        (0, 0): (p**2, 0),
        (1, 0): (p * (1 - p), w1 * x1),
        (0, 1): (p * (1 - p), w2 * x2),
        (1, 1): ((1 - p) ** 2, w1 * x1 + w2 * x2),
    }
    assert len(rows) == 4
    for mask, prob, contribution in rows:
        want_prob, want_z = expected[mask]
        assert sp.simplify(prob - want_prob) == 0
        assert sp.simplify(contribution - want_z) == 0


@pytest.mark.parametrize("n", range(1, 7))
@pytest.mark.parametrize("inverted", [False, True])
def test_moments_equal_closed_forms(n, inverted):
    mean = symbolic.expected_value(n, inverted=inverted)
    var = symbolic.variance(n, inverted=inverted)
    assert sp.simplify(mean - symbolic.closed_form_mean(n, inverted=inverted)) == 0
    assert sp.simplify(var - symbolic.closed_form_variance(n, inverted=inverted)) == 0


def test_closed_form_is_the_textbook_one():
    (w1, w2, w3), (x1, x2, x3) = symbolic.weights_and_inputs(3)
    s = w1 * x1 + w2 * x2 + w3 * x3
    squares = (w1 * x1) ** 2 + (w2 * x2) ** 2 + (w3 * x3) ** 2
    assert sp.simplify(symbolic.expected_value(3) - (1 - p) * s) == 0
    assert sp.simplify(symbolic.variance(3) - p * (1 - p) * squares) == 0


def test_symbolic_agrees_with_numeric_enumeration():
    rng = np.random.default_rng(4)
    n = 4
    w, x = rng.normal(size=n), rng.normal(size=n)
    ws, xs = symbolic.weights_and_inputs(n)
    values = {**dict(zip(ws, w)), **dict(zip(xs, x)), p: 0.3}
    numeric = exact_moments(w, x, 0.3)
    assert float(symbolic.expected_value(n).subs(values)) == pytest.approx(numeric[0])
    assert float(symbolic.variance(n).subs(values)) == pytest.approx(numeric[1])


@pytest.mark.parametrize(
    "bad,error",
    [(0, ValueError), (11, ValueError), (2.0, TypeError), ("2", TypeError), (True, TypeError)],
)
def test_bad_n(bad, error):
    with pytest.raises(error, match=r"\bn\b"):
        symbolic.mask_states(bad)
    with pytest.raises(error, match=r"\bn\b"):
        symbolic.closed_form_mean(bad)


def test_numpy_int_n_is_accepted():
    assert symbolic.mask_states(np.int64(2)) == symbolic.mask_states(2)
    assert [r[0] for r in symbolic.confirm_moments(np.int64(2))] == [1, 2]
    with pytest.raises(ValueError, match="n_max"):
        symbolic.confirm_moments(0)
