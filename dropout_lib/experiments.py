"""The 2014 dropout paper's experiments, reproduced at small scale on the digits.

Every function here runs one experiment of Srivastava et al. (2014) and returns
its results as a frozen dataclass of arrays; the figures are drawn separately
by :mod:`dropout_lib.plots_experiments`, and the spread over seeds and the t
intervals are computed by :mod:`dropout_lib.stats`. Each training experiment
repeats over several seeds (by default ten, :data:`SEEDS`), and a seed fixes
both the data split (see :func:`dropout_lib.data.digits_split`) and the
network's initial weights and masks, so "with" and "without dropout" runs of
one seed are paired: same data, same starting point.

The training experiments take ``data="digits"`` (scikit-learn's 8x8 digits,
the default) or ``data="mnist"`` (the 5,000 real 28x28 MNIST digits of
:func:`dropout_lib.data.mnist_split`, with a fixed test set of
:data:`MNIST_N_TEST` images).

The networks are far smaller than the paper's and are trained far more
briefly: the default is 64-128-128-10 ReLU units, SGD with momentum 0.9 and
learning rate 0.01, mini-batches of 32, on 300 training digits. ``p`` is always
the probability of **dropping** a unit; the paper's ``p`` is the probability of
keeping one.

The dropout-as-ridge-regression identity of the paper's Sec. 9.1 is exact
mathematics rather than an experiment on the digits, and lives in
:mod:`dropout_lib.ridge`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._checks import (
    as_generator,
    check_choice,
    check_int,
    check_p_below_one,
    check_real,
)
from ._engine import _Blas, fit_many
from .data import N_CLASSES, N_MNIST_PIXELS, N_PIXELS, digits_split, mnist_split
from .family import gaussian_noise
from .layers import apply_mask
from .masks import sample_mask
from .mlp import MLP, GaussianDropoutMLP

__all__ = [
    "SEEDS",
    "DATA_SETS",
    "MNIST_N_TEST",
    "HIDDEN",
    "N_TRAIN",
    "LR",
    "MOMENTUM",
    "BATCH_SIZE",
    "EPOCHS",
    "P_INPUT",
    "P_HIDDEN",
    "PAPER_P_INPUT",
    "epochs_for",
    "Variant",
    "CurvesResult",
    "EFFECT_OF_P_SETTINGS",
    "EffectOfPResult",
    "DatasetSizeResult",
    "MonteCarloResult",
    "SparsityResult",
    "SampleMoments",
    "NoiseMoments",
    "overfitting",
    "effect_of_p",
    "dataset_size",
    "monte_carlo_vs_weight_scaling",
    "sparsity",
    "noise_moments",
    "gaussian_vs_bernoulli",
]

#: Seeds of the repeated runs (ten: every run takes a second or less); the spread
#: over them and a t interval come with every result.
SEEDS = tuple(range(10))
#: The data sets a training experiment can run on.
DATA_SETS = ("digits", "mnist")
#: Test images of every MNIST split here (a fifth of the 5,000).
MNIST_N_TEST = 1000
#: Hidden layer widths of the default network (input 64 pixels, output 10 classes).
HIDDEN = (128, 128)
#: Training examples in the small-data setting, where a plain network overfits.
N_TRAIN = 300
#: Learning rate of SGD.
LR = 0.01
#: Momentum of SGD.
MOMENTUM = 0.9
#: Mini-batch size of SGD.
BATCH_SIZE = 32
#: Drop probability of the hidden units in every dropout network here (the
#: paper's retention 0.5). Inputs are not dropped by default: on 8x8 digits,
#: also dropping a fifth of the 64 pixels (the paper's MNIST setting, retention
#: 0.8) brings no further gain and slows training; :func:`overfitting` measures
#: that variant too.
P_HIDDEN = 0.5
#: Input drop probability of the dropout networks (none; see ``P_HIDDEN``).
P_INPUT = 0.0
#: The paper's input drop probability on MNIST (retention 0.8).
PAPER_P_INPUT = 0.2
#: Epochs of the training-curve experiments: 1500 updates on 300 examples (10
#: mini-batches an epoch, the last of 12).
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


def _check_seeds(seeds) -> tuple[int, ...]:
    seeds = tuple(check_int(s, "seeds", minimum=0) for s in seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed, but got an empty sequence")
    return seeds


def _check_hidden(hidden) -> tuple[int, ...]:
    hidden = tuple(check_int(h, "hidden", minimum=1) for h in hidden)
    if not hidden:
        raise ValueError("hidden must hold at least one hidden layer width, but got none")
    return hidden


def _check_training(lr, batch_size):
    return check_real(lr, "lr", low=0.0, low_open=True), check_int(
        batch_size, "batch_size", minimum=1
    )


def _sizes(hidden, input_width=N_PIXELS, n_classes=N_CLASSES):
    return (input_width, *hidden, n_classes)


def _check_data(data) -> str:
    return check_choice(data, "data", DATA_SETS)


def _split(data, n_train, seed):
    """The split of one seed: digits (test set 597) or MNIST (test set ``MNIST_N_TEST``)."""
    if data == "mnist":
        return mnist_split(n_train, 0, MNIST_N_TEST, seed=seed)
    return digits_split(n_train, seed=seed)


def _input_width(data) -> int:
    return N_MNIST_PIXELS if data == "mnist" else N_PIXELS


def epochs_for(updates, n_train, batch_size) -> int:
    """Epochs that give at least ``updates`` SGD steps on ``n_train`` examples.

    Parameters
    ----------
    updates, n_train, batch_size : int >= 1

    Returns
    -------
    int
        ``ceil(updates / ceil(n_train / batch_size))``, at least 1.
    """
    updates = check_int(updates, "updates", minimum=1)
    n_train = check_int(n_train, "n_train", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    return max(1, math.ceil(updates / math.ceil(n_train / batch_size)))


# ---------------------------------------------------------------- experiment 1
@dataclass(frozen=True)
class Variant:
    """One network variant of a training-curve experiment.

    Attributes
    ----------
    label : str
        Its name in tables and legends, e.g. ``"dropout (hidden)"``.
    model_class : str
        Name of the network class, ``"MLP"`` or ``"GaussianDropoutMLP"``.
    p_input, p_hidden : float
        Drop probabilities of the inputs and of every hidden layer.
    """

    label: str
    model_class: str
    p_input: float
    p_hidden: float


@dataclass(frozen=True, eq=False)
class CurvesResult:
    """Training curves of several network variants over several seeds.

    Attributes
    ----------
    variants : tuple of Variant
        The networks trained, in the order of the first axis below.
    seeds : tuple of int
    train_error, test_error : ndarray of float64, shape (n_variants, n_seeds, epochs)
        Fraction misclassified after each epoch, with dropout off.
    train_loss : ndarray of float64, shape (n_variants, n_seeds, epochs)
        Mean training cross-entropy during each epoch, with dropout on.
    models : tuple of tuple of MLP
        ``models[variant][seed]``, the trained networks.
    data : tuple of DigitsSplit
        The split of each seed (shared by every variant).
    data_set : str
        ``"digits"`` or ``"mnist"``.
    n_train, epochs : int
        Training digits per seed and epochs of training.
    hidden : tuple of int
        Hidden layer widths.
    lr, momentum : float
    batch_size : int
    """

    variants: tuple
    seeds: tuple
    train_error: np.ndarray
    test_error: np.ndarray
    train_loss: np.ndarray
    models: tuple
    data: tuple
    data_set: str
    n_train: int
    epochs: int
    hidden: tuple
    lr: float
    momentum: float
    batch_size: int

    @property
    def labels(self) -> tuple:
        """The variants' labels, e.g. ``("no dropout", "dropout (hidden)")``."""
        return tuple(variant.label for variant in self.variants)

    @property
    def epoch_numbers(self) -> np.ndarray:
        """Epoch numbers 1 .. epochs, shape (epochs,)."""
        return np.arange(1, self.train_error.shape[-1] + 1)

    def final(self, which="test", last=10) -> np.ndarray:
        """Mean error over the last ``last`` epochs, shape (n_variants, n_seeds).

        Averaging a few final epochs smooths the epoch-to-epoch jitter of SGD.

        Parameters
        ----------
        which : {"test", "train"}
        last : int >= 1
        """
        which = check_choice(which, "which", ("test", "train"))
        last = check_int(last, "last", minimum=1)
        errors = self.test_error if which == "test" else self.train_error
        return errors[..., -last:].mean(axis=-1)

    def first_zero_epoch(self) -> np.ndarray:
        """First epoch whose training error is exactly 0, shape (n_variants, n_seeds).

        Returns
        -------
        ndarray of float64
            Epoch numbers counted from 1; NaN where the training error never
            reaches 0 within ``epochs``.
        """
        zero = self.train_error == 0
        first = np.argmax(zero, axis=-1) + 1.0
        return np.where(zero.any(axis=-1), first, np.nan)


def _curves(variants, *, n_train, epochs, seeds, hidden, lr, batch_size, progress, data="digits"):
    """Train every ``(label, model_class, p_input, p_hidden)`` variant on every seed."""
    data_set = _check_data(data)
    seeds = _check_seeds(seeds)
    hidden = _check_hidden(hidden)
    n_train = check_int(n_train, "n_train", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=1)
    lr, batch_size = _check_training(lr, batch_size)
    sizes = _sizes(hidden, _input_width(data_set))
    data = tuple(_split(data_set, n_train, seed) for seed in seeds)
    # All variants and seeds share one architecture and training-set size, so
    # they train side by side (fit_many gives each exactly its own fit result).
    models = tuple(
        tuple(cls(sizes, p_input=p_in, p_hidden=p_hid, seed=seed) for seed in seeds)
        for _, cls, p_in, p_hid in variants
    )
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
        variants=tuple(Variant(label, cls.__name__, pi, ph) for label, cls, pi, ph in variants),
        seeds=seeds,
        train_error=train_error,
        test_error=test_error,
        train_loss=train_loss,
        models=models,
        data=data,
        data_set=data_set,
        n_train=n_train,
        epochs=epochs,
        hidden=hidden,
        lr=lr,
        momentum=MOMENTUM,
        batch_size=batch_size,
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
    data="digits",
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
    n_train : int >= 1
        Training digits (the test set is the fixed 597 of each seed's split,
        or ``MNIST_N_TEST`` images on MNIST).
    epochs : int >= 1
    p_hidden : float in [0, 1)
        Hidden drop probability of both dropout variants.
    p_input : float in [0, 1) or None
        Input drop probability of the third variant; ``None`` leaves it out.
    seeds : sequence of int >= 0
    hidden : sequence of int >= 1
        Hidden layer widths.
    lr : float > 0
    batch_size : int >= 1
    data : {"digits", "mnist"}
        The data set (see the module docstring).
    progress : bool
        Show a ``tqdm.auto`` bar over the epochs.

    Returns
    -------
    CurvesResult
        Labels ``("no dropout", "dropout (hidden)", "dropout (input and hidden)")``;
        the last only when ``p_input`` is not None.
    """
    why = "a network that drops every unit of a layer cannot learn"
    p_hidden = check_p_below_one(p_hidden, "p_hidden", why=why)
    variants = [("no dropout", MLP, 0.0, 0.0), ("dropout (hidden)", MLP, 0.0, p_hidden)]
    if p_input is not None:
        p_input = check_p_below_one(p_input, "p_input", why=why)
        variants.append(("dropout (input and hidden)", MLP, p_input, p_hidden))
    return _curves(
        variants,
        n_train=n_train,
        epochs=epochs,
        seeds=seeds,
        hidden=hidden,
        lr=lr,
        batch_size=batch_size,
        progress=progress,
        data=data,
    )


# ---------------------------------------------------------------- experiment 2
#: The two settings of :func:`effect_of_p`, the first axis of its errors.
EFFECT_OF_P_SETTINGS = ("width fixed", "(1 - p) x width fixed")


@dataclass(frozen=True, eq=False)
class EffectOfPResult:
    """Test and training error against the hidden drop probability (paper Fig. 9).

    Attributes
    ----------
    p_values : ndarray of float64, shape (P,)
        Hidden-layer drop probabilities.
    seeds : tuple of int
    setting_names : tuple of str
        ``("width fixed", "(1 - p) x width fixed")``, the first axis below.
    widths : ndarray of int, shape (2, P)
        Hidden width used for each setting and p.
    train_error, test_error : ndarray of float64, shape (2, P, n_seeds)
        Final errors (mean over the last 10 epochs).
    width : int
        Hidden width of the first setting.
    kept_units : int
        Expected kept units per hidden layer in the second setting.
    n_train, updates, epochs, n_hidden_layers, batch_size : int
    lr : float
    """

    p_values: np.ndarray
    seeds: tuple
    setting_names: tuple
    widths: np.ndarray
    train_error: np.ndarray
    test_error: np.ndarray
    width: int
    kept_units: int
    n_train: int
    updates: int
    epochs: int
    n_hidden_layers: int
    lr: float
    batch_size: int


def effect_of_p(
    p_values=(0.0, 0.2, 0.4, 0.5, 0.6, 0.8),
    *,
    width=128,
    kept_units=64,
    n_train=N_TRAIN,
    updates=1500,
    n_hidden_layers=2,
    seeds=SEEDS[:5],
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
    width : int >= 1
        Hidden width of the first setting.
    kept_units : int >= 1
        Expected number of kept hidden units per layer in the second setting;
        the width is ``round(kept_units / (1 - p))``.
    n_train : int >= 1
    updates : int >= 1
        SGD steps of every run (the same for every p, as in a fixed budget).
    n_hidden_layers : int >= 1
    seeds : sequence of int >= 0
        By default the first five of :data:`SEEDS`: this experiment trains
        about ten networks per seed.
    lr : float > 0
    batch_size : int >= 1
    progress : bool

    Returns
    -------
    EffectOfPResult
    """
    why = "the width (1 - p) x width fixed would be infinite"
    p_values = np.array([check_p_below_one(p, "p_values", why=why) for p in p_values])
    width = check_int(width, "width", minimum=1)
    kept_units = check_int(kept_units, "kept_units", minimum=1)
    n_train = check_int(n_train, "n_train", minimum=1)
    n_hidden_layers = check_int(n_hidden_layers, "n_hidden_layers", minimum=1)
    seeds = _check_seeds(seeds)
    lr, batch_size = _check_training(lr, batch_size)
    widths = np.array(
        [
            [width] * len(p_values),
            [max(1, round(kept_units / (1 - p))) for p in p_values],
        ]
    )
    epochs = epochs_for(updates, n_train, batch_size)
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
        setting_names=EFFECT_OF_P_SETTINGS,
        widths=widths,
        train_error=train_error,
        test_error=test_error,
        width=width,
        kept_units=kept_units,
        n_train=n_train,
        updates=int(updates),
        epochs=epochs,
        n_hidden_layers=n_hidden_layers,
        lr=lr,
        batch_size=batch_size,
    )


# ---------------------------------------------------------------- experiment 3
@dataclass(frozen=True, eq=False)
class DatasetSizeResult:
    """Test error with and without dropout against the training-set size (Fig. 10).

    Attributes
    ----------
    sizes : ndarray of int, shape (N,)
        Training-set sizes.
    seeds : tuple of int
    data_set : str
        ``"digits"`` or ``"mnist"``.
    labels : tuple of str
        ``("no dropout", "dropout")``, the first axis of the errors.
    test_error, train_error : ndarray of float64, shape (2, N, n_seeds)
        Final errors (mean over the last 10 epochs, or all epochs if fewer).
    updates : int
        SGD steps of every run.
    p_input, p_hidden : float
        Drop probabilities of the dropout network.
    hidden : tuple of int
    lr : float
    batch_size : int
    """

    sizes: np.ndarray
    seeds: tuple
    data_set: str
    labels: tuple
    test_error: np.ndarray
    train_error: np.ndarray
    updates: int
    p_input: float
    p_hidden: float
    hidden: tuple
    lr: float
    batch_size: int

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
    data="digits",
    progress=False,
) -> DatasetSizeResult:
    """Experiment 3: the gain from dropout as the training set grows (paper Fig. 10).

    Every run takes the same number of SGD steps, so small training sets are
    seen for many epochs and large ones for few. For one seed, the test set is
    the same for every size and smaller training sets are subsets of larger ones.

    Parameters
    ----------
    sizes : sequence of int
        Training-set sizes, each at least 1 and at most 1200 (the digits left
        after the test set); on MNIST at least 10 and at most 4000.
    updates : int >= 1
        SGD steps per run.
    p_input, p_hidden : float in [0, 1)
    seeds, hidden, lr, batch_size, data, progress
        As in :func:`overfitting`.

    Returns
    -------
    DatasetSizeResult
    """
    sizes = np.array([check_int(n, "sizes", minimum=1) for n in sizes])
    data_set = _check_data(data)
    updates = check_int(updates, "updates", minimum=1)
    seeds = _check_seeds(seeds)
    hidden = _check_hidden(hidden)
    lr, batch_size = _check_training(lr, batch_size)
    why = "a network that drops every unit of a layer cannot learn"
    p_input = check_p_below_one(p_input, "p_input", why=why)
    p_hidden = check_p_below_one(p_hidden, "p_hidden", why=why)
    variants = [(0.0, 0.0), (p_input, p_hidden)]
    test_error = np.empty((2, len(sizes), len(seeds)))
    train_error = np.empty_like(test_error)
    for i in _progress(range(len(sizes)), total=len(sizes), desc="sizes", enabled=progress):
        n_train = int(sizes[i])
        # For one seed the test set is the same at every size (see digits_split).
        data = [_split(data_set, n_train, seed) for seed in seeds]
        models = [
            MLP(_sizes(hidden, _input_width(data_set)), p_input=p_in, p_hidden=p_hid, seed=seed)
            for p_in, p_hid in variants
            for seed in seeds
        ]
        histories = fit_many(
            models,
            [(d.X_train, d.y_train) for _ in variants for d in data],
            epochs=epochs_for(updates, n_train, batch_size),
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
        data_set=data_set,
        labels=("no dropout", "dropout"),
        test_error=test_error,
        train_error=train_error,
        updates=updates,
        p_input=p_input,
        p_hidden=p_hidden,
        hidden=hidden,
        lr=lr,
        batch_size=batch_size,
    )


# ---------------------------------------------------------------- experiment 4
@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Monte-Carlo averaging over k masks against weight scaling (paper Fig. 11).

    Attributes
    ----------
    k_values : ndarray of int, shape (K,)
        Numbers of sampled passes averaged, in increasing order.
    seeds : tuple of int
        The seed of each model.
    mc_error : ndarray of float64, shape (n_seeds, n_repeats, K)
        Test error of the average of the first k sampled passes, for each of
        ``n_repeats`` independent sequences of passes.
    weight_scaling_error : ndarray of float64, shape (n_seeds,)
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
    models : sequence of MLP, optional
        Trained dropout networks, one per seed, e.g. ``overfitting().models[1]``
        (hidden dropout). Trained by :func:`overfitting` when omitted.
    data : sequence of DigitsSplit, optional
        The split of each model (its test set is used). Required with ``models``.
    k_values : sequence of int >= 1
        Numbers of sampled passes to average; the largest is sampled once per
        repeat and the smaller ones are its prefixes.
    n_repeats : int >= 1
        Independent sequences of passes per model, for the spread of the
        Monte-Carlo error at each k.
    progress : bool
    **train_kwargs
        Passed to :func:`overfitting` when ``models`` is omitted.

    Returns
    -------
    MonteCarloResult
    """
    k_values = np.array(sorted(check_int(k, "k_values", minimum=1) for k in k_values))
    if k_values.size == 0:
        raise ValueError("k_values must hold at least one number of passes, but got none")
    n_repeats = check_int(n_repeats, "n_repeats", minimum=1)
    if models is None:
        curves = overfitting(p_input=None, progress=progress, **train_kwargs)
        models, data = curves.models[1], curves.data
    if data is None or len(data) != len(models):
        raise ValueError("data must hold one DigitsSplit per model when models are given")
    mc_error = np.empty((len(models), n_repeats, len(k_values)))
    ws_error = np.empty(len(models))
    runs = [(m, r) for m in range(len(models)) for r in range(n_repeats)]
    # The passes are many small matrix products. On one BLAS thread they give the
    # same results and do not stall waiting for a second core that another
    # process keeps busy (measured: ten times faster on a loaded 2-core machine).
    with _Blas(1):
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
@dataclass(frozen=True, eq=False)
class SparsityResult:
    """Hidden activations of networks trained with and without dropout (paper Fig. 8).

    Attributes
    ----------
    labels : tuple of str
        The networks, in the order of the first axis below.
    layer : int
        Index of the hidden layer studied (0 = first).
    activations : tuple of ndarray of float32, each shape (n_seeds * n_test * width,)
        Per label, every activation of that layer on the test digits, pooled
        over seeds (flattened).
    mean_per_unit : tuple of ndarray of float32, each shape (n_seeds * width,)
        Per label, each unit's mean activation over the test digits, pooled over
        seeds.
    mean_activation : ndarray of float64, shape (n_labels, n_seeds)
        Mean activation of the layer. In a ReLU network this is not a measure
        of sparsity: scaling a unit's incoming weights by ``c > 0`` and its
        outgoing weights by ``1 / c`` computes the same function with ``c``
        times the activation.
    fraction_zero : ndarray of float64, shape (n_labels, n_seeds)
        Fraction of activations that are exactly zero (ReLU off).
    dead_fraction : ndarray of float64, shape (n_labels, n_seeds)
        Fraction of the layer's units that are exactly zero on every test
        example ("dead" units, which do nothing for the network).
    live_zero_fraction : ndarray of float64, shape (n_labels, n_seeds)
        Fraction of exact zeros among the activations of the live units (the
        others): how selectively the working units fire. Unchanged by the
        rescaling above, so it is a scale-free measure of sparsity.
    """

    labels: tuple
    layer: int
    activations: tuple
    mean_per_unit: tuple
    mean_activation: np.ndarray
    fraction_zero: np.ndarray
    dead_fraction: np.ndarray
    live_zero_fraction: np.ndarray


def sparsity(curves=None, *, layer=-1, progress=False, **train_kwargs) -> SparsityResult:
    """Experiment 5: are hidden activations sparser with dropout?

    Measured on each seed's test set with dropout off: the mean activation, the
    share of exact zeros, the share of dead units (zero on every test example)
    and the share of exact zeros among the live units.

    Parameters
    ----------
    curves : CurvesResult, optional
        Networks trained by :func:`overfitting` (reused, not retrained).
    layer : int
        Hidden layer to study, counted as in a Python sequence: ``0`` is the
        first hidden layer, ``-1`` the last.
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
    layer = check_int(layer, "layer", minimum=-n_hidden, maximum=n_hidden - 1)
    layer = range(n_hidden)[layer]
    activations, per_unit = [], []
    shape = (len(curves.labels), len(curves.seeds))
    mean_activation, fraction_zero = np.empty(shape), np.empty(shape)
    dead_fraction, live_zero_fraction = np.empty(shape), np.empty(shape)
    for v, models in enumerate(curves.models):
        pooled, units = [], []
        for s, (model, split) in enumerate(zip(models, curves.data)):
            acts = model.hidden_activations(split.X_test)[layer]
            pooled.append(acts.ravel())
            units.append(acts.mean(axis=0))
            mean_activation[v, s] = acts.mean()
            zero = acts == 0
            fraction_zero[v, s] = np.mean(zero)
            dead = zero.all(axis=0)
            dead_fraction[v, s] = np.mean(dead)
            live_zero_fraction[v, s] = np.mean(zero[:, ~dead]) if not dead.all() else np.nan
        activations.append(np.concatenate(pooled))
        per_unit.append(np.concatenate(units))
    return SparsityResult(
        labels=curves.labels,
        layer=layer,
        activations=tuple(activations),
        mean_per_unit=tuple(per_unit),
        mean_activation=mean_activation,
        fraction_zero=fraction_zero,
        dead_fraction=dead_fraction,
        live_zero_fraction=live_zero_fraction,
    )


# ---------------------------------------------------------------- experiment 6
@dataclass(frozen=True)
class SampleMoments:
    """Sample mean and variance of noise multipliers, with their standard errors.

    Attributes
    ----------
    mean, variance : float
        Of the sample (the variance with ``ddof = 0``).
    mean_se : float
        Standard error of the mean, ``sqrt(variance / n)``.
    variance_se : float
        Standard error of the variance, ``sqrt((m4 - variance**2) / n)`` with
        ``m4`` the sample's fourth central moment.
    """

    mean: float
    variance: float
    mean_se: float
    variance_se: float


@dataclass(frozen=True)
class NoiseMoments:
    """Inverted Bernoulli and Gaussian dropout multipliers against their shared moments.

    Attributes
    ----------
    p : float
        Drop probability of the Bernoulli dropout.
    n_samples : int
        Multipliers drawn of each kind.
    theory_mean : float
        1, the mean of both multipliers.
    theory_variance : float
        ``p / (1 - p)``, the variance of both.
    bernoulli : SampleMoments
        Of ``mask / (1 - p)``.
    gaussian : SampleMoments
        Of ``N(1, p / (1 - p))`` noise.
    """

    p: float
    n_samples: int
    theory_mean: float
    theory_variance: float
    bernoulli: SampleMoments
    gaussian: SampleMoments


def _sample_moments(values) -> SampleMoments:
    centred = values - values.mean()
    variance = centred.var()
    n = values.size
    return SampleMoments(
        mean=float(values.mean()),
        variance=float(variance),
        mean_se=float(np.sqrt(variance / n)),
        variance_se=float(np.sqrt((np.mean(centred**4) - variance**2) / n)),
    )


def noise_moments(p=P_HIDDEN, n_samples=100_000, *, rng=0) -> NoiseMoments:
    """Sample inverted Bernoulli and Gaussian dropout multipliers and compare moments.

    The Bernoulli multipliers are drawn first, then the Gaussian ones, from one
    generator.

    Parameters
    ----------
    p : float in [0, 1)
        Drop probability of the Bernoulli dropout.
    n_samples : int >= 2
    rng : numpy.random.Generator or int

    Returns
    -------
    NoiseMoments
    """
    p = check_p_below_one(p, why="the multipliers' variance p / (1 - p) is infinite at p = 1")
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    rng = as_generator(rng)
    ones = np.ones(n_samples, dtype=np.float32)
    bernoulli = apply_mask(ones, sample_mask(n_samples, p, rng), p).astype(float)
    gaussian = gaussian_noise((n_samples,), p, rng).astype(float)
    return NoiseMoments(
        p=p,
        n_samples=n_samples,
        theory_mean=1.0,
        theory_variance=p / (1 - p),
        bernoulli=_sample_moments(bernoulli),
        gaussian=_sample_moments(gaussian),
    )


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
    """Experiment 6: training curves of Bernoulli and moment-matched Gaussian dropout.

    Parameters
    ----------
    include_plain : bool
        Also train the network without dropout, for reference.
    n_train, epochs, p_input, p_hidden, seeds, hidden, lr, batch_size, progress
        As in :func:`overfitting`; ``p_input`` and ``p_hidden`` are in [0, 1)
        because Gaussian noise of variance ``p / (1 - p)`` has none at p = 1.

    Returns
    -------
    CurvesResult
        Labels ``("no dropout", "Bernoulli dropout", "Gaussian dropout")`` (the
        first only with ``include_plain``).
    """
    why = "the Gaussian noise variance p / (1 - p) is infinite at p = 1"
    p_input = check_p_below_one(p_input, "p_input", why=why)
    p_hidden = check_p_below_one(p_hidden, "p_hidden", why=why)
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
