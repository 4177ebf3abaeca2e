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
from .recurrent import TinyRNN, first_symbol_task, recurrent_masks

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
]
