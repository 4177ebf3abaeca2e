"""Tests of dropout_lib.data: the digits splits."""

import numpy as np
import pytest

from dropout_lib.data import N_DIGITS, N_PIXELS, digits_split, load_digits_scaled


def test_pixels_are_float32_in_the_unit_interval():
    X, y = load_digits_scaled()
    assert X.shape == (N_DIGITS, N_PIXELS) and X.dtype == np.float32
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))


def test_split_sizes_disjointness_and_stratification():
    data = digits_split(200, 100, seed=4)
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (200, 100, 597)
    rows = [set(map(bytes, X)) for X in (data.X_train, data.X_val, data.X_test)]
    # The digits hold a few duplicate images, so compare sizes of unions, not
    # exact emptiness of intersections: at most a handful may coincide.
    assert len(rows[0] | rows[1] | rows[2]) >= 200 + 100 + 597 - 10
    # Stratified: every class gets its share, to within one example.
    _, all_labels = load_digits_scaled()
    share = np.bincount(all_labels) / N_DIGITS
    assert np.all(np.abs(np.bincount(data.y_train, minlength=10) - 200 * share) < 1 + 1e-9)


def test_test_set_is_fixed_by_seed_and_small_training_sets_nest():
    small, large = digits_split(50, seed=7), digits_split(500, seed=7)
    np.testing.assert_array_equal(small.X_test, large.X_test)
    assert set(map(bytes, small.X_train)) <= set(map(bytes, large.X_train))
    other = digits_split(50, seed=8)
    assert not np.array_equal(small.X_test, other.X_test)
    again = digits_split(50, seed=7)
    np.testing.assert_array_equal(small.X_train, again.X_train)


def test_default_training_size_takes_the_rest():
    data = digits_split(n_val=200, seed=0)
    assert len(data.y_train) == N_DIGITS - 597 - 200


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        ({"n_train": 5}, ValueError, "n_train"),
        ({"n_train": 2000}, ValueError, "n_train"),
        ({"n_train": 10.5}, TypeError, "n_train"),
        ({"n_val": -1}, ValueError, "n_val"),
        ({"n_test": 1790}, ValueError, "n_test"),
        ({"seed": -2}, ValueError, "seed"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, name):
    with pytest.raises(error, match=name):
        digits_split(**kwargs)


def test_numpy_integers_give_the_same_split():
    a = digits_split(np.int64(60), np.int64(20), n_test=np.int64(100), seed=np.int64(3))
    b = digits_split(60, 20, n_test=100, seed=3)
    assert a.seed == 3 and type(a.seed) is int
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
