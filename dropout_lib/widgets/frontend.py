"""The live front end: :class:`Explorer` and the controls the explorers are built from.

ipywidgets is imported only when a control or an explorer is made, so the
compute and figure functions of the explorers work without it.
"""

from __future__ import annotations

from ._figure import P_MAX
from .scene import PIXEL_RATIO, png_size

__all__ = [
    "Explorer",
    "float_slider",
    "p_slider",
    "choice_slider",
    "toggle_buttons",
    "seed_box",
]

_STYLE = {"description_width": "initial"}


class Explorer:
    """A live explorer: controls, and a picture redrawn in place when one changes.

    Displayed in Jupyter it is the live widget; its mimebundle also carries
    ``text/html``, the static fallback of
    :func:`~dropout_lib.widgets.fallback.fallback_html`, which the rendered
    book shows instead.

    Parameters
    ----------
    compute : callable
        ``compute(**values) -> data``, pure.
    scene : dropout_lib.widgets.scene.FigureScene
        Turns data into the figure and its PNG.
    controls : dict of str -> ipywidgets widget
        Named after ``compute``'s arguments; their ``.value`` are passed to it.
    fallback : callable
        ``fallback() -> str``: the static HTML.

    Attributes
    ----------
    data : the dataclass behind the current picture.
    figure : matplotlib Figure of the current picture.
    png : bytes, the PNG shown in ``image``.
    image : ipywidgets.Image
        The picture. Its value is replaced on every change, so there is one
        picture, never a stack of stale ones, and no pyplot state is involved.
        It is drawn for a device pixel ratio of
        :data:`~dropout_lib.widgets.scene.PIXEL_RATIO` and shown at its pixel
        width divided by that ratio (at most the width of the output area),
        so it is sharp and never scaled up.
    widget : ipywidgets.VBox, the controls above the picture.
    scene : the FigureScene that draws the pictures.
    """

    def __init__(self, compute, scene, controls, fallback):
        import ipywidgets

        self._compute = compute
        self.scene = scene
        self._fallback = fallback
        self._fallback_html = None
        self.controls = dict(controls)
        # Without a width the image would take its pixel width in CSS pixels
        # (twice its drawn size) or be stretched to the output area.
        self.image = ipywidgets.Image(
            format="png", layout={"max_width": "100%", "height": "auto", "align_self": "flex-start"}
        )
        self.widget = ipywidgets.VBox(
            [
                ipywidgets.HBox(list(self.controls.values()), layout={"flex_flow": "row wrap"}),
                self.image,
            ]
        )
        self.data = None
        self.figure = None
        self.png = b""
        self.update()
        for control in self.controls.values():
            control.observe(self.update, names="value")

    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self, change=None):
        """Recompute the data, redraw the figure and show it (called on every control change)."""
        self.data = self._compute(**self.values())
        self.figure, self.png = self.scene.render(self.data)
        width = str(png_size(self.png)[0] // PIXEL_RATIO)
        if self.image.width != width:
            self.image.width = width
        self.image.value = self.png

    def fallback_html(self) -> str:
        """The static fallback for the rendered book (computed once, then cached)."""
        if self._fallback_html is None:
            self._fallback_html = self._fallback()
        return self._fallback_html

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/html"] = self.fallback_html()
        return bundle


def float_slider(description, value, **kwargs):
    """A labelled ``FloatSlider`` showing two decimals; ``kwargs`` go to ipywidgets."""
    import ipywidgets

    return ipywidgets.FloatSlider(
        value=value, description=description, style=_STYLE, readout_format=".2f", **kwargs
    )


def p_slider(value):
    """The drop-probability slider every explorer has: 0 to :data:`P_MAX` in steps of 0.05."""
    return float_slider("drop probability p", value, min=0.0, max=P_MAX, step=0.05)


def choice_slider(options, value, description):
    """A ``SelectionSlider`` that updates when released, for controls that need a new frame."""
    import ipywidgets

    return ipywidgets.SelectionSlider(
        options=options,
        value=value,
        description=description,
        style=_STYLE,
        continuous_update=False,
    )


def toggle_buttons(options, value, description):
    """``ToggleButtons`` for a choice between a few named options."""
    import ipywidgets

    return ipywidgets.ToggleButtons(
        options=options, value=value, description=description, style=_STYLE
    )


def seed_box(value):
    """A small integer box for the seed, 0 to 99."""
    import ipywidgets

    return ipywidgets.BoundedIntText(
        value=value, min=0, max=99, description="seed", style=_STYLE, layout={"width": "9em"}
    )
