"""DropPath (stochastic depth) for residual networks, and a small residual MLP to train.

A residual block computes ``h + f(h)``. DropPath (Huang et al. 2016, "deep
networks with stochastic depth"; Larsson et al. 2017 call it drop-path) drops
the *branch* ``f(h)`` of a whole example with probability ``p``: the example
then passes through the block unchanged, as if the block were not there. Kept
branches are scaled by ``1 / (1 - p)``, so, as with inverted dropout,
evaluation uses the full network without any scaling. This is the convention
of ``torchvision.ops.stochastic_depth`` (``mode="row"``) and of timm's
``DropPath``; Huang et al. scale the branch by its survival probability at
test time instead, which gives the same expected output.

``p`` is the drop probability of a branch, and ``1 - p`` its survival
probability. Huang et al. let the drop probability grow linearly with depth,
:func:`linear_decay`, so early blocks (which every later block builds on) are
almost always present.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import (
    as_generator,
    as_real_array,
    check_int,
    check_mask,
    check_p,
    check_real,
)
from .._engine import _Blas
from ._train import (
    check_data,
    check_training,
    dense_init,
    digits_train_and_held_out,
    progress,
    sgd_momentum,
    softmax_cross_entropy,
)

__all__ = [
    "drop_path",
    "drop_path_mask",
    "apply_drop_path",
    "drop_path_backward",
    "linear_decay",
    "expected_depth",
    "depth_distribution",
    "residual_block",
    "residual_block_backward",
    "ResidualMLP",
    "DropPathComparison",
    "compare_drop_path",
]


# ---------------------------------------------------------------- DropPath


def drop_path_mask(n, p, rng=None) -> np.ndarray:
    """One keep decision per example: a boolean array of shape (n,).

    Parameters
    ----------
    n : int >= 0
        Number of examples (the length of axis 0 of the branch output).
    p : float in [0, 1]
        Probability of dropping an example's branch.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    keep : ndarray of bool, shape (n,)
        ``True`` where the branch is kept.
    """
    n = check_int(n, "n", minimum=0)
    p = check_p(p)
    return as_generator(rng).random(n) >= p


def _row_mask(x_ndim, keep):
    """``keep`` of shape (n,) reshaped to broadcast over the other axes of x."""
    return keep.reshape((-1,) + (1,) * (x_ndim - 1))


def apply_drop_path(x, keep, p) -> np.ndarray:
    """Zero the rows (examples) of ``x`` that ``keep`` drops and scale the rest by 1/(1 - p).

    Parameters
    ----------
    x : array_like of float, shape (n, ...)
        Output of a residual branch.
    keep : array_like of bool, shape (n,)
        One keep decision per example.
    p : float in [0, 1]
        The drop probability ``keep`` was drawn with.

    Returns
    -------
    out : ndarray, same shape and floating dtype as ``x``
        A new array. At ``p = 1`` every row is zero.
    """
    x = as_real_array(x)
    if x.ndim == 0:
        raise ValueError("x must have an axis of examples (axis 0), but got a scalar")
    p = check_p(p)
    keep = check_mask(keep, x.shape[:1], "keep", of="axis 0 of x")
    if p == 1.0:
        return np.zeros_like(x)
    # One factor per example (0 or 1 / (1 - p)), broadcast over the other axes.
    factor = np.where(keep, 1.0 / (1.0 - p), 0.0).astype(x.dtype)
    return x * _row_mask(x.ndim, factor)


def drop_path(x, p, *, rng=None, training=True) -> np.ndarray:
    """DropPath (stochastic depth): drop a residual branch per example.

    Each example along axis 0 is either zeroed whole (probability ``p``) or
    kept and scaled by ``1 / (1 - p)``. Evaluation is the identity.

    Parameters
    ----------
    x : array_like of float, shape (n, ...)
        Output of a residual branch, one example per row.
    p : float in [0, 1]
        Probability of dropping an example's branch.
    rng : numpy.random.Generator, int or None
        Source of the keep decisions. Not used at evaluation or at ``p = 0``.
    training : bool
        Training (drop) or evaluation (identity).

    Returns
    -------
    out : ndarray, same shape and floating dtype as ``x``
        Always a new array: a copy at evaluation and at ``p = 0``, zeros at
        ``p = 1`` while training (as ``torchvision.ops.stochastic_depth``).
    """
    x = as_real_array(x)
    if x.ndim == 0:
        raise ValueError("x must have an axis of examples (axis 0), but got a scalar")
    p = check_p(p)
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"training must be a bool, but got {training!r}")
    if not training or p == 0.0:
        return x.copy()
    if p == 1.0:
        return np.zeros_like(x)
    keep = drop_path_mask(x.shape[0], p, as_generator(rng))
    return apply_drop_path(x, keep, p)


def drop_path_backward(dout, keep, p) -> np.ndarray:
    """Gradient with respect to the branch output of a training-mode :func:`drop_path`.

    The forward pass is linear in the branch, ``out = x * keep / (1 - p)`` row by
    row, so the gradient is ``dout * keep / (1 - p)``.

    Parameters
    ----------
    dout : array_like of float, shape (n, ...)
    keep : array_like of bool, shape (n,)
        The keep decisions of the forward pass.
    p : float in [0, 1]

    Returns
    -------
    dx : ndarray, same shape and floating dtype as ``dout``
    """
    dout = as_real_array(dout, "dout")
    if dout.ndim == 0:
        raise ValueError("dout must have an axis of examples (axis 0), but got a scalar")
    keep = check_mask(keep, dout.shape[:1], "keep", of="axis 0 of dout")
    return apply_drop_path(dout, keep, p)


# ---------------------------------------------------------------- depth


def linear_decay(n_blocks, p_last) -> np.ndarray:
    """Huang et al.'s linearly decaying survival: drop probabilities ``p_l = (l / L) p_last``.

    Block ``l = 1, ..., L`` survives with probability ``1 - (l / L) p_last``: the
    first block almost always, the last with ``1 - p_last``.

    Parameters
    ----------
    n_blocks : int >= 1
        ``L``, the number of residual blocks.
    p_last : float in [0, 1]
        Drop probability of the last block.

    Returns
    -------
    drop_probs : ndarray of float64, shape (n_blocks,)
    """
    n_blocks = check_int(n_blocks, "n_blocks", minimum=1)
    p_last = check_p(p_last, "p_last")
    return np.arange(1, n_blocks + 1) / n_blocks * p_last


def _check_drop_probs(drop_probs, name="drop_probs") -> np.ndarray:
    if isinstance(drop_probs, str):
        raise TypeError(f"{name} must be an array of drop probabilities, but got {drop_probs!r}")
    probs = as_real_array(drop_probs, name).astype(np.float64)
    if probs.ndim != 1 or probs.size == 0:
        raise ValueError(f"{name} must be a 1-D array with one probability per block")
    for value in probs:
        check_p(float(value), name)
    return probs


def expected_depth(drop_probs) -> float:
    """Expected number of residual blocks active in one training pass: ``sum_l (1 - p_l)``.

    The number of active blocks is a sum of independent Bernoulli variables,
    so its mean is the sum of the survival probabilities (for the linear decay,
    ``L - p_last (L + 1) / 2``).

    Parameters
    ----------
    drop_probs : array_like of float in [0, 1], shape (L,)

    Returns
    -------
    float
    """
    return float(np.sum(1.0 - _check_drop_probs(drop_probs)))


def depth_distribution(drop_probs) -> np.ndarray:
    """Exact distribution of the number of active blocks (a Poisson-binomial law).

    Parameters
    ----------
    drop_probs : array_like of float in [0, 1], shape (L,)

    Returns
    -------
    pmf : ndarray of float64, shape (L + 1,)
        ``pmf[k]`` is the probability that exactly ``k`` blocks are active.
    """
    pmf = np.ones(1)
    for p in _check_drop_probs(drop_probs):
        pmf = np.convolve(pmf, [p, 1.0 - p])  # one more block: inactive, or active
    return pmf


# ---------------------------------------------------------------- the block


def residual_block(h, W1, b1, W2, b2, keep=None, p=0.0):
    """One residual block ``h + drop_path(relu(h W1 + b1) W2 + b2)``.

    Parameters
    ----------
    h : ndarray of float64, shape (n, width)
        The residual stream.
    W1 : ndarray, shape (width, hidden); b1 : ndarray, shape (hidden,)
    W2 : ndarray, shape (hidden, width); b2 : ndarray, shape (width,)
    keep : ndarray of bool, shape (n,), or None
        Which examples keep the branch; ``None`` keeps every branch unscaled
        (evaluation).
    p : float in [0, 1)
        The drop probability ``keep`` was drawn with.

    Returns
    -------
    out : ndarray of float64, shape (n, width)
    cache : tuple
        What :func:`residual_block_backward` needs.
    """
    pre = h @ W1 + b1
    hidden = np.maximum(pre, 0.0)
    branch = hidden @ W2 + b2
    if keep is None:
        return h + branch, (h, pre, hidden, None, 1.0)
    scale = np.where(keep, 1.0 / (1.0 - p), 0.0)[:, None]
    return h + branch * scale, (h, pre, hidden, keep, scale)


def residual_block_backward(dout, cache, W1, W2):
    """Gradients of a :func:`residual_block` with respect to its input and parameters.

    Parameters
    ----------
    dout : ndarray of float64, shape (n, width)
        Gradient of the loss with respect to the block's output.
    cache : tuple
        From :func:`residual_block`.
    W1, W2 : ndarray
        The block's weights.

    Returns
    -------
    dh : ndarray, shape (n, width)
        The skip connection passes ``dout`` through unchanged; the branch adds
        its own gradient only for the examples that kept it.
    grads : tuple of ndarray
        ``(dW1, db1, dW2, db2)``.
    """
    h, pre, hidden, _keep, scale = cache
    dbranch = dout * scale
    dW2 = hidden.T @ dbranch
    db2 = dbranch.sum(axis=0)
    dpre = (dbranch @ W2.T) * (pre > 0)
    dW1 = h.T @ dpre
    db1 = dpre.sum(axis=0)
    return dout + dpre @ W1.T, (dW1, db1, dW2, db2)


# ---------------------------------------------------------------- the network


class ResidualMLP:
    """A small residual MLP: an input layer, ``L`` residual blocks with DropPath, a read-out.

    ``h_0 = relu(X W_in + b_in)``, then ``h_l = h_{l-1} + drop_path(f_l(h_{l-1}), p_l)``
    with ``f_l(h) = relu(h W1 + b1) W2 + b2``, and ``logits = relu(h_L) W_out + b_out``.
    The branch's last layer starts at a scale of ``1 / sqrt(L)`` so that the
    residual stream does not grow with depth at initialisation.

    Parameters
    ----------
    n_in, width, hidden, n_out : int >= 1
        Input features, width of the residual stream, width inside a branch, classes.
    n_blocks : int >= 1
        ``L``.
    drop_probs : array_like of float in [0, 1), shape (n_blocks,), or None
        DropPath probability of each block (``None``: no DropPath); for
        example :func:`linear_decay`.
    seed : int >= 0
        Seed of the initial weights and of the training noise.
    """

    def __init__(
        self, n_in=64, width=64, hidden=64, n_out=10, n_blocks=8, *, drop_probs=None, seed=0
    ):
        self.n_in = check_int(n_in, "n_in", minimum=1)
        self.width = check_int(width, "width", minimum=1)
        self.hidden = check_int(hidden, "hidden", minimum=1)
        self.n_out = check_int(n_out, "n_out", minimum=1)
        self.n_blocks = check_int(n_blocks, "n_blocks", minimum=1)
        if drop_probs is None:
            drop_probs = np.zeros(self.n_blocks)
        probs = _check_drop_probs(drop_probs)
        if probs.shape != (self.n_blocks,):
            raise ValueError(
                f"drop_probs must have one entry per block, shape ({self.n_blocks},), "
                f"but got shape {probs.shape}"
            )
        if np.any(probs == 1.0):
            raise ValueError("drop_probs must be below 1 (a block that never runs cannot train)")
        self.drop_probs = probs
        self.seed = check_int(seed, "seed", minimum=0)
        rng = np.random.default_rng(self.seed)
        params = list(dense_init(rng, self.n_in, self.width))
        for _ in range(self.n_blocks):
            params += dense_init(rng, self.width, self.hidden)
            params += dense_init(rng, self.hidden, self.width, scale=1.0 / np.sqrt(self.n_blocks))
        params += dense_init(rng, self.width, self.n_out)
        self.params = params
        self._rng = np.random.default_rng([self.seed, 1])

    def _block_params(self, i):
        return self.params[2 + 4 * i : 6 + 4 * i]

    def forward(self, X, *, masks=None, skip=()):
        """Logits of ``X`` and the cache for :meth:`backward`.

        Parameters
        ----------
        X : ndarray of float, shape (n, n_in)
        masks : sequence of (ndarray of bool, shape (n,)) or None, one per block
            Training-mode keep decisions of each block's branch; ``None`` is
            evaluation (every branch kept, unscaled).
        skip : collection of int
            Blocks removed at evaluation (their branch is left out), to measure
            how much the network depends on each block.

        Returns
        -------
        logits : ndarray of float64, shape (n, n_out)
        cache : list
        """
        X, _ = check_data(X, None, self.n_in)
        W_in, b_in = self.params[:2]
        pre_in = X @ W_in + b_in
        h = np.maximum(pre_in, 0.0)
        caches = []
        for i in range(self.n_blocks):
            W1, b1, W2, b2 = self._block_params(i)
            if i in skip:
                caches.append(None)
                continue
            keep = None if masks is None else masks[i]
            h, cache = residual_block(h, W1, b1, W2, b2, keep, self.drop_probs[i])
            caches.append(cache)
        W_out, b_out = self.params[-2:]
        top = np.maximum(h, 0.0)
        return top @ W_out + b_out, (X, pre_in, caches, h, top)

    def backward(self, dlogits, cache):
        """Gradients of the loss with respect to every parameter, in the order of ``params``."""
        X, pre_in, caches, h, top = cache
        W_out = self.params[-2]
        grads_out = [top.T @ dlogits, dlogits.sum(axis=0)]
        dh = (dlogits @ W_out.T) * (h > 0)
        block_grads = []
        for i in reversed(range(self.n_blocks)):
            W1, _, W2, _ = self._block_params(i)
            if caches[i] is None:
                block_grads.append([np.zeros_like(w) for w in self._block_params(i)])
                continue
            dh, grads = residual_block_backward(dh, caches[i], W1, W2)
            block_grads.append(list(grads))
        dpre = dh * (pre_in > 0)
        grads = [X.T @ dpre, dpre.sum(axis=0)]
        for g in reversed(block_grads):
            grads += g
        return grads + grads_out

    def loss_and_grads(self, X, y, masks=None):
        """Mean cross-entropy of ``(X, y)`` and its gradients (training mode when ``masks``)."""
        X, y = check_data(X, y, self.n_in)
        logits, cache = self.forward(X, masks=masks)
        loss, dlogits = softmax_cross_entropy(logits, y)
        return loss, self.backward(dlogits, cache)

    def sample_masks(self, n, rng):
        """Fresh DropPath keep decisions for ``n`` examples, one array per block."""
        return [rng.random(n) >= p for p in self.drop_probs]

    def fit(self, X, y, *, epochs=25, batch_size=50, lr=0.02, momentum=0.9):
        """Train with SGD and momentum on shuffled mini-batches, DropPath on; returns ``self``."""
        X, y = check_data(X, y, self.n_in)
        epochs, batch_size, lr, momentum = check_training(epochs, batch_size, lr, momentum)
        velocity = [np.zeros_like(w) for w in self.params]
        with _Blas(1):  # small matrices: one BLAS thread is fastest
            for _ in range(epochs):
                order = self._rng.permutation(len(y))
                for start in range(0, len(y), batch_size):
                    rows = order[start : start + batch_size]
                    masks = self.sample_masks(len(rows), self._rng)
                    _, grads = self.loss_and_grads(X[rows], y[rows], masks)
                    self.params, velocity = sgd_momentum(self.params, grads, velocity, lr, momentum)
        return self

    def predict(self, X, *, skip=()):
        """Predicted classes at evaluation (every branch kept except those in ``skip``)."""
        return self.forward(X, skip=skip)[0].argmax(axis=1)

    def error(self, X, y, *, skip=()):
        """Test error (share misclassified) at evaluation."""
        X, y = check_data(X, y, self.n_in)
        return float(np.mean(self.predict(X, skip=skip) != y))


# ---------------------------------------------------------------- the experiment


@dataclass(frozen=True, eq=False)
class DropPathComparison:
    """Residual MLPs trained with and without DropPath on the same seeds.

    Attributes
    ----------
    seeds : tuple of int
        One split and one initialisation per seed, shared by both variants.
    drop_probs : ndarray of float64, shape (L,)
        DropPath probabilities of the DropPath networks.
    error_plain, error_drop_path : ndarray of float64, shape (n_seeds,)
        Test error of the full networks.
    skip_error_plain, skip_error_drop_path : ndarray of float64, shape (n_seeds, L)
        Test error with block ``l`` removed at evaluation.
    """

    seeds: tuple
    drop_probs: np.ndarray
    error_plain: np.ndarray
    error_drop_path: np.ndarray
    skip_error_plain: np.ndarray
    skip_error_drop_path: np.ndarray


def compare_drop_path(
    *,
    p_last=0.5,
    n_blocks=6,
    width=48,
    n_train=300,
    epochs=25,
    seeds=tuple(range(10)),
    progress_bar=False,
) -> DropPathComparison:
    """Train residual MLPs on the digits with and without linearly decaying DropPath.

    Both variants of a seed use the same training and test sets and the same
    initial weights, so their differences are paired.

    Parameters
    ----------
    p_last : float in [0, 1)
        Drop probability of the last block (:func:`linear_decay`).
    n_blocks, width : int >= 1
    n_train : int >= 10
        Training digits per seed; every other digit is in the test set.
    epochs : int >= 1
    seeds : sequence of int >= 0
    progress_bar : bool
        Show a transient progress bar over the seeds.

    Returns
    -------
    DropPathComparison
    """
    p_last = check_p(p_last, "p_last")
    check_real(p_last, "p_last", high=1.0, high_open=True)
    n_blocks = check_int(n_blocks, "n_blocks", minimum=1)
    seeds = tuple(check_int(s, "seeds", minimum=0) for s in seeds)
    drop_probs = linear_decay(n_blocks, p_last)
    errors = {False: [], True: []}
    skips = {False: [], True: []}
    for seed in progress(seeds, total=len(seeds), desc="seeds", enabled=progress_bar):
        X_train, y_train, X_test, y_test = digits_train_and_held_out(n_train, seed)
        for use in (False, True):
            net = ResidualMLP(
                width=width,
                hidden=width,
                n_blocks=n_blocks,
                drop_probs=drop_probs if use else None,
                seed=seed,
            )
            net.fit(X_train, y_train, epochs=epochs)
            with _Blas(1):
                errors[use].append(net.error(X_test, y_test))
                skips[use].append([net.error(X_test, y_test, skip={i}) for i in range(n_blocks)])
    return DropPathComparison(
        seeds=seeds,
        drop_probs=drop_probs,
        error_plain=np.array(errors[False]),
        error_drop_path=np.array(errors[True]),
        skip_error_plain=np.array(skips[False]),
        skip_error_drop_path=np.array(skips[True]),
    )
