"""Time the price-family indicators against TA-Lib on one long price series.

    python benchmarks/bench_price.py [--rows 1000000] [--repeats 7] [--write-readme]
                                     [--only NAME,...]

For each function: TA-Lib's (or, where TA-Lib has none, a numpy reference), the numpy door
(``nse_polars.kernels``) and the Polars expression, all in this process, interleaved (each
repeat runs the three in an order rotated per repeat), median of the repeats. Before timing,
each nse_polars output is checked against the competitor's: within 1e-9 relative, or within
the competitor's own rounding (1e-11 of the price or output scale: TA-Lib's running sums lose digits
when an output is a small difference of prices, e.g. APO or a slope near zero). A mismatch
aborts the run: this benchmark never reports a fast wrong answer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import talib

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_indicators import (
    environment,
    make_closes,
    time_call,
    write_readme,
)

import nse_polars as nse

START_MARKER = "<!-- bench:price:start -->"
END_MARKER = "<!-- bench:price:end -->"
MA_NUM = {"sma": 0, "ema": 1, "wma": 2, "dema": 3, "tema": 4, "trima": 5, "kama": 6, "t3": 8}


@dataclass(frozen=True)
class Case:
    label: str
    name: str
    params: dict
    competitor: Callable[[np.ndarray], object]
    competitor_name: str = "TA-Lib"


def _wma_np(x: np.ndarray, p: int) -> np.ndarray:
    w = np.arange(1, p + 1, dtype=float)
    out = np.full(len(x), np.nan)
    out[p - 1 :] = np.convolve(x, w[::-1] / w.sum(), mode="valid")
    return out


def hma_numpy(x: np.ndarray, p: int) -> np.ndarray:
    """HMA from numpy convolutions (the natural numpy reference)."""
    half, root = p // 2, int(np.sqrt(p))
    d = 2 * _wma_np(x, half) - _wma_np(x, p)
    out = np.full(len(x), np.nan)
    out[p - 1 :] = _wma_np(d[p - 1 :], root)
    return out


def zscore_numpy(x: np.ndarray, p: int) -> np.ndarray:
    """Rolling z-score with numpy sliding windows (two-pass per window, O(N p))."""
    w = np.lib.stride_tricks.sliding_window_view(x, p)
    mean = w.mean(axis=1)
    std = np.sqrt(((w - mean[:, None]) ** 2).mean(axis=1))
    out = np.full(len(x), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (x[p - 1 :] - mean) / std
    out[p - 1 :] = np.where(std > 0, z, 0.0)
    return out


def cases() -> list[Case]:
    c = [
        Case("wma(30)", "wma", {"period": 30}, lambda x: talib.WMA(x, 30)),
        Case("dema(30)", "dema", {"period": 30}, lambda x: talib.DEMA(x, 30)),
        Case("tema(30)", "tema", {"period": 30}, lambda x: talib.TEMA(x, 30)),
        Case("trima(30)", "trima", {"period": 30}, lambda x: talib.TRIMA(x, 30)),
        Case("kama(30)", "kama", {"period": 30}, lambda x: talib.KAMA(x, 30)),
        Case("t3(5, 0.7)", "t3", {"period": 5, "vfactor": 0.7}, lambda x: talib.T3(x, 5, 0.7)),
        Case("stddev(5)", "stddev", {"period": 5}, lambda x: talib.STDDEV(x, 5, 1.0)),
        Case("stddev(20)", "stddev", {"period": 20}, lambda x: talib.STDDEV(x, 20, 1.0)),
        Case("var(5)", "var", {"period": 5}, lambda x: talib.VAR(x, 5)),
        Case("roc(10)", "roc", {"period": 10}, lambda x: talib.ROC(x, 10)),
        Case("rocp(10)", "rocp", {"period": 10}, lambda x: talib.ROCP(x, 10)),
        Case("rocr(10)", "rocr", {"period": 10}, lambda x: talib.ROCR(x, 10)),
        Case("rocr100(10)", "rocr100", {"period": 10}, lambda x: talib.ROCR100(x, 10)),
        Case("mom(10)", "mom", {"period": 10}, lambda x: talib.MOM(x, 10)),
        Case("cmo(14)", "cmo", {"period": 14}, lambda x: talib.CMO(x, 14)),
        Case("trix(30)", "trix", {"period": 30}, lambda x: talib.TRIX(x, 30)),
        Case("midpoint(14)", "midpoint", {"period": 14}, lambda x: talib.MIDPOINT(x, 14)),
        Case("linearreg(14)", "linearreg", {"period": 14}, lambda x: talib.LINEARREG(x, 14)),
        Case(
            "linearreg_slope(14)",
            "linearreg_slope",
            {"period": 14},
            lambda x: talib.LINEARREG_SLOPE(x, 14),
        ),
        Case(
            "linearreg_intercept(14)",
            "linearreg_intercept",
            {"period": 14},
            lambda x: talib.LINEARREG_INTERCEPT(x, 14),
        ),
        Case(
            "linearreg_angle(14)",
            "linearreg_angle",
            {"period": 14},
            lambda x: talib.LINEARREG_ANGLE(x, 14),
        ),
        Case("tsf(14)", "tsf", {"period": 14}, lambda x: talib.TSF(x, 14)),
        Case("stochrsi(14, 5, 3)", "stochrsi", {}, lambda x: talib.STOCHRSI(x, 14, 5, 3, 0)),
        Case("hma(20)", "hma", {"period": 20}, lambda x: hma_numpy(x, 20), "numpy"),
        Case("zscore(20)", "zscore", {"period": 20}, lambda x: zscore_numpy(x, 20), "numpy"),
    ]
    for ma in ("sma", "ema", "t3"):
        for name, fn in (("apo", talib.APO), ("ppo", talib.PPO)):
            c.append(
                Case(
                    f"{name}(12, 26, {ma})",
                    name,
                    {"fast": 12, "slow": 26, "ma_type": ma},
                    lambda x, fn=fn, ma=ma: fn(x, 12, 26, MA_NUM[ma]),
                )
            )
    return c


def columns(result: object) -> list[np.ndarray]:
    if isinstance(result, pl.DataFrame):
        s = result.to_series()
        if s.dtype == pl.Struct:
            return [s.struct.field(f.name).to_numpy() for f in s.dtype.fields]
        return [s.to_numpy()]
    if isinstance(result, tuple | list):
        return [np.asarray(r, dtype=float) for r in result]
    return [np.asarray(result, dtype=float)]


def check(label: str, got: list[np.ndarray], want: list[np.ndarray], price: float) -> float:
    worst = 0.0
    for g, w in zip(got, want, strict=True):
        if not np.array_equal(np.isnan(g), np.isnan(w)):
            raise RuntimeError(f"{label}: null positions differ from the competitor")
        ok = ~np.isnan(w)
        scale = np.max(np.abs(w[ok])) if ok.any() else 1.0
        err = np.abs(g[ok] - w[ok])
        tol = np.maximum(1e-9 * np.abs(w[ok]), 1e-11 * max(scale, price, 1.0))
        if not (err <= tol).all():
            raise RuntimeError(f"{label}: differs from the competitor beyond tolerance")
        rel = err / np.maximum(np.abs(w[ok]), 1e-300)
        worst = max(worst, float(np.max(np.where(err <= 1e-12 * scale, 0.0, rel), initial=0.0)))
    return worst


def run(rows: int, repeats: int, only: set[str] | None) -> tuple[list[dict], dict]:
    x = make_closes(rows)
    df = pl.DataFrame({"close": x})
    price = float(np.max(np.abs(x)))
    results = []
    for case in cases():
        if only and case.name not in only:
            continue
        kern = getattr(nse.kernels, case.name)
        free = getattr(nse, case.name)
        calls = {
            "competitor": lambda case=case: case.competitor(x),
            "kernel": lambda kern=kern, case=case: kern(x, **case.params),
            "expr": lambda free=free, case=case: df.select(free("close", **case.params)),
        }
        want = columns(calls["competitor"]())
        check(case.label + " kernel", columns(calls["kernel"]()), want, price)
        check(case.label + " expr", columns(calls["expr"]()), want, price)
        times: dict[str, list[int]] = {k: [] for k in calls}
        order = list(calls)
        for r in range(repeats):
            for who in order[r % 3 :] + order[: r % 3]:
                times[who].append(time_call(calls[who])[0])
        med = {k: statistics.median(v) for k, v in times.items()}
        results.append({"label": case.label, "competitor_name": case.competitor_name, **med})
        print(
            f"{case.label:26s} {case.competitor_name:7s} {med['competitor'] / 1e6:8.2f} ms  "
            f"kernel {med['kernel'] / 1e6:7.2f} ms ({med['competitor'] / med['kernel']:5.2f}x)  "
            f"expr {med['expr'] / 1e6:7.2f} ms ({med['competitor'] / med['expr']:5.2f}x)",
            file=sys.stderr,
        )
    return results, environment()


def render(results: list[dict], env: dict, rows: int, repeats: int) -> str:
    head = (
        f"Run {env['date_utc']} (UTC) on {env['cores']} cores, {env['cpu']} (load average "
        f"{os.getloadavg()[0]:.1f} at the end); TA-Lib {env['talib']}, polars {env['polars']}, "
        f"numpy {env['numpy']}, nse_polars {env['nse_polars']} (build {env['nse_polars_build']}), "
        f"Python {env['python']}; {rows:,} float64 closes (random walk, 100 .. 2000); median of "
        f"{repeats} interleaved runs in one process. Ratio = competitor time / nse_polars time "
        "(> 1: nse_polars faster). Outputs were checked against the competitor before timing."
    )
    lines = [
        "| function | competitor | competitor ms | kernel ms | kernel ns/bar | kernel ratio "
        "| expr ms | expr ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        c, k, e = r["competitor"], r["kernel"], r["expr"]
        lines.append(
            f"| `{r['label']}` | {r['competitor_name']} | {c / 1e6:.2f} | {k / 1e6:.2f} | "
            f"{k / rows:.2f} | {c / k:.2f}x | {e / 1e6:.2f} | {c / e:.2f}x |"
        )
    return head + "\n\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated function names")
    args = parser.parse_args(argv)
    only = {s for s in args.only.split(",") if s} or None
    results, env = run(args.rows, max(args.repeats, 7), only)
    block = render(results, env, args.rows, max(args.repeats, 7))
    print(block)
    if args.write_readme:
        write_readme(block, start_marker=START_MARKER, end_marker=END_MARKER)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
