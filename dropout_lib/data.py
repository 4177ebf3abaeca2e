"""The real data of the book: scikit-learn's bundled handwritten digits.

``load_digits`` ships inside the scikit-learn wheel (1797 greyscale images of
8x8 pixels, ten classes), so every chapter runs offline. :func:`digits_split`
scales the pixels to [0, 1] as float32 and cuts seeded, stratified training,
validation and test sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ._checks import check_int

__all__ = ["DigitsSplit", "digits_split", "load_digits_scaled", "N_CLASSES", "N_DIGITS", "N_PIXELS"]

#: Number of images in scikit-learn's digits.
N_DIGITS = 1797
#: Pixels per image (8 x 8), the input width of every digits network.
N_PIXELS = 64
#: Number of classes (the digits 0 to 9).
N_CLASSES = 10


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
    n_test = check_int(n_test, "n_test", minimum=10)
    n_val = check_int(n_val, "n_val", minimum=0)
    seed = check_int(seed, "seed", minimum=0)
    available = N_DIGITS - n_test - n_val
    if available < 10:
        raise ValueError(
            f"n_test={n_test} and n_val={n_val} leave {available} of the {N_DIGITS} digits "
            "for training; at least 10 are needed"
        )
    if n_train is None:
        n_train = available
    n_train = check_int(n_train, "n_train", minimum=10)
    if n_train > available:
        raise ValueError(
            f"n_train={n_train} is more than the {available} digits left after "
            f"n_test={n_test} and n_val={n_val}"
        )
    X, y = _digits()
    rng = np.random.default_rng(seed)
    test_idx, pool = _stratified_take(y, n_test, rng)
    val_local, rest_local = _stratified_take(y[pool], n_val, rng)
    val_idx, rest = pool[val_local], pool[rest_local]
    # Each class is shuffled the same way whatever n_train is, and the first
    # members are taken, so a smaller training set is a subset of a larger one.
    train_local, _ = _stratified_take(y[rest], n_train, rng)
    train_idx = rest[train_local]
    return DigitsSplit(
        X_train=X[train_idx],
        y_train=y[train_idx],
        X_val=X[val_idx],
        y_val=y[val_idx],
        X_test=X[test_idx],
        y_test=y[test_idx],
        seed=seed,
    )
