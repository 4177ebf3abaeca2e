"""Claims tests for dropout_lib.experiments: what chapters 6 and 7 say, checked.

Every training claim runs with the chapters' default settings (64-128-128-10,
300 training digits, 150 epochs, seeds 0-2) but only the variants it needs, so
the whole file takes seconds. Tolerances come from the spread over seeds or
from standard errors, as each comment says; no number printed by a chapter is
copied here.
"""

import numpy as np
import pytest
import sympy as sp

from dropout_lib import experiments as ex
from dropout_lib import plots_experiments as plots
from dropout_lib.masks import enumerate_masks


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
    # test error on average by more than two standard errors of the mean gain,
    # a one-sided t statistic above 2 over the seeds.
    gain = final_test[0] - final_test[1]
    standard_error = gain.std(ddof=1) / np.sqrt(len(gain))
    assert gain.mean() > 2 * standard_error
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


@pytest.mark.parametrize(
    "n_samples, n_features, p", [(4, 3, 0.3), (5, 4, 0.5), (2, 2, 0.0), (3, 2, 1.0), (6, 3, 0.9)]
)
def test_ridge_identity_holds_to_1e_10_on_random_data(n_samples, n_features, p):
    # Both sides are sums of at most 2**20 float64 terms of order 10, so their
    # rounding errors are near 1e-13; 1e-10 is the bound.
    check = ex.ridge_identity_check(n_samples, n_features, p, rng=n_samples * 10 + n_features)
    assert check.difference < 1e-10


def test_expected_objective_is_the_mask_average():
    # Independent check of the enumeration: a Monte-Carlo-free brute force
    # over masks built one by one from enumerate_masks.
    rng = np.random.default_rng(1)
    X, y, w, p = rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=3), 0.4
    masks, probs = enumerate_masks(6, p)
    total = sum(
        prob * np.sum((y - (mask.reshape(2, 3) * X) @ w) ** 2) for mask, prob in zip(masks, probs)
    )
    assert ex.expected_dropout_objective(X, y, w, p) == pytest.approx(total, rel=1e-12)


def test_ridge_identity_holds_symbolically():
    result = ex.symbolic_ridge_identity(2, 2)
    assert result["difference"] == 0
    # And the symbolic expectation evaluates to the enumerated one.
    rng = np.random.default_rng(2)
    X, y, w, p = rng.normal(size=(2, 2)), rng.normal(size=2), rng.normal(size=2), 0.35
    values = {result["p"]: p}
    values.update({s: v for s, v in zip(result["X"], X.ravel())})
    values.update({s: v for s, v in zip(result["y"], y)})
    values.update({s: v for s, v in zip(result["w"], w)})
    symbolic = float(sp.N(result["expected"].subs(values)))
    assert symbolic == pytest.approx(ex.expected_dropout_objective(X, y, w, p), abs=1e-10)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_minimiser_of_expected_objective_is_per_feature_ridge(p):
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=5)
    # Sec. 9.1: w~ = (1 - p) w. Both come from 3x3 linear solves of
    # well-conditioned random matrices, so agreement is near machine precision.
    np.testing.assert_allclose(
        (1 - p) * ex.dropout_ridge_solution(X, y, p),
        ex.per_feature_ridge_solution(X, y, p),
        rtol=1e-10,
        atol=1e-12,
    )


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_gaussian_noise_matches_inverted_bernoulli_moments(p):
    moments = ex.noise_moments(p, 200_000, rng=4)
    theory = moments["theory"]
    assert theory["variance"] == pytest.approx(p / (1 - p))
    for kind in ("bernoulli", "gaussian"):
        sample = moments[kind]
        # Four standard errors (from the samples' own spread and fourth
        # moment): a fixed seed lands inside with probability 0.99994.
        assert abs(sample["mean"] - theory["mean"]) < 4 * sample["mean_se"]
        assert abs(sample["variance"] - theory["variance"]) < 4 * sample["variance_se"]


def test_effect_of_p_settings_share_the_network_where_widths_agree():
    result = ex.effect_of_p((0.0, 0.5), width=16, kept_units=8, updates=20, seeds=(0, 1))
    np.testing.assert_array_equal(result.widths, [[16, 16], [8, 16]])
    # At p = 0.5 both settings are the same 16-unit network with the same seed.
    np.testing.assert_array_equal(result.test_error[0, 1], result.test_error[1, 1])
    assert result.test_error.shape == result.train_error.shape == (2, 2, 2)


def test_dataset_size_uses_one_test_set_and_reports_the_gain():
    result = ex.dataset_size((50, 100), updates=10, seeds=(0,), hidden=(8,))
    assert result.test_error.shape == (2, 2, 1)
    np.testing.assert_array_equal(result.gain, result.test_error[0] - result.test_error[1])


@pytest.mark.slow
def test_figures_have_titles_and_labels(curves):
    figures = [
        plots.plot_curves(curves),
        plots.plot_sparsity(ex.sparsity(curves)),
        plots.plot_monte_carlo(
            ex.monte_carlo_vs_weight_scaling(curves.models[1], curves.data, k_values=(1, 2))
        ),
        plots.plot_ridge_path(ex.ridge_path((0.0, 0.5))),
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
    with pytest.raises(ValueError, match="entries"):
        ex.expected_dropout_objective(np.ones((5, 5)), np.ones(5), np.ones(5), 0.5)


def test_format_percent_uses_the_sample_standard_deviation():
    # Seeds 0.10, 0.20, 0.30: mean 0.20, sample sd 0.10 (ddof = 1).
    assert ex.format_percent([0.1, 0.2, 0.3]) == "20.0 ± 10.0"
