"""nse_polars: C++ technical indicators as native Polars expressions.

>>> import polars as pl
>>> import nse_polars  # registers the ``.nse`` namespaces
>>> expr = pl.col("close").nse.rsi(14)
"""

from nse_polars import _plugin  # noqa: F401, I001  (first: a clear error if _core is missing)
from nse_polars import kernels, synthetic
from nse_polars import namespace as _namespace  # noqa: F401  (registers ``.nse``)
from nse_polars import stats, strategies
from nse_polars.backtest import BacktestResult, CostModel, SweepResult, backtest, sweep
from nse_polars.functions import bbands, ema, macd, overlay, overlay_columns, rsi, sma
from nse_polars.synthetic import generate_ohlcv
from nse_polars.walk_forward import WalkForwardResult, walk_forward
from nse_polars.price_indicators import *  # noqa: F403
from nse_polars.hlc_indicators import *  # noqa: F403
from nse_polars.volume_indicators import *  # noqa: F403
from nse_polars import hlc_indicators as _hlc, price_indicators as _price
from nse_polars import volume_indicators as _volume
from nse_polars.ohlcv import OHLCVReadError, OHLCVResult, OHLCVValidationError
from nse_polars.ohlcv import read_ohlcv, scan_ohlcv, validate_ohlcv
from nse_polars.sessions import Session, fill_gaps

__version__ = "0.1.0"

__all__ = [
    "BacktestResult",
    "CostModel",
    "SweepResult",
    "WalkForwardResult",
    "backtest",
    "bbands",
    "ema",
    "generate_ohlcv",
    "kernels",
    "macd",
    "overlay",
    "overlay_columns",
    "rsi",
    "sma",
    "stats",
    "strategies",
    "sweep",
    "synthetic",
    "walk_forward",
]
__all__ += _price.__all__ + _hlc.__all__ + _volume.__all__
__all__ += ["OHLCVResult", "Session", "fill_gaps", "read_ohlcv", "scan_ohlcv", "validate_ohlcv"]
__all__ += ["OHLCVReadError", "OHLCVValidationError"]

# Modules with optional dependencies, imported on first use: ``nse.sql`` (duckdb), ``nse.dist``
# (dask), ``nse.server`` (fastapi), ``nse.report`` (plotly), ``nse.cli``.
_LAZY_MODULES = ("cli", "dist", "report", "server", "sql")


def __getattr__(name: str) -> object:
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f"nse_polars.{name}")
    msg = f"module 'nse_polars' has no attribute {name!r}"
    raise AttributeError(msg)
