"""Training speed of dropout_lib.mlp against PyTorch on the CPU (target: ratio <= 1).

Both sides train the same network, ``d-W-W-10`` with ReLU, input dropout
p = 0.2 and hidden dropout p = 0.5, by SGD with momentum (lr 0.05, momentum
0.9) on mini-batches of 32, and both compute the training error at the end of
the epoch, as :meth:`MLP.fit` does. Two data sets, four widths W:

- ``digits``: the 1200 training digits of ``digits_split(seed=0)``, d = 64;
- ``784-input``: 2000 synthetic examples of d = 784 uniform float32 pixels and
  10 random classes, the shape of MNIST (only the time is measured, so the
  labels need not be learnable).

PyTorch runs a plain loop over index slices of pre-made tensors (no
DataLoader, whose overhead would flatter numpy). Both sides get the SAME
number of threads: the number of BLAS threads the engine picks for that network
(``dropout_lib._engine.blas_threads``: 1 up to width 256, 2 from width 512;
with 2 it still runs the weight-gradient products on 1), and
``torch.set_num_threads`` is set to it. The note says how the ratio looks
against PyTorch on the other thread count too. The two sides are timed
alternately, epoch by epoch, in this one run, and each time is the median over
the epochs, so the ratio compares like with like on a busy machine too
(though two threads on a machine whose other core is busy stall on both sides).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import time

import numpy as np

from dropout_lib.data import digits_split
from dropout_lib.mlp import MLP

WIDTHS = (128, 256, 512, 1024)
P_INPUT, P_HIDDEN = 0.2, 0.5
BATCH = 32
LR, MOMENTUM = 0.05, 0.9
EPOCHS = 7  # timed epochs per side, after one untimed warm-up epoch


def _threads_for(sizes, batch_size):
    """BLAS threads the engine uses for this network (1 before the engine existed)."""
    try:
        from dropout_lib._engine import blas_threads
    except ImportError:
        return 1
    return blas_threads(sizes, batch_size)


def datasets():
    """``{name: (X, y)}``: the digits and a synthetic 784-input set, float32 and int64."""
    digits = digits_split(seed=0)
    rng = np.random.default_rng(0)
    X = rng.random((2000, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=2000)
    return {"digits": (digits.X_train, digits.y_train), "784-input": (X, y)}


def numpy_epoch(sizes, X, y):
    """A function that trains one more epoch of a dropout_lib network."""
    model = MLP(sizes, p_input=P_INPUT, p_hidden=P_HIDDEN, seed=0)
    return lambda: model.fit(X, y, epochs=1, batch_size=BATCH, lr=LR, momentum=MOMENTUM)


def torch_epoch(torch, sizes, X, y):
    """A function that trains one more epoch of the same network in PyTorch."""
    torch.manual_seed(0)
    layers = [torch.nn.Dropout(P_INPUT)]
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU(), torch.nn.Dropout(P_HIDDEN)]
    layers.append(torch.nn.Linear(sizes[-2], sizes[-1]))
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = torch.nn.CrossEntropyLoss()
    X = torch.from_numpy(X)
    y = torch.from_numpy(y)
    generator = torch.Generator().manual_seed(0)

    def epoch():
        model.train()
        order = torch.randperm(len(X), generator=generator)
        X_shuffled, y_shuffled = X[order], y[order]
        for start in range(0, len(X), BATCH):
            optimizer.zero_grad()
            loss = loss_fn(
                model(X_shuffled[start : start + BATCH]), y_shuffled[start : start + BATCH]
            )
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            return (model(X).argmax(dim=1) != y).float().mean().item()

    return epoch


def side_by_side(functions, *, epochs=EPOCHS):
    """Median seconds of each function, calling them in turn ``epochs`` times after a warm-up."""
    for function in functions:
        function()
    times = [[] for _ in functions]
    for _ in range(epochs):
        for function, record in zip(functions, times):
            start = time.perf_counter()
            function()
            record.append(time.perf_counter() - start)
    return [statistics.median(record) for record in times]


def profile_note(sizes, X, y):
    """Where one numpy epoch spends its time, as the top three functions."""
    model = MLP(sizes, p_input=P_INPUT, p_hidden=P_HIDDEN, seed=0)
    profiler = cProfile.Profile()
    profiler.runcall(model.fit, X, y, epochs=2, batch_size=BATCH)
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream).sort_stats("tottime")
    total = stats.total_tt
    top = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:3]
    return "; ".join(
        f"{func[2]} {100 * tottime / total:.0f}%" for func, (_, _, tottime, _, _) in top
    )


def rows():
    try:
        import torch
    except ImportError:
        torch = None
    if torch is None:
        yield "mlp epoch ratio, PyTorch CPU", "skipped", "", "torch is not installed"
    original_threads = None if torch is None else torch.get_num_threads()
    cores = os.cpu_count() or 1
    try:
        for name, (X, y) in datasets().items():
            for width in WIDTHS:
                sizes = (X.shape[1], width, width, 10)
                threads = _threads_for(sizes, BATCH)
                label = f"{name} width {width}"
                if torch is None:
                    (ours,) = side_by_side([numpy_epoch(sizes, X, y)])
                    yield f"mlp epoch dropout_lib {label}", ours * 1e3, "ms", f"{threads} thr"
                    continue
                other = 2 if threads == 1 and cores > 1 else 1
                torch.set_num_threads(threads)
                ours, theirs = side_by_side(
                    [numpy_epoch(sizes, X, y), torch_epoch(torch, sizes, X, y)]
                )
                torch.set_num_threads(other)
                (theirs_other,) = side_by_side([torch_epoch(torch, sizes, X, y)], epochs=3)
                ratio = ours / theirs
                note = (
                    f"{threads} thread(s) both sides; vs PyTorch on {other}: "
                    f"{ours / theirs_other:.2f}"
                )
                if ratio > 1:
                    note += f"; target <= 1 missed; numpy profile: {profile_note(sizes, X, y)}"
                yield f"mlp epoch ratio {label}", ratio, "x", note
                yield f"mlp epoch dropout_lib {label}", ours * 1e3, "ms", f"{threads} thread(s)"
                yield f"mlp epoch PyTorch {label}", theirs * 1e3, "ms", f"{threads} thread(s)"
    finally:
        if torch is not None:
            torch.set_num_threads(original_threads)
