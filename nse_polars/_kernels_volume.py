"""numpy/Arrow functions of the volume, VWAP and benchmark indicators.

Re-exported by :mod:`nse_polars.kernels`; each calls ``_compute`` / ``_compute_many`` there.
"""

from __future__ import annotations

__all__: list[str] = []
