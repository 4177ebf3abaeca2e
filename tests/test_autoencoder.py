"""Tests of dropout_lib.autoencoder: gradients by finite differences, steps against
PyTorch with the same masks, fit as a loop of train_step, and argument errors."""

import copy

import numpy as np
import pytest
from gradcheck import numerical_gradients

from dropout_lib.autoencoder import Autoencoder, autoencoder_forward_backward
from dropout_lib.masks import sample_mask


def _batch(rng, n=6, n_visible=10):
    return rng.uniform(0, 1, size=(n, n_visible))


def _masks(model, n, rng):
    return [
        np.ones((n, size), bool) if p == 0 else sample_mask((n, size), p, rng)
        for p, size in zip(model.drop_rates, (model.n_visible, model.n_hidden))
    ]


@pytest.mark.parametrize("p_input, p_hidden", [(0.0, 0.0), (0.2, 0.5), (0.0, 0.4)])
def test_gradients_match_finite_differences(rng, p_input, p_hidden):
    model = Autoencoder(10, 7, p_input=p_input, p_hidden=p_hidden, seed=3)
    X = _batch(rng)
    masks = _masks(model, len(X), rng)
    weights = [w.astype(np.float64) for w in model.weights]
    biases = [rng.normal(scale=0.1, size=b.shape) for b in model.biases]
    loss, grad_w, grad_b = model.loss_and_gradients(X, masks, weights=weights, biases=biases)
    assert isinstance(loss, float)
    numeric = numerical_gradients(
        lambda: model.loss_and_gradients(X, masks, weights=weights, biases=biases)[0],
        weights + biases,
    )
    for grad, gradient in zip(grad_w + grad_b, numeric, strict=True):
        # float64 central differences: error of order eps^2 * f''' and 1e-16 / eps.
        np.testing.assert_allclose(grad, gradient, rtol=1e-5, atol=1e-8)


def test_loss_is_the_binary_cross_entropy_of_the_reconstruction(rng):
    model = Autoencoder(10, 7, seed=0)
    X = _batch(rng)
    recon = model.reconstruct(X).astype(np.float64)
    bce = -(X * np.log(recon) + (1 - X) * np.log(1 - recon)).sum(axis=1).mean()
    assert model.loss(X) == pytest.approx(bce, rel=1e-5)
    assert model.loss_and_gradients(X)[0] == pytest.approx(bce, rel=1e-5)
    hidden = model.encode(X)
    assert hidden.shape == (6, 7) and hidden.dtype == np.float32 and hidden.min() >= 0
    assert recon.shape == (6, 10) and 0 < recon.min() and recon.max() < 1
    assert model.filters.shape == (7, 10)
    np.testing.assert_array_equal(model.filters, model.weights[0].T)


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_training_steps_match_pytorch(rng, weight_decay):
    torch = pytest.importorskip("torch")
    lr, momentum = 0.05, 0.9
    model = Autoencoder(12, 8, p_input=0.2, p_hidden=0.5, weight_decay=weight_decay, seed=2)
    t_w = [torch.tensor(w.T.copy(), requires_grad=True) for w in model.weights]
    t_b = [torch.tensor(b.copy(), requires_grad=True) for b in model.biases]
    optimizer = torch.optim.SGD(
        [{"params": t_w, "weight_decay": weight_decay}, {"params": t_b}], lr=lr, momentum=momentum
    )
    for _ in range(3):  # the momentum buffer carries over twice
        X = _batch(rng, n=9, n_visible=12).astype(np.float32)
        masks = _masks(model, len(X), rng)
        loss = model.train_step(X, lr=lr, momentum=momentum, keep_masks=masks)
        x = torch.tensor(X)
        a = x * torch.tensor(masks[0]) / (1 - model.p_input)
        h = torch.relu(torch.nn.functional.linear(a, t_w[0], t_b[0]))
        h = h * torch.tensor(masks[1]) / (1 - model.p_hidden)
        logits = torch.nn.functional.linear(h, t_w[1], t_b[1])
        t_loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, x, reduction="sum"
        ) / len(X)
        optimizer.zero_grad()
        t_loss.backward()
        optimizer.step()
        assert loss == pytest.approx(t_loss.item(), rel=1e-5)
    # float32 on both sides: a few units in the last place on values of order 0.1-1.
    for ours, theirs in zip(model.weights, t_w):
        np.testing.assert_allclose(ours, theirs.detach().numpy().T, rtol=1e-5, atol=2e-6)
    for ours, theirs in zip(model.biases, t_b):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-5, atol=2e-6)


def test_fit_is_a_loop_of_train_step_with_the_documented_draws(rng):
    X = _batch(rng, n=23, n_visible=10).astype(np.float32)
    X_before = X.copy()
    fitted = Autoencoder(10, 6, p_input=0.2, p_hidden=0.5, seed=5)
    stepped = Autoencoder(10, 6, p_input=0.2, p_hidden=0.5, seed=5)
    draws = copy.deepcopy(stepped._train_rng)
    history = fitted.fit(X, epochs=2, batch_size=8, lr=0.05, momentum=0.9)
    np.testing.assert_array_equal(X, X_before)  # the input is not modified
    losses = []
    for _ in range(2):
        order = draws.permutation(len(X))
        masks = _masks(stepped, len(X), draws)
        total = 0.0
        for start in range(0, len(X), 8):
            rows = order[start : start + 8]
            batch_masks = [m[start : start + 8] for m in masks]
            loss = stepped.train_step(X[rows], lr=0.05, momentum=0.9, keep_masks=batch_masks)
            total += loss * len(rows)
        losses.append(total / len(X))
    assert fitted._train_rng.bit_generator.state == draws.bit_generator.state
    np.testing.assert_allclose(history.train_loss, losses, rtol=1e-6)
    for a, b in zip(fitted.weights + fitted.biases, stepped.weights + stepped.biases):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert history.epochs == 2


def test_training_lowers_the_reconstruction_loss_and_is_seeded():
    rng = np.random.default_rng(0)
    # Two prototype images plus noise: an easy set to reconstruct.
    prototypes = rng.uniform(0, 1, size=(2, 16)) > 0.5
    X = np.clip(prototypes[rng.integers(0, 2, 64)] + rng.normal(0, 0.05, (64, 16)), 0, 1)
    a = Autoencoder(16, 8, p_hidden=0.3, seed=1)
    before = a.loss(X)
    a.fit(X, epochs=20, batch_size=16, lr=0.01)
    assert a.loss(X) < 0.8 * before
    b = Autoencoder(16, 8, p_hidden=0.3, seed=1)
    b.fit(X, epochs=20, batch_size=16, lr=0.01)
    np.testing.assert_array_equal(a.weights[0], b.weights[0])


def test_forward_backward_does_not_modify_its_inputs(rng):
    model = Autoencoder(10, 7, p_input=0.3, p_hidden=0.5, seed=0)
    X = _batch(rng).astype(np.float32)
    masks = _masks(model, len(X), rng)
    copies = [X.copy()] + [w.copy() for w in model.weights] + [m.copy() for m in masks]
    autoencoder_forward_backward(X, model.weights, model.biases, masks, model.drop_rates)
    for before, after in zip(copies, [X, *model.weights, *masks]):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        ({"n_visible": 0}, ValueError, "n_visible"),
        ({"n_hidden": 2.5}, TypeError, "n_hidden"),
        ({"p_input": 1.0}, ValueError, "p_input"),
        ({"p_hidden": "half"}, TypeError, "p_hidden"),
        ({"weight_decay": -1.0}, ValueError, "weight_decay"),
        ({"seed": -1}, ValueError, "seed"),
    ],
)
def test_bad_constructor_arguments_are_named(kwargs, error, name):
    with pytest.raises(error, match=name):
        Autoencoder(**{"n_visible": 10, "n_hidden": 4, **kwargs})


def test_bad_data_and_training_arguments_are_named(rng):
    model = Autoencoder(10, 4, p_hidden=0.5, seed=0)
    X = _batch(rng)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 10\)"):
        model.encode(np.ones((3, 9)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.fit(X * 2, epochs=1)
    with pytest.raises(TypeError, match="epochs"):
        model.fit(X, epochs=1.0)
    with pytest.raises(ValueError, match="lr"):
        model.fit(X, epochs=1, lr=0.0)
    with pytest.raises(ValueError, match="momentum"):
        model.train_step(X, momentum=1.0)
    with pytest.raises(ValueError, match="keep_masks"):
        model.train_step(X, keep_masks=[np.ones((6, 10), bool)])
    with pytest.raises(ValueError, match="drops units"):
        model.train_step(X, keep_masks=[np.zeros((6, 10), bool), np.ones((6, 4), bool)])
    with pytest.raises(ValueError, match="at least one"):
        model.fit(np.ones((0, 10)), epochs=1)
