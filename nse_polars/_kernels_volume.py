"""numpy/Arrow functions of the volume, VWAP and benchmark indicators.

Re-exported by :mod:`nse_polars.kernels`; each calls ``_compute_many`` there. Definitions,
parameters and lookbacks are those of the expression functions in
:mod:`nse_polars.volume_indicators`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "ad",
    "adosc",
    "beta",
    "bop",
    "correl",
    "mfi",
    "obv",
    "rolling_beta",
    "rolling_corr",
    "rolling_cov",
    "vwap",
]


def _run(name: str, inputs: dict[str, Any], **params: Any) -> Any:
    from nse_polars import kernels as _k

    return _k._compute_many(name, inputs, **params)


def obv(close: Any, volume: Any) -> Any:
    """On-balance volume; see :func:`nse_polars.obv`."""
    return _run("obv", {"close": close, "volume": volume})


def ad(high: Any, low: Any, close: Any, volume: Any) -> Any:
    """Chaikin A/D line; see :func:`nse_polars.ad`."""
    return _run("ad", {"high": high, "low": low, "close": close, "volume": volume})


def adosc(high: Any, low: Any, close: Any, volume: Any, fast: int = 3, slow: int = 10) -> Any:
    """Chaikin A/D oscillator; see :func:`nse_polars.adosc`."""
    inputs = {"high": high, "low": low, "close": close, "volume": volume}
    return _run("adosc", inputs, fast=fast, slow=slow)


def mfi(high: Any, low: Any, close: Any, volume: Any, period: int = 14) -> Any:
    """Money flow index; see :func:`nse_polars.mfi`."""
    inputs = {"high": high, "low": low, "close": close, "volume": volume}
    return _run("mfi", inputs, period=period)


def bop(open: Any, high: Any, low: Any, close: Any) -> Any:
    """Balance of power; see :func:`nse_polars.bop`."""
    return _run("bop", {"open": open, "high": high, "low": low, "close": close})


def beta(x: Any, benchmark: Any, period: int = 5) -> Any:
    """TA-Lib's BETA of `x` against `benchmark` (= ``talib.BETA(benchmark, x)``); see
    :func:`nse_polars.beta`."""
    return _run("beta", {"x": x, "benchmark": benchmark}, period=period)


def correl(x: Any, benchmark: Any, period: int = 30) -> Any:
    """TA-Lib's CORREL; see :func:`nse_polars.correl`."""
    return _run("correl", {"x": x, "benchmark": benchmark}, period=period)


def rolling_cov(x: Any, benchmark: Any, period: int = 20, *, ddof: int = 0) -> Any:
    """Rolling covariance (population by default); see :func:`nse_polars.rolling_cov`."""
    return _run("rolling_cov", {"x": x, "benchmark": benchmark}, period=period, ddof=ddof)


def rolling_corr(x: Any, benchmark: Any, period: int = 20) -> Any:
    """Rolling correlation; see :func:`nse_polars.rolling_corr`."""
    return _run("rolling_corr", {"x": x, "benchmark": benchmark}, period=period)


def rolling_beta(x: Any, benchmark: Any, period: int = 20) -> Any:
    """Rolling beta of `x` against `benchmark`; see :func:`nse_polars.rolling_beta`."""
    return _run("rolling_beta", {"x": x, "benchmark": benchmark}, period=period)


def vwap(high: Any, low: Any, close: Any, volume: Any, session: Any) -> Any:
    """Session VWAP; see :func:`nse_polars.vwap`.

    `session` is the session key of each row: numbers (e.g. day numbers), or numpy
    ``datetime64`` values, whose calendar date (numpy datetimes carry no time zone: pass
    local times) is the key.
    """
    if isinstance(session, np.ndarray) and session.dtype.kind == "M":
        session = session.astype("datetime64[D]").astype(np.int64)
    inputs = {"high": high, "low": low, "close": close, "volume": volume, "session": session}
    return _run("vwap", inputs)
