"""Scaled dot-product attention with dropout on the attention probabilities.

This is the dropout a transformer applies inside attention: after the softmax,
each entry of the ``(L_q, L_k)`` probability matrix is dropped independently
with probability ``p`` and the kept entries are divided by ``1 - p``, before the
matrix multiplies the values. It is what ``torch.nn.MultiheadAttention(dropout=p)``
and ``torch.nn.functional.scaled_dot_product_attention(dropout_p=p)`` do.

Besides the forward and backward passes, the module holds a tiny one-layer
attention classifier (:class:`TinyAttention`) and its toy task
(:func:`recall_task`) for the chapter's experiment, and
:func:`philox_keep_mask`, a keep-mask drawn from a counter-based generator the
way fused kernels such as FlashAttention regenerate their masks instead of
storing them.
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
    check_p_below_one,
    check_real,
    check_shape,
)
from ..masks import sample_mask

__all__ = [
    "attention",
    "masked_attention",
    "attention_backward",
    "AttentionGrads",
    "causal_mask",
    "philox_keep_mask",
    "recall_task",
    "RecallTask",
    "TinyAttention",
    "TrainResult",
]


def _qkv(q, k, v):
    """Check the shapes of q, k, v and return them as arrays of one floating dtype."""
    q = as_real_array(q, "q")
    k = as_real_array(k, "k")
    v = as_real_array(v, "v")
    for name, arr in (("q", q), ("k", k), ("v", v)):
        if arr.ndim < 2:
            raise ValueError(f"{name} must have shape (..., L, d), but got shape {arr.shape}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must share their last size d_k, but got q {q.shape} and k {k.shape}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v must have the same number of keys L_k, but got k {k.shape} and v {v.shape}"
        )
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"the leading (batch) sizes of q {q.shape}, k {k.shape} and v {v.shape} "
            "do not broadcast"
        ) from None
    dtype = np.result_type(q, k, v)
    return q.astype(dtype, copy=False), k.astype(dtype, copy=False), v.astype(dtype, copy=False)


def causal_mask(l_q, l_k) -> np.ndarray:
    """Where query ``i`` may attend to key ``j``: ``j <= i`` (aligned at the top left).

    Parameters
    ----------
    l_q, l_k : int >= 1
        Numbers of queries and keys.

    Returns
    -------
    allowed : ndarray of bool, shape (l_q, l_k)
        The lower triangle, as ``torch.ones(l_q, l_k).tril()`` in PyTorch's ``is_causal``.
    """
    l_q = check_int(l_q, "l_q", minimum=1)
    l_k = check_int(l_k, "l_k", minimum=1)
    return np.tril(np.ones((l_q, l_k), dtype=bool))


def _softmax_probs(q, k, causal):
    """softmax(q k^T / sqrt(d_k)) along the keys, with future keys masked if causal."""
    scores = q @ np.swapaxes(k, -1, -2) / q.dtype.type(np.sqrt(q.shape[-1]))
    if causal:
        scores = np.where(causal_mask(q.shape[-2], k.shape[-2]), scores, q.dtype.type(-np.inf))
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=-1, keepdims=True)


def _probs_shape(q, k, v):
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    return (*batch, q.shape[-2], k.shape[-2])


def masked_attention(q, k, v, keep, *, p, causal=False):
    """Attention with a given keep-mask on the probabilities (the training pass, mask supplied).

    Parameters
    ----------
    q : array_like of float, shape (..., L_q, d_k)
    k : array_like of float, shape (..., L_k, d_k)
    v : array_like of float, shape (..., L_k, d_v)
    keep : array_like of bool, shape (..., L_q, L_k)
        ``True`` where an attention probability is kept; the leading sizes are
        those of q, k and v broadcast together.
    p : float in [0, 1)
        The drop probability the mask was drawn with; kept entries are divided by ``1 - p``.
    causal : bool
        Mask the keys after each query (``j > i``).

    Returns
    -------
    out : ndarray, shape (..., L_q, d_v)
        ``probs @ v``.
    probs : ndarray, shape (..., L_q, L_k)
        ``softmax(q k^T / sqrt(d_k)) * keep / (1 - p)``, the matrix that multiplies v.
    """
    q, k, v = _qkv(q, k, v)
    p = check_p_below_one(p, why="the kept probabilities are divided by 1 - p")
    keep = check_mask(keep, _probs_shape(q, k, v), "keep", of="the attention matrix")
    probs = _softmax_probs(q, k, bool(causal))
    probs = np.where(keep, probs * q.dtype.type(1.0 / (1.0 - p)), q.dtype.type(0))
    return probs @ v, probs


def attention(q, k, v, *, p=0.0, rng=None, training=True, causal=False):
    """Scaled dot-product attention with dropout on the attention probabilities.

    Parameters
    ----------
    q : array_like of float, shape (..., L_q, d_k)
        Queries. Leading (batch, head) sizes broadcast against those of k and v.
    k : array_like of float, shape (..., L_k, d_k)
        Keys.
    v : array_like of float, shape (..., L_k, d_v)
        Values.
    p : float in [0, 1]
        Probability of dropping each attention probability while training.
    rng : numpy.random.Generator, int or None
        Source of the mask; not used at evaluation or at ``p = 0``.
    training : bool
        At evaluation (``False``) no entry is dropped.
    causal : bool
        Query ``i`` attends only to keys ``j <= i``, as PyTorch's ``is_causal``.

    Returns
    -------
    out : ndarray, shape (..., L_q, d_v), the floating dtype of the inputs
        ``probs @ v``.
    probs : ndarray, shape (..., L_q, L_k)
        The attention matrix after dropout, the one that multiplies v: rows of
        the softmax with each entry zeroed with probability ``p`` and the kept
        entries divided by ``1 - p``. Its rows sum to 1 only on average while
        training. At ``p = 1`` it is all zeros, and so is ``out``.

    Notes
    -----
    At ``p = 0`` or at evaluation the result equals
    ``torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)``.
    Inputs are not modified.
    """
    q, k, v = _qkv(q, k, v)
    p = check_p(p)
    if training and p == 1.0:
        probs = np.zeros(_probs_shape(q, k, v), dtype=q.dtype)
        return probs @ v, probs
    if not training or p == 0.0:
        probs = _softmax_probs(q, k, bool(causal))
        probs = np.broadcast_to(probs, _probs_shape(q, k, v)).copy()
        return probs @ v, probs
    keep = sample_mask(_probs_shape(q, k, v), p, as_generator(rng))
    return masked_attention(q, k, v, keep, p=p, causal=causal)


@dataclass(frozen=True, eq=False)
class AttentionGrads:
    """Gradients of a loss with respect to the inputs of :func:`attention`.

    Attributes
    ----------
    dq : ndarray, shape of q (..., L_q, d_k)
    dk : ndarray, shape of k (..., L_k, d_k)
    dv : ndarray, shape of v (..., L_k, d_v)
    """

    dq: np.ndarray
    dk: np.ndarray
    dv: np.ndarray


def _reduce_to(grad, shape):
    """Sum a broadcast gradient back to an input's shape."""
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


def attention_backward(dout, q, k, v, probs, *, p, causal=False) -> AttentionGrads:
    """Gradients of a training-mode :func:`attention` call, from its output gradient.

    The softmax is recomputed from ``q`` and ``k`` (as FlashAttention does) and
    the dropout mask is read off ``probs``: an entry is kept where ``probs`` is
    nonzero. (An entry whose softmax value is exactly 0 has zero gradient
    whether it was kept or not, so nothing is lost.)

    Parameters
    ----------
    dout : array_like of float, shape (..., L_q, d_v)
        Gradient of the loss with respect to ``out``.
    q, k, v : array_like of float
        The inputs of the forward call.
    probs : array_like of float, shape (..., L_q, L_k)
        The ``probs`` the forward call returned (after dropout).
    p : float in [0, 1)
        The drop probability of the forward call.
    causal : bool
        As in the forward call.

    Returns
    -------
    AttentionGrads
        ``dq``, ``dk``, ``dv`` with the shapes of q, k and v.
    """
    q, k, v = _qkv(q, k, v)
    p = check_p_below_one(p, why="the forward pass divided the kept probabilities by 1 - p")
    shape = _probs_shape(q, k, v)
    probs = as_real_array(probs, "probs")
    if probs.shape != shape:
        raise ValueError(f"probs must have shape {shape} (from q, k and v), but got {probs.shape}")
    dout = as_real_array(dout, "dout")
    out_shape = (*shape[:-1], v.shape[-1])
    if dout.shape != out_shape:
        raise ValueError(f"dout must have shape {out_shape} (that of out), but got {dout.shape}")
    soft = _softmax_probs(q, k, bool(causal))
    scale = q.dtype.type(1.0 / (1.0 - p))
    dv = np.swapaxes(probs, -1, -2) @ dout
    dprobs = dout @ np.swapaxes(v, -1, -2)  # gradient w.r.t. the matrix after dropout
    dsoft = np.where(probs != 0, dprobs * scale, q.dtype.type(0))  # through the mask
    dscores = soft * (dsoft - (dsoft * soft).sum(axis=-1, keepdims=True))
    dscores = dscores / q.dtype.type(np.sqrt(q.shape[-1]))
    dq = dscores @ k
    dk = np.swapaxes(dscores, -1, -2) @ q
    return AttentionGrads(
        dq=_reduce_to(dq, q.shape), dk=_reduce_to(dk, k.shape), dv=_reduce_to(dv, v.shape)
    )


def philox_keep_mask(shape, p, *, seed, offset=0) -> np.ndarray:
    """A keep-mask regenerated from ``(seed, offset)`` by the counter-based Philox generator.

    Element ``i`` (in C order) of the mask is decided by the ``offset + i``-th
    uniform number of the Philox stream with key ``seed``. The same seed and
    offset always give the same mask, and any tile of a larger mask can be made
    on its own from its first element's offset, without the rest: this is how
    fused kernels such as FlashAttention regenerate the dropout mask in the
    backward pass instead of saving it.

    Parameters
    ----------
    shape : int or tuple of int
        Shape of the mask.
    p : float in [0, 1]
        Drop probability.
    seed : int >= 0
        The Philox key.
    offset : int >= 0
        Index of the mask's first element in the stream.

    Returns
    -------
    keep : ndarray of bool, shape ``shape``
        ``True`` where the uniform number is at least ``p``.
    """
    shape = check_shape(shape)
    p = check_p(p)
    seed = check_int(seed, "seed", minimum=0)
    offset = check_int(offset, "offset", minimum=0)
    # Philox4x64 gives four 64-bit words per counter value; random() uses one word
    # per double, so the stream starts at counter offset // 4 and skips offset % 4.
    bits = np.random.Philox(key=seed, counter=offset // 4)
    size = int(np.prod(shape, dtype=np.int64))
    uniforms = np.random.Generator(bits).random(size + offset % 4)[offset % 4 :]
    return (uniforms >= p).reshape(shape)


# ------------------------------------------------------------------ the toy task
@dataclass(frozen=True, eq=False)
class RecallTask:
    """Sequences for the associative-recall task.

    Each sequence holds ``n_pairs`` (key, value) tokens and ends with a query
    token that repeats one of the keys; the label is the value paired with it.

    Attributes
    ----------
    X : ndarray of float64, shape (n, n_pairs + 1, 2 * n_symbols + 1)
        One-hot key part, one-hot value part and a flag that marks the query.
    y : ndarray of int64, shape (n,)
        The value paired with the queried key, in ``0 .. n_symbols - 1``.
    n_symbols : int
    """

    X: np.ndarray
    y: np.ndarray
    n_symbols: int


def recall_task(n, *, n_pairs=6, n_symbols=8, label_noise=0.0, rng=None) -> RecallTask:
    """Draw ``n`` sequences of the associative-recall task.

    Parameters
    ----------
    n : int >= 1
        Number of sequences.
    n_pairs : int >= 1
        (key, value) tokens per sequence; keys within a sequence are distinct.
    n_symbols : int >= n_pairs
        Size of the key and of the value alphabets.
    label_noise : float in [0, 1]
        Share of labels replaced by a uniformly drawn value (so the task can be overfitted).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    RecallTask
    """
    n = check_int(n, "n", minimum=1)
    n_pairs = check_int(n_pairs, "n_pairs", minimum=1)
    n_symbols = check_int(n_symbols, "n_symbols", minimum=n_pairs)
    label_noise = check_p(label_noise, "label_noise")
    rng = as_generator(rng)
    keys = np.argsort(rng.random((n, n_symbols)), axis=1)[:, :n_pairs]
    values = rng.integers(n_symbols, size=(n, n_pairs))
    asked = rng.integers(n_pairs, size=n)
    X = np.zeros((n, n_pairs + 1, 2 * n_symbols + 1))
    rows = np.arange(n)[:, None]
    X[rows, np.arange(n_pairs), keys] = 1.0
    X[rows, np.arange(n_pairs), n_symbols + values] = 1.0
    X[np.arange(n), n_pairs, keys[np.arange(n), asked]] = 1.0
    X[:, n_pairs, -1] = 1.0
    y = values[np.arange(n), asked]
    noisy = rng.random(n) < label_noise
    y = np.where(noisy, rng.integers(n_symbols, size=n), y)
    return RecallTask(X=X, y=y.astype(np.int64), n_symbols=n_symbols)


@dataclass(frozen=True, eq=False)
class TrainResult:
    """What :meth:`TinyAttention.fit` returns.

    Attributes
    ----------
    loss : ndarray of float64, shape (steps,)
        Training loss of each mini-batch (with dropout, as trained).
    """

    loss: np.ndarray


def _softmax_rows(logits):
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class TinyAttention:
    """One attention layer read out at the last token: a minimal transformer classifier.

    ``Q = X W_q``, ``K = X W_k``, ``V = X W_v`` (one head), ``H = attention(Q, K, V)``
    with dropout ``p`` on the attention probabilities, and logits ``H[:, -1] W_o``.
    It is trained with Adam on the softmax cross-entropy.

    Parameters
    ----------
    n_in : int >= 1
        Features per token.
    n_out : int >= 1
        Classes.
    d : int >= 1
        Width of queries, keys and values.
    p : float in [0, 1)
        Attention-probability dropout while training.
    seed : int >= 0
        Seeds the initial weights and the training stream (masks, mini-batches).
    """

    def __init__(self, n_in, n_out, *, d=16, p=0.0, seed=0):
        self.n_in = check_int(n_in, "n_in", minimum=1)
        self.n_out = check_int(n_out, "n_out", minimum=1)
        self.d = check_int(d, "d", minimum=1)
        self.p = check_p_below_one(p, why="the kept probabilities are divided by 1 - p")
        rng = as_generator(seed, "seed")
        self._rng = np.random.default_rng(rng.integers(2**63))
        scale_in = 1.0 / np.sqrt(self.n_in)
        self.params = {
            "Wq": rng.normal(0.0, scale_in, (self.n_in, self.d)),
            "Wk": rng.normal(0.0, scale_in, (self.n_in, self.d)),
            "Wv": rng.normal(0.0, scale_in, (self.n_in, self.d)),
            "Wo": rng.normal(0.0, 1.0 / np.sqrt(self.d), (self.d, self.n_out)),
        }

    def _check_X(self, X):
        X = as_real_array(X, "X")
        if X.ndim != 3 or X.shape[-1] != self.n_in:
            raise ValueError(f"X must have shape (n, L, {self.n_in}), but got {X.shape}")
        return X

    def _forward(self, X, training, rng):
        P = self.params
        q, k, v = X @ P["Wq"], X @ P["Wk"], X @ P["Wv"]
        h, probs = attention(q, k, v, p=self.p, rng=rng, training=training)
        return q, k, v, h, probs, h[:, -1] @ P["Wo"]

    def loss_and_gradients(self, X, y, *, rng=None):
        """Cross-entropy of a batch with dropout on, and its gradients.

        Parameters
        ----------
        X : array_like of float, shape (n, L, n_in)
        y : array_like of int, shape (n,)
        rng : numpy.random.Generator, int or None
            Source of the attention mask.

        Returns
        -------
        loss : float
        grads : dict of str to ndarray
            Same keys and shapes as ``params``.
        """
        X = self._check_X(X)
        y = np.asarray(y)
        q, k, v, h, probs, logits = self._forward(X, True, rng)
        n = len(X)
        prob = _softmax_rows(logits)
        loss = float(-np.mean(np.log(prob[np.arange(n), y] + 1e-12)))
        dlogits = prob
        dlogits[np.arange(n), y] -= 1.0
        dlogits /= n
        P = self.params
        dh = np.zeros_like(h)
        dh[:, -1] = dlogits @ P["Wo"].T
        g = attention_backward(dh, q, k, v, probs, p=self.p)
        grads = {
            "Wq": np.einsum("nli,nld->id", X, g.dq),
            "Wk": np.einsum("nli,nld->id", X, g.dk),
            "Wv": np.einsum("nli,nld->id", X, g.dv),
            "Wo": h[:, -1].T @ dlogits,
        }
        return loss, grads

    def fit(self, X, y, *, steps=300, batch_size=32, lr=0.01) -> TrainResult:
        """Train with Adam on mini-batches drawn with replacement, from the current weights.

        Parameters
        ----------
        X : array_like of float, shape (n, L, n_in)
        y : array_like of int, shape (n,)
        steps : int >= 1
        batch_size : int >= 1
        lr : float > 0

        Returns
        -------
        TrainResult
        """
        X = self._check_X(X)
        y = np.asarray(y)
        steps = check_int(steps, "steps", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        lr = check_real(lr, "lr", low=0.0, low_open=True)
        m = {key: np.zeros_like(w) for key, w in self.params.items()}
        s = {key: np.zeros_like(w) for key, w in self.params.items()}
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        losses = np.empty(steps)
        new = dict(self.params)
        for t in range(1, steps + 1):
            idx = self._rng.integers(len(X), size=min(batch_size, len(X)))
            losses[t - 1], grads = self.loss_and_gradients(X[idx], y[idx], rng=self._rng)
            for key, grad in grads.items():
                m[key] = beta1 * m[key] + (1 - beta1) * grad
                s[key] = beta2 * s[key] + (1 - beta2) * grad**2
                m_hat = m[key] / (1 - beta1**t)
                s_hat = s[key] / (1 - beta2**t)
                new[key] = new[key] - lr * m_hat / (np.sqrt(s_hat) + eps)
            self.params = dict(new)
        return TrainResult(loss=losses)

    def predict(self, X) -> np.ndarray:
        """Predicted classes at evaluation (no dropout), shape (n,) of int64."""
        X = self._check_X(X)
        return np.argmax(self._forward(X, False, None)[-1], axis=1)

    def error(self, X, y) -> float:
        """Share of sequences misclassified at evaluation."""
        return float(np.mean(self.predict(X) != np.asarray(y)))


def _progress(iterable, *, total, desc, enabled):
    """Wrap ``iterable`` in a transient ``tqdm.auto`` bar when ``enabled``.

    The bar closes when the loop ends, so a re-executed notebook stores the same
    output (the bar as first drawn).
    """
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False)


@dataclass(frozen=True, eq=False)
class AttentionExperiment:
    """Test error of :class:`TinyAttention` with and without attention dropout, per seed.

    Attributes
    ----------
    p_values : tuple of float
        The attention-dropout probabilities compared (the first is usually 0).
    seeds : tuple of int
        Seed ``s`` draws the training set, the test set and the initial weights,
        the same for every ``p``: the runs are paired by seed.
    test_error, train_error : ndarray of float64, shape (len(p_values), len(seeds))
        Share misclassified at evaluation (no dropout); the test labels are clean.
    n_train, n_test, steps : int
    label_noise : float
        Share of training labels replaced at random.
    d, n_pairs, n_symbols : int
        Width of the model and size of the task.
    """

    p_values: tuple
    seeds: tuple
    test_error: np.ndarray
    train_error: np.ndarray
    n_train: int
    n_test: int
    steps: int
    label_noise: float
    d: int
    n_pairs: int
    n_symbols: int


def attention_experiment(
    p_values=(0.0, 0.1),
    *,
    seeds=tuple(range(10)),
    n_train=150,
    n_test=1000,
    label_noise=0.2,
    steps=300,
    d=32,
    n_pairs=6,
    n_symbols=8,
    progress=False,
) -> AttentionExperiment:
    """Train :class:`TinyAttention` on the recall task for each drop probability and seed.

    Parameters
    ----------
    p_values : sequence of float in [0, 1)
        Attention-dropout probabilities.
    seeds : sequence of int >= 0
    n_train, n_test : int >= 1
        Training and test sequences (a fresh draw for each seed).
    label_noise : float in [0, 1]
        Share of training labels replaced at random, so that the model can overfit.
    steps : int >= 1
        Adam updates (mini-batches of 32).
    d, n_pairs, n_symbols : int
        Width of the model and size of the task, as in :func:`recall_task`.
    progress : bool
        A progress bar over seeds.

    Returns
    -------
    AttentionExperiment
    """
    why = "the kept probabilities are divided by 1 - p"
    p_values = tuple(check_p_below_one(p, "p_values", why=why) for p in p_values)
    seeds = tuple(check_int(s, "seeds", minimum=0) for s in seeds)
    if not p_values or not seeds:
        raise ValueError("p_values and seeds must each hold at least one entry")
    n_train = check_int(n_train, "n_train", minimum=1)
    n_test = check_int(n_test, "n_test", minimum=1)
    steps = check_int(steps, "steps", minimum=1)
    label_noise = check_p(label_noise, "label_noise")
    d = check_int(d, "d", minimum=1)
    n_pairs = check_int(n_pairs, "n_pairs", minimum=1)
    n_symbols = check_int(n_symbols, "n_symbols", minimum=n_pairs)
    test_error = np.empty((len(p_values), len(seeds)))
    train_error = np.empty_like(test_error)
    for j in _progress(range(len(seeds)), total=len(seeds), desc="seeds", enabled=progress):
        data_rng = np.random.default_rng([seeds[j], 1])
        kw = dict(n_pairs=n_pairs, n_symbols=n_symbols)
        train = recall_task(n_train, label_noise=label_noise, rng=data_rng, **kw)
        test = recall_task(n_test, rng=data_rng, **kw)
        for i, p in enumerate(p_values):
            model = TinyAttention(train.X.shape[-1], n_symbols, d=d, p=p, seed=seeds[j])
            model.fit(train.X, train.y, steps=steps)
            test_error[i, j] = model.error(test.X, test.y)
            train_error[i, j] = model.error(train.X, train.y)
    return AttentionExperiment(
        p_values=p_values,
        seeds=seeds,
        test_error=test_error,
        train_error=train_error,
        n_train=n_train,
        n_test=n_test,
        steps=steps,
        label_noise=label_noise,
        d=d,
        n_pairs=n_pairs,
        n_symbols=n_symbols,
    )
