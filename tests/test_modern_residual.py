"""DropPath (stochastic depth) and the residual MLP of dropout_lib.modern.residual.

Truth comes from torchvision's stochastic-depth semantics written in torch
(``mode="row"``), exact enumeration of the keep decisions, closed forms of the
mean, variance and expected depth, and finite differences of every backward pass.
"""

from __future__ import annotations

import importlib
import itertools
import math

import numpy as np
import pytest
from gradcheck import numerical_gradients

res = importlib.import_module("dropout_lib.modern.residual")

# ---------------------------------------------------------------- drop_path


def test_evaluation_and_p_zero_are_copies():
    x = np.arange(12.0).reshape(4, 3)
    for out in (res.drop_path(x, 0.3, training=False), res.drop_path(x, 0.0, rng=0)):
        assert np.array_equal(out, x) and out is not x
        out[0, 0] = 99.0
        assert x[0, 0] == 0.0


def test_p_one_zeroes_everything_and_float32_stays():
    x = np.ones((5, 2, 3), dtype=np.float32)
    assert np.array_equal(res.drop_path(x, 1.0, rng=0), np.zeros_like(x))
    assert res.drop_path(x, 0.4, rng=0).dtype == np.float32


def test_each_example_is_zeroed_whole_or_scaled_by_one_over_keep():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3, 4))
    p = 0.3
    out = res.drop_path(x, p, rng=1)
    zero = np.all(out == 0, axis=(1, 2))
    scaled = np.all(np.isclose(out, x / (1 - p)), axis=(1, 2))
    assert np.all(zero ^ scaled)
    assert zero.any() and scaled.any()


def test_input_is_not_modified():
    x = np.ones((6, 2))
    before = x.copy()
    res.drop_path(x, 0.5, rng=0)
    res.apply_drop_path(x, np.array([True, False] * 3), 0.5)
    assert np.array_equal(x, before)


def _torch_stochastic_depth(x, p, training, noise=None):
    """torchvision.ops.stochastic_depth(mode="row"), written in torch."""
    import torch

    if not training or p == 0.0:
        return x
    survival = 1.0 - p
    size = [x.shape[0]] + [1] * (x.ndim - 1)
    if noise is None:
        noise = torch.empty(size, dtype=x.dtype).bernoulli_(survival)
    else:
        noise = noise.reshape(size).to(x.dtype)
    if survival > 0.0:
        noise = noise / survival
    return x * noise


def test_matches_torch_stochastic_depth_given_the_same_keep_decisions():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16, 3, 5))
    for p in (0.0, 0.2, 0.5, 0.9, 1.0):
        keep = res.drop_path_mask(16, p, rng)
        ours = res.apply_drop_path(x, keep, p)
        theirs = _torch_stochastic_depth(torch.tensor(x), p, True, torch.tensor(keep))
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=0)
    # Evaluation is the identity in both.
    assert np.array_equal(res.drop_path(x, 0.5, training=False), x)
    assert np.array_equal(_torch_stochastic_depth(torch.tensor(x), 0.5, False).numpy(), x)


def test_keep_share_agrees_with_torch_and_one_minus_p_within_standard_error():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    n, p = 100_000, 0.3
    ours = res.drop_path(np.ones((n, 1)), p, rng=3)[:, 0] > 0
    theirs = _torch_stochastic_depth(torch.ones(n, 1, dtype=torch.float64), p, True)[:, 0] > 0
    se = math.sqrt(p * (1 - p) / n)
    for share in (ours.mean(), theirs.numpy().mean()):
        assert abs(share - (1 - p)) < 4 * se


def test_expected_output_and_variance_closed_forms():
    # One example's output is x B / q with B ~ Bernoulli(q): mean x, variance x^2 p / q.
    n, p, value = 200_000, 0.4, 1.5
    out = res.drop_path(np.full((n, 1), value), p, rng=4)[:, 0]
    var = value**2 * p / (1 - p)
    assert abs(out.mean() - value) < 4 * math.sqrt(var / n)
    # The output takes two values, so its sample variance has standard error
    # sqrt((mu4 - var^2) / n), with the fourth central moment of a scaled Bernoulli.
    q = 1 - p
    a, b = value / q - value, -value
    mu4 = q * a**4 + p * b**4
    assert abs(out.var() - var) < 4 * math.sqrt((mu4 - var**2) / n)


def test_exact_enumeration_of_three_examples():
    x = np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 0.0]])
    p = 0.25
    q = 1 - p
    mean = np.zeros_like(x)
    second = np.zeros_like(x)
    for bits in itertools.product([False, True], repeat=3):
        keep = np.array(bits)
        weight = q ** keep.sum() * p ** (~keep).sum()
        out = res.apply_drop_path(x, keep, p)
        mean += weight * out
        second += weight * out**2
    np.testing.assert_allclose(mean, x, rtol=1e-12)
    np.testing.assert_allclose(second - mean**2, x**2 * p / q, rtol=1e-12)


def test_drop_path_backward_by_finite_differences():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 4))
    keep = np.array([True, False, True, True, False, True])
    weights = rng.normal(size=x.shape)
    dx = res.drop_path_backward(weights, keep, 0.3)
    eps = 1e-6
    numeric = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        up = np.sum(weights * res.apply_drop_path(x + step, keep, 0.3))
        down = np.sum(weights * res.apply_drop_path(x - step, keep, 0.3))
        numeric[idx] = (up - down) / (2 * eps)
    np.testing.assert_allclose(dx, numeric, rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------- depth


def test_linear_decay_and_expected_depth():
    probs = res.linear_decay(4, 0.5)
    np.testing.assert_allclose(probs, [0.125, 0.25, 0.375, 0.5])
    for n_blocks, p_last in ((4, 0.5), (54, 0.5), (10, 0.2)):
        probs = res.linear_decay(n_blocks, p_last)
        closed = n_blocks - p_last * (n_blocks + 1) / 2
        assert math.isclose(res.expected_depth(probs), closed, rel_tol=1e-12)


def test_depth_distribution_by_exact_enumeration():
    probs = np.array([0.1, 0.3, 0.5, 0.2])
    pmf = np.zeros(5)
    for bits in itertools.product([0, 1], repeat=4):
        active = np.array(bits)
        pmf[active.sum()] += np.prod(np.where(active == 1, 1 - probs, probs))
    np.testing.assert_allclose(res.depth_distribution(probs), pmf, rtol=1e-12)
    assert math.isclose(pmf @ np.arange(5), res.expected_depth(probs), rel_tol=1e-12)


def test_sampled_depth_agrees_with_its_distribution():
    probs = res.linear_decay(8, 0.5)
    rng = np.random.default_rng(6)
    n = 20_000
    depths = np.sum([rng.random(n) >= p for p in probs], axis=0)
    pmf = res.depth_distribution(probs)
    var = pmf @ np.arange(9) ** 2 - res.expected_depth(probs) ** 2
    assert abs(depths.mean() - res.expected_depth(probs)) < 4 * math.sqrt(var / n)


# ---------------------------------------------------------------- the block and the network


def _block_params(rng, width=5, hidden=4):
    return (
        rng.normal(size=(width, hidden)),
        rng.normal(size=hidden),
        rng.normal(size=(hidden, width)),
        rng.normal(size=width),
    )


def test_residual_block_backward_by_finite_differences():
    rng = np.random.default_rng(7)
    h = rng.normal(size=(6, 5))
    params = list(_block_params(rng))
    keep = np.array([True, False, True, True, False, True])
    weights = rng.normal(size=(6, 5))

    def loss(h_, params_):
        return np.sum(weights * res.residual_block(h_, *params_, keep, 0.4)[0])

    out, cache = res.residual_block(h, *params, keep, 0.4)
    dh, grads = res.residual_block_backward(weights, cache, params[0], params[2])
    eps = 1e-6
    for target, analytic in [(None, dh)] + list(zip(range(4), grads)):
        base = h if target is None else params[target]
        numeric = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            shifted = []
            for sign in (1, -1):
                moved = base.copy()
                moved[idx] += sign * eps
                if target is None:
                    shifted.append(loss(moved, params))
                else:
                    p2 = list(params)
                    p2[target] = moved
                    shifted.append(loss(h, p2))
            numeric[idx] = (shifted[0] - shifted[1]) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_a_dropped_branch_passes_the_example_through_unchanged():
    rng = np.random.default_rng(8)
    h = rng.normal(size=(4, 5))
    keep = np.array([False, True, False, True])
    out, _ = res.residual_block(h, *_block_params(rng), keep, 0.5)
    np.testing.assert_array_equal(out[~keep], h[~keep])


def test_network_gradients_by_finite_differences():
    net = res.ResidualMLP(
        n_in=6, width=5, hidden=4, n_out=3, n_blocks=3, drop_probs=res.linear_decay(3, 0.5), seed=1
    )
    rng = np.random.default_rng(9)
    X = rng.normal(size=(7, 6))
    y = rng.integers(0, 3, size=7)
    masks = net.sample_masks(7, rng)
    masks[0][:] = True
    _, grads = net.loss_and_grads(X, y, masks)
    numeric = numerical_gradients(lambda: net.loss_and_grads(X, y, masks)[0], net.params)
    for k, gradient in enumerate(numeric):
        np.testing.assert_allclose(grads[k], gradient, rtol=1e-5, atol=1e-8)


def test_network_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    net = res.ResidualMLP(
        n_in=6, width=5, hidden=4, n_out=3, n_blocks=2, drop_probs=[0.2, 0.4], seed=2
    )
    rng = np.random.default_rng(10)
    X = rng.normal(size=(8, 6))
    y = rng.integers(0, 3, size=8)
    masks = net.sample_masks(8, rng)
    loss, grads = net.loss_and_grads(X, y, masks)
    params = [torch.tensor(w, requires_grad=True) for w in net.params]
    h = torch.relu(torch.tensor(X) @ params[0] + params[1])
    for i in range(2):
        W1, b1, W2, b2 = params[2 + 4 * i : 6 + 4 * i]
        branch = torch.relu(h @ W1 + b1) @ W2 + b2
        noise = torch.tensor(masks[i], dtype=torch.float64)
        h = h + _torch_stochastic_depth(branch, net.drop_probs[i], True, noise)
    logits = torch.relu(h) @ params[-2] + params[-1]
    torch_loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y))
    torch_loss.backward()
    assert math.isclose(loss, torch_loss.item(), rel_tol=1e-10)
    for ours, theirs in zip(grads, params):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_evaluation_keeps_every_branch_and_skip_removes_one():
    net = res.ResidualMLP(n_in=6, width=5, hidden=4, n_out=3, n_blocks=3, seed=3)
    X = np.random.default_rng(11).normal(size=(5, 6))
    all_kept = [np.ones(5, bool)] * 3
    np.testing.assert_allclose(net.forward(X)[0], net.forward(X, masks=all_kept)[0])
    # Removing block 1 equals dropping its branch for every example (drop probability 0 here).
    dropped = [np.ones(5, bool), np.zeros(5, bool), np.ones(5, bool)]
    np.testing.assert_allclose(net.forward(X, skip={1})[0], net.forward(X, masks=dropped)[0])


def test_training_lowers_the_loss_and_is_deterministic():
    rng = np.random.default_rng(12)
    X = rng.normal(size=(60, 6))
    y = (X[:, 0] > 0).astype(int)
    nets = [
        res.ResidualMLP(
            n_in=6,
            width=8,
            hidden=8,
            n_out=2,
            n_blocks=3,
            drop_probs=res.linear_decay(3, 0.3),
            seed=4,
        )
        for _ in range(2)
    ]
    before = nets[0].loss_and_grads(X, y)[0]
    for net in nets:
        net.fit(X, y, epochs=20, batch_size=10, lr=0.05)
    assert nets[0].loss_and_grads(X, y)[0] < before / 2
    for a, b in zip(nets[0].params, nets[1].params):
        assert np.array_equal(a, b)


def test_comparison_pairs_the_variants_on_each_seed():
    result = res.compare_drop_path(n_blocks=2, width=8, n_train=50, epochs=2, seeds=(0, 1))
    assert result.error_plain.shape == result.error_drop_path.shape == (2,)
    assert result.skip_error_plain.shape == (2, 2)
    np.testing.assert_allclose(result.drop_probs, [0.25, 0.5])


def test_argument_errors():
    with pytest.raises(ValueError, match="x must have an axis"):
        res.drop_path(np.float64(1.0), 0.5)
    with pytest.raises(ValueError, match="keep has shape"):
        res.apply_drop_path(np.ones((3, 2)), np.ones(2, bool), 0.5)
    with pytest.raises(ValueError, match="drop_probs must have one entry per block"):
        res.ResidualMLP(n_blocks=3, drop_probs=[0.1, 0.2])
    with pytest.raises(ValueError, match="drop_probs must be below 1"):
        res.ResidualMLP(n_blocks=1, drop_probs=[1.0])
    with pytest.raises(TypeError, match="training must be a bool"):
        res.drop_path(np.ones(3), 0.5, training="yes")


def test_plot_block_removal_draws_both_variants():
    import matplotlib.figure

    from dropout_lib.plots_modern import plot_block_removal

    result = res.compare_drop_path(n_blocks=2, width=8, n_train=50, epochs=1, seeds=(0,))
    fig = plot_block_removal(result)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes[0].lines) == 3
    with pytest.raises(TypeError, match="DropPathComparison"):
        plot_block_removal(None)


def test_comparison_cells_equal_networks_trained_alone_on_their_seed():
    from dropout_lib.modern._train import digits_train_and_held_out

    result = res.compare_drop_path(n_blocks=2, width=8, n_train=50, epochs=2, seeds=(3,))
    X_train, y_train, X_test, y_test = digits_train_and_held_out(50, 3)
    assert len(y_test) == 1797 - 50
    for probs, error, skip in [
        (None, result.error_plain, result.skip_error_plain),
        (res.linear_decay(2, 0.5), result.error_drop_path, result.skip_error_drop_path),
    ]:
        net = res.ResidualMLP(width=8, hidden=8, n_blocks=2, drop_probs=probs, seed=3)
        net.fit(X_train, y_train, epochs=2)
        assert error[0] == net.error(X_test, y_test)
        assert skip[0, 1] == net.error(X_test, y_test, skip={1})
    # Both variants start from the same weights.
    a = res.ResidualMLP(width=8, hidden=8, n_blocks=2, seed=3)
    b = res.ResidualMLP(width=8, hidden=8, n_blocks=2, drop_probs=[0.25, 0.5], seed=3)
    assert all(np.array_equal(u, v) for u, v in zip(a.params, b.params))
