"""The dropout x weight-decay experiment: four paired variants per seed."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from dropout_lib.data import digits_split  # noqa: E402
from dropout_lib.experiments import epochs_for  # noqa: E402
from dropout_lib.mlp import MLP  # noqa: E402
from dropout_lib.modern.practice import weight_decay_interaction  # noqa: E402

SMALL = dict(n_train=40, updates=6, seeds=(0, 1), hidden=(8,), batch_size=16)


def test_each_variant_is_the_network_trained_alone_on_the_seeds_data():
    result = weight_decay_interaction(weight_decay=0.05, p_hidden=0.5, **SMALL)
    assert result.labels == ("neither", "dropout", "weight decay", "both")
    assert result.test_error.shape == (4, 2)
    variants = [(0.0, 0.0), (0.5, 0.0), (0.0, 0.05), (0.5, 0.05)]
    for i, (p, wd) in enumerate(variants):
        for j, seed in enumerate(SMALL["seeds"]):
            data = digits_split(40, seed=seed)
            net = MLP((64, 8, 10), p_hidden=p, weight_decay=wd, seed=seed)
            history = net.fit(
                data.X_train,
                data.y_train,
                epochs=epochs_for(6, 40, 16),
                batch_size=16,
                lr=0.01,
                X_val=data.X_test,
                y_val=data.y_test,
            )
            expected = np.nanmean(history.val_error[-10:])
            assert abs(result.test_error[i, j] - expected) <= 2 / len(data.y_test)


def test_dropout_gain_rows_are_the_paired_differences():
    result = weight_decay_interaction(**SMALL)
    e = result.test_error
    np.testing.assert_array_equal(result.dropout_gain, [e[0] - e[1], e[2] - e[3]])


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(weight_decay=0.0), ValueError),
        (dict(weight_decay="0.1"), TypeError),
        (dict(p_hidden=1.0), ValueError),
        (dict(n_train=5), ValueError),
        (dict(seeds=()), ValueError),
    ],
)
def test_argument_checks(kwargs, error):
    with pytest.raises(error):
        weight_decay_interaction(**{**SMALL, **kwargs})
