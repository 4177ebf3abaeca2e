"""t intervals of dropout_lib.stats against scipy.stats' t tests (a reference
implementation) and against their defining properties."""

import dataclasses

import numpy as np
import pytest
from scipy import stats as scipy_stats

from dropout_lib import stats


@pytest.mark.parametrize("n", [2, 5, 10])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_t_interval_equals_scipy(n, level):
    values = np.random.default_rng(n).normal(0.1, 0.03, n)
    ours = stats.t_interval(values, level=level)
    low, high = scipy_stats.ttest_1samp(values, 0.0).confidence_interval(level)
    assert ours.low == pytest.approx(low, rel=1e-12)
    assert ours.high == pytest.approx(high, rel=1e-12)
    assert ours.df == n - 1 and ours.n == n and ours.level == level
    assert ours.estimate == pytest.approx(values.mean(), rel=1e-14)
    assert ours.se == pytest.approx(values.std(ddof=1) / np.sqrt(n), rel=1e-14)


def test_paired_difference_equals_scipy_ttest_rel():
    rng = np.random.default_rng(1)
    a = rng.normal(0.05, 0.01, 7)
    b = a + rng.normal(0.004, 0.002, 7)
    ours = stats.paired_difference(a, b)
    low, high = scipy_stats.ttest_rel(a, b).confidence_interval(0.95)
    assert (ours.low, ours.high) == pytest.approx((low, high), rel=1e-12)
    assert ours.high < 0 and ours.excludes_zero


def test_welch_difference_equals_scipy_ttest_ind():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0.0, 1.0, 6), rng.normal(0.3, 2.0, 9)
    ours = stats.welch_difference(a, b, level=0.9)
    reference = scipy_stats.ttest_ind(a, b, equal_var=False)
    low, high = reference.confidence_interval(0.9)
    assert (ours.low, ours.high) == pytest.approx((low, high), rel=1e-12)
    assert ours.df == pytest.approx(reference.df, rel=1e-12)
    assert ours.n == 6


def test_pairing_removes_the_shared_seed_effect():
    # Two variants that differ by exactly 0.01 on every seed, around seed effects
    # a hundred times larger: the paired interval is a point, the unpaired one is wide.
    seed_effect = np.random.default_rng(3).normal(0.0, 1.0, 5)
    a, b = seed_effect + 0.01, seed_effect
    paired = stats.paired_difference(a, b)
    assert paired.low == pytest.approx(0.01) and paired.high == pytest.approx(0.01)
    assert not stats.welch_difference(a, b).excludes_zero


def test_coverage_matches_the_level():
    # Over many simulated experiments of 5 runs, the 95 % interval covers the true
    # mean in 95 % of them, within three binomial standard errors.
    rng = np.random.default_rng(4)
    trials = 4000
    covered = sum(
        (lambda i: i.low <= 0.5 <= i.high)(stats.t_interval(rng.normal(0.5, 2.0, 5)))
        for _ in range(trials)
    )
    se = np.sqrt(0.95 * 0.05 / trials)
    assert abs(covered / trials - 0.95) < 3 * se


def test_excludes_zero_and_format():
    interval = stats.Interval(
        estimate=0.012, low=0.003, high=0.021, se=0.003, df=4, level=0.95, n=5
    )
    assert interval.excludes_zero
    assert interval.format() == "1.2 points (95 % t interval 0.3 to 2.1, 5 seeds)"
    assert interval.format(unit=" %", digits=2) == "1.20 % (95 % t interval 0.30 to 2.10, 5 seeds)"
    straddling = stats.Interval(
        estimate=0.001, low=-0.002, high=0.004, se=0.001, df=4, level=0.95, n=5
    )
    assert not straddling.excludes_zero
    with pytest.raises(dataclasses.FrozenInstanceError):
        interval.low = 0.0


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: stats.t_interval([0.1]), ValueError, "at least 2 runs"),
        (lambda: stats.t_interval(0.1), ValueError, "scalar"),
        (lambda: stats.t_interval([[0.1, 0.2], [0.3, 0.4]]), ValueError, "1-D"),
        (lambda: stats.t_interval([0.1, np.nan]), ValueError, "finite"),
        (lambda: stats.t_interval([0.1, 0.2], level=1.0), ValueError, "level"),
        (lambda: stats.t_interval([0.1, 0.2], level="0.9"), TypeError, "level"),
        (lambda: stats.t_interval(["a", "b"]), TypeError, "values"),
        (lambda: stats.paired_difference([0.1, 0.2], [0.1, 0.2, 0.3]), ValueError, "paired"),
        (lambda: stats.welch_difference([0.1], [0.1, 0.2]), ValueError, "a needs"),
    ],
)
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_inputs_are_not_modified():
    a = np.array([0.1, 0.2, 0.4])
    b = np.array([0.0, 0.1, 0.1])
    before = a.copy(), b.copy()
    stats.paired_difference(a, b)
    stats.welch_difference(a, b)
    assert np.array_equal(a, before[0]) and np.array_equal(b, before[1])
