"""numpy/Arrow functions of the single-input indicators beyond the core five.

Re-exported by :mod:`nse_polars.kernels`; each calls ``_compute`` there. numpy in, numpy out
(NaN marks missing rows); Arrow in, pyarrow out. ``stochrsi`` returns a tuple (fastk, fastd).
"""

from __future__ import annotations

from typing import Any

from nse_polars import kernels as _k

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


def wma(values: Any, period: int = 30) -> Any:
    """WMA; see :func:`nse_polars.wma`."""
    return _k._compute("wma", values, period=period)


def dema(values: Any, period: int = 30) -> Any:
    """DEMA; see :func:`nse_polars.dema`."""
    return _k._compute("dema", values, period=period)


def tema(values: Any, period: int = 30) -> Any:
    """TEMA; see :func:`nse_polars.tema`."""
    return _k._compute("tema", values, period=period)


def trima(values: Any, period: int = 30) -> Any:
    """TRIMA; see :func:`nse_polars.trima`."""
    return _k._compute("trima", values, period=period)


def kama(values: Any, period: int = 30) -> Any:
    """KAMA; see :func:`nse_polars.kama`."""
    return _k._compute("kama", values, period=period)


def t3(values: Any, period: int = 5, vfactor: float = 0.7) -> Any:
    """T3; see :func:`nse_polars.t3`."""
    return _k._compute("t3", values, period=period, vfactor=vfactor)


def hma(values: Any, period: int = 20) -> Any:
    """HMA; see :func:`nse_polars.hma`."""
    return _k._compute("hma", values, period=period)


def stddev(values: Any, period: int = 5, nbdev: float = 1.0) -> Any:
    """STDDEV; see :func:`nse_polars.stddev`."""
    return _k._compute("stddev", values, period=period, nbdev=nbdev)


def var(values: Any, period: int = 5, nbdev: float = 1.0) -> Any:
    """VAR; see :func:`nse_polars.var`."""
    return _k._compute("var", values, period=period, nbdev=nbdev)


def zscore(values: Any, period: int = 20) -> Any:
    """ZSCORE; see :func:`nse_polars.zscore`."""
    return _k._compute("zscore", values, period=period)


def midpoint(values: Any, period: int = 14) -> Any:
    """MIDPOINT; see :func:`nse_polars.midpoint`."""
    return _k._compute("midpoint", values, period=period)


def linearreg(values: Any, period: int = 14) -> Any:
    """LINEARREG; see :func:`nse_polars.linearreg`."""
    return _k._compute("linearreg", values, period=period)


def linearreg_slope(values: Any, period: int = 14) -> Any:
    """LINEARREG_SLOPE; see :func:`nse_polars.linearreg_slope`."""
    return _k._compute("linearreg_slope", values, period=period)


def linearreg_intercept(values: Any, period: int = 14) -> Any:
    """LINEARREG_INTERCEPT; see :func:`nse_polars.linearreg_intercept`."""
    return _k._compute("linearreg_intercept", values, period=period)


def linearreg_angle(values: Any, period: int = 14) -> Any:
    """LINEARREG_ANGLE; see :func:`nse_polars.linearreg_angle`."""
    return _k._compute("linearreg_angle", values, period=period)


def tsf(values: Any, period: int = 14) -> Any:
    """TSF; see :func:`nse_polars.tsf`."""
    return _k._compute("tsf", values, period=period)


def roc(values: Any, period: int = 10) -> Any:
    """ROC; see :func:`nse_polars.roc`."""
    return _k._compute("roc", values, period=period)


def rocp(values: Any, period: int = 10) -> Any:
    """ROCP; see :func:`nse_polars.rocp`."""
    return _k._compute("rocp", values, period=period)


def rocr(values: Any, period: int = 10) -> Any:
    """ROCR; see :func:`nse_polars.rocr`."""
    return _k._compute("rocr", values, period=period)


def rocr100(values: Any, period: int = 10) -> Any:
    """ROCR100; see :func:`nse_polars.rocr100`."""
    return _k._compute("rocr100", values, period=period)


def mom(values: Any, period: int = 10) -> Any:
    """MOM; see :func:`nse_polars.mom`."""
    return _k._compute("mom", values, period=period)


def cmo(values: Any, period: int = 14) -> Any:
    """CMO; see :func:`nse_polars.cmo`."""
    return _k._compute("cmo", values, period=period)


def trix(values: Any, period: int = 30) -> Any:
    """TRIX; see :func:`nse_polars.trix`."""
    return _k._compute("trix", values, period=period)


def apo(values: Any, fast: int = 12, slow: int = 26, ma_type: str = "sma") -> Any:
    """Absolute price oscillator; see :func:`nse_polars.apo`."""
    return _k._compute("apo", values, fast=fast, slow=slow, ma_type=ma_type)


def ppo(values: Any, fast: int = 12, slow: int = 26, ma_type: str = "sma") -> Any:
    """Percentage price oscillator; see :func:`nse_polars.ppo`."""
    return _k._compute("ppo", values, fast=fast, slow=slow, ma_type=ma_type)


def stochrsi(
    values: Any,
    period: int = 14,
    fastk_period: int = 5,
    fastd_period: int = 3,
    ma_type: str = "sma",
) -> Any:
    """Stochastic RSI as a tuple (fastk, fastd); see :func:`nse_polars.stochrsi`."""
    return _k._compute(
        "stochrsi",
        values,
        period=period,
        fastk_period=fastk_period,
        fastd_period=fastd_period,
        ma_type=ma_type,
    )
