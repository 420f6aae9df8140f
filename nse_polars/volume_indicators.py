"""Indicators that read volume or open, session VWAP and statistics against a benchmark
column, as Polars expressions (the source of truth), plus the ``.nse`` namespace methods that
forward to them (mixed into namespace.py).

Inputs follow the multi-input convention of :mod:`nse_polars.hlc_indicators`.
"""

from __future__ import annotations

__all__: list[str] = []


class VolumeExprMethods:
    """Mixed into the Expr ``.nse`` namespace; ``self._expr`` is the column."""


class VolumeFrameMethods:
    """Mixed into the DataFrame/LazyFrame ``.nse`` namespace (``self._add`` adds columns)."""
