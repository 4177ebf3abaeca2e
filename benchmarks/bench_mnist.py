"""The real-MNIST experiments of the evidence chapter on the paper's MNIST results.

Rows: loading and splitting the 5,000 digits, one training epoch of the
classifier and of the autoencoder, and each experiment at the size the chapter
runs it (once each: they take seconds, and their sum is most of the chapter's
execution time).
"""

from benchmarks.common import median_time
from dropout_lib import _engine
from dropout_lib import mnist_experiments as mx
from dropout_lib.autoencoder import Autoencoder
from dropout_lib.data import _mnist, mnist_split
from dropout_lib.mlp import MLP


def rows():
    def load():
        _mnist.cache_clear()
        mnist_split(3000, 0, 1000, seed=0)

    seconds = median_time(load, repeat=3)
    yield "mnist_split(3000, 0, 1000), reading the csv.gz", seconds * 1e3, "ms", "uncached"
    data = mnist_split(3000, 0, 1000, seed=0)
    model = MLP((784, 256, 256, 10), p_input=0.2, p_hidden=0.5, max_norm=3.5, seed=0)
    seconds = median_time(
        lambda: model.fit(data.X_train, data.y_train, epochs=1, batch_size=100, lr=0.05),
        repeat=3,
    )
    yield (
        "MLP 784-256-256-10 dropout + max-norm, 1 epoch of 3,000, batch 100",
        seconds,
        "s",
        f"{_engine.blas_threads(model.layer_sizes, 100)} BLAS threads (chosen by size)",
    )
    seconds = median_time(
        lambda: _engine.fit_many(
            [model], [(data.X_train, data.y_train)], epochs=1, batch_size=100, lr=0.05, threads=1
        ),
        repeat=3,
    )
    yield "the same epoch on 1 BLAS thread (as the chapter runs it)", seconds, "s", "threads=1"
    auto = Autoencoder(784, 256, p_hidden=0.5, seed=0)
    seconds = median_time(lambda: auto.fit(data.X_train[:2000], epochs=1, lr=0.01), repeat=3)
    yield "Autoencoder 784-256-784 dropout 0.5, 1 epoch of 2,000, batch 32", seconds, "s", ""
    for name, call in (
        ("learning_rate_sweep() (chapter size: 2 x 4 rates x 5 seeds)", mx.learning_rate_sweep),
        ("regulariser_table() (chapter size: 6 variants x 5 seeds)", mx.regulariser_table),
        ("autoencoder_features() (chapter size: 2 x 5 seeds)", mx.autoencoder_features),
    ):
        seconds = median_time(call, repeat=1, warmup=0)
        yield name, seconds, "s", "once"
