"""Dropout beside weight decay: does one regulariser leave less for the other?

:func:`weight_decay_interaction` trains the digits network of the earlier
chapters in the four combinations of dropout on or off and weight decay on or
off, on the same data and initial weights for each seed, so that dropout's gain
with and without weight decay, and the difference of the two (the interaction),
are paired comparisons. It needs the digits (scikit-learn, the ``data`` extra),
which are imported when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_int, check_p_below_one, check_real

__all__ = ["WeightDecayInteraction", "weight_decay_interaction"]


@dataclass(frozen=True, eq=False)
class WeightDecayInteraction:
    """Test errors of the four combinations of dropout and weight decay.

    Attributes
    ----------
    labels : tuple of str
        The variants, in the order of the first axis of ``test_error``:
        neither, dropout only, weight decay only, both.
    test_error : ndarray of float64, shape (4, n_seeds)
        Final test error (mean over the last 10 epochs) of each variant and seed.
    seeds : tuple of int
        Seed ``s`` draws the training and test digits and the initial weights,
        the same for all four variants.
    p_hidden, weight_decay : float
        The dropout rate on the hidden units and the weight decay of the variants that use them.
    n_train, updates : int
    hidden : tuple of int
    lr : float
    batch_size : int
    """

    labels: tuple
    test_error: np.ndarray
    seeds: tuple
    p_hidden: float
    weight_decay: float
    n_train: int
    updates: int
    hidden: tuple
    lr: float
    batch_size: int

    @property
    def dropout_gain(self) -> np.ndarray:
        """Test error without dropout minus with it, shape (2, n_seeds).

        Row 0 without weight decay, row 1 with it; positive means dropout helps.
        """
        e = self.test_error
        return np.stack([e[0] - e[1], e[2] - e[3]])


def weight_decay_interaction(
    *,
    weight_decay=0.01,
    p_hidden=0.5,
    n_train=300,
    updates=1500,
    seeds=tuple(range(10)),
    hidden=(128, 128),
    lr=0.01,
    batch_size=32,
    progress=False,
) -> WeightDecayInteraction:
    """Train the four combinations of dropout and weight decay on the digits, per seed.

    Parameters
    ----------
    weight_decay : float > 0
        L2 weight decay of the variants with weight decay (as PyTorch's ``SGD`` applies it).
    p_hidden : float in (0, 1)
        Drop probability on the hidden units of the variants with dropout.
    n_train : int >= 10
        Training digits (the test set is the library's 597 held-out digits).
    updates : int >= 1
        SGD steps (momentum 0.9) of every run.
    seeds : sequence of int >= 0
    hidden : sequence of int
        Hidden-layer widths.
    lr : float > 0
    batch_size : int >= 1
    progress : bool
        A progress bar over epochs.

    Returns
    -------
    WeightDecayInteraction
    """
    from .._engine import fit_many
    from ..data import N_CLASSES, N_PIXELS, digits_split
    from ..experiments import MOMENTUM, epochs_for
    from ..mlp import MLP

    weight_decay = check_real(weight_decay, "weight_decay", low=0.0, low_open=True)
    p_hidden = check_p_below_one(p_hidden, "p_hidden", why="the kept units are divided by 1 - p")
    n_train = check_int(n_train, "n_train", minimum=10)
    updates = check_int(updates, "updates", minimum=1)
    seeds = tuple(check_int(s, "seeds", minimum=0) for s in seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    hidden = tuple(check_int(h, "hidden", minimum=1) for h in hidden)
    lr = check_real(lr, "lr", low=0.0, low_open=True)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    variants = (
        ("neither", 0.0, 0.0),
        ("dropout", p_hidden, 0.0),
        ("weight decay", 0.0, weight_decay),
        ("both", p_hidden, weight_decay),
    )
    data = [digits_split(n_train, seed=seed) for seed in seeds]
    sizes = (N_PIXELS, *hidden, N_CLASSES)
    models = [
        MLP(sizes, p_hidden=p, weight_decay=wd, seed=seed)
        for _, p, wd in variants
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
        progress=progress,
    )
    test_error = np.array([np.nanmean(h.val_error) for h in histories]).reshape(
        len(variants), len(seeds)
    )
    return WeightDecayInteraction(
        labels=tuple(label for label, _, _ in variants),
        test_error=test_error,
        seeds=seeds,
        p_hidden=p_hidden,
        weight_decay=weight_decay,
        n_train=n_train,
        updates=updates,
        hidden=hidden,
        lr=lr,
        batch_size=batch_size,
    )
