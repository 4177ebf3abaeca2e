"""Attention with dropout and recurrent masks, against PyTorch where it is installed.

Rows time the library's numpy ``attention`` (forward, and forward plus
``attention_backward``) on a batch of 8 sequences with 4 heads of width 32, at
two sequence lengths, next to ``torch.nn.functional.scaled_dot_product_attention``
with the same shapes, dtype (float32) and ``dropout_p``, and to the same forward
plus autograd's backward. PyTorch and numpy's BLAS both run on one thread (restored afterwards).
The last rows time ``recurrent_masks`` for the recurrent chapter's sizes. The
ratios are for orientation: the numpy version materialises the whole
``(L, L)`` matrix and its mask, as PyTorch's CPU math path does.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from benchmarks.common import median_time, one_thread
from dropout_lib.modern import attention, attention_backward, recurrent_masks

BATCH, HEADS, WIDTH = 8, 4, 32
P = 0.1


def _inputs(length, seed=0):
    rng = np.random.default_rng(seed)
    shape = (BATCH, HEADS, length, WIDTH)
    return [rng.standard_normal(shape, dtype=np.float32) for _ in range(3)]


def _numpy_step(q, k, v, rng):
    out, probs = attention(q, k, v, p=P, rng=rng)
    attention_backward(np.ones_like(out), q, k, v, probs, p=P)


def _torch_forward(torch, q, k, v):
    with torch.no_grad():
        torch.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=P)


def _torch_step(torch, q, k, v):
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=P)
    out.backward(torch.ones_like(out))


def rows():
    with one_thread() as torch:
        yield from _rows(torch)


def _rows(torch):
    for length in (64, 256):
        q, k, v = _inputs(length)
        rng = np.random.default_rng(0)
        label = f"(8 x 4 heads, L={length}, d=32, p={P})"
        forward = median_time(partial(attention, q, k, v, p=P, rng=rng), repeat=7)
        yield f"attention forward numpy {label}", forward * 1e3, "ms", ""
        step = median_time(partial(_numpy_step, q, k, v, rng), repeat=5)
        yield f"attention forward+backward numpy {label}", step * 1e3, "ms", ""
        if torch is None:
            yield f"attention vs torch sdpa {label}", "skipped", "", "torch is not installed"
            continue
        tq, tk, tv = (torch.from_numpy(a) for a in (q, k, v))
        gq, gk, gv = (t.clone().requires_grad_() for t in (tq, tk, tv))
        t_forward = median_time(partial(_torch_forward, torch, tq, tk, tv), repeat=7)
        t_step = median_time(partial(_torch_step, torch, gq, gk, gv), repeat=5)
        yield (
            f"attention forward torch sdpa {label}",
            t_forward * 1e3,
            "ms",
            f"numpy / torch = {forward / t_forward:.1f}",
        )
        yield (
            f"attention forward+backward torch sdpa {label}",
            t_step * 1e3,
            "ms",
            f"numpy / torch = {step / t_step:.1f}",
        )
    seconds = median_time(
        partial(recurrent_masks, 16, 32, 16, 0.5, rng=0, variational=False), repeat=9
    )
    yield "recurrent_masks fresh (16 steps, 32 x 16)", seconds * 1e6, "us", ""
    seconds = median_time(partial(recurrent_masks, 16, 32, 16, 0.5, rng=0), repeat=9)
    yield "recurrent_masks shared (16 steps, 32 x 16)", seconds * 1e6, "us", ""
