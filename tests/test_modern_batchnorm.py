"""Batch norm and the variance shift of dropout before it (dropout_lib.modern.batchnorm).

Truth comes from PyTorch's ``BatchNorm1d`` (outputs, running statistics with a
momentum and with ``momentum=None``, evaluation behaviour, autograd), exact
enumeration of every dropout mask for the closed forms of the variance shift,
a standard-error check of the train-mode variance, and finite differences of
every backward pass.
"""

from __future__ import annotations

import importlib
import itertools
import math

import numpy as np
import pytest
from gradcheck import numerical_gradients

bn = importlib.import_module("dropout_lib.modern.batchnorm")


def _batches(seed=0, n_batches=4, n=16, d=5):
    rng = np.random.default_rng(seed)
    return [rng.normal(2.0, 3.0, size=(n, d)) for _ in range(n_batches)]


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_running_statistics_and_outputs_match_torch_batchnorm1d(momentum):
    torch = pytest.importorskip("torch")
    ours = bn.BatchNorm(5, momentum=momentum)
    rng = np.random.default_rng(1)
    ours.gamma, ours.beta = rng.normal(size=5), rng.normal(size=5)
    theirs = torch.nn.BatchNorm1d(5, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.gamma))
        theirs.bias.copy_(torch.tensor(ours.beta))
    theirs.train()
    for x in _batches():
        out = ours.forward(x, training=True)
        ref = theirs(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    assert ours.num_batches_tracked == int(theirs.num_batches_tracked)
    theirs.eval()
    x = _batches(seed=2, n_batches=1)[0]
    np.testing.assert_allclose(
        ours.forward(x, training=False), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10
    )


def test_evaluation_does_not_touch_the_running_statistics():
    layer = bn.BatchNorm(5)
    layer.forward(_batches()[0])
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    x = _batches(seed=3)[0]
    before = x.copy()
    layer.forward(x, training=False)
    assert np.array_equal(layer.running_mean, mean) and np.array_equal(layer.running_var, var)
    assert np.array_equal(x, before)


def test_gradients_match_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, gamma, beta = rng.normal(size=(8, 3)), rng.normal(size=3), rng.normal(size=3)
    dout = rng.normal(size=(8, 3))
    out, _, _, cache = bn.batch_norm_train(x, gamma, beta)
    dx, dgamma, dbeta = bn.batch_norm_backward(dout, cache)
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    ref = torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=bn.EPS)
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-10)
    ref.backward(torch.tensor(dout))
    for ours, theirs in ((dx, xt), (dgamma, gt), (dbeta, bt)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_backward_by_finite_differences():
    rng = np.random.default_rng(5)
    x, gamma, beta = rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=3)
    weights = rng.normal(size=(6, 3))
    _, _, _, cache = bn.batch_norm_train(x, gamma, beta)
    grads = bn.batch_norm_backward(weights, cache)
    numeric = numerical_gradients(
        lambda: np.sum(weights * bn.batch_norm_train(x, gamma, beta)[0]), [x, gamma, beta]
    )
    for k in range(3):
        np.testing.assert_allclose(grads[k], numeric[k], rtol=1e-6, atol=1e-8)


def test_layer_backward_before_forward():
    with pytest.raises(RuntimeError, match="before a training-mode forward"):
        bn.BatchNorm(3).backward(np.ones((2, 3)))


# ---------------------------------------------------------------- the closed forms


def test_unit_variance_shift_by_exact_enumeration():
    # A unit taking values (values, with probabilities weights), then inverted dropout.
    values = np.array([-1.0, 0.5, 2.0, 3.0])
    weights = np.array([0.1, 0.4, 0.3, 0.2])
    c = weights @ values
    v = weights @ (values - c) ** 2
    for p in (0.0, 0.2, 0.5, 0.8):
        q = 1 - p
        outcomes = np.concatenate([values / q, np.zeros(4)]) if p > 0 else values
        probs = np.concatenate([weights * q, weights * p]) if p > 0 else weights
        mean = probs @ outcomes
        train_var = probs @ (outcomes - mean) ** 2
        assert math.isclose(mean, c, rel_tol=1e-12)
        assert math.isclose(bn.variance_shift_ratio(p, c, v), v / train_var, rel_tol=1e-12)
    assert bn.variance_shift_ratio(0.3) == pytest.approx(0.7)


def test_layer_variance_shift_by_exact_enumeration_of_every_mask():
    rng = np.random.default_rng(6)
    h = np.abs(rng.normal(size=(3, 3)))
    W = rng.normal(size=(3, 2))
    p = 0.4
    q = 1 - p
    outcomes, probs = [], []
    for row in h:
        for bits in itertools.product([False, True], repeat=3):
            keep = np.array(bits)
            outcomes.append((row * keep / q) @ W)
            probs.append(q ** keep.sum() * p ** (~keep).sum() / len(h))
    outcomes, probs = np.array(outcomes), np.array(probs)
    mean = probs @ outcomes
    train_var = probs @ (outcomes - mean) ** 2
    shift = bn.variance_shift(h, W, p)
    np.testing.assert_allclose(shift.train_var, train_var, rtol=1e-12)
    np.testing.assert_allclose(shift.eval_var, np.var(h @ W, axis=0), rtol=1e-12)
    np.testing.assert_allclose(shift.ratio, np.var(h @ W, axis=0) / train_var, rtol=1e-12)


def test_train_mode_batch_variance_agrees_with_the_closed_form_within_standard_error():
    # What a BN layer's running variance averages: unbiased variances of batches drawn
    # with replacement, dropout on. Their mean is the closed-form train variance.
    rng = np.random.default_rng(7)
    h = np.maximum(rng.normal(size=(300, 20)), 0.0)
    W = rng.normal(size=(20, 6)) / math.sqrt(20)
    p = 0.5
    shift = bn.variance_shift(h, W, p)
    n_batches, size = 2000, 32
    ratios = []
    for _ in range(n_batches):
        rows = h[rng.integers(0, len(h), size)]
        u = (rows * (rng.random(rows.shape) >= p) / (1 - p)) @ W
        ratios.append(np.var(u, axis=0, ddof=1) / shift.train_var)
    ratios = np.array(ratios)
    se = ratios.std(axis=0, ddof=1) / math.sqrt(n_batches)
    assert np.all(np.abs(ratios.mean(axis=0) - 1.0) < 4 * se)
    assert np.all(shift.ratio < 0.75)


# ---------------------------------------------------------------- the network


def _small_net(**kwargs):
    return bn.BNNet((6, 5, 4, 3), seed=1, **kwargs)


def test_network_gradients_by_finite_differences():
    net = _small_net(p_before_bn=0.3, p_head=0.2)
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(7, 6)), rng.integers(0, 3, size=7)
    net.gamma = [rng.normal(size=g.shape) for g in net.gamma]
    net.beta = [rng.normal(size=b.shape) for b in net.beta]
    masks = net.sample_masks(7, rng)
    _, grads, _ = net.loss_and_grads(X, y, masks)
    numeric = numerical_gradients(lambda: net.loss_and_grads(X, y, masks)[0], net._params())
    for k, gradient in enumerate(numeric):
        np.testing.assert_allclose(grads[k], gradient, rtol=1e-5, atol=1e-8)


def test_network_matches_torch_in_training_and_evaluation():
    torch = pytest.importorskip("torch")
    net = _small_net(p_before_bn=0.5, p_head=0.25)
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(10, 6)), rng.integers(0, 3, size=10)
    masks = net.sample_masks(10, rng)
    loss, grads, _ = net.loss_and_grads(X, y, masks)
    Ws = [torch.tensor(W, requires_grad=True) for W in net.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
    layers = [torch.nn.BatchNorm1d(d, dtype=torch.float64) for d in net.layer_sizes[1:-1]]
    h = torch.tensor(X)
    probs = net.drop_probs()
    for layer in range(3):
        if probs[layer] > 0:
            h = h * torch.tensor(masks[layer], dtype=torch.float64) / (1 - probs[layer])
        u = h @ Ws[layer] + bs[layer]
        h = u if layer == 2 else torch.relu(layers[layer](u))
    torch_loss = torch.nn.functional.cross_entropy(h, torch.tensor(y))
    torch_loss.backward()
    assert math.isclose(loss, torch_loss.item(), rel_tol=1e-10)
    for ours, theirs in zip(grads[:6], Ws + bs):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    # Evaluation: dropout off, batch norm with running statistics.
    net.running_mean = [rng.normal(size=m.shape) for m in net.running_mean]
    net.running_var = [rng.uniform(0.5, 2, size=v.shape) for v in net.running_var]
    h = torch.tensor(X)
    for layer in range(3):
        u = h @ Ws[layer] + bs[layer]
        if layer == 2:
            h = u
            break
        layers[layer].eval()
        with torch.no_grad():
            layers[layer].running_mean.copy_(torch.tensor(net.running_mean[layer]))
            layers[layer].running_var.copy_(torch.tensor(net.running_var[layer]))
        h = torch.relu(layers[layer](u))
    np.testing.assert_allclose(net.forward(X)[0], h.detach().numpy(), rtol=1e-10)


def test_running_statistics_track_training_like_torch():
    # After fit, each layer's running statistics are the EMA of its batch statistics.
    net = _small_net(p_before_bn=0.5)
    rng = np.random.default_rng(10)
    X, y = rng.normal(size=(40, 6)), rng.integers(0, 3, size=40)
    net.fit(X, y, epochs=1, batch_size=40, lr=0.01)
    # One batch with momentum 0.1: running = 0.9 * initial + 0.1 * batch.
    # fit draws the batch order, then the masks, from the generator seeded [seed, 2].
    masks_rng = np.random.default_rng([1, 2])
    order = masks_rng.permutation(40)
    masks = _small_net(p_before_bn=0.5).sample_masks(40, masks_rng)
    _, _, _, batch = _small_net(p_before_bn=0.5).forward(X[order], masks=masks, batch_stats=True)
    for layer, (mean, var) in enumerate(batch):
        np.testing.assert_allclose(net.running_mean[layer], 0.1 * mean, rtol=1e-10)
        np.testing.assert_allclose(net.running_var[layer], 0.9 + 0.1 * var, rtol=1e-10)


def test_recomputed_statistics_are_cumulative_averages_and_leave_the_net_alone():
    net = _small_net(p_before_bn=0.5)
    X = np.random.default_rng(11).normal(size=(30, 6))
    before = [v.copy() for v in net.running_var]
    whole = net.with_recomputed_statistics(X, batch_size=30)
    assert all(np.array_equal(a, b) for a, b in zip(net.running_var, before))
    u1 = X @ net.weights[0] + net.biases[0]
    np.testing.assert_allclose(whole.running_mean[0], u1.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(whole.running_var[0], u1.var(axis=0, ddof=1), rtol=1e-10)
    # In two batches the result is the mean of the two batches' statistics.
    halves = net.with_recomputed_statistics(X, batch_size=15, seed=3)
    order = np.random.default_rng(3).permutation(30)
    stats = [net.forward(X[order[k : k + 15]], batch_stats=True)[3] for k in (0, 15)]
    for layer in range(2):
        mean = (stats[0][layer][0] + stats[1][layer][0]) / 2
        var = (stats[0][layer][1] + stats[1][layer][1]) / 2
        np.testing.assert_allclose(halves.running_mean[layer], mean, rtol=1e-10)
        np.testing.assert_allclose(halves.running_var[layer], var, rtol=1e-10)


def test_comparison_runs_and_pairs_the_placements():
    result = bn.compare_bn_placements(
        layer_sizes=(64, 8, 8, 10), n_train=60, epochs=1, seeds=(0, 1)
    )
    assert result.error_before_bn.shape == result.error_recomputed.shape == (2,)
    assert result.running_var.shape == result.closed_train_var.shape == (2, 8)
    assert np.all(result.closed_eval_var <= result.closed_train_var)


def test_argument_errors():
    with pytest.raises(ValueError, match="needs a hidden layer"):
        bn.BNNet((6, 3))
    with pytest.raises(ValueError, match="p_before_bn must be below 1"):
        bn.BNNet((6, 4, 3), p_before_bn=1.0)
    with pytest.raises(ValueError, match="at least 2 examples"):
        bn.batch_norm_train(np.ones((1, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"W must have shape \(3, d_out\)"):
        bn.variance_shift(np.ones((4, 3)), np.ones((2, 2)), 0.5)
    with pytest.raises(ValueError, match="var must be in"):
        bn.variance_shift_ratio(0.5, 0.0, 0.0)


def test_plot_variance_shift_draws_every_unit():
    import matplotlib.figure

    from dropout_lib.plots_modern import plot_variance_shift

    result = bn.compare_bn_placements(layer_sizes=(64, 8, 8, 10), n_train=60, epochs=1, seeds=(0,))
    fig = plot_variance_shift(result)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes[0].collections[0].get_offsets()) == 8
    with pytest.raises(TypeError, match="BatchNormComparison"):
        plot_variance_shift(None)


def test_comparison_cells_equal_networks_trained_alone_on_their_seed():
    from dropout_lib.modern._train import digits_train_and_held_out

    sizes = (64, 8, 8, 10)
    result = bn.compare_bn_placements(layer_sizes=sizes, n_train=60, epochs=2, seeds=(4,))
    X_train, y_train, X_test, y_test = digits_train_and_held_out(60, 4)
    before = bn.BNNet(sizes, p_before_bn=0.5, seed=4).fit(X_train, y_train, epochs=2)
    after = bn.BNNet(sizes, p_head=0.5, seed=4).fit(X_train, y_train, epochs=2)
    fixed = before.with_recomputed_statistics(X_train, seed=4)
    assert result.error_before_bn[0] == before.error(X_test, y_test)
    assert result.error_after_last_bn[0] == after.error(X_test, y_test)
    assert result.error_recomputed[0] == fixed.error(X_test, y_test)
    np.testing.assert_array_equal(result.running_var[0], before.running_var[1])
    assert all(
        np.array_equal(a, b)
        for a, b in zip(
            bn.BNNet(sizes, p_before_bn=0.5, seed=4).weights,
            bn.BNNet(sizes, p_head=0.5, seed=4).weights,
        )
    )


def test_layer_backward_by_finite_differences_of_its_forward():
    rng = np.random.default_rng(12)
    x, dout = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    layer = bn.BatchNorm(3)
    layer.gamma, layer.beta = rng.normal(size=3), rng.normal(size=3)
    layer.forward(x)
    dx, dgamma, dbeta = layer.backward(dout)
    [numeric] = numerical_gradients(lambda: np.sum(dout * bn.BatchNorm.forward(layer, x)), [x])
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dbeta, dout.sum(axis=0))
    with pytest.raises(ValueError, match="dout has shape"):
        layer.backward(np.ones((4, 3)))
