"""The training engine behind :meth:`MLP.fit`: the same arithmetic, made fast.

:mod:`dropout_lib.mlp` holds the readable network (:func:`~dropout_lib.mlp.forward_backward`
and :meth:`~dropout_lib.mlp.MLP.train_step`). This private module trains whole
epochs of one or several networks of one architecture with the same
computation, arranged for speed:

- networks are stacked along a first axis, so that every numpy call works on
  all of them at once (on small networks a step's time is mostly the fixed
  cost of each numpy call);
- work arrays are reused between steps (fresh arrays of a few hundred
  kilobytes are page-faulted afresh every time), and rows whose length is a
  multiple of 256 are padded so that BLAS does not evict its own cache lines;
- each weight layer's parameters, gradients and momenta live in one block
  (the biases are its last row), and a layer is updated as soon as its
  gradient is known, while it is still in cache, with the learning rate
  folded into the gradient so that SGD with momentum is three passes;
- BLAS runs on one thread for small networks, and for large ones on two for
  the products that split well (:func:`blas_threads`).

Where the time goes (cProfile, 2-core AMD EPYC, batches of 32, network
784-1024-1024-10 with dropout 0.2 and 0.5, one thread): the forward and
backward pass of the mini-batches takes about 66% of an epoch, nearly all of
it in the five large matrix products; the end-of-epoch error evaluation (a
forward pass over the whole training set) 14%; the parameter updates 11%; and
sampling the masks 5%. On the digits at width 128 a step is instead mostly
the fixed cost of its numpy calls, which stacking networks shares out.
"""

from __future__ import annotations

import os

import numpy as np

from ._checks import check_int, check_real
from .mlp import DTYPE, MLP, History, _layout

__all__ = ["blas_threads", "fit_many"]

_blas_controller = None


#: Multiply-adds of one mini-batch through the largest weight matrix (batch x
#: inputs x outputs) from which a second BLAS thread pays for itself. Measured
#: on a 2-core machine with batches of 32: at width 256 (32 x 256 x 784 = 6.4e6)
#: two threads made an epoch 1.3-1.5 times slower, at width 512 (32 x 512 x
#: 512 = 8.4e6) 1.2-1.3 times faster, at width 1024 1.1-1.4 times faster.
TWO_THREAD_WORK = 32 * 512 * 512


def _cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - macOS and Windows


def blas_threads(layer_sizes, batch_size) -> int:
    """Number of BLAS threads the engine trains these networks with: 1 or 2.

    Below :data:`TWO_THREAD_WORK` a mini-batch's matrices are so small that a
    second thread costs more in synchronisation than it saves; above it the
    matrix products dominate the step, and those whose output has a row per
    example (forward, back-propagation, the error evaluation) split well in
    two. The weight gradients always run on one thread (see
    :func:`_loss_and_grads`). More than two threads were not measured, so none
    are used. The choice depends only on the sizes, never on timings, so a
    seed gives the same result on every run (on another machine the BLAS may
    round differently anyway).

    On a machine whose other core is busy, two threads stall at every product
    waiting for the second one to be scheduled (PyTorch's threads too), and an
    epoch can take several times longer than on one thread.
    """
    largest = max(n_in * n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))
    return 2 if _cores() >= 2 and batch_size * largest >= TWO_THREAD_WORK else 1


class _Blas:
    """BLAS threads for one training run, switched call by call.

    ``with _Blas(threads) as blas:`` runs BLAS on one thread; inside,
    ``blas.use(k)`` switches to ``k`` threads (a cheap call that only sets a
    number), and leaving restores what the process had. Without threadpoolctl
    (it comes with scikit-learn) this does nothing.
    """

    def __init__(self, threads):
        self.threads = threads
        self._libraries = []
        self._saved = []
        self._current = None

    def __enter__(self):
        global _blas_controller
        if _blas_controller is None:
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:  # pragma: no cover - scikit-learn installs it
                return self
            _blas_controller = ThreadpoolController()
        self._libraries = [
            lib for lib in _blas_controller.lib_controllers if lib.user_api == "blas"
        ]
        self._saved = [lib.num_threads for lib in self._libraries]
        self.use(1)
        return self

    def use(self, threads):
        """Run the following BLAS calls on ``threads`` threads."""
        if threads != self._current:
            for lib in self._libraries:
                lib.set_num_threads(threads)
            self._current = threads

    def __exit__(self, *exc):
        for lib, threads in zip(self._libraries, self._saved):
            lib.set_num_threads(threads)
        return False


def _row_padding(length) -> int:
    """Spare elements to add to rows of ``length`` float32 (see :func:`_padded_empty`)."""
    return 16 if length >= 256 and length % 256 == 0 else 0


def _padded_empty(shape, dtype):
    """An uninitialised array whose rows are padded when their length is a multiple of 256.

    A row of 1024 float32 is 4096 bytes, so the same column of successive rows
    falls in the same cache set; BLAS writing or reading such a matrix by
    columns then evicts its own data. Sixteen spare elements per row (a view
    hides them) made the products of a 1024-wide layer 1.2-1.6 times faster.
    """
    last = shape[-1]
    return np.empty((*shape[:-1], last + _row_padding(last)), dtype=dtype)[..., :last]


def _swap(a):
    """Swap the last two axes (the transpose of each matrix in a stack)."""
    return np.swapaxes(a, -1, -2)


def _forward(X, weights, biases, workspace):
    """Logits of a stack of networks without dropout.

    ``X`` is (S, n, n_0); weights are stacked as (S, n_in, n_out) and biases
    as (S, 1, n_out). The result is a work array of ``workspace``.
    """
    a = X
    last = len(weights) - 1
    for layer, (weight, bias) in enumerate(zip(weights, biases)):
        shape = (*X.shape[:-1], weight.shape[-1])
        z = np.matmul(a, weight, out=_scratch(workspace, "eval", layer, shape, X.dtype))
        z += bias
        if layer < last:
            np.maximum(z, 0, out=z)
        a = z
    return a


def _scratch(workspace, name, layer, shape, dtype):
    """A reusable work array.

    Arrays of a few hundred kilobytes are allocated with mmap and page-faulted
    afresh every time, which for stacked networks cost more than the
    arithmetic; reusing them across steps avoids that.
    """
    key = (name, layer, shape, dtype)
    array = workspace.get(key)
    if array is None:
        array = workspace[key] = _padded_empty(shape, dtype)
    return array


def _loss_and_grads(
    X,
    onehot,
    multipliers,
    weights,
    biases,
    grad_w,
    grad_b,
    workspace,
    *,
    grad_scale=1.0,
    layer_done=None,
    blas=None,
):
    """Forward and backward pass of one mini-batch of a stack of S networks.

    Computes what :func:`~dropout_lib.mlp.forward_backward` does for each
    network, with gradients times ``grad_scale`` written into ``grad_*``.
    Shapes as in :func:`_forward`; ``onehot`` is (S, n, classes) in the dtype
    of ``X``, and ``grad_b[l]`` has shape (S, n_out). ``workspace`` is a dict
    that keeps work arrays between calls. ``layer_done(l)``, if given, is
    called as soon as the gradients of weight layer ``l`` are written and the
    pass needs its parameters no more (last layer first), so that the caller
    can update them while they are still in cache. ``blas``, a :class:`_Blas`,
    runs the products whose output has a row per example on ``blas.threads``
    threads and the weight gradients on one (a second thread made those no
    faster, and often slower: their inner dimension is the batch, only 32).
    Returns the mean cross-entropy of each network, shape (S,).
    """
    wide, narrow = (blas.threads, 1) if blas is not None else (None, None)
    use = blas.use if blas is not None else (lambda threads: None)
    n_layers = len(weights)
    dtype = X.dtype
    lead = X.shape[:-1]  # (S, n)
    inputs, hidden = [], []
    a = X
    use(wide)
    for layer in range(n_layers):
        if multipliers[layer] is not None:
            a = np.multiply(
                a, multipliers[layer], out=_scratch(workspace, "in", layer, a.shape, dtype)
            )
        inputs.append(a)
        width = weights[layer].shape[-1]
        z = np.matmul(a, weights[layer], out=_scratch(workspace, "z", layer, (*lead, width), dtype))
        z += biases[layer]
        if layer < n_layers - 1:
            np.maximum(z, 0, out=z)
            hidden.append(z)
            a = z
    # Softmax cross-entropy, shifted by the row maximum for stability.
    z -= z.max(axis=-1, keepdims=True)
    target_logit = np.einsum("...c,...c->...", z, onehot)
    np.exp(z, out=z)
    total = z.sum(axis=-1, keepdims=True)
    loss = np.mean(np.log(total[..., 0]) - target_logit, axis=-1)
    delta = z
    delta /= total
    delta -= onehot
    delta *= dtype.type(grad_scale / X.shape[-2])
    for layer in range(n_layers - 1, -1, -1):
        use(narrow)
        np.matmul(_swap(inputs[layer]), delta, out=grad_w[layer])
        np.sum(delta, axis=-2, out=grad_b[layer])
        if layer == 0:
            if layer_done is not None:
                layer_done(layer)
            break
        # Same as delta @ W.T. OpenBLAS is markedly slower with a transposed
        # second operand at these sizes (measured 40 vs 25 us at 32x128x128),
        # and the elementwise steps below run several times faster on a
        # C-ordered array than on a transposed view, so transpose and copy.
        width = weights[layer].shape[-2]
        use(wide)
        transposed = np.matmul(
            weights[layer],
            _swap(delta),
            out=_scratch(workspace, "dT", layer, (*lead[:-1], width, lead[-1]), dtype),
        )
        delta = _scratch(workspace, "d", layer, (*lead, width), dtype)
        np.copyto(delta, _swap(transposed))
        if multipliers[layer] is not None:
            delta *= multipliers[layer]
        # ReLU passes the gradient where its output was positive.
        active = np.greater(
            hidden[layer - 1], 0, out=_scratch(workspace, "on", layer, delta.shape, bool)
        )
        delta *= active
        if layer_done is not None:
            layer_done(layer)
    return loss


def _max_norm(weight, max_norm):
    """Rescale each column of a stack of weight matrices (a unit's incoming weights).

    ``weight`` is (S, n_in, n_out); every column ends with norm at most ``max_norm``.
    """
    norms = np.sqrt(np.einsum("sij,sij->sj", weight, weight))
    factor = np.minimum(1.0, max_norm / np.maximum(norms, np.finfo(weight.dtype).tiny))
    weight *= factor.astype(weight.dtype)[:, None, :]


def _one_hot(y, n_classes, dtype=DTYPE):
    onehot = np.zeros((*np.shape(y), n_classes), dtype=dtype)
    np.put_along_axis(onehot, np.asarray(y)[..., None], 1, axis=-1)
    return onehot


def _stack(arrays, shape, dtype=DTYPE):
    """Stack per-network arrays (None means all ones) along a new first axis."""
    if all(a is None for a in arrays):
        return None
    if len(arrays) == 1:
        return arrays[0][None]  # a view: one network needs no copy
    return np.stack([np.ones(shape, dtype=dtype) if a is None else a for a in arrays])


def _stacked_error(X, y, weights, biases, workspace):
    """Error rate of each stacked network on its own data: X (S, n, d), y (S, n)."""
    return np.mean(np.argmax(_forward(X, weights, biases, workspace), axis=-1) != y, axis=-1)


def fit_many(
    models,
    datasets,
    *,
    epochs,
    batch_size=32,
    lr=0.05,
    momentum=0.9,
    validation=None,
    evaluate_last=None,
    progress=False,
    threads=None,
):
    """Train several networks of one architecture side by side, in lockstep.

    Each network keeps its own data, drop rates, random streams and momentum,
    and ends exactly where its own :meth:`MLP.fit` would have taken it (to
    float32 rounding): the networks are stacked only so that every numpy call
    works on all of them at once. On small networks most of a step's time is
    the overhead of each numpy call, so training S networks together costs
    little more than training one.

    Parameters
    ----------
    models : sequence of MLP
        Networks with equal ``layer_sizes`` and ``max_norm``; drop rates,
        weight decays and seeds may differ, and so may the class (e.g.
        ``GaussianDropoutMLP``).
    datasets : sequence of (X, y)
        One training set per network, all of the same size n; ``X`` has shape
        (n, layer_sizes[0]) and ``y`` holds integer labels, shape (n,).
        Not modified.
    epochs, batch_size, lr, momentum, progress
        As in :meth:`MLP.fit`.
    validation : sequence of (X_val, y_val), optional
        One validation set per network, all of the same size.
    evaluate_last : int or None
        Compute the training and validation errors only in the last
        ``evaluate_last`` epochs (the others are NaN in the histories). An
        error evaluation runs the whole training and validation sets through
        the network, which costs more than an epoch of training on a small
        training set; experiments that need only final errors skip it.
    threads : int (1 or 2) or None
        BLAS threads; ``None`` chooses by size (:func:`blas_threads`). On a
        machine whose other core is busy, 1 is faster whatever the size.

    Returns
    -------
    list of History
        One per network, in order.

    Notes
    -----
    The random draws of one epoch, for each network in turn and from its own
    training stream ``model._train_rng``: first the shuffling,
    ``order = rng.permutation(n)``, then one multiplier array per weight layer
    whose drop rate is above 0, ``model._noise((n, layer_sizes[l]), p_l, rng)``,
    input layer first. Mini-batch ``b`` is then rows ``b * batch_size`` to
    ``(b + 1) * batch_size`` of the shuffled set and of each multiplier array,
    and the step is :meth:`MLP.train_step` with those multipliers. The tests
    rebuild these draws from a copy of the stream and compare.
    """
    models = list(models)
    if not models or not all(isinstance(m, MLP) for m in models):
        raise TypeError("models must be a non-empty sequence of MLP networks")
    first = models[0]
    for model in models[1:]:
        if model.layer_sizes != first.layer_sizes or model.max_norm != first.max_norm:
            raise ValueError(
                "models must share layer_sizes and max_norm to be trained together, but got "
                f"{first!r} and {model!r}"
            )
    if len(datasets) != len(models):
        raise ValueError(f"datasets must hold {len(models)} (X, y) pairs, got {len(datasets)}")
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    lr = check_real(lr, "lr", low=0, low_open=True, high_open=True)
    momentum = check_real(momentum, "momentum", low=0, high=1, high_open=True)
    first_evaluated = 0
    if evaluate_last is not None:
        first_evaluated = epochs - check_int(evaluate_last, "evaluate_last", minimum=1)
    train = []
    for model, (X, y) in zip(models, datasets):
        X = model._check_X(X)
        train.append((X, model._check_y(y, len(X))))
    n = len(train[0][0])
    if n == 0:
        raise ValueError("X must hold at least one example, but got none")
    if any(len(X) != n for X, _ in train):
        raise ValueError("every training set must have the same number of examples")
    if validation is not None:
        if len(validation) != len(models):
            raise ValueError(f"validation must hold {len(models)} pairs, got {len(validation)}")
        checked = []
        for model, (X_val, y_val) in zip(models, validation):
            X_val = model._check_X(X_val, "X_val")
            checked.append((X_val, model._check_y(y_val, len(X_val), "y_val")))
        if any(len(X) != len(checked[0][0]) for X, _ in checked):
            raise ValueError("every validation set must have the same number of examples")
        X_val = np.stack([X for X, _ in checked])
        y_val = np.stack([y for _, y in checked])

    if threads is None:
        threads = blas_threads(first.layer_sizes, batch_size)
    threads = check_int(threads, "threads", minimum=1, maximum=2)
    with _Blas(threads) as blas:
        return _train(
            blas,
            models,
            train,
            None if validation is None else (X_val, y_val),
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            momentum=momentum,
            first_evaluated=first_evaluated,
            progress=progress,
        )


def _train(
    blas, models, train, validation, *, epochs, batch_size, lr, momentum, first_evaluated, progress
):
    """The training loop of :func:`fit_many`, on checked arguments."""
    first = models[0]
    n = len(train[0][0])
    n_models, n_classes = len(models), first.layer_sizes[-1]
    sizes = first.layer_sizes
    layout, _ = _layout(sizes)

    # One block per weight layer and network, its weights with the biases as
    # an extra row, (S, n_in + 1, n_out) with padded rows; the parameters, their
    # gradients and their steps each live in such blocks. Then a layer's update
    # is three numpy calls on one contiguous block (the padding is zero in all
    # three, so it stays zero).
    #
    # The engine keeps lr * velocity, the step, and gets lr * grad from the
    # kernel for free (it scales the output error by lr / n). Then PyTorch's
    # update v <- momentum v + g, w <- w - lr v is three passes with no
    # temporary: step *= momentum; step += lr grad; w -= step.
    params, grads, steps = [], [], []
    weights, biases, grad_w, grad_b, step_w, step_b = [], [], [], [], [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        for blocks in (params, grads, steps):
            blocks.append(np.zeros((n_models, n_in + 1, n_out + _row_padding(n_out)), DTYPE))
        weights.append(params[-1][:, :n_in, :n_out])
        biases.append(params[-1][:, n_in : n_in + 1, :n_out])  # (S, 1, n_out) broadcasts
        grad_w.append(grads[-1][:, :n_in, :n_out])
        grad_b.append(grads[-1][:, n_in, :n_out])
        step_w.append(steps[-1][:, :n_in, :n_out])
        step_b.append(steps[-1][:, n_in, :n_out])
    # Where each layer's weights and biases sit in a network's flat vectors.
    flat = [
        (slice(w_at, w_at + w_size), w_shape, slice(b_at, b_at + b_size))
        for (w_at, w_size, w_shape), (b_at, b_size, _) in zip(layout[0::2], layout[1::2])
    ]
    for s, model in enumerate(models):
        for layer, (w_slice, w_shape, b_slice) in enumerate(flat):
            weights[layer][s] = model._params[w_slice].reshape(w_shape)
            biases[layer][s, 0] = model._params[b_slice]
            step_w[layer][s] = model._velocity[w_slice].reshape(w_shape)
            step_b[layer][s] = model._velocity[b_slice]
    for block in steps:
        block *= DTYPE(lr)
    momentum = DTYPE(momentum)
    max_norm, last = first.max_norm, len(weights) - 1
    # Weight decay adds lr * weight_decay * W to each network's lr * grad (the
    # gradient of lr * weight_decay / 2 * |W|^2), biases excepted, as
    # MLP.train_step does; one extra pass over the weights, only when used.
    decays = np.array([model.weight_decay for model in models], dtype=np.float64)
    decay = (DTYPE(lr) * decays.astype(DTYPE))[:, None, None] if decays.any() else None

    def update(layer):
        step = steps[layer]
        step *= momentum
        if decay is not None:
            grad_w[layer] += decay * weights[layer]
        step += grads[layer]
        params[layer] -= step
        if max_norm is not None and layer < last:
            _max_norm(weights[layer], max_norm)

    X_train = np.stack([X for X, _ in train])
    y_train = np.stack([y for _, y in train])
    onehot_train = _one_hot(y_train, n_classes)
    X_shuffled = np.empty_like(X_train)
    onehot_shuffled = np.empty_like(onehot_train)
    histories = [
        History(
            train_error=np.full(epochs, np.nan),
            val_error=None if validation is None else np.full(epochs, np.nan),
            train_loss=np.empty(epochs),
        )
        for _ in models
    ]
    epoch_range = range(epochs)
    if progress:
        from tqdm.auto import tqdm

        epoch_range = tqdm(epoch_range, desc="epochs", leave=False)
    widths = sizes[:-1]
    workspace = {}
    for epoch in epoch_range:
        per_model = []
        for s, model in enumerate(models):
            order = model._train_rng.permutation(n)
            np.take(X_train[s], order, axis=0, out=X_shuffled[s])
            np.take(onehot_train[s], order, axis=0, out=onehot_shuffled[s])
            per_model.append(model._sample_multipliers(n, model._train_rng))
        multipliers = [
            _stack([m[layer] for m in per_model], (n, width)) for layer, width in enumerate(widths)
        ]
        loss_sum = np.zeros(n_models)
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            batch_multipliers = [None if m is None else m[:, start:stop] for m in multipliers]
            loss = _loss_and_grads(
                X_shuffled[:, start:stop],
                onehot_shuffled[:, start:stop],
                batch_multipliers,
                weights,
                biases,
                grad_w,
                grad_b,
                workspace,
                grad_scale=lr,
                layer_done=update,
                blas=blas,
            )
            loss_sum += loss * (stop - start)
        for s, history in enumerate(histories):
            history.train_loss[epoch] = loss_sum[s] / n
        if epoch < first_evaluated:
            continue
        blas.use(blas.threads)
        train_error = _stacked_error(X_train, y_train, weights, biases, workspace)
        val_error = (
            None if validation is None else _stacked_error(*validation, weights, biases, workspace)
        )
        for s, history in enumerate(histories):
            history.train_error[epoch] = train_error[s]
            if val_error is not None:
                history.val_error[epoch] = val_error[s]
    for s, model in enumerate(models):
        for layer, (w_slice, _, b_slice) in enumerate(flat):
            model._params[w_slice] = weights[layer][s].reshape(-1)
            model._params[b_slice] = biases[layer][s, 0]
            model._velocity[w_slice] = (step_w[layer][s] / DTYPE(lr)).reshape(-1)
            model._velocity[b_slice] = step_b[layer][s] / DTYPE(lr)
    return histories
