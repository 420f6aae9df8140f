"""Batch sweeps: Dask distributed (2 workers) against the local threaded run, in the same process.

The real 5-minute NSE F&O bars (../shared/data/nse-fo-5min, 181 symbols; see its PROVENANCE) are
read with nse_polars.read_ohlcv(on_invalid="repair") and written as a hive-partitioned Parquet
dataset (symbol=<name>/) in a temporary directory. A 256-configuration SMA-cross grid (fast 5..20
x slow 30..180 step 10) is then swept over every symbol, interleaved:

1. local: ``nse_polars.dist.run_local``: every partition read in this process, one native sweep
   over all symbols (OpenMP, 2 threads);
2. Dask: ``nse_polars.dist.run`` on a running LocalCluster of 2 single-threaded worker processes
   (one task per symbol partition and, because bars_per_year is inferred, one small task per
   partition reading the time column first);
3. Dask, own cluster: ``nse_polars.dist.run(client=None)``: the same, starting and closing its
   LocalCluster inside the call.

Before timing, the Dask result is checked to equal the local one bit for bit, and both to equal
``nse_polars.sweep`` over the whole frame in memory (sorted by symbol).

    python benchmarks/bench_dist.py [--runs 3] [--write-readme]

Needs the `dist` extra (Dask distributed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
from bench_indicators import write_readme

import nse_polars as nse
from nse_polars import dist

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "nse-fo-5min" / "csv"
START, END = "<!-- bench:dist:start -->", "<!-- bench:dist:end -->"
GRID = {"fast": list(range(5, 21)), "slow": list(range(30, 181, 10))}
STRATEGY = "sma_cross"
TARGET = 1.25


def bitwise_equal(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    """Same columns, dtypes, nulls and values, floats compared bit for bit."""
    if a.schema != b.schema or a.height != b.height:
        return False
    for name in a.columns:
        x, y = a.get_column(name), b.get_column(name)
        if not x.is_null().equals(y.is_null()):
            return False
        if x.dtype.is_float():
            bx = x.fill_null(0.0).to_numpy().view(np.uint64)
            by = y.fill_null(0.0).to_numpy().view(np.uint64)
            if not np.array_equal(bx, by):
                return False
        elif not x.equals(y):
            return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--data", type=Path, default=DATA, help="nse-fo-5min csv directory")
    args = parser.parse_args()
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        print("Dask distributed is not installed: pip install '.[dist]'", file=sys.stderr)
        return 1
    files = sorted(args.data.glob("*.csv.gz"))
    if not files:
        print(f"real data not found under {args.data}", file=sys.stderr)
        return 1

    bars = nse.read_ohlcv(args.data, on_invalid="repair", return_report=True).data
    tmp = tempfile.TemporaryDirectory(prefix="nse_dist_bench_")
    dataset = Path(tmp.name) / "nse-fo-5min"
    parts = dist.write_dataset(bars, dataset)
    size_mb = sum(os.path.getsize(f) for p in parts for f in p.files) / 1e6

    # The local run first: OpenMP's thread count is fixed when the library starts, before a
    # LocalCluster sets OMP_NUM_THREADS=1 for its worker processes.
    local = dist.run_local(dataset, strategy=STRATEGY, grid=GRID)
    reference = nse.sweep(bars, STRATEGY, GRID, by="symbol")
    assert reference.bars_per_year == local.bars_per_year
    assert bitwise_equal(reference.metrics.sort("symbol", maintain_order=True), local.metrics)

    cluster_opts = {"n_workers": 2, "threads_per_worker": 1, "dashboard_address": ":0"}
    t0 = time.perf_counter()
    cluster = LocalCluster(**cluster_opts)
    client = Client(cluster)
    startup_s = time.perf_counter() - t0
    try:
        remote = dist.run(dataset, strategy=STRATEGY, grid=GRID, client=client)
        assert remote.bars_per_year == local.bars_per_year
        assert bitwise_equal(remote.metrics, local.metrics), "Dask and local results differ"
        n_tasks = remote.tasks

        cases = {
            "local": lambda: dist.run_local(dataset, strategy=STRATEGY, grid=GRID),
            "dask": lambda: dist.run(dataset, strategy=STRATEGY, grid=GRID, client=client),
            "dask_own": lambda: dist.run(
                dataset, strategy=STRATEGY, grid=GRID, cluster_options=cluster_opts
            ),
        }
        wall: dict[str, list[float]] = {k: [] for k in cases}
        cpu: dict[str, list[float]] = {k: [] for k in cases}
        load = []
        for _ in range(args.runs):
            for name, fn in cases.items():
                c0, w0 = time.process_time(), time.perf_counter()
                out = fn()
                wall[name].append(time.perf_counter() - w0)
                cpu[name].append(time.process_time() - c0)
                assert bitwise_equal(out.metrics, local.metrics), name
            load.append(os.getloadavg()[0])
    finally:
        client.close()
        cluster.close()
        tmp.cleanup()

    med = {k: statistics.median(v) for k, v in wall.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    ratio = med["dask"] / med["local"]
    ratio_own = med["dask_own"] / med["local"]
    n_sets = local.metrics.height // len(parts)
    bar_sets = bars.height * n_sets
    verdict = "met" if ratio <= TARGET else "**missed**"
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    cpu_name = platform.processor() or platform.machine()
    import dask

    lines = [
        f"Run {when} (UTC) on {os.cpu_count()} cores ({cpu_name}), shared with other jobs "
        f"(load average {min(load):.1f} to {max(load):.1f} during the runs); dask "
        f"{dask.__version__}, polars {pl.__version__}, nse_polars {nse.__version__}, Python "
        f"{platform.python_version()}; nse-fo-5min as Parquet: {len(parts)} symbol partitions, "
        f"{bars.height:,} bars, {size_mb:.0f} MB; {STRATEGY} grid of {n_sets} sets "
        f"(fast 5..20 x slow 30..180 step 10), {local.metrics.height:,} metrics rows; median of "
        f"{args.runs} interleaved runs.",
        "",
        "| run | s (median) | min s | / local | ns per bar x set | client CPU s | target |",
        "|---|---:|---:|---:|---:|---:|---|",
        f"| local: `dist.run_local`, one native call, 2 OpenMP threads | {med['local']:.2f} | "
        f"{min(wall['local']):.2f} | 1.00x | {med['local'] * 1e9 / bar_sets:.1f} | "
        f"{cpu_med['local']:.1f} |  |",
        f"| Dask: `dist.run(client=...)`, LocalCluster of 2 worker processes, {n_tasks} tasks | "
        f"{med['dask']:.2f} | {min(wall['dask']):.2f} | {ratio:.2f}x | "
        f"{med['dask'] * 1e9 / bar_sets:.1f} | {cpu_med['dask']:.1f} | <= {TARGET}x: {verdict} |",
        f"| Dask, `dist.run(client=None)`: cluster started and closed in the call | "
        f"{med['dask_own']:.2f} | {min(wall['dask_own']):.2f} | {ratio_own:.2f}x | "
        f"{med['dask_own'] * 1e9 / bar_sets:.1f} | {cpu_med['dask_own']:.1f} |  |",
        "",
        "Every timed result was checked equal, bit for bit, to the local run, which was checked "
        "equal to `nse_polars.sweep` over the whole frame in memory. Both runs read the Parquet "
        "dataset and infer bars per year (18,900) from it inside the timed call. A "
        f"LocalCluster of 2 worker processes took {startup_s:.2f} s to start here (not in the "
        "second row). client CPU s: CPU time of this process (the local run computes in it; "
        "the Dask runs only schedule and gather).",
    ]
    block = "\n".join(lines)
    print(block)
    if args.write_readme:
        if not write_readme(block + "\n", start_marker=START, end_marker=END):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
