"""Training speed of dropout_lib.mlp against PyTorch on the CPU (issue 5: ratio <= 1).

Both sides train the same network, 64-256-256-10 with ReLU, input dropout
p = 0.2 and hidden dropout p = 0.5, by SGD with momentum on mini-batches of 32
of the same 1200 digits, and both compute the training error at the end of the
epoch. PyTorch runs a plain loop over index slices of pre-made tensors (no
DataLoader, whose overhead would flatter numpy). Both are timed in this one
run, so the ratio compares like with like on a busy machine too.
"""

from __future__ import annotations

import cProfile
import io
import pstats

from benchmarks.common import median_time
from dropout_lib.data import digits_split
from dropout_lib.mlp import MLP

SIZES = (64, 256, 256, 10)
P_INPUT, P_HIDDEN = 0.2, 0.5
BATCH = 32
LR, MOMENTUM = 0.05, 0.9


def numpy_epoch_seconds(data, *, repeat=5):
    model = MLP(SIZES, p_input=P_INPUT, p_hidden=P_HIDDEN, seed=0)
    return median_time(
        lambda: model.fit(
            data.X_train, data.y_train, epochs=1, batch_size=BATCH, lr=LR, momentum=MOMENTUM
        ),
        repeat=repeat,
    )


def torch_epoch_seconds(torch, data, *, repeat=5):
    torch.manual_seed(0)
    layers = [torch.nn.Dropout(P_INPUT)]
    for n_in, n_out in zip(SIZES[:-2], SIZES[1:-1]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU(), torch.nn.Dropout(P_HIDDEN)]
    layers.append(torch.nn.Linear(SIZES[-2], SIZES[-1]))
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = torch.nn.CrossEntropyLoss()
    X = torch.from_numpy(data.X_train)
    y = torch.from_numpy(data.y_train)
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

    return median_time(epoch, repeat=repeat)


def profile_note(data):
    """Where one numpy epoch spends its time, as the top three functions."""
    model = MLP(SIZES, p_input=P_INPUT, p_hidden=P_HIDDEN, seed=0)
    profiler = cProfile.Profile()
    profiler.runcall(model.fit, data.X_train, data.y_train, epochs=3, batch_size=BATCH)
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream).sort_stats("tottime")
    total = stats.total_tt
    top = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:3]
    return "; ".join(
        f"{func[2]} {100 * tottime / total:.0f}%" for func, (_, _, tottime, _, _) in top
    )


def rows():
    data = digits_split(seed=0)
    ours = numpy_epoch_seconds(data)
    yield (
        f"dropout_lib.mlp epoch {'-'.join(map(str, SIZES))}, n={len(data.y_train)}, batch {BATCH}",
        ours * 1e3,
        "ms",
        "",
    )
    try:
        import torch
    except ImportError:
        yield "PyTorch CPU epoch, same network", "skipped", "", "torch is not installed"
        return
    theirs = torch_epoch_seconds(torch, data)
    yield (
        f"PyTorch {torch.__version__} CPU epoch ({torch.get_num_threads()} threads)",
        theirs * 1e3,
        "ms",
        "",
    )
    ratio = ours / theirs
    note = (
        "target <= 1" if ratio <= 1 else f"target <= 1 missed; numpy profile: {profile_note(data)}"
    )
    yield "ratio dropout_lib.mlp / PyTorch (time per epoch)", ratio, "x", note
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single = torch_epoch_seconds(torch, data)
    finally:
        torch.set_num_threads(threads)
    yield (
        "ratio dropout_lib.mlp / PyTorch on 1 thread",
        ours / single,
        "x",
        "numpy BLAS uses 1 thread",
    )
