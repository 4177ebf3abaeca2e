"""The static fallback of an explorer: precomputed frames switched by an inline-JS slider.

A live ipywidget in a static page draws controls that change nothing. So each
explorer's mimebundle also carries ``text/html`` made by :func:`fallback_html`:
one PNG frame per point of a grid of its controls, inlined as data URIs, and
plain ``<input type="range">`` sliders whose inline script shows the matching
frame. The rendered book prefers that HTML (``nb_mime_priority_overrides`` in
``_config.yml``); it works offline and makes no request at all.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json

import numpy as np

from .scene import encode_png

__all__ = ["FALLBACK_PS", "fallback_html", "scene_frames", "p_labels"]

#: Grid of p for the static fallbacks: steps of 0.1, then the slider's end.
FALLBACK_PS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def p_labels(ps) -> list[str]:
    """Slider labels ``"p = 0.30"`` for each drop probability in ``ps``."""
    return [f"p = {p:.2f}" for p in ps]


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


_FALLBACK_SCRIPT = """(function () {
  var root = document.getElementById("%(id)s");
  if (!root) { return; }
  var sliders = root.querySelectorAll("input[type=range]");
  var frames = root.querySelectorAll("img.dlib-fallback-frame");
  var labels = %(labels)s;
  function show() {
    var index = 0;
    for (var i = 0; i < sliders.length; i++) {
      var value = parseInt(sliders[i].value, 10);
      index = index * labels[i].length + value;
      var text = labels[i][value];
      sliders[i].setAttribute("aria-valuetext", text);
      root.querySelector("output[for='" + sliders[i].id + "']").textContent = text;
    }
    for (var j = 0; j < frames.length; j++) {
      if (j === index) { frames[j].removeAttribute("hidden"); }
      else { frames[j].setAttribute("hidden", ""); }
    }
  }
  for (var k = 0; k < sliders.length; k++) {
    sliders[k].addEventListener("input", show);
    sliders[k].addEventListener("change", show);
  }
  show();
})();"""


def fallback_html(frames, sliders, *, title) -> str:
    """A self-contained HTML scrubber over precomputed frames.

    Parameters
    ----------
    frames : list of (png_bytes, alt_text)
        One frame per combination of slider positions, in row-major order (the
        last slider varies fastest).
    sliders : list of (label, value_labels, start_index)
        ``label`` names the control in plain words; ``value_labels`` is the text
        shown for each position (for example ``"p = 0.30"``).
    title : str
        Caption above the sliders.

    Returns
    -------
    str
        ``<div class="dlib-fallback">`` with one ``<input type="range">`` per
        slider (each labelled), one ``<img class="dlib-fallback-frame">`` per
        frame (all but one ``hidden``) and an inline script. It makes no
        external request.
    """
    expected = int(np.prod([len(values) for _, values, _ in sliders]))
    if len(frames) != expected:
        raise ValueError(f"frames has {len(frames)} entries, but the sliders need {expected}")
    uris = [_data_uri(png) for png, _ in frames]
    root_id = "dlib-fb-" + hashlib.sha1("".join(uris).encode()).hexdigest()[:12]
    start = 0
    for _, values, index in sliders:
        start = start * len(values) + index
    parts = [f'<div class="dlib-fallback" id="{root_id}">']
    parts.append(
        f'<p class="dlib-fallback-title"><strong>{html.escape(title)}</strong> '
        "(precomputed frames: move the sliders; run the notebook for the live explorer)</p>"
    )
    for number, (label, values, index) in enumerate(sliders):
        slider_id = f"{root_id}-s{number}"
        parts.append(
            '<div class="dlib-fallback-control">'
            f'<label for="{slider_id}">{html.escape(label)}</label> '
            f'<input type="range" id="{slider_id}" min="0" max="{len(values) - 1}" step="1" '
            f'value="{index}" aria-label="{html.escape(label)}" '
            f'aria-valuetext="{html.escape(values[index])}"> '
            f'<output for="{slider_id}">{html.escape(values[index])}</output></div>'
        )
    for number, ((_, alt), uri) in enumerate(zip(frames, uris)):
        hidden = "" if number == start else " hidden"
        parts.append(
            f'<img class="dlib-fallback-frame" alt="{html.escape(alt)}" '
            f'src="{uri}" style="max-width:100%;height:auto"{hidden}>'
        )
    labels = json.dumps([list(values) for _, values, _ in sliders])
    parts.append("<script>" + _FALLBACK_SCRIPT % {"id": root_id, "labels": labels} + "</script>")
    parts.append("</div>")
    return "\n".join(parts)
