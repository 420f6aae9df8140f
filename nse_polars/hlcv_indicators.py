"""Indicators over several columns (high, low, close, volume, open, a benchmark), as Polars
expressions, plus the ``.nse`` namespace methods that forward to them (mixed into namespace.py).

Convention, used everywhere: the free function takes every input column by keyword with the
canonical column name as default (``atr(high="high", low="low", close="close", period=14)``);
on the Expr namespace the expression itself is the ``close`` input when the indicator reads
close, otherwise its first input (``pl.col("close").nse.atr(14, high="high", low="low")``).
"""

from __future__ import annotations

__all__: list[str] = []


class HlcvExprMethods:
    """Mixed into the Expr ``.nse`` namespace; ``self._expr`` is the column."""


class HlcvFrameMethods:
    """Mixed into the DataFrame/LazyFrame ``.nse`` namespace (``self._add`` adds columns)."""
