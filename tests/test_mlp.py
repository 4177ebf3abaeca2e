"""Tests of dropout_lib.mlp: gradients, a step against PyTorch, checks, determinism.

The training engine behind fit (dropout_lib._engine) has its own tests in test_engine.py.
"""

import numpy as np
import pytest

from dropout_lib.data import digits_split
from dropout_lib.family import gaussian_noise
from dropout_lib.masks import sample_mask
from dropout_lib.mlp import MLP, GaussianDropoutMLP, History, softmax

SIZES = (6, 5, 4, 3)


def _batch(rng, n=7, sizes=SIZES):
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], size=n)
    return X, y


def _masks(model, n, rng):
    return [sample_mask((n, size), p, rng) for p, size in zip(model.drop_rates, model.layer_sizes)]


@pytest.mark.parametrize("p_input, p_hidden", [(0.0, 0.0), (0.2, 0.5), (0.0, 0.3)])
def test_gradients_match_central_finite_differences(rng, p_input, p_hidden):
    model = MLP(SIZES, p_input=p_input, p_hidden=p_hidden, seed=3)
    X, y = _batch(rng)
    masks = _masks(model, len(X), rng)
    weights = [w.astype(np.float64) for w in model.weights]
    biases = [rng.normal(scale=0.1, size=b.shape) for b in model.biases]
    _, grad_w, grad_b = model.loss_and_gradients(X, y, masks, weights=weights, biases=biases)
    assert grad_w[0].dtype == np.float64

    def loss_at(ws, bs):
        return model.loss_and_gradients(X, y, masks, weights=ws, biases=bs)[0]

    # Central differences in float64 have error O(eps**2) plus rounding
    # O(1e-16 / eps); eps = 1e-6 keeps both near 1e-10, far below the tolerance.
    # With random Gaussian weights a pre-activation within 1e-6 of a ReLU kink
    # has probability of order 1e-6, so the loss is smooth around these points.
    eps = 1e-6
    for params, grads in ((weights, grad_w), (biases, grad_b)):
        for param, grad in zip(params, grads):
            numeric = np.empty_like(param)
            for index in np.ndindex(param.shape):
                saved = param[index]
                param[index] = saved + eps
                up = loss_at(weights, biases)
                param[index] = saved - eps
                down = loss_at(weights, biases)
                param[index] = saved
                numeric[index] = (up - down) / (2 * eps)
            np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_training_steps_match_pytorch(rng, weight_decay):
    torch = pytest.importorskip("torch")
    sizes = (8, 16, 12, 5)
    p_input, p_hidden, max_norm = 0.2, 0.5, 1.2
    lr, momentum = 0.1, 0.9
    model = MLP(
        sizes,
        p_input=p_input,
        p_hidden=p_hidden,
        max_norm=max_norm,
        weight_decay=weight_decay,
        seed=1,
    )
    weights = [w.copy() for w in model.weights]
    biases = [rng.normal(scale=0.1, size=b.shape).astype(np.float32) for b in model.biases]
    model.set_parameters(weights, biases)

    # PyTorch stores Linear weights as (out, in): ours transposed.
    t_weights = [torch.tensor(w.T.copy(), requires_grad=True) for w in weights]
    t_biases = [torch.tensor(b.copy(), requires_grad=True) for b in biases]
    # Weight decay on the weights only: the biases form a group without it.
    optimizer = torch.optim.SGD(
        [{"params": t_weights, "weight_decay": weight_decay}, {"params": t_biases}],
        lr=lr,
        momentum=momentum,
    )

    # Two steps, so that the momentum buffer carries over once.
    for _ in range(2):
        X, y = _batch(rng, n=9, sizes=sizes)
        X = X.astype(np.float32)
        masks = _masks(model, len(X), rng)
        loss = model.train_step(X, y, lr=lr, momentum=momentum, keep_masks=masks)

        a = torch.tensor(X)
        for layer, (weight, bias) in enumerate(zip(t_weights, t_biases)):
            p = model.drop_rates[layer]
            a = a * torch.tensor(masks[layer]) / (1 - p)
            a = torch.nn.functional.linear(a, weight, bias)
            if layer < len(t_weights) - 1:
                a = torch.relu(a)
        t_loss = torch.nn.functional.cross_entropy(a, torch.tensor(y))
        optimizer.zero_grad()
        t_loss.backward()
        optimizer.step()
        with torch.no_grad():
            for weight in t_weights[:-1]:
                # Rows of a torch weight are the incoming vectors of the units.
                weight.copy_(torch.renorm(weight, 2, 0, max_norm))
        assert loss == pytest.approx(t_loss.item(), rel=1e-5)

    # float32 tolerance: a few units in the last place of values of order 1.
    for ours, theirs in zip(model.weights, t_weights):
        np.testing.assert_allclose(ours, theirs.detach().numpy().T, rtol=1e-5, atol=2e-6)
    for ours, theirs in zip(model.biases, t_biases):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-5, atol=2e-6)


def test_predictions_are_probabilities_and_mc_without_dropout_is_weight_scaling(rng):
    X, y = _batch(rng, n=20)
    plain = MLP(SIZES, seed=0)
    probs = plain.predict_proba(X)
    assert probs.dtype == np.float32 and probs.shape == (20, SIZES[-1])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    # With p = 0 every Monte-Carlo pass is the deterministic network.
    np.testing.assert_allclose(plain.predict_proba(X, mc_samples=3), probs, rtol=1e-6)
    np.testing.assert_array_equal(plain.predict(X), probs.argmax(axis=1))

    dropped = MLP(SIZES, p_hidden=0.5, seed=0)
    samples = dropped.predict_proba_samples(X, 4)
    assert samples.shape == (4, 20, SIZES[-1])
    assert not np.allclose(samples[0], samples[1])


def test_hidden_activations_are_the_relu_layers(rng):
    model = MLP(SIZES, p_input=0.3, p_hidden=0.5, seed=2)
    X, _ = _batch(rng, n=11)
    acts = model.hidden_activations(X)
    assert [a.shape for a in acts] == [(11, 5), (11, 4)]
    first = np.maximum(X.astype(np.float32) @ model.weights[0] + model.biases[0], 0)
    np.testing.assert_allclose(acts[0], first, rtol=1e-6)
    second = np.maximum(first @ model.weights[1] + model.biases[1], 0)
    np.testing.assert_allclose(acts[1], second, rtol=1e-5, atol=1e-7)
    logits = second @ model.weights[2] + model.biases[2]
    np.testing.assert_allclose(model.predict_proba(X), softmax(logits), rtol=1e-5, atol=1e-7)


def test_fit_learns_the_digits_and_records_history():
    data = digits_split(300, 100, seed=0)
    model = MLP((64, 64, 10), p_hidden=0.2, seed=0)
    history = model.fit(data.X_train, data.y_train, epochs=15, X_val=data.X_val, y_val=data.y_val)
    assert isinstance(history, History) and history.epochs == 15
    assert history.val_error.shape == history.train_loss.shape == (15,)
    # Chance is 90% error; any working network gets far below it on the digits.
    assert history.train_error[-1] < 0.1 and history.val_error[-1] < 0.2
    assert history.train_loss[-1] < history.train_loss[0]
    assert model.error(data.X_val, data.y_val) == history.val_error[-1]


def test_max_norm_bounds_every_hidden_unit():
    data = digits_split(200, seed=1)
    model = MLP((64, 32, 32, 10), max_norm=0.5, seed=0)
    model.fit(data.X_train, data.y_train, epochs=3, lr=0.5)
    for weight in model.weights[:-1]:
        assert np.linalg.norm(weight, axis=0).max() <= 0.5 * (1 + 1e-5)


def test_same_seed_same_result_and_different_seed_different_result():
    data = digits_split(100, seed=2)

    def run(seed):
        model = MLP((64, 20, 10), p_input=0.2, p_hidden=0.5, seed=seed)
        history = model.fit(data.X_train, data.y_train, epochs=3)
        return model, history

    (a, ha), (b, hb), (c, _) = run(5), run(5), run(6)
    np.testing.assert_array_equal(ha.train_loss, hb.train_loss)
    for wa, wb, wc in zip(a.weights, b.weights, c.weights):
        np.testing.assert_array_equal(wa, wb)
        assert not np.array_equal(wa, wc)
    np.testing.assert_array_equal(
        a.predict_proba(data.X_test, mc_samples=5), b.predict_proba(data.X_test, mc_samples=5)
    )


def test_inputs_are_not_modified():
    data = digits_split(64, 32, seed=3)
    X, y = data.X_train.copy(), data.y_train.copy()
    X_val, y_val = data.X_val.copy(), data.y_val.copy()
    model = MLP((64, 16, 10), p_input=0.2, p_hidden=0.5, seed=0)
    model.fit(X, y, epochs=2, X_val=X_val, y_val=y_val)
    model.predict_proba(X_val, mc_samples=3)
    model.hidden_activations(X_val)
    model.loss_and_gradients(X[:5], y[:5], _masks(model, 5, np.random.default_rng(0)))
    np.testing.assert_array_equal(X, data.X_train)
    np.testing.assert_array_equal(y, data.y_train)
    np.testing.assert_array_equal(X_val, data.X_val)
    np.testing.assert_array_equal(y_val, data.y_val)


def test_gaussian_noise_has_the_inverted_bernoulli_moments():
    p, n = 0.3, 200_000
    noise = gaussian_noise((n,), p, np.random.default_rng(0))
    variance = p / (1 - p)
    # Standard errors: sqrt(var / n) for the mean, var * sqrt(2 / n) for the
    # variance of a Gaussian; 5 standard errors leave room for any fixed seed.
    assert abs(noise.mean() - 1) < 5 * np.sqrt(variance / n)
    assert abs(noise.var() - variance) < 5 * variance * np.sqrt(2 / n)
    model = GaussianDropoutMLP((64, 16, 10), p_hidden=0.5, seed=0)
    data = digits_split(100, seed=0)
    assert model.fit(data.X_train, data.y_train, epochs=2).train_loss.shape == (2,)


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        ({"p_input": 1.5}, ValueError, "p_input"),
        ({"p_hidden": "half"}, TypeError, "p_hidden"),
        ({"p_hidden": 1.0}, ValueError, "p_hidden"),
        ({"max_norm": 0.0}, ValueError, "max_norm"),
        ({"max_norm": "big"}, TypeError, "max_norm"),
        ({"weight_decay": -1e-4}, ValueError, "weight_decay"),
        ({"weight_decay": float("nan")}, ValueError, "weight_decay"),
        ({"weight_decay": float("inf")}, ValueError, "weight_decay"),
        ({"weight_decay": "1e-4"}, TypeError, "weight_decay"),
        ({"weight_decay": True}, TypeError, "weight_decay"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
    ],
)
def test_bad_constructor_arguments_are_named(kwargs, error, name):
    with pytest.raises(error, match=name):
        MLP((4, 3, 2), **kwargs)


def test_bad_layer_sizes_are_named():
    with pytest.raises(ValueError, match="layer_sizes"):
        MLP((4,))
    with pytest.raises(TypeError, match="layer_sizes"):
        MLP((4, 2.5, 2))


@pytest.mark.parametrize(
    "change, error, name",
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"epochs": 2.0}, TypeError, "epochs"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"lr": 0.0}, ValueError, "lr"),
        ({"momentum": 1.0}, ValueError, "momentum"),
        ({"X": np.zeros((5, 3))}, ValueError, "X"),
        ({"X": np.full((5, 4), np.nan)}, ValueError, "X"),
        ({"y": np.zeros(5)}, TypeError, "y"),
        ({"y": np.full(5, 2)}, ValueError, "y"),
        ({"y": np.zeros(4, dtype=int)}, ValueError, "y"),
        ({"X_val": np.zeros((2, 4))}, ValueError, "X_val"),
    ],
)
def test_bad_fit_arguments_are_named(change, error, name):
    arguments = {"X": np.zeros((5, 4)), "y": np.zeros(5, dtype=int), "epochs": 1}
    arguments.update(change)
    model = MLP((4, 3, 2))
    with pytest.raises(error, match=name):
        model.fit(arguments.pop("X"), arguments.pop("y"), **arguments)


def test_bad_prediction_arguments_are_named():
    model = MLP((4, 3, 2))
    with pytest.raises(ValueError, match="mc_samples"):
        model.predict_proba(np.zeros((2, 4)), mc_samples=0)
    with pytest.raises(ValueError, match="X"):
        model.predict(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="keep_masks"):
        model.loss_and_gradients(np.zeros((2, 4)), np.zeros(2, dtype=int), [np.ones((2, 4))])


def test_training_multipliers_are_inverted_bernoulli_with_drop_probability_p():
    p, n = 0.3, 100_000
    multipliers = MLP((4, 2), p_input=p)._noise((n,), p, np.random.default_rng(1))
    assert multipliers.dtype == np.float32
    assert set(np.unique(multipliers)) == {0.0, np.float32(1 / (1 - p))}
    # The dropped fraction is a mean of n Bernoulli(p) draws: standard error
    # sqrt(p (1 - p) / n); 5 of them leave room for any fixed seed.
    assert abs(np.mean(multipliers == 0) - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_weight_decay_is_the_gradient_of_the_l2_penalty(rng):
    # One SGD step without momentum moves the weights by lr times the gradient
    # of loss + weight_decay / 2 * sum |W|^2, the penalty's gradient found by
    # central differences in float64; the biases feel no penalty.
    sizes, lr, decay = (6, 5, 3), 0.1, 0.3
    X, y = _batch(rng, n=7, sizes=sizes)
    plain = MLP(sizes, seed=4)
    decayed = MLP(sizes, weight_decay=decay, seed=4)
    before = [w.astype(np.float64) for w in decayed.weights]
    plain.train_step(X, y, lr=lr, momentum=0.0)
    decayed.train_step(X, y, lr=lr, momentum=0.0)

    def penalty(weights):
        return decay / 2 * sum(float((w**2).sum()) for w in weights)

    eps = 1e-6
    for layer, w0 in enumerate(before):
        numeric = np.zeros_like(w0)
        for index in np.ndindex(w0.shape):
            up = [w.copy() for w in before]
            down = [w.copy() for w in before]
            up[layer][index] += eps
            down[layer][index] -= eps
            numeric[index] = (penalty(up) - penalty(down)) / (2 * eps)
        shift = plain.weights[layer] - decayed.weights[layer]
        np.testing.assert_allclose(shift, lr * numeric, rtol=1e-4, atol=1e-6)
    for a, b in zip(plain.biases, decayed.biases):
        np.testing.assert_array_equal(a, b)
