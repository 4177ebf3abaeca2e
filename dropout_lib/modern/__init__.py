"""Dropout in today's networks: attention, recurrent nets, residual nets, batch norm.

Plain numpy, with the library's conventions: ``p`` is the drop probability,
randomness comes from a ``numpy.random.Generator`` passed as ``rng`` (or a seed),
evaluation mode is deterministic and no function modifies its inputs.
"""

from .attention import attention, attention_backward, masked_attention
from .recurrent import recurrent_masks

__all__ = [
    "attention",
    "attention_backward",
    "masked_attention",
    "recurrent_masks",
]
