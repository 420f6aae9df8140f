"""Reading files: the 181-file NSE 5-minute set, read + validate (+ fill) vs a bare scan_csv.

Competitors, interleaved in the same process, median of `--repeats` runs each:

* bare: ``pl.scan_csv(files).collect()`` (timestamps stay text, nothing checked);
* ``read_ohlcv(dir, on_invalid="repair")``: detection, parsing to Datetime, validation;
* the whole pipeline: ``read_ohlcv`` then ``fill_gaps(every="5m")``.

Before timing, the read is checked against the data set's PROVENANCE (duplicate rows removed,
the 27 open-outside-range bars reported) and the fill against the NSE grid. Same conventions as
bench_indicators.py, whose helpers this imports. Needs ../shared/data/nse-fo-5min.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import polars as pl

# Run as a script, this file's folder is on sys.path: the shared helpers come from there.
from bench_indicators import environment, write_readme

import nse_polars as nse

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "nse-fo-5min" / "csv"
START_MARKER = "<!-- bench:ingest:start -->"
END_MARKER = "<!-- bench:ingest:end -->"
TARGET_RATIO = 3.0


def check(files: list[Path]) -> dict[str, int]:
    """Read once and check the result before anything is timed."""
    bare = pl.scan_csv(files).collect()
    result = nse.read_ohlcv(DATA, on_invalid="repair", return_report=True)
    report = result.report
    duplicates = report.filter(pl.col("rule") == "duplicate_exact").height
    repaired = report.filter(pl.col("action") == "repaired").height
    assert report.height == duplicates + repaired, report.group_by("rule").len()
    assert result.data.height == bare.height - duplicates
    assert duplicates == 40_725 and repaired == 27, (duplicates, repaired)
    filled = nse.fill_gaps(result.data, "5m")
    assert filled.filter(~pl.col("filled") & pl.col("close").is_not_null()).height == (
        result.data.height
    )
    return {
        "rows": bare.height,
        "kept": result.data.height,
        "duplicates": duplicates,
        "repaired": repaired,
        "grid_rows": filled.height,
        "filled": int(filled["filled"].sum()),
        "empty": int(filled["close"].null_count()),
    }


def timed(fn) -> float:
    start = time.perf_counter_ns()
    out = fn()
    elapsed = (time.perf_counter_ns() - start) / 1e9
    del out
    return elapsed


def run(files: list[Path], repeats: int) -> dict[str, list[float]]:
    def bare() -> pl.DataFrame:
        return pl.scan_csv(files).collect()

    def read() -> pl.DataFrame:
        return nse.read_ohlcv(DATA, on_invalid="repair", return_report=True).data

    def pipeline() -> pl.DataFrame:
        return nse.fill_gaps(read(), "5m")

    competitors = {"bare": bare, "read": read, "pipeline": pipeline}
    times: dict[str, list[float]] = {name: [] for name in competitors}
    for _ in range(repeats):
        for name, fn in competitors.items():
            times[name].append(timed(fn))
    return times


def render(times: dict[str, list[float]], facts: dict[str, int], env: dict, repeats: int) -> str:
    bare = statistics.median(times["bare"])
    rows = facts["rows"]
    labels = {
        "bare": "bare `pl.scan_csv(files).collect()` ¹",
        "read": '`read_ohlcv(dir, on_invalid="repair")` ²',
        "pipeline": '`read_ohlcv` + `fill_gaps(every="5m")` ³',
    }
    lines = [
        "| step | s (median) | min s | rows/s read | / bare | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, label in labels.items():
        median = statistics.median(times[name])
        ratio = median / bare
        target = ""
        if name == "pipeline":
            verdict = "met" if ratio <= TARGET_RATIO else "**missed**"
            target = f"≤ {TARGET_RATIO:g}x bare: {verdict}"
        lines.append(
            f"| {label} | {median:.2f} | {min(times[name]):.2f} | {rows / median:,.0f} | "
            f"{ratio:.2f}x | {target} |"
        )
    threads = env["POLARS_MAX_THREADS"]
    thread_note = f"POLARS_MAX_THREADS={threads}" if threads else "POLARS_MAX_THREADS unset"
    header = (
        f"Run {env['date_utc']} (UTC) on {env['cores']} cores, {env['cpu']}; polars "
        f"{env['polars']} ({env['polars_threads']} threads, {thread_note}), nse_polars "
        f"{env['nse_polars']}, Python {env['python']}; the 181 gzip CSV files of nse-fo-5min "
        f"({rows:,} rows); median of {repeats} runs, the three interleaved in the same process."
    )
    notes = [
        "¹ Polars' own multi-file CSV scan: timestamps stay strings, nothing is checked.",
        f"² Per-file detection, timestamps parsed to `Datetime(us, Asia/Kolkata)`, every rule "
        f"checked; {facts['duplicates']:,} exact duplicate rows dropped (PROVENANCE: 40,725) "
        f"and {facts['repaired']} open-outside-range bars repaired (PROVENANCE: 27), all "
        f"{facts['duplicates'] + facts['repaired']:,} in the report; {facts['kept']:,} rows "
        "out, sorted by (symbol, ts). Checked before timing.",
        f"³ Then the NSE 5-minute grid on each symbol's trading days: {facts['grid_rows']:,} "
        f"rows, {facts['filled']:,} filled, {facts['empty']:,} left empty (before a day's "
        "first bar).",
        "rows/s: rows in the files (duplicates included) per second of the step.",
    ]
    return "\n".join([header, "", *lines, "", *[f"{n}  " for n in notes]]).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per competitor")
    parser.add_argument("--write-readme", action="store_true", help="update README.md")
    args = parser.parse_args(argv)
    files = sorted(DATA.glob("*.csv.gz"))
    if not files:
        print(f"no data under {DATA}; nothing to do", file=sys.stderr)
        return 1
    warnings.simplefilter("ignore", nse.ohlcv.DataQualityWarning)
    facts = check(files)
    times = run(files, args.repeats)
    block = render(times, facts, environment(), args.repeats)
    print(block)
    if args.write_readme:
        write_readme(block, start_marker=START_MARKER, end_marker=END_MARKER)
    return 0


if __name__ == "__main__":
    sys.exit(main())
