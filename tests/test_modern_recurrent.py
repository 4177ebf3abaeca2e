"""Recurrent dropout masks and the tanh RNN: closed forms, enumeration, finite differences, PyTorch.

A unit keeps a value through ``T`` steps only when it is kept at every step:
probability ``(1 - p)^T`` with a fresh mask per step and ``1 - p`` with one
mask per sequence.
"""

from __future__ import annotations

import numpy as np
import pytest

from dropout_lib.modern.recurrent import (
    RNNGrads,
    TinyRNN,
    first_symbol_task,
    recurrent_masks,
)


def test_shape_and_dtype():
    for variational in (True, False):
        keep = recurrent_masks(5, 3, 4, 0.3, rng=0, variational=variational)
        assert keep.shape == (5, 3, 4) and keep.dtype == bool


def test_variational_mask_is_the_same_at_every_step():
    keep = recurrent_masks(6, 8, 10, 0.5, rng=0)
    assert np.all(keep == keep[0])
    assert keep[0].any() and not keep[0].all()


def test_naive_masks_differ_between_steps():
    keep = recurrent_masks(6, 8, 10, 0.5, rng=0, variational=False)
    assert not np.all(keep == keep[0])


def test_edges_p_zero_and_one():
    for variational in (True, False):
        assert recurrent_masks(3, 2, 2, 0.0, rng=0, variational=variational).all()
        assert not recurrent_masks(3, 2, 2, 1.0, rng=0, variational=variational).any()


@pytest.mark.parametrize("variational", [True, False])
def test_keep_share_is_one_minus_p_within_standard_error(variational):
    p, steps, batch, features = 0.3, 20, 500, 40
    keep = recurrent_masks(steps, batch, features, p, rng=1, variational=variational)
    # Independent draws: batch * features of them (variational) or all entries (naive).
    n = batch * features * (1 if variational else steps)
    assert abs(keep.mean() - (1 - p)) < 4 * np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("variational", [True, False])
def test_share_kept_at_every_step_matches_the_closed_form(variational):
    p, steps, batch, features = 0.2, 8, 1000, 50
    keep = recurrent_masks(steps, batch, features, p, rng=2, variational=variational)
    survived = keep.all(axis=0).mean()
    expected = (1 - p) if variational else (1 - p) ** steps
    n = batch * features
    assert abs(survived - expected) < 4 * np.sqrt(expected * (1 - expected) / n)


def test_exact_enumeration_of_one_unit_over_two_steps():
    """Two steps, one unit: the naive law is the product law; the variational one is diagonal."""
    p, draws = 0.4, 200_000
    naive = recurrent_masks(2, draws, 1, p, rng=3, variational=False)[:, :, 0]
    shared = recurrent_masks(2, draws, 1, p, rng=3, variational=True)[:, :, 0]
    for pattern in ((0, 0), (0, 1), (1, 0), (1, 1)):
        a, b = pattern
        exact_naive = (1 - p if a else p) * (1 - p if b else p)
        exact_shared = (1 - p if a else p) if a == b else 0.0
        for masks, exact in ((naive, exact_naive), (shared, exact_shared)):
            share = np.mean((masks[0] == a) & (masks[1] == b))
            assert abs(share - exact) <= 4 * np.sqrt(exact * (1 - exact) / draws)


def test_same_seed_same_masks():
    a = recurrent_masks(4, 3, 5, 0.5, rng=7, variational=False)
    b = recurrent_masks(4, 3, 5, 0.5, rng=np.random.default_rng(7), variational=False)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(steps=0), ValueError),
        (dict(steps=2.5), TypeError),
        (dict(batch=-1), ValueError),
        (dict(features=True), TypeError),
        (dict(p=1.5), ValueError),
        (dict(p="0.5"), TypeError),
        (dict(rng="seed"), TypeError),
    ],
)
def test_argument_checks(kwargs, error):
    args = dict(steps=3, batch=2, features=4, p=0.5, rng=0) | kwargs
    name = next(iter(kwargs))
    with pytest.raises(error, match=name):
        recurrent_masks(**args)


# --- the recurrent net ---------------------------------------------------------


def _net(p=0.3, variational=True):
    return TinyRNN(3, 5, 3, p=p, variational=variational, seed=0)


def test_forward_is_the_recurrence():
    net = _net()
    task = first_symbol_task(4, steps=3, n_symbols=3, rng=0)
    keep = recurrent_masks(3, 4, 5, 0.3, rng=1, variational=False)
    trace = net.forward(task.X, keep)
    P = net.params
    h = np.zeros((4, 5))
    for t in range(3):
        h = np.tanh(task.X[t] @ P["Wx"] + (h * keep[t] / 0.7) @ P["Wh"] + P["b"])
    np.testing.assert_allclose(trace.h[-1], h, rtol=1e-12)
    np.testing.assert_allclose(trace.logits, h @ P["Wo"] + P["bo"], rtol=1e-12)


@pytest.mark.parametrize("variational", [True, False])
@pytest.mark.parametrize("with_masks", [True, False])
def test_gradients_match_finite_differences(variational, with_masks):
    net = _net(variational=variational)
    task = first_symbol_task(4, steps=4, n_symbols=3, rng=0)
    keep = recurrent_masks(4, 4, 5, 0.3, rng=1, variational=variational) if with_masks else None
    _, grads = net.loss_and_gradients(task.X, task.y, keep)
    assert isinstance(grads, RNNGrads)
    eps = 1e-6
    for name in ("Wx", "Wh", "b", "Wo", "bo"):
        analytic = getattr(grads, name)
        numeric = np.zeros_like(analytic)
        for index in np.ndindex(analytic.shape):
            saved = net.params[name][index]
            net.params[name][index] = saved + eps
            up = net.loss_and_gradients(task.X, task.y, keep)[0]
            net.params[name][index] = saved - eps
            down = net.loss_and_gradients(task.X, task.y, keep)[0]
            net.params[name][index] = saved
            numeric[index] = (up - down) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-9)


def test_first_symbol_task_labels():
    task = first_symbol_task(30, steps=5, n_symbols=4, rng=0)
    assert task.X.shape == (5, 30, 4)
    np.testing.assert_array_equal(task.X.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(np.argmax(task.X[0], axis=1), task.y)


def test_fit_does_not_modify_its_inputs_and_learns_a_short_recall():
    train = first_symbol_task(500, steps=4, n_symbols=3, rng=0)
    test = first_symbol_task(500, steps=4, n_symbols=3, rng=1)
    X = train.X.copy()
    net = TinyRNN(3, 16, 3, seed=0)
    net.fit(train.X, train.y, steps=200)
    np.testing.assert_array_equal(train.X, X)
    assert net.error(test.X, test.y) < 0.05


def test_equals_torch_rnn_without_dropout():
    torch = pytest.importorskip("torch")
    net = _net(p=0.0)
    task = first_symbol_task(4, steps=6, n_symbols=3, rng=0)
    rnn = torch.nn.RNN(3, 5, nonlinearity="tanh").double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(net.params["Wx"].T))
        rnn.weight_hh_l0.copy_(torch.from_numpy(net.params["Wh"].T))
        rnn.bias_ih_l0.copy_(torch.from_numpy(net.params["b"]))
        rnn.bias_hh_l0.zero_()
        states, _ = rnn(torch.from_numpy(task.X))
    np.testing.assert_allclose(net.forward(task.X).h[1:], states.numpy(), rtol=1e-10, atol=1e-12)


def test_bad_model_arguments():
    with pytest.raises(ValueError, match="p"):
        TinyRNN(3, 5, 3, p=1.0)
    with pytest.raises(TypeError, match="n_hidden"):
        TinyRNN(3, 5.0, 3)
    with pytest.raises(ValueError, match="X must have shape"):
        _net().forward(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="keep"):
        _net().forward(np.ones((2, 3, 3)), np.ones((2, 3, 4), bool))


def test_recurrent_experiment_is_paired_and_deterministic():
    from dropout_lib.modern.recurrent import recurrent_experiment

    kwargs = dict(p=0.5, seeds=(0, 1), seq_len=3, n_hidden=4, n_train=10, n_test=20, steps=3)
    a = recurrent_experiment(**kwargs)
    b = recurrent_experiment(**kwargs)
    assert a.labels == ("fresh mask per step", "one mask per sequence")
    assert a.test_error.shape == a.final_loss.shape == (2, 2)
    np.testing.assert_array_equal(a.test_error, b.test_error)
    # each variant is the net trained alone on the seed's data with the seed's weights
    data_rng = np.random.default_rng([0, 2])
    train = first_symbol_task(10, steps=3, n_symbols=2, rng=data_rng)
    test = first_symbol_task(20, steps=3, n_symbols=2, rng=data_rng)
    net = TinyRNN(2, 4, 2, p=0.5, variational=True, seed=0)
    net.fit(train.X, train.y, steps=3)
    assert net.error(test.X, test.y) == a.test_error[1, 0]
    with pytest.raises(ValueError, match="p"):
        recurrent_experiment(p=1.0, seeds=(0,), steps=1)
