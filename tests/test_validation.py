"""Bad arguments raise clear errors that name the argument and its value."""

import math

import numpy as np
import pytest

from dropout_lib import (
    Dropout,
    dropout,
    dropout_backward,
    enumerate_masks,
    exact_moments,
    linear_unit_moments,
    sample_mask,
)

BAD_P = [-0.1, 1.5, math.nan, math.inf, "0.5", None, 1j, True, [0.5]]


@pytest.mark.parametrize("p", BAD_P)
def test_every_function_rejects_bad_p_with_a_value_error_naming_it(p):
    calls = [
        lambda: sample_mask(3, p, 0),
        lambda: dropout(np.ones(3), p, rng=0),
        lambda: dropout(np.ones(3), p, training=False),
        lambda: dropout_backward(np.ones(3), np.ones(3, bool), p),
        lambda: Dropout(p),
        lambda: enumerate_masks(2, p),
        lambda: exact_moments([1.0], [1.0], p),
        lambda: linear_unit_moments([1.0], [1.0], p),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"\bp\b") as info:
            call()
        assert repr(p) in str(info.value)


def test_out_of_range_message_matches_pytorch_wording():
    with pytest.raises(ValueError, match="has to be between 0 and 1, but got p=1.5"):
        dropout(np.ones(2), 1.5)


@pytest.mark.parametrize("x", ["abc", np.array(["a"]), np.array([1 + 2j]), [[1, 2], [3]]])
def test_dropout_rejects_non_real_input(x):
    with pytest.raises(TypeError, match="x"):
        dropout(x, 0.5, rng=0)


def test_rng_must_be_a_generator_seed_or_none():
    with pytest.raises(TypeError, match="rng"):
        dropout(np.ones(3), 0.5, rng="seed")
    with pytest.raises(TypeError, match="rng"):
        sample_mask(3, 0.5, np.random.RandomState(0))


def test_backward_rejects_mismatched_or_non_binary_mask():
    with pytest.raises(ValueError, match="mask has shape"):
        dropout_backward(np.ones((2, 3)), np.ones(3, bool), 0.5)
    with pytest.raises(TypeError, match="mask"):
        dropout_backward(np.ones(3), np.array([0.5, 1, 0]), 0.5)


def test_moments_reject_mismatched_lengths_and_2d():
    with pytest.raises(ValueError, match="same length"):
        exact_moments([1, 2], [1, 2, 3], 0.5)
    with pytest.raises(ValueError, match="1-D"):
        exact_moments(np.ones((2, 2)), np.ones((2, 2)), 0.5)


def test_layer_backward_before_forward_and_wrong_shape():
    layer = Dropout(0.5, seed=0)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones(3))
    layer.forward(np.ones(3))
    with pytest.raises(ValueError, match="dout has shape"):
        layer.backward(np.ones(4))
