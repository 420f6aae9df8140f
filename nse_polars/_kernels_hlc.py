"""numpy/Arrow functions of the price-range indicators (high, low, close).

Re-exported by :mod:`nse_polars.kernels`; each calls ``_compute_many`` there. Inputs are all
numpy-like (NaN = missing) or all Arrow (nulls); multi-output indicators return a tuple in the
documented field order. Definitions: :mod:`nse_polars.hlc_indicators`.
"""

from __future__ import annotations

from typing import Any

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


def _hlc(name: str, high: Any, low: Any, close: Any, **params: Any) -> Any:
    from nse_polars import kernels as _k

    return _k._compute_many(name, {"high": high, "low": low, "close": close}, **params)


def _hl(name: str, high: Any, low: Any, **params: Any) -> Any:
    from nse_polars import kernels as _k

    return _k._compute_many(name, {"high": high, "low": low}, **params)


def trange(high: Any, low: Any, close: Any) -> Any:
    """True range; see :func:`nse_polars.trange`."""
    return _hlc("trange", high, low, close)


def atr(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Average true range (Wilder); see :func:`nse_polars.atr`."""
    return _hlc("atr", high, low, close, period=period)


def natr(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Normalized ATR in percent of close; see :func:`nse_polars.natr`."""
    return _hlc("natr", high, low, close, period=period)


def plus_dm(high: Any, low: Any, period: int = 14) -> Any:
    """Smoothed plus directional movement; see :func:`nse_polars.plus_dm`."""
    return _hl("plus_dm", high, low, period=period)


def minus_dm(high: Any, low: Any, period: int = 14) -> Any:
    """Smoothed minus directional movement; see :func:`nse_polars.minus_dm`."""
    return _hl("minus_dm", high, low, period=period)


def plus_di(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Plus directional indicator; see :func:`nse_polars.plus_di`."""
    return _hlc("plus_di", high, low, close, period=period)


def minus_di(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Minus directional indicator; see :func:`nse_polars.minus_di`."""
    return _hlc("minus_di", high, low, close, period=period)


def dx(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Directional movement index; see :func:`nse_polars.dx`."""
    return _hlc("dx", high, low, close, period=period)


def adx(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Average directional movement index; see :func:`nse_polars.adx`."""
    return _hlc("adx", high, low, close, period=period)


def adxr(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """ADX rating; see :func:`nse_polars.adxr`."""
    return _hlc("adxr", high, low, close, period=period)


def stoch(
    high: Any,
    low: Any,
    close: Any,
    fastk_period: int = 5,
    slowk_period: int = 3,
    slowk_ma_type: str = "sma",
    slowd_period: int = 3,
    slowd_ma_type: str = "sma",
) -> Any:
    """Slow stochastic as a tuple (slowk, slowd); see :func:`nse_polars.stoch`."""
    return _hlc(
        "stoch",
        high,
        low,
        close,
        fastk_period=fastk_period,
        slowk_period=slowk_period,
        slowk_ma_type=slowk_ma_type,
        slowd_period=slowd_period,
        slowd_ma_type=slowd_ma_type,
    )


def stochf(
    high: Any,
    low: Any,
    close: Any,
    fastk_period: int = 5,
    fastd_period: int = 3,
    fastd_ma_type: str = "sma",
) -> Any:
    """Fast stochastic as a tuple (fastk, fastd); see :func:`nse_polars.stochf`."""
    return _hlc(
        "stochf",
        high,
        low,
        close,
        fastk_period=fastk_period,
        fastd_period=fastd_period,
        fastd_ma_type=fastd_ma_type,
    )


def willr(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Williams' %R; see :func:`nse_polars.willr`."""
    return _hlc("willr", high, low, close, period=period)


def cci(high: Any, low: Any, close: Any, period: int = 14) -> Any:
    """Commodity channel index; see :func:`nse_polars.cci`."""
    return _hlc("cci", high, low, close, period=period)


def ultosc(
    high: Any, low: Any, close: Any, period1: int = 7, period2: int = 14, period3: int = 28
) -> Any:
    """Ultimate oscillator; see :func:`nse_polars.ultosc`."""
    return _hlc("ultosc", high, low, close, period1=period1, period2=period2, period3=period3)


def aroon(high: Any, low: Any, period: int = 14) -> Any:
    """Aroon as a tuple (aroondown, aroonup); see :func:`nse_polars.aroon`."""
    return _hl("aroon", high, low, period=period)


def aroonosc(high: Any, low: Any, period: int = 14) -> Any:
    """Aroon oscillator; see :func:`nse_polars.aroonosc`."""
    return _hl("aroonosc", high, low, period=period)


def midprice(high: Any, low: Any, period: int = 14) -> Any:
    """Midpoint of the highest high and lowest low; see :func:`nse_polars.midprice`."""
    return _hl("midprice", high, low, period=period)


def sar(high: Any, low: Any, acceleration: float = 0.02, maximum: float = 0.2) -> Any:
    """Parabolic SAR; see :func:`nse_polars.sar`."""
    return _hl("sar", high, low, acceleration=acceleration, maximum=maximum)


def supertrend(high: Any, low: Any, close: Any, period: int = 10, multiplier: float = 3.0) -> Any:
    """SuperTrend as a tuple (supertrend, direction); see :func:`nse_polars.supertrend`."""
    return _hlc("supertrend", high, low, close, period=period, multiplier=multiplier)


def donchian(high: Any, low: Any, period: int = 20) -> Any:
    """Donchian channels as a tuple (upper, middle, lower); see :func:`nse_polars.donchian`."""
    return _hl("donchian", high, low, period=period)


def keltner(
    high: Any,
    low: Any,
    close: Any,
    period: int = 20,
    atr_period: int = 10,
    multiplier: float = 2.0,
) -> Any:
    """Keltner channels as a tuple (upper, middle, lower); see :func:`nse_polars.keltner`."""
    return _hlc(
        "keltner", high, low, close, period=period, atr_period=atr_period, multiplier=multiplier
    )
