"""dropout, dropout_backward and the Dropout layer against their definitions."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dropout_lib import Dropout, apply_mask, dropout, dropout_backward, sample_mask

FLOATS = st.sampled_from([np.float32, np.float64])
ARRAYS = FLOATS.flatmap(
    lambda dtype: hnp.arrays(
        dtype,
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
        elements=st.floats(-1e3, 1e3, width=32),
    )
)


@pytest.mark.parametrize("inverted", [True, False])
def test_training_output_is_x_times_mask_times_scale(inverted):
    x = np.linspace(-2, 3, 50)
    p = 0.3
    out = dropout(x, p, inverted=inverted, rng=np.random.default_rng(5))
    mask = sample_mask(x.shape, p, np.random.default_rng(5))
    scale = 1 / (1 - p) if inverted else 1.0
    np.testing.assert_allclose(out, x * mask * scale)


def test_evaluation_modes():
    x = np.array([1.0, -2.0, 3.5])
    np.testing.assert_array_equal(dropout(x, 0.25, training=False), x)
    np.testing.assert_allclose(dropout(x, 0.25, training=False, inverted=False), 0.75 * x)


@pytest.mark.parametrize("inverted", [True, False])
@pytest.mark.parametrize("training", [True, False])
def test_p_zero_is_the_identity(inverted, training):
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(dropout(x, 0.0, training=training, inverted=inverted), x)


@pytest.mark.parametrize("inverted", [True, False])
def test_p_one_gives_zeros_in_training(inverted):
    x = np.arange(1.0, 7.0)
    np.testing.assert_array_equal(dropout(x, 1.0, inverted=inverted, rng=0), np.zeros(6))


def test_empty_input_returns_empty():
    out = dropout(np.zeros((0, 3), np.float32), 0.5, rng=0)
    assert out.shape == (0, 3) and out.dtype == np.float32


def test_integer_input_becomes_float64():
    assert dropout([1, 2, 3], 0.5, rng=0).dtype == np.float64


@pytest.mark.parametrize("inverted", [True, False])
def test_elementwise_moments_within_standard_error(inverted):
    # Each output is x * m * s with m ~ Bernoulli(q): mean s q x, variance s^2 q (1-q) x^2.
    p, x0, n = 0.4, 2.5, 400_000
    q = 1 - p
    s = 1 / q if inverted else 1.0
    out = dropout(np.full(n, x0), p, inverted=inverted, rng=np.random.default_rng(11))
    mean, var = s * q * x0, s**2 * q * (1 - q) * x0**2
    # Standard error of the sample mean is sqrt(var / n); of the sample variance,
    # sqrt((mu4 - var^2) / n) with mu4 the fourth central moment of a scaled Bernoulli.
    mu4 = (s * x0) ** 4 * q * (1 - q) * (1 - 3 * q + 3 * q**2)
    assert abs(out.mean() - mean) < 5 * math.sqrt(var / n)
    assert abs(out.var() - var) < 5 * math.sqrt((mu4 - var**2) / n)


def test_finite_difference_gradient_of_backward(rng):
    # L(x) = sum(c * dropout(x)) with a fixed mask: dL/dx must match central differences.
    x = rng.normal(size=(4, 5))
    c = rng.normal(size=(4, 5))
    p = 0.35
    mask = sample_mask(x.shape, p, rng)
    for inverted in (True, False):

        def loss(z, inverted=inverted):
            return float(np.sum(c * apply_mask(z, mask, p, inverted=inverted)))

        grad = dropout_backward(c, mask, p, inverted=inverted)
        eps = 1e-6
        numeric = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[index] = eps
            numeric[index] = (loss(x + step) - loss(x - step)) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_layer_modes_mask_and_backward():
    layer = Dropout(0.5, seed=3)
    assert layer.training and repr(layer).startswith("Dropout(p=0.5")
    x = np.arange(1.0, 11.0)
    out = layer.forward(x)
    np.testing.assert_allclose(out, x * layer.mask * 2.0)
    np.testing.assert_allclose(layer.backward(np.ones(10)), layer.mask * 2.0)
    assert layer.eval() is layer and not layer.training
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(np.ones(10)), np.ones(10))
    standard = Dropout(0.25, inverted=False).eval()
    np.testing.assert_allclose(standard(x), 0.75 * x)
    np.testing.assert_allclose(standard.backward(np.ones(10)), np.full(10, 0.75))
    assert layer.train() is layer and layer.training


def test_layer_rng_argument_overrides_its_own_generator():
    x = np.ones(100)
    a = Dropout(0.5, seed=1).forward(x, rng=np.random.default_rng(9))
    b = Dropout(0.5, seed=2).forward(x, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(
    x=ARRAYS,
    p=st.floats(0, 1),
    inverted=st.booleans(),
    training=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_dropout_properties(x, p, inverted, training, seed):
    before = x.copy()
    a = dropout(x, p, training=training, inverted=inverted, rng=np.random.default_rng(seed))
    b = dropout(x, p, training=training, inverted=inverted, rng=np.random.default_rng(seed))
    np.testing.assert_array_equal(x, before)  # the input is never modified
    assert a.shape == x.shape and a.dtype == x.dtype
    assert a is not x and not np.shares_memory(a, x)
    np.testing.assert_array_equal(a, b)  # same seed, same output
    if training:
        # every entry is either dropped (0) or kept and scaled by a common factor
        kept = a != 0
        scale = 1 / (1 - p) if (inverted and p < 1) else 1.0
        np.testing.assert_allclose(a[kept], (x[kept] * x.dtype.type(scale)), rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(dout=ARRAYS, p=st.floats(0, 1), seed=st.integers(0, 2**31))
def test_backward_properties(dout, p, seed):
    mask = sample_mask(dout.shape, p, np.random.default_rng(seed))
    before, mask_before = dout.copy(), mask.copy()
    grad = dropout_backward(dout, mask, p)
    np.testing.assert_array_equal(dout, before)
    np.testing.assert_array_equal(mask, mask_before)
    assert grad.shape == dout.shape and grad.dtype == dout.dtype
    assert np.all(grad[~mask] == 0)


def test_mask_mismatch_names_x_forward_and_dout_backward():
    with pytest.raises(ValueError, match=r"mask has shape \(3,\), but x has shape \(2, 3\)"):
        apply_mask(np.ones((2, 3)), np.ones(3, bool), 0.5)
    with pytest.raises(ValueError, match=r"mask has shape \(3,\), but dout has shape \(2, 3\)"):
        dropout_backward(np.ones((2, 3)), np.ones(3, bool), 0.5)
