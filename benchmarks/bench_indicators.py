"""Time nse_polars against TA-Lib and native Polars on one long price series.

    python benchmarks/bench_indicators.py [--rows 1000000] [--repeats 9] [--write-readme]
                                          [--json PATH] [--threads N]

Every competitor runs in this one process. After one warm-up call each, the repeats are
interleaved (each repeat runs every row's competitors once, in an order rotated per repeat), so
machine noise hits all of them alike; the table reports medians. Before any timing, the outputs
of everything that is timed are checked against TA-Lib, and the run aborts on a mismatch: this
benchmark never reports a fast wrong answer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import talib

import nse_polars

README = Path(__file__).resolve().parent.parent / "README.md"
START_MARKER = "<!-- bench:indicators:start -->"
END_MARKER = "<!-- bench:indicators:end -->"

COMPETITORS = ("talib", "expr", "kernel", "polars")
REL_TOL = 1e-6  # max |nse - TA-Lib| / max |TA-Lib| over the non-null rows
NATIVE_SKIP = 2_000  # rows ignored when checking native Polars (different EMA/RSI seeding)
MIN_ROWS = 2 * NATIVE_SKIP
SEED = 20_240_601
FLOOR_LABEL = "floor: numpy, 9 x `np.empty(n)` + `.fill(1.0)` ⁴"

# Output names in TA-Lib's order, per indicator; the overlay's nine are these, concatenated.
FIELDS = {
    "sma": ("sma",),
    "ema": ("ema",),
    "rsi": ("rsi",),
    "macd": ("macd", "signal", "hist"),
    "bbands": ("upper", "middle", "lower"),
}


class BenchmarkError(RuntimeError):
    """A competitor's output differs from TA-Lib: nothing gets reported."""


@dataclass(frozen=True)
class Row:
    """One table row: a label and, per competitor column, the call to time.

    `kind` says what the calls return: an indicator name ("sma" ...), "overlay" (the five),
    "frame" (`close` plus the five, as `df.nse.overlay()` returns) or "floor" (unchecked).
    `baseline` names the row whose TA-Lib time the ratio uses when this row times no TA-Lib.
    """

    label: str
    kind: str
    calls: dict[str, Callable[[], object]]
    baseline: str | None = None


# --------------------------------------------------------------------------------------- data


def make_closes(rows: int, seed: int = SEED) -> np.ndarray:
    """A deterministic geometric random walk of `rows` float64 closes spanning 100 .. 2000."""
    steps = np.random.default_rng(seed).normal(0.0, 1.0, rows)
    log_path = np.cumsum(steps)
    lo, hi = log_path.min(), log_path.max()
    unit = (log_path - lo) / (hi - lo) if hi > lo else np.zeros(rows)
    return np.exp(np.log(100.0) + unit * (np.log(2000.0) - np.log(100.0)))


# ------------------------------------------------------------------------------ competitors


def talib_calls(x: np.ndarray) -> dict[str, Callable[[], object]]:
    return {
        "sma": lambda: talib.SMA(x, 20),
        "ema": lambda: talib.EMA(x, 20),
        "rsi": lambda: talib.RSI(x, 14),
        "macd": lambda: talib.MACD(x, 12, 26, 9),
        "bbands": lambda: talib.BBANDS(x, 20, nbdevup=2.0, nbdevdn=2.0, matype=0),
    }


def nse_exprs() -> dict[str, Callable[[], pl.Expr]]:
    """Builders, so that a timed call builds only the expression it runs."""
    close = pl.col("close")
    return {
        "sma": lambda: close.nse.sma(20),
        "ema": lambda: close.nse.ema(20),
        "rsi": lambda: close.nse.rsi(14),
        "macd": lambda: close.nse.macd(12, 26, 9),
        "bbands": lambda: close.nse.bbands(20, 2.0),
    }


def kernel_calls(x: np.ndarray) -> dict[str, Callable[[], object]]:
    k = nse_polars.kernels
    return {
        "sma": lambda: k.sma(x, 20),
        "ema": lambda: k.ema(x, 20),
        "rsi": lambda: k.rsi(x, 14),
        "macd": lambda: k.macd(x, 12, 26, 9),
        "bbands": lambda: k.bbands(x, 20, 2.0),
    }


def native_rsi(close: pl.Expr, period: int) -> pl.Expr:
    """Wilder's RSI: EWM with alpha = 1/period of the clipped gains and losses."""
    diff = close.diff()
    gain = diff.clip(lower_bound=0.0).ewm_mean(alpha=1.0 / period, adjust=False)
    loss = (-diff).clip(lower_bound=0.0).ewm_mean(alpha=1.0 / period, adjust=False)
    return 100.0 * gain / (gain + loss)


def native_macd(close: pl.Expr, fast: int, slow: int, signal: int) -> pl.Expr:
    line = close.ewm_mean(span=fast, adjust=False) - close.ewm_mean(span=slow, adjust=False)
    sig = line.ewm_mean(span=signal, adjust=False)
    return pl.struct(line.alias("macd"), sig.alias("signal"), (line - sig).alias("hist"))


def native_bbands(close: pl.Expr, period: int, num_std: float) -> pl.Expr:
    mid = close.rolling_mean(period)
    dev = num_std * close.rolling_std(period, ddof=0)
    return pl.struct((mid + dev).alias("upper"), mid.alias("middle"), (mid - dev).alias("lower"))


def native_exprs() -> dict[str, pl.Expr]:
    """The same five in plain Polars (same definitions, different EMA/RSI seeding)."""
    close = pl.col("close")
    return {
        "sma": close.rolling_mean(20).alias("sma"),
        "ema": close.ewm_mean(span=20, adjust=False).alias("ema"),
        "rsi": native_rsi(close, 14).alias("rsi"),
        "macd": native_macd(close, 12, 26, 9).alias("macd"),
        "bbands": native_bbands(close, 20, 2.0).alias("bbands"),
    }


def numpy_floor(rows: int) -> list[np.ndarray]:
    """Nine fresh float64 columns, each written once: what any 9-output result must pay."""
    out = []
    for _ in range(9):
        col = np.empty(rows)
        col.fill(1.0)
        out.append(col)
    return out


def build_rows(x: np.ndarray, df: pl.DataFrame) -> list[Row]:
    """The table, as calls. Polars expressions are built inside the call (user-facing cost)."""
    ta, kern, builders = talib_calls(x), kernel_calls(x), nse_exprs()
    labels = {
        "sma": "SMA 20",
        "ema": "EMA 20 ¹",
        "rsi": "RSI 14 ¹",
        "macd": "MACD 12/26/9 ¹",
        "bbands": "BBANDS 20/2",
    }
    rows = [
        Row(
            label,
            name,
            {
                "talib": ta[name],
                "expr": lambda build=builders[name]: df.select(build()),
                "kernel": kern[name],
                "polars": lambda name=name: df.select(native_exprs()[name]),
            },
        )
        for name, label in labels.items()
    ]
    overlay = "overlay (all five), `select(overlay)` ²"
    rows.append(
        Row(
            overlay,
            "overlay",
            {
                "talib": lambda: [call() for call in ta.values()],
                "expr": lambda: df.select(nse_polars.overlay("close")),
                "kernel": lambda: [call() for call in kern.values()],
                "polars": lambda: df.select(*native_exprs().values()),
            },
        )
    )
    frame = "overlay (all five), `df.nse.overlay()` ³"
    rows.append(Row(frame, "frame", {"expr": df.nse.overlay}, overlay))
    rows.append(Row(FLOOR_LABEL, "floor", {"expr": lambda: numpy_floor(len(x))}))
    return rows


# ------------------------------------------------------------------------------ correctness


def as_columns(result: object) -> list[np.ndarray]:
    """Any competitor's output as a flat list of float64 numpy columns, nulls as NaN."""
    if isinstance(result, np.ndarray):
        return [result]
    if isinstance(result, (tuple, list)):
        return [col for part in result for col in as_columns(part)]
    if isinstance(result, pl.DataFrame):
        frame = result.unnest([name for name, dtype in result.schema.items() if dtype == pl.Struct])
        return [frame.to_series(i).to_numpy() for i in range(frame.width)]
    msg = f"unexpected result type {type(result).__name__}"
    raise TypeError(msg)


def compare(what: str, got: np.ndarray, want: np.ndarray, *, skip: int = 0) -> float:
    """Relative max abs difference on the non-null part; raise on any disagreement."""
    got, want = got[skip:], want[skip:]
    if got.shape != want.shape:
        msg = f"{what}: shape {got.shape} != TA-Lib's {want.shape}"
        raise BenchmarkError(msg)
    null_got, null_want = np.isnan(got), np.isnan(want)
    if not np.array_equal(null_got, null_want):
        first = int(np.flatnonzero(null_got != null_want)[0]) + skip
        msg = f"{what}: null rows differ from TA-Lib's NaN rows (first at row {first})"
        raise BenchmarkError(msg)
    valid = ~null_want
    if not valid.any():
        msg = f"{what}: no non-null values to compare"
        raise BenchmarkError(msg)
    scale = max(float(np.abs(want[valid]).max()), np.finfo(np.float64).tiny)
    rel = float(np.abs(got[valid] - want[valid]).max()) / scale
    if not rel < REL_TOL:
        msg = f"{what}: max |diff| / max |TA-Lib| = {rel:.3e} >= {REL_TOL:g}"
        raise BenchmarkError(msg)
    return rel


def reference(x: np.ndarray) -> dict[str, tuple[list[str], list[np.ndarray]]]:
    """TA-Lib's (field names, columns) for every row kind that is checked."""
    ref = {name: (list(FIELDS[name]), as_columns(call())) for name, call in talib_calls(x).items()}
    names = [field for fields, _ in ref.values() for field in fields]
    cols = [col for _, columns in ref.values() for col in columns]
    ref["overlay"] = (names, cols)
    ref["frame"] = (["close", *names], [x, *cols])
    return ref


def check_correctness(rows: list[Row], x: np.ndarray) -> dict[str, dict[str, float]]:
    """Run every timed call once and compare it with TA-Lib; raise BenchmarkError on a mismatch.

    Returns the worst relative difference per row and competitor. Native Polars seeds its EWMs
    differently (EMA, RSI, MACD), so it is compared after the first NATIVE_SKIP rows, where the
    seeding has decayed far below the tolerance.
    """
    ref = reference(x)
    worst: dict[str, dict[str, float]] = {}
    for row in rows:
        if row.kind not in ref:
            continue
        names, want = ref[row.kind]
        for who, call in row.calls.items():
            got = as_columns(call())
            what = f"{row.label} [{who}]"
            if len(got) != len(want):
                msg = f"{what}: {len(got)} output columns, TA-Lib has {len(want)}"
                raise BenchmarkError(msg)
            skip = NATIVE_SKIP if who == "polars" else 0
            rels = [
                compare(f"{what} {name}", g, w, skip=skip)
                for name, g, w in zip(names, got, want, strict=True)
            ]
            worst.setdefault(row.label, {})[who] = max(rels)
    return worst


# ----------------------------------------------------------------------------------- timing


def time_call(call: Callable[[], object]) -> tuple[int, int]:
    """(elapsed ns, minor page faults) of one call; the result is freed outside the window."""
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter_ns()
    result = call()
    elapsed = time.perf_counter_ns() - start
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    del result
    return elapsed, faults


def run_timings(rows: list[Row], repeats: int) -> list[dict[str, dict[str, list[int]]]]:
    """Warm each call up once, then `repeats` interleaved rounds; per row, per competitor."""
    for row in rows:
        for call in row.calls.values():
            call()
    raw = [{who: {"ns": [], "minflt": []} for who in row.calls} for row in rows]
    gc.collect()
    gc.disable()
    try:
        for rep in range(repeats):
            for row, timings in zip(rows, raw, strict=True):
                order = list(row.calls)
                order = order[rep % len(order) :] + order[: rep % len(order)]
                for who in order:
                    elapsed, faults = time_call(row.calls[who])
                    timings[who]["ns"].append(elapsed)
                    timings[who]["minflt"].append(faults)
            gc.collect()
    finally:
        gc.enable()
    return raw


# -------------------------------------------------------------------------------- reporting


def median_ns(timings: dict[str, dict[str, list[int]]], who: str) -> float | None:
    return statistics.median(timings[who]["ns"]) if who in timings else None


def fmt_ms(ns: float | None) -> str:
    return "—" if ns is None else f"{ns / 1e6:.2f}"


def render_table(rows: list[Row], raw: list[dict], n: int) -> str:
    """The Markdown table; the ratio and ns/bar use the `expr` column."""
    lines = [
        "| indicator | TA-Lib ms | nse_polars expr ms | nse_polars kernel ms | Polars native ms "
        "| expr / TA-Lib ratio | ns per bar (expr) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    talib_by_label = {
        row.label: median_ns(timings, "talib") for row, timings in zip(rows, raw, strict=True)
    }
    for row, timings in zip(rows, raw, strict=True):
        med = {who: median_ns(timings, who) for who in COMPETITORS}
        talib_ref = talib_by_label[row.baseline] if row.baseline else med["talib"]
        ratio = "—" if talib_ref is None else f"{med['expr'] / talib_ref:.2f}x"
        cells = [
            row.label,
            fmt_ms(med["talib"]),
            fmt_ms(med["expr"]),
            fmt_ms(med["kernel"]),
            fmt_ms(med["polars"]),
            ratio,
            f"{med['expr'] / n:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_count() -> int:
    """What `nproc` prints: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def build_id() -> str:
    """A short hash of the compiled nse_polars module: the version alone misses rebuilds."""
    try:
        data = Path(nse_polars._core.__file__).read_bytes()
    except (AttributeError, OSError):
        return "unknown"
    return hashlib.sha256(data).hexdigest()[:12]


def environment() -> dict[str, object]:
    return {
        "date_utc": dt.datetime.now(dt.timezone.utc).date().isoformat(),
        "cores": cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "talib": talib.__version__,
        "numpy": np.__version__,
        "nse_polars": nse_polars.__version__,
        "nse_polars_build": build_id(),
        "polars_threads": pl.thread_pool_size(),
        "POLARS_MAX_THREADS": os.environ.get("POLARS_MAX_THREADS"),
    }


def render_block(table: str, env: dict, rows: int, repeats: int, floor_faults: float) -> str:
    threads = env["POLARS_MAX_THREADS"]
    thread_note = f"POLARS_MAX_THREADS={threads}" if threads else "POLARS_MAX_THREADS unset"
    recycled = (
        " (the allocator recycles memory freed by earlier runs: this is the steady-state write"
        " cost, not the first-touch cost of fresh pages)"
        if floor_faults == 0
        else ""
    )
    header = (
        f"Run {env['date_utc']} (UTC) on {env['cores']} cores, {env['cpu']}; "
        f"polars {env['polars']} ({env['polars_threads']} threads, {thread_note}), "
        f"TA-Lib {env['talib']}, numpy {env['numpy']}, nse_polars {env['nse_polars']} "
        f"(build {env['nse_polars_build']}), "
        f"Python {env['python']}; {rows:,} rows of float64 closes (random walk, 100 .. 2000); "
        f"median of {repeats} runs, competitors interleaved in the same process."
    )
    notes = [
        "¹ Polars native EMA, RSI and MACD use `ewm_mean(adjust=False)`, seeded with the first "
        "value, while TA-Lib and nse_polars seed with an SMA: the values differ in the first "
        f"rows (they agree with TA-Lib to {REL_TOL:g} after {NATIVE_SKIP:,} rows, which is "
        "checked). All Polars native rows are for speed comparison only.",
        '² TA-Lib: the five calls in sequence; expr: `df.select(nse_polars.overlay("close"))`, '
        "one native call returning a struct of nine fields; kernel: the five "
        "`nse_polars.kernels` calls in sequence; Polars native: the five expressions in one "
        "`select`.",
        "³ `df.nse.overlay()`: the same native call, unnested into nine new columns next to "
        "`close`; the ratio is against TA-Lib's five-call sequence above.",
        "⁴ Not an indicator: numpy allocating nine float64 arrays of the same length and "
        "writing each once, a rough lower bound for any nine-output result. It pays whatever "
        f"page faults the allocation costs: median {floor_faults:,.0f} minor faults per run "
        f"here{recycled}.",
        "Times are wall-clock per call (`time.perf_counter_ns`), Polars expressions built "
        "inside the timed call; every timed output was checked against TA-Lib before timing.",
    ]
    return "\n".join([header, "", table, "", *[f"{note}  " for note in notes]]).rstrip() + "\n"


def write_readme(
    block: str,
    path: Path = README,
    *,
    start_marker: str = START_MARKER,
    end_marker: str = END_MARKER,
) -> bool:
    """Replace the text between the markers; touch nothing if they are absent."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        print(
            f"{path}: markers {start_marker} ... {end_marker} not found; README not written.",
            file=sys.stderr,
        )
        return False
    head = text[: start + len(start_marker)]
    path.write_text(f"{head}\n{block}{text[end:]}", encoding="utf-8")
    print(f"{path}: benchmark section {start_marker} updated.", file=sys.stderr)
    return True


# ------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="series length")
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per call (>= 7)")
    parser.add_argument("--write-readme", action="store_true", help="update README.md")
    parser.add_argument("--json", type=Path, metavar="PATH", help="dump all raw timings")
    parser.add_argument("--threads", type=int, help="set POLARS_MAX_THREADS (re-executes)")
    args = parser.parse_args(argv)
    if args.repeats < 7:
        parser.error("--repeats must be >= 7")
    if args.rows < MIN_ROWS:
        parser.error(
            f"--rows must be >= {MIN_ROWS:,} (native Polars is checked after row {NATIVE_SKIP:,})"
        )
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")
    return args


def apply_threads(threads: int | None) -> None:
    """Polars fixes its pool size when it loads, so restart the interpreter with the variable."""
    if threads is None or os.environ.get("POLARS_MAX_THREADS") == str(threads):
        return
    os.environ["POLARS_MAX_THREADS"] = str(threads)
    os.execv(sys.executable, [sys.executable, *sys.argv])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    apply_threads(args.threads)
    x = make_closes(args.rows)
    rows = build_rows(x, pl.DataFrame({"close": x}))
    try:
        worst = check_correctness(rows, x)
    except BenchmarkError as exc:
        print(f"\n*** BENCHMARK ABORTED: wrong answer ***\n{exc}\n", file=sys.stderr)
        return 1
    overall: dict[str, float] = {}
    for per_row in worst.values():
        for who, rel in per_row.items():
            overall[who] = max(overall.get(who, 0.0), rel)
    print(
        "checked against TA-Lib, max |diff| / max |TA-Lib|: "
        + ", ".join(f"{who} {rel:.1e}" for who, rel in overall.items()),
        file=sys.stderr,
    )
    env = environment()
    raw = run_timings(rows, args.repeats)
    if build_id() != env["nse_polars_build"]:
        print(
            "warning: nse_polars was reinstalled during the run; timings may mix builds",
            file=sys.stderr,
        )
    floor = next(t for row, t in zip(rows, raw, strict=True) if row.label == FLOOR_LABEL)
    floor_faults = statistics.median(floor["expr"]["minflt"])
    table = render_table(rows, raw, args.rows)
    block = render_block(table, env, args.rows, args.repeats, floor_faults)
    print(block)
    if args.json:
        payload = {
            "environment": env,
            "rows": args.rows,
            "repeats": args.repeats,
            "correctness_max_rel_diff": worst,
            "timings": {row.label: timings for row, timings in zip(rows, raw, strict=True)},
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    if args.write_readme:
        write_readme(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
