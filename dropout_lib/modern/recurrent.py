"""Dropout in recurrent networks: a fresh mask per step against one mask per sequence.

A recurrent net carries its memory in the hidden state ``h``. Dropout on the
recurrent connection ``h_{t-1} -> h_t`` with a **fresh mask at every step** (the
naive way) breaks that memory: a value held by one unit survives ``T`` steps only
when the unit is kept at all of them, which has probability ``(1 - p)^T``.
Zaremba et al. (2014) therefore drop only the non-recurrent connections.
Gal and Ghahramani (2016) instead use **one mask per sequence**, the same at
every step (variational dropout), which drops units from the memory but never
erases a kept unit's value on the way.

:func:`recurrent_masks` draws either kind of mask; :class:`TinyRNN` is a
vanilla (tanh) recurrent net with dropout on its recurrent connection, with
forward and backward passes, and :func:`first_symbol_task` a long-range recall
task for it.
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
)
from ..masks import sample_mask

__all__ = [
    "recurrent_masks",
    "first_symbol_task",
    "SequenceTask",
    "TinyRNN",
    "RNNTrace",
    "RNNGrads",
    "RNNTrainResult",
]


def recurrent_masks(steps, batch, features, p, *, rng=None, variational=True) -> np.ndarray:
    """Keep-masks for dropout in a recurrent net, one per step.

    Parameters
    ----------
    steps : int >= 1
        Time steps of the sequence.
    batch : int >= 1
        Sequences in the batch.
    features : int >= 1
        Units that the mask covers (inputs or hidden units).
    p : float in [0, 1]
        Drop probability of each unit.
    rng : numpy.random.Generator, int or None
        Source of the masks.
    variational : bool
        ``True``: one mask per sequence, the same at every step (Gal and
        Ghahramani 2016). ``False``: a fresh mask at every step.

    Returns
    -------
    keep : ndarray of bool, shape (steps, batch, features)
        ``True`` where the unit is kept. With ``variational=True``,
        ``keep[t]`` is the same for every ``t``.
    """
    steps = check_int(steps, "steps", minimum=1)
    batch = check_int(batch, "batch", minimum=1)
    features = check_int(features, "features", minimum=1)
    p = check_p(p)
    rng = as_generator(rng)
    if variational:
        one = sample_mask((batch, features), p, rng)
        return np.repeat(one[None], steps, axis=0)
    return sample_mask((steps, batch, features), p, rng)


@dataclass(frozen=True, eq=False)
class SequenceTask:
    """Sequences of the first-symbol recall task, time first.

    Attributes
    ----------
    X : ndarray of float64, shape (steps, n, n_symbols)
        One-hot symbols; step 0 holds the symbol to recall, later steps distractors.
    y : ndarray of int64, shape (n,)
        The symbol at step 0.
    """

    X: np.ndarray
    y: np.ndarray


def first_symbol_task(n, *, steps=20, n_symbols=4, rng=None) -> SequenceTask:
    """Draw ``n`` sequences whose label is their first symbol, read after ``steps`` steps.

    Parameters
    ----------
    n : int >= 1
    steps : int >= 1
        Sequence length; the label must be carried through ``steps - 1`` distractors.
    n_symbols : int >= 2
    rng : numpy.random.Generator, int or None

    Returns
    -------
    SequenceTask
    """
    n = check_int(n, "n", minimum=1)
    steps = check_int(steps, "steps", minimum=1)
    n_symbols = check_int(n_symbols, "n_symbols", minimum=2)
    rng = as_generator(rng)
    symbols = rng.integers(n_symbols, size=(steps, n))
    X = np.zeros((steps, n, n_symbols))
    X[np.arange(steps)[:, None], np.arange(n), symbols] = 1.0
    return SequenceTask(X=X, y=symbols[0].astype(np.int64))


@dataclass(frozen=True, eq=False)
class RNNTrace:
    """What the forward pass keeps for the backward pass.

    Attributes
    ----------
    h : ndarray of float64, shape (steps + 1, n, n_hidden)
        Hidden states; ``h[0]`` is the zero initial state.
    keep : ndarray of bool, shape (steps, n, n_hidden)
        The mask on ``h[t]`` as it enters step ``t``.
    logits : ndarray of float64, shape (n, n_out)
        Read out from the last hidden state.
    """

    h: np.ndarray
    keep: np.ndarray
    logits: np.ndarray


@dataclass(frozen=True, eq=False)
class RNNGrads:
    """Gradients of the loss with respect to the parameters of :class:`TinyRNN`.

    Attributes
    ----------
    Wx : ndarray, shape (n_in, n_hidden)
    Wh : ndarray, shape (n_hidden, n_hidden)
    b : ndarray, shape (n_hidden,)
    Wo : ndarray, shape (n_hidden, n_out)
    bo : ndarray, shape (n_out,)
    """

    Wx: np.ndarray
    Wh: np.ndarray
    b: np.ndarray
    Wo: np.ndarray
    bo: np.ndarray


@dataclass(frozen=True, eq=False)
class RNNTrainResult:
    """What :meth:`TinyRNN.fit` returns.

    Attributes
    ----------
    loss : ndarray of float64, shape (steps,)
        Training loss of each mini-batch (with dropout, as trained).
    """

    loss: np.ndarray


_NAMES = ("Wx", "Wh", "b", "Wo", "bo")


class TinyRNN:
    """A vanilla recurrent net with dropout on its recurrent connection.

    ``h_t = tanh(x_t W_x + (h_{t-1} * m_t / (1 - p)) W_h + b)`` from ``h_0 = 0``,
    and logits ``h_T W_o + b_o``, where ``m_t`` are the keep-masks of
    :func:`recurrent_masks` (the same at every step when ``variational``).
    Trained with Adam on the softmax cross-entropy, by backpropagation through time.

    Parameters
    ----------
    n_in, n_hidden, n_out : int >= 1
    p : float in [0, 1)
        Drop probability on the recurrent connection while training.
    variational : bool
        One mask per sequence (``True``) or a fresh mask per step.
    seed : int >= 0
        Seeds the initial weights and the training stream (masks, mini-batches).
    """

    def __init__(self, n_in, n_hidden, n_out, *, p=0.0, variational=True, seed=0):
        self.n_in = check_int(n_in, "n_in", minimum=1)
        self.n_hidden = check_int(n_hidden, "n_hidden", minimum=1)
        self.n_out = check_int(n_out, "n_out", minimum=1)
        self.p = check_p_below_one(p, why="the kept units are divided by 1 - p")
        self.variational = bool(variational)
        rng = as_generator(seed, "seed")
        self._rng = np.random.default_rng(rng.integers(2**63))
        # An orthogonal recurrent matrix keeps the memory from fading at the start.
        ortho, _ = np.linalg.qr(rng.normal(size=(self.n_hidden, self.n_hidden)))
        self.params = {
            "Wx": rng.normal(0.0, 1.0, (self.n_in, self.n_hidden)),
            "Wh": ortho,
            "b": np.zeros(self.n_hidden),
            "Wo": rng.normal(0.0, 1.0 / np.sqrt(self.n_hidden), (self.n_hidden, self.n_out)),
            "bo": np.zeros(self.n_out),
        }

    def _check_X(self, X):
        X = as_real_array(X, "X")
        if X.ndim != 3 or X.shape[-1] != self.n_in:
            raise ValueError(f"X must have shape (steps, n, {self.n_in}), but got {X.shape}")
        return X

    def forward(self, X, keep=None) -> RNNTrace:
        """Run the net over a batch of sequences.

        Parameters
        ----------
        X : array_like of float, shape (steps, n, n_in)
        keep : array_like of bool, shape (steps, n, n_hidden), optional
            Keep-masks of the recurrent connection (training). ``None``: no dropout (evaluation).

        Returns
        -------
        RNNTrace
        """
        X = self._check_X(X)
        steps, n, _ = X.shape
        if keep is None:
            keep = np.ones((steps, n, self.n_hidden), dtype=bool)
            scale = 1.0
        else:
            keep = check_mask(keep, (steps, n, self.n_hidden), "keep", of="the hidden states")
            scale = 1.0 / (1.0 - self.p)
        P = self.params
        h = np.zeros((steps + 1, n, self.n_hidden))
        drive = X @ P["Wx"] + P["b"]
        multiplier = keep * scale  # 0 or 1 / (1 - p), as floats
        for t in range(steps):
            np.tanh(drive[t] + (h[t] * multiplier[t]) @ P["Wh"], out=h[t + 1])
        return RNNTrace(h=h, keep=keep, logits=h[-1] @ P["Wo"] + P["bo"])

    def backward(self, X, trace, dlogits, *, training=True) -> RNNGrads:
        """Backpropagation through time from the gradient of the logits.

        Parameters
        ----------
        X : array_like of float, shape (steps, n, n_in)
        trace : RNNTrace
            From :meth:`forward` on the same ``X``.
        dlogits : array_like of float, shape (n, n_out)
        training : bool
            Whether ``trace`` came from a pass with masks (scaled by ``1 / (1 - p)``).

        Returns
        -------
        RNNGrads
        """
        X = self._check_X(X)
        dlogits = as_real_array(dlogits, "dlogits")
        P = self.params
        h, keep = trace.h, trace.keep
        scale = 1.0 / (1.0 - self.p) if training else 1.0
        grads = {name: np.zeros_like(w) for name, w in P.items()}
        grads["Wo"] = h[-1].T @ dlogits
        grads["bo"] = dlogits.sum(axis=0)
        dh = dlogits @ P["Wo"].T
        multiplier = keep * scale
        dz = np.empty((X.shape[0], *dh.shape))  # gradient at each step's tanh input
        for t in range(X.shape[0] - 1, -1, -1):
            dz[t] = dh * (1.0 - h[t + 1] ** 2)
            dh = (dz[t] @ P["Wh"].T) * multiplier[t]
        flat = dz.reshape(-1, self.n_hidden)
        grads["Wx"] = X.reshape(-1, self.n_in).T @ flat
        grads["Wh"] = (h[:-1] * multiplier).reshape(-1, self.n_hidden).T @ flat
        grads["b"] = dz.sum(axis=(0, 1))
        return RNNGrads(**grads)

    def loss_and_gradients(self, X, y, keep=None):
        """Mean cross-entropy of a batch and its gradients (``keep`` as in :meth:`forward`).

        Returns
        -------
        loss : float
        grads : RNNGrads
        """
        X = self._check_X(X)
        y = np.asarray(y)
        trace = self.forward(X, keep)
        z = trace.logits - trace.logits.max(axis=1, keepdims=True)
        prob = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        n = len(y)
        loss = float(-np.mean(np.log(prob[np.arange(n), y] + 1e-12)))
        prob[np.arange(n), y] -= 1.0
        return loss, self.backward(X, trace, prob / n, training=keep is not None)

    def fit(self, X, y, *, steps=300, batch_size=32, lr=0.01, clip=1.0) -> RNNTrainResult:
        """Train with Adam on mini-batches drawn with replacement, from the current weights.

        Parameters
        ----------
        X : array_like of float, shape (seq_len, n, n_in)
        y : array_like of int, shape (n,)
        steps : int >= 1
            Updates.
        batch_size : int >= 1
        lr : float > 0
        clip : float > 0
            The gradient is scaled down to this global norm when longer.

        Returns
        -------
        RNNTrainResult
        """
        X = self._check_X(X)
        y = np.asarray(y)
        steps = check_int(steps, "steps", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        lr = check_real(lr, "lr", low=0.0, low_open=True)
        clip = check_real(clip, "clip", low=0.0, low_open=True)
        m = {k: np.zeros_like(w) for k, w in self.params.items()}
        s = {k: np.zeros_like(w) for k, w in self.params.items()}
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        losses = np.empty(steps)
        seq_len, n, _ = X.shape
        for t in range(1, steps + 1):
            idx = self._rng.integers(n, size=min(batch_size, n))
            keep = None
            if self.p > 0:
                keep = recurrent_masks(
                    seq_len,
                    len(idx),
                    self.n_hidden,
                    self.p,
                    rng=self._rng,
                    variational=self.variational,
                )
            losses[t - 1], grads = self.loss_and_gradients(X[:, idx], y[idx], keep)
            g = {k: getattr(grads, k) for k in _NAMES}
            norm = np.sqrt(sum(float((v**2).sum()) for v in g.values()))
            factor = min(1.0, clip / (norm + 1e-12))
            new = {}
            for k in _NAMES:
                grad = g[k] * factor
                m[k] = beta1 * m[k] + (1 - beta1) * grad
                s[k] = beta2 * s[k] + (1 - beta2) * grad**2
                step = lr * (m[k] / (1 - beta1**t)) / (np.sqrt(s[k] / (1 - beta2**t)) + eps)
                new[k] = self.params[k] - step
            self.params = new
        return RNNTrainResult(loss=losses)

    def predict(self, X) -> np.ndarray:
        """Predicted classes at evaluation (no dropout), shape (n,) of int64."""
        return np.argmax(self.forward(X).logits, axis=1)

    def error(self, X, y) -> float:
        """Share of sequences misclassified at evaluation."""
        return float(np.mean(self.predict(X) != np.asarray(y)))


@dataclass(frozen=True, eq=False)
class RecurrentExperiment:
    """Test error of :class:`TinyRNN` on the first-symbol task, per variant and seed.

    Attributes
    ----------
    labels : tuple of str
        The variants, in the order of the first axis of the errors.
    p : float
        Recurrent drop probability of the dropout variants.
    seeds : tuple of int
        Seed ``s`` draws the data and the initial weights, the same for every
        variant: the runs are paired by seed.
    test_error : ndarray of float64, shape (len(labels), len(seeds))
        Share misclassified at evaluation (no dropout). Chance is ``1 - 1 / n_symbols``.
    final_loss : ndarray of float64, shape (len(labels), len(seeds))
        Mean training loss (with dropout) over the last 50 updates.
    seq_len, n_hidden, n_symbols, n_train, n_test, steps : int
    """

    labels: tuple
    p: float
    seeds: tuple
    test_error: np.ndarray
    final_loss: np.ndarray
    seq_len: int
    n_hidden: int
    n_symbols: int
    n_train: int
    n_test: int
    steps: int


def recurrent_experiment(
    p=0.5,
    *,
    seeds=tuple(range(10)),
    seq_len=16,
    n_hidden=16,
    n_symbols=2,
    n_train=1000,
    n_test=1000,
    steps=400,
    progress=False,
) -> RecurrentExperiment:
    """Train :class:`TinyRNN` with a fresh mask per step and with one mask per sequence.

    Parameters
    ----------
    p : float in (0, 1)
        Drop probability on the recurrent connection.
    seeds : sequence of int >= 0
    seq_len : int >= 1
        Steps between the symbol and the read-out.
    n_hidden, n_symbols, n_train, n_test : int
    steps : int >= 1
        Adam updates (mini-batches of 32).
    progress : bool
        A progress bar over seeds.

    Returns
    -------
    RecurrentExperiment
        Variants ``("fresh mask per step", "one mask per sequence")``.
    """
    p = check_p_below_one(p, why="the kept units are divided by 1 - p")
    seeds = tuple(check_int(s, "seeds", minimum=0) for s in seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    seq_len = check_int(seq_len, "seq_len", minimum=1)
    n_train = check_int(n_train, "n_train", minimum=1)
    n_test = check_int(n_test, "n_test", minimum=1)
    steps = check_int(steps, "steps", minimum=1)
    from .attention import _progress

    variants = (("fresh mask per step", False), ("one mask per sequence", True))
    test_error = np.empty((len(variants), len(seeds)))
    final_loss = np.empty_like(test_error)
    for j in _progress(range(len(seeds)), total=len(seeds), desc="seeds", enabled=progress):
        data_rng = np.random.default_rng([seeds[j], 2])
        train = first_symbol_task(n_train, steps=seq_len, n_symbols=n_symbols, rng=data_rng)
        test = first_symbol_task(n_test, steps=seq_len, n_symbols=n_symbols, rng=data_rng)
        for i, (_, variational) in enumerate(variants):
            net = TinyRNN(
                n_symbols, n_hidden, n_symbols, p=p, variational=variational, seed=seeds[j]
            )
            result = net.fit(train.X, train.y, steps=steps)
            test_error[i, j] = net.error(test.X, test.y)
            final_loss[i, j] = result.loss[-50:].mean()
    return RecurrentExperiment(
        labels=tuple(label for label, _ in variants),
        p=p,
        seeds=seeds,
        test_error=test_error,
        final_loss=final_loss,
        seq_len=seq_len,
        n_hidden=n_hidden,
        n_symbols=n_symbols,
        n_train=n_train,
        n_test=n_test,
        steps=steps,
    )
