"""Strategies as small named building blocks: each gives entry and exit signals as Polars
expressions over a close column, and the same definitions run natively in parameter sweeps
(``nse_polars.sweep``), so a sweep row equals a backtest of the expressions it stands for.

A cross at row t means: the first line is above the second at t and was at or below it at t-1,
both defined (rows in the indicator's warm-up never signal).

>>> import nse_polars as nse
>>> s = nse.strategies.sma_cross(10, 50)
>>> s.name, s.params
('sma_cross', {'fast': 10, 'slow': 50})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from nse_polars import functions

if TYPE_CHECKING:
    from collections.abc import Mapping

    from polars._typing import IntoExpr

__all__ = [
    "STRATEGIES",
    "Strategy",
    "bbands",
    "ema_cross",
    "from_name",
    "macd_cross",
    "rsi",
    "sma_cross",
]


@dataclass(frozen=True)
class Strategy:
    """A named long-only signal pair: ``entries`` and ``exits`` are boolean expressions."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    close: IntoExpr = "close"

    def signals(self) -> tuple[pl.Expr, pl.Expr]:
        """(entries, exits) as Boolean expressions, nulls counted as False."""
        build = _BUILDERS[self.name]
        entries, exits = build(_col(self.close), **self.params)
        return entries.fill_null(False), exits.fill_null(False)


def _col(x: IntoExpr) -> pl.Expr:
    return pl.col(x) if isinstance(x, str) else x


def _crosses_above(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return (a > b) & (a.shift(1) <= b.shift(1))


def _check_fast_slow(name: str, fast: int, slow: int) -> None:
    if not (isinstance(fast, int) and isinstance(slow, int)) or not 1 <= fast < slow:
        msg = f"`{name}`: need integers 1 <= fast < slow, got fast={fast!r}, slow={slow!r}"
        raise ValueError(msg)


def _sma_cross(close: pl.Expr, fast: int, slow: int) -> tuple[pl.Expr, pl.Expr]:
    f, s = functions.sma(close, fast), functions.sma(close, slow)
    return _crosses_above(f, s), _crosses_above(s, f)


def _ema_cross(close: pl.Expr, fast: int, slow: int) -> tuple[pl.Expr, pl.Expr]:
    f, s = functions.ema(close, fast), functions.ema(close, slow)
    return _crosses_above(f, s), _crosses_above(s, f)


def _rsi(close: pl.Expr, period: int, lower: float, upper: float) -> tuple[pl.Expr, pl.Expr]:
    r = functions.rsi(close, period)
    return r < lower, r > upper


def _macd_cross(close: pl.Expr, fast: int, slow: int, signal: int) -> tuple[pl.Expr, pl.Expr]:
    m = functions.macd(close, fast, slow, signal)
    line, sig = m.struct.field("macd"), m.struct.field("signal")
    return _crosses_above(line, sig), _crosses_above(sig, line)


def _bbands(close: pl.Expr, period: int, num_std: float) -> tuple[pl.Expr, pl.Expr]:
    b = functions.bbands(close, period, num_std)
    return close > b.struct.field("upper"), close < b.struct.field("middle")


_BUILDERS = {
    "sma_cross": _sma_cross,
    "ema_cross": _ema_cross,
    "rsi": _rsi,
    "macd_cross": _macd_cross,
    "bbands": _bbands,
}

# Each strategy's parameters, in the order the native sweep takes them.
STRATEGIES: dict[str, tuple[str, ...]] = {
    "sma_cross": ("fast", "slow"),
    "ema_cross": ("fast", "slow"),
    "rsi": ("period", "lower", "upper"),
    "macd_cross": ("fast", "slow", "signal"),
    "bbands": ("period", "num_std"),
}


def sma_cross(fast: int = 10, slow: int = 50, *, close: IntoExpr = "close") -> Strategy:
    """Long while the SMA(fast) is above the SMA(slow): enter when it crosses above, exit when
    it crosses below."""
    _check_fast_slow("sma_cross", fast, slow)
    return Strategy("sma_cross", {"fast": fast, "slow": slow}, close)


def ema_cross(fast: int = 12, slow: int = 26, *, close: IntoExpr = "close") -> Strategy:
    """As :func:`sma_cross`, with EMAs (TA-Lib seeding)."""
    _check_fast_slow("ema_cross", fast, slow)
    return Strategy("ema_cross", {"fast": fast, "slow": slow}, close)


def rsi(
    period: int = 14, lower: float = 30.0, upper: float = 70.0, *, close: IntoExpr = "close"
) -> Strategy:
    """RSI mean reversion: enter when RSI(period) < lower, exit when RSI > upper."""
    if not (isinstance(period, int) and period >= 1 and 0 <= lower < upper <= 100):
        msg = (
            "`rsi`: need an integer period >= 1 and 0 <= lower < upper <= 100, got "
            f"period={period!r}, lower={lower!r}, upper={upper!r}"
        )
        raise ValueError(msg)
    return Strategy("rsi", {"period": period, "lower": lower, "upper": upper}, close)


def macd_cross(
    fast: int = 12, slow: int = 26, signal: int = 9, *, close: IntoExpr = "close"
) -> Strategy:
    """Enter when the MACD line crosses above its signal line, exit when it crosses below."""
    _check_fast_slow("macd_cross", fast, slow)
    if not (isinstance(signal, int) and signal >= 1):
        msg = f"`macd_cross`: `signal` must be an integer >= 1, got {signal!r}"
        raise ValueError(msg)
    return Strategy("macd_cross", {"fast": fast, "slow": slow, "signal": signal}, close)


def bbands(period: int = 20, num_std: float = 2.0, *, close: IntoExpr = "close") -> Strategy:
    """Bollinger breakout: enter when the close is above the upper band, exit when it is below
    the middle band."""
    if not (isinstance(period, int) and period >= 2 and num_std > 0):
        msg = (
            "`bbands`: need an integer period >= 2 and num_std > 0, got "
            f"period={period!r}, num_std={num_std!r}"
        )
        raise ValueError(msg)
    return Strategy("bbands", {"period": period, "num_std": num_std}, close)


def from_name(
    name: str, params: Mapping[str, Any] | None = None, *, close: IntoExpr = "close"
) -> Strategy:
    """
    A strategy by its name and a mapping of parameters, for callers that hold them as data
    (the command line, the REST service); missing parameters take the function's defaults.

    Raises ``ValueError`` naming an unknown strategy or parameter, or a bad value.

    >>> from_name("macd_cross", {"fast": 8}).params
    {'fast': 8, 'slow': 26, 'signal': 9}
    """
    if name not in STRATEGIES:
        msg = f"`strategy`: unknown {name!r}; expected one of {sorted(STRATEGIES)}"
        raise ValueError(msg)
    params = dict(params or {})
    unknown = [k for k in params if k not in STRATEGIES[name]]
    if unknown:
        msg = f"`{name}` takes the parameters {list(STRATEGIES[name])}; unknown {unknown}"
        raise ValueError(msg)
    factory = {
        "sma_cross": sma_cross,
        "ema_cross": ema_cross,
        "rsi": rsi,
        "macd_cross": macd_cross,
        "bbands": bbands,
    }[name]
    return factory(**params, close=close)
