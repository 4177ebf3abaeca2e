"""Private helpers shared by the small numpy networks of :mod:`dropout_lib.modern`.

Softmax cross-entropy, He-initialised dense layers, SGD with momentum over
shuffled mini-batches, and a transient progress bar. The residual MLP and the
batch-norm network train with these, so their training loops are the same.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_real_array, check_int, check_real


def progress(iterable, *, total, desc, enabled):
    """Wrap ``iterable`` in a transient ``tqdm.auto`` bar when ``enabled``.

    In a notebook the stored output is the bar as first drawn, so re-running a
    notebook stores the same output.
    """
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False)


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of integer labels and its gradient with respect to the logits.

    Parameters
    ----------
    logits : ndarray of float64, shape (n, k)
    y : ndarray of int, shape (n,)

    Returns
    -------
    loss : float
    dlogits : ndarray of float64, shape (n, k)
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(y)
    loss = -log_probs[np.arange(n), y].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1.0
    return float(loss), dlogits / n


def dense_init(rng, n_in, n_out, *, scale=1.0):
    """He-initialised weights of shape (n_in, n_out), times ``scale``, and zero biases."""
    W = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in) * scale
    return W, np.zeros(n_out)


def check_data(X, y, n_in, name="X"):
    """``X`` as float64 of shape (n, n_in) and ``y`` as int64 labels of shape (n,)."""
    X = as_real_array(X, name).astype(np.float64)
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(f"{name} must have shape (n, {n_in}), but got shape {X.shape}")
    if y is None:
        return X, None
    y_arr = np.asarray(y)
    if y_arr.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class labels, but got dtype {y_arr.dtype}")
    if y_arr.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match {name}, got {y_arr.shape}")
    return X, y_arr.astype(np.int64)


def check_training(epochs, batch_size, lr, momentum):
    """The SGD settings, checked."""
    return (
        check_int(epochs, "epochs", minimum=1),
        check_int(batch_size, "batch_size", minimum=1),
        check_real(lr, "lr", low=0.0, low_open=True),
        check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True),
    )


def sgd_momentum(params, grads, velocity, lr, momentum):
    """One SGD step with (heavy-ball) momentum, ``v = momentum v - lr g`` and ``w = w + v``.

    The model's own parameter and velocity arrays are updated in place (the
    same arithmetic, without a new array per step) and returned.
    """
    for w, v, g in zip(params, velocity, grads):
        v *= momentum
        v -= lr * g
        w += v
    return params, velocity


def digits_train_and_held_out(n_train, seed):
    """Training digits of a seeded, stratified split, and every other digit as the test set.

    Returns ``(X_train, y_train, X_test, y_test)``; the test set is the 597
    digits ``digits_split`` holds out plus its validation digits, so that a
    comparison of two variants rests on as many test digits as there are.
    """
    from ..data import N_DIGITS, digits_split

    n_train = check_int(n_train, "n_train", minimum=10)
    split = digits_split(n_train, n_val=N_DIGITS - 597 - n_train, seed=seed)
    X_test = np.concatenate([split.X_val, split.X_test])
    y_test = np.concatenate([split.y_val, split.y_test])
    return split.X_train, split.y_train, X_test, y_test
