"""Argument checks shared by every public function: the one home for argument errors.

Each check either returns a clean value or raises an error that names the
argument, shows the value it got and says what was expected, so that a
learner who passes the wrong thing knows what to change.

Two rules hold everywhere:

- a value of the wrong **type** raises ``TypeError``; a value of the right type
  that is out of range (or NaN, or of the wrong shape) raises ``ValueError``;
- numpy scalars are accepted wherever a Python ``int`` or ``float`` is
  (``np.int64(3)`` is an int, ``np.float32(0.5)`` a real), and ``bool`` is
  never taken for a number.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "check_p",
    "check_p_below_one",
    "check_int",
    "check_real",
    "check_choice",
    "check_layer_sizes",
    "check_shape",
    "as_real_array",
    "as_generator",
    "check_mask",
]


def _type_name(value) -> str:
    return type(value).__name__


def _is_int(value) -> bool:
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def _is_real(value) -> bool:
    return isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def check_p(p, name: str = "p") -> float:
    """Return ``p`` as a float after checking that it is a real number in [0, 1].

    ``p`` is always the probability of *dropping* a unit. A non-number raises
    ``TypeError``; NaN or a value outside [0, 1] raises ``ValueError``.
    """
    if not _is_real(p):
        raise TypeError(
            f"{name} must be a real number in [0, 1] (the probability of dropping a "
            f"unit), but got {p!r} of type {_type_name(p)}"
        )
    value = float(p)
    if not 0.0 <= value <= 1.0:  # also false for NaN
        raise ValueError(
            f"dropout probability {name} has to be between 0 and 1, but got {name}={p!r}"
        )
    return value


def check_p_below_one(p, name: str = "p", *, why: str = "a layer that drops every unit") -> float:
    """:func:`check_p` for places where ``p = 1`` has no meaning: ``p`` in [0, 1).

    ``why`` completes the error message, e.g. ``"inverted dropout divides by 1 - p"``.
    """
    value = check_p(p, name)
    if value == 1.0:
        raise ValueError(f"{name} must be below 1 here ({why}), but got {name}={p!r}")
    return value


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as a Python int after checking its type and range.

    Python and numpy integers are accepted; ``bool``, floats and anything else
    raise ``TypeError``. ``minimum`` and ``maximum`` are inclusive bounds.
    """
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, but got {value!r} of type {_type_name(value)}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if maximum is None:
            bounds = f"at least {minimum}"
        elif minimum is None:
            bounds = f"at most {maximum}"
        else:
            bounds = f"between {minimum} and {maximum}"
        raise ValueError(f"{name} must be {bounds}, but got {name}={value}")
    return value


def check_real(
    value,
    name: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float after checking that it is a real number in a range.

    The range is ``[low, high]``; ``low_open`` / ``high_open`` exclude an end.
    A non-number raises ``TypeError``; NaN or a value out of range raises
    ``ValueError``. An infinite end is always open.
    """
    if not _is_real(value):
        raise TypeError(
            f"{name} must be a real number, but got {value!r} of type {_type_name(value)}"
        )
    number = float(value)
    # An infinite end is open: infinity itself is never in range.
    too_low = number <= low if low_open or low == -math.inf else number < low
    too_high = number >= high if high_open or high == math.inf else number > high
    if math.isnan(number) or too_low or too_high:
        left = "(" if low_open or low == -math.inf else "["
        right = ")" if high_open or high == math.inf else "]"
        raise ValueError(f"{name} must be in {left}{low}, {high}{right}, but got {name}={value!r}")
    return number


def check_choice(value, name: str, choices):
    """Return ``value`` if it is one of ``choices``, else raise an error listing them.

    A value of a type none of the choices has raises ``TypeError``; a value of
    the right type that is not among them raises ``ValueError``.
    """
    choices = tuple(choices)
    if not any(isinstance(value, type(choice)) for choice in choices):
        raise TypeError(
            f"{name} must be one of {list(choices)}, but got {value!r} of type {_type_name(value)}"
        )
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, but got {name}={value!r}")
    return value


def check_shape(shape, name: str = "shape") -> tuple[int, ...]:
    """Return ``shape`` as a tuple of non-negative ints (an int ``n`` means ``(n,)``)."""
    if _is_int(shape):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(
            f"{name} must be an int or a tuple of ints, but got {shape!r} of type "
            f"{_type_name(shape)}"
        ) from None
    for dim in dims:
        if not _is_int(dim):
            raise TypeError(f"{name} must contain only ints, but got {name}={shape!r}")
        if dim < 0:
            raise ValueError(f"{name} must not contain negative sizes, but got {name}={shape!r}")
    return tuple(int(d) for d in dims)


def check_layer_sizes(layer_sizes, name: str = "layer_sizes") -> tuple[int, ...]:
    """Return the units per layer as a tuple of ints: at least two layers, each of size >= 1."""
    sizes = check_shape(layer_sizes, name)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(
            f"{name} needs at least an input and an output layer, each with at least "
            f"one unit, but got {name}={layer_sizes!r}"
        )
    return sizes


def as_real_array(x, name: str = "x") -> np.ndarray:
    """Return ``x`` as a floating-point ndarray without copying when possible.

    Floating dtypes are kept (float32 stays float32); integer input becomes
    float64. Booleans, complex numbers, strings and objects raise ``TypeError``.
    """
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:  # ragged nested lists, for example
        raise TypeError(
            f"{name} must be an array of real numbers, but could not convert {x!r}: {err}"
        ) from None
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind in "iu":
        return arr.astype(np.float64)
    raise TypeError(
        f"{name} must be an array of real numbers, but got dtype {arr.dtype} "
        f"(from a value of type {_type_name(x)}); pass floats or integers"
    )


def as_generator(rng, name: str = "rng") -> np.random.Generator:
    """Return a ``numpy.random.Generator``.

    ``None`` gives a freshly seeded generator (never the global numpy state), an
    integer is used as a seed, and a ``Generator`` is used as it is.
    """
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if _is_int(rng):
        return np.random.default_rng(check_int(rng, name, minimum=0))
    raise TypeError(
        f"{name} must be a numpy.random.Generator, an integer seed or None, but got "
        f"{rng!r} of type {_type_name(rng)}; make one with numpy.random.default_rng(seed)"
    )


def check_mask(mask, shape: tuple[int, ...], name: str = "mask", *, of: str = "x") -> np.ndarray:
    """Return ``mask`` as a boolean array of the given shape.

    A boolean array is used as it is; an integer or float array is accepted when
    it holds only 0 and 1. ``of`` names the array whose shape the mask must
    match, for the error message (``"x"`` in a forward call, ``"grad_output"``
    in a backward one).
    """
    arr = np.asarray(mask)
    if arr.dtype != bool:
        if arr.dtype.kind not in "iuf" or not np.all((arr == 0) | (arr == 1)):
            raise TypeError(
                f"{name} must be a boolean keep-mask (True = kept), but got dtype "
                f"{arr.dtype}; use the mask returned by sample_mask"
            )
        arr = arr.astype(bool)
    if arr.shape != tuple(shape):
        raise ValueError(
            f"{name} has shape {arr.shape}, but {of} has shape {tuple(shape)}; they must match"
        )
    return arr
