"""Monte-Carlo dropout: predictive moments, precision, entropy, calibration bins, regression net."""

import math

import numpy as np
import pytest

from dropout_lib import mc_dropout as mc


def test_model_precision_formula_and_inverse():
    tau = mc.model_precision(0.1, 2.0, 50, 1e-3)
    assert tau == pytest.approx(0.9 * 4.0 / (2 * 50 * 1e-3))
    lam = mc.weight_decay_for_precision(0.1, 2.0, 50, tau)
    assert lam == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="weight_decay"):
        mc.model_precision(0.1, 1.0, 10, 0.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        mc.model_precision(1.2, 1.0, 10, 1.0)


def test_predictive_moments_are_the_sample_mean_and_variance_plus_inverse_tau(rng):
    samples = rng.normal(size=(37, 5, 2))
    mean, var = mc.predictive_moments(samples, tau=4.0)
    np.testing.assert_allclose(mean, samples.mean(axis=0))
    np.testing.assert_allclose(var, samples.var(axis=0) + 0.25)
    _, var_no_tau = mc.predictive_moments(samples)
    np.testing.assert_allclose(var_no_tau, samples.var(axis=0))
    # One pass: no spread, only the noise term.
    _, one = mc.predictive_moments(samples[:1], tau=4.0)
    np.testing.assert_allclose(one, 0.25)


def test_predictive_moments_by_samples_uses_prefixes(rng):
    samples = rng.normal(size=(10, 3))
    means, variances = mc.predictive_moments_by_samples(samples, [1, 5, 10], tau=2.0)
    np.testing.assert_allclose(means[1], samples[:5].mean(axis=0))
    np.testing.assert_allclose(variances[2], samples.var(axis=0) + 0.5)
    with pytest.raises(ValueError, match="only 10"):
        mc.predictive_moments_by_samples(samples, [11])


def test_entropy_and_mutual_information_closed_forms():
    assert mc.predictive_entropy(np.full(10, 0.1)) == pytest.approx(math.log(10))
    assert mc.predictive_entropy(np.eye(3)[0]) == pytest.approx(0.0)
    agree = np.tile([[0.7, 0.2, 0.1]], (5, 4, 1))  # every pass the same prediction
    np.testing.assert_allclose(mc.mutual_information(agree), 0.0, atol=1e-12)
    # Two passes certain of different classes: entropy of the mean log 2, mean entropy 0.
    split = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    assert mc.mutual_information(split)[0] == pytest.approx(math.log(2))


def test_error_by_entropy_bins():
    entropy = np.arange(10.0)
    wrong = np.array([0, 0, 0, 0, 0, 1, 0, 1, 1, 1], dtype=bool)
    bins = mc.error_by_entropy(entropy, wrong, n_bins=2)
    np.testing.assert_array_equal(bins.count, [5, 5])
    np.testing.assert_allclose(bins.error_rate, [0.0, 0.8])
    np.testing.assert_allclose(bins.mean_entropy, [2.0, 7.0])
    np.testing.assert_allclose(bins.edges, [0.0, 5.0, 9.0])
    with pytest.raises(ValueError, match="n_bins"):
        mc.error_by_entropy(entropy, wrong, n_bins=11)


def test_gap_data_leaves_the_gap_empty():
    x, y = mc.gap_regression_data(40, noise=0.0, gap=(-1, 1), seed=3)
    assert x.shape == y.shape == (40,) and np.all(np.abs(x) >= 1) and np.all(np.abs(x) <= 4)
    np.testing.assert_allclose(y, mc.gap_target(x))
    with pytest.raises(ValueError, match="span"):
        mc.gap_regression_data(10, gap=(1, -1))


def test_regression_gradients_match_finite_differences(rng):
    net = mc.RegressionNet((5, 4), p=0.3, weight_decay=0.01, seed=1)
    x, y = rng.normal(size=6), rng.normal(size=6)
    masks = net.sample_masks(6, rng)
    _, grad_w, grad_b = net.loss_and_gradients(x, y, masks)
    eps = 1e-6
    for params, grads in ((net.weights, grad_w), (net.biases, grad_b)):
        for param, grad in zip(params, grads):
            for index in np.ndindex(param.shape):
                old = param[index]
                param[index] = old + eps
                up = net.loss_and_gradients(x, y, masks)[0]
                param[index] = old - eps
                down = net.loss_and_gradients(x, y, masks)[0]
                param[index] = old
                assert grad[index] == pytest.approx((up - down) / (2 * eps), abs=1e-6)


def test_regression_fit_is_adam_on_sample_masks_and_loss_and_gradients():
    # fit takes exactly the steps of the public pieces: sample_masks from the training stream,
    # loss_and_gradients, and Adam with bias correction, written out here.
    x, y = mc.gap_regression_data(30, noise=0.1, seed=2)
    fitted = mc.RegressionNet((8, 6), p=0.2, weight_decay=1e-3, seed=5)
    reference = mc.RegressionNet((8, 6), p=0.2, weight_decay=1e-3, seed=5)
    losses = fitted.fit(x, y, epochs=25, lr=0.02)
    params = reference.weights + reference.biases
    first, second = [np.zeros_like(q) for q in params], [np.zeros_like(q) for q in params]
    for step in range(25):
        loss, grad_w, grad_b = reference.loss_and_gradients(x, y, reference.sample_masks(30))
        assert losses[step] == loss
        for param, grad, m, v in zip(params, grad_w + grad_b, first, second):
            m[...] = 0.9 * m + (1 - 0.9) * grad
            v[...] = 0.999 * v + (1 - 0.999) * grad**2
            m_hat, v_hat = m / (1 - 0.9 ** (step + 1)), v / (1 - 0.999 ** (step + 1))
            param -= 0.02 * m_hat / (np.sqrt(v_hat) + 1e-8)
    for mine, theirs in zip(fitted.weights + fitted.biases, params):
        np.testing.assert_array_equal(mine, theirs)
    # predict_samples draws each pass's masks as sample_masks does, from the generator it gets.
    grid, rng, expected = np.linspace(-5, 5, 7), np.random.default_rng(9), []
    for _ in range(3):
        a = grid[:, None]
        for layer, mask in enumerate(fitted.sample_masks(7, rng)):
            a = np.maximum(a @ fitted.weights[layer] + fitted.biases[layer], 0) * mask / 0.8
        expected.append((a @ fitted.weights[-1] + fitted.biases[-1])[:, 0])
    np.testing.assert_allclose(fitted.predict_samples(grid, 3, rng=9), expected, rtol=1e-12)


def test_regression_net_fits_and_mc_mean_approaches_weight_scaling():
    x, y = mc.gap_regression_data(40, noise=0.05, seed=0)
    net = mc.RegressionNet((32, 32), p=0.1, weight_decay=1e-4, seed=0)
    losses = net.fit(x, y, epochs=800, lr=0.01)
    assert losses[-50:].mean() < losses[:50].mean() / 5
    samples = net.predict_samples(x, 400, rng=0)
    assert samples.shape == (400, 40)
    # The MC mean and the weight-scaled prediction differ by a Jensen gap only.
    assert np.mean(np.abs(samples.mean(axis=0) - net.predict(x))) < 0.1
    with pytest.raises(ValueError, match="1-D"):
        net.predict(np.ones((3, 1)))


# ------------------------------------------------------------ argument checks


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: mc.model_precision(0.1, "1", 10, 1.0), TypeError, "length_scale"),
        (lambda: mc.model_precision(0.1, -1.0, 10, 1.0), ValueError, "length_scale"),
        (lambda: mc.model_precision(0.1, 1.0, 10.0, 1.0), TypeError, "n_train"),
        (lambda: mc.model_precision(0.1, 1.0, 0, 1.0), ValueError, "n_train"),
        (lambda: mc.model_precision(0.1, 1.0, 10, True), TypeError, "weight_decay"),
        (lambda: mc.model_precision(0.1, 1.0, 10, float("nan")), ValueError, "weight_decay"),
        (lambda: mc.model_precision("0.1", 1.0, 10, 1.0), TypeError, "p"),
        (lambda: mc.weight_decay_for_precision(0.1, 1.0, 10, 0.0), ValueError, "tau"),
        (lambda: mc.predictive_moments(np.ones((3, 2)), tau="4"), TypeError, "tau"),
        (lambda: mc.predictive_moments(np.ones((3, 2)), tau=-4.0), ValueError, "tau"),
        (lambda: mc.predictive_moments_by_samples(np.ones((3, 2)), [1.5]), TypeError,
         "sample_counts"),
        (lambda: mc.predictive_moments_by_samples(np.ones((3, 2)), [0]), ValueError,
         "sample_counts"),
        (lambda: mc.error_by_entropy(np.arange(4.0), np.zeros(4, bool), n_bins=2.0), TypeError,
         "n_bins"),
        (lambda: mc.error_by_entropy(np.arange(4.0), np.zeros(4, bool), n_bins=0), ValueError,
         "n_bins"),
        (lambda: mc.gap_regression_data(1.5e1), TypeError, "n"),
        (lambda: mc.gap_regression_data(1), ValueError, "n"),
        (lambda: mc.gap_regression_data(10, noise=-0.1), ValueError, "noise"),
        (lambda: mc.gap_regression_data(10, gap=1.0), TypeError, "gap"),
        (lambda: mc.gap_regression_data(10, gap=("a", 1.0)), TypeError, "gap"),
        (lambda: mc.gap_regression_data(10, seed=-1), ValueError, "seed"),
        (lambda: mc.RegressionNet(p=1.0), ValueError, "below 1"),
        (lambda: mc.RegressionNet(p="0.1"), TypeError, "p"),
        (lambda: mc.RegressionNet((8, 0)), ValueError, "hidden_sizes"),
        (lambda: mc.RegressionNet((8, 4.0)), TypeError, "hidden_sizes"),
        (lambda: mc.RegressionNet(weight_decay=-1e-4), ValueError, "weight_decay"),
        (lambda: mc.RegressionNet(weight_decay="0"), TypeError, "weight_decay"),
        (lambda: mc.RegressionNet(seed=1.0), TypeError, "seed"),
        (lambda: mc.RegressionNet().fit(np.ones(3), np.ones(3), epochs=0), ValueError, "epochs"),
        (lambda: mc.RegressionNet().fit(np.ones(3), np.ones(3), lr=None), TypeError, "lr"),
        (lambda: mc.RegressionNet().predict_samples(np.ones(3), 2.0), TypeError, "n_samples"),
        (lambda: mc.RegressionNet().predict_samples(np.ones(3), 0), ValueError, "n_samples"),
        (lambda: mc.RegressionNet().fit(np.ones(3), np.ones((3, 1))), ValueError, "y"),
        (lambda: mc.RegressionNet().loss_and_gradients(np.ones(3), np.ones(4)), ValueError, "y"),
    ],
)  # fmt: skip
def test_bad_types_are_type_errors_and_bad_values_value_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_numpy_integers_are_accepted_where_ints_are():
    tau = mc.model_precision(0.5, np.float32(2.0), np.int64(50), 1e-2)
    assert tau == pytest.approx(0.5 * 4.0 / (2 * 50 * 1e-2))
    x, y = mc.gap_regression_data(np.int64(10), seed=np.int64(1))
    assert x.shape == (10,)
    bins = mc.error_by_entropy(np.arange(6.0), np.zeros(6, bool), n_bins=np.int64(3))
    np.testing.assert_array_equal(bins.count, [2, 2, 2])
    net = mc.RegressionNet((np.int64(4),), p=0.2, seed=np.int64(0))
    assert net.fit(x, y, epochs=np.int64(3)).shape == (3,)
    assert net.predict_samples(x, np.int64(2)).shape == (2, 10)
    means, _ = mc.predictive_moments_by_samples(np.ones((4, 2)), [np.int64(1), np.int64(4)])
    assert means.shape == (2, 2)


def test_entropy_bins_are_a_frozen_dataclass():
    bins = mc.error_by_entropy(np.arange(4.0), np.zeros(4, bool), n_bins=2)
    with pytest.raises(AttributeError):
        bins.count = None


def test_inverted_precision_is_the_unscaled_one_with_weight_decay_times_q_squared():
    # Inverted weights are q times the unscaled ones: lambda ||W||^2 = q^2 lambda ||M||^2.
    p, length, n, decay = 0.3, 2.0, 50, 1e-3
    q = 1 - p
    inverted = mc.model_precision(p, length, n, decay, inverted=True)
    assert inverted == pytest.approx(mc.model_precision(p, length, n, decay * q**2))
    assert inverted == pytest.approx(length**2 / (2 * n * q * decay))
    lam = mc.weight_decay_for_precision(p, length, n, inverted, inverted=True)
    assert lam == pytest.approx(decay)
    with pytest.raises(TypeError, match="inverted"):
        mc.model_precision(p, length, n, decay, inverted="yes")


def test_error_detection_auroc_equals_scikit_learn_with_ties(rng):
    metrics = pytest.importorskip("sklearn.metrics")
    for _ in range(5):
        score = rng.integers(0, 6, size=300).astype(float)  # many ties
        wrong = rng.random(300) < 0.2
        assert mc.error_detection_auroc(score, wrong) == pytest.approx(
            metrics.roc_auc_score(wrong, score)
        )
    assert mc.error_detection_auroc([0.0, 1.0], np.array([False, True])) == 1.0
    assert mc.error_detection_auroc([1.0, 0.0], np.array([False, True])) == 0.0
    with pytest.raises(ValueError, match="both"):
        mc.error_detection_auroc([0.0, 1.0], np.array([True, True]))
    with pytest.raises(TypeError, match="bool"):
        mc.error_detection_auroc([0.0, 1.0], np.array([0, 1]))


def test_score_predictions_by_hand():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.5, 0.1, 0.4]])
    labels = np.array([0, 2, 0])
    scores = mc.score_predictions(probs, labels)
    assert scores.error == pytest.approx(1 / 3)
    assert scores.nll == pytest.approx(-(math.log(0.7) + math.log(0.3) + math.log(0.5)) / 3)
    assert scores.mean_confidence == pytest.approx((0.7 + 0.6 + 0.5) / 3)
    # Only example 1 is wrong: the AUROC is the share of right examples with lower entropy.
    entropy = -(probs * np.log(probs)).sum(axis=1)
    expected = np.mean(entropy[1] > entropy[[0, 2]]) + 0.5 * np.mean(entropy[1] == entropy[[0, 2]])
    assert scores.auroc == pytest.approx(expected)
    with pytest.raises(TypeError, match="labels"):
        mc.score_predictions(probs, labels.astype(float))
    with pytest.raises(ValueError, match="labels"):
        mc.score_predictions(probs, np.array([0, 1, 3]))


def test_band_coverage():
    covered = mc.band_coverage([0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.9, 2.1, 0.0])
    assert covered.tolist() == [True, False, True]
    assert mc.band_coverage([0.0], [1.0], [2.5], width=3).tolist() == [True]
    with pytest.raises(ValueError, match="sd"):
        mc.band_coverage([0.0], [-1.0], [0.0])
    with pytest.raises(ValueError, match="shape"):
        mc.band_coverage([0.0, 1.0], [1.0], [0.0])


def test_fit_together_gives_each_network_its_own_fit():
    x, y = mc.gap_regression_data(30, noise=0.1, seed=4)
    together = [mc.RegressionNet((8, 6), p=0.2, weight_decay=1e-3, seed=s) for s in (1, 2, 3)]
    x_before, y_before = x.copy(), y.copy()
    losses = mc.fit_together(together, x, y, epochs=200, lr=0.02)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)
    for seed, net, net_losses in zip((1, 2, 3), together, losses):
        alone = mc.RegressionNet((8, 6), p=0.2, weight_decay=1e-3, seed=seed)
        np.testing.assert_allclose(net_losses, alone.fit(x, y, epochs=200, lr=0.02), rtol=1e-9)
        for mine, theirs in zip(net.weights + net.biases, alone.weights + alone.biases):
            np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)
        # The evaluation stream is untouched, so the Monte-Carlo passes agree too.
        np.testing.assert_allclose(
            net.predict_samples(x, 4), alone.predict_samples(x, 4), rtol=1e-9
        )
    # Without dropout there are no masks to draw.
    plain = [mc.RegressionNet((5,), p=0.0, seed=s) for s in (0, 1)]
    mc.fit_together(plain, x, y, epochs=20)
    alone = mc.RegressionNet((5,), p=0.0, seed=1)
    alone.fit(x, y, epochs=20)
    np.testing.assert_allclose(plain[1].weights[0], alone.weights[0], rtol=1e-9)


@pytest.mark.parametrize(
    "nets, error, match",
    [
        ([], TypeError, "nets"),
        (None, TypeError, "nets"),
        (["net"], TypeError, "nets"),
        ([mc.RegressionNet((4,)), mc.RegressionNet((5,))], ValueError, "share"),
        ([mc.RegressionNet((4,), p=0.1), mc.RegressionNet((4,), p=0.2)], ValueError, "share"),
    ],
)
def test_fit_together_refuses_networks_that_cannot_be_stacked(nets, error, match):
    with pytest.raises(error, match=match):
        mc.fit_together(nets, np.ones(3), np.ones(3), epochs=2)
