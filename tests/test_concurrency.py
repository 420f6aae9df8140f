"""Concurrency: 8 Python threads and Polars' own thread pool calling the plugin and the pybind11
functions at once give the serial answers bit for bit; the GIL is released while every
pybind11 function computes.

Table-driven from ``nse_polars._core.describe()`` (every indicator, every door).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from indicator_table import (
    INDICATORS,
    NAMES,
    assert_same_bits,
    bar_inputs,
    defaults,
    make_valid,
    output_columns,
    plugin_expr,
    run_numpy,
)

THREADS = 8
ROUNDS = 2
ROWS = 2_000
GROUPS = 5

Task = Callable[[], list[Any]]


def small_params(name: str) -> dict[str, Any]:
    """The defaults with every integer parameter shrunk (short warm-ups: more values)."""
    params = defaults(name)
    for i, spec in enumerate(INDICATORS[name]["params"]):
        if spec["kind"] == "int":
            params[spec["name"]] = max(int(spec["min"]), min(int(spec["default"]), 3 + 2 * i))
    return make_valid(name, params)


def frame_for(name: str, seed: int) -> pl.DataFrame:
    """ROWS bars of GROUPS interleaved symbols, with some nulls and NaN, in two chunks."""
    inputs = bar_inputs(name, ROWS, seed)
    rng = np.random.default_rng(seed)
    columns = {}
    for role, values in inputs.items():
        v = values.copy()
        v[rng.random(ROWS) < 0.02] = np.nan
        columns[role] = pa.array(v, mask=rng.random(ROWS) < 0.02)
    frame = pl.DataFrame(columns).with_columns(
        pl.Series("key", rng.integers(0, GROUPS, ROWS)).cast(pl.Int64)
    )
    half = ROWS // 2
    return pl.concat([frame.slice(0, half), frame.slice(half)], rechunk=False)


def tasks() -> list[tuple[str, Task]]:
    """Every indicator through every door: plugin (plain, by=, .over, lazy streaming), numpy,
    Arrow (chunked); plus all indicators in one select (Polars runs them on its pool)."""
    out: list[tuple[str, Task]] = []
    everything = []
    for i, name in enumerate(NAMES):
        params = small_params(name)
        frame = frame_for(name, seed=i)
        roles = INDICATORS[name]["inputs"]
        numpy_inputs = {r: frame[r].fill_null(np.nan).to_numpy() for r in roles}
        arrow_inputs = {r: frame[r].to_arrow() for r in roles}
        expr = plugin_expr(name, params)
        everything.append(expr.alias(name))

        def plugin(frame=frame, expr=expr) -> list[Any]:
            return output_columns(frame.select(expr).to_series())

        def by(frame=frame, name=name, params=params) -> list[Any]:
            return output_columns(frame.select(plugin_expr(name, params, by="key")).to_series())

        def over(frame=frame, expr=expr) -> list[Any]:
            return output_columns(frame.select(expr.over("key")).to_series())

        def streaming(frame=frame, expr=expr) -> list[Any]:
            lazy = frame.lazy().select(expr)
            return output_columns(lazy.collect(engine="streaming").to_series())

        def numpy(inputs=numpy_inputs, name=name, params=params) -> list[Any]:
            return list(run_numpy(inputs, name, params))

        def arrow(inputs=arrow_inputs, name=name, params=params) -> list[Any]:
            return list(run_numpy(inputs, name, params))

        for door, task in [
            ("plugin", plugin),
            ("by", by),
            ("over", over),
            ("streaming", streaming),
            ("numpy", numpy),
            ("arrow", arrow),
        ]:
            out.append((f"{name} {door}", task))
    # Every input any indicator takes, as one frame of bars.
    bars = {}
    for name in NAMES:
        bars.update(bar_inputs(name, ROWS, seed=99))
    wide = pl.DataFrame(bars)

    def all_at_once(frame=wide) -> list[Any]:
        result = frame.select(everything)
        return [col for name in NAMES for col in output_columns(result[name])]

    out.append(("all indicators in one select", all_at_once))
    return out


def test_threads_give_the_serial_answers() -> None:
    work = tasks()
    serial = [task() for _, task in work]
    barrier = threading.Barrier(THREADS)

    def worker(seed: int) -> list[tuple[int, list[Any]]]:
        order = list(range(len(work)))
        random.Random(seed).shuffle(order)
        barrier.wait()  # every thread starts together
        done = []
        for _ in range(ROUNDS):
            for i in order:
                done.append((i, work[i][1]()))
        return done

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    assert sum(len(r) for r in results) == THREADS * ROUNDS * len(work)
    for per_thread in results:
        for i, outputs in per_thread:
            label, _ = work[i]
            assert len(outputs) == len(serial[i]), label
            for k, (got, want) in enumerate(zip(outputs, serial[i], strict=True)):
                assert_same_bits(got, want, f"{label} output {k}, threaded vs serial")


# --- the GIL ------------------------------------------------------------------------------

LONG_CALL_SECONDS = 0.03
MAX_ROWS = 4_000_000


class Ticker:
    """A Python thread that records the time every 0.2 ms or so whenever it can run (it needs
    the GIL for each record)."""

    def __init__(self) -> None:
        self.ticks: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        ticks = self.ticks
        while not self._stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(2e-4)  # a bounded record, however long the call

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def between(self, start: float, end: float) -> int:
        return sum(start < t < end for t in self.ticks)


@cache
def long_bars(n: int) -> dict[str, np.ndarray]:
    """Every input any indicator takes, n rows, every 7th row missing (the native code then
    compacts and scatters, which is slower: longer calls from less memory)."""
    bars: dict[str, np.ndarray] = {}
    seen: set[tuple[str, ...]] = set()
    for name in NAMES:  # once per distinct set of inputs: generating 4M-row bars takes time
        roles = tuple(INDICATORS[name]["inputs"])
        if roles not in seen:
            seen.add(roles)
            bars.update(bar_inputs(name, n, seed=5))
    for values in bars.values():
        values[::7] = np.nan
    return bars


def long_inputs(name: str, door: str) -> tuple[dict[str, Any], float]:
    """Inputs long enough for a call of LONG_CALL_SECONDS or more; returns them and the time
    of one call on them."""
    n = 1_000_000
    while True:
        bars = long_bars(n)
        inputs = {
            role: bars[role] if door == "numpy" else pa.array(bars[role], from_pandas=True)
            for role in INDICATORS[name]["inputs"]
        }
        start = time.perf_counter()
        run_numpy(inputs, name, {})
        elapsed = time.perf_counter() - start
        if elapsed >= LONG_CALL_SECONDS or n >= MAX_ROWS:
            return inputs, elapsed
        n *= 2


@pytest.mark.parametrize("door", ["numpy", "arrow"])
@pytest.mark.parametrize("name", NAMES)
def test_gil_released_during_long_calls(name: str, door: str) -> None:
    """Another Python thread runs during the middle half of a long call: the call does not
    hold the GIL while it computes. (Holding it, the other thread could not run at all there.)
    """
    inputs, elapsed = long_inputs(name, door)
    if elapsed < LONG_CALL_SECONDS / 3:
        pytest.skip(f"{name}: calls too short to tell ({elapsed * 1e3:.1f} ms)")
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # hand the GIL over promptly when the call asks for it back
    try:
        seen = []
        for _attempt in range(3):  # a loaded machine may not schedule the thread at once
            with Ticker() as ticker:
                time.sleep(0.005)
                start = time.perf_counter()
                run_numpy(inputs, name, {})
                end = time.perf_counter()
            quarter = (end - start) / 4
            seen.append(ticker.between(start + quarter, end - quarter))
            if seen[-1]:
                break
    finally:
        sys.setswitchinterval(old)
    assert seen[-1] > 0, (
        f"{name} ({door} door): no other Python thread ran during the middle half of "
        f"{(end - start) * 1e3:.0f} ms calls, {len(seen)} attempts: the GIL was held"
    )


def test_gil_check_detects_a_held_gil() -> None:
    """The check above can fail: during one long C call that keeps the GIL (`sorted` of a
    large list never returns to the interpreter loop) the other thread does not run."""
    values = np.random.default_rng(0).random(400_000).tolist()
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        with Ticker() as ticker:
            time.sleep(0.005)
            start = time.perf_counter()
            sorted(values)
            end = time.perf_counter()
    finally:
        sys.setswitchinterval(old)
    quarter = (end - start) / 4
    assert end - start > 0.01
    assert ticker.between(start + quarter, end - quarter) == 0
