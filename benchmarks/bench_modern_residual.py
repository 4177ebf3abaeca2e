"""DropPath, DropBlock and batch norm, against PyTorch where it is installed.

All rows use float32 feature maps of shape (64, 32, 16, 16) (N, C, H, W) at
p = 0.1, or (256, 512) features for batch norm. PyTorch has no DropPath or
DropBlock of its own (torchvision has both); the PyTorch rows run the same
semantics written in torch: torchvision's ``stochastic_depth`` in ``"row"`` mode
and ``drop_block2d`` (seeds, a max-pool that grows them into blocks, rescaling by
the kept share), next to ``F.dropout2d``, which DropBlock equals up to the scale
when the block covers the whole map. PyTorch and numpy's BLAS run on one thread
(restored afterwards). The last rows time one training epoch of the chapter's
residual MLP and batch-norm network on 300 and 600 digits.
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import median_time, one_thread
from dropout_lib.data import digits_split
from dropout_lib.modern import BatchNorm, BNNet, ResidualMLP, drop_path, dropblock, linear_decay

SHAPE = (64, 32, 16, 16)
P = 0.1
BLOCK = 5


def _torch_stochastic_depth(torch, x, p):
    survival = 1.0 - p
    noise = torch.empty([x.shape[0]] + [1] * (x.ndim - 1), dtype=x.dtype).bernoulli_(survival)
    return x * noise.div_(survival)


def _torch_drop_block2d(torch, x, p, block_size):
    import torch.nn.functional as F

    n, c, h, w = x.shape
    gamma = p * h * w / (block_size**2 * (h - block_size + 1) * (w - block_size + 1))
    noise = torch.empty((n, c, h - block_size + 1, w - block_size + 1), dtype=x.dtype)
    noise.bernoulli_(gamma)
    pad = block_size // 2
    noise = F.pad(noise, [pad] * 4, value=0)
    noise = F.max_pool2d(noise, stride=(1, 1), kernel_size=(block_size, block_size), padding=pad)
    noise = 1 - noise
    return x * noise * (noise.numel() / (1e-7 + noise.sum()))


def rows():
    with one_thread() as torch:
        yield from _rows(torch)


def _rows(torch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE, dtype=np.float32)
    shape = "x".join(map(str, SHAPE))
    numpy_rows = {
        f"drop_path, {shape} float32, p = {P}": lambda: drop_path(x, P, rng=rng),
        f"dropblock, block {BLOCK}, {shape}, p = {P}": lambda: dropblock(x, P, BLOCK, rng=rng),
    }
    times = {}
    for name, call in numpy_rows.items():
        times[name] = median_time(call, repeat=7)
        yield name, times[name] * 1e3, "ms", "numpy"
    if torch is not None:
        xt = torch.from_numpy(x)
        with torch.no_grad():
            pairs = [
                ("stochastic_depth (row) in torch", lambda: _torch_stochastic_depth(torch, xt, P)),
                ("drop_block2d in torch", lambda: _torch_drop_block2d(torch, xt, P, BLOCK)),
                ("F.dropout2d (channels)", lambda: torch.nn.functional.dropout2d(xt, P)),
            ]
            references = list(times.values()) + [None]
            for (name, call), ours in zip(pairs, references):
                seconds = median_time(call, repeat=7)
                note = "" if ours is None else f"numpy / torch = {ours / seconds:.2f}"
                yield f"{name}, {shape}, p = {P}", seconds * 1e3, "ms", note
    features = rng.standard_normal((256, 512))
    layer = BatchNorm(512)
    seconds = median_time(lambda: layer.forward(features), repeat=9)
    yield "BatchNorm forward (train), 256x512 float64", seconds * 1e3, "ms", "numpy"
    if torch is not None:
        bn = torch.nn.BatchNorm1d(512, dtype=torch.float64)
        ft = torch.from_numpy(features)
        with torch.no_grad():
            ref = median_time(lambda: bn(ft), repeat=9)
        yield (
            "BatchNorm1d forward (train), 256x512 float64",
            ref * 1e3,
            "ms",
            f"numpy / torch = {seconds / ref:.2f}",
        )
    split = digits_split(300, seed=0)
    net = ResidualMLP(width=48, hidden=48, n_blocks=6, drop_probs=linear_decay(6, 0.5))
    seconds = median_time(lambda: net.fit(split.X_train, split.y_train, epochs=1), repeat=5)
    yield "ResidualMLP epoch, 6 blocks of 48, 300 digits", seconds * 1e3, "ms", "chapter 13 setting"
    split = digits_split(600, seed=0)
    bnnet = BNNet((64, 64, 64, 64, 64, 10), p_before_bn=0.5)
    seconds = median_time(lambda: bnnet.fit(split.X_train, split.y_train, epochs=1), repeat=5)
    yield "BNNet epoch, 64-64-64-64-64-10, 600 digits", seconds * 1e3, "ms", "chapter 13 setting"
