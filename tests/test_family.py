"""The dropout family against closed forms, exact enumeration and PyTorch."""

import math

import numpy as np
import pytest
import sympy as sp

from dropout_lib import apply_mask, dropout, exact_moments
from dropout_lib import family as fam

SQRT_N = math.sqrt  # standard errors below are sd / sqrt(n)


# ---------------------------------------------------------------- edge cases


@pytest.mark.parametrize(
    "call",
    [
        lambda x, p: fam.gaussian_dropout(x, p, rng=0),
        lambda x, p: fam.alpha_dropout(x, p, rng=0),
        lambda x, p: fam.alpha_dropout(x, p, per_channel=True, rng=0),
        lambda x, p: fam.spatial_dropout(x, p, rng=0),
        lambda x, p: fam.dropconnect(x.reshape(2, -1), np.ones((x.size // 2, 3)), p, rng=0),
    ],
)
@pytest.mark.parametrize(
    "bad, error",
    [(-0.1, ValueError), (1.5, ValueError), (float("nan"), ValueError), ("0.5", TypeError),
     (True, TypeError), (None, TypeError)],
)  # fmt: skip
def test_bad_p_is_refused_like_the_core(call, bad, error):
    # A p of the wrong type is a TypeError, a number outside [0, 1] a ValueError,
    # in every member exactly as in the core dropout.
    x = np.ones((2, 3, 2, 2))
    with pytest.raises(error) as core:
        dropout(x, bad)
    with pytest.raises(error) as ours:
        call(x, bad)
    assert repr(bad) in str(ours.value) and repr(bad) in str(core.value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_p_zero_and_evaluation_return_an_equal_copy_of_the_same_dtype(dtype):
    x = np.linspace(-2, 2, 48, dtype=dtype).reshape(2, 3, 2, 4)
    for out in (
        fam.gaussian_dropout(x, 0.0, rng=0),
        fam.gaussian_dropout(x, 0.5, training=False),
        fam.alpha_dropout(x, 0.0, rng=0),
        fam.alpha_dropout(x, 0.5, training=False),
        fam.spatial_dropout(x, 0.0, rng=0),
        fam.spatial_dropout(x, 0.5, training=False),
    ):
        assert out.dtype == dtype and out is not x
        np.testing.assert_array_equal(out, x)
    standard_eval = fam.spatial_dropout(x, 0.25, training=False, inverted=False)
    np.testing.assert_array_equal(standard_eval, x * dtype(0.75))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_stays_float32_and_inputs_are_not_modified(dtype):
    x = np.linspace(-2, 2, 48, dtype=dtype).reshape(2, 3, 2, 4)
    W = np.ones((24, 5), dtype=dtype)
    before, w_before = x.copy(), W.copy()
    outs = [
        fam.gaussian_dropout(x, 0.3, rng=1),
        fam.alpha_dropout(x, 0.3, rng=1),
        fam.alpha_dropout(x, 0.3, per_channel=True, rng=1),
        fam.spatial_dropout(x, 0.3, rng=1),
        fam.dropconnect(x.reshape(2, 24), W, 0.3, rng=1),
        fam.selu(x),
    ]
    assert all(out.dtype == dtype for out in outs)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(W, w_before)


def test_p_one_gives_zeros_where_it_has_a_meaning_and_an_error_for_gaussian():
    x = np.arange(1.0, 17.0).reshape(1, 4, 2, 2)
    np.testing.assert_array_equal(fam.alpha_dropout(x, 1.0, rng=0), 0)
    np.testing.assert_array_equal(fam.spatial_dropout(x, 1.0, rng=0), 0)
    np.testing.assert_array_equal(fam.dropconnect(x.reshape(1, 16), np.ones((16, 2)), 1.0), 0)
    with pytest.raises(ValueError, match="infinite"):
        fam.gaussian_dropout(x, 1.0, rng=0)
    with pytest.raises(ValueError, match="q = 0"):
        fam.alpha_dropout_affine(1.0)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        fam.spatial_dropout(np.ones((3, 4)), 0.5, rng=0)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        fam.alpha_dropout(np.ones((3, 4)), 0.5, per_channel=True, rng=0)
    with pytest.raises(ValueError, match="d_in"):
        fam.dropconnect(np.ones((3, 4)), np.ones((5, 2)), 0.5, rng=0)


# ------------------------------------------------------------ Gaussian dropout


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_gaussian_noise_matches_inverted_bernoulli_mean_and_variance(p, rng):
    n = 400_000
    ones = np.ones(n)
    gauss = fam.gaussian_dropout(ones, p, rng=rng)
    bern = dropout(ones, p, rng=rng)
    var = p / (1 - p)  # closed form for the inverted Bernoulli multiplier
    assert bern.var() == pytest.approx(var, rel=0.02)
    # Standard error of a mean: sqrt(var / n); of a variance of Gaussians: var * sqrt(2 / n).
    assert abs(gauss.mean() - 1) < 5 * math.sqrt(var / n)
    assert abs(gauss.var() - var) < 5 * var * math.sqrt(2 / n)


# --------------------------------------------------------------- alpha dropout


def test_selu_constants_and_alpha_prime():
    assert fam.ALPHA_PRIME == pytest.approx(-1.7580993408473766, abs=1e-15)
    # SELU is the identity times scale for x > 0 and tends to alpha' for x -> -inf.
    assert fam.selu(np.array([2.0]))[0] == pytest.approx(2 * fam.SELU_SCALE)
    assert fam.selu(np.array([-60.0]))[0] == pytest.approx(fam.ALPHA_PRIME)


@pytest.mark.parametrize("p, a, b", [(0.5, 0.886405, 0.779194), (0.1, 0.921285, 0.161971)])
def test_alpha_constants_match_the_published_check_values(p, a, b):
    got_a, got_b = fam.alpha_dropout_affine(p)
    assert got_a == pytest.approx(a, abs=5e-7)
    assert got_b == pytest.approx(b, abs=5e-7)


@pytest.mark.parametrize("p", [0.05, 0.1, 0.3, 0.5, 0.9])
def test_alpha_constants_solve_the_mean_zero_variance_one_equations(p):
    # Derive a and b independently with sympy from the two moment conditions.
    a, b = sp.symbols("a b", positive=True)
    q = sp.Rational(1) - sp.nsimplify(p)
    alpha = sp.Float(fam.ALPHA_PRIME, 30)
    # Before the affine map: x kept (mean 0, var 1) with prob q, alpha' with prob 1 - q.
    mean = (1 - q) * alpha
    second = q * 1 + (1 - q) * alpha**2
    solution = sp.solve([a * mean + b, a**2 * (second - mean**2) - 1], [a, b], dict=True)[0]
    got_a, got_b = fam.alpha_dropout_affine(p)
    assert got_a == pytest.approx(float(solution[a]), rel=1e-12)
    assert got_b == pytest.approx(float(solution[b]), rel=1e-12)


def _selu_normal_moments():
    """Mean and variance of selu(Z), Z ~ N(0, 1), by numerical integration on a fine grid."""
    z = np.linspace(-12, 12, 400_001)
    density = np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)
    s = fam.selu(z)
    mean = np.trapezoid(s * density, z)
    return mean, np.trapezoid(s**2 * density, z) - mean**2


def test_selu_of_a_standard_normal_has_mean_zero_and_variance_one():
    mean, var = _selu_normal_moments()
    assert abs(mean) < 1e-6 and var == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_alpha_dropout_keeps_mean_zero_and_variance_one_exactly_and_in_samples(p, rng):
    a, b = fam.alpha_dropout_affine(p)
    q = 1 - p
    mean_x, var_x = _selu_normal_moments()
    # Exact mixture moments of a * (kept x or alpha') + b.
    mean = a * (q * mean_x + p * fam.ALPHA_PRIME) + b
    second = q * (var_x + mean_x**2) + p * fam.ALPHA_PRIME**2
    var = a**2 * (second - (q * mean_x + p * fam.ALPHA_PRIME) ** 2)
    assert abs(mean) < 1e-6 and var == pytest.approx(1.0, abs=1e-5)
    n = 1_000_000
    out = fam.alpha_dropout(fam.selu(rng.standard_normal(n)), p, rng=rng)
    # The output has variance 1, so the mean's standard error is 1/sqrt(n); the
    # variance's is at most sqrt((kurtosis - 1) / n) with a kurtosis below 10 here.
    assert abs(out.mean()) < 5 / SQRT_N(n)
    assert abs(out.var() - 1) < 5 * math.sqrt(9 / n)


def test_apply_alpha_mask_values():
    p = 0.3
    a, b = fam.alpha_dropout_affine(p)
    x = np.array([1.0, -0.5, 2.0])
    out = fam.apply_alpha_mask(x, np.array([True, False, True]), p)
    np.testing.assert_allclose(out, [a * 1.0 + b, a * fam.ALPHA_PRIME + b, a * 2.0 + b])


def test_per_channel_alpha_dropout_drops_whole_channels():
    x = np.random.default_rng(3).uniform(1, 2, size=(6, 5, 3, 3))
    out = fam.alpha_dropout(x, 0.5, per_channel=True, rng=4)
    a, b = fam.alpha_dropout_affine(0.5)
    dropped_value = a * fam.ALPHA_PRIME + b
    dropped = np.isclose(out, dropped_value)
    per_channel = dropped.reshape(6, 5, -1)
    assert np.all(per_channel.all(axis=2) | ~per_channel.any(axis=2))
    assert 0 < per_channel.all(axis=2).mean() < 1


# ----------------------------------------------------------------- DropConnect


def test_dropconnect_moments_equal_exact_enumeration_of_the_weight_masks(rng):
    x = rng.normal(size=(3, 7))
    W = rng.normal(size=(7, 2))
    for p in (0.0, 0.3, 0.8):
        for inverted in (False, True):
            mean, var = fam.dropconnect_moments(x, W, p, inverted=inverted)
            for i in range(3):
                for j in range(2):
                    # One output of DropConnect is a linear unit with masks on its weights.
                    exact_mean, exact_var = exact_moments(W[:, j], x[i], p, inverted=inverted)
                    assert mean[i, j] == pytest.approx(exact_mean, abs=1e-12)
                    assert var[i, j] == pytest.approx(exact_var, abs=1e-12)


def test_dropconnect_samples_have_the_closed_form_moments(rng):
    x = rng.normal(size=(1, 6))
    W = rng.normal(size=(6, 3))
    p = 0.4
    n = 100_000
    u = fam.dropconnect(np.repeat(x, n, axis=0), W, p, rng=rng)
    mean, var = fam.dropconnect_moments(x, W, p)
    # Standard error of the sample mean: sqrt(var / n).
    assert np.all(np.abs(u.mean(axis=0) - mean[0]) < 5 * np.sqrt(var[0] / n))
    assert np.allclose(u.var(axis=0), var[0], rtol=0.03)


def test_dropconnect_masks_weights_independently_for_each_output(rng):
    # Unlike unit dropout, two outputs reading the same input are not dropped together.
    x = np.ones((20_000, 1))
    W = np.ones((1, 2))
    u = fam.dropconnect(x, W, 0.5, inverted=False, rng=rng)
    both = np.mean((u[:, 0] > 0) & (u[:, 1] > 0))
    assert both == pytest.approx(0.25, abs=5 * math.sqrt(0.25 * 0.75 / 20_000))


def test_dropconnect_evaluation_uses_expected_weights():
    x = np.array([[1.0, 2.0]])
    W = np.array([[1.0], [3.0]])
    assert fam.dropconnect(x, W, 0.4, training=False)[0, 0] == pytest.approx(7.0)
    standard = fam.dropconnect(x, W, 0.4, training=False, inverted=False)[0, 0]
    assert standard == pytest.approx(0.6 * 7.0)


def test_gaussian_inference_matches_the_closed_form_gaussian_expectations(rng):
    x = rng.normal(size=(4, 5))
    W = rng.normal(size=(5, 3))
    p, n = 0.5, 20_000
    mean, var = fam.dropconnect_moments(x, W, p)
    sd = np.sqrt(var)
    identity = fam.dropconnect_gaussian_inference(x, W, p, lambda u: u, n_samples=n, rng=rng)
    assert np.all(np.abs(identity - mean) < 5 * sd / math.sqrt(n))
    relu = fam.dropconnect_gaussian_inference(
        x, W, p, lambda u: np.maximum(u, 0), n_samples=n, rng=rng
    )
    # E[relu(N(mu, s^2))] = mu Phi(mu/s) + s phi(mu/s).
    ratio = mean / sd
    phi = np.exp(-(ratio**2) / 2) / math.sqrt(2 * math.pi)
    big_phi = 0.5 * (1 + np.vectorize(math.erf)(ratio / math.sqrt(2)))
    closed = mean * big_phi + sd * phi
    assert np.all(np.abs(relu - closed) < 5 * sd / math.sqrt(n))


def test_gaussian_inference_with_bias_and_bad_sample_count():
    x, W = np.ones((1, 2)), np.ones((2, 1))
    out = fam.dropconnect_gaussian_inference(x, W, 0.0, lambda u: u, bias=[1.5], n_samples=3)
    assert out[0, 0] == pytest.approx(3.5)
    with pytest.raises(ValueError, match="n_samples"):
        fam.dropconnect_gaussian_inference(x, W, 0.5, np.tanh, n_samples=0)


# ------------------------------------------------------------- spatial dropout


def test_spatial_dropout_drops_whole_channels_and_scales_the_rest(rng):
    p = 0.3
    x = rng.uniform(1, 2, size=(50, 8, 4, 4))
    out = fam.spatial_dropout(x, p, rng=rng)
    zero = (out == 0).reshape(50, 8, -1)
    assert np.all(zero.all(axis=2) | ~zero.any(axis=2))
    kept = ~zero.all(axis=2)
    np.testing.assert_allclose(out[kept], x[kept] / (1 - p))
    # 400 channels; the share dropped has standard error sqrt(p q / 400).
    assert abs((~kept).mean() - p) < 5 * math.sqrt(p * (1 - p) / 400)


# ------------------------------------------------------------------- PyTorch


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_matches_torch_for_torchs_own_mask(p):
    torch = _torch()
    torch.manual_seed(0)
    x = torch.rand(200, 30, dtype=torch.float64) + 0.5
    out = torch.nn.functional.alpha_dropout(x, p, training=True).numpy()
    a, b = fam.alpha_dropout_affine(p)
    mask = ~np.isclose(out, a * fam.ALPHA_PRIME + b)  # kept values are a x + b > 0
    np.testing.assert_allclose(fam.apply_alpha_mask(x.numpy(), mask, p), out, rtol=1e-12)


def test_feature_alpha_dropout_matches_torch_for_torchs_own_mask():
    torch = _torch()
    torch.manual_seed(1)
    p = 0.4
    x = torch.rand(10, 6, 3, 3, dtype=torch.float64) + 0.5
    out = torch.nn.functional.feature_alpha_dropout(x, p, training=True).numpy()
    a, b = fam.alpha_dropout_affine(p)
    mask = ~np.isclose(out[:, :, :1, :1], a * fam.ALPHA_PRIME + b)
    np.testing.assert_allclose(fam.apply_alpha_mask(x.numpy(), mask, p), out, rtol=1e-12)


def test_spatial_dropout_matches_torch_dropout2d_for_torchs_own_mask():
    torch = _torch()
    torch.manual_seed(2)
    p = 0.3
    x = torch.rand(10, 6, 3, 3) + 0.5
    out = torch.nn.functional.dropout2d(x, p, training=True).numpy()
    mask = np.broadcast_to(out[:, :, :1, :1] != 0, out.shape)
    np.testing.assert_allclose(apply_mask(x.numpy(), mask, p), out, rtol=1e-6)


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_edge_cases_match_torch(p):
    torch = _torch()
    F = torch.nn.functional
    x = np.linspace(0.5, 2, 2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
    t = torch.from_numpy(x.copy())
    np.testing.assert_array_equal(fam.alpha_dropout(x, p, rng=0), F.alpha_dropout(t, p, True))
    np.testing.assert_array_equal(
        fam.alpha_dropout(x, p, per_channel=True, rng=0), F.feature_alpha_dropout(t, p, True)
    )
    np.testing.assert_array_equal(fam.spatial_dropout(x, p, rng=0), F.dropout2d(t, p, True))
    np.testing.assert_array_equal(fam.alpha_dropout(x, 0.5, training=False), x)
    np.testing.assert_array_equal(F.alpha_dropout(t, 0.5, False), x)


# ------------------------------------------------------- comparison helpers


@pytest.mark.parametrize("method", ["bernoulli", "gaussian", "dropconnect"])
def test_every_member_injects_the_closed_form_mean_and_variance_into_each_logit(method, rng):
    h = rng.uniform(0, 2, size=(3, 8))
    W = rng.normal(size=(8, 4))
    b = rng.normal(size=4)
    p, n = 0.4, 20_000
    mean, var = fam.readout_moments(h, W, b, p)
    z = fam.noisy_readout(h, W, b, p, method, n_samples=n, rng=rng)
    # Standard error of a sample mean: sqrt(var / n); the variances to a few per cent.
    assert np.all(np.abs(z.mean(axis=0) - mean) < 5 * np.sqrt(var / n))
    np.testing.assert_allclose(z.var(axis=0), var, rtol=0.06)


def test_readout_variance_matches_enumeration_of_the_hidden_masks(rng):
    h = rng.uniform(0, 2, size=(2, 6))
    W = rng.normal(size=(6, 3))
    b = np.zeros(3)
    mean, var = fam.readout_moments(h, W, b, 0.3)
    for i in range(2):
        for j in range(3):
            exact_mean, exact_var = exact_moments(W[:, j], h[i], 0.3, inverted=True)
            assert mean[i, j] == pytest.approx(exact_mean)
            assert var[i, j] == pytest.approx(exact_var)


def test_unit_noise_correlates_logits_and_dropconnect_does_not(rng):
    # Two logits read the same single hidden unit: a unit mask moves both together.
    h = np.ones((1, 1))
    W = np.array([[1.0, 1.0]])
    for method, expected in (("bernoulli", 1.0), ("gaussian", 1.0), ("dropconnect", 0.0)):
        z = fam.noisy_readout(h, W, np.zeros(2), 0.5, method, n_samples=4000, rng=rng)[:, 0]
        corr = np.corrcoef(z[:, 0], z[:, 1])[0, 1]
        # Standard error of a correlation near 0 is 1/sqrt(n) = 0.016.
        assert corr == pytest.approx(expected, abs=0.08)


def test_noisy_readout_arguments():
    h, W, b = np.ones((2, 3)), np.ones((3, 2)), np.zeros(2)
    with pytest.raises(ValueError, match="method"):
        fam.noisy_readout(h, W, b, 0.5, "dropblock", n_samples=2)
    with pytest.raises(ValueError, match="n_samples"):
        fam.noisy_readout(h, W, b, 0.5, "gaussian", n_samples=0)
    out = fam.noisy_readout(h, W, b, 0.5, "alpha", n_samples=3, rng=0)
    assert out.shape == (3, 2, 2)


def test_fill_from_neighbours_by_hand():
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    keep = np.ones((1, 1, 3, 3), dtype=bool)
    keep[0, 0, 1, 1] = False  # the centre (5) is dropped: neighbours 2, 4, 6, 8
    keep[0, 0, 0, 0] = False  # the corner (1) is dropped: kept neighbours 2 and 4
    filled = fam.fill_from_neighbours(x, keep)
    assert filled[0, 0, 1, 1] == pytest.approx((2 + 4 + 6 + 8) / 4)
    assert filled[0, 0, 0, 0] == pytest.approx((2 + 4) / 2)
    np.testing.assert_array_equal(filled[keep], x[keep])
    nothing = fam.fill_from_neighbours(x, np.zeros((1, 1, 1, 1), dtype=bool))
    np.testing.assert_array_equal(nothing, 0.0)


def test_feature_maps_match_scipy_correlation(rng):
    signal = pytest.importorskip("scipy.signal")
    images = rng.normal(size=(2, 8, 8))
    filters = rng.normal(size=(3, 3, 3))
    maps = fam.feature_maps(images, filters)
    for n in range(2):
        for c in range(3):
            expected = signal.correlate2d(images[n], filters[c], mode="same")
            np.testing.assert_allclose(maps[n, c], expected, atol=1e-12)
    with pytest.raises(ValueError, match="odd"):
        fam.feature_maps(images, rng.normal(size=(1, 2, 2)))


# ------------------------------------------------------------ argument checks

_H, _WR, _B = np.ones((2, 3)), np.ones((3, 2)), np.zeros(2)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: fam.noisy_readout(_H, _WR, _B, 0.5, "gaussian", n_samples=2.0), TypeError,
         "n_samples"),
        (lambda: fam.noisy_readout(_H, _WR, _B, 0.5, "gaussian", n_samples=True), TypeError,
         "n_samples"),
        (lambda: fam.noisy_readout(_H, _WR, _B, 0.5, 3, n_samples=2), TypeError, "method"),
        (lambda: fam.noisy_readout(_H, _WR, _B, 0.5, "dropblock", n_samples=2), ValueError,
         "method"),
        (lambda: fam.dropconnect_gaussian_inference(_H, _WR, 0.5, np.tanh, n_samples="3"),
         TypeError, "n_samples"),
        (lambda: fam.dropconnect_gaussian_inference(_H, _WR, 0.5, np.tanh, n_samples=-1),
         ValueError, "n_samples"),
        (lambda: fam.dropconnect_gaussian_inference(_H, _WR, 0.5, "relu"), TypeError,
         "activation"),
        (lambda: fam.readout_moments(_H, _WR, _B, 1.0), ValueError, "below 1"),
        (lambda: fam.readout_moments(_H, _WR, _B, "0.5"), TypeError, "p"),
        (lambda: fam.gaussian_noise((2, 3), 1.0, 0), ValueError, "infinite"),
        (lambda: fam.gaussian_noise((2, 3.0), 0.5, 0), TypeError, "shape"),
        (lambda: fam.gaussian_noise((2, -3), 0.5, 0), ValueError, "shape"),
        (lambda: fam.gaussian_noise((2, 3), 0.5, "seed"), TypeError, "rng"),
        (lambda: fam.channel_mask((2, 3), 0.5, 0), ValueError, "N, C, H, W"),
        (lambda: fam.channel_mask((2, 3, 1.5, 1), 0.5, 0), TypeError, "shape"),
        (lambda: fam.alpha_dropout_affine(1.0), ValueError, "q = 0"),
        (lambda: fam.alpha_dropout_affine([0.5]), TypeError, "p"),
        (lambda: fam.selu(["a"]), TypeError, "x"),
    ],
)  # fmt: skip
def test_bad_types_are_type_errors_and_bad_values_value_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_numpy_integers_are_accepted_where_ints_are():
    out = fam.noisy_readout(_H, _WR, _B, 0.5, "bernoulli", n_samples=np.int64(3), rng=np.int64(0))
    assert out.shape == (3, 2, 2)
    inference = fam.dropconnect_gaussian_inference(_H, _WR, 0.0, np.tanh, n_samples=np.int32(2))
    np.testing.assert_allclose(inference, np.tanh(_H @ _WR))  # p = 0: no noise, exactly tanh
    assert fam.gaussian_noise((np.int64(2), np.int64(3)), 0.5, 0).shape == (2, 3)
    assert fam.channel_mask(tuple(np.array([2, 3, 4, 4])), 0.5, 0).shape == (2, 3, 1, 1)


def test_gaussian_noise_is_drawn_from_the_given_generator():
    # N(1, p / (1 - p)) in float32: standard normal draws scaled and shifted.
    p = 0.2
    noise = fam.gaussian_noise((4, 5), p, np.random.default_rng(7))
    expected = np.random.default_rng(7).standard_normal((4, 5), dtype=np.float32)
    expected = expected * np.float32(math.sqrt(p / (1 - p))) + np.float32(1)
    assert noise.dtype == np.float32
    np.testing.assert_allclose(noise, expected, rtol=1e-6)
