"""The engine computes the curve statistics while it marks each segment (one pass, two lanes at
a time with SSE2), not in separate passes over the finished curve. These tests recompute them
from the engine's own equity column the plain way (returns E_t / E_(t-1) - 1, 0 after ruin;
sums in four lanes, bar t in lane t % 4, added left to right; drawdown against the running
peak) and require the metrics bit for bit, on curves whose segments start and end at every
offset of a four-bar block, with missing closes, a ruin in mid-block and a curve from bar 0.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

import nse_polars as nse

A = 252.0
C0 = 100_000.0


def lanes(x: np.ndarray) -> float:
    """Four interleaved running sums (bar t in lane t % 4, left to right), then (0+1)+(2+3)."""
    s = [float(np.cumsum(x[k::4])[-1]) if x[k::4].size else 0.0 for k in range(4)]
    return (s[0] + s[1]) + (s[2] + s[3])


def oracle(equity: np.ndarray, mar: float, risk_free: float) -> dict[str, float]:
    n = len(equity)
    prev = np.r_[C0, equity[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = equity / prev - 1.0
    ruined = np.flatnonzero(equity <= 0)
    if ruined.size:
        r[ruined[0] + 1 :] = 0.0
    mean = lanes(r) / n
    sd = math.sqrt(lanes((r - mean) ** 2) / (n - 1))
    below = np.minimum(r - mar / A, 0.0)
    dd = math.sqrt(lanes(below * below) / n)
    peak = np.maximum.accumulate(np.r_[C0, equity])[1:]
    worst = min(float(np.min(equity / peak - 1.0)), 0.0)
    return {
        "returns": r,
        "annual_vol": sd * math.sqrt(A),
        "sharpe": (mean - risk_free / A) / sd * math.sqrt(A),
        "sortino": (mean - mar / A) / dd * math.sqrt(A),
        "max_drawdown": worst,
    }


def bits(x: float) -> int:
    return int(np.float64(x).view(np.uint64))


def frame(seed: int, n: int, vol: float, missing: float) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, vol, n)))
    open_ = np.r_[close[0], close[:-1]] * (1 + rng.normal(0, vol / 5, n))
    close[rng.random(n) < missing] = np.nan
    # Signals at every spacing 1..9 so that segments start and end at every block offset.
    gaps = rng.integers(1, 10, n)
    at = np.cumsum(gaps)
    at = at[at < n]
    entries = np.zeros(n, dtype=bool)
    exits = np.zeros(n, dtype=bool)
    entries[at[0::2]] = True
    exits[at[1::2]] = True
    entries[0] = True  # a position from the first fill, a segment from bar 0
    return pl.DataFrame(
        {"open": open_, "close": close, "e": entries, "x": exits, "se": exits, "sx": entries}
    )


CASES = [
    pytest.param(1, 997, 0.01, 0.0, {}, id="plain"),
    pytest.param(2, 1003, 0.01, 0.05, {}, id="missing-closes"),
    pytest.param(3, 1001, 0.01, 0.0, {"costs": 25, "mar": 0.08, "risk_free": 0.05}, id="costs"),
    pytest.param(
        4,
        2002,
        0.3,
        0.0,
        {"short_entries": "se", "short_exits": "sx", "allow_short": True, "costs": 100},
        id="ruin",
    ),
    pytest.param(5, 5, 0.01, 0.0, {}, id="five-bars"),
]


@pytest.mark.parametrize(("seed", "n", "vol", "missing", "options"), CASES)
def test_curve_statistics_bit_for_bit(
    seed: int, n: int, vol: float, missing: float, options: dict
) -> None:
    df = frame(seed, n, vol, missing)
    res = nse.backtest(df, "e", "x", ts=None, bars_per_year=A, **options)
    equity = res.equity["equity"].to_numpy()
    want = oracle(equity, options.get("mar", 0.0), options.get("risk_free", 0.0))
    got_r = res.equity["return"].to_numpy()
    assert np.array_equal(got_r.view(np.uint64), want["returns"].view(np.uint64))
    m = res.metrics.row(0, named=True)
    for name in ("annual_vol", "sharpe", "sortino", "max_drawdown"):
        assert m[name] is not None and bits(m[name]) == bits(want[name]), name
    if options.get("allow_short"):
        assert equity[-1] == 0.0, "the ruin case must end ruined"


def _rle_starts(s: pl.Series) -> np.ndarray:
    lengths = s.rle().struct.field("len").to_numpy()
    return np.r_[0, np.cumsum(lengths[:-1])].astype(np.int64)


def test_symbol_runs_from_the_key_scan_match_rle() -> None:
    """The groups of `by` (String or integer) come from the native key scan of the by= path
    (kernels/arrow_io.cpp, read_group_runs) over the column's Arrow buffers: short strings
    inline, long ones in data buffers, the empty string, equal prefixes, nulls, integer widths,
    a sliced and a chunked column. Each must give the run starts of Polars' rle."""
    from nse_polars import _core
    from nse_polars.backtest import _run_starts

    rng = np.random.default_rng(3)
    short = [f"S{i}" for i in range(50)]
    long_ = [f"A-very-long-symbol-name-{i:04d}" for i in range(50)]
    edge = ["", "a", "ab", "abcdefghijkl", "abcdefghijklm", "abcdefghijkm", "abcdefghijklmn"]
    cases = []
    for pool in (short, long_, short + long_, edge):
        for runs in (1, 3, 40):
            values = np.repeat(rng.choice(pool, runs), rng.integers(1, 50, runs))
            cases.append(pl.Series("__by", values))
    base = pl.Series("__by", np.repeat(long_[:10] + short[:10], 100))
    cases += [base.slice(37, 1500), pl.concat([base, base], rechunk=False)]
    cases.append(pl.Series("__by", ["x", None, None, "x", "x", None]))
    for dtype in (pl.Int8, pl.UInt16, pl.Int32, pl.UInt64):
        keys = np.repeat(rng.integers(0, 4, 30), rng.integers(1, 6, 30))
        cases.append(pl.Series("__by", keys).cast(dtype))
        cases.append(pl.Series("__by", [1, None, None, 1, 2, 2, None]).cast(dtype).slice(1))
    for s in cases:
        want = _rle_starts(s) if s.len() else np.empty(0, np.int64)
        assert np.array_equal(_core.group_run_starts(s.__arrow_c_stream__()), want), s.head(5)
        assert np.array_equal(_run_starts(pl.DataFrame({"__by": s})), want)
    assert (
        _core.group_run_starts(pl.Series("__by", [], dtype=pl.String).__arrow_c_stream__()).size
        == 0
    )
