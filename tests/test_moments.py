"""Exact moments by enumeration against the closed forms and the worked case."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dropout_lib import exact_moments, linear_unit_moments, unit_values


def test_worked_case():
    # w = (2, -1), x = (1.5, 1), keep q = 0.6 (p = 0.4): the four states give z = 0, 3, -1, 2,
    # so E = q (3 - 1) = 1.2 and Var = q p (3^2 + 1^2) = 2.4; inverted, E = 2 and Var = 2.4 / q^2.
    _, probs, z = unit_values([2, -1], [1.5, 1], 0.4)
    np.testing.assert_allclose(z, [0, 3, -1, 2])
    np.testing.assert_allclose(probs, [0.16, 0.24, 0.24, 0.36])
    assert exact_moments([2, -1], [1.5, 1], 0.4) == pytest.approx((1.2, 2.4))
    assert exact_moments([2, -1], [1.5, 1], 0.4, inverted=True) == pytest.approx((2.0, 6.0 / 0.9))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 10),
    p=st.floats(0, 1),
    inverted=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_enumeration_equals_closed_form(n, p, inverted, seed):
    rng = np.random.default_rng(seed)
    w, x = rng.normal(size=n), rng.normal(size=n)
    exact = exact_moments(w, x, p, inverted=inverted)
    closed = linear_unit_moments(w, x, p, inverted=inverted)
    scale = 1 + np.sum((w * x) ** 2) / max(1 - p, 1e-12) ** 2
    np.testing.assert_allclose(exact, closed, rtol=1e-9, atol=1e-9 * scale)


def test_monte_carlo_agrees_within_standard_error():
    rng = np.random.default_rng(2)
    w, x, p = rng.normal(size=8), rng.normal(size=8), 0.3
    masks = rng.random((200_000, 8)) >= p
    z = masks @ (w * x)
    mean, var = exact_moments(w, x, p)
    assert abs(z.mean() - mean) < 5 * np.sqrt(var / z.size)


def test_inputs_are_not_modified():
    w, x = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    exact_moments(w, x, 0.5, inverted=True)
    np.testing.assert_array_equal(w, [1.0, 2.0])
    np.testing.assert_array_equal(x, [3.0, 4.0])


def test_p_one_inverted_is_zero_like_pytorch():
    assert exact_moments([1.0, 2.0], [1.0, 1.0], 1.0, inverted=True) == (0.0, 0.0)
    assert linear_unit_moments([1.0, 2.0], [1.0, 1.0], 1.0, inverted=True) == (0.0, 0.0)


def test_too_many_inputs_to_enumerate_names_w_and_x():
    with pytest.raises(ValueError, match="w and x have 25 entries.*linear_unit_moments"):
        exact_moments(np.ones(25), np.ones(25), 0.5)
    assert linear_unit_moments(np.ones(25), np.ones(25), 0.5) == pytest.approx((12.5, 6.25))
