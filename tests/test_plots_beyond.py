"""Figures of chapters 8-10 and the nonlinear-unit explorer of chapter 8."""

import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from dropout_lib import family as fam
from dropout_lib import mc_dropout as mc
from dropout_lib import nonlinear as nl
from dropout_lib import palette
from dropout_lib import plots_beyond as pb


def _check(fig, *, legend=True):
    assert isinstance(fig, Figure)
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert titled, "every figure needs a title"
    for ax in fig.axes:
        if ax.get_xlabel() or ax.get_ylabel():
            assert ax.get_xlabel() and ax.get_ylabel()
    if legend:
        assert any(ax.get_legend() is not None for ax in fig.axes)


def test_chapter_8_figures():
    ens = nl.sigmoid_ensemble([1.0, -2.0, 0.5], [1.0, 0.5, 2.0], 0.3)
    _check(pb.plot_sigmoid_ensemble(ens))
    rng = np.random.default_rng(0)
    _check(pb.plot_nwgm_gaps(rng.uniform(size=20), rng.uniform(size=20) / 10, rng.uniform(size=20)))
    gaps = nl.LayerGaps(
        np.array([0.0, 0.1]), np.array([0.0, 0.1]), np.array([1.0, 1.0]), (), (), np.zeros((1, 2))
    )
    _check(pb.plot_relu_gaps([0.1, 0.5], [gaps, gaps]))
    # One sequence of seeds per p, and the weight-scaling gap instead of the Jensen gap.
    _check(pb.plot_relu_gaps([0.1, 0.5], [[gaps, gaps], [gaps]], which="scaling"))
    with pytest.raises(ValueError, match="which"):
        pb.plot_relu_gaps([0.1], [gaps], which="both")


def test_chapter_9_figures():
    x = np.linspace(-3, 3, 20)
    _check(pb.plot_regression_uncertainty(x, x, x, x, np.ones(20), truth=x, gap=(-1, 1)))
    counts = np.array([1, 10, 100])
    _check(
        pb.plot_moments_vs_samples(
            counts, np.ones((3, 2)), np.ones((3, 2)), ["a", "b"], noise_sd=0.1
        )
    )
    _check(pb.plot_digit_gallery(np.zeros((3, 64)), ["a", "b", "c"], ncols=2), legend=False)
    _check(pb.plot_blend_entropy(np.linspace(0, 1, 5), [np.ones(5), np.zeros(5)], ["a", "b"]))
    bins = mc.error_by_entropy(np.arange(10.0), np.arange(10) > 6, n_bins=2)
    _check(pb.plot_error_by_entropy(bins))


def test_chapter_10_figures():
    curves = {"a": (np.zeros(3), np.ones(3)), "b": (np.ones(3), np.ones(3))}
    _check(pb.plot_selu_depth(np.arange(1, 4), curves))
    maps = fam.feature_maps(np.ones((1, 4, 4)), np.ones((2, 3, 3)))[0]
    _check(pb.plot_feature_maps([maps, maps * 0], ["original", "dropped"]), legend=False)


def test_figures_use_the_palette_for_every_series():
    # Four series (chapter 10 compares four noises) get four different palette colours.
    from matplotlib.colors import to_hex

    curves = {f"s{i}": (np.zeros(3), np.ones(3)) for i in range(4)}
    fig = pb.plot_selu_depth(np.arange(1, 4), curves)
    colours = [to_hex(line.get_color()) for line in fig.axes[0].lines if line.get_label()[0] == "s"]
    assert colours == [to_hex(colour) for colour, _, _ in palette.SERIES]
    ens = nl.sigmoid_ensemble([1.0, -2.0], [1.0, 0.5], 0.3)
    ax = pb.plot_sigmoid_ensemble(ens).axes[0]
    assert to_hex(ax.lines[1].get_color()) == to_hex(palette.EMPHASIS)


def test_nonlinear_explorer_live_and_fallback():
    pytest.importorskip("ipywidgets")
    from dropout_lib import widgets
    from dropout_lib.widgets import nonlinear as explorer_module

    explorer = widgets.nonlinear_explorer(p=0.5, scale=1.5)
    first = explorer.data.ensemble
    assert first.nwgm == pytest.approx(first.weight_scaled)
    explorer.controls["p"].value = 0.2
    explorer.controls["scale"].value = -2.0
    data = explorer.data
    assert data.p == pytest.approx(0.2) and data.scale == pytest.approx(-2.0)
    # The explorer's numbers are the enumeration's: recompute independently.
    expected = nl.sigmoid_ensemble(
        widgets.NONLINEAR_W, -2.0 * np.array(widgets.NONLINEAR_X), 0.2, bias=widgets.NONLINEAR_BIAS
    )
    assert data.ensemble.arithmetic_mean == pytest.approx(expected.arithmetic_mean)
    assert explorer.png.startswith(b"\x89PNG")
    html = explorer.fallback_html()
    assert html.startswith('<div class="dlib-fallback"')
    assert len(re.findall(r'<input type="range"', html)) == 2
    # One frame in the markup, every frame in the fallback's JSON block.
    assert len(re.findall(r'<img class="dlib-fallback-frame"[^>]*>', html)) == 1
    frames = re.findall(r'"src":"data:image/png;base64,', html)
    assert len(frames) == len(explorer_module.NONLINEAR_PS) * len(explorer_module.NONLINEAR_SCALES)
    assert not re.search(r"https?:|url\(|<link", html, re.IGNORECASE)


def test_nonlinear_unit_data_checks_its_arguments():
    from dropout_lib import widgets

    with pytest.raises(ValueError, match="between 0 and 1"):
        widgets.nonlinear_unit_data(1.5, 1.0)
    with pytest.raises(TypeError, match="scale"):
        widgets.nonlinear_unit_data(0.5, "big")
    with pytest.raises(TypeError, match="scale"):
        widgets.nonlinear_unit_data(0.5, True)
    with pytest.raises(ValueError, match="scale"):
        widgets.nonlinear_unit_data(0.5, float("inf"))
    assert widgets.nonlinear_unit_data(0.5, np.float32(2.0)).scale == 2.0
