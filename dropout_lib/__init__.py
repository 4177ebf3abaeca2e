"""dropout_lib: the companion library of the dropout book.

Throughout, ``p`` is the probability of **dropping** a unit, as in PyTorch and
Keras; ``1 - p`` is the probability of keeping it.
"""

from .layers import Dropout, apply_mask, dropout, dropout_backward
from .masks import (
    MAX_ENUMERATED_UNITS,
    count_subnetworks,
    enumerate_masks,
    network_masks,
    sample_mask,
)
from .mlp import MLP
from .moments import exact_moments, linear_unit_moments, unit_values

__all__ = [
    "Dropout",
    "MAX_ENUMERATED_UNITS",
    "MLP",
    "apply_mask",
    "count_subnetworks",
    "dropout",
    "dropout_backward",
    "enumerate_masks",
    "exact_moments",
    "linear_unit_moments",
    "network_masks",
    "sample_mask",
    "unit_values",
]

__version__ = "0.1.0"
