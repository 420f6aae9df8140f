"""Measure the peak memory of the overlay on one long series, each case in a fresh process.

    python benchmarks/bench_memory.py [--rows 1000000] [--runs 3] [--write-readme]
                                      [--json PATH] [--threads N]

Each case runs in its own new interpreter (so nothing earlier in a process pollutes its peak):
import everything, one warm-up call of the same computation on a tiny frame (libraries loaded,
thread pools started), build the input, reset the peak RSS, read /proc/self/status, run the call
once, read VmHWM again. Cases and runs are interleaved; the table reports the largest increase
over the runs. Outputs are checked against TA-Lib after the measurement, and the run aborts on a
mismatch, as in bench_indicators.py (whose helpers this imports).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

# Run as a script, this file's folder is on sys.path: the shared helpers come from there.
from bench_indicators import (
    REL_TOL,
    SEED,
    BenchmarkError,
    as_columns,
    build_id,
    compare,
    environment,
    reference,
    talib_calls,
    write_readme,
)

import nse_polars

START_MARKER = "<!-- bench:memory:start -->"
END_MARKER = "<!-- bench:memory:end -->"

MB = 1e6  # bytes; the input of 1,000,000 float64 is 8 MB
SLACK_MB = 32.0  # the bound: peak below input + outputs + 32 MB
WARMUP_ROWS = 200
CASES = {
    "select": '`df.select(nse_polars.overlay("close"))` ¹',
    "frame": "`df.nse.overlay()` ²",
    "talib": "TA-Lib: the five calls ³",
}


# -------------------------------------------------------------------------------- the child


def closes_in_place(rows: int, seed: int = SEED) -> np.ndarray:
    """bench_indicators.make_closes, computed in its one output buffer: no freed temporaries
    are left in the allocator for the measured call to reuse unseen."""
    x = np.empty(rows)
    np.random.default_rng(seed).standard_normal(out=x)
    np.cumsum(x, out=x)
    lo, hi = float(x.min()), float(x.max())
    x -= lo
    x *= (np.log(2000.0) - np.log(100.0)) / (hi - lo) if hi > lo else 0.0
    x += np.log(100.0)
    np.exp(x, out=x)
    return x


def case_call(case: str, df: pl.DataFrame) -> Callable[[], object]:
    if case == "select":
        return lambda: df.select(nse_polars.overlay("close"))
    if case == "frame":
        return df.nse.overlay
    x = df.get_column("close").to_numpy()
    calls = talib_calls(x)
    return lambda: [call() for call in calls.values()]


def read_status() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in bytes."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


def reset_peak() -> bool:
    """Set VmHWM to the current VmRSS (Linux >= 4.0); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def output_bytes(case: str, result: object, rows: int) -> int:
    """Bytes of the nine outputs as returned: values plus validity bitmaps where there are any."""
    if case == "talib":
        return sum(col.nbytes for col in as_columns(result))
    assert isinstance(result, pl.DataFrame)
    size = result.estimated_size()
    return size - rows * 8 if case == "frame" else size  # the frame also holds `close`


def run_child(case: str, rows: int) -> int:
    """Measure one case in this (fresh) process; print one JSON line."""
    tiny = pl.DataFrame({"close": closes_in_place(WARMUP_ROWS)})
    case_call(case, tiny)()
    del tiny
    x = closes_in_place(rows)
    df = pl.DataFrame({"close": x})
    zero_copy = df.get_column("close").to_numpy().ctypes.data == x.ctypes.data
    call = case_call(case, df)
    gc.collect()
    reset = reset_peak()
    before = read_status()
    result = call()
    after = read_status()
    baseline = before["VmRSS"] if reset else before["VmHWM"]
    record = {
        "case": case,
        "rows": rows,
        "peak_reset": reset,
        "input_zero_copy": zero_copy,
        "rss_before": before["VmRSS"],
        "hwm_before": before["VmHWM"],
        "rss_after": after["VmRSS"],
        "hwm_after": after["VmHWM"],
        "increase": after["VmHWM"] - baseline,
        "output_bytes": output_bytes(case, result, rows),
        "max_rel_diff": None,
    }
    if case != "talib":
        names, want = reference(x)[case if case == "frame" else "overlay"]
        got = as_columns(result)
        if len(got) != len(want):
            msg = f"{case}: {len(got)} output columns, TA-Lib has {len(want)}"
            raise BenchmarkError(msg)
        record["max_rel_diff"] = max(
            compare(f"{case} {name}", g, w) for name, g, w in zip(names, got, want, strict=True)
        )
    print(json.dumps(record))
    return 0


# ------------------------------------------------------------------------------- the parent


def measure(case: str, rows: int) -> dict:
    """Run one case in a new interpreter; its record, or BenchmarkError with its stderr."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", case, "--rows", str(rows)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        msg = f"{case}: child exited with {proc.returncode}\n{proc.stderr.strip()}"
        raise BenchmarkError(msg)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def nominal_outputs(case: str, rows: int) -> float:
    """Nine float64 columns, plus nine validity bitmaps for Polars' nullable columns."""
    values = 9 * rows * 8
    return values if case == "talib" else values + 9 * ((rows + 7) // 8)


def render_table(records: dict[str, list[dict]], rows: int) -> tuple[str, dict[str, bool]]:
    lines = [
        "| first call after start-up | input MB | outputs MB | peak increase MB "
        "| input + increase MB | bound: input + outputs + 32 MB | within bound "
        "| increase beyond outputs MB |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    verdicts = {}
    input_mb = rows * 8 / MB
    for case, label in CASES.items():
        outputs_mb = nominal_outputs(case, rows) / MB
        increase_mb = max(r["increase"] for r in records[case]) / MB
        bound_mb = input_mb + outputs_mb + SLACK_MB
        ok = input_mb + increase_mb < bound_mb
        verdicts[case] = ok
        cells = [
            label,
            f"{input_mb:.1f}",
            f"{outputs_mb:.1f}",
            f"{increase_mb:.1f}",
            f"{input_mb + increase_mb:.1f}",
            f"{bound_mb:.1f}",
            "**pass**" if ok else "**fail**",
            f"{increase_mb - outputs_mb:+.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), verdicts


def thp_mode() -> str:
    try:
        text = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        return "unknown"
    return text[text.find("[") + 1 : text.find("]")] if "[" in text else text.strip()


def render_block(table: str, env: dict, rows: int, runs: int, records: dict) -> str:
    threads = env["POLARS_MAX_THREADS"]
    thread_note = f"POLARS_MAX_THREADS={threads}" if threads else "POLARS_MAX_THREADS unset"
    pool = os.environ.get("NSE_POLARS_POOL_MB")
    limit_mb = nse_polars._core.pool_stats()[1] / 1e6
    pool_note = (
        f"NSE_POLARS_POOL_MB={pool}"
        if pool
        else f"NSE_POLARS_POOL_MB unset ({limit_mb:,.0f} MB, an eighth of memory)"
    )
    header = (
        f"Run {env['date_utc']} (UTC) on {env['cores']} cores, {env['cpu']}, transparent huge "
        f"pages `{thp_mode()}`; polars {env['polars']} ({env['polars_threads']} threads, "
        f"{thread_note}), TA-Lib {env['talib']}, numpy {env['numpy']}, nse_polars "
        f"{env['nse_polars']} (build {env['nse_polars_build']}, {pool_note}), Python "
        f"{env['python']}; {rows:,} float64 closes; largest of {runs} fresh processes per case, "
        "cases interleaved; MB = 10^6 bytes."
    )
    all_records = [r for case in records.values() for r in case]
    reset = all(r["peak_reset"] for r in all_records)
    method = (
        "reset to the current RSS (`5` written to /proc/self/clear_refs) after the input is "
        "built, so the increase is VmHWM after the call minus VmRSS before it"
        if reset
        else "not resettable here: the increase is VmHWM after the call minus VmHWM before it, "
        "an underestimate wherever building the input peaked higher"
    )
    copy = (
        "which Polars takes without copying"
        if all(r["input_zero_copy"] for r in all_records)
        else "copied by Polars (the copy is part of the baseline)"
    )
    worst = max(r["max_rel_diff"] for r in all_records if r["max_rel_diff"] is not None)
    notes = [
        '¹ `df.select(nse_polars.overlay("close"))`: one native call, a struct of nine Float64 '
        "columns; outputs are the nine value buffers plus nine validity bitmaps of "
        f"{(rows + 7) // 8:,} bytes.",
        "² `df.nse.overlay()`: the same call, unnested into nine columns next to `close` (the "
        "result frame shares `close` with the input).",
        "³ `SMA(20)`, `EMA(20)`, `RSI(14)`, `MACD(12, 26, 9)`, `BBANDS(20, 2, 2)` on the numpy "
        "view of the same column, all nine arrays kept; for comparison, held to the same bound.",
        "Each process: imports, one warm-up call of its own case on a "
        f"{WARMUP_ROWS}-row frame (libraries loaded, thread pools started), then the input, "
        f"built in one float64 array ({copy}); the peak RSS (VmHWM) is {method}. Large output "
        "buffers come from nse_polars' buffer pool (`NSE_POLARS_POOL_MB`, default an eighth "
        "of memory), which keeps released ones for the next call: later calls in a "
        "process reuse them, but the first call after start-up, measured here, allocates all "
        "nine, as a one-off script would.",
        f"The outputs of ¹ and ² were checked against TA-Lib after the measurement (max |diff| / "
        f"max |TA-Lib| {worst:.1e}, tolerance {REL_TOL:g}).",
    ]
    return "\n".join([header, "", table, "", *[f"{note}  " for note in notes]]).rstrip() + "\n"


# ------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="series length")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per case")
    parser.add_argument("--write-readme", action="store_true", help="update README.md")
    parser.add_argument("--json", type=Path, metavar="PATH", help="dump every run's record")
    parser.add_argument(
        "--threads", type=int, help="set POLARS_MAX_THREADS and OMP_NUM_THREADS for the runs"
    )
    parser.add_argument("--child", choices=list(CASES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 100:
        parser.error("--rows must be >= 100")
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        try:
            return run_child(args.child, args.rows)
        except BenchmarkError as exc:
            print(exc, file=sys.stderr)
            return 1
    if args.threads is not None:
        # Children read these when their libraries load; this process only reports them.
        os.environ["POLARS_MAX_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(args.threads)
    env = environment()
    if args.threads is not None:
        env["polars_threads"] = args.threads
    records: dict[str, list[dict]] = {case: [] for case in CASES}
    try:
        for _ in range(args.runs):
            for case in CASES:
                records[case].append(measure(case, args.rows))
    except BenchmarkError as exc:
        print(f"\n*** BENCHMARK ABORTED ***\n{exc}\n", file=sys.stderr)
        return 1
    if build_id() != env["nse_polars_build"]:
        print("warning: nse_polars was reinstalled during the run", file=sys.stderr)
    table, verdicts = render_table(records, args.rows)
    block = render_block(table, env, args.rows, args.runs, records)
    print(block)
    if args.json:
        payload = {"environment": env, "rows": args.rows, "verdicts": verdicts, "runs": records}
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    if args.write_readme:
        write_readme(block, start_marker=START_MARKER, end_marker=END_MARKER)
    return 0


if __name__ == "__main__":
    sys.exit(main())
