"""The ``.nse`` namespaces on Expr, DataFrame and LazyFrame; they only forward to functions.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import polars as pl

from nse_polars import functions

if TYPE_CHECKING:
    from polars._typing import IntoExpr


@pl.api.register_expr_namespace("nse")
class ExprNamespace:
    """Indicators on a column: ``pl.col("close").nse.rsi(14)``."""

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr

    def sma(self, period: int = 20) -> pl.Expr:
        """Simple moving average; see :func:`nse_polars.sma`."""
        return functions.sma(self._expr, period)

    def ema(self, period: int = 20, *, seed: Literal["sma", "first"] = "sma") -> pl.Expr:
        """Exponential moving average; see :func:`nse_polars.ema`."""
        return functions.ema(self._expr, period, seed=seed)

    def rsi(self, period: int = 14) -> pl.Expr:
        """Relative strength index (Wilder); see :func:`nse_polars.rsi`."""
        return functions.rsi(self._expr, period)

    def macd(self, fast: int = 12, slow: int = 26, signal: int = 9) -> pl.Expr:
        """MACD as a struct of macd, signal, hist; see :func:`nse_polars.macd`."""
        return functions.macd(self._expr, fast, slow, signal)

    def bbands(self, period: int = 20, num_std: float = 2.0) -> pl.Expr:
        """Bollinger Bands as a struct of upper, middle, lower; see :func:`nse_polars.bbands`."""
        return functions.bbands(self._expr, period, num_std)

    def overlay(
        self,
        *,
        sma: int = 20,
        ema: int = 20,
        rsi: int = 14,
        macd: tuple[int, int, int] = (12, 26, 9),
        bbands: tuple[int, float] = (20, 2.0),
    ) -> pl.Expr:
        """All five as one struct; see :func:`nse_polars.overlay`."""
        return functions.overlay(self._expr, sma=sma, ema=ema, rsi=rsi, macd=macd, bbands=bbands)


class _FrameNamespace:
    """Shared by DataFrame and LazyFrame: both have the same ``with_columns``."""

    def __init__(self, frame: pl.DataFrame | pl.LazyFrame) -> None:
        self._frame = frame

    def overlay(
        self,
        column: IntoExpr = "close",
        *,
        sma: int = 20,
        ema: int = 20,
        rsi: int = 14,
        macd: tuple[int, int, int] = (12, 26, 9),
        bbands: tuple[int, float] = (20, 2.0),
        over: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """
        Add the five indicators as nine columns: ``sma_<n>``, ``ema_<n>``, ``rsi_<n>``,
        ``macd``, ``macd_signal``, ``macd_hist``, ``bb_upper``, ``bb_middle``, ``bb_lower``.

        Parameters
        ----------
        column
            The price column, default ``"close"``.
        sma, ema, rsi, macd, bbands
            Indicator parameters, as in :func:`nse_polars.overlay`.
        over
            A column to compute per group of (e.g. ``"symbol"``), in the frame's row order
            within each group.
        """
        expr = functions.overlay(column, sma=sma, ema=ema, rsi=rsi, macd=macd, bbands=bbands)
        if over is not None:
            expr = expr.over(over)
        return self._frame.with_columns(expr.alias("__nse_overlay")).unnest("__nse_overlay")


@pl.api.register_dataframe_namespace("nse")
class DataFrameNamespace(_FrameNamespace):
    """``df.nse.overlay()``."""


@pl.api.register_lazyframe_namespace("nse")
class LazyFrameNamespace(_FrameNamespace):
    """``lf.nse.overlay()``."""
