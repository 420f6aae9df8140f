"""Volume family at 1,000,000 bars: each function against TA-Lib's in the same process.

For every function: TA-Lib (where it has it), the numpy door (``nse_polars.kernels``) and the
Polars expression (``df.select(...)``), interleaved, median of the runs. Every timed nse_polars
output is checked against TA-Lib (or, for the functions TA-Lib lacks, a numpy/Polars
reference) before anything is timed. ``--write-readme`` replaces the ``bench:volume`` section
of README.md.

    python benchmarks/bench_volume.py [--rows 1000000] [--repeats 9] [--write-readme]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import talib

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_indicators import environment, fmt_ms, time_call, write_readme

import nse_polars as nse

START_MARKER = "<!-- bench:volume:start -->"
END_MARKER = "<!-- bench:volume:end -->"
SEED = 20_240_602


@dataclass
class Case:
    label: str
    reference: Callable[[], np.ndarray] | None  # TA-Lib, or None
    reference_name: str
    kernel: Callable[[], np.ndarray]
    expr: Callable[[], pl.Expr]
    check: Callable[[], np.ndarray]  # the value to check against when there is no TA-Lib
    atol: float = 0.0


def make_bars(rows: int) -> pl.DataFrame:
    rng = np.random.default_rng(SEED)
    close = 1000.0 * np.exp(np.cumsum(rng.normal(0, 1e-3, rows)))
    spread = close * 0.002 * rng.random(rows)
    high = close + spread * rng.random(rows)
    low = close - spread * rng.random(rows)
    open_ = low + (high - low) * rng.random(rows)
    volume = rng.integers(0, 100_000, rows).astype(np.float64)
    bench = 20_000.0 * np.exp(np.cumsum(rng.normal(0, 1e-3, rows)))
    session = (np.arange(rows) // 75).astype(np.float64)  # 75 five-minute bars per session
    return pl.DataFrame(
        {
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
            "bench": bench,
            "session": session,
        }
    )


def polars_vwap(df: pl.DataFrame) -> np.ndarray:
    """Reference session VWAP in native Polars: cumulative sums over each session."""
    tp = (pl.col("high") + pl.col("low") + pl.col("close")) / 3.0
    volume = pl.col("volume").cum_sum().over("session")
    weighted = (tp * pl.col("volume")).cum_sum().over("session")
    expr = pl.when(volume != 0).then(weighted / volume).otherwise(tp)
    return df.select(expr).to_series().to_numpy()


def numpy_rolling(x: np.ndarray, b: np.ndarray, period: int, what: str) -> np.ndarray:
    """Reference two-pass rolling statistics over sliding windows (numpy, O(N * period))."""
    from numpy.lib.stride_tricks import sliding_window_view as windows

    wx = windows(x, period)
    wb = windows(b, period)
    dx = wx - wx.mean(axis=1, keepdims=True)
    db = wb - wb.mean(axis=1, keepdims=True)
    cxb = (dx * db).sum(axis=1)
    out = np.full(len(x), np.nan)
    if what == "cov":
        out[period - 1 :] = cxb / period
    elif what == "corr":
        out[period - 1 :] = cxb / np.sqrt((dx * dx).sum(axis=1) * (db * db).sum(axis=1))
    else:
        out[period - 1 :] = cxb / (db * db).sum(axis=1)
    return out


def cases(df: pl.DataFrame) -> list[Case]:
    o, h, lo, c, v, b, s = (
        df[k].to_numpy() for k in ("open", "high", "low", "close", "volume", "bench", "session")
    )
    k = nse.kernels
    return [
        Case(
            "OBV",
            lambda: talib.OBV(c, v),
            "talib.OBV",
            lambda: k.obv(c, v),
            lambda: nse.obv(),
            lambda: talib.OBV(c, v),
        ),
        Case(
            "AD",
            lambda: talib.AD(h, lo, c, v),
            "talib.AD",
            lambda: k.ad(h, lo, c, v),
            lambda: nse.ad(),
            lambda: talib.AD(h, lo, c, v),
        ),
        Case(
            "ADOSC 3/10",
            lambda: talib.ADOSC(h, lo, c, v, 3, 10),
            "talib.ADOSC",
            lambda: k.adosc(h, lo, c, v, 3, 10),
            lambda: nse.adosc(fast=3, slow=10),
            lambda: talib.ADOSC(h, lo, c, v, 3, 10),
        ),
        Case(
            "MFI 14",
            lambda: talib.MFI(h, lo, c, v, 14),
            "talib.MFI",
            lambda: k.mfi(h, lo, c, v, 14),
            lambda: nse.mfi(period=14),
            lambda: talib.MFI(h, lo, c, v, 14),
            atol=1e-9,
        ),
        Case(
            "BOP",
            lambda: talib.BOP(o, h, lo, c),
            "talib.BOP",
            lambda: k.bop(o, h, lo, c),
            lambda: nse.bop(),
            lambda: talib.BOP(o, h, lo, c),
        ),
        Case(
            "BETA 5",
            lambda: talib.BETA(b, c, 5),
            "talib.BETA(bench, x)",
            lambda: k.beta(c, b, 5),
            lambda: nse.beta("close", "bench", 5),
            lambda: talib.BETA(b, c, 5),
            atol=1e-9,
        ),
        Case(
            "CORREL 30",
            lambda: talib.CORREL(c, b, 30),
            "talib.CORREL",
            lambda: k.correl(c, b, 30),
            lambda: nse.correl("close", "bench", 30),
            lambda: talib.CORREL(c, b, 30),
            atol=1e-9,
        ),
        Case(
            "VWAP (session)",
            None,
            "Polars cum_sum().over(session)",
            lambda: k.vwap(h, lo, c, v, s),
            lambda: nse.vwap(session="session"),
            lambda: polars_vwap(df),
        ),
        Case(
            "rolling_cov 20",
            None,
            "numpy two-pass",
            lambda: k.rolling_cov(c, b, 20),
            lambda: nse.rolling_cov("close", "bench", 20),
            lambda: numpy_rolling(c, b, 20, "cov"),
        ),
        Case(
            "rolling_corr 20",
            None,
            "numpy two-pass",
            lambda: k.rolling_corr(c, b, 20),
            lambda: nse.rolling_corr("close", "bench", 20),
            lambda: numpy_rolling(c, b, 20, "corr"),
        ),
        Case(
            "rolling_beta 20",
            None,
            "numpy two-pass",
            lambda: k.rolling_beta(c, b, 20),
            lambda: nse.rolling_beta("close", "bench", 20),
            lambda: numpy_rolling(c, b, 20, "beta"),
        ),
    ]


def check(case: Case, df: pl.DataFrame) -> float:
    """Max |error| / max(|reference|) over the non-null rows, for both doors; raises if > 1e-9
    (plus the absolute allowance of CORREL/BETA/MFI, whose TA-Lib running sums drift)."""
    want = case.check()
    worst = 0.0
    for got in (case.kernel(), df.select(case.expr()).to_series().to_numpy()):
        got = np.asarray(got, dtype=np.float64)
        if not np.array_equal(np.isnan(got), np.isnan(want)):
            raise RuntimeError(f"{case.label}: null rows differ from {case.reference_name}")
        ok = ~np.isnan(want)
        err = np.abs(got[ok] - want[ok])
        if not np.all(err <= 1e-9 * np.abs(want[ok]) + case.atol + 1e-12):
            raise RuntimeError(f"{case.label}: differs from {case.reference_name}")
        worst = max(worst, float(err.max() / max(np.abs(want[ok]).max(), 1e-300)))
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args(argv)
    df = make_bars(args.rows)
    rows = cases(df)
    errors = {case.label: check(case, df) for case in rows}
    timings: dict[str, dict[str, list[int]]] = {c.label: {} for c in rows}
    calls = []
    for case in rows:
        calls.append((case.label, "kernel", case.kernel))
        calls.append((case.label, "expr", lambda case=case: df.select(case.expr())))
        calls.append((case.label, "reference", case.reference or case.check))
    for _label, _who, call in calls:  # warm up
        call()
    for _ in range(args.repeats):
        for label, who, call in calls:
            timings[label].setdefault(who, []).append(time_call(call)[0])

    lines = [
        "| function | reference | reference ms | nse kernel ms | nse expr ms | kernel / reference "
        "| ns per bar (kernel) | max rel. error |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in rows:
        t = {who: float(np.median(v)) for who, v in timings[case.label].items()}
        ratio = t["kernel"] / t["reference"]
        lines.append(
            f"| {case.label} | {case.reference_name} | {fmt_ms(t['reference'])} | "
            f"{fmt_ms(t['kernel'])} | {fmt_ms(t['expr'])} | {ratio:.2f}x | "
            f"{t['kernel'] / args.rows:.2f} | {errors[case.label]:.1e} |"
        )
    env = environment()
    header = (
        f"Run {env['date_utc']} (UTC) on {env['cores']} cores, {env['cpu']}; polars "
        f"{env['polars']}, TA-Lib {env['talib']}, numpy {env['numpy']}, nse_polars "
        f"{env['nse_polars']} (build {env['nse_polars_build']}), Python {env['python']}; "
        f"{args.rows:,} bars (random walks near 1,000 and 20,000, 75-bar sessions); median of "
        f"{args.repeats} runs, competitors interleaved in the same process. Competitor: TA-Lib's "
        "function where it has one; for the others a reference that TA-Lib lacks: native "
        "Polars cumulative sums per session for VWAP, numpy two-pass sliding windows for the "
        "rolling statistics (O(N x period), for correctness and scale only)."
    )
    notes = (
        "Every nse_polars output (both doors) was checked against the reference before timing "
        "(max rel. error: largest |difference| / largest |reference|). The ratio is the numpy "
        "door against the reference; times are wall-clock per call (`time.perf_counter_ns`)."
    )
    block = "\n".join([header, "", *lines, "", notes])
    print(block)
    if args.write_readme:
        write_readme(block, start_marker=START_MARKER, end_marker=END_MARKER)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
