"""Single-input indicators beyond the core five, as Polars expressions (the source of truth),
plus the ``.nse`` namespace methods that forward to them (mixed into namespace.py).

Conventions (as in :mod:`nse_polars.functions`): float64 out, TA-Lib definitions, seeding and
lookback; warm-up rows null; the null rule of REFERENCE.md.
"""

from __future__ import annotations

__all__: list[str] = []


class PriceExprMethods:
    """Mixed into the Expr ``.nse`` namespace; ``self._expr`` is the column."""


class PriceFrameMethods:
    """Mixed into the DataFrame/LazyFrame ``.nse`` namespace (``self._add`` adds columns)."""
