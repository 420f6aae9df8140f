"""Indicators as Polars expressions: the source of truth that the ``.nse`` namespaces forward to.

Every function computes in float64 from any numeric input column (floats or integers) and
returns a column of the same length. Definitions, seeding and warm-up follow TA-Lib exactly;
the first ``lookback`` rows are null. A null, NaN or +/-inf input row gives a null output row,
and the indicator's state carries over from the last valid value (warm-up counts valid values
only), unlike TA-Lib, where one NaN poisons every later value. Truncating a series never
changes an earlier output, not even in the last bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import polars as pl

from nse_polars import _plugin

if TYPE_CHECKING:
    from polars._typing import IntoExpr

__all__ = ["bbands", "ema", "macd", "overlay", "overlay_columns", "rsi", "sma"]

# Column names used when indicators are added to a frame (and by the overlay).
MACD_COLUMNS = ["macd", "macd_signal", "macd_hist"]
BBANDS_COLUMNS = ["bb_upper", "bb_middle", "bb_lower"]


def sma(expr: IntoExpr, period: int = 20) -> pl.Expr:
    """
    Simple moving average: the mean of the last `period` values.

    Lookback ``period - 1``. Each window is summed relative to one of its own values, so the
    result stays within a few ulps of an exact mean at any price level (a running sum of raw
    prices, as TA-Lib and pandas keep, loses digits when prices sit near 1e8).

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 3.0, 4.0, 5.0]})
    >>> df.select(nse.sma("close", 3))
    shape: (5, 1)
    ┌───────┐
    │ close │
    │ ---   │
    │ f64   │
    ╞═══════╡
    │ null  │
    │ null  │
    │ 2.0   │
    │ 3.0   │
    │ 4.0   │
    └───────┘
    """
    return _plugin.call("sma", [expr], period=period)


def ema(expr: IntoExpr, period: int = 20, *, seed: Literal["sma", "first"] = "sma") -> pl.Expr:
    """
    Exponential moving average with ``k = 2 / (period + 1)``: ``e[t] = (x[t] - e[t-1]) k + e[t-1]``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Integer >= 1.
    seed
        ``"sma"`` (TA-Lib, the default): the first value is the SMA of the first `period`
        values, at row ``period - 1`` (lookback ``period - 1``). ``"first"``: seeded with the
        first value, as pandas' ``ewm(adjust=False)``; lookback 0.

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 3.0, 4.0]})
    >>> df.select(nse.ema("close", 3))
    shape: (4, 1)
    ┌───────┐
    │ close │
    │ ---   │
    │ f64   │
    ╞═══════╡
    │ null  │
    │ null  │
    │ 2.0   │
    │ 3.0   │
    └───────┘
    """
    return _plugin.call("ema", [expr], period=period, seed=seed)


def rsi(expr: IntoExpr, period: int = 14) -> pl.Expr:
    """
    Relative strength index (Wilder), between 0 and 100.

    The first average gain and loss are the simple means of the first `period` changes; then
    ``avg = (avg * (period - 1) + change) / period``. ``RSI = 100 G / (G + L)``, and 0 when
    ``G + L = 0`` (a flat series). Lookback ``period``.

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Integer >= 1.

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 1.0, 2.0, 3.0]})
    >>> df.select(nse.rsi("close", 2).round(4))
    shape: (5, 1)
    ┌───────┐
    │ close │
    │ ---   │
    │ f64   │
    ╞═══════╡
    │ null  │
    │ null  │
    │ 50.0  │
    │ 75.0  │
    │ 87.5  │
    └───────┘
    """
    return _plugin.call("rsi", [expr], period=period)


def macd(expr: IntoExpr, fast: int = 12, slow: int = 26, signal: int = 9) -> pl.Expr:
    """
    Moving average convergence/divergence, as a struct of ``macd``, ``signal`` and ``hist``.

    As TA-Lib: both EMAs start at row ``slow - 1``, the slow one seeded with the SMA of rows
    ``0 .. slow-1`` and the fast one with the SMA of rows ``slow-fast .. slow-1``; ``macd`` is
    their difference, ``signal`` its EMA(`signal`) seeded with the SMA of its first `signal`
    values, ``hist = macd - signal``. All three are null for the first ``slow + signal - 2``
    rows. (TA-Lib silently swaps `fast` and `slow` when ``fast > slow``; here it is an error.)

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    fast, slow
        EMA periods, integers with ``1 <= fast < slow``.
    signal
        Signal-line EMA period, integer >= 1.

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 4.0, 8.0, 16.0]})
    >>> df.select(nse.macd("close", 2, 3, 2)).unnest("close")
    shape: (5, 3)
    ┌──────────┬──────────┬──────────┐
    │ macd     ┆ signal   ┆ hist     │
    │ ---      ┆ ---      ┆ ---      │
    │ f64      ┆ f64      ┆ f64      │
    ╞══════════╪══════════╪══════════╡
    │ null     ┆ null     ┆ null     │
    │ null     ┆ null     ┆ null     │
    │ null     ┆ null     ┆ null     │
    │ 1.166667 ┆ 0.916667 ┆ 0.25     │
    │ 2.194444 ┆ 1.768519 ┆ 0.425926 │
    └──────────┴──────────┴──────────┘
    """
    return _plugin.call("macd", [expr], fast=fast, slow=slow, signal=signal)


def bbands(expr: IntoExpr, period: int = 20, num_std: float = 2.0) -> pl.Expr:
    """
    Bollinger Bands, as a struct of ``upper``, ``middle`` and ``lower``.

    ``middle = SMA(period)``, ``upper/lower = middle +/- num_std * std`` with the population
    standard deviation (ddof = 0) of the same window. Lookback ``period - 1``. The variance is
    accumulated relative to an in-window value, so it keeps its digits at any price level
    (TA-Lib's running sum of squares does not, and TA-Lib rounds variances below its epsilon
    to 0; here only a negative rounding residue is clamped to 0).

    Parameters
    ----------
    expr
        Numeric column (name or expression).
    period
        Window length, an integer >= 1.
    num_std
        Band width in standard deviations, a number > 0.

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({"close": [1.0, 3.0, 5.0]})
    >>> df.select(nse.bbands("close", 2, 1.0)).unnest("close")
    shape: (3, 3)
    ┌───────┬────────┬───────┐
    │ upper ┆ middle ┆ lower │
    │ ---   ┆ ---    ┆ ---   │
    │ f64   ┆ f64    ┆ f64   │
    ╞═══════╪════════╪═══════╡
    │ null  ┆ null   ┆ null  │
    │ 3.0   ┆ 2.0    ┆ 1.0   │
    │ 5.0   ┆ 4.0    ┆ 3.0   │
    └───────┴────────┴───────┘
    """
    return _plugin.call("bbands", [expr], period=period, num_std=num_std)


def overlay_columns(
    *,
    sma: int = 20,
    ema: int = 20,
    rsi: int = 14,
    macd: tuple[int, int, int] = (12, 26, 9),
    bbands: tuple[int, float] = (20, 2.0),
) -> list[str]:
    """Names of the nine columns :func:`overlay` produces for these parameters."""
    return [f"sma_{sma}", f"ema_{ema}", f"rsi_{rsi}", *MACD_COLUMNS, *BBANDS_COLUMNS]


def overlay(
    expr: IntoExpr = "close",
    *,
    sma: int = 20,
    ema: int = 20,
    rsi: int = 14,
    macd: tuple[int, int, int] = (12, 26, 9),
    bbands: tuple[int, float] = (20, 2.0),
) -> pl.Expr:
    """
    The five indicators in one native call, as a struct of nine fields.

    Fields (see :func:`overlay_columns`): ``sma_<n>``, ``ema_<n>``, ``rsi_<n>``, ``macd``,
    ``macd_signal``, ``macd_hist``, ``bb_upper``, ``bb_middle``, ``bb_lower``; each equal, to the
    bit, to the corresponding single-indicator function. ``DataFrame.nse.overlay()`` unnests
    them.

    Parameters
    ----------
    expr
        Numeric column (name or expression), default ``"close"``.
    sma, ema, rsi
        Periods of the SMA, EMA and RSI.
    macd
        ``(fast, slow, signal)``.
    bbands
        ``(period, num_std)``.
    """
    return _overlay(expr, None, sma=sma, ema=ema, rsi=rsi, macd=macd, bbands=bbands)


def _overlay(
    expr: IntoExpr,
    group_key: pl.Expr | None,
    *,
    sma: int,
    ema: int,
    rsi: int,
    macd: tuple[int, int, int],
    bbands: tuple[int, float],
) -> pl.Expr:
    macd_params = _tuple_param("macd", macd, 3)
    bb_params = _tuple_param("bbands", bbands, 2)
    names = overlay_columns(sma=sma, ema=ema, rsi=rsi, macd=macd, bbands=bbands)
    return _plugin.call(
        "overlay",
        [expr],
        group_key=group_key,
        sma_period=sma,
        ema_period=ema,
        rsi_period=rsi,
        macd_fast=macd_params[0],
        macd_slow=macd_params[1],
        macd_signal=macd_params[2],
        bb_period=bb_params[0],
        bb_num_std=bb_params[1],
    ).struct.rename_fields(names)


def _tuple_param(name: str, value: object, length: int) -> tuple:
    if not isinstance(value, (tuple, list)) or len(value) != length:
        msg = f"`{name}` must be a tuple of {length} values, got {value!r}"
        raise ValueError(msg)
    return tuple(value)
