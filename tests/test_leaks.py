"""No leaks: 10,000 repeated plugin calls (and numpy/Arrow calls, and failing calls) keep the
resident set flat, within 5 MB after a warm-up.

Table-driven from ``nse_polars._core.describe()``: the calls cycle through every indicator,
plain and ``by=``, with nulls in the input. ASan's leak checker is off under .ci/sanitize
(CPython and Polars are not leak-clean), so this is the leak test.
"""

from __future__ import annotations

import gc
import mmap
import os
import time

import numpy as np
import polars as pl
import pytest
from indicator_table import INDICATORS, NAMES, bar_inputs, defaults, plugin_expr, run_numpy

from nse_polars import _core

CALLS = 10_000
WARMUP = 1_000
ROWS = 256  # a leaked result per call would be > 2 KB: 10,000 of them are 20 MB
TOLERANCE_MB = 5.0
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 1e6


def small_frame() -> pl.DataFrame:
    bars = {}
    for name in NAMES:
        bars.update(bar_inputs(name, ROWS, seed=3))
    frame = pl.DataFrame(bars).with_columns(pl.Series("key", np.arange(ROWS) % 4, dtype=pl.Int64))
    # nulls and NaN: the compacting path, which allocates the most
    return frame.with_columns(
        pl.when(pl.int_range(pl.len()) % 9 == 0).then(None).otherwise(pl.col(c)).alias(c)
        for c in bars
    )


def plugin_calls(frame: pl.DataFrame) -> list:
    """Plugin calls for every indicator: plain, by= and one that fails inside the native code
    (a String column: its error path must free what it took)."""
    strings = frame.with_columns(pl.col(c).cast(pl.String) for c in frame.columns)
    out = []
    for name in NAMES:
        params = defaults(name)
        plain = plugin_expr(name, params)
        grouped = plugin_expr(name, params, by="key")

        def fail(expr=plain) -> None:
            with pytest.raises(pl.exceptions.ComputeError):
                strings.select(expr)

        # by= runs its groups on OpenMP threads: about 1 ms per call here even on 256 rows
        # (more on a loaded machine), so it is one call in ten.
        out += [lambda e=plain: frame.select(e)] * 8
        out += [lambda e=grouped: frame.select(e), fail]
    return out


def door_calls(frame: pl.DataFrame) -> list:
    """numpy and Arrow calls for every indicator."""
    out = []
    for name in NAMES:
        params = defaults(name)
        roles = INDICATORS[name]["inputs"]
        numpy_inputs = {r: frame[r].fill_null(np.nan).to_numpy() for r in roles}
        arrow_inputs = {r: frame[r].to_arrow() for r in roles}
        out.append(lambda i=numpy_inputs, n=name, p=params: run_numpy(i, n, p))
        out.append(lambda i=arrow_inputs, n=name, p=params: run_numpy(i, n, p))
    return out


def test_repeated_calls_keep_rss_flat() -> None:
    """10,000 plugin calls, each followed by a numpy or Arrow call."""
    frame = small_frame()
    plugin = plugin_calls(frame)
    doors = door_calls(frame)

    def step(i: int) -> None:
        plugin[i % len(plugin)]()
        doors[i % len(doors)]()

    start = time.perf_counter()
    for i in range(WARMUP):
        step(i)
    gc.collect()
    _core.pool_trim()
    before = rss_mb()
    samples = []
    for i in range(CALLS):
        step(i)
        if i % 1000 == 999:
            gc.collect()
            samples.append(round(rss_mb() - before, 2))
    _core.pool_trim()
    growth = rss_mb() - before
    elapsed = time.perf_counter() - start
    assert growth <= TOLERANCE_MB, (
        f"RSS grew {growth:.1f} MB over {CALLS} plugin calls after {WARMUP} warm-up calls "
        f"(every 1000 calls, MB: {samples}); {elapsed:.1f} s"
    )


def test_the_rss_reading_sees_new_memory() -> None:
    """The reading moves: 64 MB written to fresh anonymous pages (never recycled heap) shows.
    (Removing the release of plugin results in a scratch build made the test above fail with
    98 MB.)"""
    size = 64 << 20
    before = rss_mb()
    with mmap.mmap(-1, size) as fresh:
        fresh.write(b"\x01" * size)
        assert rss_mb() - before > 10 * TOLERANCE_MB
