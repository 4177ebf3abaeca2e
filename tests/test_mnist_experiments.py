"""Tests of dropout_lib.mnist_experiments: the filter and code measures against
closed forms, and the experiments' shapes, pairing and argument errors on tiny runs."""

import math

import numpy as np
import pytest

from dropout_lib import mnist_experiments as mx
from dropout_lib.data import mnist_split


def test_roughness_of_white_noise_is_one_within_its_standard_error(rng):
    k = 400
    noise = rng.standard_normal((k, 784))
    r = mx.filter_roughness(noise)
    # Each filter averages 2 * 27 * 28 = 1512 squared neighbour differences; the
    # ratio's spread over filters gives the standard error of their mean.
    se = r.std(ddof=1) / math.sqrt(k)
    assert abs(r.mean() - 1.0) < 4 * se
    assert se < 0.01  # so the test resolves a 4 % error in the normalisation


def test_roughness_of_smooth_images_is_near_zero_and_a_checkerboard_is_two():
    rows, cols = np.mgrid[0:28, 0:28]
    blob = np.exp(-((rows - 14.0) ** 2 + (cols - 12.0) ** 2) / (2 * 4.0**2)).ravel()
    ramp = (rows + cols).astype(float).ravel()
    checker = ((rows + cols) % 2 * 2 - 1).astype(float).ravel()
    r = mx.filter_roughness(np.stack([blob, ramp, checker]))
    assert r[0] < 0.05 and r[1] < 0.02
    # Every neighbour differs by 2 and the centred power is 1: 4 / (2 * 1) = 2.
    assert r[2] == pytest.approx(2.0, rel=1e-12)


def test_spread_of_a_point_is_zero_and_of_a_square_its_closed_form():
    point = np.zeros(784)
    point[14 * 28 + 3] = -2.0
    square = np.zeros((28, 28))
    square[4:14, 10:20] = 1.0  # a 10 x 10 block: variance (10^2 - 1) / 12 per axis
    s = mx.filter_spread(np.stack([point, square.ravel()]))
    assert s[0] == pytest.approx(0.0, abs=1e-9)
    assert s[1] == pytest.approx(math.sqrt(2 * (10**2 - 1) / 12), rel=1e-12)


def test_used_pixels_masks_the_measures():
    X = np.zeros((10, 784))
    X[:, :392] = 0.5  # the top half is used
    used = mx.used_pixels(X)
    assert used.sum() == 392 and used[:392].all()
    w = np.zeros((1, 784))
    w[0, 392:] = np.random.default_rng(0).standard_normal(392)  # noise only where unused
    w[0, :392] = 1.0
    assert mx.filter_spread(w, used)[0] == pytest.approx(
        math.sqrt((14**2 - 1) / 12 + (28**2 - 1) / 12)
    )
    assert np.isnan(mx.filter_roughness(w, used)[0])  # constant on the used pixels
    with pytest.raises(ValueError, match="no pixel"):
        mx.filter_roughness(w, np.zeros(784, bool))
    with pytest.raises(ValueError, match="filters"):
        mx.filter_spread(np.ones((2, 100)))


def test_activation_sparsity_counts_exactly():
    a = np.array([[0.0, 2.0, 0.0, 1.0], [0.0, 0.0, 0.0, 3.0], [0.0, 4.0, 0.0, 0.0]])
    s = mx.activation_sparsity(a)
    assert (s.dead, s.units, s.dead_share) == (2, 4, 0.5)
    assert s.mean_activation == pytest.approx(10 / 12)
    assert s.mean_activation_live == pytest.approx(10 / 6)
    assert s.zero_share_live == pytest.approx(2 / 6)
    with pytest.raises(ValueError, match="negative"):
        mx.activation_sparsity(-a)
    with pytest.raises(ValueError, match="shape"):
        mx.activation_sparsity(np.ones(3))


def test_regulariser_table_pairs_variants_and_reads_the_paper():
    table = mx.regulariser_table(
        seeds=(0, 1), epochs=1, n_train=200, n_test=100, hidden=(16,), batch_size=50
    )
    assert table.names == tuple(mx.REGULARISERS)
    assert table.test_error.shape == (6, 2) and table.first_layer.shape == (6, 784, 16)
    assert np.all((0 <= table.test_error) & (table.test_error <= 1))
    assert table.paper_error("dropout + max-norm") == 1.05
    assert table.paper_error("none") is None and table.paper_error("dropout") is None
    diff = table.difference("dropout", "none")
    expected = table.errors("dropout") - table.errors("none")
    assert diff.estimate == pytest.approx(expected.mean()) and diff.n == 2
    # Seed by seed, "none" is the plain MLP of that seed trained alone.
    from dropout_lib.mlp import MLP

    split = mnist_split(200, 0, 100, seed=1)
    alone = MLP((784, 16, 10), seed=1)
    alone.fit(split.X_train, split.y_train, epochs=1, batch_size=50, lr=0.05, momentum=0.95)
    assert table.errors("none")[1] == alone.error(split.X_test, split.y_test)
    with pytest.raises(KeyError, match="variants"):
        table.errors("dropconnect")
    with pytest.raises(ValueError, match="seeds"):
        mx.regulariser_table(seeds=(0,))


def test_learning_rate_sweep_flags_a_run_that_blows_up():
    sweep = mx.learning_rate_sweep(
        (0.01, 50.0), seeds=(0, 1), epochs=1, n_train=200, n_test=100, hidden=(16,)
    )
    assert sweep.test_error.shape == (2, 2, 2) and sweep.names == ("dropout", "dropout + max-norm")
    # A learning rate of 50 overflows without max-norm; 0.01 does not.
    assert sweep.blew_up[0, 1].all() and not sweep.blew_up[:, 0].any()
    assert sweep.failed[0, 1].all()
    with pytest.raises(ValueError, match="lrs"):
        mx.learning_rate_sweep((0.0,))


def test_autoencoder_features_shapes_and_measures():
    study = mx.autoencoder_features(seeds=(0, 1), n_hidden=8, n_train=100, n_test=50, epochs=1)
    assert study.filters.shape == (2, 8, 784) and study.activations.shape == (2, 50, 8)
    assert study.roughness.shape == (2, 2) and study.used.shape == (784,)
    assert np.all(study.activations >= 0) and study.p_hidden == (0.0, 0.5)
    diff = study.difference("mean_activation")
    assert diff.estimate == pytest.approx(
        np.mean(study.mean_activation[1] - study.mean_activation[0])
    )


def test_the_figures_draw_tiny_results():
    from matplotlib.figure import Figure

    from dropout_lib import plots_mnist as figures

    sweep = mx.learning_rate_sweep(
        (0.01, 50.0), seeds=(0, 1), epochs=1, n_train=100, n_test=50, hidden=(8,)
    )
    table = mx.regulariser_table(seeds=(0, 1), epochs=1, n_train=100, n_test=50, hidden=(8,))
    study = mx.autoencoder_features(seeds=(0, 1), n_hidden=8, n_train=100, n_test=50, epochs=1)
    shown = study.shown_filters(1, count=4)
    assert shown.shape[1] == 784 and len(shown) <= 4 and np.all(shown[:, ~study.used] == 0)
    figs = [
        figures.plot_learning_rate_sweep(sweep),
        figures.plot_regulariser_table(table),
        figures.plot_filters([shown, study.shown_filters(0, count=4)], ["a", "b"], rows=2, cols=2),
        figures.plot_activation_histograms(study),
    ]
    assert all(isinstance(f, Figure) for f in figs)
    mosaic = figures.filter_mosaic(np.ones((3, 784)), rows=2, cols=2, pad=1)
    assert mosaic.shape == (57, 57) and np.isnan(mosaic[28, 0]) and np.isnan(mosaic[-1, -1])
    with pytest.raises(ValueError, match="titles"):
        figures.plot_filters([shown], ["a", "b"])


def test_the_recorded_full_size_run_is_well_formed():
    # The numbers come from running its call; here only their form is checked
    # (re-running the call takes minutes).
    full = mx.FULL_SIZE_TABLE
    assert full.names == tuple(mx.REGULARISERS)
    assert all(len(row) == len(mx.SEEDS) for row in full.test_error) and len(full.test_error) == 6
    assert all(0 <= e <= 1 for row in full.test_error for e in row)
    # Test errors on 1,000 images are multiples of 1/1000.
    assert all(abs(1000 * e - round(1000 * e)) < 1e-9 for row in full.test_error for e in row)
    diff = full.difference("dropout", "none")
    assert diff.estimate == pytest.approx(np.mean(full.errors("dropout") - full.errors("none")))
