"""Single-input indicators beyond the core five, as Polars expressions (the source of truth),
plus the ``.nse`` namespace methods that forward to them (mixed into namespace.py).

Conventions (as in :mod:`nse_polars.functions`): float64 out, TA-Lib definitions, seeding and
lookback (TA-Lib's minimum periods; period 1 of a moving average is the input itself, as in
TA-Lib); warm-up rows null; a null, NaN or +/-inf input row gives a null output row and the
computation continues over the valid rows (REFERENCE.md). Where TA-Lib has none (``hma``,
``zscore``) the docstring gives the definition and a worked example.

Rolling statistics (``var``, ``stddev``, ``zscore``, the ``linearreg`` family, ``wma``) are
O(N) and block-anchored: each window's sums are of deviations from one of its own values and
contain only its own values, so they stay within 1e-9 of an exact two-pass computation at any
price level (1e8 with moves of 1e-2) and right after a regime change (1e9 to 1). Where TA-Lib
rounds tiny values to 0 with its 1e-8 epsilon, STDDEV and PPO treat only an exact 0 so; CMO
and STOCHRSI's RSI keep TA-Lib's epsilon.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import polars as pl

from nse_polars import _plugin

if TYPE_CHECKING:
    from polars._typing import IntoExpr

__all__ = [
    "apo",
    "cmo",
    "dema",
    "hma",
    "kama",
    "linearreg",
    "linearreg_angle",
    "linearreg_intercept",
    "linearreg_slope",
    "midpoint",
    "mom",
    "ppo",
    "roc",
    "rocp",
    "rocr",
    "rocr100",
    "stddev",
    "stochrsi",
    "t3",
    "tema",
    "trima",
    "trix",
    "tsf",
    "var",
    "wma",
    "zscore",
]

MaType = Literal["sma", "ema", "wma", "dema", "tema", "trima", "kama", "t3"]

# The oracle each function is tested against (tests/test_price.py); the docs table reads it.
ORACLES: dict[str, str] = {
    "wma": "talib.WMA",
    "dema": "talib.DEMA",
    "tema": "talib.TEMA",
    "trima": "talib.TRIMA",
    "kama": "talib.KAMA",
    "t3": "talib.T3",
    "hma": "worked example: WMA(2 WMA(n/2) - WMA(n), floor(sqrt n)) (Alan Hull), numpy reference",
    "stddev": "talib.STDDEV; exact two-pass (fractions)",
    "var": "talib.VAR; exact two-pass (fractions)",
    "zscore": "exact two-pass (fractions); worked example",
    "midpoint": "talib.MIDPOINT",
    "linearreg": "talib.LINEARREG; exact (fractions)",
    "linearreg_slope": "talib.LINEARREG_SLOPE; exact (fractions)",
    "linearreg_intercept": "talib.LINEARREG_INTERCEPT; exact (fractions)",
    "linearreg_angle": "talib.LINEARREG_ANGLE; exact (fractions)",
    "tsf": "talib.TSF; exact (fractions)",
    "roc": "talib.ROC",
    "rocp": "talib.ROCP",
    "rocr": "talib.ROCR",
    "rocr100": "talib.ROCR100",
    "mom": "talib.MOM",
    "cmo": "talib.CMO",
    "trix": "talib.TRIX",
    "apo": "talib.APO",
    "ppo": "talib.PPO",
    "stochrsi": "talib.STOCHRSI",
}


def wma(expr: IntoExpr, period: int = 30) -> pl.Expr:
    """
    Weighted moving average (weights 1, 2, .., period; newest heaviest).

    ``WMA = sum_{i=1..p} i x[t-p+i] / (p (p+1) / 2)``. Lookback ``period - 1``; ``period = 1``
    is the input itself (as TA-Lib). The window sums are block-anchored (deviations from an
    in-window value), so the result keeps its digits at any price level and after a regime change,
    where TA-Lib's running sums keep the rounding of values that left the window.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.

    Examples
    --------
    Worked by hand: (1 + 2*2 + 3*3) / 6 = 14/6 and (2 + 3*2 + 4*3) / 6 = 20/6.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 3.0, 4.0]})
    >>> df.select(nse.wma("close", 3)).to_series().to_list()
    [None, None, 2.3333333333333335, 3.3333333333333335]
    """
    return _plugin.call("wma", [expr], period=period)


def dema(expr: IntoExpr, period: int = 30) -> pl.Expr:
    """
    Double exponential moving average, ``2 EMA - EMA(EMA)``.

    Both EMAs have ``k = 2 / (period + 1)`` and are seeded as TA-Lib seeds them: the first EMA
    with the mean of the first `period` values (row ``period - 1``), the second with the mean of
    the first `period` values of the first. Lookback ``2 (period - 1)``; ``period = 1`` is the
    input itself.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.
    """
    return _plugin.call("dema", [expr], period=period)


def tema(expr: IntoExpr, period: int = 30) -> pl.Expr:
    """
    Triple exponential moving average, ``3 EMA1 - 3 EMA2 + EMA3``.

    EMA2 is the EMA of EMA1 and EMA3 of EMA2, each seeded with the mean of the first `period`
    values of the one before (TA-Lib). Lookback ``3 (period - 1)``; ``period = 1`` is the input
    itself.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.
    """
    return _plugin.call("tema", [expr], period=period)


def trima(expr: IntoExpr, period: int = 30) -> pl.Expr:
    """
    Triangular moving average (TA-Lib's weights 1, 2, .., 2, 1).

    An SMA of an SMA: of ``(p+1)/2`` and ``(p+1)/2`` values for odd ``p``, of ``p/2`` and
    ``p/2 + 1`` values for even ``p``, both with the anchored rolling mean. Lookback
    ``period - 1``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.

    Examples
    --------
    Worked by hand: weights 1, 2, 1: (1 + 4 + 4) / 4 = 2.25, (2 + 8 + 8) / 4 = 4.5, (4 + 16 +
    16) / 4 = 9.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0, 8.0, 16.0]})
    >>> df.select(nse.trima("close", 3)).to_series().to_list()
    [None, None, 2.25, 4.5, 9.0]
    """
    return _plugin.call("trima", [expr], period=period)


def kama(expr: IntoExpr, period: int = 30) -> pl.Expr:
    """
    Kaufman adaptive moving average (fast 2, slow 30), as TA-Lib.

    Efficiency ratio ``er = |x[t] - x[t-p]| / sum |x[i] - x[i-1]|`` over the same span (1 when
    that sum is below 1e-8 or not above the signed change, as TA-Lib); smoothing
    ``sc = (er (2/3 - 2/31) + 2/31)^2``; ``KAMA[t] = KAMA[t-1] + sc (x[t] - KAMA[t-1])``, started
    at row ``p`` from ``KAMA[p-1] = x[p-1]``. Lookback ``period`` (0 for ``period = 1``, the
    input itself).

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.
    """
    return _plugin.call("kama", [expr], period=period)


def t3(expr: IntoExpr, period: int = 5, vfactor: float = 0.7) -> pl.Expr:
    """
    Tillson T3: six EMAs in cascade combined with the volume factor.

    ``T3 = c1 e6 + c2 e5 + c3 e4 + c4 e3`` with ``c1 = -v^3``, ``c2 = 3 v^2 + 3 v^3``,
    ``c3 = -6 v^2 - 3 v - 3 v^3``, ``c4 = 1 + 3 v + v^3 + 3 v^2``; each EMA (``k = 2/(p+1)``) seeded
    with the mean of the first `period` values of the one before (TA-Lib). Lookback
    ``6 (period - 1)``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.
    vfactor
        Volume factor, a number in [0, 1] (TA-Lib's default 0.7).
    """
    return _plugin.call("t3", [expr], period=period, vfactor=vfactor)


def hma(expr: IntoExpr, period: int = 20) -> pl.Expr:
    """
    Hull moving average (TA-Lib has none).

    ``HMA = WMA(2 WMA(x, h) - WMA(x, p), s)`` with ``h = floor(p / 2)`` and
    ``s = floor(sqrt(p))`` (integer halves and roots, the usual definition). The inner difference
    starts at row ``p - 1``, so the lookback is ``p - 1 + s - 1``; ``period >= 2``. Example for
    ``p = 4``: ``h = 2``, ``s = 2``, lookback 4.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 2.

    Examples
    --------
    Worked by hand: on a line the WMAs lag by (n-1)/3: WMA2 = x - 1/3, WMA4 = x - 1, so 2 WMA2 -
    WMA4 = x + 1/3 and its WMA2 is x.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    >>> df.select(nse.hma("close", 4)).to_series().round(12).to_list()
    [None, None, None, None, 5.0, 6.0]
    """
    return _plugin.call("hma", [expr], period=period)


def stddev(expr: IntoExpr, period: int = 5, nbdev: float = 1.0) -> pl.Expr:
    """
    Rolling population standard deviation times `nbdev`.

    ``nbdev * sqrt(mean((x - mean x)^2))`` over the window (divides by ``period``, as TA-Lib).
    Lookback ``period - 1``. The variance is the core's block-anchored rolling variance (within
    1e-9 of an exact two-pass computation at any price level); TA-Lib subtracts running sums of
    x and x^2 and returns 0 for variances below 1e-8, here only a negative rounding residue is
    clamped to 0.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 2.
    nbdev
        Multiplier of the standard deviation, any number (as TA-Lib).

    Examples
    --------
    Worked by hand: half the range of two values.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 3.0, 5.0, 9.0]})
    >>> df.select(nse.stddev("close", 2)).to_series().to_list()
    [None, 1.0, 1.0, 2.0]
    """
    return _plugin.call("stddev", [expr], period=period, nbdev=nbdev)


def var(expr: IntoExpr, period: int = 5, nbdev: float = 1.0) -> pl.Expr:
    """
    Rolling population variance.

    ``mean((x - mean x)^2)`` over the window (divides by ``period``, as TA-Lib). `nbdev` is
    accepted and ignored, as TA-Lib's VAR ignores it. Lookback ``period - 1``; ``period = 1``
    gives 0. Block-anchored: within 1e-9 of an exact two-pass computation at any price level.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.
    nbdev
        Accepted for TA-Lib compatibility and ignored, as TA-Lib's VAR ignores it.

    Examples
    --------
    Worked by hand: the square of half the range.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 3.0, 5.0, 9.0]})
    >>> df.select(nse.var("close", 2)).to_series().to_list()
    [None, 1.0, 1.0, 4.0]
    """
    return _plugin.call("var", [expr], period=period, nbdev=nbdev)


def zscore(expr: IntoExpr, period: int = 20) -> pl.Expr:
    """
    Rolling z-score (TA-Lib has none).

    ``(x[t] - mean) / std`` with the mean and population standard deviation (divide by
    ``period``) of the window ending at ``t`` (which includes ``x[t]``); 0 when the std is 0 (a
    flat window). Lookback ``period - 1``; ``period >= 2``. Computed from block-anchored sums:
    within 1e-9 of an exact two-pass computation at any price level.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 2.

    Examples
    --------
    Worked by hand: window 1, 2, 3: (3 - 2) / sqrt(2/3); window 2, 3, 3: (3 - 8/3) /
    (sqrt(2)/3); flat window: 0.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 3.0, 3.0, 3.0]})
    >>> df.select(nse.zscore("close", 3)).to_series().round(12).to_list()
    [None, None, 1.224744871392, 0.707106781187, 0.0]
    """
    return _plugin.call("zscore", [expr], period=period)


def midpoint(expr: IntoExpr, period: int = 14) -> pl.Expr:
    """
    Midpoint of the window: ``(max + min) / 2``.

    Lookback ``period - 1``. The rolling max and min are O(N) whatever the period (van Herk /
    Gil-Werman block prefix and suffix maxima; TA-Lib rescans each window).

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 2.

    Examples
    --------
    Worked by hand: (1+5)/2, (5+2)/2, (2+8)/2.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 5.0, 2.0, 8.0]})
    >>> df.select(nse.midpoint("close", 2)).to_series().to_list()
    [None, 3.0, 3.5, 5.0]
    """
    return _plugin.call("midpoint", [expr], period=period)


def linearreg(expr: IntoExpr, period: int = 14) -> pl.Expr:
    """
    Linear regression: the least-squares line's value at the newest bar.

    Least squares over the window with ``u = 0`` (oldest) .. ``p - 1`` (newest):
    ``m = sum (u - mean u)(y - mean y) / sum (u - mean u)^2``, value ``mean y + m (p - 1) / 2``.
    Lookback ``period - 1``. O(N) with block-anchored sums (TA-Lib is O(N p) and loses digits at
    high prices): within 1e-9 of an exact computation at any price level.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 2.

    Examples
    --------
    Worked by hand: m = 1.5, mean 7/3: 7/3 + 1.5 = 23/6.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0]})
    >>> df.select(nse.linearreg("close", 3)).to_series().to_list()
    [None, None, 3.8333333333333335]
    """
    return _plugin.call("linearreg", [expr], period=period)


def linearreg_slope(expr: IntoExpr, period: int = 14) -> pl.Expr:
    """
    Slope ``m`` of the least-squares line over the window (per bar).

    See :func:`linearreg`. Lookback ``period - 1``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 2.

    Examples
    --------
    Worked by hand: (4 - 1) / 2.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0]})
    >>> df.select(nse.linearreg_slope("close", 3)).to_series().to_list()
    [None, None, 1.5]
    """
    return _plugin.call("linearreg_slope", [expr], period=period)


def linearreg_intercept(expr: IntoExpr, period: int = 14) -> pl.Expr:
    """
    The least-squares line's value at the oldest bar of the window.

    ``mean y - m (p - 1) / 2`` (TA-Lib's intercept); see :func:`linearreg`. Lookback
    ``period - 1``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 2.

    Examples
    --------
    Worked by hand: 7/3 - 1.5 = 5/6.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0]})
    >>> df.select(nse.linearreg_intercept("close", 3)).to_series().to_list()
    [None, None, 0.8333333333333335]
    """
    return _plugin.call("linearreg_intercept", [expr], period=period)


def linearreg_angle(expr: IntoExpr, period: int = 14) -> pl.Expr:
    """
    Angle of the least-squares line in degrees, ``atan(m) 180 / pi``.

    See :func:`linearreg`. Lookback ``period - 1``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 2.

    Examples
    --------
    Worked by hand: slope 1.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 3.0]})
    >>> df.select(nse.linearreg_angle("close", 2)).to_series().to_list()
    [None, 45.0, 45.0]
    """
    return _plugin.call("linearreg_angle", [expr], period=period)


def tsf(expr: IntoExpr, period: int = 14) -> pl.Expr:
    """
    Time series forecast: the least-squares line one bar ahead.

    ``mean y + m (p + 1) / 2``; see :func:`linearreg`. Lookback ``period - 1``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 2.

    Examples
    --------
    Worked by hand: 23/6 + 1.5 = 16/3.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0]})
    >>> df.select(nse.tsf("close", 3)).to_series().to_list()
    [None, None, 5.333333333333334]
    """
    return _plugin.call("tsf", [expr], period=period)


def roc(expr: IntoExpr, period: int = 10) -> pl.Expr:
    """
    Rate of change in percent, ``100 (x[t] - x[t-p]) / x[t-p]``.

    0 when ``x[t-p] = 0`` (as TA-Lib). Lookback ``period``. Computed as
    ``(x - prev) / prev``, which keeps the digits TA-Lib's ``(x / prev - 1)`` loses for small
    changes at high prices (the two agree to ~1e-14 of the ratio).

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.

    Examples
    --------
    Worked by hand: +10 %, -10 %.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [100.0, 110.0, 99.0]})
    >>> df.select(nse.roc("close", 1)).to_series().to_list()
    [None, 10.0, -10.0]
    """
    return _plugin.call("roc", [expr], period=period)


def rocp(expr: IntoExpr, period: int = 10) -> pl.Expr:
    """
    Rate of change as a fraction, ``(x[t] - x[t-p]) / x[t-p]``.

    0 when ``x[t-p] = 0``. Lookback ``period``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.

    Examples
    --------
    Worked by hand: +0.1, -0.1.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [100.0, 110.0, 99.0]})
    >>> df.select(nse.rocp("close", 1)).to_series().to_list()
    [None, 0.1, -0.1]
    """
    return _plugin.call("rocp", [expr], period=period)


def rocr(expr: IntoExpr, period: int = 10) -> pl.Expr:
    """
    Rate of change ratio, ``x[t] / x[t-p]``.

    0 when ``x[t-p] = 0``. Lookback ``period``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.

    Examples
    --------
    Worked by hand: 110/100, 99/110.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [100.0, 110.0, 99.0]})
    >>> df.select(nse.rocr("close", 1)).to_series().to_list()
    [None, 1.1, 0.9]
    """
    return _plugin.call("rocr", [expr], period=period)


def rocr100(expr: IntoExpr, period: int = 10) -> pl.Expr:
    """
    Rate of change ratio times 100, ``100 x[t] / x[t-p]``.

    0 when ``x[t-p] = 0``. Lookback ``period``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.

    Examples
    --------
    Worked by hand: 110/100*100 (rounded), 99/110*100.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [100.0, 110.0, 99.0]})
    >>> df.select(nse.rocr100("close", 1)).to_series().to_list()
    [None, 110.00000000000001, 90.0]
    """
    return _plugin.call("rocr100", [expr], period=period)


def mom(expr: IntoExpr, period: int = 10) -> pl.Expr:
    """
    Momentum, ``x[t] - x[t-p]``.

    Lookback ``period``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.

    Examples
    --------
    Worked by hand: 2 - 1, 8 - 4.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 4.0, 2.0, 8.0]})
    >>> df.select(nse.mom("close", 2)).to_series().to_list()
    [None, None, 1.0, 4.0]
    """
    return _plugin.call("mom", [expr], period=period)


def cmo(expr: IntoExpr, period: int = 14) -> pl.Expr:
    """
    Chande momentum oscillator, as TA-Lib (Wilder-smoothed), -100 .. 100.

    ``100 (G - L) / (G + L)`` with the average gain ``G`` and loss ``L`` of RSI: the plain
    means of the first `period` changes, then ``avg = (avg (p - 1) + change) / p``. 0 when
    ``G + L`` is below 1e-8 (TA-Lib's epsilon). Lookback ``period``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 2.

    Examples
    --------
    Worked by hand: G = L = 1/2; then G = 3/4, L = 1/4 (50); G = 7/8, L = 1/8 (75).

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 1.0, 2.0, 3.0]})
    >>> df.select(nse.cmo("close", 2)).to_series().to_list()
    [None, None, 0.0, 50.0, 75.0]
    """
    return _plugin.call("cmo", [expr], period=period)


def trix(expr: IntoExpr, period: int = 30) -> pl.Expr:
    """
    TRIX: 1-bar rate of change (percent) of a triple EMA.

    The triple EMA is seeded as TEMA's (TA-Lib); ``TRIX = 100 (e3[t] - e3[t-1]) / e3[t-1]``
    (0 when ``e3[t-1] = 0``). Lookback ``3 (period - 1) + 1``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.
    """
    return _plugin.call("trix", [expr], period=period)


def _po(name: str, expr: IntoExpr, fast: int, slow: int, ma_type: MaType) -> pl.Expr:
    return _plugin.call(name, [expr], fast=fast, slow=slow, ma_type=ma_type)


def apo(expr: IntoExpr, fast: int = 12, slow: int = 26, ma_type: MaType = "sma") -> pl.Expr:
    """
    Absolute price oscillator, ``MA(fast) - MA(slow)``.

    Both moving averages of type `ma_type` run over the whole column from its first row (as
    TA-Lib's APO: unlike MACD, an EMA-type fast MA is seeded at row ``fast - 1``), so the
    lookback is the slow MA's: ``slow - 1`` for sma/ema/wma/trima, ``2 (slow - 1)`` dema,
    ``3 (slow - 1)`` tema, ``slow`` kama, ``6 (slow - 1)`` t3. (TA-Lib swaps `fast` and `slow`
    when ``fast > slow`` and accepts equal periods; here ``fast < slow`` is required, as for
    MACD.)

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    fast, slow
        Periods, integers with ``2 <= fast < slow``.
    ma_type
        ``sma|ema|wma|dema|tema|trima|kama|t3``: TA-Lib's matype 0..6 and 8 (MAMA is
        not offered); ``t3`` uses vfactor 0.7, as TA-Lib's MA does.

    Examples
    --------
    Worked by hand: SMA(2) - SMA(3) of 1, 2, 4, 8 is 3 - 7/3 and 6 - 14/3.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0, 8.0]})
    >>> df.select(nse.apo("close", 2, 3)).to_series().round(6).to_list()
    [None, None, 0.666667, 1.333333]
    """
    return _po("apo", expr, fast, slow, ma_type)


def ppo(expr: IntoExpr, fast: int = 12, slow: int = 26, ma_type: MaType = "sma") -> pl.Expr:
    """
    Percentage price oscillator, ``100 (MA(fast) - MA(slow)) / MA(slow)``.

    As :func:`apo` (same MAs, seeding and lookback); 0 where ``MA(slow) = 0`` (TA-Lib: below
    1e-8).

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    fast, slow
        Periods, integers with ``2 <= fast < slow``.
    ma_type
        ``sma|ema|wma|dema|tema|trima|kama|t3``: TA-Lib's matype 0..6 and 8 (MAMA is
        not offered); ``t3`` uses vfactor 0.7, as TA-Lib's MA does.

    Examples
    --------
    Worked by hand: 100 (3 - 7/3) / (7/3) = 200/7 and the same at the next row.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0, 8.0]})
    >>> df.select(nse.ppo("close", 2, 3)).to_series().round(6).to_list()
    [None, None, 28.571429, 28.571429]
    """
    return _po("ppo", expr, fast, slow, ma_type)


def stochrsi(
    expr: IntoExpr,
    period: int = 14,
    fastk_period: int = 5,
    fastd_period: int = 3,
    ma_type: MaType = "sma",
) -> pl.Expr:
    """
    Stochastic RSI, as TA-Lib: a struct of ``fastk`` and ``fastd``.

    ``rsi = RSI(period)`` (Wilder, as :func:`nse_polars.rsi`); ``fastk = 100 (rsi - lowest) /
    (highest - lowest)`` over the last `fastk_period` RSI values (0 when they are all equal);
    ``fastd = MA(ma_type, fastd_period)`` of fastk, seeded from the first fastk value. Both are
    null for the first ``period + fastk_period - 1 + lookback(ma_type, fastd_period)`` rows
    (TA-Lib's lookback). The rolling max/min is O(N).

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        RSI period, an integer >= 2.
    fastk_period, fastd_period
        Integers >= 1.
    ma_type
        ``sma|ema|wma|dema|tema|trima|kama|t3``: TA-Lib's matype 0..6 and 8 (MAMA is
        not offered); ``t3`` uses vfactor 0.7, as TA-Lib's MA does.

    Examples
    --------
    Worked by hand: RSI(2) of 1, 2, 1, 2, 3, 2 is 50, 75, 87.5, 43.75 from row 2; fastk over 2
    values: 100 (75 - 50) / 25 = 100, 100, 0; fastd = SMA(1) = fastk.

    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 1.0, 2.0, 3.0, 2.0]})
    >>> out = df.select(nse.stochrsi("close", 2, 2, 1)).unnest("close")
    >>> out["fastk"].to_list(), out["fastd"].to_list()
    ([None, None, None, 100.0, 100.0, 0.0], [None, None, None, 100.0, 100.0, 0.0])
    """
    return _plugin.call(
        "stochrsi",
        [expr],
        period=period,
        fastk_period=fastk_period,
        fastd_period=fastd_period,
        ma_type=ma_type,
    )


class PriceExprMethods:
    """Mixed into the Expr ``.nse`` namespace; ``self._expr`` is the column."""

    _expr: pl.Expr

    def wma(self, period: int = 30) -> pl.Expr:
        """WMA; see :func:`nse_polars.wma`."""
        return wma(self._expr, period=period)

    def dema(self, period: int = 30) -> pl.Expr:
        """DEMA; see :func:`nse_polars.dema`."""
        return dema(self._expr, period=period)

    def tema(self, period: int = 30) -> pl.Expr:
        """TEMA; see :func:`nse_polars.tema`."""
        return tema(self._expr, period=period)

    def trima(self, period: int = 30) -> pl.Expr:
        """TRIMA; see :func:`nse_polars.trima`."""
        return trima(self._expr, period=period)

    def kama(self, period: int = 30) -> pl.Expr:
        """KAMA; see :func:`nse_polars.kama`."""
        return kama(self._expr, period=period)

    def t3(self, period: int = 5, vfactor: float = 0.7) -> pl.Expr:
        """T3; see :func:`nse_polars.t3`."""
        return t3(self._expr, period=period, vfactor=vfactor)

    def hma(self, period: int = 20) -> pl.Expr:
        """HMA; see :func:`nse_polars.hma`."""
        return hma(self._expr, period=period)

    def stddev(self, period: int = 5, nbdev: float = 1.0) -> pl.Expr:
        """STDDEV; see :func:`nse_polars.stddev`."""
        return stddev(self._expr, period=period, nbdev=nbdev)

    def var(self, period: int = 5, nbdev: float = 1.0) -> pl.Expr:
        """VAR; see :func:`nse_polars.var`."""
        return var(self._expr, period=period, nbdev=nbdev)

    def zscore(self, period: int = 20) -> pl.Expr:
        """ZSCORE; see :func:`nse_polars.zscore`."""
        return zscore(self._expr, period=period)

    def midpoint(self, period: int = 14) -> pl.Expr:
        """MIDPOINT; see :func:`nse_polars.midpoint`."""
        return midpoint(self._expr, period=period)

    def linearreg(self, period: int = 14) -> pl.Expr:
        """LINEARREG; see :func:`nse_polars.linearreg`."""
        return linearreg(self._expr, period=period)

    def linearreg_slope(self, period: int = 14) -> pl.Expr:
        """LINEARREG_SLOPE; see :func:`nse_polars.linearreg_slope`."""
        return linearreg_slope(self._expr, period=period)

    def linearreg_intercept(self, period: int = 14) -> pl.Expr:
        """LINEARREG_INTERCEPT; see :func:`nse_polars.linearreg_intercept`."""
        return linearreg_intercept(self._expr, period=period)

    def linearreg_angle(self, period: int = 14) -> pl.Expr:
        """LINEARREG_ANGLE; see :func:`nse_polars.linearreg_angle`."""
        return linearreg_angle(self._expr, period=period)

    def tsf(self, period: int = 14) -> pl.Expr:
        """TSF; see :func:`nse_polars.tsf`."""
        return tsf(self._expr, period=period)

    def roc(self, period: int = 10) -> pl.Expr:
        """ROC; see :func:`nse_polars.roc`."""
        return roc(self._expr, period=period)

    def rocp(self, period: int = 10) -> pl.Expr:
        """ROCP; see :func:`nse_polars.rocp`."""
        return rocp(self._expr, period=period)

    def rocr(self, period: int = 10) -> pl.Expr:
        """ROCR; see :func:`nse_polars.rocr`."""
        return rocr(self._expr, period=period)

    def rocr100(self, period: int = 10) -> pl.Expr:
        """ROCR100; see :func:`nse_polars.rocr100`."""
        return rocr100(self._expr, period=period)

    def mom(self, period: int = 10) -> pl.Expr:
        """MOM; see :func:`nse_polars.mom`."""
        return mom(self._expr, period=period)

    def cmo(self, period: int = 14) -> pl.Expr:
        """CMO; see :func:`nse_polars.cmo`."""
        return cmo(self._expr, period=period)

    def trix(self, period: int = 30) -> pl.Expr:
        """TRIX; see :func:`nse_polars.trix`."""
        return trix(self._expr, period=period)

    def apo(self, fast: int = 12, slow: int = 26, ma_type: MaType = "sma") -> pl.Expr:
        """Absolute price oscillator; see :func:`nse_polars.apo`."""
        return apo(self._expr, fast, slow, ma_type)

    def ppo(self, fast: int = 12, slow: int = 26, ma_type: MaType = "sma") -> pl.Expr:
        """Percentage price oscillator; see :func:`nse_polars.ppo`."""
        return ppo(self._expr, fast, slow, ma_type)

    def stochrsi(
        self,
        period: int = 14,
        fastk_period: int = 5,
        fastd_period: int = 3,
        ma_type: MaType = "sma",
    ) -> pl.Expr:
        """Stochastic RSI as a struct of fastk, fastd; see :func:`nse_polars.stochrsi`."""
        return stochrsi(self._expr, period, fastk_period, fastd_period, ma_type)


class PriceFrameMethods:
    """Mixed into the DataFrame/LazyFrame ``.nse`` namespace (``self._add`` adds columns)."""

    def wma(
        self,
        column: IntoExpr = "close",
        period: int = 30,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``wma_<period>``; see :func:`nse_polars.wma`."""
        return self._add("wma", column, [f"wma_{period}"], by, period=period)

    def dema(
        self,
        column: IntoExpr = "close",
        period: int = 30,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``dema_<period>``; see :func:`nse_polars.dema`."""
        return self._add("dema", column, [f"dema_{period}"], by, period=period)

    def tema(
        self,
        column: IntoExpr = "close",
        period: int = 30,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``tema_<period>``; see :func:`nse_polars.tema`."""
        return self._add("tema", column, [f"tema_{period}"], by, period=period)

    def trima(
        self,
        column: IntoExpr = "close",
        period: int = 30,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``trima_<period>``; see :func:`nse_polars.trima`."""
        return self._add("trima", column, [f"trima_{period}"], by, period=period)

    def kama(
        self,
        column: IntoExpr = "close",
        period: int = 30,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``kama_<period>``; see :func:`nse_polars.kama`."""
        return self._add("kama", column, [f"kama_{period}"], by, period=period)

    def t3(
        self,
        column: IntoExpr = "close",
        period: int = 5,
        vfactor: float = 0.7,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``t3_<period>``; see :func:`nse_polars.t3`."""
        return self._add("t3", column, [f"t3_{period}"], by, period=period, vfactor=vfactor)

    def hma(
        self,
        column: IntoExpr = "close",
        period: int = 20,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``hma_<period>``; see :func:`nse_polars.hma`."""
        return self._add("hma", column, [f"hma_{period}"], by, period=period)

    def stddev(
        self,
        column: IntoExpr = "close",
        period: int = 5,
        nbdev: float = 1.0,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``stddev_<period>``; see :func:`nse_polars.stddev`."""
        return self._add("stddev", column, [f"stddev_{period}"], by, period=period, nbdev=nbdev)

    def var(
        self,
        column: IntoExpr = "close",
        period: int = 5,
        nbdev: float = 1.0,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``var_<period>``; see :func:`nse_polars.var`."""
        return self._add("var", column, [f"var_{period}"], by, period=period, nbdev=nbdev)

    def zscore(
        self,
        column: IntoExpr = "close",
        period: int = 20,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``zscore_<period>``; see :func:`nse_polars.zscore`."""
        return self._add("zscore", column, [f"zscore_{period}"], by, period=period)

    def midpoint(
        self,
        column: IntoExpr = "close",
        period: int = 14,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``midpoint_<period>``; see :func:`nse_polars.midpoint`."""
        return self._add("midpoint", column, [f"midpoint_{period}"], by, period=period)

    def linearreg(
        self,
        column: IntoExpr = "close",
        period: int = 14,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``linearreg_<period>``; see :func:`nse_polars.linearreg`."""
        return self._add("linearreg", column, [f"linearreg_{period}"], by, period=period)

    def linearreg_slope(
        self,
        column: IntoExpr = "close",
        period: int = 14,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``linearreg_slope_<period>``; see :func:`nse_polars.linearreg_slope`."""
        return self._add(
            "linearreg_slope", column, [f"linearreg_slope_{period}"], by, period=period
        )

    def linearreg_intercept(
        self,
        column: IntoExpr = "close",
        period: int = 14,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``linearreg_intercept_<period>``; see :func:`nse_polars.linearreg_intercept`."""
        return self._add(
            "linearreg_intercept", column, [f"linearreg_intercept_{period}"], by, period=period
        )

    def linearreg_angle(
        self,
        column: IntoExpr = "close",
        period: int = 14,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``linearreg_angle_<period>``; see :func:`nse_polars.linearreg_angle`."""
        return self._add(
            "linearreg_angle", column, [f"linearreg_angle_{period}"], by, period=period
        )

    def tsf(
        self,
        column: IntoExpr = "close",
        period: int = 14,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``tsf_<period>``; see :func:`nse_polars.tsf`."""
        return self._add("tsf", column, [f"tsf_{period}"], by, period=period)

    def roc(
        self,
        column: IntoExpr = "close",
        period: int = 10,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``roc_<period>``; see :func:`nse_polars.roc`."""
        return self._add("roc", column, [f"roc_{period}"], by, period=period)

    def rocp(
        self,
        column: IntoExpr = "close",
        period: int = 10,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``rocp_<period>``; see :func:`nse_polars.rocp`."""
        return self._add("rocp", column, [f"rocp_{period}"], by, period=period)

    def rocr(
        self,
        column: IntoExpr = "close",
        period: int = 10,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``rocr_<period>``; see :func:`nse_polars.rocr`."""
        return self._add("rocr", column, [f"rocr_{period}"], by, period=period)

    def rocr100(
        self,
        column: IntoExpr = "close",
        period: int = 10,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``rocr100_<period>``; see :func:`nse_polars.rocr100`."""
        return self._add("rocr100", column, [f"rocr100_{period}"], by, period=period)

    def mom(
        self,
        column: IntoExpr = "close",
        period: int = 10,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``mom_<period>``; see :func:`nse_polars.mom`."""
        return self._add("mom", column, [f"mom_{period}"], by, period=period)

    def cmo(
        self,
        column: IntoExpr = "close",
        period: int = 14,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``cmo_<period>``; see :func:`nse_polars.cmo`."""
        return self._add("cmo", column, [f"cmo_{period}"], by, period=period)

    def trix(
        self,
        column: IntoExpr = "close",
        period: int = 30,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``trix_<period>``; see :func:`nse_polars.trix`."""
        return self._add("trix", column, [f"trix_{period}"], by, period=period)

    def apo(
        self,
        column: IntoExpr = "close",
        fast: int = 12,
        slow: int = 26,
        ma_type: MaType = "sma",
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``apo_<fast>_<slow>``; see :func:`nse_polars.apo`."""
        return self._add(
            "apo", column, [f"apo_{fast}_{slow}"], by, fast=fast, slow=slow, ma_type=ma_type
        )

    def ppo(
        self,
        column: IntoExpr = "close",
        fast: int = 12,
        slow: int = 26,
        ma_type: MaType = "sma",
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``ppo_<fast>_<slow>``; see :func:`nse_polars.ppo`."""
        return self._add(
            "ppo", column, [f"ppo_{fast}_{slow}"], by, fast=fast, slow=slow, ma_type=ma_type
        )

    def stochrsi(
        self,
        column: IntoExpr = "close",
        period: int = 14,
        fastk_period: int = 5,
        fastd_period: int = 3,
        ma_type: MaType = "sma",
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``stochrsi_fastk_<period>`` and ``stochrsi_fastd_<period>``; see
        :func:`nse_polars.stochrsi`."""
        return self._add(
            "stochrsi",
            column,
            [f"stochrsi_fastk_{period}", f"stochrsi_fastd_{period}"],
            by,
            period=period,
            fastk_period=fastk_period,
            fastd_period=fastd_period,
            ma_type=ma_type,
        )
