"""Draw an explorer's figure to PNG fast: a static frame rendered once, moving artists on top.

A redraw from scratch spends most of its time laying out axes, ticks and text
that do not change with ``p``. :class:`FigureScene` renders that static frame
once per frame key, keeps it as a bitmap, and on each update pastes the bitmap
back and draws only the moving artists ("blitting").
"""

from __future__ import annotations

import io

import numpy as np

__all__ = [
    "CSS_DPI",
    "PIXEL_RATIO",
    "DPI",
    "FRAME_CACHE_SIZE",
    "FigureScene",
    "figure_png",
    "encode_png",
    "png_size",
]

#: Dots per inch of a figure displayed at one CSS pixel per point: its size on screen.
CSS_DPI = 72
#: Device pixels per CSS pixel that every explorer picture is drawn for (a
#: high-density screen); it is displayed at its pixel size divided by this.
PIXEL_RATIO = 2
#: Resolution of every explorer picture, live and in the static fallback.
DPI = CSS_DPI * PIXEL_RATIO
#: Static frames a scene keeps (a few MB each), most recently used first.
FRAME_CACHE_SIZE = 12


def encode_png(rgba, *, palette=False) -> bytes:
    """PNG bytes of an RGBA pixel array of shape (height, width, 4), dtype uint8.

    ``palette=True`` quantises to 32 colours, for the static fallback: about
    three times smaller, and at compression level 6 within a tenth of the
    size level 9 gives in a sixth of the time. Otherwise the PNG is full
    colour at compression level 1, which compresses a plot almost as well as
    the default and is several times faster.
    """
    from PIL import Image

    image = Image.fromarray(np.asarray(rgba)).convert("RGB")
    buffer = io.BytesIO()
    if palette:
        image = image.quantize(
            colors=32, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
        image.save(buffer, format="png", compress_level=6)
    else:
        image.save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def png_size(png: bytes) -> tuple[int, int]:
    """``(width, height)`` in pixels of PNG bytes, read from the header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("png must be the bytes of a PNG image")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def figure_png(fig, *, dpi=DPI) -> bytes:
    """Render a ``Figure`` to full-colour PNG bytes without pyplot.

    Parameters
    ----------
    fig : matplotlib Figure
    dpi : float
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    canvas.draw()
    return encode_png(canvas.buffer_rgba())


def _artist_snapshot(fig):
    """Ids of every artist the explorers' ``*_artists`` functions can add."""
    found = {id(a) for a in fig.texts}
    for ax in fig.axes:
        found.update(id(a) for a in ax.get_children())
    return found


class FigureScene:
    """Redraw a figure made of a static frame and moving artists, fast.

    The frame (axes, ticks, labels, legends: most of the drawing time) is
    rendered once per frame key and kept as a bitmap. An update pastes that
    bitmap back and draws only the new artists on top. Frames are cached by
    key (up to :data:`FRAME_CACHE_SIZE`), so sliding back and forth over ``p``
    reuses them.

    Parameters
    ----------
    key : callable, data -> hashable
        Equal for two data objects that share a frame.
    frame : callable, data -> Figure
        Draws the static part.
    artists : callable, (Figure, data) -> Figure
        Adds the moving part to a frame.
    dpi : float
        Resolution of the pictures.

    Attributes
    ----------
    misses : int
        Number of frames drawn so far (updates that found no cached frame).
    """

    def __init__(self, key, frame, artists, *, dpi=DPI):
        self._key, self._frame, self._artists = key, frame, artists
        self.dpi = dpi
        self._cache = {}
        self.misses = 0

    def render(self, data):
        """Return ``(figure, png_bytes)`` for ``data``: the frame plus the moving artists."""
        fig, rgba = self.render_rgba(data)
        return fig, encode_png(rgba)

    def render_rgba(self, data):
        """Return ``(figure, rgba)``: the figure and its pixels, shape (height, width, 4), uint8.

        ``rgba`` is a view of the canvas, valid until the next render.
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        key = self._key(data)
        entry = self._cache.pop(key, None)
        if entry is None:
            self.misses += 1
            fig = self._frame(data)
            fig.set_dpi(self.dpi)
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            entry = {"fig": fig, "canvas": canvas, "background": canvas.copy_from_bbox(fig.bbox)}
            entry["moving"] = []
        else:
            for artist in entry["moving"]:
                artist.remove()
        self._cache[key] = entry  # most recently used last
        while len(self._cache) > FRAME_CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        fig, canvas = entry["fig"], entry["canvas"]
        canvas.restore_region(entry["background"])
        before = _artist_snapshot(fig)
        self._artists(fig, data)
        moving = [a for a in fig.texts if id(a) not in before]
        for ax in fig.axes:
            moving += [a for a in ax.get_children() if id(a) not in before]
        renderer = canvas.get_renderer()
        for artist in sorted(moving, key=lambda a: a.get_zorder()):
            artist.draw(renderer)
        entry["moving"] = moving
        return fig, np.asarray(canvas.buffer_rgba())
