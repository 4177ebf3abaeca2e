"""Monte-Carlo running means (chapter 2) and the chapter 2-4 plots."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dropout_lib import exact_moments
from dropout_lib.plots import (
    plot_prediction_spread,
    plot_running_mean,
    plot_same_mask_comparison,
)
from dropout_lib.sampling import running_mean

W, X = [2.0, -1.0], [1.5, 1.0]


def test_running_mean_matches_direct_statistics():
    result = running_mean(W, X, 0.4, 500, rng=0)
    assert result.n.tolist() == list(range(1, 501))
    assert set(np.unique(result.samples)) <= {0.0, 3.0, -1.0, 2.0}
    for k in (1, 9, 99, 499):
        head = result.samples[: k + 1]
        assert math.isclose(result.mean[k], head.mean(), abs_tol=1e-12)
        assert math.isclose(
            result.stderr[k], head.std(ddof=1) / math.sqrt(k + 1), rel_tol=1e-9, abs_tol=1e-12
        )
    assert np.isnan(result.stderr[0])


@pytest.mark.parametrize("inverted", [False, True])
def test_running_mean_converges_within_standard_error(inverted):
    exact_mean, exact_var = exact_moments(W, X, 0.4, inverted=inverted)
    result = running_mean(W, X, 0.4, 40_000, inverted=inverted, rng=1)
    se = math.sqrt(exact_var / 40_000)
    # Four standard errors of the exact variance: false alarm probability below 1e-4.
    assert abs(result.mean[-1] - exact_mean) < 4 * se
    assert math.isclose(result.stderr[-1], se, rel_tol=0.05)


def test_running_mean_is_reproducible_and_handles_p_one():
    a = running_mean(W, X, 0.3, 50, rng=7)
    b = running_mean(W, X, 0.3, 50, rng=np.random.default_rng(7))
    assert np.array_equal(a.samples, b.samples)
    assert not np.any(running_mean(W, X, 1.0, 10, inverted=True, rng=0).samples)


@pytest.mark.parametrize("bad,error", [(0, ValueError), (2.5, TypeError), (True, TypeError)])
def test_running_mean_rejects_bad_n_samples(bad, error):
    with pytest.raises(error, match="n_samples"):
        running_mean(W, X, 0.3, bad)


def _labelled(fig, n_legend_entries):
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    legends = [ax.get_legend(), *fig.legends]
    texts = [t for legend in legends if legend is not None for t in legend.get_texts()]
    assert len(texts) == n_legend_entries


def test_plots_are_labelled_and_do_not_use_pyplot():
    before = plt.get_fignums()
    result = running_mean(W, X, 0.4, 200, rng=0)
    _labelled(plot_running_mean(result, 1.2), 3)
    _labelled(plot_prediction_spread(np.array([0.1, 0.5, 0.2]), 0.3), 3)
    _labelled(plot_same_mask_comparison([0.0, 1.0, 2.0], [0.0, 2.0, 4.0], 0.5), 3)
    assert plt.get_fignums() == before
