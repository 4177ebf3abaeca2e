"""Monte-Carlo dropout: keep dropout on at test time and read uncertainty off the spread.

Gal and Ghahramani (2016) showed that a network trained with dropout and weight
decay is an approximate Bayesian model. ``T`` forward passes with fresh masks
give predictions ``y_1 .. y_T``, and

* predictive mean ``≈ (1/T) sum_t y_t``,
* predictive variance ``≈ 1/tau + (1/T) sum_t y_t**2 - mean**2``, with the model
  precision ``tau = q l**2 / (2 N lambda)``: ``q = 1 - p`` the keep probability
  (``p`` is the **drop** probability), ``l`` the prior length-scale, ``N`` the
  number of training points and ``lambda`` the weight decay. That formula is
  for standard (unscaled) dropout; with inverted dropout the network's weights
  are ``q`` times the unscaled ones, and ``tau = l**2 / (2 N q lambda)``
  (``inverted=True``).

For classification the spread shows up in the predictive entropy of the
averaged class probabilities.

This module also holds :class:`RegressionNet`, a small 1-D regression network
built from the core dropout layer functions. The digits :class:`~dropout_lib.mlp.MLP`
is a classifier with a softmax loss baked into its training step; regression
needs a different output and loss, and bending the classifier to do both would
make the book's main network harder to read. So this separate class is kept
deliberately small, and it borrows the masks and the dropout forward and
backward passes from :mod:`dropout_lib.layers` instead of copying them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import (
    as_generator,
    as_real_array,
    check_int,
    check_p,
    check_p_below_one,
    check_real,
)
from .layers import apply_mask, dropout_backward
from .masks import sample_mask

__all__ = [
    "model_precision",
    "weight_decay_for_precision",
    "predictive_moments",
    "predictive_moments_by_samples",
    "predictive_entropy",
    "mutual_information",
    "EntropyBins",
    "error_by_entropy",
    "error_detection_auroc",
    "PredictionScores",
    "score_predictions",
    "band_coverage",
    "gap_regression_data",
    "gap_target",
    "RegressionNet",
    "fit_together",
]


def _positive(value, name) -> float:
    """``value`` as a float after checking that it is a finite real number above 0."""
    return check_real(value, name, low=0.0, low_open=True, high_open=True)


def model_precision(p, length_scale, n_train, weight_decay, *, inverted=False) -> float:
    """Gal and Ghahramani's model precision ``tau = (1 - p) l**2 / (2 N lambda)``.

    Parameters
    ----------
    p : float in [0, 1)
        Drop probability used in training.
    length_scale : float > 0
        Prior length-scale ``l`` of the weights.
    n_train : int >= 1
        Number of training points ``N``.
    weight_decay : float > 0
        ``lambda``, the weight-decay coefficient of the training loss.
    inverted : bool
        The network was trained with inverted dropout (kept units divided by
        ``q = 1 - p``). Its weights are then ``q`` times the weights ``M`` of the
        unscaled network it computes, so ``lambda ||W||**2 = q**2 lambda ||M||**2``
        and ``tau = l**2 / (2 N q lambda)``.

    Returns
    -------
    tau : float
        Its inverse ``1/tau`` is the observation-noise variance added to the
        predictive variance.
    """
    p = check_p_below_one(p, why="with nothing kept the model precision is 0")
    length_scale = _positive(length_scale, "length_scale")
    n_train = check_int(n_train, "n_train", minimum=1)
    weight_decay = _positive(weight_decay, "weight_decay")
    if not isinstance(inverted, (bool, np.bool_)):
        raise TypeError(f"inverted must be a bool, but got {inverted!r}")
    q = 1.0 - p
    effective = weight_decay * q**2 if inverted else weight_decay
    return q * length_scale**2 / (2.0 * n_train * effective)


def weight_decay_for_precision(p, length_scale, n_train, tau, *, inverted=False) -> float:
    """The weight decay ``lambda = (1 - p) l**2 / (2 N tau)`` that gives precision ``tau``.

    The inverse of :func:`model_precision`: choose ``tau`` as one over the noise
    variance you expect, and train with this weight decay.

    Parameters
    ----------
    p : float in [0, 1)
    length_scale : float > 0
    n_train : int >= 1
    tau : float > 0
        The model precision wanted.
    inverted : bool
        As in :func:`model_precision`: for inverted dropout the weight decay is
        ``l**2 / (2 N q tau)``, larger by ``1 / q**2``.

    Returns
    -------
    weight_decay : float
    """
    p = check_p(p)
    tau = _positive(tau, "tau")
    return model_precision(p, length_scale, n_train, 1.0, inverted=inverted) / tau


def predictive_moments(samples, tau=None):
    """Predictive mean and variance from ``T`` stochastic forward passes.

    Parameters
    ----------
    samples : array_like of float, shape (T, ...)
        ``samples[t]`` is the prediction of the ``t``-th pass with fresh masks.
    tau : float > 0 or None
        Model precision; ``1/tau`` is added to the variance. ``None`` adds nothing
        (the variance of the passes alone).

    Returns
    -------
    mean : ndarray of float64, shape ``samples.shape[1:]``
        ``(1/T) sum_t y_t``.
    var : ndarray of float64, same shape
        ``1/tau + (1/T) sum_t y_t**2 - mean**2``.
    """
    samples = as_real_array(samples, "samples").astype(np.float64)
    if samples.ndim < 1 or samples.shape[0] < 1:
        raise ValueError(f"samples needs at least one pass along axis 0, got {samples.shape}")
    mean = samples.mean(axis=0)
    var = (samples**2).mean(axis=0) - mean**2
    var = np.maximum(var, 0.0)  # rounding can make a zero spread slightly negative
    if tau is not None:
        var = var + 1.0 / _positive(tau, "tau")
    return mean, var


def predictive_moments_by_samples(samples, sample_counts, tau=None):
    """Predictive mean and variance using the first ``T`` passes, for several ``T``.

    Parameters
    ----------
    samples : array_like of float, shape (T_max, ...)
    sample_counts : sequence of int, each in [1, T_max]
    tau : float or None

    Returns
    -------
    means, variances : ndarray of float64, shape (len(sample_counts), ...)
    """
    samples = as_real_array(samples, "samples")
    counts = [check_int(t, "sample_counts", minimum=1) for t in sample_counts]
    if not counts:
        raise ValueError("sample_counts must hold at least one number of passes, but got none")
    if samples.ndim < 1:
        raise ValueError(f"samples needs at least one pass along axis 0, got {samples.shape}")
    if max(counts) > samples.shape[0]:
        raise ValueError(
            f"sample_counts go up to {max(counts)} but only {samples.shape[0]} passes were given"
        )
    pairs = [predictive_moments(samples[:t], tau) for t in counts]
    return np.array([m for m, _ in pairs]), np.array([v for _, v in pairs])


def predictive_entropy(probs) -> np.ndarray:
    """Entropy ``-sum_k p_k log p_k`` (in nats) of class probabilities.

    Parameters
    ----------
    probs : array_like of float, shape (..., K)
        Rows of probabilities (e.g. the Monte-Carlo mean of softmax outputs).

    Returns
    -------
    entropy : ndarray of float64, shape (...)
        Between 0 (certain) and ``log K`` (uniform).
    """
    probs = as_real_array(probs, "probs").astype(np.float64)
    logs = np.log(np.where(probs > 0, probs, 1.0))  # 0 log 0 = 0
    return -(probs * logs).sum(axis=-1)


def mutual_information(prob_samples) -> np.ndarray:
    """Mutual information between the prediction and the masks (the BALD score).

    Parameters
    ----------
    prob_samples : array_like of float, shape (T, n, K)
        Softmax outputs of ``T`` dropout passes.

    Returns
    -------
    mi : ndarray of float64, shape (n,)
        Entropy of the mean minus the mean entropy; it is zero when every pass
        agrees, whatever the entropy of that common prediction.
    """
    prob_samples = as_real_array(prob_samples, "prob_samples")
    if prob_samples.ndim != 3:
        raise ValueError(f"prob_samples must have shape (T, n, K), but got {prob_samples.shape}")
    return predictive_entropy(prob_samples.mean(axis=0)) - predictive_entropy(prob_samples).mean(
        axis=0
    )


@dataclass(frozen=True, eq=False)
class EntropyBins:
    """Error rate of the predictions grouped by predictive entropy.

    Attributes
    ----------
    edges : ndarray of float64, shape (n_bins + 1,)
        Entropy at the bin boundaries (quantiles, so bins hold about equal counts).
    mean_entropy : ndarray of float64, shape (n_bins,)
        Mean entropy of the examples in each bin.
    error_rate : ndarray of float64, shape (n_bins,)
        Fraction of wrong predictions in each bin.
    count : ndarray of int, shape (n_bins,)
        Examples in each bin.
    """

    edges: np.ndarray
    mean_entropy: np.ndarray
    error_rate: np.ndarray
    count: np.ndarray


def error_by_entropy(entropy, wrong, n_bins=5) -> EntropyBins:
    """Group examples into ``n_bins`` equal-count bins of entropy; error rate in each.

    Parameters
    ----------
    entropy : array_like of float, shape (n,)
    wrong : array_like of bool, shape (n,)
        ``True`` where the prediction is wrong.
    n_bins : int >= 1, at most n

    Returns
    -------
    EntropyBins
    """
    entropy = as_real_array(entropy, "entropy").astype(np.float64)
    wrong = np.asarray(wrong, dtype=bool)
    if entropy.ndim != 1 or wrong.shape != entropy.shape:
        raise ValueError(
            f"entropy and wrong must be 1-D of one length, got {entropy.shape} and {wrong.shape}"
        )
    n_bins = check_int(n_bins, "n_bins", minimum=1)
    if n_bins > entropy.size:
        raise ValueError(f"n_bins={n_bins} is more than the {entropy.size} examples")
    # Sorting and splitting gives equal counts even when many entropies tie.
    order = np.argsort(entropy, kind="stable")
    groups = np.array_split(order, n_bins)
    edges = np.array([entropy[g[0]] for g in groups] + [entropy[order[-1]]])
    return EntropyBins(
        edges=edges,
        mean_entropy=np.array([entropy[g].mean() for g in groups]),
        error_rate=np.array([wrong[g].mean() for g in groups]),
        count=np.array([g.size for g in groups]),
    )


def _labels_and_probs(probs, labels):
    probs = as_real_array(probs, "probs").astype(np.float64)
    if probs.ndim != 2:
        raise ValueError(f"probs must have shape (n, K), but got {probs.shape}")
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must hold integer class labels, but got dtype {labels.dtype}")
    if labels.shape != (probs.shape[0],):
        raise ValueError(f"labels must have shape ({probs.shape[0]},), but got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= probs.shape[1]):
        raise ValueError(f"labels must lie in 0 to {probs.shape[1] - 1}")
    return probs, labels


def error_detection_auroc(uncertainty, wrong) -> float:
    """How well an uncertainty score separates wrong predictions from right ones.

    The area under the ROC curve of "flag the prediction as an error when its
    uncertainty is above a threshold": the probability that a randomly chosen
    wrong prediction has a higher uncertainty than a randomly chosen right one,
    ties counting one half (the Mann-Whitney statistic). 0.5 is chance, 1 is a
    perfect ranking.

    Parameters
    ----------
    uncertainty : array_like of float, shape (n,)
        Higher means less sure, for example the predictive entropy.
    wrong : array_like of bool, shape (n,)
        At least one ``True`` and one ``False``.

    Returns
    -------
    auroc : float in [0, 1]
    """
    uncertainty = as_real_array(uncertainty, "uncertainty").astype(np.float64)
    wrong = np.asarray(wrong)
    if wrong.dtype != bool:
        raise TypeError(f"wrong must be an array of bool, but got dtype {wrong.dtype}")
    if uncertainty.ndim != 1 or wrong.shape != uncertainty.shape:
        raise ValueError(
            "uncertainty and wrong must be 1-D of one length, "
            f"got {uncertainty.shape} and {wrong.shape}"
        )
    n_wrong, n_right = int(wrong.sum()), int((~wrong).sum())
    if n_wrong == 0 or n_right == 0:
        raise ValueError("wrong must contain both wrong (True) and right (False) predictions")
    # Average ranks handle ties: each tied group gets the mean of its ranks.
    order = np.argsort(uncertainty, kind="stable")
    sorted_values = uncertainty[order]
    ranks = np.empty(uncertainty.size)
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], uncertainty.size]
    for start, end in zip(starts, ends):
        ranks[order[start:end]] = 0.5 * (start + end - 1) + 1
    rank_sum = ranks[wrong].sum()
    return float((rank_sum - n_wrong * (n_wrong + 1) / 2) / (n_wrong * n_right))


@dataclass(frozen=True)
class PredictionScores:
    """How good, how confident and how self-aware one set of class predictions is.

    Attributes
    ----------
    error : float
        Fraction of wrong predictions (arg max of ``probs``).
    nll : float
        Mean negative log-likelihood of the true labels, ``-mean log probs[i, y_i]``, in nats.
    mean_confidence : float
        Mean of ``max_k probs[i, k]``.
    auroc : float
        :func:`error_detection_auroc` of the predictive entropy.
    """

    error: float
    nll: float
    mean_confidence: float
    auroc: float


def score_predictions(probs, labels) -> PredictionScores:
    """Error, negative log-likelihood, mean confidence and error-detection AUROC.

    Parameters
    ----------
    probs : array_like of float, shape (n, K)
        Class probabilities (rows sum to 1), for example a Monte-Carlo average
        or the weight-scaled softmax.
    labels : array_like of int, shape (n,)
        True classes.

    Returns
    -------
    PredictionScores
        The AUROC ranks the examples by the entropy of ``probs``.
    """
    probs, labels = _labels_and_probs(probs, labels)
    wrong = probs.argmax(axis=1) != labels
    picked = probs[np.arange(labels.size), labels]
    return PredictionScores(
        error=float(wrong.mean()),
        nll=float(-np.mean(np.log(np.maximum(picked, np.finfo(np.float64).tiny)))),
        mean_confidence=float(probs.max(axis=1).mean()),
        auroc=error_detection_auroc(predictive_entropy(probs), wrong),
    )


def band_coverage(mean, sd, truth, *, width=2.0) -> np.ndarray:
    """Where the band ``mean -+ width * sd`` contains the true value.

    Parameters
    ----------
    mean, sd, truth : array_like of float, one shape
        Predictive mean and standard deviation, and the true function.
    width : float > 0
        Half-width of the band in standard deviations.

    Returns
    -------
    covered : ndarray of bool, the shape of ``mean``
        Its mean over a region is the band's coverage there.
    """
    mean = as_real_array(mean, "mean").astype(np.float64)
    sd = as_real_array(sd, "sd").astype(np.float64)
    truth = as_real_array(truth, "truth").astype(np.float64)
    if not mean.shape == sd.shape == truth.shape:
        raise ValueError(
            f"mean, sd and truth must have one shape, got {mean.shape}, {sd.shape}, {truth.shape}"
        )
    if np.any(~(sd >= 0)):
        raise ValueError("sd must hold standard deviations >= 0")
    width = _positive(width, "width")
    return np.abs(truth - mean) <= width * sd


def _interval(value, name) -> tuple[float, float]:
    """``value`` as a pair of finite floats ``(low, high)``."""
    try:
        low, high = value
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a pair (low, high) of numbers, but got {value!r}"
        ) from None
    finite = dict(high_open=True, low_open=True)
    return check_real(low, f"{name}[0]", **finite), check_real(high, f"{name}[1]", **finite)


def gap_target(x) -> np.ndarray:
    """The smooth function behind :func:`gap_regression_data`: ``sin(1.5 x) + 0.3 x``."""
    x = as_real_array(x)
    return np.sin(1.5 * x) + 0.3 * x


def gap_regression_data(n=60, *, noise=0.1, gap=(-1.0, 1.0), span=(-4.0, 4.0), seed=0):
    """A 1-D regression data set with no training points inside ``gap``.

    Parameters
    ----------
    n : int >= 2
        Number of points, half on each side of the gap.
    noise : float >= 0
        Standard deviation of the Gaussian noise on ``y``.
    gap, span : (float, float)
        The empty interval and the whole interval, ``span[0] < gap[0] < gap[1] < span[1]``.
    seed : int >= 0

    Returns
    -------
    x, y : ndarray of float64, shape (n,)
        ``y = gap_target(x) + noise``; ``x`` sorted.
    """
    n = check_int(n, "n", minimum=2)
    noise = check_real(noise, "noise", low=0.0, high_open=True)
    gap = _interval(gap, "gap")
    span = _interval(span, "span")
    if not span[0] < gap[0] < gap[1] < span[1]:
        raise ValueError(f"need span[0] < gap[0] < gap[1] < span[1], got gap={gap}, span={span}")
    rng = as_generator(seed, "seed")
    left = rng.uniform(span[0], gap[0], n // 2)
    right = rng.uniform(gap[1], span[1], n - n // 2)
    x = np.sort(np.concatenate([left, right]))
    return x, gap_target(x) + noise * rng.standard_normal(n)


class RegressionNet:
    """A small ReLU network ``1 -> hidden -> ... -> 1`` with dropout after each hidden layer.

    Trained full-batch with Adam on ``0.5 * mean((y_hat - y)**2) + lambda * sum ||W||**2``
    (weights, not biases), the loss whose minimiser Gal and Ghahramani relate to
    the approximate posterior. Dropout is inverted (kept units divided by
    ``1 - p``), so :meth:`predict` is the weight-scaled network and
    :meth:`predict_samples` gives Monte-Carlo passes.

    Parameters
    ----------
    hidden_sizes : sequence of int
        Units per hidden layer.
    p : float in [0, 1)
        Drop probability of every hidden unit.
    weight_decay : float >= 0
        ``lambda``.
    seed : int >= 0
        Seeds the initial weights, the training masks and, separately, the
        Monte-Carlo masks.
    """

    def __init__(self, hidden_sizes=(64, 64), *, p=0.1, weight_decay=1e-4, seed=0):
        self.p = check_p_below_one(p, why="a layer that drops every unit passes nothing on")
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0.0, high_open=True)
        sizes = (1, *[check_int(h, "hidden_sizes", minimum=1) for h in hidden_sizes], 1)
        seed = check_int(seed, "seed", minimum=0)
        init_seq, train_seq, predict_seq = np.random.SeedSequence(seed).spawn(3)
        init = np.random.default_rng(init_seq)
        self._train_rng = np.random.default_rng(train_seq)
        self._predict_rng = np.random.default_rng(predict_seq)
        self.weights = [
            init.standard_normal((a, b)) * np.sqrt(2.0 / a) for a, b in zip(sizes[:-1], sizes[1:])
        ]
        self.biases = [np.zeros(b) for b in sizes[1:]]
        self.sizes = sizes

    def _check_x(self, x, name="x"):
        x = as_real_array(x, name).astype(np.float64)
        if x.ndim != 1:
            raise ValueError(f"{name} must be 1-D of shape (n,), but got shape {x.shape}")
        return x[:, None]

    def _check_y(self, y, n):
        y = as_real_array(y, "y").astype(np.float64)
        if y.shape != (n,):
            raise ValueError(f"y must have shape ({n},) like x, but got shape {y.shape}")
        return y

    def sample_masks(self, n, rng=None):
        """One keep-mask per hidden layer, shapes ``(n, hidden_sizes[l])``."""
        n = check_int(n, "n", minimum=0)
        rng = self._train_rng if rng is None else as_generator(rng)
        return [sample_mask((n, size), self.p, rng) for size in self.sizes[1:-1]]

    def _forward(self, x, masks):
        """Return the output (n,), the input of every layer and the hidden pre-activations."""
        a, inputs, pre = x, [], []
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            inputs.append(a)
            z = a @ weight + bias
            if layer == len(self.weights) - 1:
                return z[:, 0], inputs, pre
            pre.append(z)
            h = np.maximum(z, 0.0)
            a = h if masks is None else apply_mask(h, masks[layer], self.p)

    def loss_and_gradients(self, x, y, masks=None):
        """Training loss and its gradients for given keep-masks (``None``: no dropout).

        Parameters
        ----------
        x, y : array_like of float, shape (n,)
        masks : list of ndarray of bool, optional
            From :meth:`sample_masks`.

        Returns
        -------
        loss : float
        grad_weights, grad_biases : lists of ndarray, shapes of the parameters
        """
        x = self._check_x(x)
        y = self._check_y(y, len(x))
        out, inputs, pre = self._forward(x, masks)
        residual = out - y
        penalty = sum(np.sum(w**2) for w in self.weights)
        loss = 0.5 * np.mean(residual**2) + self.weight_decay * penalty
        delta = (residual / len(y))[:, None]
        grad_w, grad_b = [None] * len(self.weights), [None] * len(self.weights)
        for layer in range(len(self.weights) - 1, -1, -1):
            grad_w[layer] = inputs[layer].T @ delta + 2.0 * self.weight_decay * self.weights[layer]
            grad_b[layer] = delta.sum(axis=0)
            if layer == 0:
                break
            delta = delta @ self.weights[layer].T
            if masks is not None:
                delta = dropout_backward(delta, masks[layer - 1], self.p)
            delta = delta * (pre[layer - 1] > 0)
        return float(loss), grad_w, grad_b

    def fit(self, x, y, *, epochs=3000, lr=0.01, progress=False):
        """Train full-batch with Adam and fresh masks every step.

        Parameters
        ----------
        x, y : array_like of float, shape (n,)
        epochs : int >= 1
            Adam steps, each on the whole training set.
        lr : float > 0
            Adam's step size.
        progress : bool
            Show a ``tqdm.auto`` bar over the steps.

        Returns
        -------
        losses : ndarray of float64, shape (epochs,)
            The training loss at each step, with that step's masks.
        """
        epochs = check_int(epochs, "epochs", minimum=1)
        lr = _positive(lr, "lr")
        x = self._check_x(x)[:, 0]
        self._check_y(y, len(x))  # before the first step, not inside it
        params = self.weights + self.biases
        first = [np.zeros_like(q) for q in params]
        second = [np.zeros_like(q) for q in params]
        losses = np.empty(epochs)
        steps = range(epochs)
        if progress:
            from tqdm.auto import tqdm

            steps = tqdm(steps, desc="steps", leave=False)
        for step in steps:
            masks = self.sample_masks(len(x)) if self.p > 0 else None
            losses[step], grad_w, grad_b = self.loss_and_gradients(x, y, masks)
            _adam_step(params, grad_w + grad_b, first, second, step, lr)
        return losses

    def predict(self, x) -> np.ndarray:
        """Weight-scaled (dropout off) prediction, shape (n,)."""
        return self._forward(self._check_x(x), None)[0]

    def predict_samples(self, x, n_samples, *, rng=None) -> np.ndarray:
        """``n_samples`` Monte-Carlo dropout passes, shape (n_samples, n).

        Masks come from the network's own evaluation stream unless ``rng`` is given.
        """
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        x = self._check_x(x)
        rng = self._predict_rng if rng is None else as_generator(rng)
        return np.array(
            [self._forward(x, self.sample_masks(len(x), rng))[0] for _ in range(n_samples)]
        )


def _adam_step(params, grads, first, second, step, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update of ``params`` in place, with bias correction; ``step`` counts from 0.

    ``first`` and ``second`` are the moment estimates, one array per parameter,
    replaced in their lists. Elementwise, so it serves one network or a stack.
    """
    for index, (param, grad) in enumerate(zip(params, grads)):
        first[index] = beta1 * first[index] + (1 - beta1) * grad
        second[index] = beta2 * second[index] + (1 - beta2) * grad**2
        m_hat = first[index] / (1 - beta1 ** (step + 1))
        v_hat = second[index] / (1 - beta2 ** (step + 1))
        param -= lr * m_hat / (np.sqrt(v_hat) + eps)


def fit_together(nets, x, y, *, epochs=3000, lr=0.01, progress=False) -> list[np.ndarray]:
    """Train several regression networks on one data set side by side, as each ``fit`` would.

    Each network draws its masks from its own training stream in the order its
    own :meth:`RegressionNet.fit` draws them and takes the same Adam steps; the
    parameters of all networks are only stacked, so that every numpy call
    works on all of them at once, which saves the overhead of a hundred-odd
    numpy calls per step and network (four networks of chapter 9 train in
    about two thirds of the time of four fits). The stacked step is a second
    copy of the arithmetic of :meth:`RegressionNet.loss_and_gradients`, held
    to it by the tests; the results equal separate fits up to floating-point
    rounding (a stacked product may add in another order).

    Parameters
    ----------
    nets : list or tuple of RegressionNet
        At least one; equal hidden sizes, ``p`` and ``weight_decay``; seeds may
        differ. Trained in place.
    x, y : array_like of float, shape (n,)
    epochs, lr, progress
        As in :meth:`RegressionNet.fit`.

    Returns
    -------
    list of ndarray of float64, shape (epochs,)
        Each network's training loss at each step, as its ``fit`` returns it.
    """
    nets = list(nets) if isinstance(nets, (list, tuple)) else nets
    if (
        not isinstance(nets, list)
        or not nets
        or not all(isinstance(n, RegressionNet) for n in nets)
    ):
        raise TypeError(f"nets must be a non-empty sequence of RegressionNet, but got {nets!r}")
    first_net = nets[0]
    for net in nets[1:]:
        if (net.sizes, net.p, net.weight_decay) != (
            first_net.sizes,
            first_net.p,
            first_net.weight_decay,
        ):
            raise ValueError(
                "nets must share hidden sizes, p and weight_decay to train together, but got "
                f"{(first_net.sizes, first_net.p, first_net.weight_decay)} and "
                f"{(net.sizes, net.p, net.weight_decay)}"
            )
    epochs = check_int(epochs, "epochs", minimum=1)
    lr = _positive(lr, "lr")
    x = first_net._check_x(x)
    y = first_net._check_y(y, len(x))
    n, p, decay = len(x), first_net.p, first_net.weight_decay
    # Stacks, one per layer: weights of shape (nets, fan_in, fan_out), biases (nets, 1, fan_out).
    weights = [np.stack(layer) for layer in zip(*(net.weights for net in nets))]
    biases = [np.stack(layer)[:, None, :] for layer in zip(*(net.biases for net in nets))]
    params = weights + biases
    first = [np.zeros_like(q) for q in params]
    second = [np.zeros_like(q) for q in params]
    losses = np.empty((len(nets), epochs))
    scale = 1.0 / (1.0 - p)
    steps = range(epochs)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="steps", leave=False)
    for step in steps:
        # Each network's masks for this step, drawn from its own training stream in the order
        # of its sample_masks (which is sample_mask: rng.random(shape) >= p, per hidden layer).
        masks = None
        if p > 0:
            masks = [np.empty((len(nets), n, size), dtype=bool) for size in first_net.sizes[1:-1]]
            for k, net in enumerate(nets):
                for mask in masks:
                    np.greater_equal(net._train_rng.random(mask.shape[1:]), p, out=mask[k])
        a, inputs, pre = x, [], []
        for layer, (weight, bias) in enumerate(zip(weights, biases)):
            inputs.append(a)
            z = a @ weight + bias
            if layer == len(weights) - 1:
                break
            pre.append(z)
            a = np.maximum(z, 0.0)
            if masks is not None:
                a = np.where(masks[layer], a * scale, 0.0)
        residual = z[:, :, 0] - y
        penalty = sum(np.sum(w**2, axis=(1, 2)) for w in weights)
        losses[:, step] = 0.5 * np.mean(residual**2, axis=1) + decay * penalty
        delta = (residual / n)[:, :, None]
        grad_w, grad_b = [None] * len(weights), [None] * len(weights)
        for layer in range(len(weights) - 1, -1, -1):
            grad_w[layer] = (
                np.swapaxes(inputs[layer], -1, -2) @ delta + 2.0 * decay * weights[layer]
            )
            grad_b[layer] = delta.sum(axis=1, keepdims=True)
            if layer == 0:
                break
            delta = delta @ np.swapaxes(weights[layer], -1, -2)
            if masks is not None:
                delta = np.where(masks[layer - 1], delta * scale, 0.0)
            delta = delta * (pre[layer - 1] > 0)
        _adam_step(params, grad_w + grad_b, first, second, step, lr)
    for k, net in enumerate(nets):
        for own, stacked in zip(net.weights + net.biases, weights + biases):
            own[...] = stacked[k].reshape(own.shape)
    return list(losses)
