"""DropBlock of dropout_lib.modern.dropblock.

Truth comes from torchvision's ``drop_block2d`` construction written in torch
(seeds in the valid region, a max-pool that grows each seed into its block, a
rescaling by the kept share), PyTorch's ``F.dropout2d`` for the channel-wise
case (block_size = H = W), exact enumeration of every seed pattern of a tiny
map, the closed form of the dropped share with its standard error, and finite
differences of the backward pass.
"""

from __future__ import annotations

import importlib
import itertools
import math

import numpy as np
import pytest

db = importlib.import_module("dropout_lib.modern.dropblock")


def test_gamma_formula_and_its_bounds():
    # p / b^2 * H W / ((H - b + 1)(W - b + 1)) for an 8 x 8 map and 3 x 3 blocks.
    assert math.isclose(db.dropblock_gamma(0.1, 3, 8, 8), 0.1 * 64 / (9 * 36), rel_tol=1e-15)
    assert math.isclose(db.dropblock_gamma(0.2, 2, 5, 7), 0.2 * 35 / (4 * 4 * 6), rel_tol=1e-15)
    assert db.dropblock_gamma(0.3, 1, 6, 6) == pytest.approx(0.3)
    assert db.dropblock_gamma(0.3, 6, 6, 6) == pytest.approx(0.3)
    for b in range(1, 9):
        assert db.dropblock_gamma(0.5, b, 8, 8) <= 0.5 + 1e-15


def test_evaluation_and_p_zero_are_copies_and_float32_stays():
    x = np.arange(2 * 3 * 4 * 4, dtype=np.float32).reshape(2, 3, 4, 4)
    for out in (db.dropblock(x, 0.3, 2, training=False), db.dropblock(x, 0.0, 2, rng=0)):
        assert np.array_equal(out, x) and out is not x
    assert db.dropblock(x, 0.3, 2, rng=0).dtype == np.float32
    before = x.copy()
    db.dropblock(x, 0.5, 3, rng=1)
    assert np.array_equal(x, before)


def _torch_block_mask(seeds, block_size):
    """torchvision.ops.drop_block2d's mask from given seeds (odd block sizes), in torch."""
    import torch
    import torch.nn.functional as F

    noise = torch.tensor(seeds, dtype=torch.float64)
    pad = block_size // 2
    noise = F.pad(noise, [pad] * 4, value=0)
    noise = F.max_pool2d(noise, stride=(1, 1), kernel_size=(block_size, block_size), padding=pad)
    return (1 - noise).numpy().astype(bool)


def test_mask_matches_torchvisions_construction_from_the_same_seeds():
    pytest.importorskip("torch")
    shape, p = (3, 2, 9, 7), 0.3
    for block_size in (1, 3, 5):
        gamma = db.dropblock_gamma(p, block_size, shape[2], shape[3])
        rng = np.random.default_rng(block_size)
        seeds = rng.random(shape[:2] + (shape[2] - block_size + 1, shape[3] - block_size + 1))
        ours = db.dropblock_mask(shape, p, block_size, np.random.default_rng(block_size))
        theirs = _torch_block_mask(seeds < gamma, block_size)
        assert np.array_equal(ours, theirs)
        x = np.random.default_rng(0).normal(size=shape)
        scale = ours.size / ours.sum()  # torchvision: noise.numel() / noise.sum()
        np.testing.assert_allclose(db.apply_block_mask(x, ours), x * ours * scale, rtol=1e-12)


def test_whole_map_blocks_are_dropout2d_up_to_the_scale():
    torch = pytest.importorskip("torch")
    # block_size = H = W: gamma = p and one seed per channel, which drops the channel.
    x = np.random.default_rng(1).normal(size=(50, 8, 4, 4)) + 3.0
    p = 0.4
    keep = db.dropblock_mask(x.shape, p, 4, rng=2)
    per_channel = keep.reshape(50, 8, -1)
    assert np.all(per_channel.all(axis=2) | ~per_channel.any(axis=2))
    torch.manual_seed(0)
    ref = torch.nn.functional.dropout2d(torch.tensor(x), p, training=True).numpy()
    ref_keep = np.all(ref != 0, axis=(2, 3), keepdims=True)
    np.testing.assert_allclose(ref, np.where(ref_keep, x / (1 - p), 0.0), rtol=1e-12)
    # Same structure: given dropout2d's channel mask, DropBlock's output is dropout2d's,
    # rescaled from 1 / (1 - p) to the inverse of the kept share.
    mask = np.broadcast_to(ref_keep, x.shape)
    ours = db.apply_block_mask(x, mask)
    np.testing.assert_allclose(ours, ref * (1 - p) * mask.size / mask.sum(), rtol=1e-12)
    # Same rate: both drop a share p of the channels, within the standard error.
    se = math.sqrt(p * (1 - p) / 400)
    assert abs((~ref_keep).mean() - p) < 4 * se
    assert abs((~per_channel.all(axis=2)).mean() - p) < 4 * se


def test_exact_enumeration_of_every_seed_pattern_of_a_tiny_map():
    # A 3 x 3 map with 2 x 2 blocks has 4 seed positions: 16 patterns.
    p, b, size = 0.5, 2, 3
    gamma = db.dropblock_gamma(p, b, size, size)
    share = 0.0
    for bits in itertools.product([False, True], repeat=4):
        seeds = np.array(bits).reshape(2, 2)
        dropped = np.zeros((size, size), bool)
        for i, j in zip(*np.nonzero(seeds)):
            dropped[i : i + b, j : j + b] = True
        share += gamma ** seeds.sum() * (1 - gamma) ** (~seeds).sum() * dropped.mean()
    assert math.isclose(db.dropblock_drop_share(p, b, size, size), share, rel_tol=1e-12)
    # And each of the 16 masks appears with its probability, within standard errors.
    n = 40_000
    masks = db.dropblock_mask((n, 1, size, size), p, b, rng=3)[:, 0]
    corners = ~masks[:, [0, 0, 2, 2], [0, 2, 0, 2]]  # a corner is dropped iff its seed fired
    for k in range(4):
        assert abs(corners[:, k].mean() - gamma) < 4 * math.sqrt(gamma * (1 - gamma) / n)
    assert abs((~masks).mean() - share) < 4 * (~masks).reshape(n, -1).mean(1).std() / math.sqrt(n)


def test_drop_share_closed_form_within_standard_error_and_below_p():
    n, c, size = 400, 8, 8
    for p, b in ((0.1, 3), (0.3, 3), (0.2, 5), (0.25, 1)):
        keep = db.dropblock_mask((n, c, size, size), p, b, rng=4)
        per_map = (~keep).reshape(n * c, -1).mean(axis=1)  # the maps are independent
        se = per_map.std(ddof=1) / math.sqrt(n * c)
        closed = db.dropblock_drop_share(p, b, size, size)
        assert abs(per_map.mean() - closed) < 4 * se
        assert closed <= p + 1e-12
        if b == 1:
            assert closed == pytest.approx(p)


def test_blocks_are_whole_squares_inside_the_map():
    keep = db.dropblock_mask((20, 3, 10, 10), 0.2, 3, rng=5)
    dropped = ~keep
    # Every dropped unit lies in a 3 x 3 all-dropped square that fits inside the map.
    for n, ch, i, j in zip(*np.nonzero(dropped)):
        ok = any(
            dropped[n, ch, a : a + 3, c0 : c0 + 3].all()
            for a in range(max(0, i - 2), min(i, 7) + 1)
            for c0 in range(max(0, j - 2), min(j, 7) + 1)
        )
        assert ok


def test_rescaling_keeps_the_sum_of_the_tensor():
    x = np.ones((4, 3, 8, 8))
    out = db.dropblock(x, 0.3, 3, rng=6)
    assert math.isclose(out.sum(), x.sum(), rel_tol=1e-12)
    assert np.array_equal(db.apply_block_mask(x, np.zeros(x.shape, bool)), np.zeros_like(x))


def test_backward_by_finite_differences():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 2, 5, 5))
    keep = db.dropblock_mask(x.shape, 0.3, 2, rng=8)
    weights = rng.normal(size=x.shape)
    dx = db.dropblock_backward(weights, keep)
    eps = 1e-6
    numeric = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        up = np.sum(weights * db.apply_block_mask(x + step, keep))
        down = np.sum(weights * db.apply_block_mask(x - step, keep))
        numeric[idx] = (up - down) / (2 * eps)
    np.testing.assert_allclose(dx, numeric, rtol=1e-7, atol=1e-9)


def test_argument_errors():
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\)"):
        db.dropblock(np.ones((3, 4)), 0.1, 1)
    with pytest.raises(ValueError, match="block_size must be at most"):
        db.dropblock(np.ones((1, 1, 4, 4)), 0.1, 5)
    with pytest.raises(TypeError, match="block_size must be an int"):
        db.dropblock(np.ones((1, 1, 4, 4)), 0.1, 2.0)
    with pytest.raises(ValueError, match="keep has shape"):
        db.apply_block_mask(np.ones((1, 1, 4, 4)), np.ones((1, 1, 4, 3), bool))


def test_plot_masks_draws_one_row_per_kind_and_refuses_ragged_rows():
    import matplotlib.figure

    from dropout_lib.plots_modern import plot_masks

    keep = db.dropblock_mask((3, 1, 8, 8), 0.3, 3, rng=9)[:, 0]
    fig = plot_masks([keep, ~keep], ["blocks", "complement"])
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 6
    with pytest.raises(ValueError, match="same number of maps"):
        plot_masks([keep, keep[:2]], ["a", "b"])
