"""The explorers of chapters 5 and 8, driven as a reader drives them: by setting a control's value.

Every statistical check uses a fixed seed and a tolerance of a few standard
errors, computed from the binomial or sample-moment formulas (said at each
assert), never from numbers the code printed.
"""

import base64
import html as htmllib
import io
import json
import math
import re

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("ipywidgets")

import matplotlib.pyplot as plt  # noqa: E402

import dropout_lib as dl  # noqa: E402
from dropout_lib import widgets  # noqa: E402
from dropout_lib.masks import enumerate_masks  # noqa: E402
from dropout_lib.widgets import activations, fallback, scene  # noqa: E402
from dropout_lib.widgets import ensemble as ensemble_module  # noqa: E402
from dropout_lib.widgets import mask_states as mask_state_module  # noqa: E402


@pytest.fixture(scope="module")
def activation():
    return widgets.activation_explorer(p=0.5, mode="inverted", phase="training", width=32)


@pytest.fixture(scope="module")
def mask_states():
    return widgets.mask_state_explorer(p=0.4, mode="standard")


@pytest.fixture(scope="module")
def ensemble():
    return widgets.ensemble_explorer(p=0.5, network="4-5-3", steps=100)


def _png_size(png):
    image = Image.open(io.BytesIO(png))
    image.verify()  # raises on a corrupt PNG
    return Image.open(io.BytesIO(png)).size


# --------------------------------------------------------------- activations


@pytest.mark.parametrize("p", [0.1, 0.3, 0.7, 0.95])
@pytest.mark.parametrize("mode", ["standard", "inverted"])
def test_dropped_share_is_p_within_binomial_error(activation, p, mode):
    activation.controls["mode"].value = mode
    activation.controls["p"].value = p
    data = activation.data
    assert data.p == p and data.mode == mode
    n = data.mask.size
    # Each unit is dropped independently with probability p: binomial standard error.
    se = math.sqrt(p * (1 - p) / n)
    assert abs(data.dropped_share - p) < 4 * se
    # A unit is zero after dropout if it was zero before (ReLU) or it was dropped.
    z0 = data.zeros_before
    expected_zeros = z0 + (1 - z0) * p
    se_zeros = math.sqrt(expected_zeros * (1 - expected_zeros) / n)
    assert abs(data.zeros_training - expected_zeros) < 4 * se_zeros + 1e-12
    # The training output is the mask times the input, stretched by 1/(1 - p) if inverted.
    scale = 1 / (1 - p) if mode == "inverted" else 1.0
    np.testing.assert_allclose(data.training, data.before * data.mask * scale, rtol=1e-12)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
@pytest.mark.parametrize("mode", ["standard", "inverted"])
def test_next_layer_moments_match_the_formulas(activation, p, mode):
    activation.controls["phase"].value = "training"
    activation.controls["mode"].value = mode
    activation.controls["p"].value = p
    data = activation.data
    layer = activations.trained_hidden_layer(data.width, data.seed)
    h = layer.activations[data.example]
    w = layer.next_weights[:, data.unit]
    b = layer.next_bias[data.unit]
    keep = 1 - p
    # Closed forms, written out here independently of the library.
    mean = (np.sum(w * h) if mode == "inverted" else keep * np.sum(w * h)) + b
    var = keep * p * np.sum((w * h) ** 2) / (keep**2 if mode == "inverted" else 1.0)
    assert data.exact_mean == pytest.approx(mean, rel=1e-9, abs=1e-9)
    assert data.exact_var == pytest.approx(var, rel=1e-9, abs=1e-9)
    # Mean matches between training and evaluation: the evaluation value is E[z].
    assert data.z_evaluation == pytest.approx(mean, rel=1e-9, abs=1e-9)
    z = data.z_training
    n = len(z)
    # Standard error of the sample mean, and of the sample variance
    # (sqrt((m4 - s^4) / n) with the sample fourth central moment m4).
    se_mean = math.sqrt(var / n)
    m4 = np.mean((z - z.mean()) ** 4)
    se_var = math.sqrt(max(m4 - z.var() ** 2, 0.0) / n)
    assert abs(data.empirical_mean - mean) < 4 * se_mean + 1e-9
    assert abs(data.empirical_var - var) < 5 * se_var + 1e-9


def test_small_layer_moments_agree_with_enumeration(activation):
    activation.controls["width"].value = 8
    activation.controls["p"].value = 0.35
    data = activation.data
    assert data.width == 8 and data.enumerated_mean is not None
    assert data.enumerated_mean == pytest.approx(data.exact_mean, rel=1e-9, abs=1e-12)
    assert data.enumerated_var == pytest.approx(data.exact_var, rel=1e-9, abs=1e-12)
    activation.controls["width"].value = 32
    assert activation.data.enumerated_mean is None  # 2**32 masks are not enumerated


@pytest.mark.parametrize("mode", ["standard", "inverted"])
def test_evaluation_phase_is_deterministic(activation, mode):
    activation.controls["mode"].value = mode
    activation.controls["p"].value = 0.6
    activation.controls["phase"].value = "evaluation"
    first = activation.data
    assert first.phase == "evaluation"
    expected = first.before * (0.4 if mode == "standard" else 1.0)
    np.testing.assert_allclose(first.evaluation, expected, rtol=1e-12)
    assert np.all(first.z_samples == first.z_evaluation)
    # Recomputing with another mask seed changes training, never evaluation.
    again = widgets.activation_data(0.6, mode, "evaluation", first.width, first.seed, n_masks=500)
    np.testing.assert_array_equal(again.evaluation, first.evaluation)
    assert again.z_evaluation == first.z_evaluation
    activation.controls["phase"].value = "training"


def test_histograms_account_for_every_activation(activation):
    activation.controls["p"].value = 0.45
    data = activation.data
    for zeros, counts in [
        (data.zeros_before, data.counts_before),
        (data.zeros_training, data.counts_training),
        (data.zeros_evaluation, data.counts_evaluation),
    ]:
        assert zeros + counts.sum() == pytest.approx(1.0)
    assert data.z_counts.sum() == pytest.approx(1.0)


def test_inverted_axis_holds_the_stretch():
    for p in np.linspace(0, widgets.P_MAX, 39):
        stretch = activations.axis_stretch(p, "inverted")
        assert stretch * (1 - p) >= 1 - 1e-9
    assert activations.axis_stretch(0.9, "standard") == activations.axis_stretch(0.0, "standard")


# --------------------------------------------------------------- mask states


@pytest.mark.parametrize("p", [0.0, 0.25, 0.4, 0.95])
@pytest.mark.parametrize("mode", ["standard", "inverted"])
def test_mask_states_match_enumeration(mask_states, p, mode):
    mask_states.controls["mode"].value = mode
    mask_states.controls["p"].value = p
    data = mask_states.data
    inverted = mode == "inverted"
    masks, probs, z = dl.unit_values(data.w, data.x, p, inverted=inverted)
    assert [tuple(int(b) for b in row) for row in masks] == data.masks
    np.testing.assert_allclose(data.probabilities, probs, atol=1e-15)
    np.testing.assert_allclose(data.values, z, rtol=1e-12)
    assert data.probabilities.sum() == pytest.approx(1.0)
    assert data.contributions.sum() == pytest.approx(data.expected)
    mean, var = dl.linear_unit_moments(data.w, data.x, p, inverted=inverted)
    assert data.expected == pytest.approx(mean, abs=1e-12)
    assert data.variance == pytest.approx(var, abs=1e-12)
    assert data.evaluation == pytest.approx(mean, abs=1e-12)  # means match


def test_mask_states_book_example(mask_states):
    mask_states.controls["mode"].value = "standard"
    mask_states.controls["p"].value = 0.4
    data = mask_states.data
    # The worked case of the book: q = 0.6 gives z = 0, 3, -1, 2 with 0.16, 0.24, 0.24, 0.36.
    np.testing.assert_allclose(data.values, [0, 3, -1, 2])
    np.testing.assert_allclose(data.probabilities, [0.16, 0.24, 0.24, 0.36])
    assert data.expected == pytest.approx(1.2) and data.variance == pytest.approx(2.4)


# --------------------------------------------------------------- ensemble


def _occupancy_sd_bound(n_units, p, steps):
    # The indicators "mask m was visited" are negatively correlated, so the
    # variance of their sum is at most the sum of their Bernoulli variances.
    _, probs = enumerate_masks(n_units, p)
    seen = 1 - (1 - probs) ** steps
    return math.sqrt(np.sum(seen * (1 - seen)))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("steps", [30, 1000])
def test_ensemble_counts(ensemble, p, steps):
    ensemble.controls["steps"].value = steps
    ensemble.controls["p"].value = p
    data = ensemble.data
    n_units = 4 + 5
    assert data.n_possible == 2**n_units == dl.masks.count_subnetworks((4, 5, 3))
    assert len(data.visited) == steps
    assert np.all(np.diff(data.visited) >= 0) and np.all(np.diff(data.visited) <= 1)
    assert data.visited[0] == 1 and data.n_distinct <= min(steps, data.n_possible)
    _, probs = enumerate_masks(n_units, p)
    expected = np.sum(1 - (1 - probs) ** steps)
    assert data.expected_distinct == pytest.approx(expected, rel=1e-9)
    assert abs(data.n_distinct - expected) <= 4 * _occupancy_sd_bound(n_units, p, steps) + 1
    # The drawn subnetworks keep the outputs and match the sampled steps.
    for masks in data.shown:
        assert [m.shape for m in masks] == [(4,), (5,), (3,)] and masks[-1].all()


def test_ensemble_at_p_zero_visits_one_subnetwork(ensemble):
    ensemble.controls["p"].value = 0.0
    assert ensemble.data.n_distinct == 1 and ensemble.data.expected_distinct == 1.0


# --------------------------------------------------------------- live behaviour


def test_each_change_redraws_in_place(activation, mask_states, ensemble):
    for explorer in (activation, mask_states, ensemble):
        image = explorer.image
        before = explorer.png
        explorer.controls["p"].value = 0.25 if explorer.data.p != 0.25 else 0.3
        assert explorer.image is image  # the same widget, a new picture
        assert image.value == explorer.png != before
        assert _png_size(explorer.png)[0] > 300
        assert explorer.data.p == explorer.controls["p"].value


@pytest.mark.parametrize(
    "make, module, name",
    [
        (
            lambda: widgets.activation_data(0.7, "inverted", "training", 16),
            activations,
            "activation",
        ),
        (lambda: widgets.mask_state_data(0.7, "inverted"), mask_state_module, "mask_state"),
        (lambda: widgets.ensemble_data(0.7, "3-4-2", 300), ensemble_module, "ensemble"),
    ],
)
def test_fast_redraw_looks_like_a_full_drawing(make, module, name):
    data = make()
    key, frame, artists, figure = (
        getattr(module, f"{name}_{part}") for part in ("frame_key", "frame", "artists", "figure")
    )
    drawer = scene.FigureScene(key, frame, artists, dpi=60)
    drawer.render_rgba(make())  # a first drawing, so the second one reuses the frame
    _, fast = drawer.render_rgba(data)
    full = np.asarray(Image.open(io.BytesIO(scene.figure_png(figure(data), dpi=60))))
    fast = np.asarray(fast)[..., :3].astype(int)
    assert fast.shape == full.shape
    # Drawing order differs slightly (moving artists go on top of the spines),
    # so compare the share of pixels that differ visibly.
    differs = np.abs(fast - full.astype(int)).max(axis=-1) > 60
    assert differs.mean() < 0.01


def test_mimebundle_has_widget_and_fallback(mask_states):
    bundle = mask_states._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
    assert bundle["text/html"].startswith('<div class="dlib-fallback"')


# --------------------------------------------------------------- edge values


@pytest.mark.slow
@pytest.mark.parametrize("p", [0.0, widgets.P_MAX])
@pytest.mark.parametrize("width", [1, 64])
def test_activation_edges_render(activation, p, width):
    for mode in widgets.MODES:
        for phase in widgets.PHASES:
            activation.controls["mode"].value = mode
            activation.controls["phase"].value = phase
            activation.controls["width"].value = width
            activation.controls["p"].value = p
            data = activation.data
            assert data.width == width and data.p == p
            assert _png_size(activation.png)[0] > 300
            if p == 0.0:
                assert data.dropped_share == 0.0
                np.testing.assert_array_equal(data.training, data.before)
    activation.controls["seed"].value = 99
    activation.controls["seed"].value = 0
    activation.controls["width"].value = 32


@pytest.mark.slow
def test_mask_state_and_ensemble_edges_render(mask_states, ensemble):
    for p in (0.0, widgets.P_MAX):
        for mode in widgets.MODES:
            mask_states.controls["mode"].value = mode
            mask_states.controls["p"].value = p
            assert mask_states.data.p == p
        for network in widgets.NETWORKS:
            for steps in (widgets.STEP_CHOICES[0], widgets.STEP_CHOICES[-1]):
                ensemble.controls["network"].value = network
                ensemble.controls["steps"].value = steps
                ensemble.controls["p"].value = p
                assert ensemble.data.steps == steps
                assert _png_size(ensemble.png)[0] > 300
    ensemble.controls["seed"].value = 99
    ensemble.controls["network"].value = "4-5-3"
    ensemble.controls["steps"].value = 100


def test_bad_controls_are_named():
    with pytest.raises(ValueError, match="mode"):
        widgets.activation_data(0.5, "sideways")
    with pytest.raises(ValueError, match="phase"):
        widgets.activation_data(0.5, "inverted", "testing")
    with pytest.raises(ValueError, match="width"):
        widgets.activation_data(0.5, width=0)
    with pytest.raises(TypeError, match="width"):
        widgets.activation_data(0.5, width=8.0)
    with pytest.raises(ValueError, match="p"):
        widgets.mask_state_data(1.5)
    with pytest.raises(ValueError, match="network"):
        widgets.ensemble_data(0.5, "9-9-9")
    with pytest.raises(ValueError, match="steps"):
        widgets.ensemble_data(0.5, steps=ensemble_module.N_SHOWN - 1)


def test_inverted_mask_states_need_p_below_one():
    # Inverted dropout divides by 1 - p, so p = 1 has no value; standard dropout has one.
    with pytest.raises(ValueError, match="p must be below 1"):
        widgets.mask_state_data(1.0, "inverted")
    assert widgets.mask_state_data(1.0, "standard").expected == 0.0
    with pytest.raises(ValueError, match="w"):
        widgets.mask_state_data(0.5, w=(1.0, 2.0, 3.0))
    with pytest.raises(TypeError, match="x"):
        widgets.mask_state_data(0.5, x=("a", "b"))


def test_package_exposes_the_explorers():
    from dropout_lib import widgets as package

    for name in ("activation", "mask_state", "ensemble", "nonlinear"):
        assert callable(getattr(package, f"{name}_explorer"))
    for name in ("activation_data", "mask_state_data", "ensemble_data", "nonlinear_unit_data"):
        assert callable(getattr(package, name))
    assert set(package.__all__) <= set(dir(package))
    assert len(package.__all__) == len(set(package.__all__))
    # Each explorer module lists what it defines, and the package re-exports the entry points.
    for module in (activations, mask_state_module, ensemble_module, package.nonlinear):
        assert set(module.__all__) <= set(dir(module))
        for name in module.__all__:
            if name.endswith("_explorer") or name.endswith("_data"):
                assert getattr(package, name) is getattr(module, name)


# --------------------------------------------------------------- static fallback


def _fallback_parts(html):
    """The fallback's frames (from its JSON block), its markup images and its sliders."""
    block = re.search(
        r'<script type="application/json" class="dlib-fallback-data">(.*?)</script>', html, re.S
    )
    data = json.loads(block.group(1))
    images = re.findall(r"<img ([^>]*)>", html)
    sliders = re.findall(r'<input type="range" id="([^"]+)"[^>]*>', html)
    return data, images, sliders


def _without_scripts(html):
    """What a sanitiser that strips scripts (JupyterLab's, GitHub's) leaves of the markup."""
    return re.sub(r"<script\b.*?</script>", "", html, flags=re.S | re.I)


@pytest.mark.slow
@pytest.mark.parametrize(
    "make, start, n_frames, keys",
    [
        (
            lambda: widgets.activation_explorer(p=0.5, mode="inverted", width=8),
            {"p": "0.50", "mode": "inverted"},
            2 * len(fallback.FALLBACK_PS),
            ["p", "mode"],
        ),
        (
            lambda: widgets.mask_state_explorer(p=0.4, mode="standard"),
            {"p": "0.40", "mode": "standard"},
            2 * len(fallback.FALLBACK_PS),
            ["p", "mode"],
        ),
        (
            lambda: widgets.ensemble_explorer(p=0.3),
            {"p": "0.30"},
            len(fallback.FALLBACK_PS),
            ["p"],
        ),
    ],
)
def test_fallback_html(make, start, n_frames, keys):
    explorer = make()
    html = explorer.fallback_html()
    assert html.startswith('<div class="dlib-fallback"') and html.rstrip().endswith("</div>")
    assert not re.search(r"https?:|ftp:|url\(|<link|@import", html, re.IGNORECASE)
    data, images, sliders = _fallback_parts(html)
    # One picture in the markup: no renderer can show a stack of frames.
    assert len(images) == 1 and 'class="dlib-fallback-frame"' in images[0]
    assert len(data["frames"]) == n_frames
    assert [slider["key"] for slider in data["sliders"]] == keys
    # The scrubber offers p in steps of 0.05, from 0 to the live slider's end.
    assert data["sliders"][0]["tokens"] == [f"{0.05 * k:.2f}" for k in range(20)]
    assert data["sliders"][0]["tokens"][-1] == f"{widgets.P_MAX:.2f}"
    # The shown frame is the one the caption and the sliders' start positions describe.
    index = 0
    for slider in data["sliders"]:
        index = index * len(slider["tokens"]) + slider["tokens"].index(start[slider["key"]])
    assert f'data-frame="{index}"' in images[0]
    assert f'src="{data["frames"][index]["src"]}"' in images[0]
    alt = re.search(r'alt="([^"]+)"', images[0]).group(1)
    assert htmllib.unescape(alt) == data["frames"][index]["alt"] and f"p = {start['p']}" in alt
    note = re.search(r'<p class="dlib-fallback-note">(.*?)</p>', html).group(1)
    assert f"p = {start['p']}" in note and "run the notebook for the live explorer" in note
    # Each frame is drawn for a device pixel ratio of 2 and displayed at half its pixel size.
    displayed = int(re.search(r'width="(\d+)"', images[0]).group(1))
    for frame in data["frames"]:
        assert frame["src"].startswith("data:image/png;base64,")
        assert "p = " in frame["alt"] and len(frame["alt"]) > 40
        width, _ = _png_size(base64.b64decode(frame["src"].split(",", 1)[1]))
        assert width // scene.PIXEL_RATIO == displayed
    assert len(sliders) == len(keys)
    for slider_id in sliders:
        assert f'<label for="{slider_id}">' in html
        assert f'<output for="{slider_id}">' in html
    # The sliders wait, hidden with a valued attribute (JupyterLab's sanitiser deletes a
    # bare one), for the script to reveal them; without it one frame and the note remain.
    assert '<div class="dlib-fallback-controls" hidden="hidden">' in html
    bare = _without_scripts(html)
    assert len(re.findall(r"<img ", bare)) == 1 and "data:image/png" in bare
    assert "run the notebook for the live explorer" in bare
    assert "<script>" in html and 'addEventListener("input"' in html
    assert "location.hash" in html and "replaceState" in html  # shareable state


def test_fallback_rejects_bad_grids():
    png = scene.encode_png(np.zeros((4, 6, 4), dtype=np.uint8))
    slider = fallback.p_fallback_slider((0.0, 0.5), 0.4)
    assert slider.start == 1 and slider.tokens == ("0.00", "0.50")
    with pytest.raises(ValueError, match="frames"):
        fallback.fallback_html([(png, "a")], [slider], title="t", name="x")
    other = scene.encode_png(np.zeros((4, 8, 4), dtype=np.uint8))
    with pytest.raises(ValueError, match="same size"):
        fallback.fallback_html([(png, "a"), (other, "b")], [slider], title="t", name="x")
    with pytest.raises(ValueError, match="name"):
        fallback.fallback_html([(png, "a"), (png, "b")], [slider], title="t", name="a b")
    with pytest.raises(TypeError, match="FallbackSlider"):
        fallback.fallback_html(
            [(png, "a"), (png, "b")], [("p", ["a", "b"], 0)], title="t", name="x"
        )
    with pytest.raises(ValueError, match="start"):
        fallback.FallbackSlider("p", "p", ("a",), ("a",), 1)
    with pytest.raises(ValueError, match="key"):
        fallback.FallbackSlider("p q", "p", ("a",), ("a",), 0)
    with pytest.raises(ValueError, match="mode"):
        fallback.choice_fallback_slider("mode", "mode", widgets.MODES, "sideways")
    assert scene.png_size(png) == (6, 4)
    with pytest.raises(ValueError, match="PNG"):
        scene.png_size(b"GIF89a" + bytes(30))


def test_live_image_is_shown_at_its_size_for_a_pixel_ratio_of_two(mask_states):
    # Drawn at 2 device pixels per CSS pixel, displayed at half its pixel width:
    # sharp on a high-density screen and never scaled up.
    assert scene.DPI == scene.PIXEL_RATIO * scene.CSS_DPI == 144
    width, _ = _png_size(mask_states.png)
    assert mask_states.image.width == str(width // 2)
    assert mask_states.image.layout.max_width == "100%"
    fig = mask_states.figure
    assert abs(width - fig.get_figwidth() * scene.DPI) < 1


def test_no_figure_leaks_into_pyplot():
    widgets.mask_state_explorer().controls["p"].value = 0.5
    assert plt.get_fignums() == []
