"""sample_mask and enumerate_masks against exact probability facts."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dropout_lib import count_subnetworks, enumerate_masks, network_masks, sample_mask


def test_sample_mask_is_boolean_with_requested_shape(rng):
    mask = sample_mask((3, 4), 0.3, rng)
    assert mask.dtype == bool
    assert mask.shape == (3, 4)
    assert sample_mask(5, 0.3, rng).shape == (5,)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_sample_mask_keep_fraction_within_standard_error(p):
    n = 200_000
    mask = sample_mask(n, p, np.random.default_rng(7))
    keep = 1 - p
    # The kept fraction is a mean of n Bernoulli(keep) draws: its standard error is
    # sqrt(keep (1 - keep) / n). Five standard errors fail by chance with prob ~6e-7.
    standard_error = math.sqrt(keep * (1 - keep) / n)
    assert abs(mask.mean() - keep) < 5 * standard_error


def test_sample_mask_extremes():
    assert sample_mask(1000, 0.0, 1).all()
    assert not sample_mask(1000, 1.0, 1).any()


def test_sample_mask_same_seed_same_mask():
    a = sample_mask((10, 10), 0.5, np.random.default_rng(3))
    b = sample_mask((10, 10), 0.5, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)


def test_sample_mask_leaves_global_numpy_state_alone():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (inspected, not used)
    sample_mask((100,), 0.5)
    sample_mask((100,), 0.5, 4)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


@pytest.mark.parametrize("bad", [(-1, 2), (2.5,), "ab", None])
def test_sample_mask_rejects_bad_shape(bad):
    with pytest.raises((TypeError, ValueError), match="shape"):
        sample_mask(bad, 0.5, 0)


def test_enumerate_two_units_matches_the_worked_case():
    masks, probs = enumerate_masks(2, 0.4)
    np.testing.assert_array_equal(masks, [[0, 0], [1, 0], [0, 1], [1, 1]])
    # With p = 0.4 (keep q = 0.6) the probabilities are p^2, qp, pq, q^2 in this order:
    # (0,0) p^2 = 0.16, (1,0) = (0,1) = qp = 0.24, (1,1) q^2 = 0.36.
    np.testing.assert_allclose(probs, [0.16, 0.24, 0.24, 0.36])


@pytest.mark.parametrize("n", [0, 1, 3, 7])
@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 1.0])
def test_enumerate_masks_is_every_mask_once_with_product_probabilities(n, p):
    masks, probs = enumerate_masks(n, p)
    assert masks.shape == (2**n, n)
    assert masks.dtype == bool
    expected = {
        bits: math.prod((1 - p) if b else p for b in bits)
        for bits in itertools.product((0, 1), repeat=n)
    }
    got = {tuple(int(b) for b in row): prob for row, prob in zip(masks, probs)}
    assert got.keys() == expected.keys()
    for bits, prob in expected.items():
        assert got[bits] == pytest.approx(prob, abs=1e-15)
    assert probs.sum() == pytest.approx(1.0)


def test_enumerate_masks_kept_counts_are_binomial():
    n = 12
    masks, probs = enumerate_masks(n, 0.3)
    kept = masks.sum(axis=1)
    for k in range(n + 1):
        assert (kept == k).sum() == math.comb(n, k)
        assert probs[kept == k].sum() == pytest.approx(math.comb(n, k) * 0.7**k * 0.3 ** (n - k))


@pytest.mark.parametrize(
    "bad,error",
    [(-1, ValueError), (25, ValueError), (2.0, TypeError), ("3", TypeError), (True, TypeError)],
)
def test_enumerate_masks_rejects_bad_n(bad, error):
    with pytest.raises(error, match=r"\bn\b"):
        enumerate_masks(bad, 0.5)


def test_enumerate_masks_too_large_points_to_sampling():
    with pytest.raises(ValueError, match="at most 24.*sample_mask"):
        enumerate_masks(25, 0.5)
    with pytest.raises(ValueError, match="n_units must be at most 24"):
        from dropout_lib.masks import expected_distinct_subnetworks

        expected_distinct_subnetworks(25, 0.5, 3)


def test_enumerate_masks_accepts_numpy_int():
    masks, probs = enumerate_masks(np.int64(3), np.float32(0.25))
    assert masks.shape == (8, 3) and probs.sum() == pytest.approx(1.0)


def test_network_masks_never_drop_outputs_and_count_subnetworks():
    sizes = (4, 5, 3)
    masks = network_masks(sizes, 1.0, 0)
    assert [m.shape for m in masks] == [(4,), (5,), (3,)]
    assert not masks[0].any() and not masks[1].any() and masks[2].all()
    assert network_masks(sizes, 1.0, 0, drop_input=False)[0].all()
    assert count_subnetworks(sizes) == 2 ** (4 + 5)
    assert count_subnetworks(sizes, drop_input=False) == 2**5


@settings(max_examples=50, deadline=None)
@given(
    shape=st.lists(st.integers(0, 5), min_size=0, max_size=3).map(tuple),
    p=st.floats(0, 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_sample_mask_properties(shape, p, seed):
    a = sample_mask(shape, p, np.random.default_rng(seed))
    b = sample_mask(shape, p, np.random.default_rng(seed))
    assert a.shape == shape and a.dtype == bool
    np.testing.assert_array_equal(a, b)


def test_expected_distinct_subnetworks_matches_brute_force_sum():
    # Independent evaluation of sum_m [1 - (1 - P(m))^T] over the 8 masks of 3 units.
    p, steps = 0.3, 7
    total = 0.0
    for bits in itertools.product((0, 1), repeat=3):
        prob = math.prod((1 - p) if b else p for b in bits)
        total += 1 - (1 - prob) ** steps
    from dropout_lib.masks import expected_distinct_subnetworks

    assert expected_distinct_subnetworks(3, p, steps) == pytest.approx(total, rel=1e-12)
    assert expected_distinct_subnetworks(3, 0.0, steps) == 1.0


def test_distinct_subnetworks_visited_averages_to_the_expectation():
    from dropout_lib.masks import distinct_subnetworks_visited, expected_distinct_subnetworks

    sizes, p, steps = (3, 4, 2), 0.5, 50  # 7 droppable units, 128 masks
    counts = [distinct_subnetworks_visited(sizes, p, steps, seed=s) for s in range(400)]
    expected = expected_distinct_subnetworks(7, p, steps)
    # The mean of 400 independent counts has standard error sd / sqrt(400).
    standard_error = np.std(counts, ddof=1) / math.sqrt(len(counts))
    assert abs(np.mean(counts) - expected) < 5 * standard_error
    assert distinct_subnetworks_visited(sizes, 0.0, steps) == 1


def test_batches_draw_one_mask_per_example():
    # A step on a mini-batch of B examples draws B masks, so T steps of B examples
    # visit as many subnetworks in expectation as T * B single-example steps.
    from dropout_lib.masks import distinct_subnetworks_visited, expected_distinct_subnetworks

    assert expected_distinct_subnetworks(5, 0.4, 6, batch_size=10) == pytest.approx(
        expected_distinct_subnetworks(5, 0.4, 60), rel=1e-12
    )
    # Brute force for 2 units, T = 3 steps of 2 examples: sum_m [1 - (1 - P(m))^6].
    p = 0.25
    total = sum(
        1 - (1 - math.prod((1 - p) if b else p for b in bits)) ** 6
        for bits in itertools.product((0, 1), repeat=2)
    )
    assert expected_distinct_subnetworks(2, p, 3, batch_size=2) == pytest.approx(total, rel=1e-12)
    # The same generator stream: steps * batch_size masks, whatever the split.
    sizes = (3, 4, 2)
    assert distinct_subnetworks_visited(sizes, 0.5, 5, batch_size=8, seed=1) == (
        distinct_subnetworks_visited(sizes, 0.5, 40, seed=1)
    )
    # One step of a batch larger than the number of masks still visits at most all of them.
    assert distinct_subnetworks_visited(sizes, 0.5, 1, batch_size=5000, seed=2) <= 2**7


@pytest.mark.parametrize(
    "bad, error", [(0, ValueError), (-3, ValueError), (2.0, TypeError), (True, TypeError)]
)
def test_batch_size_is_checked(bad, error):
    from dropout_lib.masks import distinct_subnetworks_visited, expected_distinct_subnetworks

    with pytest.raises(error, match="batch_size"):
        expected_distinct_subnetworks(4, 0.5, 3, batch_size=bad)
    with pytest.raises(error, match="batch_size"):
        distinct_subnetworks_visited((2, 2, 1), 0.5, 3, batch_size=bad)
