"""Price-range indicators over high, low and close, as Polars expressions (the source of
truth), plus the ``.nse`` namespace methods that forward to them (mixed into namespace.py).

Multi-input convention, used by every family: the free function takes each input column by
keyword, with the canonical column name as the default
(``atr(high="high", low="low", close="close", period=14)``); on the Expr namespace the
expression itself is the ``close`` input when the indicator reads close, otherwise its first
input (``pl.col("close").nse.atr(14, high="high", low="low")``,
``pl.col("high").nse.midprice(14, low="low")``). Column arguments take a name or an expression.

Definitions, seeding and lookbacks follow TA-Lib (0.6 and later, including its zero tests:
a true-range sum below 1e-14 counts as zero); TA-Lib's "unstable period" is 0. Degenerate
windows (zero range, zero true range) give TA-Lib's value, never NaN. A null, NaN or inf in any
input row makes that output row null and the row is skipped (state carries over).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from nse_polars import _plugin

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

MaType = Literal["sma", "ema", "wma", "dema", "tema", "trima", "kama", "t3"]
__all__ = [
    "adx",
    "adxr",
    "aroon",
    "aroonosc",
    "atr",
    "cci",
    "donchian",
    "dx",
    "keltner",
    "midprice",
    "minus_di",
    "minus_dm",
    "natr",
    "plus_di",
    "plus_dm",
    "sar",
    "stoch",
    "stochf",
    "supertrend",
    "trange",
    "ultosc",
    "willr",
]

# The oracle each function is tested against (the docs table is generated from it).
ORACLES: dict[str, str] = {
    "trange": "talib.TRANGE",
    "atr": "talib.ATR",
    "natr": "talib.NATR",
    "plus_dm": "talib.PLUS_DM",
    "minus_dm": "talib.MINUS_DM",
    "plus_di": "talib.PLUS_DI",
    "minus_di": "talib.MINUS_DI",
    "dx": "talib.DX",
    "adx": "talib.ADX",
    "adxr": "talib.ADXR",
    "stoch": "talib.STOCH",
    "stochf": "talib.STOCHF",
    "willr": "talib.WILLR",
    "cci": "talib.CCI",
    "ultosc": "talib.ULTOSC",
    "aroon": "talib.AROON",
    "aroonosc": "talib.AROONOSC",
    "midprice": "talib.MIDPRICE",
    "sar": "talib.SAR",
    "supertrend": "numpy reference of TradingView's ta.supertrend rules over talib.ATR",
    "donchian": "numpy sliding-window max/min (Donchian's definition)",
    "keltner": "talib.EMA and talib.ATR",
}


def trange(high: IntoExpr = "high", low: IntoExpr = "low", close: IntoExpr = "close") -> pl.Expr:
    """
    True range.

    ``TR[t] = max(high - low, |high - close[t-1]|, |low - close[t-1]|)`` from row 1 (lookback 1).

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.trange().alias("trange").round(4))
    shape: (6, 1)
    ┌────────┐
    │ trange │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ 0.8    │
    │ 0.6    │
    │ 0.6    │
    │ 1.0    │
    │ 0.7    │
    └────────┘
    """
    return _plugin.call("trange", [high, low, close])


def atr(
    high: IntoExpr = "high", low: IntoExpr = "low", close: IntoExpr = "close", period: int = 14
) -> pl.Expr:
    """
    Average true range (Wilder).

    The first value (row ``period``) is the mean of ``TR[1 .. period]``; then
    ``atr = (atr * (period - 1) + TR) / period``. Lookback ``period`` (TA-Lib's, unstable
    period 0).

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.atr(period=3).alias("atr").round(4))
    shape: (6, 1)
    ┌────────┐
    │ atr    │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ null   │
    │ 0.6667 │
    │ 0.7778 │
    │ 0.7519 │
    └────────┘
    """
    return _plugin.call("atr", [high, low, close], period=period)


def natr(
    high: IntoExpr = "high", low: IntoExpr = "low", close: IntoExpr = "close", period: int = 14
) -> pl.Expr:
    """
    Normalized average true range, in percent of close.

    ``100 * ATR / close``, and 0 where ``|close| < 1e-14`` (TA-Lib). Lookback ``period``.
    For ``period = 1`` TA-Lib returns the raw true range (not normalized); here it is
    ``100 * TR / close``, consistent with every other period.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.natr(period=3).alias("natr").round(4))
    shape: (6, 1)
    ┌────────┐
    │ natr   │
    │ ---    │
    │ f64    │
    ╞════════╡
    │ null   │
    │ null   │
    │ null   │
    │ 6.3492 │
    │ 6.8226 │
    │ 6.4815 │
    └────────┘
    """
    return _plugin.call("natr", [high, low, close], period=period)


def plus_dm(high: IntoExpr = "high", low: IntoExpr = "low", period: int = 14) -> pl.Expr:
    """
    Smoothed plus directional movement (Wilder).

    ``up = high - high[t-1]``, ``down = low[t-1] - low``; ``+DM = up`` when ``up > 0`` and
    ``up > down``, else 0. The first value (row ``period - 1``) is the plain sum of ``+DM``
    over rows
    ``1 .. period - 1``; then ``s = s - s / period + DM``. Lookback ``period - 1`` (1 for
    ``period = 1``, where the output is the raw ``+DM``).

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.plus_dm(period=3).alias("plus_dm").round(4))
    shape: (6, 1)
    ┌─────────┐
    │ plus_dm │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ null    │
    │ null    │
    │ 0.7     │
    │ 0.4667  │
    │ 0.9111  │
    │ 0.9074  │
    └─────────┘
    """
    return _plugin.call("plus_dm", [high, low], period=period)


def minus_dm(high: IntoExpr = "high", low: IntoExpr = "low", period: int = 14) -> pl.Expr:
    """
    Smoothed minus directional movement (Wilder).

    ``-DM = down`` when ``down > 0`` and ``down > up`` (see :func:`plus_dm`), else 0; the same
    seeding and smoothing as :func:`plus_dm`. Lookback ``period - 1`` (1 for ``period = 1``).

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.minus_dm(period=3).alias("minus_dm").round(4))
    shape: (6, 1)
    ┌──────────┐
    │ minus_dm │
    │ ---      │
    │ f64      │
    ╞══════════╡
    │ null     │
    │ null     │
    │ 0.0      │
    │ 0.3      │
    │ 0.2      │
    │ 0.1333   │
    └──────────┘
    """
    return _plugin.call("minus_dm", [high, low], period=period)


def plus_di(
    high: IntoExpr = "high", low: IntoExpr = "low", close: IntoExpr = "close", period: int = 14
) -> pl.Expr:
    """
    Plus directional indicator (Wilder).

    ``100 * (+DM_s / TR_s)`` where both Wilder sums start as plain sums over rows
    ``1 .. period - 1`` and take one smoothing step ``s - s / period + x`` per row from row
    ``period`` on; 0 where ``|TR_s| < 1e-14``. Lookback ``period``. (TA-Lib's ``period = 1`` omits
    the factor 100; here it is kept.)

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.plus_di(period=3).alias("plus_di").round(4))
    shape: (6, 1)
    ┌─────────┐
    │ plus_di │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ null    │
    │ null    │
    │ null    │
    │ 30.4348 │
    │ 45.0549 │
    │ 44.3038 │
    └─────────┘
    """
    return _plugin.call("plus_di", [high, low, close], period=period)


def minus_di(
    high: IntoExpr = "high", low: IntoExpr = "low", close: IntoExpr = "close", period: int = 14
) -> pl.Expr:
    """
    Minus directional indicator (Wilder).

    ``100 * (-DM_s / TR_s)``, as :func:`plus_di`. Lookback ``period``.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.minus_di(period=3).alias("minus_di").round(4))
    shape: (6, 1)
    ┌──────────┐
    │ minus_di │
    │ ---      │
    │ f64      │
    ╞══════════╡
    │ null     │
    │ null     │
    │ null     │
    │ 19.5652  │
    │ 9.8901   │
    │ 6.5099   │
    └──────────┘
    """
    return _plugin.call("minus_di", [high, low, close], period=period)


def dx(
    high: IntoExpr = "high", low: IntoExpr = "low", close: IntoExpr = "close", period: int = 14
) -> pl.Expr:
    """
    Directional movement index.

    ``100 * |+DI - -DI| / (+DI + -DI)``. A degenerate row (``|TR_s| < 1e-14`` or
    ``|+DI + -DI| < 1e-14``) gives 0 on the first row and repeats the previous DX afterwards, as
    TA-Lib. Lookback ``period``; ``period >= 2``.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.dx(period=3).alias("dx").round(4))
    shape: (6, 1)
    ┌─────────┐
    │ dx      │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ null    │
    │ null    │
    │ null    │
    │ 21.7391 │
    │ 64.0    │
    │ 74.3772 │
    └─────────┘
    """
    return _plugin.call("dx", [high, low, close], period=period)


def adx(
    high: IntoExpr = "high", low: IntoExpr = "low", close: IntoExpr = "close", period: int = 14
) -> pl.Expr:
    """
    Average directional movement index.

    The first ADX (row ``2 * period - 1``) is the mean of the DX values of rows
    ``period .. 2 * period - 1`` (a degenerate DX counts as 0); then
    ``adx = (adx * (period - 1) + dx) / period``, skipping degenerate rows (ADX unchanged).
    Lookback ``2 * period - 1``; ``period >= 2``.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.adx(period=2).alias("adx").round(4))
    shape: (6, 1)
    ┌─────────┐
    │ adx     │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ null    │
    │ null    │
    │ null    │
    │ 57.1429 │
    │ 61.1801 │
    │ 70.3337 │
    └─────────┘
    """
    return _plugin.call("adx", [high, low, close], period=period)


def adxr(
    high: IntoExpr = "high", low: IntoExpr = "low", close: IntoExpr = "close", period: int = 14
) -> pl.Expr:
    """
    Average directional movement rating.

    ``(ADX[t] + ADX[t - (period - 1)]) / 2``. Lookback ``3 * period - 2``; ``period >= 2``.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.adxr(period=2).alias("adxr").round(4))
    shape: (6, 1)
    ┌─────────┐
    │ adxr    │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ null    │
    │ null    │
    │ null    │
    │ null    │
    │ 59.1615 │
    │ 65.7569 │
    └─────────┘
    """
    return _plugin.call("adxr", [high, low, close], period=period)


def stoch(
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    fastk_period: int = 5,
    slowk_period: int = 3,
    slowk_ma_type: MaType = "sma",
    slowd_period: int = 3,
    slowd_ma_type: MaType = "sma",
) -> pl.Expr:
    """
    Slow stochastic oscillator, as a struct of ``slowk`` and ``slowd``.

    ``%K = (close - LL) / ((HH - LL) / 100)`` over `fastk_period` rows (0 where ``HH == LL``);
    ``slowk = MA(%K, slowk_period)``, ``slowd = MA(slowk, slowd_period)``, with TA-Lib's moving
    averages (``"sma"``, ``"ema"``, ``"wma"``, ``"dema"``, ``"tema"``, ``"trima"``, ``"kama"``,
    ``"t3"`` with volume factor 0.7; period 1 is the identity). Both outputs start at row
    ``fastk_period - 1 + lookback(slowk MA) + lookback(slowd MA)`` (8 by default). HH/LL are
    rolling extremes in O(N) (van Herk / Gil-Werman blocks); the SMA is a block sum (only values
    inside the window enter it).

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    fastk_period
        Integer >= 1 (>= 2 where TA-Lib requires it).
    slowk_period
        Integer >= 1 (>= 2 where TA-Lib requires it).
    slowk_ma_type
        Moving-average type (see above).
    slowd_period
        Integer >= 1 (>= 2 where TA-Lib requires it).
    slowd_ma_type
        Moving-average type (see above).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> expr = nse.stoch(fastk_period=3, slowk_period=2, slowd_period=2)
    >>> out = df.select(expr.alias("stoch")).unnest("stoch")
    >>> out.select(pl.all().round(4))
    shape: (6, 2)
    ┌─────────┬─────────┐
    │ slowk   ┆ slowd   │
    │ ---     ┆ ---     │
    │ f64     ┆ f64     │
    ╞═════════╪═════════╡
    │ null    ┆ null    │
    │ null    ┆ null    │
    │ null    ┆ null    │
    │ null    ┆ null    │
    │ 56.9444 ┆ 48.6111 │
    │ 89.1667 ┆ 73.0556 │
    └─────────┴─────────┘
    """
    return _plugin.call(
        "stoch",
        [high, low, close],
        fastk_period=fastk_period,
        slowk_period=slowk_period,
        slowk_ma_type=slowk_ma_type,
        slowd_period=slowd_period,
        slowd_ma_type=slowd_ma_type,
    )


def stochf(
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    fastk_period: int = 5,
    fastd_period: int = 3,
    fastd_ma_type: MaType = "sma",
) -> pl.Expr:
    """
    Fast stochastic oscillator, as a struct of ``fastk`` and ``fastd``.

    ``fastk = %K`` (see :func:`stoch`), ``fastd = MA(fastk, fastd_period)``. Both start at row
    ``fastk_period - 1 + lookback(fastd MA)``.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    fastk_period
        Integer >= 1 (>= 2 where TA-Lib requires it).
    fastd_period
        Integer >= 1 (>= 2 where TA-Lib requires it).
    fastd_ma_type
        Moving-average type (see above).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> out = df.select(nse.stochf(fastk_period=3, fastd_period=2).alias("stochf")).unnest("stochf")
    >>> out.select(pl.all().round(4))
    shape: (6, 2)
    ┌─────────┬─────────┐
    │ fastk   ┆ fastd   │
    │ ---     ┆ ---     │
    │ f64     ┆ f64     │
    ╞═════════╪═════════╡
    │ null    ┆ null    │
    │ null    ┆ null    │
    │ null    ┆ null    │
    │ 22.2222 ┆ 40.2778 │
    │ 91.6667 ┆ 56.9444 │
    │ 86.6667 ┆ 89.1667 │
    └─────────┴─────────┘
    """
    return _plugin.call(
        "stochf",
        [high, low, close],
        fastk_period=fastk_period,
        fastd_period=fastd_period,
        fastd_ma_type=fastd_ma_type,
    )


def willr(
    high: IntoExpr = "high", low: IntoExpr = "low", close: IntoExpr = "close", period: int = 14
) -> pl.Expr:
    """
    Williams' %R, between -100 and 0.

    ``(HH - close) / ((HH - LL) / -100)`` over `period` rows, 0 where ``HH == LL``.
    Lookback ``period - 1``; rolling extremes in O(N).

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.willr(period=3).alias("willr").round(4))
    shape: (6, 1)
    ┌──────────┐
    │ willr    │
    │ ---      │
    │ f64      │
    ╞══════════╡
    │ null     │
    │ null     │
    │ -41.6667 │
    │ -77.7778 │
    │ -8.3333  │
    │ -13.3333 │
    └──────────┘
    """
    return _plugin.call("willr", [high, low, close], period=period)


def cci(
    high: IntoExpr = "high", low: IntoExpr = "low", close: IntoExpr = "close", period: int = 14
) -> pl.Expr:
    """
    Commodity channel index.

    ``TP = (high + low + close) / 3``; ``CCI = (TP - mean) / (0.015 * MD)`` with the window's
    mean and mean absolute deviation ``MD = mean(|TP - mean|)``. 0 where ``|TP - mean|`` or ``MD``
    is at most ``1e-14 * |mean|`` (TA-Lib's flatness test). Lookback ``period - 1``.

    The mean absolute deviation has no exact O(1) update (which values lie above the mean changes
    with the mean; an exact running form needs an ordered structure, O(log period) per row), so it
    is an O(period) pass per row, as in TA-Lib; `period` is small in practice. Every deviation is
    formed relative to a value of the window, so the result keeps its digits at any price level
    (TA-Lib's sums of raw typical prices lose them near 1e8).

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.cci(period=3).alias("cci").round(4))
    shape: (6, 1)
    ┌─────────┐
    │ cci     │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ null    │
    │ null    │
    │ 58.8235 │
    │ -100.0  │
    │ 100.0   │
    │ 75.0    │
    └─────────┘
    """
    return _plugin.call("cci", [high, low, close], period=period)


def ultosc(
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    period1: int = 7,
    period2: int = 14,
    period3: int = 28,
) -> pl.Expr:
    """
    Ultimate oscillator (Williams).

    ``BP = close - min(low, close[t-1])``, ``TR`` the true range; with ``A_k`` the sum of BP over
    the last ``p_k`` rows divided by the sum of TR: ``100 * (4 A_1 + 2 A_2 + A_3) / 7``, where
    ``p_1 <= p_2 <= p_3`` are the three periods SORTED (TA-Lib sorts them, so the order they are
    given in does not matter); a term whose TR sum is below 1e-14 adds 0. Lookback
    ``max(period1, period2, period3)``. Window sums are block sums (O(N), only in-window
    terms): after prices fall from 1e9 to 1, TA-Lib's running sums (add the new term, subtract
    the oldest) are off by ~4e-7 relative, these by ~4e-16; the price is about twice TA-Lib's
    time.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    period1
        Integer >= 1 (>= 2 where TA-Lib requires it).
    period2
        Integer >= 1 (>= 2 where TA-Lib requires it).
    period3
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.ultosc(period1=1, period2=2, period3=3).alias("ultosc").round(4))
    shape: (6, 1)
    ┌─────────┐
    │ ultosc  │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ null    │
    │ null    │
    │ null    │
    │ 33.3333 │
    │ 78.8636 │
    │ 74.2836 │
    └─────────┘
    """
    return _plugin.call(
        "ultosc", [high, low, close], period1=period1, period2=period2, period3=period3
    )


def aroon(high: IntoExpr = "high", low: IntoExpr = "low", period: int = 14) -> pl.Expr:
    """
    Aroon, as a struct of ``aroondown`` and ``aroonup``.

    Over the ``period + 1`` rows ending at t: ``aroonup = 100 / period * (period - rows since the
    highest high)``, ``aroondown`` the same for the lowest low. On ties the MOST RECENT extreme
    counts (TA-Lib). Lookback ``period``; positions of the extremes in O(N).

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> out = df.select(nse.aroon(period=3).alias("aroon")).unnest("aroon")
    >>> out.select(pl.all().round(4))
    shape: (6, 2)
    ┌───────────┬─────────┐
    │ aroondown ┆ aroonup │
    │ ---       ┆ ---     │
    │ f64       ┆ f64     │
    ╞═══════════╪═════════╡
    │ null      ┆ null    │
    │ null      ┆ null    │
    │ null      ┆ null    │
    │ 0.0       ┆ 66.6667 │
    │ 66.6667   ┆ 100.0   │
    │ 33.3333   ┆ 100.0   │
    └───────────┴─────────┘
    """
    return _plugin.call("aroon", [high, low], period=period)


def aroonosc(high: IntoExpr = "high", low: IntoExpr = "low", period: int = 14) -> pl.Expr:
    """
    Aroon oscillator.

    ``100 / period * (position of the highest high - position of the lowest low)``, i.e.
    ``aroonup - aroondown`` (see :func:`aroon`). Lookback ``period``.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.aroonosc(period=3).alias("aroonosc").round(4))
    shape: (6, 1)
    ┌──────────┐
    │ aroonosc │
    │ ---      │
    │ f64      │
    ╞══════════╡
    │ null     │
    │ null     │
    │ null     │
    │ 66.6667  │
    │ 33.3333  │
    │ 66.6667  │
    └──────────┘
    """
    return _plugin.call("aroonosc", [high, low], period=period)


def midprice(high: IntoExpr = "high", low: IntoExpr = "low", period: int = 14) -> pl.Expr:
    """
    Midpoint of the highest high and the lowest low.

    ``(max(high) + min(low)) / 2`` over `period` rows (the middle Donchian channel). Lookback
    ``period - 1``.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.midprice(period=3).alias("midprice").round(4))
    shape: (6, 1)
    ┌──────────┐
    │ midprice │
    │ ---      │
    │ f64      │
    ╞══════════╡
    │ null     │
    │ null     │
    │ 10.6     │
    │ 10.75    │
    │ 10.9     │
    │ 11.05    │
    └──────────┘
    """
    return _plugin.call("midprice", [high, low], period=period)


def sar(
    high: IntoExpr = "high", low: IntoExpr = "low", acceleration: float = 0.02, maximum: float = 0.2
) -> pl.Expr:
    """
    Parabolic SAR (Wilder), TA-Lib's rules.

    Start (row 1): short when row 1's minus directional movement is positive
    (``low[0] - low[1] > 0`` and larger than ``high[1] - high[0]``), long otherwise; the first SAR
    is ``low[0]`` when long (``high[0]`` when short), the extreme point ``high[1]`` (``low[1]``).
    Then ``sar += af * (ep - sar)``, never inside the last two rows' range; ``af`` starts at
    `acceleration`, grows by it on each new extreme up to `maximum`; on a reversal SAR jumps to
    the extreme point. An `acceleration` above `maximum` is clamped to `maximum` (TA-Lib).
    Lookback 1.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    acceleration
        Real number.
    maximum
        Real number.

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> df.select(nse.sar().alias("sar").round(4))
    shape: (6, 1)
    ┌─────────┐
    │ sar     │
    │ ---     │
    │ f64     │
    ╞═════════╡
    │ null    │
    │ 10.0    │
    │ 10.02   │
    │ 10.0672 │
    │ 10.1125 │
    │ 10.1958 │
    └─────────┘
    """
    return _plugin.call("sar", [high, low], acceleration=acceleration, maximum=maximum)


def supertrend(
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    period: int = 10,
    multiplier: float = 3.0,
) -> pl.Expr:
    """
    SuperTrend, as a struct of ``supertrend`` and ``direction``.

    Bands around ``hl2 = (high + low) / 2``: ``basic_upper = hl2 + multiplier * ATR``,
    ``basic_lower = hl2 - multiplier * ATR``, with TA-Lib's ATR(`period`) (Wilder, seeded with the
    mean of the first `period` true ranges from row 1). Band carrying (TradingView's
    ``ta.supertrend``):

    - ``lower = basic_lower`` if ``basic_lower > lower[t-1]`` or ``close[t-1] < lower[t-1]``, else
      ``lower[t-1]`` (the lower band never falls while price stays above it);
    - ``upper = basic_upper`` if ``basic_upper < upper[t-1]`` or ``close[t-1] > upper[t-1]``, else
      ``upper[t-1]``.

    Direction: the first row (row `period`, where the ATR starts) takes the basic bands and
    ``direction = -1``. Afterwards, if the previous line was the upper band
    (``supertrend[t-1] == upper[t-1]``), ``direction = +1`` when ``close > upper``, else -1;
    otherwise ``direction = -1`` when ``close < lower``, else +1. ``supertrend`` is ``lower`` when
    ``direction = +1`` (uptrend) and ``upper`` when -1. (TradingView reports the direction with the
    opposite sign: -1 for an uptrend.) Lookback `period` for both outputs.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).
    multiplier
        Real number.

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> expr = nse.supertrend(period=2, multiplier=1.0)
    >>> out = df.select(expr.alias("supertrend")).unnest("supertrend")
    >>> out.select(pl.all().round(4))
    shape: (6, 2)
    ┌────────────┬───────────┐
    │ supertrend ┆ direction │
    │ ---        ┆ ---       │
    │ f64        ┆ f64       │
    ╞════════════╪═══════════╡
    │ null       ┆ null      │
    │ null       ┆ null      │
    │ 11.6       ┆ -1.0      │
    │ 11.25      ┆ -1.0      │
    │ 10.325     ┆ 1.0       │
    │ 10.6875    ┆ 1.0       │
    └────────────┴───────────┘
    """
    return _plugin.call("supertrend", [high, low, close], period=period, multiplier=multiplier)


def donchian(high: IntoExpr = "high", low: IntoExpr = "low", period: int = 20) -> pl.Expr:
    """
    Donchian channels, as a struct of ``upper``, ``middle`` and ``lower``.

    ``upper = max(high)``, ``lower = min(low)`` over the last `period` rows (the current one
    included), ``middle = (upper + lower) / 2``. Lookback ``period - 1``; O(N) rolling extremes.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> out = df.select(nse.donchian(period=3).alias("donchian")).unnest("donchian")
    >>> out.select(pl.all().round(4))
    shape: (6, 3)
    ┌───────┬────────┬───────┐
    │ upper ┆ middle ┆ lower │
    │ ---   ┆ ---    ┆ ---   │
    │ f64   ┆ f64    ┆ f64   │
    ╞═══════╪════════╪═══════╡
    │ null  ┆ null   ┆ null  │
    │ null  ┆ null   ┆ null  │
    │ 11.2  ┆ 10.6   ┆ 10.0  │
    │ 11.2  ┆ 10.75  ┆ 10.3  │
    │ 11.5  ┆ 10.9   ┆ 10.3  │
    │ 11.8  ┆ 11.05  ┆ 10.3  │
    └───────┴────────┴───────┘
    """
    return _plugin.call("donchian", [high, low], period=period)


def keltner(
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    period: int = 20,
    atr_period: int = 10,
    multiplier: float = 2.0,
) -> pl.Expr:
    """
    Keltner channels, as a struct of ``upper``, ``middle`` and ``lower``.

    ``middle = EMA(close, period)`` with TA-Lib's seeding (the mean of the first `period` closes
    at row ``period - 1``, then ``e = (close - e) k + e``, ``k = 2 / (period + 1)``);
    ``upper/lower = middle +/- multiplier * ATR(atr_period)`` (TA-Lib's ATR). This is the modern
    (Raschke) form; TradingView's ``ta.kc`` smooths the true range with an EMA of `period` instead.
    Lookback ``max(period - 1, atr_period)``.

    Parameters
    ----------
    high
        The high column (name or expression).
    low
        The low column (name or expression).
    close
        The close column (name or expression).
    period
        Integer >= 1 (>= 2 where TA-Lib requires it).
    atr_period
        Integer >= 1 (>= 2 where TA-Lib requires it).
    multiplier
        Real number.

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = pl.DataFrame({
    ...     "high": [10.5, 11.0, 11.2, 10.9, 11.5, 11.8],
    ...     "low": [10.0, 10.4, 10.6, 10.3, 10.8, 11.1],
    ...     "close": [10.2, 10.9, 10.7, 10.5, 11.4, 11.6],
    ... })
    >>> out = df.select(nse.keltner(period=3, atr_period=2).alias("keltner")).unnest("keltner")
    >>> out.select(pl.all().round(4))
    shape: (6, 3)
    ┌─────────┬─────────┬────────┐
    │ upper   ┆ middle  ┆ lower  │
    │ ---     ┆ ---     ┆ ---    │
    │ f64     ┆ f64     ┆ f64    │
    ╞═════════╪═════════╪════════╡
    │ null    ┆ null    ┆ null   │
    │ null    ┆ null    ┆ null   │
    │ 12.0    ┆ 10.6    ┆ 9.2    │
    │ 11.85   ┆ 10.55   ┆ 9.25   │
    │ 12.625  ┆ 10.975  ┆ 9.325  │
    │ 12.8125 ┆ 11.2875 ┆ 9.7625 │
    └─────────┴─────────┴────────┘
    """
    return _plugin.call(
        "keltner", [high, low, close], period=period, atr_period=atr_period, multiplier=multiplier
    )


class HlcExprMethods:
    """Mixed into the Expr ``.nse`` namespace; ``self._expr`` is the column: ``close`` for the
    indicators that read close, otherwise ``high``."""

    _expr: pl.Expr

    def trange(self, *, high: IntoExpr = "high", low: IntoExpr = "low") -> pl.Expr:
        """True range; see :func:`nse_polars.trange`."""
        return trange(high, low, self._expr)

    def atr(self, period: int = 14, *, high: IntoExpr = "high", low: IntoExpr = "low") -> pl.Expr:
        """Average true range (Wilder); see :func:`nse_polars.atr`."""
        return atr(high, low, self._expr, period=period)

    def natr(self, period: int = 14, *, high: IntoExpr = "high", low: IntoExpr = "low") -> pl.Expr:
        """Normalized average true range; see :func:`nse_polars.natr`."""
        return natr(high, low, self._expr, period=period)

    def plus_dm(self, period: int = 14, *, low: IntoExpr = "low") -> pl.Expr:
        """Smoothed plus directional movement (Wilder); see :func:`nse_polars.plus_dm`."""
        return plus_dm(self._expr, low, period=period)

    def minus_dm(self, period: int = 14, *, low: IntoExpr = "low") -> pl.Expr:
        """Smoothed minus directional movement (Wilder); see :func:`nse_polars.minus_dm`."""
        return minus_dm(self._expr, low, period=period)

    def plus_di(
        self, period: int = 14, *, high: IntoExpr = "high", low: IntoExpr = "low"
    ) -> pl.Expr:
        """Plus directional indicator (Wilder); see :func:`nse_polars.plus_di`."""
        return plus_di(high, low, self._expr, period=period)

    def minus_di(
        self, period: int = 14, *, high: IntoExpr = "high", low: IntoExpr = "low"
    ) -> pl.Expr:
        """Minus directional indicator (Wilder); see :func:`nse_polars.minus_di`."""
        return minus_di(high, low, self._expr, period=period)

    def dx(self, period: int = 14, *, high: IntoExpr = "high", low: IntoExpr = "low") -> pl.Expr:
        """Directional movement index; see :func:`nse_polars.dx`."""
        return dx(high, low, self._expr, period=period)

    def adx(self, period: int = 14, *, high: IntoExpr = "high", low: IntoExpr = "low") -> pl.Expr:
        """Average directional movement index; see :func:`nse_polars.adx`."""
        return adx(high, low, self._expr, period=period)

    def adxr(self, period: int = 14, *, high: IntoExpr = "high", low: IntoExpr = "low") -> pl.Expr:
        """Average directional movement rating; see :func:`nse_polars.adxr`."""
        return adxr(high, low, self._expr, period=period)

    def stoch(
        self,
        fastk_period: int = 5,
        slowk_period: int = 3,
        slowk_ma_type: MaType = "sma",
        slowd_period: int = 3,
        slowd_ma_type: MaType = "sma",
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
    ) -> pl.Expr:
        """Slow stochastic oscillator; see :func:`nse_polars.stoch`."""
        return stoch(
            high,
            low,
            self._expr,
            fastk_period=fastk_period,
            slowk_period=slowk_period,
            slowk_ma_type=slowk_ma_type,
            slowd_period=slowd_period,
            slowd_ma_type=slowd_ma_type,
        )

    def stochf(
        self,
        fastk_period: int = 5,
        fastd_period: int = 3,
        fastd_ma_type: MaType = "sma",
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
    ) -> pl.Expr:
        """Fast stochastic oscillator; see :func:`nse_polars.stochf`."""
        return stochf(
            high,
            low,
            self._expr,
            fastk_period=fastk_period,
            fastd_period=fastd_period,
            fastd_ma_type=fastd_ma_type,
        )

    def willr(self, period: int = 14, *, high: IntoExpr = "high", low: IntoExpr = "low") -> pl.Expr:
        """Williams' %R; see :func:`nse_polars.willr`."""
        return willr(high, low, self._expr, period=period)

    def cci(self, period: int = 14, *, high: IntoExpr = "high", low: IntoExpr = "low") -> pl.Expr:
        """Commodity channel index; see :func:`nse_polars.cci`."""
        return cci(high, low, self._expr, period=period)

    def ultosc(
        self,
        period1: int = 7,
        period2: int = 14,
        period3: int = 28,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
    ) -> pl.Expr:
        """Ultimate oscillator (Williams); see :func:`nse_polars.ultosc`."""
        return ultosc(high, low, self._expr, period1=period1, period2=period2, period3=period3)

    def aroon(self, period: int = 14, *, low: IntoExpr = "low") -> pl.Expr:
        """Aroon; see :func:`nse_polars.aroon`."""
        return aroon(self._expr, low, period=period)

    def aroonosc(self, period: int = 14, *, low: IntoExpr = "low") -> pl.Expr:
        """Aroon oscillator; see :func:`nse_polars.aroonosc`."""
        return aroonosc(self._expr, low, period=period)

    def midprice(self, period: int = 14, *, low: IntoExpr = "low") -> pl.Expr:
        """Midpoint of the highest high and the lowest low; see :func:`nse_polars.midprice`."""
        return midprice(self._expr, low, period=period)

    def sar(
        self, acceleration: float = 0.02, maximum: float = 0.2, *, low: IntoExpr = "low"
    ) -> pl.Expr:
        """Parabolic SAR (Wilder); see :func:`nse_polars.sar`."""
        return sar(self._expr, low, acceleration=acceleration, maximum=maximum)

    def supertrend(
        self,
        period: int = 10,
        multiplier: float = 3.0,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
    ) -> pl.Expr:
        """SuperTrend; see :func:`nse_polars.supertrend`."""
        return supertrend(high, low, self._expr, period=period, multiplier=multiplier)

    def donchian(self, period: int = 20, *, low: IntoExpr = "low") -> pl.Expr:
        """Donchian channels; see :func:`nse_polars.donchian`."""
        return donchian(self._expr, low, period=period)

    def keltner(
        self,
        period: int = 20,
        atr_period: int = 10,
        multiplier: float = 2.0,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
    ) -> pl.Expr:
        """Keltner channels; see :func:`nse_polars.keltner`."""
        return keltner(
            high, low, self._expr, period=period, atr_period=atr_period, multiplier=multiplier
        )


class HlcFrameMethods:
    """Mixed into the DataFrame/LazyFrame ``.nse`` namespace (``self._add`` adds columns);
    ``by="symbol"`` computes each group on its own rows in one native call."""

    def trange(
        self,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``trange``; see :func:`nse_polars.trange`."""
        return self._add("trange", [high, low, close], ["trange"], by)  # type: ignore[attr-defined]

    def atr(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``atr_{period}``; see :func:`nse_polars.atr`."""
        return self._add("atr", [high, low, close], [f"atr_{period}"], by, period=period)  # type: ignore[attr-defined]

    def natr(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``natr_{period}``; see :func:`nse_polars.natr`."""
        return self._add("natr", [high, low, close], [f"natr_{period}"], by, period=period)  # type: ignore[attr-defined]

    def plus_dm(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``plus_dm_{period}``; see :func:`nse_polars.plus_dm`."""
        return self._add("plus_dm", [high, low], [f"plus_dm_{period}"], by, period=period)  # type: ignore[attr-defined]

    def minus_dm(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``minus_dm_{period}``; see :func:`nse_polars.minus_dm`."""
        return self._add("minus_dm", [high, low], [f"minus_dm_{period}"], by, period=period)  # type: ignore[attr-defined]

    def plus_di(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``plus_di_{period}``; see :func:`nse_polars.plus_di`."""
        return self._add("plus_di", [high, low, close], [f"plus_di_{period}"], by, period=period)  # type: ignore[attr-defined]

    def minus_di(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``minus_di_{period}``; see :func:`nse_polars.minus_di`."""
        return self._add("minus_di", [high, low, close], [f"minus_di_{period}"], by, period=period)  # type: ignore[attr-defined]

    def dx(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``dx_{period}``; see :func:`nse_polars.dx`."""
        return self._add("dx", [high, low, close], [f"dx_{period}"], by, period=period)  # type: ignore[attr-defined]

    def adx(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``adx_{period}``; see :func:`nse_polars.adx`."""
        return self._add("adx", [high, low, close], [f"adx_{period}"], by, period=period)  # type: ignore[attr-defined]

    def adxr(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``adxr_{period}``; see :func:`nse_polars.adxr`."""
        return self._add("adxr", [high, low, close], [f"adxr_{period}"], by, period=period)  # type: ignore[attr-defined]

    def stoch(
        self,
        fastk_period: int = 5,
        slowk_period: int = 3,
        slowk_ma_type: MaType = "sma",
        slowd_period: int = 3,
        slowd_ma_type: MaType = "sma",
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``slowk, slowd``; see :func:`nse_polars.stoch`."""
        return self._add(
            "stoch",
            [high, low, close],
            ["slowk", "slowd"],
            by,
            fastk_period=fastk_period,
            slowk_period=slowk_period,
            slowk_ma_type=slowk_ma_type,
            slowd_period=slowd_period,
            slowd_ma_type=slowd_ma_type,
        )  # type: ignore[attr-defined]

    def stochf(
        self,
        fastk_period: int = 5,
        fastd_period: int = 3,
        fastd_ma_type: MaType = "sma",
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``fastk, fastd``; see :func:`nse_polars.stochf`."""
        return self._add(
            "stochf",
            [high, low, close],
            ["fastk", "fastd"],
            by,
            fastk_period=fastk_period,
            fastd_period=fastd_period,
            fastd_ma_type=fastd_ma_type,
        )  # type: ignore[attr-defined]

    def willr(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``willr_{period}``; see :func:`nse_polars.willr`."""
        return self._add("willr", [high, low, close], [f"willr_{period}"], by, period=period)  # type: ignore[attr-defined]

    def cci(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``cci_{period}``; see :func:`nse_polars.cci`."""
        return self._add("cci", [high, low, close], [f"cci_{period}"], by, period=period)  # type: ignore[attr-defined]

    def ultosc(
        self,
        period1: int = 7,
        period2: int = 14,
        period3: int = 28,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``ultosc_{period1}_{period2}_{period3}``; see :func:`nse_polars.ultosc`."""
        return self._add(
            "ultosc",
            [high, low, close],
            [f"ultosc_{period1}_{period2}_{period3}"],
            by,
            period1=period1,
            period2=period2,
            period3=period3,
        )  # type: ignore[attr-defined]

    def aroon(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``aroondown, aroonup``; see :func:`nse_polars.aroon`."""
        return self._add("aroon", [high, low], ["aroondown", "aroonup"], by, period=period)  # type: ignore[attr-defined]

    def aroonosc(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``aroonosc_{period}``; see :func:`nse_polars.aroonosc`."""
        return self._add("aroonosc", [high, low], [f"aroonosc_{period}"], by, period=period)  # type: ignore[attr-defined]

    def midprice(
        self,
        period: int = 14,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``midprice_{period}``; see :func:`nse_polars.midprice`."""
        return self._add("midprice", [high, low], [f"midprice_{period}"], by, period=period)  # type: ignore[attr-defined]

    def sar(
        self,
        acceleration: float = 0.02,
        maximum: float = 0.2,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``sar``; see :func:`nse_polars.sar`."""
        return self._add(
            "sar", [high, low], ["sar"], by, acceleration=acceleration, maximum=maximum
        )  # type: ignore[attr-defined]

    def supertrend(
        self,
        period: int = 10,
        multiplier: float = 3.0,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``supertrend, supertrend_direction``; see :func:`nse_polars.supertrend`."""
        return self._add(
            "supertrend",
            [high, low, close],
            ["supertrend", "supertrend_direction"],
            by,
            period=period,
            multiplier=multiplier,
        )  # type: ignore[attr-defined]

    def donchian(
        self,
        period: int = 20,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``dc_upper, dc_middle, dc_lower``; see :func:`nse_polars.donchian`."""
        return self._add(
            "donchian", [high, low], ["dc_upper", "dc_middle", "dc_lower"], by, period=period
        )  # type: ignore[attr-defined]

    def keltner(
        self,
        period: int = 20,
        atr_period: int = 10,
        multiplier: float = 2.0,
        *,
        high: IntoExpr = "high",
        low: IntoExpr = "low",
        close: IntoExpr = "close",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``kc_upper, kc_middle, kc_lower``; see :func:`nse_polars.keltner`."""
        return self._add(
            "keltner",
            [high, low, close],
            ["kc_upper", "kc_middle", "kc_lower"],
            by,
            period=period,
            atr_period=atr_period,
            multiplier=multiplier,
        )  # type: ignore[attr-defined]
