"""Claims tests for dropout_lib.experiments: what chapters 6 and 7 say, checked.

Every training claim runs with the chapters' default settings (64-128-128-10,
300 training digits, 150 epochs, seeds 0-9) but only the variants it needs, so
the whole file takes well under a minute. Tolerances come from the spread over seeds or
from standard errors, as each comment says; no number printed by a chapter is
copied here.
"""

import math

import numpy as np
import pytest

from dropout_lib import experiments as ex
from dropout_lib import plots_experiments as plots
from dropout_lib import ridge, stats


@pytest.fixture(scope="module")
def curves():
    # Only "no dropout" and "dropout (hidden)": the claims below are about them.
    return ex.overfitting(p_input=None)


@pytest.mark.slow
def test_plain_network_overfits_and_dropout_lowers_test_error(curves):
    final_test = curves.final("test")
    final_train = curves.final("train")
    # The setting overfits: the plain network fits every training digit...
    assert np.all(final_train[0] == 0)
    # ...while misclassifying several per cent of the test digits.
    assert np.all(final_test[0] > 0.02)
    # Paired by seed (same split, same initial weights), dropout lowers the
    # test error: the 95 % paired t interval of the gain lies above zero.
    gain = stats.paired_difference(final_test[0], final_test[1])
    assert gain.excludes_zero and gain.low > 0
    # Dropout trains more slowly: its training error is higher early on.
    assert np.all(curves.train_error[1, :, 9] > curves.train_error[0, :, 9])


@pytest.mark.slow
def test_monte_carlo_comes_within_one_standard_deviation_by_k_50(curves):
    result = ex.monte_carlo_vs_weight_scaling(
        curves.models[1], curves.data, k_values=(1, 50), n_repeats=3
    )
    gap = result.gap  # (seeds, repeats, k)
    # The paper's criterion: at k = 50 the Monte-Carlo error is within one
    # standard deviation (over seeds and repeated sampling) of weight scaling.
    assert abs(gap[..., 1].mean()) <= gap[..., 1].std(ddof=1)
    # A single sampled network is clearly worse than the average of 50: its
    # mean error exceeds the 50-pass mean by more than both spreads together.
    single, fifty = result.mc_error[..., 0], result.mc_error[..., 1]
    assert single.mean() - fifty.mean() > single.std(ddof=1) + fifty.std(ddof=1)


@pytest.mark.slow
def test_mean_hidden_activation_is_lower_and_sparser_with_dropout(curves):
    result = ex.sparsity(curves)
    # Each seed's dropout network against its paired plain network. A mean
    # over 597 test digits x 128 units has a standard error far below the
    # difference asserted, so only a real effect passes on every seed.
    assert np.all(result.mean_activation[1] < result.mean_activation[0])
    assert np.all(result.fraction_zero[1] > result.fraction_zero[0])
    assert len(result.activations[0]) == len(curves.seeds) * 597 * ex.HIDDEN[-1]


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_gaussian_noise_matches_inverted_bernoulli_moments(p):
    moments = ex.noise_moments(p, 200_000, rng=4)
    assert moments.theory_mean == 1.0
    assert moments.theory_variance == pytest.approx(p / (1 - p))
    for sample in (moments.bernoulli, moments.gaussian):
        # Four standard errors (from the samples' own spread and fourth
        # moment): a fixed seed lands inside with probability 0.99994.
        assert abs(sample.mean - 1.0) < 4 * sample.mean_se
        assert abs(sample.variance - p / (1 - p)) < 4 * sample.variance_se
    # The standard errors estimate their closed forms. The Bernoulli multiplier
    # m / q is p / q above its mean with probability q and 1 below it with
    # probability p, so its fourth central moment is q (p / q)^4 + p; a
    # Gaussian's is 3 var^2. (At p = 0.5 the Bernoulli one is var^2: its sample
    # variance is 1 - (mean - 1)^2 and has almost no spread, so the estimate is
    # only near 0, within a twentieth of the mean's standard error.)
    var, q, n = p / (1 - p), 1 - p, 200_000
    bernoulli_m4 = q * (p / q) ** 4 + p
    assert moments.bernoulli.mean_se == pytest.approx(math.sqrt(var / n), rel=0.02)
    assert moments.gaussian.mean_se == pytest.approx(math.sqrt(var / n), rel=0.02)
    assert moments.bernoulli.variance_se == pytest.approx(
        math.sqrt((bernoulli_m4 - var**2) / n), rel=0.05, abs=1e-4
    )
    assert moments.gaussian.variance_se == pytest.approx(var * math.sqrt(2 / n), rel=0.05)


def test_effect_of_p_settings_share_the_network_where_widths_agree():
    result = ex.effect_of_p((0.0, 0.5), width=16, kept_units=8, updates=20, seeds=(0, 1))
    np.testing.assert_array_equal(result.widths, [[16, 16], [8, 16]])
    # 20 updates of mini-batches of 32 on 300 digits (10 batches an epoch): 2 epochs.
    assert result.epochs == 2 and result.setting_names == ex.EFFECT_OF_P_SETTINGS
    # At p = 0.5 both settings are the same 16-unit network with the same seed.
    np.testing.assert_array_equal(result.test_error[0, 1], result.test_error[1, 1])
    assert result.test_error.shape == result.train_error.shape == (2, 2, 2)


def test_dataset_size_uses_one_test_set_and_reports_the_gain():
    result = ex.dataset_size((50, 100), updates=10, seeds=(0,), hidden=(8,))
    assert result.test_error.shape == (2, 2, 1)
    assert result.labels == ("no dropout", "dropout") and result.hidden == (8,)
    np.testing.assert_array_equal(result.gain, result.test_error[0] - result.test_error[1])


@pytest.mark.slow
def test_figures_have_titles_and_labels(curves):
    figures = [
        plots.plot_curves(curves),
        plots.plot_sparsity(ex.sparsity(curves)),
        plots.plot_monte_carlo(
            ex.monte_carlo_vs_weight_scaling(curves.models[1], curves.data, k_values=(1, 2))
        ),
        plots.plot_ridge_path(ridge.ridge_path((0.0, 0.5))),
        plots.plot_effect_of_p(ex.effect_of_p((0.0, 0.5), width=8, kept_units=4, updates=5)),
        plots.plot_dataset_size(ex.dataset_size((50, 100), updates=5, hidden=(8,))),
    ]
    for fig in figures:
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel()
            assert ax.get_title() or fig._suptitle is not None


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="p_values"):
        ex.effect_of_p((0.0, 1.0))
    with pytest.raises(ValueError, match="p_hidden"):
        ex.overfitting(p_hidden=2.0)
    with pytest.raises(ValueError, match="k_values"):
        ex.monte_carlo_vs_weight_scaling([object()], [object()], k_values=(0, 5))
    with pytest.raises(ValueError, match="seeds"):
        ex.overfitting(seeds=())


# Each call fails in its argument checks, before any training starts.
@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: ex.overfitting(epochs=2.5), TypeError),
        (lambda: ex.overfitting(epochs=0), ValueError),
        (lambda: ex.overfitting(seeds=(0, "1")), TypeError),
        (lambda: ex.overfitting(seeds=(-1,)), ValueError),
        (lambda: ex.overfitting(hidden=(8, 4.0)), TypeError),
        (lambda: ex.overfitting(hidden=(0,)), ValueError),
        (lambda: ex.overfitting(lr="0.1"), TypeError),
        (lambda: ex.overfitting(lr=0.0), ValueError),
        (lambda: ex.overfitting(batch_size=True), TypeError),
        (lambda: ex.overfitting(p_input="0.2"), TypeError),
        (lambda: ex.overfitting(p_input=1.0), ValueError),
        (lambda: ex.effect_of_p(width=8.0), TypeError),
        (lambda: ex.effect_of_p(kept_units=0), ValueError),
        (lambda: ex.dataset_size((50, 100.0)), TypeError),
        (lambda: ex.dataset_size((0,)), ValueError),
        (lambda: ex.dataset_size(updates=None), TypeError),
        (lambda: ex.monte_carlo_vs_weight_scaling([], [], n_repeats=0), ValueError),
        (lambda: ex.monte_carlo_vs_weight_scaling([], [], k_values=(1.5,)), TypeError),
        (lambda: ex.noise_moments(0.5, 1), ValueError),
        (lambda: ex.noise_moments(0.5, 1e5), TypeError),
        (lambda: ex.noise_moments(1.0), ValueError),
        (lambda: ex.epochs_for(1500, 300, 0), ValueError),
        (lambda: ex.epochs_for(1500, "300", 32), TypeError),
    ],
)
def test_bad_types_are_type_errors_and_bad_values_value_errors(call, error):
    with pytest.raises(error):
        call()


def test_numpy_integers_are_accepted_where_ints_are():
    moments = ex.noise_moments(0.5, np.int64(1000), rng=np.int64(3))
    assert moments.n_samples == 1000 and isinstance(moments.n_samples, int)
    # 1500 updates of batches of 32 on 1200 examples: 38 batches an epoch, 40 epochs.
    assert ex.epochs_for(np.int64(1500), np.int32(1200), np.int64(32)) == 40
    result = ex.effect_of_p(
        (0.0,), width=np.int64(4), kept_units=np.int64(4), updates=np.int64(2), seeds=(np.int64(0),)
    )
    assert result.width == 4 and result.seeds == (0,)


def test_results_are_frozen_dataclasses():
    moments = ex.noise_moments(0.5, 100, rng=0)
    with pytest.raises(AttributeError):
        moments.p = 0.1


def test_summary_statistics_are_mean_sample_sd_and_standard_error():
    # Seeds 0.10, 0.20, 0.30: mean 0.20, sample sd 0.10 (ddof = 1), se 0.10 / sqrt(3).
    summary = stats.summarise([0.1, 0.2, 0.3])
    assert summary.mean == pytest.approx(0.2)
    assert summary.sd == pytest.approx(0.1)
    assert summary.se == pytest.approx(0.1 / math.sqrt(3))
    assert summary.n == 3
    assert stats.format_percent([0.1, 0.2, 0.3]) == "20.0 ± 10.0"
    # Along another axis, and a single run has no spread.
    columns = stats.summarise([[1.0, 2.0], [3.0, 6.0]], axis=0)
    np.testing.assert_allclose(columns.mean, [2.0, 4.0])
    np.testing.assert_allclose(columns.sd, [math.sqrt(2), math.sqrt(8)])
    assert stats.summarise([0.5]).sd == 0.0
    with pytest.raises(ValueError, match="axis"):
        stats.summarise([1.0, 2.0], axis=1)
    with pytest.raises(TypeError, match="axis"):
        stats.summarise([1.0, 2.0], axis=0.0)
    with pytest.raises(TypeError, match="values"):
        stats.summarise(["a", "b"])


def test_plots_read_results_without_importing_the_experiment_runner():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(plots))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "experiments" not in imported and "stats" in imported


def test_sparsity_counts_dead_units_and_zeros_among_live_units():
    curves = ex.overfitting(epochs=1, hidden=(8,), seeds=(0,), p_input=None)
    # Kill unit 0 of the plain network: weights 0 and a negative bias make its
    # ReLU input -1 for every digit. Make unit 1 fire on every digit (bias 100).
    plain = curves.models[0][0]
    plain.weights[0][:, 0] = 0.0
    plain.biases[0][0] = -1.0
    plain.weights[0][:, 1] = 0.0
    plain.biases[0][1] = 100.0
    result = ex.sparsity(curves, layer=0)
    test_X = curves.data[0].X_test
    # Counted unit by unit, with a plain numpy forward pass.
    acts = np.maximum(test_X @ plain.weights[0] + plain.biases[0], 0)
    dead = [j for j in range(8) if np.all(acts[:, j] == 0)]
    assert 0 in dead and 1 not in dead
    assert result.dead_fraction[0, 0] == len(dead) / 8
    live = [j for j in range(8) if j not in dead]
    zeros_live = sum(int(np.sum(acts[:, j] == 0)) for j in live) / (len(live) * len(test_X))
    assert result.live_zero_fraction[0, 0] == pytest.approx(zeros_live, abs=1e-12)
    assert result.fraction_zero[0, 0] == pytest.approx(np.mean(acts == 0), abs=1e-12)
    # The share of zeros splits into dead units (all zero) and zeros among live ones.
    share_dead = result.dead_fraction[0, 0]
    assert result.fraction_zero[0, 0] == pytest.approx(
        share_dead + (1 - share_dead) * result.live_zero_fraction[0, 0], abs=1e-12
    )


def test_sparsity_measures_except_the_mean_are_scale_free():
    # Scaling a hidden unit's incoming weights and bias by c > 0 and its outgoing
    # weights by 1 / c leaves the network's function unchanged (ReLU is positively
    # homogeneous). The mean activation changes; zeros, dead and live shares do not.
    curves = ex.overfitting(epochs=2, hidden=(8,), seeds=(0,), p_input=None)
    before = ex.sparsity(curves, layer=0)
    model = curves.models[1][0]
    X = curves.data[0].X_test
    logits_before = model.predict_proba(X)
    model.weights[0] *= 4.0
    model.biases[0] *= 4.0
    model.weights[1] /= 4.0
    after = ex.sparsity(curves, layer=0)
    np.testing.assert_allclose(model.predict_proba(X), logits_before, rtol=1e-4, atol=1e-6)
    assert after.mean_activation[1, 0] == pytest.approx(4 * before.mean_activation[1, 0], rel=1e-5)
    for field in ("fraction_zero", "dead_fraction", "live_zero_fraction"):
        assert getattr(after, field)[1, 0] == getattr(before, field)[1, 0]


def test_first_zero_epoch_is_the_first_epoch_without_training_errors():
    curves = ex.overfitting(epochs=3, hidden=(4,), seeds=(0,), p_input=None)
    errors = np.array([[[0.2, 0.0, 0.0]], [[0.3, 0.1, 0.05]]])
    fake = ex.CurvesResult(
        **{
            **{f: getattr(curves, f) for f in curves.__dataclass_fields__},
            "train_error": errors,
        }
    )
    first = fake.first_zero_epoch()
    assert first[0, 0] == 2 and np.isnan(first[1, 0])


def test_mnist_runs_on_784_pixels_with_a_test_set_of_1000():
    result = ex.dataset_size((50,), updates=4, seeds=(0,), hidden=(8,), data="mnist")
    assert result.data_set == "mnist" and result.test_error.shape == (2, 1, 1)
    # An error on 1000 test images, averaged over the epochs evaluated, is a
    # mean of multiples of 1/1000.
    curves = ex.overfitting(epochs=1, hidden=(8,), seeds=(0,), p_input=None, data="mnist")
    assert curves.models[0][0].weights[0].shape == (784, 8)
    assert len(curves.data[0].y_test) == ex.MNIST_N_TEST == 1000
    assert np.allclose(curves.test_error * 1000, np.round(curves.test_error * 1000))
    with pytest.raises(ValueError, match="data"):
        ex.overfitting(data="cifar")
    with pytest.raises(TypeError, match="data"):
        ex.overfitting(data=None)
