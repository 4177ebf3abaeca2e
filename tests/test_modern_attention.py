"""Attention with dropout on its probabilities, against PyTorch, closed forms and enumeration.

The probabilities after dropout are ``A * m / (1 - p)`` with ``A`` the softmax
and ``m`` independent keep indicators, so for a single query and a value row
``v_j`` per key: ``E[out] = sum_j A_j v_j`` (the evaluation output) and
``Var[out] = p / (1 - p) * sum_j A_j^2 v_j^2`` per output column.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import numerical_gradients

from dropout_lib.masks import enumerate_masks
from dropout_lib.modern.attention import (
    AttentionGrads,
    TinyAttention,
    attention,
    attention_backward,
    causal_mask,
    masked_attention,
    philox_keep_mask,
    recall_task,
)


def _qkv(batch=(2, 3), l_q=5, l_k=7, d_k=4, d_v=6, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(*batch, l_q, d_k)).astype(dtype)
    k = rng.normal(size=(*batch, l_k, d_k)).astype(dtype)
    v = rng.normal(size=(*batch, l_k, d_v)).astype(dtype)
    return q, k, v


def _softmax(scores):
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --- semantics without dropout ---------------------------------------------


def test_p_zero_is_softmax_attention_by_definition():
    q, k, v = _qkv()
    weights = _softmax(q @ np.swapaxes(k, -1, -2) / 2.0)  # sqrt(d_k) = 2
    out, probs = attention(q, k, v)
    np.testing.assert_allclose(probs, weights, rtol=1e-12)
    np.testing.assert_allclose(out, weights @ v, rtol=1e-12)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-12)


def test_evaluation_ignores_p_and_rng():
    q, k, v = _qkv()
    a = attention(q, k, v, p=0.7, rng=1, training=False)
    b = attention(q, k, v)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_causal_mask_is_lower_triangular_and_blocks_the_future():
    allowed = causal_mask(3, 4)
    np.testing.assert_array_equal(allowed, [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0]])
    q, k, v = _qkv(l_q=4, l_k=4)
    _, probs = attention(q, k, v, causal=True)
    assert np.all(probs[..., ~causal_mask(4, 4)] == 0)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-12)
    # The first query sees only the first key.
    np.testing.assert_allclose(probs[..., 0, 0], 1.0)


def test_p_one_gives_zeros_while_training():
    q, k, v = _qkv()
    out, probs = attention(q, k, v, p=1.0, rng=0)
    assert out.shape == (2, 3, 5, 6) and probs.shape == (2, 3, 5, 7)
    assert not out.any() and not probs.any()


def test_shapes_broadcast_over_leading_sizes():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 1, 5, 4))
    k = rng.normal(size=(3, 7, 4))
    v = rng.normal(size=(1, 7, 6))
    out, probs = attention(q, k, v, p=0.2, rng=0)
    assert out.shape == (2, 3, 5, 6) and probs.shape == (2, 3, 5, 7)


def test_float32_stays_float32():
    q, k, v = _qkv(dtype=np.float32)
    out, probs = attention(q, k, v, p=0.1, rng=0)
    assert out.dtype == np.float32 and probs.dtype == np.float32


def test_inputs_are_not_modified():
    q, k, v = _qkv()
    copies = [a.copy() for a in (q, k, v)]
    out, probs = attention(q, k, v, p=0.3, rng=0, causal=True)
    attention_backward(np.ones_like(out), q, k, v, probs, p=0.3, causal=True)
    for a, b in zip((q, k, v), copies):
        np.testing.assert_array_equal(a, b)


def test_same_seed_same_mask():
    q, k, v = _qkv()
    a = attention(q, k, v, p=0.4, rng=5)[1]
    b = attention(q, k, v, p=0.4, rng=np.random.default_rng(5))[1]
    np.testing.assert_array_equal(a, b)


# --- dropout on the probabilities: closed forms and enumeration -------------


def test_kept_entries_are_softmax_over_keep_probability():
    q, k, v = _qkv()
    p = 0.3
    _, dropped = attention(q, k, v, p=p, rng=0)
    _, clean = attention(q, k, v)
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], clean[kept] / (1 - p), rtol=1e-12)


def test_drop_share_is_p_within_standard_error():
    rng = np.random.default_rng(3)
    q, k, v = (
        rng.normal(size=(200, 16, 8)),
        rng.normal(size=(200, 16, 8)),
        rng.normal(size=(200, 16, 2)),
    )
    p = 0.25
    _, probs = attention(q, k, v, p=p, rng=1)
    n = probs.size
    share = np.mean(probs == 0)
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_exact_enumeration_gives_eval_mean_and_closed_form_variance():
    q, k, v = _qkv(batch=(), l_q=1, l_k=3, d_k=2, d_v=2, seed=4)
    p = 0.35
    masks, weights = enumerate_masks(3, p)
    outs = np.stack([masked_attention(q, k, v, m[None], p=p)[0][0] for m in masks])
    mean = weights @ outs
    var = weights @ (outs - mean) ** 2
    _, soft = attention(q, k, v)
    np.testing.assert_allclose(mean, (soft @ v)[0], rtol=1e-12)
    closed = p / (1 - p) * (soft[0] ** 2) @ (v**2)
    np.testing.assert_allclose(var, closed, rtol=1e-12)


def test_monte_carlo_mean_matches_evaluation_within_standard_error():
    q, k, v = _qkv(batch=(), l_q=2, l_k=5, seed=7)
    p = 0.2
    draws = 20_000
    qs = np.broadcast_to(q, (draws, *q.shape))
    outs, _ = attention(qs, k, v, p=p, rng=0)
    mean, se = outs.mean(axis=0), outs.std(axis=0, ddof=1) / np.sqrt(draws)
    expected = attention(q, k, v)[0]
    assert np.all(np.abs(mean - expected) < 4 * se)


def test_row_sums_are_one_on_average():
    q, k, v = _qkv(batch=(4000,), l_q=1, l_k=6, seed=2)
    _, probs = attention(q, k, v, p=0.3, rng=0)
    sums = probs.sum(axis=-1).ravel()
    assert abs(sums.mean() - 1) < 4 * sums.std(ddof=1) / np.sqrt(sums.size)
    assert sums.std() > 0  # not renormalised: a row sums to 1 only on average


# --- backward pass: finite differences ---------------------------------------


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("p", [0.0, 0.3])
def test_backward_matches_finite_differences(causal, p):
    q, k, v = _qkv(batch=(2,), l_q=4, l_k=4 if causal else 5, d_k=3, d_v=2, seed=1)
    out, probs = attention(q, k, v, p=p, rng=3, causal=causal)
    keep = probs != 0
    dout = np.random.default_rng(9).normal(size=out.shape)
    grads = attention_backward(dout, q, k, v, probs, p=p, causal=causal)
    assert isinstance(grads, AttentionGrads)

    def loss():
        return float((masked_attention(q, k, v, keep, p=p, causal=causal)[0] * dout).sum())

    numeric = numerical_gradients(loss, [q, k, v])
    for analytic, gradient in zip((grads.dq, grads.dk, grads.dv), numeric, strict=True):
        np.testing.assert_allclose(analytic, gradient, rtol=1e-6, atol=1e-8)


def test_backward_sums_broadcast_gradients():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(2, 3, 4))
    k = rng.normal(size=(1, 5, 4))
    v = rng.normal(size=(5, 2))
    out, probs = attention(q, k, v, p=0.2, rng=0)
    grads = attention_backward(np.ones_like(out), q, k, v, probs, p=0.2)
    assert grads.dq.shape == q.shape and grads.dk.shape == k.shape and grads.dv.shape == v.shape
    full = attention_backward(
        np.ones_like(out), q, np.broadcast_to(k, (2, 5, 4)), np.broadcast_to(v, (2, 5, 2)),
        probs, p=0.2,
    )  # fmt: skip
    np.testing.assert_allclose(grads.dk, full.dk.sum(axis=0, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(grads.dv, full.dv.sum(axis=0), rtol=1e-12)


def test_tiny_attention_gradients_match_finite_differences():
    task = recall_task(6, n_pairs=3, n_symbols=4, rng=0)
    model = TinyAttention(task.X.shape[-1], 4, d=3, p=0.3, seed=0)
    _, grads = model.loss_and_gradients(task.X, task.y, rng=11)
    eps = 1e-6
    for name, analytic in grads.items():
        numeric = np.zeros_like(analytic)
        for index in np.ndindex(analytic.shape):
            saved = model.params[name][index]
            model.params[name][index] = saved + eps
            up = model.loss_and_gradients(task.X, task.y, rng=11)[0]
            model.params[name][index] = saved - eps
            down = model.loss_and_gradients(task.X, task.y, rng=11)[0]
            model.params[name][index] = saved
            numeric[index] = (up - down) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-9)


def test_recall_task_labels_are_the_value_paired_with_the_query():
    n_symbols = 5
    task = recall_task(50, n_pairs=4, n_symbols=n_symbols, rng=1)
    for x, label in zip(task.X, task.y):
        query_key = np.argmax(x[-1, :n_symbols])
        position = np.flatnonzero(x[:-1, query_key])
        assert position.size == 1  # keys are distinct within a sequence
        assert np.argmax(x[position[0], n_symbols : 2 * n_symbols]) == label


def test_tiny_attention_learns_the_recall_task():
    train = recall_task(300, rng=0)
    test = recall_task(500, rng=1)
    model = TinyAttention(train.X.shape[-1], train.n_symbols, d=16, seed=0)
    chance = 1 - 1 / train.n_symbols
    before = model.error(test.X, test.y)
    model.fit(train.X, train.y, steps=300)
    assert model.error(test.X, test.y) < 0.1 < chance - 0.2 < before


# --- counter-based masks -----------------------------------------------------


def test_philox_mask_regenerates_from_seed_and_offset():
    full = philox_keep_mask((6, 10), 0.3, seed=42)
    np.testing.assert_array_equal(full, philox_keep_mask((6, 10), 0.3, seed=42))
    flat = full.ravel()
    for start, stop in ((0, 7), (7, 30), (30, 33), (33, 60)):
        tile = philox_keep_mask(stop - start, 0.3, seed=42, offset=start)
        np.testing.assert_array_equal(tile, flat[start:stop])
    assert not np.array_equal(full, philox_keep_mask((6, 10), 0.3, seed=43))


def test_philox_mask_keeps_one_minus_p_within_standard_error():
    p, n = 0.1, 200_000
    share = philox_keep_mask(n, p, seed=0).mean()
    assert abs(share - (1 - p)) < 4 * np.sqrt(p * (1 - p) / n)


# --- PyTorch ------------------------------------------------------------------


@pytest.mark.parametrize("causal", [False, True])
def test_equals_torch_scaled_dot_product_attention(causal):
    torch = pytest.importorskip("torch")
    q, k, v = _qkv(l_q=6, l_k=6 if causal else 7)
    expected = torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), is_causal=causal
    ).numpy()
    for kwargs in ({}, {"p": 0.5, "rng": 0, "training": False}):
        out, _ = attention(q, k, v, causal=causal, **kwargs)
        np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


def test_multihead_attention_drops_the_weights_and_scales_by_keep():
    """nn.MultiheadAttention(dropout=p) in training mode: dropout on the softmax weights.

    With identity projections and the identity matrix as input, queries, keys
    and values are all ``I``, so the output is the weight matrix after dropout.
    The library, given torch's keep-mask, must give the same output and weights.
    """
    torch = pytest.importorskip("torch")
    size, p = 16, 0.4
    layer = torch.nn.MultiheadAttention(size, num_heads=1, dropout=p, bias=False).double()
    with torch.no_grad():
        layer.in_proj_weight.copy_(torch.eye(size).repeat(3, 1))
        layer.out_proj.weight.copy_(torch.eye(size))
    layer.train()
    torch.manual_seed(0)
    x = torch.eye(size, dtype=torch.float64)
    out, weights = layer(x, x, x, need_weights=True)
    out, weights = out.detach().numpy(), weights.detach().numpy()
    np.testing.assert_allclose(out, weights, atol=1e-12)
    keep = weights != 0
    eye = np.eye(size)
    mine_out, mine_probs = masked_attention(eye, eye, eye, keep, p=p)
    np.testing.assert_allclose(mine_probs, weights, rtol=1e-12)
    np.testing.assert_allclose(mine_out, out, rtol=1e-12, atol=1e-14)
    # and the kept weights are the softmax divided by 1 - p
    soft = attention(eye, eye, eye)[1]
    np.testing.assert_allclose(weights[keep], soft[keep] / (1 - p), rtol=1e-12)
    layer.eval()
    np.testing.assert_allclose(layer(x, x, x)[1].detach().numpy(), soft, rtol=1e-12)


def test_backward_equals_torch_autograd():
    torch = pytest.importorskip("torch")
    q, k, v = _qkv(l_q=5, l_k=5)
    p = 0.3
    out, probs = attention(q, k, v, p=p, rng=0, causal=True)
    keep = torch.from_numpy(probs != 0)
    tq, tk, tv = (torch.from_numpy(a).requires_grad_() for a in (q, k, v))
    scores = tq @ tk.transpose(-1, -2) / 2.0
    scores = scores.masked_fill(~torch.ones(5, 5, dtype=torch.bool).tril(), float("-inf"))
    dropped = torch.softmax(scores, dim=-1) * keep / (1 - p)
    dout = np.random.default_rng(1).normal(size=out.shape)
    (dropped @ tv).backward(torch.from_numpy(dout))
    grads = attention_backward(dout, q, k, v, probs, p=p, causal=True)
    np.testing.assert_allclose(grads.dq, tq.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads.dk, tk.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads.dv, tv.grad.numpy(), rtol=1e-10, atol=1e-12)


# --- argument checks ----------------------------------------------------------


def test_mismatched_shapes_raise_value_error_naming_them():
    q, k, v = _qkv()
    with pytest.raises(ValueError, match="q and k"):
        attention(q, k[..., :3], v)
    with pytest.raises(ValueError, match="k and v"):
        attention(q, k, v[..., :6, :])
    with pytest.raises(ValueError, match="q must have shape"):
        attention(q[0, 0, 0], k, v)
    with pytest.raises(ValueError, match="probs must have shape"):
        attention_backward(np.ones((2, 3, 5, 6)), q, k, v, np.ones((5, 7)), p=0.1)


@pytest.mark.parametrize("p", [1.5, -0.1, float("nan")])
def test_bad_p_raises_value_error(p):
    q, k, v = _qkv()
    with pytest.raises(ValueError, match="p"):
        attention(q, k, v, p=p)


def test_bad_types_raise_type_error():
    q, k, v = _qkv()
    with pytest.raises(TypeError, match="p"):
        attention(q, k, v, p="0.1")
    with pytest.raises(TypeError, match="q"):
        attention("abc", k, v)
    with pytest.raises(TypeError, match="rng"):
        attention(q, k, v, p=0.1, rng="seed")
    with pytest.raises(TypeError, match="seed"):
        philox_keep_mask(3, 0.1, seed=1.5)


def test_attention_experiment_is_paired_and_deterministic():
    from dropout_lib.modern.attention import attention_experiment

    kwargs = dict(p_values=(0.0, 0.3), seeds=(0, 1), n_train=12, n_test=30, steps=4, d=4)
    a = attention_experiment(**kwargs)
    b = attention_experiment(**kwargs)
    assert a.test_error.shape == a.train_error.shape == (2, 2)
    np.testing.assert_array_equal(a.test_error, b.test_error)
    assert np.all((0 <= a.test_error) & (a.test_error <= 1))
    # p = 0 in the experiment is the model trained alone on the same seed's data
    data_rng = np.random.default_rng([1, 1])
    train = recall_task(12, label_noise=0.2, rng=data_rng)
    test = recall_task(30, rng=data_rng)
    model = TinyAttention(train.X.shape[-1], 8, d=4, seed=1)
    model.fit(train.X, train.y, steps=4)
    assert model.error(test.X, test.y) == a.test_error[0, 1]
    with pytest.raises(ValueError, match="p_values"):
        attention_experiment(p_values=(1.0,), seeds=(0,), steps=1)
