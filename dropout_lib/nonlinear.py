"""Why weight scaling is exact for a linear unit and only approximate through non-linearities.

For a unit ``S = sum_i m_i w_i x_i + b`` with independent keep-masks
``m_i ~ Bernoulli(q)``, ``q = 1 - p`` (``p`` is the **drop** probability), the
weight-scaled network computes ``f(E[S]) = f(q w.x + b)`` while the ensemble
of subnetworks averages ``E[f(S)]``. The two agree when ``f`` is linear. For
the sigmoid, Baldi and Sadowski (2013) showed that ``sigmoid(E[S])`` is exactly
the *normalised weighted geometric mean* of the ensemble; for ReLU, Jensen's
inequality makes ``E[relu(S)] >= relu(E[S])``. The same argument as for the
sigmoid makes a weight-scaled *softmax* read-out exactly the renormalised
geometric mean of its subnetworks' class probabilities
(:func:`softmax_ensemble`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_generator, as_real_array, check_int, check_p, check_real
from .masks import MAX_ENUMERATED_UNITS, enumerate_masks, sample_mask
from .moments import unit_values

__all__ = [
    "sigmoid",
    "relu",
    "SigmoidEnsemble",
    "sigmoid_ensemble",
    "baldi_sadowski_bound",
    "nwgm_gap_second_order",
    "SoftmaxEnsemble",
    "softmax_ensemble",
    "relu_unit_gap",
    "LayerGaps",
    "relu_layer_gaps",
    "train_together",
]


def _check_range(values, name, *, low, high, open_ends, what):
    """Raise ``ValueError`` naming ``name`` unless every entry lies in the given range."""
    inside = (values > low) & (values < high) if open_ends else (values >= low) & (values <= high)
    if not np.all(inside):  # NaN is never inside
        bad = values[~inside].ravel()[0]
        raise ValueError(f"{name} must hold {what}, but it holds {bad!r}")


def sigmoid(s) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-s))``, computed without overflow."""
    s = as_real_array(s, "s")
    return np.exp(-np.logaddexp(0.0, -s)).astype(s.dtype, copy=False)


def relu(s) -> np.ndarray:
    """``max(s, 0)`` elementwise, same dtype."""
    s = as_real_array(s, "s")
    return np.maximum(s, s.dtype.type(0))


@dataclass(frozen=True, eq=False)
class SigmoidEnsemble:
    """The ensemble of a sigmoid unit over all its keep-masks.

    Attributes
    ----------
    s : ndarray of float64, shape (2**n,)
        Pre-activation of each subnetwork.
    probs : ndarray of float64, shape (2**n,)
        Probability of each keep-mask.
    arithmetic_mean : float
        ``E[sigmoid(S)] = sum_m P(m) sigmoid(S_m)``: the true ensemble average.
    geometric : float
        ``G = prod_m sigmoid(S_m) ** P(m)``.
    geometric_complement : float
        ``G' = prod_m (1 - sigmoid(S_m)) ** P(m)``.
    output_variance : float
        ``V = sum_m P(m) (sigmoid(S_m) - E)**2``, the spread of the subnetworks' outputs.
    nwgm : float
        Normalised weighted geometric mean ``G / (G + G')``.
    weight_scaled : float
        ``sigmoid(E[S])``: the output of the weight-scaled network.
    """

    s: np.ndarray
    probs: np.ndarray
    arithmetic_mean: float
    geometric: float
    geometric_complement: float
    output_variance: float
    nwgm: float
    weight_scaled: float


def sigmoid_ensemble(w, x, p, *, bias=0.0) -> SigmoidEnsemble:
    """Enumerate every subnetwork of one sigmoid unit with dropout on its inputs.

    Parameters
    ----------
    w, x : array_like of float, shape (n,), n <= 24
        Weights and inputs.
    p : float in [0, 1]
        Drop probability of each input.
    bias : float
        Added to every pre-activation; never dropped.

    Returns
    -------
    SigmoidEnsemble
        The arithmetic mean, the geometric means and ``sigmoid(E[S])``.

    Notes
    -----
    ``log sigmoid(s) - log(1 - sigmoid(s)) = s``, so
    ``log G - log G' = E[S]`` and ``G / (G + G') = sigmoid(E[S])``: the NWGM and
    the weight-scaled output are equal for every ``w``, ``x`` and ``p``.
    """
    bias = check_real(bias, "bias")
    _, probs, s = unit_values(w, x, p)
    s = s + bias
    # log sigmoid(s) = -log(1 + e^-s) and log(1 - sigmoid(s)) = -log(1 + e^s), computed stably.
    log_g = -(probs @ np.logaddexp(0.0, -s))
    log_g_complement = -(probs @ np.logaddexp(0.0, s))
    nwgm = 1.0 / (1.0 + np.exp(log_g_complement - log_g))
    outputs = sigmoid(s)
    mean = float(probs @ outputs)
    return SigmoidEnsemble(
        s=s,
        probs=probs,
        arithmetic_mean=mean,
        geometric=float(np.exp(log_g)),
        geometric_complement=float(np.exp(log_g_complement)),
        output_variance=float(probs @ (outputs - mean) ** 2),
        nwgm=float(nwgm),
        weight_scaled=float(sigmoid(probs @ s)),
    )


def baldi_sadowski_bound(mean) -> np.ndarray:
    """The often-quoted bound ``|E - NWGM| <= 2 E (1 - E) |1 - 2 E|`` of a sigmoid ensemble.

    It describes the small-spread regime of Baldi and Sadowski's analysis and is
    not a guarantee: chapter 8 and the tests find units with widely spread
    subnetwork outputs that break it. :func:`nwgm_gap_second_order` is the
    approximation behind such bounds.

    Parameters
    ----------
    mean : array_like of float in [0, 1]
        The arithmetic ensemble mean ``E``.

    Returns
    -------
    bound : ndarray of float
        ``2 E (1 - E) |1 - 2 E|``.
    """
    mean = as_real_array(mean, "mean")
    _check_range(mean, "mean", low=0.0, high=1.0, open_ends=False, what="means in [0, 1]")
    return 2.0 * mean * (1.0 - mean) * np.abs(1.0 - 2.0 * mean)


def nwgm_gap_second_order(mean, variance) -> np.ndarray:
    """Second-order approximation of ``E - NWGM`` for outputs with mean ``E`` and variance ``V``.

    Expanding ``log G`` and ``log G'`` to second order around ``E`` gives

    .. math:: E - \\mathrm{NWGM} \\approx \\frac{V (1 - 2E)}{2 E (1 - E)},

    which is accurate when the subnetworks' outputs spread little (small ``V``).

    Parameters
    ----------
    mean : array_like of float in (0, 1)
        ``E``, the arithmetic ensemble mean.
    variance : array_like of float >= 0
        ``V``, the variance of the subnetworks' outputs.

    Returns
    -------
    gap : ndarray of float
    """
    mean = as_real_array(mean, "mean")
    variance = as_real_array(variance, "variance")
    _check_range(mean, "mean", low=0.0, high=1.0, open_ends=True, what="means in (0, 1)")
    _check_range(variance, "variance", low=0.0, high=np.inf, open_ends=False, what="variances >= 0")
    return variance * (1.0 - 2.0 * mean) / (2.0 * mean * (1.0 - mean))


@dataclass(frozen=True, eq=False)
class SoftmaxEnsemble:
    """The ensemble of a softmax read-out over all keep-masks of its inputs.

    Attributes
    ----------
    z : ndarray of float64, shape (2**n, K)
        Logits of each subnetwork.
    probs : ndarray of float64, shape (2**n,)
        Probability of each keep-mask.
    arithmetic_mean : ndarray of float64, shape (K,)
        ``sum_m P(m) softmax(z_m)``: the ensemble's average prediction.
    geometric : ndarray of float64, shape (K,)
        ``G_k = prod_m softmax(z_m)_k ** P(m)``; sums to at most 1.
    nwgm : ndarray of float64, shape (K,)
        The renormalised geometric mean ``G / sum_k G_k``.
    weight_scaled : ndarray of float64, shape (K,)
        ``softmax(E[z])``: the prediction of the weight-scaled read-out.
    """

    z: np.ndarray
    probs: np.ndarray
    arithmetic_mean: np.ndarray
    geometric: np.ndarray
    nwgm: np.ndarray
    weight_scaled: np.ndarray


def _log_softmax(z):
    """Row-wise ``log softmax`` of a 2-D array, computed without overflow."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_ensemble(h, W, p, *, bias=None, inverted=False) -> SoftmaxEnsemble:
    """Enumerate every subnetwork of a softmax read-out with dropout on its inputs.

    Parameters
    ----------
    h : array_like of float, shape (n,), n <= MAX_ENUMERATED_UNITS
        The read-out's inputs (for example the last hidden layer of a network).
    W : array_like of float, shape (n, K)
        Its weights, one column per class.
    p : float in [0, 1]
        Drop probability of each input.
    bias : array_like of float, shape (K,), optional
        Added to every subnetwork's logits; never dropped. Zero when omitted.
    inverted : bool
        Divide the kept inputs by ``1 - p`` (inverted dropout); then the
        weight-scaled read-out is the unchanged one, ``softmax(h W + b)``.

    Returns
    -------
    SoftmaxEnsemble
        The arithmetic mean, the renormalised geometric mean and ``softmax(E[z])``.

    Notes
    -----
    ``log softmax(z)_k = z_k - logsumexp(z)``, and the second term is the same
    for every class. Averaging over the masks with weights ``P(m)`` gives
    ``log G_k = E[z_k] - c`` with ``c`` independent of ``k``, so renormalising
    ``G`` removes ``c``: ``G / sum(G) = softmax(E[z])``, for every ``h``, ``W``,
    ``b`` and ``p``. It holds for the read-out's own masks only; the hidden
    layers before it are deterministic here.
    """
    h = as_real_array(h, "h").astype(np.float64)
    W = as_real_array(W, "W").astype(np.float64)
    if h.ndim != 1:
        raise ValueError(f"h must be 1-D of shape (n,), but got shape {h.shape}")
    if W.ndim != 2 or W.shape[0] != h.shape[0]:
        raise ValueError(f"W must have shape ({h.shape[0]}, K) to match h, but got {W.shape}")
    if h.shape[0] > MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"h has {h.shape[0]} entries, but at most {MAX_ENUMERATED_UNITS} can be enumerated"
        )
    bias = np.zeros(W.shape[1]) if bias is None else as_real_array(bias, "bias")
    if bias.shape != (W.shape[1],):
        raise ValueError(f"bias must have shape ({W.shape[1]},) to match W, but got {bias.shape}")
    p = check_p(p)
    if not isinstance(inverted, (bool, np.bool_)):
        raise TypeError(f"inverted must be a bool, but got {inverted!r}")
    masks, probs = enumerate_masks(h.shape[0], p)
    scale = 1.0 / (1.0 - p) if inverted and p < 1 else 1.0
    z = (masks * h) @ W * scale + bias
    log_prob = _log_softmax(z)
    log_geometric = probs @ log_prob
    mean_z = probs @ z
    return SoftmaxEnsemble(
        z=z,
        probs=probs,
        arithmetic_mean=probs @ np.exp(log_prob),
        geometric=np.exp(log_geometric),
        nwgm=np.exp(_log_softmax(log_geometric[None, :])[0]),
        weight_scaled=np.exp(_log_softmax(mean_z[None, :])[0]),
    )


def relu_unit_gap(w, x, p, *, bias=0.0) -> float:
    """Exact Jensen gap ``E[relu(S)] - relu(E[S])`` of one ReLU unit, over all keep-masks.

    Parameters
    ----------
    w, x : array_like of float, shape (n,), n <= 24
    p : float in [0, 1]
        Drop probability of each input.
    bias : float

    Returns
    -------
    gap : float, never negative
    """
    bias = check_real(bias, "bias")
    _, probs, s = unit_values(w, x, p)
    s = s + bias
    return float(probs @ np.maximum(s, 0.0) - max(probs @ s, 0.0))


@dataclass(frozen=True, eq=False)
class LayerGaps:
    """Per hidden layer of a network, averages over examples and units.

    Attributes
    ----------
    jensen : ndarray of float64, shape (n_hidden,)
        Monte-Carlo estimate of ``E[relu(S)] - relu(E[S])``, with ``S`` the
        pre-activation under dropout in all earlier layers.
    scaling : ndarray of float64, shape (n_hidden,)
        ``E[relu(S)] - relu(S_scaled)``: the ensemble mean activation minus the
        activation of the weight-scaled (deterministic) network.
    activation : ndarray of float64, shape (n_hidden,)
        Mean of ``E[relu(S)]``, to put the gaps on a scale.
    spread : tuple of ndarray of float64
        One array per weight layer, hidden layers first and the read-out last,
        ``spread[l]`` of shape ``(n, layer_sizes[l + 1])``: the standard
        deviation of each unit's pre-activation (of each logit, for the
        read-out) over the dropout passes, for each example.
    mean_preactivation : tuple of ndarray of float64
        Same shapes: the mean of each pre-activation over the passes.
    mc_proba : ndarray of float64, shape (n, layer_sizes[-1])
        The Monte-Carlo prediction: the softmax output averaged over the passes.
    """

    jensen: np.ndarray
    scaling: np.ndarray
    activation: np.ndarray
    spread: tuple
    mean_preactivation: tuple
    mc_proba: np.ndarray


def relu_layer_gaps(model, X, *, n_samples=100, seed=0) -> LayerGaps:
    """Measure the Jensen gap and the weight-scaling gap layer by layer in a ReLU MLP.

    Parameters
    ----------
    model : dropout_lib.mlp.MLP
        A trained network; its own drop rates (``model.drop_rates``) are used.
    X : array_like of float, shape (n, layer_sizes[0])
    n_samples : int >= 2
        Dropout passes averaged for the expectations.
    seed : int >= 0 or numpy.random.Generator
        Seed of the masks.

    Returns
    -------
    LayerGaps
        One gap per hidden layer, first hidden layer first; the spread of every
        pre-activation, read-out included; and the Monte-Carlo prediction of
        the same passes.

    Notes
    -----
    ``relu`` of the sample mean of ``S`` is a slightly biased estimate of
    ``relu(E[S])`` (by Jensen again, biased *upwards*), so the measured Jensen
    gap is, if anything, a little too small. The passes draw their masks from
    ``seed``, not from the network's own evaluation stream, so ``mc_proba`` is
    a Monte-Carlo prediction of the same kind as
    ``model.predict_proba(X, mc_samples=n_samples)`` with other masks.
    """
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    X = as_real_array(X, "X")
    if X.ndim != 2 or X.shape[1] != model.layer_sizes[0]:
        raise ValueError(f"X must have shape (n, {model.layer_sizes[0]}), but got {X.shape}")
    n = X.shape[0]
    rng = as_generator(seed, "seed")
    # All passes at once: row t * n + i is example i under the t-th set of masks.
    a = np.tile(X.astype(np.float32), (n_samples, 1))
    scaled = model.hidden_activations(X)
    jensen, scaling, activation, spread, means = [], [], [], [], []
    last = len(model.weights) - 1
    for layer, (weight, bias) in enumerate(zip(model.weights, model.biases)):
        p = check_p(model.drop_rates[layer])
        if p > 0:
            a = a * sample_mask(a.shape, p, rng) * np.float32(1.0 / (1.0 - p))
        s = (a @ weight + bias).reshape(n_samples, n, -1)
        mean_s = s.mean(axis=0, dtype=np.float64)
        means.append(mean_s)
        spread.append(s.std(axis=0, dtype=np.float64))
        if layer == last:
            logits = s - s.max(axis=2, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=2, keepdims=True)
            mc_proba = probs.mean(axis=0, dtype=np.float64)
            break
        a = np.maximum(s, 0.0)
        mean_relu = a.mean(axis=0, dtype=np.float64)
        jensen.append(float(np.mean(mean_relu - np.maximum(mean_s, 0.0))))
        scaling.append(float(np.mean(mean_relu - scaled[layer])))
        activation.append(float(np.mean(mean_relu)))
        a = a.reshape(n_samples * n, -1)
    return LayerGaps(
        jensen=np.array(jensen),
        scaling=np.array(scaling),
        activation=np.array(activation),
        spread=tuple(spread),
        mean_preactivation=tuple(means),
        mc_proba=mc_proba,
    )


def train_together(
    models, X, y, *, epochs, batch_size=32, lr=0.05, momentum=0.9, evaluate_last=10, progress=False
):
    """Train several networks of one architecture on one training set, side by side.

    Each network ends where its own ``model.fit(X, y, epochs=epochs, ...)`` would
    have taken it (its own seed, drop rates and masks); the networks are only
    stacked so that every numpy call works on all of them at once, which makes
    training five or fifteen small networks cost little more than one.

    Parameters
    ----------
    models : sequence of dropout_lib.mlp.MLP
        Networks with equal ``layer_sizes`` and ``max_norm``; trained in place.
    X : array_like of float, shape (n, layer_sizes[0])
        Not modified.
    y : array_like of int, shape (n,)
    epochs : int >= 1
    batch_size, lr, momentum, progress
        As in :meth:`dropout_lib.mlp.MLP.fit`. Calling this again continues
        from where the networks are, momentum included, so two calls with a
        smaller ``lr`` in the second are a step decay of the learning rate.
    evaluate_last : int >= 1
        Record the training errors only in the last ``evaluate_last`` epochs
        (NaN before): a pass over the whole training set costs about a third
        of an epoch, and the last few epochs are enough to see that training
        has settled. Evaluation draws no random numbers, so it never changes
        the training.

    Returns
    -------
    list of dropout_lib.mlp.History
        One per network.
    """
    from ._engine import fit_many

    models = list(models)
    epochs = check_int(epochs, "epochs", minimum=1)
    evaluate_last = check_int(evaluate_last, "evaluate_last", minimum=1)
    return fit_many(
        models,
        [(X, y)] * len(models),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        momentum=momentum,
        evaluate_last=min(evaluate_last, epochs),
        progress=progress,
    )
