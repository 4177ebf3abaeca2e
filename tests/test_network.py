"""The two-layer network of chapters 3 and 4: train and test steps against exact enumeration."""

import itertools
import math

import numpy as np
import pytest

from dropout_lib import network
from dropout_lib.display import markdown_table


@pytest.fixture
def net():
    return network.make_network(n_in=3, n_hidden=6, n_out=2, seed=0)


X = np.array([-1.0, -1.0, 1.0])


def reference_output(net, x, keep_mask, scale):
    """The forward pass written out unit by unit, independently of the library."""
    hidden = []
    for j in range(net.W1.shape[0]):
        pre = sum(net.W1[j, i] * x[i] for i in range(len(x))) + net.b1[j]
        hidden.append(max(0.0, pre) * keep_mask[j] * scale)
    return np.array(
        [sum(net.W2[k, j] * hidden[j] for j in range(len(hidden))) + net.b2[k] for k in range(2)]
    )


def exact_training_mean(net, x, p, inverted):
    """Average of the training output over every mask, from itertools.product."""
    n_hidden = net.W1.shape[0]
    scale = 1 / (1 - p) if inverted else 1.0
    total = np.zeros(2)
    for mask in itertools.product([0, 1], repeat=n_hidden):
        kept = sum(mask)
        prob = (1 - p) ** kept * p ** (n_hidden - kept)
        total += prob * reference_output(net, x, mask, scale)
    return total


def test_make_network_is_seeded_and_shaped():
    a = network.make_network(4, 7, 2, seed=3)
    b = network.make_network(4, 7, 2, seed=3)
    c = network.make_network(4, 7, 2, seed=4)
    assert a.sizes == (4, 7, 2)
    assert (
        a.W1.shape == (7, 4) and a.b1.shape == (7,) and a.W2.shape == (2, 7) and a.b2.shape == (2,)
    )
    assert np.array_equal(a.W1, b.W1) and np.array_equal(a.W2, b.W2)
    assert not np.array_equal(a.W1, c.W1)


@pytest.mark.parametrize(
    "name,value,error",
    [("n_in", 0, ValueError), ("n_hidden", -2, ValueError), ("n_out", 1.5, TypeError)],
)
def test_make_network_rejects_bad_sizes(name, value, error):
    with pytest.raises(error, match=name):
        network.make_network(**{name: value})


def test_make_network_accepts_numpy_ints():
    a = network.make_network(np.int64(3), np.int64(4), np.int64(2), seed=np.int64(5))
    b = network.make_network(3, 4, 2, seed=5)
    assert a.sizes == (3, 4, 2) and np.array_equal(a.W1, b.W1)


def test_input_shape_is_checked(net):
    with pytest.raises(ValueError, match="n_in=3"):
        network.hidden_layer(net, np.ones(4))
    with pytest.raises(ValueError, match="h1 must have shape .* n_hidden=6"):
        network.output_layer(net, np.ones(5))
    with pytest.raises(TypeError, match="net must be a TwoLayerNet"):
        network.hidden_layer({"W1": net.W1}, np.ones(3))


def test_forward_with_mask_names_the_hidden_layer_in_a_mask_mismatch(net):
    with pytest.raises(ValueError, match=r"mask has shape \(5,\), but the hidden layer of x"):
        network.forward_with_mask(net, X, np.ones(5, bool), 0.5, inverted=True)


def test_plain_forward_matches_reference(net):
    assert np.allclose(network.test_step_inverted(net, X), reference_output(net, X, [1] * 6, 1.0))


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_test_step_is_exact_mean_of_training(net, p):
    assert np.allclose(network.test_step(net, X, p), exact_training_mean(net, X, p, False))
    mean, probs, outputs = network.outputs_over_all_masks(net, X, p)
    assert np.allclose(mean, exact_training_mean(net, X, p, False))
    assert outputs.shape == (64, 2) and math.isclose(probs.sum(), 1.0)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_inverted_test_step_is_exact_mean_of_inverted_training(net, p):
    assert np.allclose(network.test_step_inverted(net, X), exact_training_mean(net, X, p, True))
    mean, _, _ = network.outputs_over_all_masks(net, X, p, inverted=True)
    assert np.allclose(mean, network.test_step_inverted(net, X))


@pytest.mark.parametrize("inverted", [False, True])
def test_training_step_outputs_are_possible_mask_outputs(net, inverted):
    _, _, outputs = network.outputs_over_all_masks(net, X, 0.5, inverted=inverted)
    step = network.train_step_inverted if inverted else network.train_step
    rng = np.random.default_rng(1)
    for _ in range(20):
        out = step(net, X, 0.5, rng)
        assert np.isclose(outputs, out).all(axis=1).any()


def test_training_step_edges(net):
    assert np.allclose(network.train_step(net, X, 0.0, rng=0), network.test_step_inverted(net, X))
    assert np.allclose(network.train_step(net, X, 1.0, rng=0), net.b2)
    assert np.allclose(network.train_step_inverted(net, X, 1.0, rng=0), net.b2)


def test_training_mean_within_standard_error(net, rng):
    samples = np.array([network.train_step(net, X, 0.3, rng) for _ in range(4000)])
    se = samples.std(axis=0, ddof=1) / math.sqrt(len(samples))
    # Four standard errors: a false alarm has probability below 1e-4 per output.
    assert np.all(np.abs(samples.mean(axis=0) - network.test_step(net, X, 0.3)) < 4 * se)


def test_same_mask_differs_by_constant_factor(net, rng):
    x = rng.normal(size=(50, 3))
    mask = rng.random((50, 6)) >= 0.4
    standard = network.forward_with_mask(net, x, mask, 0.4, inverted=False)
    inverted = network.forward_with_mask(net, x, mask, 0.4, inverted=True)
    assert np.allclose(inverted - net.b2, (standard - net.b2) / 0.6)
    for row in range(3):
        assert np.allclose(standard[row], reference_output(net, x[row], mask[row], 1.0))


def test_folding_is_the_weight_scaling_rule(net, rng):
    folded = network.fold_dropout_scale(net, 0.25)
    assert np.allclose(folded.W2, 0.75 * net.W2) and np.array_equal(folded.W1, net.W1)
    x = rng.normal(size=(10, 3))
    assert np.allclose(network.test_step(net, x, 0.25), network.test_step_inverted(folded, x))
    mask = rng.random((10, 6)) >= 0.25
    assert np.allclose(
        network.forward_with_mask(net, x, mask, 0.25, inverted=False),
        network.forward_with_mask(folded, x, mask, 0.25, inverted=True),
    )


@pytest.mark.parametrize("inverted", [False, True])
def test_model_train_eval(net, inverted):
    model = network.DropoutModel(net, 0.5, inverted=inverted, seed=0)
    assert model.training
    outputs = {tuple(model(X)) for _ in range(30)}
    assert len(outputs) > 1
    assert model.eval() is model and not model.training
    expected = network.test_step_inverted(net, X) if inverted else network.test_step(net, X, 0.5)
    assert np.array_equal(model(X), expected) and np.array_equal(model(X), model(X))
    assert model.train() is model and model.training
    assert "mode='train'" in repr(model)


def test_model_eval_matches_pytorch(net):
    torch = pytest.importorskip("torch")
    layers = torch.nn.Sequential(
        torch.nn.Linear(3, 6), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(6, 2)
    ).double()
    with torch.no_grad():
        layers[0].weight.copy_(torch.from_numpy(net.W1))
        layers[0].bias.copy_(torch.from_numpy(net.b1))
        layers[3].weight.copy_(torch.from_numpy(net.W2))
        layers[3].bias.copy_(torch.from_numpy(net.b2))
        expected = layers.eval()(torch.from_numpy(X)).numpy()
    model = network.DropoutModel(net, 0.5, seed=0).eval()
    assert np.allclose(model(X), expected)


def test_timing_cell_code_path():
    """The code of chapter 4's timing cell, with few repeats; no assertion on the times."""
    timing_net = network.make_network(n_in=32, n_hidden=256, n_out=32, seed=1)
    batch = np.random.default_rng(1).normal(size=(512, 32))
    timings = network.inference_timings(timing_net, batch, 0.5, repeat=3)
    assert [t.name for t in timings] == [
        "standard: scale activations",
        "standard: weights folded once",
        "inverted: plain network",
    ]
    for t in timings:
        assert isinstance(t, network.Timing)
        assert 0 <= t.best <= t.lower_quartile <= t.median <= t.upper_quartile
        assert t.calls == 3
    plain = timings[-1]
    table = markdown_table(
        [
            "test-time forward pass",
            "fastest (ms)",
            "median (ms)",
            "quartiles (ms)",
            "fastest, relative",
        ],
        [
            [
                t.name,
                f"{t.best * 1e3:.3f}",
                f"{t.median * 1e3:.3f}",
                f"{t.lower_quartile * 1e3:.3f} to {t.upper_quartile * 1e3:.3f}",
                f"{t.best / max(plain.best, 1e-12):.2f}",
            ]
            for t in timings
        ],
        align=["left", "right", "right", "right", "right"],
    )
    assert table.data.count("\n") == 4


def test_timing_restores_the_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    net = network.make_network(n_in=3, n_hidden=4, n_out=2, seed=0)
    network.inference_timings(net, np.ones((2, 3)), 0.5, repeat=1)
    after = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert after == before


def test_inference_operations_count_the_products_by_hand():
    net = network.make_network(n_in=3, n_hidden=4, n_out=2, seed=0)
    # W1 x: 4 hidden units x 3 inputs, W2 h: 2 outputs x 4 hidden, per input; 5 inputs.
    assert network.inference_operations(net, 5) == (5 * (4 * 3 + 2 * 4), 5 * 4)
    with pytest.raises(ValueError, match="batch_size"):
        network.inference_operations(net, 0)
    with pytest.raises(TypeError, match="batch_size"):
        network.inference_operations(net, 2.0)
    with pytest.raises(TypeError, match="net"):
        network.inference_operations("net", 2)


@pytest.mark.parametrize("repeat,error", [(0, ValueError), (1.5, TypeError), (True, TypeError)])
def test_timing_rejects_bad_repeat(net, repeat, error):
    with pytest.raises(error, match="repeat"):
        network.inference_timings(net, np.ones((2, 3)), 0.5, repeat=repeat)
