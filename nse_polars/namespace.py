"""The ``.nse`` namespaces on Expr, DataFrame and LazyFrame; they only forward to functions.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from nse_polars import _plugin, functions
from nse_polars.hlc_indicators import HlcExprMethods, HlcFrameMethods
from nse_polars.price_indicators import PriceExprMethods, PriceFrameMethods
from nse_polars.volume_indicators import VolumeExprMethods, VolumeFrameMethods

if TYPE_CHECKING:
    from polars._typing import IntoExpr

    from nse_polars.backtest import BacktestResult, SweepResult


@pl.api.register_expr_namespace("nse")
class ExprNamespace(PriceExprMethods, HlcExprMethods, VolumeExprMethods):
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


class _FrameNamespace(PriceFrameMethods, HlcFrameMethods, VolumeFrameMethods):
    """Shared by DataFrame and LazyFrame: indicators added as columns, optionally per group.

    ``by="symbol"`` computes each symbol on its own rows, in frame order, in one native call
    that runs the symbols in parallel (OpenMP); rows need not be sorted or contiguous, and the
    frame's row order is kept. The result equals ``.over("symbol")`` on each expression.
    """

    def __init__(self, frame: pl.DataFrame | pl.LazyFrame) -> None:
        self._frame = frame

    def _schema(self) -> pl.Schema:
        frame = self._frame
        return frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema

    def _add(
        self,
        name: str,
        column: IntoExpr | list[IntoExpr],
        names: list[str],
        by: str | None,
        **params: object,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add indicator `name` over `column` (a list for multi-input indicators, in the
        table's input order) as columns `names`, optionally per group of `by`."""
        key = None if by is None else _plugin.group_key(self._schema(), by)
        columns = column if isinstance(column, list) else [column]
        expr = _plugin.call(name, columns, group_key=key, **params)
        return self._with(expr, names)

    def _with(self, expr: pl.Expr, names: list[str]) -> pl.DataFrame | pl.LazyFrame:
        if len(names) == 1:
            return self._frame.with_columns(expr.alias(names[0]))
        struct = "__nse_polars_struct"
        expr = expr.struct.rename_fields(names).alias(struct)
        return self._frame.with_columns(expr).unnest(struct)

    def sma(
        self, column: IntoExpr = "close", period: int = 20, *, by: str | None = None
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``sma_<period>``; see :func:`nse_polars.sma`."""
        return self._add("sma", column, [f"sma_{period}"], by, period=period)

    def ema(
        self,
        column: IntoExpr = "close",
        period: int = 20,
        *,
        seed: Literal["sma", "first"] = "sma",
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``ema_<period>``; see :func:`nse_polars.ema`."""
        return self._add("ema", column, [f"ema_{period}"], by, period=period, seed=seed)

    def rsi(
        self, column: IntoExpr = "close", period: int = 14, *, by: str | None = None
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``rsi_<period>``; see :func:`nse_polars.rsi`."""
        return self._add("rsi", column, [f"rsi_{period}"], by, period=period)

    def macd(
        self,
        column: IntoExpr = "close",
        fast: int = 12,
        slow: int = 26,
        signal: int = 9,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``macd``, ``macd_signal``, ``macd_hist``; see :func:`nse_polars.macd`."""
        return self._add(
            "macd", column, functions.MACD_COLUMNS, by, fast=fast, slow=slow, signal=signal
        )

    def bbands(
        self,
        column: IntoExpr = "close",
        period: int = 20,
        num_std: float = 2.0,
        *,
        by: str | None = None,
    ) -> pl.DataFrame | pl.LazyFrame:
        """Add ``bb_upper``, ``bb_middle``, ``bb_lower``; see :func:`nse_polars.bbands`."""
        return self._add(
            "bbands", column, functions.BBANDS_COLUMNS, by, period=period, num_std=num_std
        )

    def overlay(
        self,
        column: IntoExpr = "close",
        *,
        sma: int = 20,
        ema: int = 20,
        rsi: int = 14,
        macd: tuple[int, int, int] = (12, 26, 9),
        bbands: tuple[int, float] = (20, 2.0),
        by: str | None = None,
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
        by
            A column to compute per group of (e.g. ``"symbol"``): each group on its own rows in
            frame order, all groups in one parallel native call.
        """
        key = None if by is None else _plugin.group_key(self._schema(), by)
        names = functions.overlay_columns(sma=sma, ema=ema, rsi=rsi, macd=macd, bbands=bbands)
        expr = functions._overlay(column, key, sma=sma, ema=ema, rsi=rsi, macd=macd, bbands=bbands)
        return self._with(expr, names)

    def backtest(self, *args: Any, **kwargs: Any) -> BacktestResult:
        """Backtest this frame; see :func:`nse_polars.backtest` (same arguments after `df`)."""
        from nse_polars.backtest import backtest

        return backtest(self._frame, *args, **kwargs)

    def sweep(self, *args: Any, **kwargs: Any) -> SweepResult:
        """A native parameter sweep over this frame; see :func:`nse_polars.sweep`."""
        from nse_polars.backtest import sweep

        return sweep(self._frame, *args, **kwargs)


@pl.api.register_dataframe_namespace("nse")
class DataFrameNamespace(_FrameNamespace):
    """``df.nse.overlay()``, ``df.nse.rsi(by="symbol")``, ..."""


@pl.api.register_lazyframe_namespace("nse")
class LazyFrameNamespace(_FrameNamespace):
    """``lf.nse.overlay()``, ``lf.nse.rsi(by="symbol")``, ..."""
