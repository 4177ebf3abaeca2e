"""Shared pytest setup: a non-interactive matplotlib backend and common fixtures."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

try:
    import torch
except ImportError:  # torch is optional: its comparison tests skip without it
    torch = None


@pytest.fixture
def rng():
    """A fixed-seed generator, so every statistical test is reproducible."""
    return np.random.default_rng(20140101)
