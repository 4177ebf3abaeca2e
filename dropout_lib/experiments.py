"""The 2014 dropout paper's experiments, reproduced at small scale on the digits.

Every function here runs one experiment of Srivastava et al. (2014) and returns
its results as data (a dataclass of arrays); the figures are drawn separately by
:mod:`dropout_lib.plots_experiments`. Each training experiment repeats over
several seeds (by default three), and a seed fixes both the data split (see
:func:`dropout_lib.data.digits_split`) and the network's initial weights and
masks, so "with" and "without dropout" runs of one seed are paired: same data,
same starting point.

The networks are far smaller than the paper's and are trained far more
briefly: the default is 64-128-128-10 ReLU units, SGD with momentum 0.9 and
learning rate 0.01, mini-batches of 32, on 300 training digits. ``p`` is always
the probability of **dropping** a unit; the paper's ``p`` is the probability of
keeping one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._checks import as_generator, check_p
from .data import N_CLASSES, N_PIXELS, digits_split
from .family import gaussian_noise
from .layers import apply_mask
from .masks import enumerate_masks, sample_mask
from .mlp import MLP, GaussianDropoutMLP, fit_many

__all__ = [
    "SEEDS",
    "format_percent",
    "HIDDEN",
    "N_TRAIN",
    "LR",
    "P_INPUT",
    "P_HIDDEN",
    "PAPER_P_INPUT",
    "CurvesResult",
    "EffectOfPResult",
    "DatasetSizeResult",
    "MonteCarloResult",
    "SparsityResult",
    "RidgeCheck",
    "overfitting",
    "effect_of_p",
    "dataset_size",
    "monte_carlo_vs_weight_scaling",
    "sparsity",
    "expected_dropout_objective",
    "ridge_closed_form_objective",
    "ridge_identity_check",
    "dropout_ridge_solution",
    "per_feature_ridge_solution",
    "ridge_path",
    "symbolic_ridge_identity",
    "noise_moments",
    "gaussian_vs_bernoulli",
    "summarise",
]

#: Seeds of the repeated runs; the spread over them is shown with every result.
SEEDS = (0, 1, 2)
#: Hidden layer widths of the default network (input 64 pixels, output 10 classes).
HIDDEN = (128, 128)
#: Training examples in the small-data setting, where a plain network overfits.
N_TRAIN = 300
#: Learning rate of SGD (with momentum 0.9 and mini-batches of 32).
LR = 0.01
MOMENTUM = 0.9
BATCH_SIZE = 32
#: Drop probability of the hidden units in every dropout network here (the
#: paper's retention 0.5). Inputs are not dropped by default: on 8x8 digits,
#: also dropping a fifth of the 64 pixels (the paper's MNIST setting, retention
#: 0.8) brings no further gain and slows training; :func:`overfitting` measures
#: that variant too.
P_HIDDEN = 0.5
P_INPUT = 0.0
#: The paper's input drop probability on MNIST (retention 0.8).
PAPER_P_INPUT = 0.2
#: Epochs of the training-curve experiments (about 1400 updates on 300 examples).
EPOCHS = 150


def _progress(iterable, *, total, desc, enabled):
    """Wrap ``iterable`` in a ``tqdm.auto`` bar when ``enabled``.

    The bar is transient (``leave=False``): it shows while the loop runs and is
    closed when it ends. In a notebook the saved output is the bar as first
    drawn (0 of ``total``, no time elapsed), so re-running a notebook stores the
    same output and nbval's comparison passes.
    """
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False)


def _sizes(hidden, input_width=N_PIXELS, n_classes=N_CLASSES):
    return (input_width, *tuple(int(h) for h in hidden), n_classes)


def _epochs_for(updates, n_train, batch_size):
    """Epochs that give at least ``updates`` SGD steps on ``n_train`` examples."""
    return max(1, math.ceil(updates / math.ceil(n_train / batch_size)))


def summarise(values, axis=-1):
    """Mean and sample standard deviation (ddof=1) along ``axis``, the seeds by default."""
    values = np.asarray(values, dtype=float)
    ddof = 1 if values.shape[axis] > 1 else 0
    return values.mean(axis=axis), values.std(axis=axis, ddof=ddof)


def format_percent(values) -> str:
    """Mean and standard deviation over seeds (last axis) as a short string in per cent."""
    mean, sd = summarise(values)
    return f"{100 * mean:.1f} ± {100 * sd:.1f}"


# ---------------------------------------------------------------- experiment 1
@dataclass
class CurvesResult:
    """Training curves of several network variants over several seeds.

    Attributes
    ----------
    labels : tuple of str
        One name per variant, e.g. ``("no dropout", "dropout")``.
    seeds : tuple of int
    train_error, test_error : ndarray, shape (n_labels, n_seeds, epochs)
        Fraction misclassified after each epoch, with dropout off.
    train_loss : ndarray, shape (n_labels, n_seeds, epochs)
        Mean training cross-entropy during each epoch, with dropout on.
    models : list of list of MLP
        ``models[label][seed]``, the trained networks.
    data : list of DigitsSplit
        The split of each seed (shared by every variant).
    settings : dict
        The arguments the experiment ran with.
    """

    labels: tuple
    seeds: tuple
    train_error: np.ndarray
    test_error: np.ndarray
    train_loss: np.ndarray
    models: list
    data: list
    settings: dict = field(default_factory=dict)

    @property
    def epochs(self) -> np.ndarray:
        """Epoch numbers 1 .. E."""
        return np.arange(1, self.train_error.shape[-1] + 1)

    def final(self, which="test", last=10):
        """Mean error over the last ``last`` epochs, shape (n_labels, n_seeds).

        Averaging a few final epochs smooths the epoch-to-epoch jitter of SGD.
        """
        errors = self.test_error if which == "test" else self.train_error
        return errors[..., -last:].mean(axis=-1)


def _curves(variants, *, n_train, epochs, seeds, hidden, lr, batch_size, progress):
    """Train every ``(label, model_class, p_input, p_hidden)`` variant on every seed."""
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed, but got an empty sequence")
    sizes = _sizes(hidden)
    data = [digits_split(n_train, seed=seed) for seed in seeds]
    # All variants and seeds share one architecture and training-set size, so
    # they train side by side (fit_many gives each exactly its own fit result).
    models = [
        [cls(sizes, p_input=p_in, p_hidden=p_hid, seed=seed) for seed in seeds]
        for _, cls, p_in, p_hid in variants
    ]
    histories = fit_many(
        [m for row in models for m in row],
        [(d.X_train, d.y_train) for _ in variants for d in data],
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        momentum=MOMENTUM,
        validation=[(d.X_test, d.y_test) for _ in variants for d in data],
        progress=progress,
    )
    shape = (len(variants), len(seeds), epochs)

    def stacked(attribute):
        return np.array([getattr(h, attribute) for h in histories]).reshape(shape)

    train_error, test_error, train_loss = map(stacked, ("train_error", "val_error", "train_loss"))
    return CurvesResult(
        labels=tuple(label for label, *_ in variants),
        seeds=seeds,
        train_error=train_error,
        test_error=test_error,
        train_loss=train_loss,
        models=models,
        data=data,
        settings={
            "n_train": n_train,
            "epochs": epochs,
            "hidden": tuple(hidden),
            "lr": lr,
            "momentum": MOMENTUM,
            "batch_size": batch_size,
            "variants": [(label, cls.__name__, pi, ph) for label, cls, pi, ph in variants],
        },
    )


def overfitting(
    *,
    n_train=N_TRAIN,
    epochs=EPOCHS,
    p_hidden=P_HIDDEN,
    p_input=PAPER_P_INPUT,
    seeds=SEEDS,
    hidden=HIDDEN,
    lr=LR,
    batch_size=BATCH_SIZE,
    progress=False,
) -> CurvesResult:
    """Experiment 1: training and test error over epochs, with and without dropout.

    On a training set small enough that the plain network fits it perfectly,
    the plain network's test error stalls while its training error reaches
    zero; the dropout network trains more slowly and ends with a lower test
    error.

    Three variants train on each seed's split: no dropout; dropout on the
    hidden units only (``p_hidden``); and dropout on the inputs too
    (``p_input``, the paper's MNIST setting).

    Parameters
    ----------
    n_train : int
        Training digits (the test set is the fixed 597 of each seed's split).
    epochs : int
    p_hidden : float in [0, 1)
        Hidden drop probability of both dropout variants.
    p_input : float in [0, 1) or None
        Input drop probability of the third variant; ``None`` leaves it out.
    seeds : sequence of int
    hidden : sequence of int
        Hidden layer widths.
    lr : float
    batch_size : int
    progress : bool
        Show a ``tqdm.auto`` bar over the epochs.

    Returns
    -------
    CurvesResult
        Labels ``("no dropout", "dropout (hidden)", "dropout (input and hidden)")``;
        the last only when ``p_input`` is not None.
    """
    p_hidden = check_p(p_hidden, "p_hidden")
    variants = [("no dropout", MLP, 0.0, 0.0), ("dropout (hidden)", MLP, 0.0, p_hidden)]
    if p_input is not None:
        variants.append(("dropout (input and hidden)", MLP, check_p(p_input, "p_input"), p_hidden))
    return _curves(
        variants,
        n_train=n_train,
        epochs=epochs,
        seeds=seeds,
        hidden=hidden,
        lr=lr,
        batch_size=batch_size,
        progress=progress,
    )


# ---------------------------------------------------------------- experiment 2
@dataclass
class EffectOfPResult:
    """Test and training error against the hidden drop probability (paper Fig. 9).

    Attributes
    ----------
    p_values : ndarray, shape (P,)
        Hidden-layer drop probabilities.
    seeds : tuple of int
    settings : tuple of str
        ``("width fixed", "(1 - p) x width fixed")``, the first axis below.
    widths : ndarray of int, shape (2, P)
        Hidden width used for each setting and p.
    train_error, test_error : ndarray, shape (2, P, n_seeds)
        Final errors (mean over the last 10 epochs).
    config : dict
        The arguments the experiment ran with.
    """

    p_values: np.ndarray
    seeds: tuple
    settings: tuple
    widths: np.ndarray
    train_error: np.ndarray
    test_error: np.ndarray
    config: dict = field(default_factory=dict)


def effect_of_p(
    p_values=(0.0, 0.2, 0.4, 0.5, 0.6, 0.8),
    *,
    width=128,
    kept_units=64,
    n_train=N_TRAIN,
    updates=1500,
    n_hidden_layers=2,
    seeds=SEEDS,
    lr=LR,
    batch_size=BATCH_SIZE,
    progress=False,
) -> EffectOfPResult:
    """Experiment 2: the effect of the hidden drop probability p (paper Fig. 9).

    Two settings, as in the paper:

    * the hidden width is fixed at ``width``, so a larger p leaves fewer units
      working at a time;
    * ``(1 - p) * width`` is fixed at ``kept_units``, so the expected number of
      kept units stays the same and the network grows with p.

    Inputs are not dropped here, so that only the hidden p varies.

    Parameters
    ----------
    p_values : sequence of float in [0, 1)
    width : int
        Hidden width of the first setting.
    kept_units : int
        Expected number of kept hidden units per layer in the second setting;
        the width is ``round(kept_units / (1 - p))``.
    n_train : int
    updates : int
        SGD steps of every run (the same for every p, as in a fixed budget).
    n_hidden_layers : int
    seeds : sequence of int
    lr : float
    batch_size : int
    progress : bool

    Returns
    -------
    EffectOfPResult
    """
    p_values = np.array([check_p(p, "p_values") for p in p_values])
    if np.any(p_values >= 1):
        raise ValueError(f"p_values must all be below 1, but got {p_values.tolist()}")
    seeds = tuple(int(s) for s in seeds)
    widths = np.array(
        [
            [width] * len(p_values),
            [max(1, round(kept_units / (1 - p))) for p in p_values],
        ]
    )
    epochs = _epochs_for(updates, n_train, batch_size)
    data = [digits_split(n_train, seed=seed) for seed in seeds]
    # One group per hidden width: every (p, seed) of a width trains side by side.
    groups = {}
    for k in range(2):
        for i, p in enumerate(p_values):
            groups.setdefault(int(widths[k, i]), set()).add(float(p))
    results = {}
    for width_value, group_ps in _progress(
        sorted(groups.items()), total=len(groups), desc="widths", enabled=progress
    ):
        members = [(p, s) for p in sorted(group_ps) for s in range(len(seeds))]
        models = [
            MLP(_sizes([width_value] * n_hidden_layers), p_hidden=p, seed=seeds[s])
            for p, s in members
        ]
        histories = fit_many(
            models,
            [(data[s].X_train, data[s].y_train) for _, s in members],
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            momentum=MOMENTUM,
            validation=[(data[s].X_test, data[s].y_test) for _, s in members],
            evaluate_last=10,
        )
        for (p, s), history in zip(members, histories):
            results[width_value, p, s] = (
                np.nanmean(history.train_error),
                np.nanmean(history.val_error),
            )
    train_error = np.empty((2, len(p_values), len(seeds)))
    test_error = np.empty_like(train_error)
    for k in range(2):
        for i, p in enumerate(p_values):
            for s in range(len(seeds)):
                train_error[k, i, s], test_error[k, i, s] = results[int(widths[k, i]), p, s]
    return EffectOfPResult(
        p_values=p_values,
        seeds=seeds,
        settings=("width fixed", "(1 - p) x width fixed"),
        widths=widths,
        train_error=train_error,
        test_error=test_error,
        config={
            "width": width,
            "kept_units": kept_units,
            "n_train": n_train,
            "updates": updates,
            "epochs": epochs,
            "n_hidden_layers": n_hidden_layers,
            "lr": lr,
        },
    )


# ---------------------------------------------------------------- experiment 3
@dataclass
class DatasetSizeResult:
    """Test error with and without dropout against the training-set size (Fig. 10).

    Attributes
    ----------
    sizes : ndarray of int, shape (N,)
    seeds : tuple of int
    labels : tuple of str
        ``("no dropout", "dropout")``, the first axis of ``test_error``.
    test_error, train_error : ndarray, shape (2, N, n_seeds)
        Final errors (mean over the last 10 epochs or all epochs if fewer).
    config : dict
    """

    sizes: np.ndarray
    seeds: tuple
    labels: tuple
    test_error: np.ndarray
    train_error: np.ndarray
    config: dict = field(default_factory=dict)

    @property
    def gain(self) -> np.ndarray:
        """Test error without dropout minus with dropout, shape (N, n_seeds); > 0 helps."""
        return self.test_error[0] - self.test_error[1]


def dataset_size(
    sizes=(50, 100, 200, 400, 800, 1200),
    *,
    updates=1500,
    p_input=P_INPUT,
    p_hidden=P_HIDDEN,
    seeds=SEEDS,
    hidden=HIDDEN,
    lr=LR,
    batch_size=BATCH_SIZE,
    progress=False,
) -> DatasetSizeResult:
    """Experiment 3: the gain from dropout as the training set grows (paper Fig. 10).

    Every run takes the same number of SGD steps, so small training sets are
    seen for many epochs and large ones for few. For one seed, the test set is
    the same for every size and smaller training sets are subsets of larger ones.

    Parameters
    ----------
    sizes : sequence of int
        Training-set sizes, each at most 1200 (the digits left after the test set).
    updates : int
        SGD steps per run.
    p_input, p_hidden : float in [0, 1)
    seeds, hidden, lr, batch_size, progress
        As in :func:`overfitting`.

    Returns
    -------
    DatasetSizeResult
    """
    sizes = np.array([int(n) for n in sizes])
    seeds = tuple(int(s) for s in seeds)
    p_input, p_hidden = check_p(p_input, "p_input"), check_p(p_hidden, "p_hidden")
    variants = [(0.0, 0.0), (p_input, p_hidden)]
    test_error = np.empty((2, len(sizes), len(seeds)))
    train_error = np.empty_like(test_error)
    for i in _progress(range(len(sizes)), total=len(sizes), desc="sizes", enabled=progress):
        n_train = int(sizes[i])
        # For one seed the test set is the same at every size (see digits_split).
        data = [digits_split(n_train, seed=seed) for seed in seeds]
        models = [
            MLP(_sizes(hidden), p_input=p_in, p_hidden=p_hid, seed=seed)
            for p_in, p_hid in variants
            for seed in seeds
        ]
        histories = fit_many(
            models,
            [(d.X_train, d.y_train) for _ in variants for d in data],
            epochs=_epochs_for(updates, n_train, batch_size),
            batch_size=batch_size,
            lr=lr,
            momentum=MOMENTUM,
            validation=[(d.X_test, d.y_test) for _ in variants for d in data],
            evaluate_last=10,
        )
        for index, history in enumerate(histories):
            v, s = divmod(index, len(seeds))
            train_error[v, i, s] = np.nanmean(history.train_error)
            test_error[v, i, s] = np.nanmean(history.val_error)
    return DatasetSizeResult(
        sizes=sizes,
        seeds=seeds,
        labels=("no dropout", "dropout"),
        test_error=test_error,
        train_error=train_error,
        config={"updates": updates, "p_input": p_input, "p_hidden": p_hidden, "lr": lr},
    )


# ---------------------------------------------------------------- experiment 4
@dataclass
class MonteCarloResult:
    """Monte-Carlo averaging over k masks against weight scaling (paper Fig. 11).

    Attributes
    ----------
    k_values : ndarray of int, shape (K,)
    seeds : tuple of int
    mc_error : ndarray, shape (n_seeds, n_repeats, K)
        Test error of the average of the first k sampled passes, for each of
        ``n_repeats`` independent sequences of passes.
    weight_scaling_error : ndarray, shape (n_seeds,)
        Test error of the deterministic network (dropout off).
    """

    k_values: np.ndarray
    seeds: tuple
    mc_error: np.ndarray
    weight_scaling_error: np.ndarray

    @property
    def gap(self) -> np.ndarray:
        """Monte-Carlo error minus weight-scaling error, shape (n_seeds, n_repeats, K)."""
        return self.mc_error - self.weight_scaling_error[:, None, None]


def monte_carlo_vs_weight_scaling(
    models=None,
    data=None,
    *,
    k_values=(1, 2, 5, 10, 20, 50, 100),
    n_repeats=3,
    progress=False,
    **train_kwargs,
) -> MonteCarloResult:
    """Experiment 4: Monte-Carlo model averaging against the weight-scaling rule.

    Parameters
    ----------
    models : list of MLP, optional
        Trained dropout networks, one per seed, e.g. ``overfitting().models[1]``
        (hidden dropout). Trained by :func:`overfitting` when omitted.
    data : list of DigitsSplit, optional
        The split of each model (its test set is used). Required with ``models``.
    k_values : sequence of int
        Numbers of sampled passes to average; the largest is sampled once per
        repeat and the smaller ones are its prefixes.
    n_repeats : int
        Independent sequences of passes per model, for the spread of the
        Monte-Carlo error at each k.
    progress : bool
    **train_kwargs
        Passed to :func:`overfitting` when ``models`` is omitted.

    Returns
    -------
    MonteCarloResult
    """
    if models is None:
        curves = overfitting(p_input=None, progress=progress, **train_kwargs)
        models, data = curves.models[1], curves.data
    if data is None or len(data) != len(models):
        raise ValueError("data must hold one DigitsSplit per model when models are given")
    k_values = np.array(sorted(int(k) for k in k_values))
    if k_values[0] < 1:
        raise ValueError(f"k_values must be positive, but got {k_values.tolist()}")
    mc_error = np.empty((len(models), n_repeats, len(k_values)))
    ws_error = np.empty(len(models))
    runs = [(m, r) for m in range(len(models)) for r in range(n_repeats)]
    for m, r in _progress(runs, total=len(runs), desc="Monte-Carlo passes", enabled=progress):
        model, split = models[m], data[m]
        ws_error[m] = model.error(split.X_test, split.y_test)
        samples = model.predict_proba_samples(split.X_test, int(k_values[-1]))
        running = np.cumsum(samples, axis=0)[k_values - 1]
        mc_error[m, r] = np.mean(running.argmax(axis=2) != split.y_test, axis=1)
    return MonteCarloResult(
        k_values=k_values,
        seeds=tuple(getattr(model, "seed", i) for i, model in enumerate(models)),
        mc_error=mc_error,
        weight_scaling_error=ws_error,
    )


# ---------------------------------------------------------------- experiment 5
@dataclass
class SparsityResult:
    """Hidden activations of networks trained with and without dropout (paper Fig. 8).

    Attributes
    ----------
    labels : tuple of str
    layer : int
        Index of the hidden layer studied (0 = first).
    activations : list of ndarray
        Per label, every activation of that layer on the test digits, pooled
        over seeds (flattened).
    mean_per_unit : list of ndarray
        Per label, each unit's mean activation over the test digits, pooled over
        seeds.
    mean_activation : ndarray, shape (n_labels, n_seeds)
        Mean activation of the layer.
    fraction_zero : ndarray, shape (n_labels, n_seeds)
        Fraction of activations that are exactly zero (ReLU off).
    """

    labels: tuple
    layer: int
    activations: list
    mean_per_unit: list
    mean_activation: np.ndarray
    fraction_zero: np.ndarray


def sparsity(curves=None, *, layer=-1, progress=False, **train_kwargs) -> SparsityResult:
    """Experiment 5: are hidden activations sparser with dropout?

    Parameters
    ----------
    curves : CurvesResult, optional
        Networks trained by :func:`overfitting` (reused, not retrained).
    layer : int
        Hidden layer to study; ``-1`` is the last hidden layer.
    progress : bool
    **train_kwargs
        Passed to :func:`overfitting` when ``curves`` is omitted.

    Returns
    -------
    SparsityResult
    """
    if curves is None:
        curves = overfitting(progress=progress, **train_kwargs)
    n_hidden = len(curves.models[0][0].weights) - 1
    layer = range(n_hidden)[layer]
    activations, per_unit = [], []
    shape = (len(curves.labels), len(curves.seeds))
    mean_activation, fraction_zero = np.empty(shape), np.empty(shape)
    for v, models in enumerate(curves.models):
        pooled, units = [], []
        for s, (model, split) in enumerate(zip(models, curves.data)):
            acts = model.hidden_activations(split.X_test)[layer]
            pooled.append(acts.ravel())
            units.append(acts.mean(axis=0))
            mean_activation[v, s] = acts.mean()
            fraction_zero[v, s] = np.mean(acts == 0)
        activations.append(np.concatenate(pooled))
        per_unit.append(np.concatenate(units))
    return SparsityResult(
        labels=curves.labels,
        layer=layer,
        activations=activations,
        mean_per_unit=per_unit,
        mean_activation=mean_activation,
        fraction_zero=fraction_zero,
    )


# ---------------------------------------------------------------- experiment 6
def _check_regression(X, y, w):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],) or w.shape != (X.shape[1],):
        raise ValueError(
            f"X must have shape (n, d), y shape (n,) and w shape (d,), but got X {X.shape}, "
            f"y {y.shape} and w {w.shape}"
        )
    return X, y, w


def expected_dropout_objective(X, y, w, p) -> float:
    """Exact ``E_R ||y - (R * X) w||^2`` by enumerating every mask R (paper Sec. 9.1).

    ``R`` has the shape of ``X`` and independent entries that are 0 with
    probability ``p`` (dropped) and 1 otherwise; ``*`` is the elementwise
    product. No rescaling by ``1 / (1 - p)``, as in the paper.

    Parameters
    ----------
    X : array_like, shape (n, d), with n * d <= 20
    y : array_like, shape (n,)
    w : array_like, shape (d,)
    p : float in [0, 1]

    Returns
    -------
    float
        The probability-weighted sum over all ``2**(n*d)`` masks.
    """
    X, y, w = _check_regression(X, y, w)
    if X.size > 20:
        raise ValueError(
            f"X has {X.size} entries, so there are 2**{X.size} masks; use at most 20 entries"
        )
    masks, probs = enumerate_masks(X.size, p)
    dropped_X = masks.reshape(-1, *X.shape) * X
    residuals = y - dropped_X @ w
    return float(probs @ np.einsum("mi,mi->m", residuals, residuals))


def ridge_closed_form_objective(X, y, w, p) -> float:
    """``||y - (1 - p) X w||^2 + p (1 - p) ||Gamma w||^2`` with ``Gamma = diag(X^T X)^(1/2)``."""
    X, y, w = _check_regression(X, y, w)
    p = check_p(p)
    keep = 1.0 - p
    residual = y - keep * (X @ w)
    gamma_sq = np.einsum("ij,ij->j", X, X)
    return float(residual @ residual + p * keep * np.sum(gamma_sq * w**2))


@dataclass
class RidgeCheck:
    """One numerical check of the Sec. 9.1 identity on random data."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    p: float
    enumerated: float
    closed_form: float

    @property
    def difference(self) -> float:
        return abs(self.enumerated - self.closed_form)


def ridge_identity_check(n_samples=4, n_features=3, p=0.3, *, rng=0) -> RidgeCheck:
    """Compare :func:`expected_dropout_objective` with the closed form on random data.

    Parameters
    ----------
    n_samples, n_features : int
        Shape of the random ``X``; their product is at most 20.
    p : float in [0, 1]
    rng : numpy.random.Generator or int

    Returns
    -------
    RidgeCheck
    """
    rng = as_generator(rng)
    X = rng.normal(size=(n_samples, n_features))
    y = rng.normal(size=n_samples)
    w = rng.normal(size=n_features)
    return RidgeCheck(
        X=X,
        y=y,
        w=w,
        p=check_p(p),
        enumerated=expected_dropout_objective(X, y, w, p),
        closed_form=ridge_closed_form_objective(X, y, w, p),
    )


def dropout_ridge_solution(X, y, p) -> np.ndarray:
    """The ``w`` minimising the exact expected dropout objective, found by enumeration.

    The objective is ``E_R ||y - (R * X) w||^2 = w^T A w - 2 b^T w + y^T y`` with
    ``A = E[(R * X)^T (R * X)]`` and ``b = E[(R * X)^T y]``, both computed over
    every mask; the minimiser solves ``A w = b``. ``X`` has at most 20 entries.

    Returns
    -------
    w : ndarray, shape (d,)
    """
    X, y, _ = _check_regression(X, y, np.zeros(np.shape(X)[1]))
    if X.size > 20:
        raise ValueError(f"X has {X.size} entries; use at most 20 (2**(n*d) masks)")
    masks, probs = enumerate_masks(X.size, p)
    dropped_X = masks.reshape(-1, *X.shape) * X
    A = np.einsum("m,mij,mik->jk", probs, dropped_X, dropped_X)
    b = np.einsum("m,mij,i->j", probs, dropped_X, y)
    return np.linalg.solve(A, b)


def per_feature_ridge_solution(X, y, p) -> np.ndarray:
    """Ridge regression with a penalty ``(p / (1 - p)) (X^T X)_jj`` on feature ``j``.

    Returns the ridge weights ``w~ = (X^T X + (p/(1-p)) diag(X^T X))^-1 X^T y``.
    Sec. 9.1 of the paper says the dropout solution is ``w = w~ / (1 - p)``.
    """
    X, y, _ = _check_regression(X, y, np.zeros(np.shape(X)[1]))
    p = check_p(p)
    if p == 1.0:
        raise ValueError("p must be below 1: the ridge penalty p / (1 - p) is infinite at p=1")
    gram = X.T @ X
    penalty = p / (1.0 - p) * np.diag(np.diag(gram))
    return np.linalg.solve(gram + penalty, X.T @ y)


def ridge_path(
    p_values=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8), *, n_samples=5, n_features=3, rng=0
):
    """Dropout-regression weights against p, beside the per-feature ridge solution.

    On one random regression problem small enough to enumerate every mask, for
    each p: the minimiser ``w`` of the exact expected dropout objective
    (:func:`dropout_ridge_solution`), scaled to ``(1 - p) w``, and the ridge
    solution ``w~`` with penalty ``(p / (1 - p)) (X^T X)_jj`` on feature ``j``
    (:func:`per_feature_ridge_solution`). Sec. 9.1 says they are equal.

    Parameters
    ----------
    p_values : sequence of float in [0, 1)
    n_samples, n_features : int
        Shape of ``X``; their product is at most 20.
    rng : numpy.random.Generator or int

    Returns
    -------
    dict
        ``p_values`` (P,), ``dropout`` and ``ridge`` (P, d), ``X``, ``y``.
    """
    rng = as_generator(rng)
    X = rng.normal(size=(n_samples, n_features))
    y = X @ rng.normal(size=n_features) + 0.5 * rng.normal(size=n_samples)
    p_values = np.array([check_p(p, "p_values") for p in p_values])
    dropout = np.array([(1 - p) * dropout_ridge_solution(X, y, p) for p in p_values])
    ridge = np.array([per_feature_ridge_solution(X, y, p) for p in p_values])
    return {"p_values": p_values, "dropout": dropout, "ridge": ridge, "X": X, "y": y}


def symbolic_ridge_identity(n_samples=2, n_features=2):
    """Derive the Sec. 9.1 identity with sympy for symbolic X, y, w and p.

    The squared error is a polynomial of degree two in the mask entries
    ``r_ij``. For a 0/1 variable ``r**2 = r``, and independent entries with
    ``E[r] = 1 - p`` make the expectation of a product of distinct entries the
    product of their expectations, so the expectation is: expand, replace
    every ``r**2`` by ``r``, then every ``r`` by ``1 - p``.

    Returns
    -------
    dict
        ``expected`` (the expectation derived this way), ``closed_form``
        (``||y - (1-p) X w||^2 + p (1-p) ||Gamma w||^2``), ``difference``
        (their expanded difference, which is 0) and the symbols ``X``, ``y``,
        ``w``, ``R``, ``p``.
    """
    import sympy as sp

    from .symbolic import p

    X = sp.Matrix(n_samples, n_features, lambda i, j: sp.Symbol(f"x_{i + 1}{j + 1}", real=True))
    R = sp.Matrix(n_samples, n_features, lambda i, j: sp.Symbol(f"r_{i + 1}{j + 1}"))
    y = sp.Matrix(n_samples, 1, lambda i, _: sp.Symbol(f"y_{i + 1}", real=True))
    w = sp.Matrix(n_features, 1, lambda j, _: sp.Symbol(f"w_{j + 1}", real=True))
    residual = y - X.multiply_elementwise(R) * w
    loss = sp.expand((residual.T * residual)[0, 0])
    expected = loss.subs({r**2: r for r in R}).subs({r: 1 - p for r in R})
    keep_residual = y - (1 - p) * X * w
    gamma_sq = [sum(X[i, j] ** 2 for i in range(n_samples)) for j in range(n_features)]
    closed_form = (keep_residual.T * keep_residual)[0, 0] + p * (1 - p) * sum(
        gamma_sq[j] * w[j] ** 2 for j in range(n_features)
    )
    return {
        "expected": expected,
        "closed_form": closed_form,
        "difference": sp.expand(expected - closed_form),
        "X": X,
        "y": y,
        "w": w,
        "R": R,
        "p": p,
    }


# ---------------------------------------------------------------- experiment 7
def noise_moments(p=P_HIDDEN, n_samples=100_000, *, rng=0) -> dict:
    """Sample inverted Bernoulli and Gaussian dropout multipliers and compare moments.

    Parameters
    ----------
    p : float in [0, 1)
        Drop probability of the Bernoulli dropout.
    n_samples : int
    rng : numpy.random.Generator or int

    Returns
    -------
    dict
        ``theory`` (mean 1, variance ``p / (1 - p)``) and, for ``"bernoulli"``
        (``mask / (1 - p)``) and ``"gaussian"`` (``N(1, p / (1 - p))``), the
        sample ``mean``, ``variance`` and standard errors ``mean_se`` and
        ``variance_se`` (from the sample's own fourth moment).
    """
    p = check_p(p)
    rng = as_generator(rng)
    ones = np.ones(n_samples, dtype=np.float32)
    samples = {
        "bernoulli": apply_mask(ones, sample_mask(n_samples, p, rng), p).astype(float),
        "gaussian": gaussian_noise((n_samples,), p, rng).astype(float),
    }
    out = {"p": p, "theory": {"mean": 1.0, "variance": p / (1 - p)}}
    for name, values in samples.items():
        centred = values - values.mean()
        variance = centred.var()
        out[name] = {
            "mean": float(values.mean()),
            "variance": float(variance),
            "mean_se": float(np.sqrt(variance / n_samples)),
            "variance_se": float(np.sqrt((np.mean(centred**4) - variance**2) / n_samples)),
        }
    return out


def gaussian_vs_bernoulli(
    *,
    n_train=N_TRAIN,
    epochs=EPOCHS,
    p_input=P_INPUT,
    p_hidden=P_HIDDEN,
    include_plain=True,
    seeds=SEEDS,
    hidden=HIDDEN,
    lr=LR,
    batch_size=BATCH_SIZE,
    progress=False,
) -> CurvesResult:
    """Experiment 7: training curves of Bernoulli and moment-matched Gaussian dropout.

    Parameters
    ----------
    include_plain : bool
        Also train the network without dropout, for reference.
    (others)
        As in :func:`overfitting`.

    Returns
    -------
    CurvesResult
        Labels ``("no dropout", "Bernoulli dropout", "Gaussian dropout")`` (the
        first only with ``include_plain``).
    """
    p_input, p_hidden = check_p(p_input, "p_input"), check_p(p_hidden, "p_hidden")
    variants = [
        ("Bernoulli dropout", MLP, p_input, p_hidden),
        ("Gaussian dropout", GaussianDropoutMLP, p_input, p_hidden),
    ]
    if include_plain:
        variants.insert(0, ("no dropout", MLP, 0.0, 0.0))
    return _curves(
        variants,
        n_train=n_train,
        epochs=epochs,
        seeds=seeds,
        hidden=hidden,
        lr=lr,
        batch_size=batch_size,
        progress=progress,
    )
