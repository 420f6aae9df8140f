"""numpy/Arrow functions of the price-range indicators (high, low, close).

Re-exported by :mod:`nse_polars.kernels`; each calls ``_compute`` / ``_compute_many`` there.
"""

from __future__ import annotations

__all__: list[str] = []
