"""Price-range indicators over high, low and close, as Polars expressions (the source of
truth), plus the ``.nse`` namespace methods that forward to them (mixed into namespace.py).

Multi-input convention, used by every family: the free function takes each input column by
keyword, with the canonical column name as the default
(``atr(high="high", low="low", close="close", period=14)``); on the Expr namespace the
expression itself is the ``close`` input when the indicator reads close, otherwise its first
input (``pl.col("close").nse.atr(14, high="high", low="low")``).
"""

from __future__ import annotations

__all__: list[str] = []


class HlcExprMethods:
    """Mixed into the Expr ``.nse`` namespace; ``self._expr`` is the column."""


class HlcFrameMethods:
    """Mixed into the DataFrame/LazyFrame ``.nse`` namespace (``self._add`` adds columns)."""
