"""Tests of dropout_lib._engine, the fast training path behind MLP.fit.

The engine must compute exactly what the readable network in dropout_lib.mlp
computes: its stacked kernel gives forward_backward's gradients, an epoch of
fit is a loop of train_step over the same shuffling and masks, and fit agrees
with PyTorch over several epochs given those shuffles and masks.
"""

import copy

import numpy as np
import pytest

from dropout_lib import _engine
from dropout_lib._engine import fit_many
from dropout_lib.data import digits_split
from dropout_lib.masks import sample_mask
from dropout_lib.mlp import MLP, GaussianDropoutMLP, forward_backward


def _epoch_draws(model, n, rng):
    """The draws of one epoch of fit, rebuilt from ``rng`` in the order fit_many documents.

    Returns the permutation and one keep-mask per weight layer (all True where
    the layer's p is 0), taken from ``rng`` exactly as MLP._noise takes them:
    the shuffling first, then ``sample_mask`` for each layer with p > 0.
    """
    order = rng.permutation(n)
    masks = [
        np.ones((n, size), dtype=bool) if p == 0 else sample_mask((n, size), p, rng)
        for p, size in zip(model.drop_rates, model.layer_sizes[:-1])
    ]
    return order, masks


def _stacked_kernel(X, y, weights, biases, multipliers, n_classes):
    """Run the engine's kernel on stacked float64 arrays; gradients per network."""
    onehot = np.zeros((*y.shape, n_classes))
    np.put_along_axis(onehot, y[..., None], 1.0, axis=-1)
    grad_w = [np.empty_like(w) for w in weights]
    grad_b = [np.empty((b.shape[0], b.shape[-1])) for b in biases]
    loss = _engine._loss_and_grads(X, onehot, multipliers, weights, biases, grad_w, grad_b, {})
    return loss, grad_w, grad_b


@pytest.mark.parametrize("n_models", [1, 3])
@pytest.mark.parametrize("sizes", [(5, 3), (6, 5, 3), (7, 6, 5, 4)])
@pytest.mark.parametrize("dropout", ["none", "bernoulli", "mixed", "gaussian"])
def test_stacked_kernel_gives_the_readable_gradients(rng, n_models, sizes, dropout):
    n, depth = 9, len(sizes) - 1
    X = rng.normal(size=(n_models, n, sizes[0]))
    y = rng.integers(0, sizes[-1], size=(n_models, n))
    weights = [rng.normal(size=(n_models, a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(scale=0.1, size=(n_models, 1, b)) for b in sizes[1:]]
    multipliers = []
    for layer, width in enumerate(sizes[:-1]):
        shape = (n_models, n, width)
        p = 0.5 if layer else 0.2
        if dropout == "none" or (dropout == "mixed" and layer == 0):
            multipliers.append(None)
        elif dropout == "gaussian":
            multipliers.append(1 + np.sqrt(p / (1 - p)) * rng.normal(size=shape))
        else:
            multipliers.append(sample_mask(shape, p, rng) / (1 - p))
    loss, grad_w, grad_b = _stacked_kernel(X, y, weights, biases, multipliers, sizes[-1])
    assert loss.shape == (n_models,)
    for s in range(n_models):
        expected = forward_backward(
            X[s],
            y[s],
            [w[s] for w in weights],
            [b[s, 0] for b in biases],
            [None if m is None else m[s] for m in multipliers],
        )
        # Both are float64 and differ only in the order of a few dozen
        # additions per entry: rounding of order 1e-16 relative, so 1e-11 is a
        # bound with a wide margin that a real mistake (a missing mask, a
        # transposed matrix) would exceed by many orders of magnitude.
        assert loss[s] == pytest.approx(expected[0], rel=1e-11)
        for layer in range(depth):
            np.testing.assert_allclose(grad_w[layer][s], expected[1][layer], rtol=1e-11, atol=1e-13)
            np.testing.assert_allclose(grad_b[layer][s], expected[2][layer], rtol=1e-11, atol=1e-13)


def _train_step_loop(model, X, y, *, epochs, batch_size, lr, momentum, rng):
    """What fit does, written as a loop of train_step with draws rebuilt from ``rng``."""
    losses = []
    for _ in range(epochs):
        order, masks = _epoch_draws(model, len(X), rng)
        total = 0.0
        for start in range(0, len(X), batch_size):
            rows = order[start : start + batch_size]
            batch_masks = [m[start : start + batch_size] for m in masks]
            loss = model.train_step(
                X[rows], y[rows], lr=lr, momentum=momentum, keep_masks=batch_masks
            )
            total += loss * len(rows)
        losses.append(total / len(X))
    return np.array(losses)


@pytest.mark.parametrize(
    "sizes, p_input, p_hidden, max_norm, weight_decay",
    [
        ((64, 24, 10), 0.0, 0.0, None, 0.0),
        ((64, 32, 16, 10), 0.2, 0.5, 1.5, 0.0),
        ((64, 20, 10), 0.0, 0.3, None, 0.0),
        ((64, 32, 16, 10), 0.0, 0.0, None, 0.02),
        ((64, 32, 16, 10), 0.2, 0.5, 1.5, 0.01),
        # Rows of 512 are padded in the engine, and this size trains on two BLAS threads.
        ((64, 512, 512, 10), 0.2, 0.5, 2.0, 0.0),
    ],
)
def test_fit_equals_a_loop_of_train_step_with_the_same_draws(
    sizes, p_input, p_hidden, max_norm, weight_decay
):
    data = digits_split(150, seed=4)
    X, y = data.X_train, data.y_train
    settings = dict(epochs=2, batch_size=32, lr=0.1, momentum=0.9)  # 150 = 4 * 32 + 22
    kwargs = dict(p_input=p_input, p_hidden=p_hidden, max_norm=max_norm, weight_decay=weight_decay)
    fitted = MLP(sizes, **kwargs, seed=7)
    stepped = MLP(sizes, **kwargs, seed=7)
    rng = copy.deepcopy(stepped._train_rng)
    history = fitted.fit(X, y, **settings)
    losses = _train_step_loop(stepped, X, y, rng=rng, **settings)
    # fit took its draws from the training stream in the documented order, and no others.
    assert fitted._train_rng.bit_generator.state == rng.bit_generator.state
    # Same arithmetic in float32 (eps = 6e-8), only in a different order: each
    # of the 10 steps moves a parameter of order 0.1-1 by a few units in the
    # last place differently, so the paths stay within ~1e-6 of each other,
    # far inside the tolerance; a wrong mask or a skipped batch is off by 1e-2.
    for a, b in zip(fitted.weights + fitted.biases, stepped.weights + stepped.biases):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fitted._velocity, stepped._velocity, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history.train_loss, losses, rtol=1e-5)
    assert history.train_error[-1] == stepped.error(X, y)


@pytest.mark.parametrize("max_norm, weight_decay", [(1.0, 0.0), (1.0, 0.01), (None, 0.05)])
def test_fit_matches_pytorch_over_several_epochs(max_norm, weight_decay):
    torch = pytest.importorskip("torch")
    data = digits_split(160, seed=5)
    X, y = data.X_train, data.y_train
    sizes, p_input, p_hidden = (64, 48, 32, 10), 0.2, 0.5
    epochs, batch_size, lr, momentum = 3, 20, 0.1, 0.9
    model = MLP(
        sizes,
        p_input=p_input,
        p_hidden=p_hidden,
        max_norm=max_norm,
        weight_decay=weight_decay,
        seed=11,
    )
    rng = copy.deepcopy(model._train_rng)

    # PyTorch stores Linear weights as (out, in): ours transposed.
    t_weights = [torch.tensor(w.T.copy(), requires_grad=True) for w in model.weights]
    t_biases = [torch.tensor(b.copy(), requires_grad=True) for b in model.biases]
    # PyTorch's weight_decay on the weights only: the biases form a group without it.
    optimizer = torch.optim.SGD(
        [{"params": t_weights, "weight_decay": weight_decay}, {"params": t_biases}],
        lr=lr,
        momentum=momentum,
    )
    history = model.fit(X, y, epochs=epochs, batch_size=batch_size, lr=lr, momentum=momentum)

    t_losses = []
    for _ in range(epochs):
        order, masks = _epoch_draws(model, len(X), rng)
        total = 0.0
        for start in range(0, len(X), batch_size):
            rows = order[start : start + batch_size]
            a = torch.tensor(X[rows])
            for layer, (weight, bias) in enumerate(zip(t_weights, t_biases)):
                keep = torch.tensor(masks[layer][start : start + batch_size])
                a = a * keep / (1 - model.drop_rates[layer])
                a = torch.nn.functional.linear(a, weight, bias)
                if layer < len(t_weights) - 1:
                    a = torch.relu(a)
            loss = torch.nn.functional.cross_entropy(a, torch.tensor(y[rows]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if max_norm is not None:
                with torch.no_grad():
                    for weight in t_weights[:-1]:
                        # Rows of a torch weight are the incoming vectors of the units.
                        weight.copy_(torch.renorm(weight, 2, 0, max_norm))
            total += loss.item() * len(rows)
        t_losses.append(total / len(X))

    # float32 on both sides, summed in different orders by different BLAS
    # libraries, and torch.renorm divides by norm + 1e-7 where we divide by
    # the norm: a few units in the last place (eps = 6e-8) per step, over 24
    # steps, stays below ~1e-5 relative on parameters of order 0.1-1.
    np.testing.assert_allclose(history.train_loss, t_losses, rtol=1e-5)
    for ours, theirs in zip(model.weights, t_weights):
        np.testing.assert_allclose(ours, theirs.detach().numpy().T, rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(model.biases, t_biases):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("width", [12, 256])  # the engine pads rows of 256
def test_fit_many_gives_each_network_its_own_fit_result(width):
    splits = [digits_split(96, 32, seed=seed) for seed in (0, 1)]
    # Weight decays differ between the stacked networks too (0 for some).
    settings = [(0.0, 0.0, 0.0, 0), (0.2, 0.5, 0.01, 1), (0.0, 0.3, 0.0, 2)]

    def models():
        return [
            cls((64, width, 10), p_input=pi, p_hidden=ph, weight_decay=wd, seed=seed)
            for cls in (MLP, GaussianDropoutMLP)
            for pi, ph, wd, seed in settings
        ]

    data = [splits[i % 2] for i in range(6)]
    alone = models()
    alone_histories = [
        m.fit(d.X_train, d.y_train, epochs=3, X_val=d.X_val, y_val=d.y_val)
        for m, d in zip(alone, data)
    ]
    together = models()
    together_histories = fit_many(
        together,
        [(d.X_train, d.y_train) for d in data],
        epochs=3,
        validation=[(d.X_val, d.y_val) for d in data],
    )
    # Stacking changes no arithmetic (each slice is the same BLAS call on the
    # same numbers), so the results agree to float32 rounding or better.
    for a, b, ha, hb in zip(alone, together, alone_histories, together_histories):
        for wa, wb in zip(a.weights + a.biases, b.weights + b.biases):
            np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(ha.train_loss, hb.train_loss, rtol=1e-6)
        np.testing.assert_array_equal(ha.val_error, hb.val_error)


def test_fit_many_can_skip_early_evaluations_and_checks_its_arguments():
    data = digits_split(64, 32, seed=0)
    model = MLP((64, 8, 10), seed=0)
    (history,) = fit_many(
        [model],
        [(data.X_train, data.y_train)],
        epochs=5,
        validation=[(data.X_val, data.y_val)],
        evaluate_last=2,
    )
    assert np.all(np.isnan(history.train_error[:3])) and np.all(np.isnan(history.val_error[:3]))
    assert np.all(np.isfinite(history.train_error[3:])) and np.all(np.isfinite(history.train_loss))
    with pytest.raises(ValueError, match="layer_sizes"):
        fit_many([MLP((64, 8, 10)), MLP((64, 9, 10))], [(data.X_train, data.y_train)] * 2, epochs=1)
    with pytest.raises(ValueError, match="same number"):
        fit_many(
            [MLP((64, 8, 10)), MLP((64, 8, 10))],
            [(data.X_train, data.y_train), (data.X_val, data.y_val)],
            epochs=1,
        )
    with pytest.raises(TypeError, match="models"):
        fit_many([], [], epochs=1)
    with pytest.raises(TypeError, match="evaluate_last"):
        fit_many([model], [(data.X_train, data.y_train)], epochs=2, evaluate_last=1.5)


def test_fit_many_on_one_or_two_threads_gives_the_same_networks():
    data = digits_split(96, seed=3)
    results = []
    for threads in (1, 2, None):
        model = MLP((64, 512, 10), p_hidden=0.5, seed=2)
        fit_many([model], [(data.X_train, data.y_train)], epochs=2, threads=threads)
        results.append(model.weights[0].copy())
    # Only the order of BLAS additions differs: float32 rounding.
    for other in results[1:]:
        np.testing.assert_allclose(results[0], other, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="threads"):
        fit_many([MLP((64, 8, 10))], [(data.X_train, data.y_train)], epochs=1, threads=3)
