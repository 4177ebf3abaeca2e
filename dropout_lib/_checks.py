"""Argument checks shared by every public function.

Each check either returns a clean value or raises an error that names the
argument, shows the value it got and says what was expected, so that a
learner who passes the wrong thing knows what to change.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_p", "as_real_array", "as_generator", "check_mask", "check_shape"]


def check_p(p, name: str = "p") -> float:
    """Return ``p`` as a float after checking that it is a real number in [0, 1].

    ``p`` is always the probability of *dropping* a unit.
    """
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
        raise ValueError(
            f"{name} must be a real number in [0, 1] (the probability of dropping a "
            f"unit), but got {p!r} of type {type(p).__name__}"
        )
    value = float(p)
    if not 0.0 <= value <= 1.0:  # also false for NaN
        raise ValueError(
            f"dropout probability {name} has to be between 0 and 1, but got {name}={p!r}"
        )
    return value


def as_real_array(x, name: str = "x") -> np.ndarray:
    """Return ``x`` as a floating-point ndarray without copying when possible.

    Floating dtypes are kept (float32 stays float32); integer input becomes
    float64. Booleans, complex numbers, strings and objects are refused.
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
        f"(from a value of type {type(x).__name__}); pass floats or integers"
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
    if isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{name} used as a seed must be non-negative, but got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be a numpy.random.Generator, an integer seed or None, but got "
        f"{rng!r} of type {type(rng).__name__}; make one with numpy.random.default_rng(seed)"
    )


def check_shape(shape, name: str = "shape") -> tuple[int, ...]:
    """Return ``shape`` as a tuple of non-negative ints."""
    if isinstance(shape, (numbers.Integral, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be an int or a tuple of ints, but got {shape!r}") from None
    for dim in dims:
        if isinstance(dim, bool) or not isinstance(dim, (numbers.Integral, np.integer)):
            raise TypeError(f"{name} must contain only ints, but got {shape!r}")
        if dim < 0:
            raise ValueError(f"{name} must not contain negative sizes, but got {shape!r}")
    return tuple(int(d) for d in dims)


def check_mask(mask, shape: tuple[int, ...], name: str = "mask") -> np.ndarray:
    """Return ``mask`` as a boolean array of the given shape.

    A boolean array is used as it is; an integer or float array is accepted when
    it holds only 0 and 1.
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
            f"{name} has shape {arr.shape}, but the gradient has shape {tuple(shape)}; "
            "they must match"
        )
    return arr
