"""The dropout family and the beyond-the-basics helpers of chapters 8-10, against the core dropout.

Every member runs on the same (256, 1024) float32 batch at p = 0.5, so its cost
can be read relative to ``dropout`` itself.
"""

import numpy as np

from benchmarks.common import median_time
from dropout_lib import dropout
from dropout_lib import family as fam
from dropout_lib import mc_dropout as mc
from dropout_lib import nonlinear as nl


def rows():
    x = np.random.default_rng(0).standard_normal((256, 1024), dtype=np.float32)
    maps = x.reshape(256, 16, 8, 8)
    rng = np.random.default_rng(1)
    base = median_time(lambda: dropout(x, 0.5, rng=rng), repeat=9)
    yield "dropout (core), (256, 1024) float32, p = 0.5", base * 1e3, "ms", "reference"
    members = {
        "gaussian_dropout": lambda: fam.gaussian_dropout(x, 0.5, rng=rng),
        "alpha_dropout": lambda: fam.alpha_dropout(x, 0.5, rng=rng),
        "spatial_dropout (256, 16, 8, 8)": lambda: fam.spatial_dropout(maps, 0.5, rng=rng),
    }
    for name, call in members.items():
        seconds = median_time(call, repeat=9)
        yield f"{name}, p = 0.5", seconds * 1e3, "ms", f"{seconds / base:.2f} x core dropout"
    h = np.abs(x[:64, :128])
    W = np.random.default_rng(2).standard_normal((128, 128), dtype=np.float32)
    seconds = median_time(lambda: fam.dropconnect(h, W, 0.5, rng=rng), repeat=5)
    yield (
        "dropconnect, x (64, 128), W (128, 128)",
        seconds * 1e3,
        "ms",
        "one weight mask per example",
    )
    seconds = median_time(lambda: nl.sigmoid_ensemble(np.ones(16), np.ones(16), 0.5), repeat=5)
    yield "sigmoid_ensemble, n = 16 (65,536 masks)", seconds * 1e3, "ms", ""
    passes = np.random.default_rng(3).random((100, 597, 10))
    seconds = median_time(lambda: mc.predictive_entropy(passes.mean(axis=0)), repeat=9)
    yield "predictive_entropy of 100 MC passes, 597 x 10", seconds * 1e3, "ms", ""
