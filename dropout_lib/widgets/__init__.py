"""Interactive explorers: vary the drop probability ``p`` and watch what dropout does.

Each explorer is three layers, so that its logic can be tested without a kernel:

1. a pure **compute** function, controls -> data (a frozen dataclass);
2. pure **figure** functions, data -> matplotlib ``Figure``, in two steps: a
   static frame and the artists that move with the controls;
3. a live **front end**, :class:`Explorer`, that recomputes and redraws in
   place when a control changes. It keeps ``.data`` and ``.figure`` of what is
   on screen, so a test can set ``explorer.controls["p"].value = 0.3`` and then
   assert on ``explorer.data``.

Displayed in Jupyter, an explorer is the live widget. Its mimebundle also
carries ``text/html``: a static fallback of frames precomputed over a grid of
its controls (p in steps of 0.05), switched by an inline-JavaScript slider,
which is what the rendered book shows (see ``nb_mime_priority_overrides`` in
``_config.yml``). Where no script runs (a notebook not yet run in JupyterLab,
GitHub, VS Code), it shows one frame and says to run the notebook. Its
settings live in the URL fragment, ``#explorer-activations?p=0.80&mode=standard``.
Every picture is drawn for a device pixel ratio of 2 and shown at half its
pixel width.

One module per explorer holds its data, figure, alt text and widget:

- :mod:`~dropout_lib.widgets.activations`: a trained ReLU layer before and
  after dropout, and the next layer's input (:func:`activation_explorer`);
- :mod:`~dropout_lib.widgets.mask_states`: the four mask states of a
  two-input unit (:func:`mask_state_explorer`);
- :mod:`~dropout_lib.widgets.ensemble`: the subnetworks training visits
  (:func:`ensemble_explorer`);
- :mod:`~dropout_lib.widgets.nonlinear`: a sigmoid unit's ensemble mean, NWGM
  and weight-scaled output (:func:`nonlinear_explorer`, chapter 8).

They share :mod:`~dropout_lib.widgets.scene` (fast redraws and PNGs),
:mod:`~dropout_lib.widgets.fallback` (the static HTML) and
:mod:`~dropout_lib.widgets.frontend` (:class:`Explorer` and its controls).
Throughout, ``p`` is the probability of **dropping** a unit and ``keep = 1 - p``.
"""

from __future__ import annotations

from ._figure import MODES, P_MAX
from .activations import (
    PHASES,
    WIDTHS,
    ActivationData,
    HiddenLayer,
    activation_data,
    activation_explorer,
    axis_stretch,
    trained_hidden_layer,
)
from .ensemble import NETWORKS, STEP_CHOICES, EnsembleData, ensemble_data, ensemble_explorer
from .fallback import FALLBACK_PS, FallbackSlider, fallback_html, scene_frames
from .frontend import Explorer
from .mask_states import MaskStateData, mask_state_data, mask_state_explorer
from .nonlinear import (
    NONLINEAR_BIAS,
    NONLINEAR_PS,
    NONLINEAR_SCALES,
    NONLINEAR_W,
    NONLINEAR_X,
    NonlinearUnitData,
    nonlinear_explorer,
    nonlinear_unit_data,
)
from .scene import DPI, PIXEL_RATIO, FigureScene, figure_png

__all__ = [
    # the explorers
    "activation_explorer",
    "mask_state_explorer",
    "ensemble_explorer",
    "nonlinear_explorer",
    # their data
    "ActivationData",
    "MaskStateData",
    "EnsembleData",
    "NonlinearUnitData",
    "activation_data",
    "mask_state_data",
    "ensemble_data",
    "nonlinear_unit_data",
    "HiddenLayer",
    "trained_hidden_layer",
    "axis_stretch",
    # their controls
    "P_MAX",
    "MODES",
    "PHASES",
    "WIDTHS",
    "NETWORKS",
    "STEP_CHOICES",
    "NONLINEAR_W",
    "NONLINEAR_X",
    "NONLINEAR_BIAS",
    "NONLINEAR_PS",
    "NONLINEAR_SCALES",
    # the machinery
    "Explorer",
    "FigureScene",
    "figure_png",
    "fallback_html",
    "scene_frames",
    "FallbackSlider",
    "FALLBACK_PS",
    "DPI",
    "PIXEL_RATIO",
]
