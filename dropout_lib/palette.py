"""The one colour palette of every figure in the book.

Colours are chosen to stay apart for readers with the common colour-vision
deficiencies, and every figure also tells its series apart by line style,
marker or hatch, so no meaning rests on colour alone.
"""

from __future__ import annotations

__all__ = [
    "KEPT",
    "DROPPED",
    "EMPHASIS",
    "FILL",
    "FILL_2",
    "ZERO_FILL",
    "INK",
    "GUIDE",
    "SERIES",
]

#: A kept unit or connection, and the main series of a figure.
KEPT = "#1f5f99"
#: A dropped unit or an unused connection.
DROPPED = "#9a9a9a"
#: What the reader should look at: the current state, the evaluation value, a warning.
EMPHASIS = "#c44e00"
#: Light fill under a histogram of kept (positive) values.
FILL = "#8fb3d9"
#: Light fill of a second, contrasting histogram.
FILL_2 = "#f2c89b"
#: The mass at exactly zero.
ZERO_FILL = "#444444"
#: Text, axes and exact reference lines.
INK = "black"
#: Faint guide lines (a current-value marker, a slope-one diagonal).
GUIDE = "#999999"
#: Series of a multi-line chart, in order: (colour, line style, marker).
SERIES = (
    (KEPT, "-", "o"),
    (EMPHASIS, "--", "s"),
    ("#2d7d3a", ":", "^"),
    ("#7a3d99", "-.", "D"),
)
