"""Summaries over repeated runs: mean, sample standard deviation and standard error.

Every experiment of the book repeats over a few seeds and reports the spread
over them. This module is the one place that computes that spread, so the
experiments (:mod:`dropout_lib.experiments`), their figures
(:mod:`dropout_lib.plots_experiments`) and the chapters agree on it. It needs
numpy only, except for the t quantiles of the intervals, which come from scipy
(installed with scikit-learn, the ``data`` extra).

An experiment concludes that an effect exists only when the t interval of the
effect excludes zero: :func:`t_interval` for the mean of independent runs,
:func:`paired_difference` when two variants were run on the same seeds (the
usual case in this book), and :func:`welch_difference` when they were not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_real_array, check_int, check_real

__all__ = [
    "Summary",
    "summarise",
    "format_percent",
    "Interval",
    "t_interval",
    "paired_difference",
    "welch_difference",
]


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


@dataclass(frozen=True)
class Interval:
    """A t confidence interval for a mean or a mean difference.

    Attributes
    ----------
    estimate : float
        The mean (of the runs, or of the paired differences, or the difference of means).
    low, high : float
        The interval's ends, ``estimate -+ t * se``.
    se : float
        Standard error of ``estimate``.
    df : float
        Degrees of freedom of the t distribution (``n - 1``, or Welch's value).
    level : float
        Confidence level, for example 0.95.
    n : int
        Number of runs (of pairs for a paired difference; the smaller group for Welch).
    """

    estimate: float
    low: float
    high: float
    se: float
    df: float
    level: float
    n: int

    @property
    def excludes_zero(self) -> bool:
        """True when zero lies outside the closed interval: the data resolve the effect's sign."""
        return self.low > 0 or self.high < 0

    def format(self, scale=100.0, unit=" points", digits=1) -> str:
        """The interval as text, for example ``"1.2 points (95 % t interval 0.3 to 2.1, 5 seeds)"``.

        Parameters
        ----------
        scale : float
            Factor applied to every number (100 turns fractions into per cent or points).
        unit : str
            Written after the estimate.
        digits : int
            Decimals shown.
        """
        scale = check_real(scale, "scale")
        digits = check_int(digits, "digits", minimum=0, maximum=12)
        if not isinstance(unit, str):
            raise TypeError(f"unit must be a str, but got {unit!r} of type {type(unit).__name__}")
        level = 100 * self.level
        shown = f"{level:.0f}" if float(level).is_integer() else f"{level:g}"

        def number(x):
            return f"{scale * x:.{digits}f}"

        return (
            f"{number(self.estimate)}{unit} ({shown} % t interval {number(self.low)} to "
            f"{number(self.high)}, {self.n} seeds)"
        )

    def __str__(self) -> str:
        return self.format(scale=1.0, unit="", digits=3)


def _t_quantile(level, df):
    """The two-sided t quantile: ``P(|T| <= t) = level`` for ``T ~ t(df)``."""
    try:
        from scipy.special import stdtrit
    except ImportError as error:  # pragma: no cover - scipy comes with scikit-learn
        raise ImportError(
            "t intervals need scipy; install it with `pip install dropout_lib[data]`"
        ) from error
    return float(stdtrit(df, 0.5 + level / 2))


def _level(level):
    return check_real(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)


def _runs(values, name, axis):
    values = as_real_array(values, name).astype(np.float64)
    if values.ndim != 1:
        if values.ndim == 0:
            raise ValueError(f"{name} must hold repeated runs, but got the scalar {values!r}")
        axis = check_int(axis, "axis", minimum=-values.ndim, maximum=values.ndim - 1)
        if values.ndim > 1 and sum(size > 1 for size in values.shape) > 1:
            raise ValueError(
                f"{name} must be one series of runs (a 1-D array), but got shape {values.shape}"
            )
        values = values.reshape(-1)
    if values.size < 2:
        raise ValueError(f"{name} needs at least 2 runs for a t interval, but got {values.size}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must be finite, but got {values!r}")
    return values


def _interval(estimate, se, df, level, n):
    half = _t_quantile(level, df) * se
    return Interval(
        estimate=float(estimate),
        low=float(estimate - half),
        high=float(estimate + half),
        se=float(se),
        df=float(df),
        level=float(level),
        n=int(n),
    )


def t_interval(values, *, level=0.95, axis=-1) -> Interval:
    """t interval for the mean of independent runs.

    Parameters
    ----------
    values : array_like of float, shape (n_runs,)
        One measurement per run (seed); at least 2.
    level : float in (0, 1)
        Confidence level.
    axis : int
        Accepted for symmetry with :func:`summarise`; ``values`` must still be one series.

    Returns
    -------
    Interval
        ``mean -+ t_{level, n-1} * sd / sqrt(n)``.
    """
    level = _level(level)
    values = _runs(values, "values", axis)
    n = values.size
    return _interval(values.mean(), values.std(ddof=1) / np.sqrt(n), n - 1, level, n)


def paired_difference(a, b, *, level=0.95, axis=-1) -> Interval:
    """t interval for the mean of ``a - b`` over runs paired by seed.

    Parameters
    ----------
    a, b : array_like of float, shape (n_runs,)
        The two variants' results, run ``i`` of each on the same seed.
    level : float in (0, 1)
        Confidence level.
    axis : int
        See :func:`t_interval`.

    Returns
    -------
    Interval
        Positive when ``a`` is larger on average.
    """
    level = _level(level)
    a = _runs(a, "a", axis)
    b = _runs(b, "b", axis)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must be paired runs of one length, but got {a.size} and {b.size}"
        )
    return t_interval(a - b, level=level)


def welch_difference(a, b, *, level=0.95) -> Interval:
    """t interval for ``mean(a) - mean(b)`` from unpaired runs (Welch-Satterthwaite df).

    Parameters
    ----------
    a, b : array_like of float, shapes (n_a,) and (n_b,)
        Independent runs of the two variants; at least 2 each.
    level : float in (0, 1)
        Confidence level.

    Returns
    -------
    Interval
        Its ``n`` is the smaller of the two group sizes.
    """
    level = _level(level)
    a = _runs(a, "a", -1)
    b = _runs(b, "b", -1)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = np.sqrt(va + vb)
    if se == 0:
        df = float(a.size + b.size - 2)
    else:
        df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return _interval(a.mean() - b.mean(), se, df, level, min(a.size, b.size))
