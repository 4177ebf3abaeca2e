"""Dropout in today's networks: attention, recurrent nets, residual nets, batch norm.

Plain numpy, with the library's conventions: ``p`` is the drop probability,
randomness comes from a ``numpy.random.Generator`` passed as ``rng`` (or a seed),
evaluation mode is deterministic and no function modifies its inputs.
"""

from .attention import (
    TinyAttention,
    attention,
    attention_backward,
    causal_mask,
    masked_attention,
    philox_keep_mask,
    recall_task,
)
from .batchnorm import BatchNorm, BNNet, variance_shift, variance_shift_ratio
from .dropblock import dropblock, dropblock_drop_share, dropblock_gamma, dropblock_mask
from .recurrent import TinyRNN, first_symbol_task, recurrent_masks
from .residual import (
    ResidualMLP,
    depth_distribution,
    drop_path,
    drop_path_backward,
    drop_path_mask,
    expected_depth,
    linear_decay,
)

__all__ = [
    "TinyAttention",
    "TinyRNN",
    "attention",
    "attention_backward",
    "causal_mask",
    "first_symbol_task",
    "masked_attention",
    "philox_keep_mask",
    "recall_task",
    "recurrent_masks",
    # residual nets, DropBlock and batch norm
    "BNNet",
    "BatchNorm",
    "ResidualMLP",
    "depth_distribution",
    "drop_path",
    "drop_path_backward",
    "drop_path_mask",
    "dropblock",
    "dropblock_drop_share",
    "dropblock_gamma",
    "dropblock_mask",
    "expected_depth",
    "linear_decay",
    "variance_shift",
    "variance_shift_ratio",
]
