"""Batch normalisation with running statistics, and the variance shift of dropout before it.

Batch norm (Ioffe and Szegedy 2015) normalises each feature with the mean and
variance of the current mini-batch while training, and keeps exponential
moving averages of them, the *running statistics*, which it uses at
evaluation. The conventions are PyTorch's ``BatchNorm1d``: the batch is
normalised with its biased variance, the running variance is updated with the
unbiased one, ``running = (1 - momentum) running + momentum batch``, and
``momentum=None`` makes the running statistics a plain cumulative average.

Li et al. 2019 explain why dropout placed *before* a batch-norm layer hurts.
While training, the BN layer sees activations that dropout has made noisier,
and stores their variance; at evaluation dropout is off, the activations are
less variable, and BN divides them by a variance that is now too large. For
inverted dropout with drop probability ``p`` on a unit with mean ``c`` and
variance ``v`` (:func:`variance_shift_ratio`),

.. math:: \\frac{\\mathrm{Var}_{\\text{eval}}}{\\mathrm{Var}_{\\text{train}}}
          = \\frac{(1 - p)\\, v}{v + p\\, c^2},

and for a linear layer after dropout (:func:`variance_shift`) the train-mode
variance of each output gains ``p / (1 - p) * E[sum_i h_i^2 W_ij^2]``.
:class:`BNNet` is a small network in which dropout sits before batch norm, or
only after the last batch norm, to measure the consequences on the digits.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .._checks import (
    as_generator,
    as_real_array,
    check_int,
    check_layer_sizes,
    check_p,
    check_p_below_one,
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
    "batch_norm_train",
    "batch_norm_eval",
    "batch_norm_backward",
    "BatchNorm",
    "variance_shift_ratio",
    "VarianceShift",
    "variance_shift",
    "BNNet",
    "BatchNormComparison",
    "compare_bn_placements",
]

#: Added to the variance before its square root, as PyTorch's default.
EPS = 1e-5


# ---------------------------------------------------------------- the layer


def _check_features(x, name="x") -> np.ndarray:
    x = as_real_array(x, name)
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (n, features), but got shape {x.shape}")
    return x


def batch_norm_train(x, gamma, beta, *, eps=EPS):
    """Training-mode batch norm: normalise each feature with the batch's own statistics.

    Parameters
    ----------
    x : array_like of float, shape (n, d), n >= 2
    gamma, beta : array_like of float, shape (d,)
        Scale and shift.
    eps : float > 0

    Returns
    -------
    out : ndarray of float64, shape (n, d)
        ``gamma * (x - mean) / sqrt(var + eps) + beta`` with the batch mean and
        the biased batch variance.
    batch_mean : ndarray of float64, shape (d,)
    batch_var : ndarray of float64, shape (d,)
        The *unbiased* batch variance (``ddof = 1``), the one the running
        variance is updated with.
    cache : tuple
        What :func:`batch_norm_backward` needs.
    """
    x = _check_features(x).astype(np.float64)
    if x.shape[0] < 2:
        raise ValueError(f"batch norm needs at least 2 examples per batch, but x has {x.shape[0]}")
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    mean = x.mean(axis=0)
    centred = x - mean
    var = np.mean(centred**2, axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = centred * inv_std
    n = x.shape[0]
    return gamma * xhat + beta, mean, var * n / (n - 1), (xhat, inv_std, np.asarray(gamma))


def batch_norm_eval(x, gamma, beta, running_mean, running_var, *, eps=EPS) -> np.ndarray:
    """Evaluation-mode batch norm: ``gamma * (x - running_mean) / sqrt(running_var + eps) + beta``.

    Parameters
    ----------
    x : array_like of float, shape (n, d)
    gamma, beta, running_mean, running_var : array_like of float, shape (d,)
    eps : float > 0

    Returns
    -------
    out : ndarray of float64, shape (n, d)
    """
    x = _check_features(x).astype(np.float64)
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta


def batch_norm_backward(dout, cache):
    """Gradients of a training-mode batch norm, with respect to ``x``, ``gamma`` and ``beta``.

    The batch statistics depend on every example, so the gradient of one
    example's input has three terms:
    ``dx = inv_std / n * (n * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat))``
    with ``dxhat = dout * gamma``.

    Parameters
    ----------
    dout : ndarray of float64, shape (n, d)
    cache : tuple
        From :func:`batch_norm_train`.

    Returns
    -------
    dx : ndarray, shape (n, d)
    dgamma, dbeta : ndarray, shape (d,)
    """
    xhat, inv_std, gamma = cache
    n = dout.shape[0]
    dxhat = dout * gamma
    dx = inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * np.sum(dxhat * xhat, axis=0))
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


class BatchNorm:
    """A batch-norm layer over the features of (n, d) inputs, with running statistics.

    Parameters
    ----------
    n_features : int >= 1
    momentum : float in (0, 1] or None
        Weight of each new batch in the running statistics; ``None`` gives a
        cumulative average over every batch seen (PyTorch's ``momentum=None``).
    eps : float > 0

    Attributes
    ----------
    gamma, beta : ndarray of float64, shape (d,)
        Start at 1 and 0.
    running_mean, running_var : ndarray of float64, shape (d,)
        Start at 0 and 1.
    num_batches_tracked : int
    """

    def __init__(self, n_features, *, momentum=0.1, eps=EPS):
        self.n_features = check_int(n_features, "n_features", minimum=1)
        if momentum is not None:
            momentum = check_real(momentum, "momentum", low=0.0, high=1.0, low_open=True)
        self.momentum = momentum
        self.eps = check_real(eps, "eps", low=0.0, low_open=True)
        self.gamma = np.ones(self.n_features)
        self.beta = np.zeros(self.n_features)
        self.running_mean = np.zeros(self.n_features)
        self.running_var = np.ones(self.n_features)
        self.num_batches_tracked = 0
        self._cache = None

    def forward(self, x, *, training=True) -> np.ndarray:
        """Normalise ``x``; in training also update the running statistics.

        Parameters
        ----------
        x : array_like of float, shape (n, n_features)
        training : bool

        Returns
        -------
        out : ndarray of float64, shape (n, n_features)
        """
        x = _check_features(x)
        if x.shape[1] != self.n_features:
            raise ValueError(f"x must have {self.n_features} features, but got shape {x.shape}")
        if not training:
            return batch_norm_eval(
                x, self.gamma, self.beta, self.running_mean, self.running_var, eps=self.eps
            )
        out, mean, var, self._cache = batch_norm_train(x, self.gamma, self.beta, eps=self.eps)
        self.num_batches_tracked += 1
        weight = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
        self.running_mean = (1.0 - weight) * self.running_mean + weight * mean
        self.running_var = (1.0 - weight) * self.running_var + weight * var
        return out

    def backward(self, dout):
        """Gradients ``(dx, dgamma, dbeta)`` of the last training-mode :meth:`forward`."""
        if self._cache is None:
            raise RuntimeError("backward called before a training-mode forward")
        dout = _check_features(dout, "dout").astype(np.float64)
        if dout.shape != self._cache[0].shape:
            raise ValueError(f"dout has shape {dout.shape}, but x had {self._cache[0].shape}")
        return batch_norm_backward(dout, self._cache)


# ---------------------------------------------------------------- the closed form


def variance_shift_ratio(p, mean=0.0, var=1.0) -> float:
    """Li et al.'s variance shift of one unit: ``Var_eval / Var_train = (1 - p) v / (v + p c^2)``.

    Inverted dropout on a unit ``x`` with mean ``c`` and variance ``v`` keeps
    the mean, but raises the second moment to ``(v + c^2) / (1 - p)``.

    Parameters
    ----------
    p : float in [0, 1)
        Drop probability.
    mean : float
        ``c``, the unit's mean.
    var : float > 0
        ``v``, the unit's variance without dropout.

    Returns
    -------
    float
        In (0, 1]: 1 without dropout, ``1 - p`` for a centred unit.
    """
    p = check_p_below_one(p, why="inverted dropout divides by 1 - p")
    c = check_real(mean, "mean")
    v = check_real(var, "var", low=0.0, low_open=True)
    return (1.0 - p) * v / (v + p * c * c)


@dataclass(frozen=True, eq=False)
class VarianceShift:
    """Train- and evaluation-mode variance of the outputs of dropout followed by a linear layer.

    Attributes
    ----------
    train_var : ndarray of float64, shape (d_out,)
        Variance over the examples and the dropout masks (what BN's running
        variance estimates while training).
    eval_var : ndarray of float64, shape (d_out,)
        Variance over the examples with dropout off (what BN meets at evaluation).
    ratio : ndarray of float64, shape (d_out,)
        ``eval_var / train_var``, at most 1.
    """

    train_var: np.ndarray
    eval_var: np.ndarray
    ratio: np.ndarray


def variance_shift(h, W, p) -> VarianceShift:
    """Closed form of the variance shift of ``u = dropout(h) W`` over a data set.

    With inverted dropout the mask of example ``x`` leaves ``E[u | x] = h W`` and
    adds ``Var[u_j | x] = p / (1 - p) sum_i h_i^2 W_ij^2``, so over examples and masks

    .. math:: \\mathrm{Var}_{\\text{train}}[u_j] = \\mathrm{Var}_x[(hW)_j]
              + \\frac{p}{1-p} \\mathbb{E}_x\\Big[\\sum_i h_i^2 W_{ij}^2\\Big],

    while at evaluation only the first term is left. (A bias added after ``W``
    changes neither.)

    Parameters
    ----------
    h : array_like of float, shape (n, d_in)
        The activations entering dropout, one row per example (the data set
        the variances are taken over, each example weighted equally).
    W : array_like of float, shape (d_in, d_out)
    p : float in [0, 1)

    Returns
    -------
    VarianceShift
    """
    h = _check_features(h, "h").astype(np.float64)
    W = as_real_array(W, "W").astype(np.float64)
    if W.ndim != 2 or W.shape[0] != h.shape[1]:
        raise ValueError(f"W must have shape ({h.shape[1]}, d_out), but got shape {W.shape}")
    p = check_p_below_one(p, why="inverted dropout divides by 1 - p")
    eval_var = np.var(h @ W, axis=0)
    train_var = eval_var + p / (1.0 - p) * np.mean((h * h) @ (W * W), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(train_var > 0, eval_var / train_var, 1.0)
    return VarianceShift(train_var=train_var, eval_var=eval_var, ratio=ratio)


# ---------------------------------------------------------------- the network


class BNNet:
    """An MLP whose hidden layers are ``linear -> batch norm -> ReLU``, with dropout in two places.

    Hidden layer 1 is ``relu(BN(X W_1 + b_1))``; every further hidden layer is
    ``relu(BN(dropout(h, p_before_bn) W_l + b_l))``, so dropout sits *before* a
    batch norm; the read-out is ``dropout(h, p_head) W_out + b_out``, dropout
    *after the last* batch norm, with no batch norm behind it.

    Parameters
    ----------
    layer_sizes : tuple of int
        ``(n_in, hidden_1, ..., hidden_H, n_out)``, at least one hidden layer.
    p_before_bn : float in [0, 1)
        Drop probability in front of hidden layers 2 to H.
    p_head : float in [0, 1)
        Drop probability in front of the read-out.
    momentum : float in (0, 1]
        Momentum of the running statistics while training.
    seed : int >= 0
        Seed of the weights and of the training noise.

    Attributes
    ----------
    weights, biases : list of ndarray
    gamma, beta, running_mean, running_var : list of ndarray, one per hidden layer
    """

    def __init__(
        self, layer_sizes=(64, 128, 128, 10), *, p_before_bn=0.0, p_head=0.0, momentum=0.1, seed=0
    ):
        sizes = check_layer_sizes(layer_sizes)
        if len(sizes) < 3:
            raise ValueError(f"layer_sizes needs a hidden layer, but got layer_sizes={sizes}")
        why = "inverted dropout divides by 1 - p"
        self.layer_sizes = sizes
        self.p_before_bn = check_p_below_one(p_before_bn, "p_before_bn", why=why)
        self.p_head = check_p_below_one(p_head, "p_head", why=why)
        self.momentum = check_real(momentum, "momentum", low=0.0, high=1.0, low_open=True)
        self.seed = check_int(seed, "seed", minimum=0)
        rng = np.random.default_rng(self.seed)
        layers = [dense_init(rng, a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        self.weights = [W for W, _ in layers]
        self.biases = [b for _, b in layers]
        hidden = sizes[1:-1]
        self.gamma = [np.ones(d) for d in hidden]
        self.beta = [np.zeros(d) for d in hidden]
        self.running_mean = [np.zeros(d) for d in hidden]
        self.running_var = [np.ones(d) for d in hidden]
        self._rng = np.random.default_rng([self.seed, 2])

    @property
    def n_hidden(self) -> int:
        """Number of hidden (batch-norm) layers."""
        return len(self.layer_sizes) - 2

    def drop_probs(self) -> list[float]:
        """Drop probability in front of each weight layer (0 before the first)."""
        return [0.0] + [self.p_before_bn] * (self.n_hidden - 1) + [self.p_head]

    def sample_masks(self, n, rng):
        """Fresh inverted-dropout keep-masks for ``n`` examples, one per weight layer."""
        return [
            rng.random((n, size)) >= p for size, p in zip(self.layer_sizes[:-1], self.drop_probs())
        ]

    def forward(self, X, *, masks=None, batch_stats=False):
        """Logits, the inputs of every batch norm, and the cache for :meth:`backward`.

        Parameters
        ----------
        X : ndarray of float, shape (n, n_in)
        masks : list of ndarray of bool or None
            Dropout keep-masks (from :meth:`sample_masks`); ``None`` is dropout off.
        batch_stats : bool
            Normalise with the batch's statistics (training mode of batch
            norm) instead of the running ones.

        Returns
        -------
        logits : ndarray of float64, shape (n, n_out)
        bn_inputs : list of ndarray, shape (n, hidden_l)
        cache : list
        batch : list of (mean, unbiased var) per batch norm (empty without ``batch_stats``)
        """
        X, _ = check_data(X, None, self.layer_sizes[0])
        h, caches, bn_inputs, batch = X, [], [], []
        probs = self.drop_probs()
        for layer in range(len(self.weights)):
            W, b = self.weights[layer], self.biases[layer]
            scale = None
            if masks is not None and probs[layer] > 0:
                scale = masks[layer] / (1.0 - probs[layer])
                h = h * scale
            u = h @ W + b
            if layer == self.n_hidden:
                caches.append((h, scale, None, None))
                return u, bn_inputs, caches, batch
            bn_inputs.append(u)
            g, be = self.gamma[layer], self.beta[layer]
            if batch_stats:
                z, mean, var, bn_cache = batch_norm_train(u, g, be)
                batch.append((mean, var))
            else:
                z = batch_norm_eval(u, g, be, self.running_mean[layer], self.running_var[layer])
                bn_cache = None
            caches.append((h, scale, bn_cache, z))
            h = np.maximum(z, 0.0)

    def backward(self, dlogits, caches):
        """Gradients of the loss: ``(dW, db, dgamma, dbeta)`` lists, from a batch-stats forward."""
        n_layers = len(self.weights)
        dW, db = [None] * n_layers, [None] * n_layers
        dgamma, dbeta = [None] * self.n_hidden, [None] * self.n_hidden
        du = dlogits
        for layer in reversed(range(n_layers)):
            h, scale, bn_cache, _z = caches[layer]
            if layer < self.n_hidden:
                dz = du * (caches[layer][3] > 0)
                du, dgamma[layer], dbeta[layer] = batch_norm_backward(dz, bn_cache)
            dW[layer], db[layer] = h.T @ du, du.sum(axis=0)
            if layer > 0:
                du = du @ self.weights[layer].T
                if scale is not None:
                    du = du * scale
        return dW, db, dgamma, dbeta

    def _params(self):
        return self.weights + self.biases + self.gamma + self.beta

    def _set_params(self, params):
        n, k = len(self.weights), self.n_hidden
        self.weights, self.biases = params[:n], params[n : 2 * n]
        self.gamma, self.beta = params[2 * n : 2 * n + k], params[2 * n + k :]

    def loss_and_grads(self, X, y, masks=None):
        """Mean cross-entropy with batch statistics (training mode) and its gradients."""
        X, y = check_data(X, y, self.layer_sizes[0])
        logits, _, caches, batch = self.forward(X, masks=masks, batch_stats=True)
        loss, dlogits = softmax_cross_entropy(logits, y)
        dW, db, dgamma, dbeta = self.backward(dlogits, caches)
        return loss, dW + db + dgamma + dbeta, batch

    def fit(self, X, y, *, epochs=20, batch_size=50, lr=0.05, momentum=0.9):
        """Train with SGD and momentum, dropout on, updating the running statistics; ``self``."""
        X, y = check_data(X, y, self.layer_sizes[0])
        epochs, batch_size, lr, momentum = check_training(epochs, batch_size, lr, momentum)
        velocity = [np.zeros_like(w) for w in self._params()]
        m = self.momentum
        with _Blas(1):
            for _ in range(epochs):
                order = self._rng.permutation(len(y))
                for start in range(0, len(y) - 1, batch_size):
                    rows = order[start : start + batch_size]
                    if len(rows) < 2:
                        continue
                    masks = self.sample_masks(len(rows), self._rng)
                    _, grads, batch = self.loss_and_grads(X[rows], y[rows], masks)
                    for layer, (mean, var) in enumerate(batch):
                        self.running_mean[layer] = (1 - m) * self.running_mean[layer] + m * mean
                        self.running_var[layer] = (1 - m) * self.running_var[layer] + m * var
                    params, velocity = sgd_momentum(self._params(), grads, velocity, lr, momentum)
                    self._set_params(params)
        return self

    def with_recomputed_statistics(self, X, *, batch_size=50, dropout=False, seed=0) -> BNNet:
        """A copy whose running statistics are re-estimated on ``X``, the weights unchanged.

        Batch norm runs in training mode over shuffled mini-batches of ``X`` and
        the running statistics become the cumulative average of the batch
        statistics (PyTorch's ``momentum=None``), layer after layer as the
        batches pass. With ``dropout=False`` dropout is off during the pass:
        this is Li et al.'s fix, statistics that match evaluation.

        Parameters
        ----------
        X : array_like of float, shape (n, n_in)
        batch_size : int >= 2
        dropout : bool
            Keep dropout on during the pass (the statistics then match training).
        seed : int >= 0
            Seed of the batch order and of the masks.

        Returns
        -------
        BNNet
            A new network; ``self`` is not modified.
        """
        X, _ = check_data(X, None, self.layer_sizes[0])
        batch_size = check_int(batch_size, "batch_size", minimum=2)
        if not isinstance(dropout, (bool, np.bool_)):
            raise TypeError(f"dropout must be a bool, but got {dropout!r}")
        rng = as_generator(check_int(seed, "seed", minimum=0), "seed")
        net = copy.deepcopy(self)
        order = rng.permutation(len(X))
        sums = [[np.zeros_like(m), np.zeros_like(m)] for m in net.running_mean]
        count = 0
        for start in range(0, len(X) - 1, batch_size):
            rows = order[start : start + batch_size]
            if len(rows) < 2:
                continue
            masks = net.sample_masks(len(rows), rng) if dropout else None
            _, _, _, batch = net.forward(X[rows], masks=masks, batch_stats=True)
            for total, (mean, var) in zip(sums, batch):
                total[0] += mean
                total[1] += var
            count += 1
        net.running_mean = [total[0] / count for total in sums]
        net.running_var = [total[1] / count for total in sums]
        return net

    def predict(self, X) -> np.ndarray:
        """Classes at evaluation: dropout off, batch norm with the running statistics."""
        return self.forward(X)[0].argmax(axis=1)

    def error(self, X, y) -> float:
        """Share of ``(X, y)`` misclassified at evaluation."""
        X, y = check_data(X, y, self.layer_sizes[0])
        return float(np.mean(self.predict(X) != y))

    def dropout_inputs(self, X, layer) -> np.ndarray:
        """Evaluation-mode activations entering the dropout in front of weight layer ``layer``."""
        X, _ = check_data(X, None, self.layer_sizes[0])
        layer = check_int(layer, "layer", minimum=0, maximum=len(self.weights) - 1)
        return self.forward(X)[2][layer][0]


# ---------------------------------------------------------------- the experiment


@dataclass(frozen=True, eq=False)
class BatchNormComparison:
    """Dropout before batch norm, its two fixes, and the variance shift, on the same seeds.

    Attributes
    ----------
    seeds : tuple of int
    p : float
        The drop probability of every dropout network.
    error_before_bn : ndarray of float64, shape (n_seeds,)
        Test error with dropout before batch norm, evaluated with the running
        statistics it trained with.
    error_recomputed : ndarray of float64, shape (n_seeds,)
        The same networks after :meth:`BNNet.with_recomputed_statistics` (dropout off).
    error_after_last_bn : ndarray of float64, shape (n_seeds,)
        Networks with dropout only after the last batch norm.
    running_var : ndarray of float64, shape (n_seeds, d)
        Running variance of the first batch norm behind a dropout, after training.
    closed_train_var, closed_eval_var : ndarray of float64, shape (n_seeds, d)
        :func:`variance_shift` on the training digits at the final weights.
    test_eval_var : ndarray of float64, shape (n_seeds, d)
        Evaluation-mode variance of that batch norm's input on the test digits.
    """

    seeds: tuple
    p: float
    error_before_bn: np.ndarray
    error_recomputed: np.ndarray
    error_after_last_bn: np.ndarray
    running_var: np.ndarray
    closed_train_var: np.ndarray
    closed_eval_var: np.ndarray
    test_eval_var: np.ndarray


def compare_bn_placements(
    *,
    p=0.5,
    layer_sizes=(64, 64, 64, 64, 64, 10),
    n_train=600,
    epochs=20,
    seeds=tuple(range(10)),
    progress_bar=False,
) -> BatchNormComparison:
    """Train :class:`BNNet` on the digits with dropout before batch norm or after the last one.

    For each seed, one training and test split and one initialisation are
    shared by both placements, so differences are paired.

    Parameters
    ----------
    p : float in (0, 1)
        Drop probability, before every batch norm but the first, or in front of
        the read-out.
    layer_sizes : tuple of int, at least two hidden layers
    n_train : int >= 10
        Training digits per seed; every other digit is in the test set.
    epochs : int >= 1
    seeds : sequence of int >= 0
    progress_bar : bool

    Returns
    -------
    BatchNormComparison
    """
    p = check_p(p)
    check_p_below_one(p, why="inverted dropout divides by 1 - p")
    sizes = check_layer_sizes(layer_sizes)
    if len(sizes) < 4:
        raise ValueError(f"layer_sizes needs two hidden layers, but got layer_sizes={sizes}")
    seeds = tuple(check_int(s, "seeds", minimum=0) for s in seeds)
    out = {key: [] for key in ("before", "recomputed", "after", "run", "train", "eval", "test")}
    for seed in progress(seeds, total=len(seeds), desc="seeds", enabled=progress_bar):
        X_train, y_train, X_test, y_test = digits_train_and_held_out(n_train, seed)
        before = BNNet(sizes, p_before_bn=p, seed=seed).fit(X_train, y_train, epochs=epochs)
        after = BNNet(sizes, p_head=p, seed=seed).fit(X_train, y_train, epochs=epochs)
        with _Blas(1):
            fixed = before.with_recomputed_statistics(X_train, seed=seed)
            out["before"].append(before.error(X_test, y_test))
            out["recomputed"].append(fixed.error(X_test, y_test))
            out["after"].append(after.error(X_test, y_test))
            shift = variance_shift(before.dropout_inputs(X_train, 1), before.weights[1], p)
            out["test"].append(np.var(before.forward(X_test)[1][1], axis=0))
        out["run"].append(before.running_var[1])
        out["train"].append(shift.train_var)
        out["eval"].append(shift.eval_var)
    return BatchNormComparison(
        seeds=seeds,
        p=p,
        error_before_bn=np.array(out["before"]),
        error_recomputed=np.array(out["recomputed"]),
        error_after_last_bn=np.array(out["after"]),
        running_var=np.array(out["run"]),
        closed_train_var=np.array(out["train"]),
        closed_eval_var=np.array(out["eval"]),
        test_eval_var=np.array(out["test"]),
    )
