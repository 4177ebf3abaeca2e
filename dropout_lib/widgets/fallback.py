"""The static fallback of an explorer: precomputed frames switched by an inline-JS slider.

A live ipywidget in a static page draws controls that change nothing. So each
explorer's mimebundle also carries ``text/html`` made by :func:`fallback_html`:
one PNG frame per point of a grid of its controls, and plain
``<input type="range">`` sliders whose inline script shows the matching frame.
The rendered book prefers that HTML (``nb_mime_priority_overrides`` in
``_config.yml``); it works offline and asks no other host for anything.

The HTML is built so that it also looks right where no script runs: JupyterLab
and Notebook 7 before the notebook is run (their sanitiser strips scripts),
GitHub's notebook view and VS Code. There it shows exactly one frame, the one
its caption describes, and a line saying to run the notebook for the live
explorer:

- only one ``<img>`` is in the markup; the other frames travel in a
  ``<script type="application/json">`` block, which a sanitiser removes and a
  browser never renders, so no renderer can show them all at once;
- the sliders sit in a block marked ``hidden="hidden"`` (a valued attribute,
  which JupyterLab's sanitiser keeps; it deletes a bare ``hidden``) that the
  script reveals.

In the book the script also keeps the sliders' settings in the URL fragment,
``#explorer-<name>?p=0.80&mode=standard``, so that a link opens the page with
that explorer at those settings. The book build (``_ext/dropout_frames.py``)
moves the frames out of the page into image files that the script loads when
a slider reaches them, so a page weighs one frame per explorer, not all.

Every frame is drawn for a device pixel ratio of
:data:`~dropout_lib.widgets.scene.PIXEL_RATIO` and displayed at its size in
CSS pixels (its pixel width divided by that ratio), so it is sharp on a
high-density screen and never scaled up.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass

import numpy as np

from .._checks import check_choice
from .scene import PIXEL_RATIO, encode_png, png_size

__all__ = [
    "FALLBACK_PS",
    "FallbackSlider",
    "p_fallback_slider",
    "choice_fallback_slider",
    "fallback_html",
    "scene_frames",
    "p_labels",
]

#: Grid of p for the static fallbacks: 0 to 0.95 in steps of 0.05, as the live slider.
FALLBACK_PS = tuple(round(0.05 * step, 2) for step in range(20))


def p_labels(ps) -> list[str]:
    """Slider labels ``"p = 0.30"`` for each drop probability in ``ps``."""
    return [f"p = {p:.2f}" for p in ps]


@dataclass(frozen=True)
class FallbackSlider:
    """One slider of a static fallback.

    Attributes
    ----------
    key : str
        Its name in the URL fragment (``p``, ``mode``, ...): letters, digits, ``-`` or ``_``.
    label : str
        What the control is, in plain words (the slider's label).
    labels : tuple of str
        The text shown for each position, for example ``"p = 0.30"``.
    tokens : tuple of str
        The value of each position as written in the URL fragment, for example ``"0.30"``.
    start : int
        The position shown first: the live explorer's current setting.
    """

    key: str
    label: str
    labels: tuple
    tokens: tuple
    start: int

    def __post_init__(self):
        if not self.key or not all(c.isalnum() or c in "-_" for c in self.key):
            raise ValueError(f"key must be letters, digits, '-' or '_', but got key={self.key!r}")
        if len(self.labels) != len(self.tokens) or not self.labels:
            raise ValueError(
                f"labels and tokens must be non-empty and of equal length, but got "
                f"{len(self.labels)} labels and {len(self.tokens)} tokens"
            )
        if not 0 <= self.start < len(self.labels):
            raise ValueError(
                f"start must be a position from 0 to {len(self.labels) - 1}, "
                f"but got start={self.start!r}"
            )


def p_fallback_slider(ps, p) -> FallbackSlider:
    """The slider over the drop probabilities ``ps``, starting at the one closest to ``p``."""
    start = int(np.argmin([abs(q - p) for q in ps]))
    return FallbackSlider(
        "p", "drop probability p", tuple(p_labels(ps)), tuple(f"{q:.2f}" for q in ps), start
    )


def choice_fallback_slider(key, label, choices, value) -> FallbackSlider:
    """A slider over named ``choices`` (such as the dropout modes), starting at ``value``."""
    check_choice(value, key, choices)
    choices = tuple(choices)
    return FallbackSlider(key, label, choices, choices, choices.index(value))


def scene_frames(scene, datas, alt_text) -> list[tuple[bytes, str]]:
    """Fallback frames ``(png, alt)`` for each data object, drawn through ``scene``.

    Going through a :class:`~dropout_lib.widgets.scene.FigureScene` reuses each
    static frame across the grid of ``p``, which makes the fallback several
    times faster to build than drawing every figure from scratch. The PNGs use
    a 32-colour palette.
    """
    frames = []
    for data in datas:
        _, rgba = scene.render_rgba(data)
        frames.append((encode_png(rgba, palette=True), alt_text(data)))
    return frames


def _data_uri(png: bytes) -> str:
    """The PNG inlined as a data URI, so a frame needs no request at all.

    Base64 text has no colon, so it can never spell a URL scheme such as ``http:``.
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# The script of every fallback. It finds its root by id, reads the frames from
# the JSON block, builds nothing else: the sliders are in the markup (hidden
# until now), so they are labelled for assistive technology from the start.
_FALLBACK_SCRIPT = """(function () {
  var root = document.getElementById("%(id)s");
  if (!root || root.dataset.ready) { return; }
  root.dataset.ready = "1";
  var data = JSON.parse(root.querySelector("script.dlib-fallback-data").textContent);
  var sliders = root.querySelectorAll("input[type=range]");
  var image = root.querySelector("img.dlib-fallback-frame");
  var note = root.querySelector(".dlib-fallback-note");
  var shown = -1, wanted = -1;
  root.querySelector(".dlib-fallback-controls").removeAttribute("hidden");
  note.textContent = "Precomputed frames: move the sliders (the address bar keeps their " +
    "settings, to share), or run the notebook for the live explorer.";
  function index() {
    var at = 0;
    for (var i = 0; i < sliders.length; i++) {
      at = at * data.sliders[i].labels.length + parseInt(sliders[i].value, 10);
    }
    return at;
  }
  function display(at) {
    var frame = data.frames[at];
    image.src = frame.src;
    image.alt = frame.alt;
    image.dataset.frame = String(at);
    shown = at;
  }
  function show(record) {
    for (var i = 0; i < sliders.length; i++) {
      var text = data.sliders[i].labels[parseInt(sliders[i].value, 10)];
      sliders[i].setAttribute("aria-valuetext", text);
      root.querySelector("output[for='" + sliders[i].id + "']").textContent = text;
    }
    var at = index();
    wanted = at;
    if (at !== shown) {
      // Load the new frame before swapping, so the picture never goes blank.
      var next = new Image();
      next.onload = function () { if (wanted === at) { display(at); } };
      next.onerror = next.onload;
      next.src = data.frames[at].src;
    }
    if (record && window.history && history.replaceState) {
      var parts = [];
      for (var j = 0; j < sliders.length; j++) {
        parts.push(data.sliders[j].key + "=" +
                   encodeURIComponent(data.sliders[j].tokens[parseInt(sliders[j].value, 10)]));
      }
      history.replaceState(null, "", "#" + root.id + "?" + parts.join("&"));
    }
  }
  function fromFragment() {
    var hash = decodeURIComponent(window.location.hash.slice(1));
    var cut = hash.indexOf("?");
    if ((cut < 0 ? hash : hash.slice(0, cut)) !== root.id) { return false; }
    var pairs = cut < 0 ? [] : hash.slice(cut + 1).split("&");
    for (var k = 0; k < pairs.length; k++) {
      var pair = pairs[k].split("=");
      for (var s = 0; s < sliders.length; s++) {
        var position = data.sliders[s].tokens.indexOf(pair[1]);
        if (data.sliders[s].key === pair[0] && position >= 0) { sliders[s].value = position; }
      }
    }
    show(false);
    root.scrollIntoView();
    return true;
  }
  for (var m = 0; m < sliders.length; m++) {
    sliders[m].addEventListener("input", function () { show(true); });
    sliders[m].addEventListener("change", function () { show(true); });
  }
  window.addEventListener("hashchange", fromFragment);
  shown = parseInt(image.dataset.frame, 10);
  if (!fromFragment()) { show(false); }
})();"""


def fallback_html(frames, sliders, *, title, name) -> str:
    """A self-contained HTML scrubber over precomputed frames.

    Parameters
    ----------
    frames : list of (png_bytes, alt_text)
        One frame per combination of slider positions, in row-major order (the
        last slider varies fastest). All frames have the same pixel size.
    sliders : list of FallbackSlider
        The controls, in the order of ``frames``' grid.
    title : str
        Caption above the picture.
    name : str
        The explorer's name in the page (``activations``, ...): the root's id is
        ``explorer-<name>`` and the URL fragment ``#explorer-<name>?p=0.50``.

    Returns
    -------
    str
        ``<div class="dlib-fallback" id="explorer-<name>">`` holding a caption,
        a line saying to run the notebook for the live explorer, the sliders
        (one labelled ``<input type="range">`` each, in a block marked
        ``hidden="hidden"`` until the script runs), exactly one
        ``<img class="dlib-fallback-frame">`` showing the frame of the sliders'
        start positions, every frame as a data URI in a
        ``<script type="application/json" class="dlib-fallback-data">`` block,
        and the inline script. The frame is displayed at its pixel size divided
        by :data:`~dropout_lib.widgets.scene.PIXEL_RATIO` (rounded down), at
        most the width of the page. Nothing in it names another host.
    """
    sliders = list(sliders)
    if not all(isinstance(slider, FallbackSlider) for slider in sliders):
        raise TypeError("sliders must be FallbackSlider objects")
    if not name or not all(c.isalnum() or c == "-" for c in name):
        raise ValueError(f"name must be letters, digits or '-', but got name={name!r}")
    expected = int(np.prod([len(slider.labels) for slider in sliders]))
    if len(frames) != expected:
        raise ValueError(f"frames has {len(frames)} entries, but the sliders need {expected}")
    sizes = {png_size(png) for png, _ in frames}
    if len(sizes) != 1:
        raise ValueError(f"every frame must have the same size, but got sizes {sorted(sizes)}")
    width, height = sizes.pop()
    uris = [_data_uri(png) for png, _ in frames]
    root_id = f"explorer-{name}"
    start = 0
    for slider in sliders:
        start = start * len(slider.labels) + slider.start
    settings = ", ".join(slider.labels[slider.start] for slider in sliders)
    parts = [f'<div class="dlib-fallback" id="{root_id}">']
    parts.append(f'<p class="dlib-fallback-title"><strong>{html.escape(title)}</strong></p>')
    parts.append(
        f'<p class="dlib-fallback-note">A precomputed frame at {html.escape(settings)}: '
        "run the notebook for the live explorer.</p>"
    )
    parts.append('<div class="dlib-fallback-controls" hidden="hidden">')
    for slider in sliders:
        slider_id = f"{root_id}-{slider.key}"
        current = html.escape(slider.labels[slider.start])
        parts.append(
            '<div class="dlib-fallback-control">'
            f'<label for="{slider_id}">{html.escape(slider.label)}</label> '
            f'<input type="range" id="{slider_id}" min="0" max="{len(slider.labels) - 1}" '
            f'step="1" value="{slider.start}" aria-label="{html.escape(slider.label)}" '
            f'aria-valuetext="{current}"> '
            f'<output for="{slider_id}">{current}</output></div>'
        )
    parts.append("</div>")
    parts.append(
        f'<img class="dlib-fallback-frame" data-frame="{start}" '
        f'alt="{html.escape(frames[start][1])}" src="{uris[start]}" '
        f'width="{width // PIXEL_RATIO}" height="{height // PIXEL_RATIO}" '
        'style="max-width:100%;height:auto">'
    )
    data = {
        "sliders": [
            {"key": s.key, "labels": list(s.labels), "tokens": list(s.tokens)} for s in sliders
        ],
        "frames": [{"src": uri, "alt": alt} for uri, (_, alt) in zip(uris, frames)],
    }
    # "</" would end the script element early; JSON allows "<\/" for it.
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    parts.append(f'<script type="application/json" class="dlib-fallback-data">{payload}</script>')
    parts.append("<script>" + _FALLBACK_SCRIPT % {"id": root_id} + "</script>")
    parts.append("</div>")
    return "\n".join(parts)
