"""Summaries over repeated runs: mean, sample standard deviation and standard error.

Every experiment of the book repeats over a few seeds and reports the spread
over them. This module is the one place that computes that spread, so the
experiments (:mod:`dropout_lib.experiments`), their figures
(:mod:`dropout_lib.plots_experiments`) and the chapters agree on it. It needs
numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_real_array, check_int

__all__ = ["Summary", "summarise", "format_percent"]


@dataclass(frozen=True, eq=False)
class Summary:
    """Mean, spread and standard error of repeated measurements along one axis.

    Attributes
    ----------
    mean : ndarray of float64, the input's shape without the summarised axis
        Arithmetic mean over the runs.
    sd : ndarray of float64, same shape as ``mean``
        Sample standard deviation (``ddof = 1``); 0 when there is a single run.
    se : ndarray of float64, same shape as ``mean``
        Standard error of the mean, ``sd / sqrt(n)``.
    n : int
        Number of runs (the length of the summarised axis).
    """

    mean: np.ndarray
    sd: np.ndarray
    se: np.ndarray
    n: int


def summarise(values, axis=-1) -> Summary:
    """Mean, sample standard deviation (ddof = 1) and standard error along ``axis``.

    Parameters
    ----------
    values : array_like of float, at least 1-D
        Repeated measurements; by default the seeds are the last axis.
    axis : int
        The axis of the repeats.

    Returns
    -------
    Summary
        With a single run the standard deviation and standard error are 0.
    """
    values = as_real_array(values, "values").astype(np.float64)
    if values.ndim == 0:
        raise ValueError("values must have at least one axis of repeated runs, but got a scalar")
    axis = check_int(axis, "axis", minimum=-values.ndim, maximum=values.ndim - 1)
    n = values.shape[axis]
    if n == 0:
        raise ValueError(f"values has no runs along axis {axis} (shape {values.shape})")
    ddof = 1 if n > 1 else 0
    mean = values.mean(axis=axis)
    sd = values.std(axis=axis, ddof=ddof)
    return Summary(mean=mean, sd=sd, se=sd / np.sqrt(n), n=n)


def format_percent(values) -> str:
    """Mean and sample standard deviation over the last axis, as ``"mean ± sd"`` in per cent.

    Parameters
    ----------
    values : array_like of float, shape (n_runs,)
        Fractions (0.05 is 5 %).

    Returns
    -------
    str
        For example ``"5.4 ± 0.8"``: one decimal, in per cent.
    """
    summary = summarise(values)
    return f"{100 * summary.mean:.1f} ± {100 * summary.sd:.1f}"
