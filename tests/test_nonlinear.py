"""Sigmoid ensembles (NWGM identity, Baldi-Sadowski bound) and ReLU Jensen gaps."""

import itertools
import math

import numpy as np
import pytest

from dropout_lib import nonlinear as nl
from dropout_lib.data import digits_split
from dropout_lib.mlp import MLP


def _brute_force(w, x, p, bias):
    """Every subnetwork written out with itertools, independently of enumerate_masks."""
    q = 1 - p
    values, probs = [], []
    for mask in itertools.product((0, 1), repeat=len(w)):
        values.append(sum(m * wi * xi for m, wi, xi in zip(mask, w, x)) + bias)
        probs.append(math.prod(q if m else p for m in mask))
    return np.array(values), np.array(probs)


def _sig(s):
    return 1 / (1 + np.exp(-s))


def test_worked_example_by_hand():
    # w = (2, -1), x = (1.5, 1), q = 0.6: z = 0, 3, -1, 2 with probs .16, .24, .24, .36.
    ens = nl.sigmoid_ensemble([2.0, -1.0], [1.5, 1.0], 0.4)
    expected = 0.16 * _sig(0) + 0.24 * _sig(3) + 0.24 * _sig(-1) + 0.36 * _sig(2)
    assert ens.arithmetic_mean == pytest.approx(expected, rel=1e-12)
    assert ens.weight_scaled == pytest.approx(_sig(1.2), rel=1e-12)
    assert ens.nwgm == pytest.approx(_sig(1.2), rel=1e-12)


def test_ensemble_quantities_match_brute_force(rng):
    for _ in range(20):
        n = int(rng.integers(1, 7))
        w, x = rng.normal(size=n) * 2, rng.normal(size=n)
        p, bias = float(rng.uniform(0, 1)), float(rng.normal())
        values, probs = _brute_force(w, x, p, bias)
        ens = nl.sigmoid_ensemble(w, x, p, bias=bias)
        g = np.prod(_sig(values) ** probs)
        g_c = np.prod((1 - _sig(values)) ** probs)
        assert ens.arithmetic_mean == pytest.approx(probs @ _sig(values), rel=1e-10)
        assert ens.geometric == pytest.approx(g, rel=1e-10)
        assert ens.geometric_complement == pytest.approx(g_c, rel=1e-10)
        assert ens.nwgm == pytest.approx(g / (g + g_c), rel=1e-10)


def test_nwgm_equals_sigmoid_of_the_mean_pre_activation_always(rng):
    for _ in range(500):
        n = int(rng.integers(1, 11))
        w, x = rng.normal(size=n) * rng.uniform(0.1, 4), rng.normal(size=n)
        p = float(rng.choice([0.0, 1.0, rng.uniform()]))
        ens = nl.sigmoid_ensemble(w, x, p, bias=float(rng.normal()))
        assert ens.nwgm == pytest.approx(ens.weight_scaled, rel=1e-12, abs=1e-15)


def _random_units(rng, count, max_scale):
    for _ in range(count):
        n = int(rng.integers(1, 11))
        w, x = rng.normal(size=n) * rng.uniform(0.05, max_scale), rng.normal(size=n)
        yield nl.sigmoid_ensemble(w, x, float(rng.uniform()), bias=float(rng.normal()))


def test_ky_fan_orders_the_means_when_all_outputs_are_on_one_side(rng):
    # Ky Fan's inequality: outputs all <= 1/2 give NWGM <= E; all >= 1/2 give NWGM >= E.
    sides = 0
    for ens in _random_units(rng, 3000, 5):
        outputs = nl.sigmoid(ens.s)
        if np.all(outputs <= 0.5):
            assert ens.nwgm <= ens.arithmetic_mean + 1e-12
            sides += 1
        elif np.all(outputs >= 0.5):
            assert ens.nwgm >= ens.arithmetic_mean - 1e-12
            sides += 1
    assert sides > 300


def test_second_order_approximation_becomes_exact_as_the_spread_shrinks(rng):
    w, x = rng.normal(size=6), rng.normal(size=6)
    errors = []
    for eps in (0.2, 0.1, 0.05):
        ens = nl.sigmoid_ensemble(eps * w, x, 0.4, bias=0.7)
        gap = ens.arithmetic_mean - ens.nwgm
        approx = nl.nwgm_gap_second_order(ens.arithmetic_mean, ens.output_variance)
        errors.append(abs(approx / gap - 1))
    # The neglected terms are one order of eps smaller: halving eps about halves the error.
    assert errors[2] < errors[1] < errors[0] < 0.2
    assert errors[1] / errors[0] == pytest.approx(0.5, abs=0.15)


def test_the_quoted_bound_holds_for_small_spread_but_is_not_a_guarantee(rng):
    held = total = 0
    for ens in _random_units(rng, 3000, 5):
        spread = math.sqrt(ens.probs @ (ens.s - ens.probs @ ens.s) ** 2)
        if spread < 0.5:
            total += 1
            gap = abs(ens.arithmetic_mean - ens.nwgm)
            held += gap <= nl.baldi_sadowski_bound(ens.arithmetic_mean) + 1e-12
    assert total > 300 and held / total > 0.99
    # A counterexample by hand: S = -2 with probability 0.7 and 18 with probability 0.3.
    ens = nl.sigmoid_ensemble([20.0], [1.0], 0.7, bias=-2.0)
    expected_mean = 0.7 * _sig(-2.0) + 0.3 * _sig(18.0)
    assert ens.arithmetic_mean == pytest.approx(expected_mean)
    assert ens.nwgm == pytest.approx(_sig(4.0))
    assert abs(ens.arithmetic_mean - ens.nwgm) > 5 * nl.baldi_sadowski_bound(expected_mean)


def test_bound_closed_form():
    np.testing.assert_allclose(nl.baldi_sadowski_bound([0.0, 0.5, 1.0]), 0.0)
    assert nl.baldi_sadowski_bound(0.25) == pytest.approx(2 * 0.25 * 0.75 * 0.5)


def test_sigmoid_and_relu_helpers():
    s = np.array([-800.0, 0.0, 800.0], dtype=np.float32)
    np.testing.assert_allclose(nl.sigmoid(s), [0.0, 0.5, 1.0])
    assert nl.sigmoid(s).dtype == np.float32
    np.testing.assert_array_equal(nl.relu(np.array([-1.0, 2.0])), [0.0, 2.0])


def test_relu_unit_gap_by_hand_and_jensen(rng):
    # Worked example: E[relu] = .24 * 3 + .36 * 2 = 1.44 and relu(E) = 1.2.
    assert nl.relu_unit_gap([2.0, -1.0], [1.5, 1.0], 0.4) == pytest.approx(0.24)
    for _ in range(200):
        n = int(rng.integers(1, 9))
        w, x, p = rng.normal(size=n), rng.normal(size=n), float(rng.uniform())
        values, probs = _brute_force(w, x, p, 0.3)
        gap = nl.relu_unit_gap(w, x, p, bias=0.3)
        assert gap == pytest.approx(probs @ np.maximum(values, 0) - max(probs @ values, 0))
        assert gap >= -1e-12
    # All contributions positive: relu is linear on the support, so no gap.
    assert nl.relu_unit_gap([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], 0.5) == pytest.approx(0.0)


def test_relu_layer_gaps_on_a_small_trained_network():
    split = digits_split(n_train=300, seed=0)
    model = MLP((64, 32, 32, 10), p_hidden=0.5, seed=0)
    model.fit(split.X_train, split.y_train, epochs=3)
    gaps = nl.relu_layer_gaps(model, split.X_test[:50], n_samples=200, seed=1)
    assert gaps.jensen.shape == gaps.scaling.shape == gaps.activation.shape == (2,)
    # No dropout before the first hidden layer (p_input = 0): S is deterministic there.
    assert gaps.jensen[0] == pytest.approx(0.0, abs=1e-6)
    assert gaps.scaling[0] == pytest.approx(0.0, abs=1e-5)
    # Behind a dropout layer the ensemble's mean activation exceeds relu of the mean.
    assert gaps.jensen[1] > 0
    with pytest.raises(ValueError, match="n_samples"):
        nl.relu_layer_gaps(model, split.X_test[:5], n_samples=1)
    with pytest.raises(ValueError, match="shape"):
        nl.relu_layer_gaps(model, np.ones((2, 3)))


def test_relu_layer_gap_of_one_layer_matches_exact_enumeration():
    # A 2-4-1... network whose second hidden layer reads 4 dropped units: enumerate the 16 masks.
    model = MLP((2, 4, 3, 2), p_hidden=0.5, seed=3)
    X = np.array([[0.5, -1.0], [1.0, 2.0]], dtype=np.float32)
    h = model.hidden_activations(X)[0].astype(np.float64)
    W, b = model.weights[1].astype(np.float64), model.biases[1].astype(np.float64)
    exact = []
    for i in range(2):
        for j in range(3):
            exact.append(nl.relu_unit_gap(W[:, j] / 0.5, h[i], 0.5, bias=float(b[j])))
    n = 40_000
    gaps = nl.relu_layer_gaps(model, X, n_samples=n, seed=2)
    # Each per-unit estimate has sd below max|S| / sqrt(n); allow 5 of them.
    scale = np.abs(h) @ np.abs(W / 0.5) + np.abs(b)
    assert abs(gaps.jensen[1] - np.mean(exact)) < 5 * scale.max() / math.sqrt(n)


# ------------------------------------------------------------ argument checks


@pytest.fixture(scope="module")
def small_model():
    return MLP((4, 3, 3, 2), p_hidden=0.5, seed=0)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m: nl.sigmoid_ensemble([1.0], [1.0], 0.5, bias="0"), TypeError, "bias"),
        (lambda m: nl.sigmoid_ensemble([1.0], [1.0], 0.5, bias=float("nan")), ValueError, "bias"),
        (lambda m: nl.sigmoid_ensemble([1.0], [1.0], "0.5"), TypeError, "p"),
        (lambda m: nl.sigmoid_ensemble([1.0], [1.0], 1.5), ValueError, "p"),
        (lambda m: nl.relu_unit_gap([1.0], [1.0], 0.5, bias=None), TypeError, "bias"),
        (lambda m: nl.relu_layer_gaps(m, np.ones((2, 4)), n_samples=10.0), TypeError,
         "n_samples"),
        (lambda m: nl.relu_layer_gaps(m, np.ones((2, 4)), n_samples=1), ValueError, "n_samples"),
        (lambda m: nl.relu_layer_gaps(m, np.ones((2, 4)), seed="1"), TypeError, "seed"),
        (lambda m: nl.relu_layer_gaps(m, np.ones((2, 5))), ValueError, "shape"),
        (lambda m: nl.sigmoid(["a"]), TypeError, "s"),
    ],
)  # fmt: skip
def test_bad_types_are_type_errors_and_bad_values_value_errors(small_model, call, error, match):
    with pytest.raises(error, match=match):
        call(small_model)


def test_numpy_numbers_are_accepted_where_ints_and_floats_are(small_model):
    gaps = nl.relu_layer_gaps(small_model, np.ones((2, 4)), n_samples=np.int64(5), seed=np.int64(1))
    assert gaps.jensen.shape == (2,)
    ens = nl.sigmoid_ensemble([1.0], [1.0], np.float32(0.5), bias=np.float64(0.5))
    # Two subnetworks: S = 0.5 (dropped) and 1.5 (kept), each with probability 1/2.
    assert ens.arithmetic_mean == pytest.approx(0.5 * (_sig(0.5) + _sig(1.5)))


def test_results_are_frozen_dataclasses():
    ens = nl.sigmoid_ensemble([1.0], [1.0], 0.5)
    with pytest.raises(AttributeError):
        ens.nwgm = 0.0


# ------------------------------------------------------------ softmax read-out


def _softmax_brute_force(h, W, b, p, inverted):
    """Every subnetwork of a read-out written out with itertools."""
    q = 1 - p
    geometric, arithmetic = np.zeros(W.shape[1]), np.zeros(W.shape[1])
    mean_z = np.zeros(W.shape[1])
    for mask in itertools.product((0, 1), repeat=len(h)):
        prob = math.prod(q if m else p for m in mask)
        z = (np.array(mask) * h) @ W / (q if inverted else 1.0) + b
        out = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        geometric += prob * np.log(out)
        arithmetic += prob * out
        mean_z += prob * z
    return np.exp(geometric), arithmetic, mean_z


@pytest.mark.parametrize("inverted", [False, True])
def test_softmax_read_out_is_the_renormalised_geometric_mean(rng, inverted):
    for p in (0.1, 0.5, 0.9):
        h, W, b = np.abs(rng.normal(size=6)), 3 * rng.normal(size=(6, 4)), rng.normal(size=4)
        ens = nl.softmax_ensemble(h, W, p, bias=b, inverted=inverted)
        geometric, arithmetic, mean_z = _softmax_brute_force(h, W, b, p, inverted)
        assert np.allclose(ens.geometric, geometric)
        assert np.allclose(ens.arithmetic_mean, arithmetic)
        assert np.allclose(ens.nwgm, geometric / geometric.sum())
        scaled = np.exp(mean_z) / np.exp(mean_z).sum()
        assert np.allclose(ens.weight_scaled, scaled) and np.allclose(ens.nwgm, scaled, atol=1e-12)
        if inverted:  # the unchanged read-out
            direct = np.exp(h @ W + b) / np.exp(h @ W + b).sum()
            assert np.allclose(ens.weight_scaled, direct)


def test_two_class_softmax_is_the_sigmoid_unit(rng):
    # Logits (s, 0): class 0 has probability sigmoid(s), so both NWGMs agree.
    w, x, bias = rng.normal(size=5), rng.normal(size=5), 0.3
    sig = nl.sigmoid_ensemble(w, x, 0.4, bias=bias)
    soft = nl.softmax_ensemble(x, np.stack([w, np.zeros(5)], axis=1), 0.4, bias=[bias, 0.0])
    assert soft.nwgm[0] == pytest.approx(sig.nwgm)
    assert soft.arithmetic_mean[0] == pytest.approx(sig.arithmetic_mean)


def test_softmax_ensemble_argument_rule():
    with pytest.raises(ValueError, match="W"):
        nl.softmax_ensemble(np.ones(3), np.ones((2, 2)), 0.5)
    with pytest.raises(ValueError, match="bias"):
        nl.softmax_ensemble(np.ones(3), np.ones((3, 2)), 0.5, bias=np.ones(3))
    with pytest.raises(TypeError, match="inverted"):
        nl.softmax_ensemble(np.ones(3), np.ones((3, 2)), 0.5, inverted=1)
    with pytest.raises(TypeError, match="p"):
        nl.softmax_ensemble(np.ones(3), np.ones((3, 2)), "0.5")


def test_spread_of_the_second_layer_matches_the_linear_unit_variance():
    # Only the first hidden layer's outputs are dropped before layer 2, so each of its
    # pre-activations is a linear unit: Var = p / (1 - p) * sum_i h_i^2 W_ij^2 (inverted).
    model = MLP((3, 5, 4, 2), p_hidden=0.5, seed=4)
    X = np.array([[0.5, -1.0, 2.0], [1.0, 0.3, -0.2]], dtype=np.float32)
    h = model.hidden_activations(X)[0].astype(np.float64)
    W = model.weights[1].astype(np.float64)
    closed_sd = np.sqrt(0.5 / 0.5 * (h**2) @ (W**2))
    n = 20_000
    gaps = nl.relu_layer_gaps(model, X, n_samples=n, seed=3)
    assert np.all(gaps.spread[0] == 0)  # nothing is dropped before the first layer
    # The sd of a sample sd is below sd * sqrt(kurtosis / (4 n)); a two-point sum has small
    # kurtosis, and 5 such errors (with kurtosis up to 4) are allowed.
    assert np.allclose(gaps.spread[1], closed_sd, atol=5 * closed_sd.max() / math.sqrt(n))
    mean_closed = h @ W + model.biases[1]
    assert np.allclose(
        gaps.mean_preactivation[1], mean_closed, atol=5 * closed_sd.max() / math.sqrt(n)
    )


def test_mc_proba_matches_the_exact_average_over_every_mask():
    # A 2-4-3-2 network with hidden dropout: 4 + 3 dropped units, 128 subnetworks.
    model = MLP((2, 4, 3, 2), p_hidden=0.5, seed=3)
    X = np.array([[0.5, -1.0], [1.0, 2.0]], dtype=np.float32)
    W = [w.astype(np.float64) for w in model.weights]
    b = [v.astype(np.float64) for v in model.biases]
    exact = np.zeros((2, 2))
    for m1 in itertools.product((0, 1), repeat=4):
        for m2 in itertools.product((0, 1), repeat=3):
            a = np.maximum(X @ W[0] + b[0], 0) * np.array(m1) / 0.5
            a = np.maximum(a @ W[1] + b[1], 0) * np.array(m2) / 0.5
            z = a @ W[2] + b[2]
            exact += 0.5**7 * np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = 40_000
    gaps = nl.relu_layer_gaps(model, X, n_samples=n, seed=5)
    # A probability has sd at most 1/2, so its mean over n passes has se at most 0.5 / sqrt(n).
    assert np.allclose(gaps.mc_proba, exact, atol=5 * 0.5 / math.sqrt(n))
    assert np.allclose(gaps.mc_proba.sum(axis=1), 1)


def test_train_together_ends_where_each_fit_would():
    split = digits_split(n_train=64, seed=0)
    together = [MLP((64, 8, 10), p_hidden=p, seed=s) for p, s in ((0.2, 0), (0.5, 1))]
    histories = nl.train_together(together, split.X_train, split.y_train, epochs=3, lr=0.05)
    for model in together:
        alone = MLP((64, 8, 10), p_hidden=model.p_hidden, seed=model.seed)
        alone.fit(split.X_train, split.y_train, epochs=3, lr=0.05)
        for mine, theirs in zip(model.weights, alone.weights):
            assert np.allclose(mine, theirs, rtol=1e-4, atol=1e-5)
    assert all(h.epochs == 3 and not np.isnan(h.train_error[-1]) for h in histories)


def test_train_together_evaluates_only_the_last_epochs_and_continues_where_it_stopped():
    split = digits_split(n_train=64, seed=0)
    kwargs = {"p_hidden": 0.3, "seed": 4}
    once, twice = MLP((64, 8, 10), **kwargs), MLP((64, 8, 10), **kwargs)
    (history,) = nl.train_together([once], split.X_train, split.y_train, epochs=4, evaluate_last=1)
    assert np.isnan(history.train_error[:3]).all() and not np.isnan(history.train_error[3])
    # Two calls are one run of the same length: evaluation draws nothing and the momentum is kept
    # (to float32 rounding: the engine holds lr * velocity and hands back the velocity).
    nl.train_together([twice], split.X_train, split.y_train, epochs=2, evaluate_last=2)
    nl.train_together([twice], split.X_train, split.y_train, epochs=2, evaluate_last=1)
    for mine, theirs in zip(twice.weights, once.weights):
        assert np.allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="evaluate_last"):
        nl.train_together([once], split.X_train, split.y_train, epochs=2, evaluate_last=0)
