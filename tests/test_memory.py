"""The output-buffer pool: buffers come back when results are dropped, and are reused."""

from __future__ import annotations

import gc

import numpy as np
import polars as pl

import nse_polars as nse
from nse_polars import _core

ROWS = 100_000  # 800 KB per column: large enough to be pooled


def test_released_buffers_are_cached_then_freed() -> None:
    nse.kernels.free_cached_buffers()
    frame = pl.DataFrame({"close": np.linspace(100.0, 200.0, ROWS)})
    result = frame.nse.overlay()
    assert _core.pool_stats()[0] == 0  # in use, not cached
    del result
    gc.collect()
    cached = _core.pool_stats()[0]
    # nine value buffers of ROWS doubles (and their bitmaps) are back in the pool
    assert cached >= 9 * ROWS * 8
    assert nse.kernels.free_cached_buffers() == cached
    assert _core.pool_stats()[0] == 0


def test_repeated_calls_reuse_the_same_buffers() -> None:
    frame = pl.DataFrame({"close": np.linspace(100.0, 200.0, ROWS)})
    frame.select(nse.macd("close"))
    gc.collect()
    steady = _core.pool_stats()[0]
    for _ in range(200):
        frame.select(nse.macd("close"))
    gc.collect()
    assert _core.pool_stats()[0] == steady
