"""What the explorers share: the range of ``p``, the dropout modes and the figure helpers.

Each explorer's figure is built in two steps, so that a live widget redraws only
what changes with the controls:

- ``*_frame(data)`` draws the static part: axes, limits, ticks, labels, legends;
- ``*_artists(fig, data)`` adds the moving part: bars, lines and numbers;
- ``*_frame_key(data)`` is equal for two data objects that share a frame.

Frames fix their ticks by hand (no minor ticks, no layout engine), and the
moving part holds as little text as it can, because tick and text layout are
most of the time a redraw takes. The helpers below add artists without touching
the data limits, since a frame's limits are fixed.
"""

from __future__ import annotations

from .. import palette
from ..plots import new_figure

__all__ = [
    "P_MAX",
    "MODES",
    "fixed_figure",
    "place",
    "nice_ticks",
    "panel_title",
    "p_heading",
    "add_bar",
    "add_stairs",
]

#: Largest drop probability the sliders offer: at p = 1 nothing is left to look at.
P_MAX = 0.95
#: The two ways of scaling dropout (see :func:`dropout_lib.dropout`).
MODES = ("standard", "inverted")


def fixed_figure(ncols, nrows, *, width, height, **adjust):
    """``new_figure`` without a layout engine: fixed margins redraw much faster.

    ``adjust`` holds the margins and gaps of the grid (``left``, ``hspace``, ...).
    Returns ``(fig, axes)`` with ``axes`` of shape ``(nrows, ncols)``.
    """
    fig, axes = new_figure(ncols, nrows, width=width, height=height)
    fig.set_layout_engine("none")
    place(fig, axes[0, 0].get_gridspec(), **adjust)
    return fig, axes


def place(fig, grid, **adjust):
    """Set the margins and gaps of ``grid`` and move its panels there."""
    grid.update(**adjust)
    for ax in fig.axes:
        spec = ax.get_subplotspec()
        if spec is not None and spec.get_gridspec() is grid:
            ax.set_position(spec.get_position(fig))


def nice_ticks(low, high, count=5):
    """At most ``count + 1`` round tick values within ``[low, high]``, as an ndarray."""
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(count).tick_values(low, high)
    return ticks[(ticks >= low - 1e-12) & (ticks <= high + 1e-12)]


def panel_title(ax, text, *, current=False):
    """Title a panel; the panel of the current phase is bold, in the emphasis colour."""
    ax.set_title(
        text,
        fontsize=9,
        color=palette.EMPHASIS if current else palette.INK,
        fontweight="bold" if current else "normal",
    )


def p_heading(fig, p):
    """Write ``p = 0.50`` in large bold type in the top left corner of ``fig``."""
    return fig.text(
        0.01, 0.985, f"p = {p:.2f}", ha="left", va="top", fontsize=12, fontweight="bold"
    )


def add_bar(ax, x, height, width, *, bottom=0.0, **style):
    """A bar centred on ``x``, added without updating the data limits."""
    from matplotlib.patches import Rectangle

    if height < 0:
        bottom, height = bottom + height, -height
    return ax.add_artist(Rectangle((x - width / 2, bottom), width, height, **style))


def add_stairs(ax, values, edges, **style):
    """A step outline (or filled histogram) of ``values`` over ``edges``, without autoscaling."""
    from matplotlib.patches import StepPatch

    return ax.add_artist(StepPatch(values, edges, **style))
