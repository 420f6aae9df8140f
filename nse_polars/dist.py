"""Parameter sweeps over a hive-partitioned Parquet dataset, on one machine or on Dask distributed.

A dataset is a directory (local, NFS, or any fsspec URL such as ``s3://bucket/bars``) holding one
``symbol=<name>/`` directory per symbol, optionally split further (``symbol=TCS/year=2024/``),
with Parquet files of bars inside (time, open and close columns at least). :func:`write_dataset`
writes one from a frame of bars.

:func:`run` cuts the work into tasks of (symbol partition x chunk of parameter sets): each task
reads only its own partition, checks it, and calls the native sweep (:func:`nse_polars.sweep`,
which releases the GIL), and the metrics are gathered into one table. With ``client=None`` it
starts a ``LocalCluster``; given a ``dask.distributed.Client`` (or a scheduler address) it runs
on that cluster. :func:`run_local` reads the same dataset in this process and sweeps every symbol
in one native call (OpenMP threads); both return the same table, bit for bit, whatever the
number of workers or tasks:

- rows sorted by symbol, then by the parameter set's position in the expanded grid;
- ``bars_per_year`` is one number for the whole dataset (given, or inferred once from the time
  column of every readable partition, as :func:`nse_polars.sweep` infers it over a whole frame)
  and passed to every task, so no partition infers its own;
- every (symbol, parameter set) row is computed on its own, so how the work is split does not
  change a bit.

A partition with bad data (a missing or non-numeric column, a price <= 0 or infinite, times
that do not increase) fails on its own: its error names the partition path, the other
partitions' results are kept, and with ``on_error="raise"`` (the default) :class:`PartitionError`
lists every failed partition and carries the partial result (``.result``); with
``on_error="collect"`` the result is returned with the failures in ``result.errors``. A result
holds only whole partitions: a partition with any failed task contributes no rows. Failures
that are not about the data (a lost worker, a storage timeout) are retried by Dask
(``retries=``) before they count.

Dask is an optional dependency: ``pip install "nse_polars[dist]"``. :func:`run_local` and
:func:`write_dataset` do not need it.
"""

from __future__ import annotations

import math
import os
import sys
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from nse_polars.backtest import (
    NSE_SESSION_MINUTES,
    TRADING_DAYS,
    SweepResult,
    _bar_spacings_us,
    _bars_per_year_from_spacing,
    sweep,
)
from nse_polars.strategies import STRATEGIES

__all__ = [
    "BatchResult",
    "Partition",
    "PartitionError",
    "list_partitions",
    "run",
    "run_local",
    "write_dataset",
]

_SET = "__set"  # position of a parameter set in the expanded grid: the second sort key
_ERROR_SCHEMA = {"partition": pl.String, "symbol": pl.String, "error": pl.String}


class PartitionError(RuntimeError):
    """One or more partitions failed; ``.result`` holds the other partitions' results and
    ``.result.errors`` one row per failed partition (path, symbol, error)."""

    def __init__(self, message: str, result: BatchResult) -> None:
        super().__init__(message)
        self.result = result


class PartitionDataError(ValueError):
    """Bad data in one partition (raised inside a task, reported with the partition path)."""


@dataclass(frozen=True)
class Partition:
    """One symbol's directory of the dataset: its path (as shown in errors) and its files."""

    symbol: str
    path: str
    files: tuple[str, ...]


@dataclass
class BatchResult(SweepResult):
    """A :class:`~nse_polars.SweepResult` over a dataset, plus ``errors`` (one row per failed
    partition: ``partition``, ``symbol``, ``error``) and the number of partitions and tasks."""

    errors: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=_ERROR_SCHEMA))
    partitions: int = 0
    tasks: int = 0

    def __repr__(self) -> str:
        failed = (
            f", {self.errors.height} failed partition(s) in .errors" if len(self.errors) else ""
        )
        return (
            f"Batch sweep of {self.strategy} over {self.partitions} partition(s) in "
            f"{self.tasks} task(s){failed}\n{super().__repr__()}"
        )


@dataclass(frozen=True)
class _Spec:
    """What every task needs besides its partition and its parameter sets."""

    strategy: str
    by: str
    ts: str | None
    open: str | None
    close: str
    bars_per_year: float | None
    session_minutes: float
    options: dict[str, Any]
    storage_options: dict[str, Any] | None


@dataclass
class _Outcome:
    """A task's answer: metrics (or spacing counts), or a data error naming the partition."""

    partition: str
    symbol: str
    frame: pl.DataFrame | None = None
    error: str | None = None


# --- the dataset ---------------------------------------------------------------------------------


def _is_url(path: str) -> bool:
    return "://" in path


def _fsspec_fs(root: str, storage_options: Mapping[str, Any] | None) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError as exc:  # pragma: no cover - fsspec comes with the dist extra
        msg = f"reading {root!r} needs fsspec: pip install 'nse_polars[dist]'"
        raise ImportError(msg) from exc
    fs, path = fsspec.core.url_to_fs(root, **(storage_options or {}))
    return fs, path


def list_partitions(
    dataset: str | os.PathLike[str],
    *,
    by: str = "symbol",
    storage_options: Mapping[str, Any] | None = None,
) -> list[Partition]:
    """
    The ``<by>=<value>`` partitions of a hive-partitioned Parquet dataset, sorted by symbol.

    Every ``.parquet`` file under a partition directory belongs to it (sub-directories such as
    ``year=2024/`` included, in path order). Names starting with ``_`` or ``.`` are ignored
    (``_SUCCESS``, ``_metadata``). Values are URL-decoded as Polars and Arrow write them
    (``symbol=M%26M`` is ``M&M``).

    Parameters
    ----------
    dataset
        The dataset's root: a local path, or an fsspec URL (``s3://...``, ``gcs://...``).
    by
        The partition key naming the symbol.
    storage_options
        fsspec options for a URL (credentials, endpoint).
    """
    root = os.fspath(dataset)
    rel_files: list[tuple[str, ...]] = []
    if _is_url(root):
        fs, base = _fsspec_fs(root, storage_options)
        if not fs.isdir(base):
            msg = f"dataset {root!r} not found (or not a directory)"
            raise FileNotFoundError(msg)
        protocol = root.split("://", 1)[0]
        base = base.rstrip("/")
        for f in sorted(fs.find(base)):
            rel = f[len(base) :].lstrip("/")
            rel_files.append(tuple(rel.split("/")))

        def join(parts: Sequence[str]) -> str:
            return f"{protocol}://{base}/{'/'.join(parts)}"

    else:
        base_path = Path(root).absolute()  # workers may run in another directory
        if not base_path.is_dir():
            msg = f"dataset {root!r} not found (or not a directory)"
            raise FileNotFoundError(msg)
        for dirpath, dirnames, filenames in os.walk(base_path):
            dirnames[:] = [d for d in dirnames if not d.startswith(("_", "."))]
            rel_dir = Path(dirpath).relative_to(base_path).parts
            rel_files.extend((*rel_dir, name) for name in filenames)

        def join(parts: Sequence[str]) -> str:
            return str(base_path.joinpath(*parts))

    groups: dict[str, list[tuple[str, ...]]] = {}
    for parts in rel_files:
        if not parts[-1].endswith(".parquet") or any(p.startswith(("_", ".")) for p in parts):
            continue
        if len(parts) < 2 or not parts[0].startswith(f"{by}="):
            msg = (
                f"dataset {root!r} is not partitioned by `{by}`: {join(parts)!r} is not inside a "
                f"'{by}=<value>' directory"
            )
            raise ValueError(msg)
        groups.setdefault(parts[0], []).append(parts)
    if not groups:
        msg = f"dataset {root!r} has no Parquet files in '{by}=<value>' directories"
        raise ValueError(msg)
    partitions: dict[str, Partition] = {}
    for directory, files in groups.items():
        symbol = urllib.parse.unquote(directory[len(by) + 1 :])
        if symbol in partitions:
            msg = (
                f"dataset {root!r}: symbol {symbol!r} has two partitions, "
                f"{partitions[symbol].path!r} and {join([directory])!r}"
            )
            raise ValueError(msg)
        partitions[symbol] = Partition(
            symbol, join([directory]), tuple(join(f) for f in sorted(files))
        )
    return [partitions[s] for s in sorted(partitions)]


def write_dataset(
    bars: pl.DataFrame,
    root: str | os.PathLike[str],
    *,
    by: str = "symbol",
    ts: str = "ts",
    by_year: bool = False,
) -> list[Partition]:
    """
    Write bars as a hive-partitioned Parquet dataset: ``root/<by>=<symbol>/`` (and
    ``year=<yyyy>/`` below it with ``by_year=True``). `root` must not exist or be empty.

    Returns the dataset's partitions (:func:`list_partitions`).

    Examples
    --------
    >>> import tempfile
    >>> import nse_polars as nse
    >>> from nse_polars import dist
    >>> bars = nse.generate_ohlcv(["INFY", "M&M"], days=3, seed=1)
    >>> root = tempfile.mkdtemp()
    >>> [p.symbol for p in dist.write_dataset(bars, root)]
    ['INFY', 'M&M']
    """
    path = Path(root)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        msg = f"`root` {str(path)!r} exists and is not an empty directory"
        raise FileExistsError(msg)
    for role, col in (("by", by), ("ts", ts)):
        if col not in bars.columns:
            msg = f"`{role}`: no column {col!r} (columns: {', '.join(bars.columns)})"
            raise ValueError(msg)
    keys = [by]
    if by_year:
        bars = bars.with_columns(pl.col(ts).dt.year().alias("year"))
        keys.append("year")
    bars.sort(by, ts, maintain_order=True).write_parquet(path, partition_by=keys)
    return list_partitions(path, by=by)


# --- one partition -------------------------------------------------------------------------------


def _read_partition(part: Partition, spec: _Spec, *, prices: bool) -> pl.DataFrame:
    """The partition's bars (time, and open/close when `prices`), checked and sorted by time.

    Raises PartitionDataError (or a Polars error) for bad data; storage errors propagate.
    """
    wanted = [c for c in (spec.ts, *((spec.open, spec.close) if prices else ())) if c is not None]
    if not part.files:
        raise PartitionDataError("no Parquet files")
    if _is_url(part.path):
        fs, _ = _fsspec_fs(part.path, spec.storage_options)
        frames = []
        for f in part.files:
            with fs.open(f, "rb") as handle:
                frames.append(pl.read_parquet(handle, hive_partitioning=False))
        lazy = pl.concat(frames, how="vertical").lazy()
    else:
        lazy = pl.scan_parquet(list(part.files), hive_partitioning=False)
    schema = lazy.collect_schema()
    for role, col in (("ts", spec.ts), ("open", spec.open), ("close", spec.close)):
        if col is None or col not in wanted:
            continue
        if col not in schema:
            msg = f"`{role}`: no column {col!r} (columns: {', '.join(schema.names())})"
            raise PartitionDataError(msg)
        dtype = schema[col]
        ok = dtype.is_temporal() if role == "ts" else dtype.is_numeric()
        if not ok:
            kind = "a date or datetime" if role == "ts" else "a numeric"
            msg = f"`{role}`: column {col!r} has dtype {dtype}, expected {kind} column"
            raise PartitionDataError(msg)
    prices_f64 = [pl.col(c).cast(pl.Float64) for c in wanted if c != spec.ts]
    data = lazy.select(wanted).with_columns(prices_f64).collect()
    if spec.ts is not None:
        data = data.sort(spec.ts, maintain_order=True, nulls_last=False)
        _check_times(data, spec.ts)
    if prices:
        _check_prices(data, spec)
    return data.with_columns(pl.lit(part.symbol, pl.String).alias(spec.by))


def _check_times(data: pl.DataFrame, ts: str) -> None:
    """Every bar has a time and no two share one (the sweep needs strictly increasing times)."""
    n_null = data.get_column(ts).null_count()
    if n_null:
        raise PartitionDataError(f"`ts`: column {ts!r} has {n_null} null value(s)")
    dup = data.filter(pl.col(ts) == pl.col(ts).shift(1))
    if dup.height:
        msg = f"`ts`: {dup.height} duplicate time(s) in column {ts!r}, first {dup[ts][0]}"
        raise PartitionDataError(msg)


def _check_prices(data: pl.DataFrame, spec: _Spec) -> None:
    """The engine's rule: a price that is there (not null, not NaN) must be > 0 and finite."""
    for role, col in (("close", spec.close), ("open", spec.open)):
        if col is None:
            continue
        x = pl.col(col).cast(pl.Float64)
        bad = data.with_row_index("__row").filter((x <= 0) | x.is_infinite())
        if bad.height:
            row = bad.row(0, named=True)
            when = f" at {row[spec.ts]}" if spec.ts is not None else ""
            msg = (
                f"`{role}`: {bad.height} price(s) in column {col!r} are <= 0 or infinite; "
                f"first {row[col]!r}{when} (row {row['__row']} in time order)"
            )
            raise PartitionDataError(msg)


# Errors that say the partition's data is bad: not worth a retry.
_DATA_ERRORS: tuple[type[BaseException], ...] = (
    PartitionDataError,
    ValueError,
    TypeError,
    pl.exceptions.PolarsError,
)


def _spacing_task(part: Partition, spec: _Spec) -> _Outcome:
    """Counts of the partition's bar spacings in microseconds (for bars_per_year)."""
    try:
        data = _read_partition(part, spec, prices=False)
    except _DATA_ERRORS as exc:
        return _Outcome(part.path, part.symbol, error=_describe(exc))
    return _Outcome(part.path, part.symbol, frame=_spacings(data, spec.ts))


def _spacings(data: pl.DataFrame, ts: str | None) -> pl.DataFrame:
    """Counts of one symbol's bar spacings in microseconds (> 0), from the helper of
    nse_polars.backtest's own inference."""
    micros = _bar_spacings_us(data.get_column(ts)) if ts is not None else np.empty(0, np.int64)
    us = pl.Series("us", micros[micros > 0], dtype=pl.Int64)
    return us.to_frame().group_by("us").len("n").cast({"n": pl.Int64})


def _sweep_frame(data: pl.DataFrame, sets: pl.DataFrame, spec: _Spec) -> pl.DataFrame:
    """nse_polars.sweep over the bars of one or many symbols (sorted by symbol, then time)."""
    names = list(STRATEGIES[spec.strategy])
    res = sweep(
        data,
        spec.strategy,
        sets.select(names),
        by=spec.by,
        ts=spec.ts,
        open=spec.open,
        close=spec.close,
        bars_per_year=spec.bars_per_year,
        session_minutes=spec.session_minutes,
        overfitting=False,  # a task sees a chunk of the grid; see run()'s Notes
        **spec.options,
    )
    n_symbols = res.metrics.height // max(sets.height, 1)
    positions = np.tile(sets.get_column(_SET).to_numpy(), n_symbols)
    return res.metrics.with_columns(pl.Series(_SET, positions, dtype=pl.Int64))


def _spacing_batch(parts: Sequence[Partition], spec: _Spec) -> list[_Outcome]:
    """:func:`_spacing_task` for each partition of a batch (one Dask task)."""
    return [_spacing_task(part, spec) for part in parts]


def _sweep_batch(parts: Sequence[Partition], sets: pl.DataFrame, spec: _Spec) -> list[_Outcome]:
    """The sweep of `sets` over each partition of a batch (one Dask task): metrics rows keyed
    by (symbol, set position), or a data error naming the partition. One native sweep runs
    over the batch's good partitions together: per-task and per-call overheads are paid
    once per batch. Each symbol's rows are the same as from its own sweep (symbols never
    interact); if the joint sweep fails (e.g. partitions whose time columns differ in type),
    each partition is swept on its own so that an error names its partition."""
    outcomes: list[_Outcome] = []
    good: list[tuple[Partition, pl.DataFrame]] = []
    for part in parts:
        try:
            good.append((part, _read_partition(part, spec, prices=True)))
        except _DATA_ERRORS as exc:
            outcomes.append(_Outcome(part.path, part.symbol, error=_describe(exc)))
    if not good:
        return outcomes
    try:
        frame = pl.concat([data for _, data in good], how="vertical_relaxed")  # as run_local
        metrics = _sweep_frame(frame, sets, spec)
    except _DATA_ERRORS:
        for part, data in good:
            try:
                outcomes.append(
                    _Outcome(part.path, part.symbol, frame=_sweep_frame(data, sets, spec))
                )
            except _DATA_ERRORS as exc:
                outcomes.append(_Outcome(part.path, part.symbol, error=_describe(exc)))
        return outcomes
    by_symbol = metrics.partition_by(spec.by, as_dict=True, maintain_order=True)
    for part, _ in good:
        rows = by_symbol.get((part.symbol,), metrics.clear())
        outcomes.append(_Outcome(part.path, part.symbol, frame=rows))
    return outcomes


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# --- shared by both runs -------------------------------------------------------------------------


def _plan(
    strategy: str,
    grid: Mapping[str, Any] | pl.DataFrame,
    spec: _Spec,
) -> tuple[pl.DataFrame, SweepResult]:
    """Check every argument once, here, with a sweep over two dummy bars: a bad option or
    parameter set raises now (naming it), not once per task. Returns the expanded parameter
    sets (with their positions) and the dummy result (its schema, settings, skipped count)."""
    import datetime as dt

    if spec.bars_per_year is None:
        spec = _with_bars_per_year(spec, float(TRADING_DAYS))
    t0 = dt.datetime(2024, 1, 1, 9, 15)
    dummy = pl.DataFrame({spec.by: ["x", "x"], "__t": [t0, t0 + dt.timedelta(minutes=5)]})
    dummy = dummy.with_columns(
        pl.lit(100.0).alias(c) for c in (spec.open, spec.close) if c is not None
    )
    if spec.ts is not None:
        dummy = dummy.rename({"__t": spec.ts})
    res = sweep(
        dummy,
        strategy,
        grid,
        by=spec.by,
        ts=spec.ts,
        open=spec.open,
        close=spec.close,
        bars_per_year=spec.bars_per_year,
        session_minutes=spec.session_minutes,
        overfitting=False,  # a task sees a chunk of the grid; see run()'s Notes
        **spec.options,
    )
    names = list(STRATEGIES[strategy])
    sets = res.metrics.select(names).with_row_index(_SET).cast({_SET: pl.Int64})
    return sets, res


def _with_bars_per_year(spec: _Spec, value: float) -> _Spec:
    return _Spec(**{**spec.__dict__, "bars_per_year": value})


def _bars_per_year(spacings: Sequence[pl.DataFrame], session_minutes: float) -> float:
    """The whole dataset's bars per year from per-partition spacing counts: the same median
    (and the same rule) as nse_polars.sweep's inference over one frame of every symbol."""
    counts = (
        pl.concat(spacings, how="vertical").group_by("us").agg(pl.col("n").sum()).sort("us")
        if spacings
        else pl.DataFrame(schema={"us": pl.Int64, "n": pl.Int64})
    )
    total = int(counts.get_column("n").sum()) if counts.height else 0
    if total == 0:
        return float(TRADING_DAYS)
    values = counts.get_column("us").to_numpy()
    ends = np.cumsum(counts.get_column("n").to_numpy())

    def nth(k: int) -> int:  # the k-th smallest spacing, 0-based
        return int(values[np.searchsorted(ends, k, side="right")])

    # Polars' median: the middle value, or the mean of the two middle values (both exact here:
    # spacings in microseconds are far below 2**52).
    lo, hi = nth((total - 1) // 2), nth(total // 2)
    median = (lo + hi) / 2
    inferred = _bars_per_year_from_spacing(pl.Series([median]), session_minutes)
    return float(TRADING_DAYS) if inferred is None else inferred


def _spec(
    *,
    strategy: str,
    by: str,
    ts: str | None,
    open: str | None,
    close: str,
    bars_per_year: float | None,
    session_minutes: float,
    options: dict[str, Any],
    storage_options: Mapping[str, Any] | None,
) -> _Spec:
    if "grid" in options or "df" in options:
        msg = f"unexpected option(s) {sorted(options)}"
        raise TypeError(msg)
    return _Spec(
        strategy,
        by,
        ts,
        open,
        close,
        bars_per_year,
        session_minutes,
        dict(options),
        dict(storage_options) if storage_options else None,
    )


def _finish(
    outcomes: Sequence[_Outcome],
    failures: Mapping[str, tuple[str, str]],
    template: SweepResult,
    spec: _Spec,
    *,
    partitions: int,
    tasks: int,
    on_error: str,
    output: str | os.PathLike[str] | None,
) -> BatchResult:
    """Gather: drop partitions with any failure, sort by (symbol, set position), report."""
    frames = [o.frame for o in outcomes if o.partition not in failures and o.frame is not None]
    empty = template.metrics.clear().with_columns(pl.Series(_SET, [], dtype=pl.Int64))
    metrics = pl.concat([empty, *frames], how="vertical")
    metrics = metrics.sort(spec.by, _SET, maintain_order=True).drop(_SET)
    errors = pl.DataFrame(
        [(path, symbol, message) for path, (symbol, message) in sorted(failures.items())],
        schema=_ERROR_SCHEMA,
        orient="row",
    )
    assert spec.bars_per_year is not None
    result = BatchResult(
        metrics,
        template.strategy,
        spec.bars_per_year,
        {**template.config, "bars_per_year": spec.bars_per_year},
        template.skipped,
        errors=errors,
        partitions=partitions,
        tasks=tasks,
    )
    if output is not None:
        _write_output(metrics, output, spec.storage_options)
    if errors.height and on_error == "raise":
        raise PartitionError(_failure_message(errors, partitions), result)
    return result


def _failure_message(errors: pl.DataFrame, partitions: int) -> str:
    lines = [
        f"{errors.height} of {partitions} partition(s) failed (the others' results are in "
        "`.result`, every failure in `.result.errors`):"
    ]
    for path, symbol, message in errors.iter_rows():
        short = message if len(message) <= 400 else message[:400] + " ..."
        lines.append(f"  partition {path!r} (symbol {symbol!r}): {short}")
    return "\n".join(lines)


def _write_output(
    metrics: pl.DataFrame, output: str | os.PathLike[str], storage_options: dict[str, Any] | None
) -> None:
    target = os.fspath(output)
    if _is_url(target):
        fs, path = _fsspec_fs(target, storage_options)
        with fs.open(path, "wb") as handle:
            metrics.write_parquet(handle)
    else:
        metrics.write_parquet(target)


def _check_choice(name: str, value: Any, choices: Sequence[Any]) -> None:
    if value not in choices:
        msg = f"`{name}` must be one of {list(choices)}, got {value!r}"
        raise ValueError(msg)


# --- the local run -------------------------------------------------------------------------------


def run_local(
    dataset: str | os.PathLike[str],
    *,
    strategy: str,
    grid: Mapping[str, Any] | pl.DataFrame,
    by: str = "symbol",
    ts: str | None = "ts",
    open: str | None = "open",
    close: str = "close",
    bars_per_year: float | None = None,
    session_minutes: float = NSE_SESSION_MINUTES,
    on_error: Literal["raise", "collect"] = "raise",
    output: str | os.PathLike[str] | None = None,
    storage_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> BatchResult:
    """
    The single-machine batch run: read every partition of `dataset` in this process and sweep
    all symbols in one native call (symbols and parameter sets in parallel, OpenMP).

    Returns the same table as :func:`run`, bit for bit; the parameters are :func:`run`'s.

    Examples
    --------
    >>> import tempfile
    >>> import nse_polars as nse
    >>> from nse_polars import dist
    >>> root = tempfile.mkdtemp()
    >>> _ = dist.write_dataset(nse.generate_ohlcv(3, days=10, seed=1), root)
    >>> res = dist.run_local(root, strategy="sma_cross", grid={"fast": [5, 10], "slow": [20]})
    >>> res.metrics.height, res.bars_per_year
    (6, 18900.0)
    >>> res.metrics.select("symbol", "fast", "slow", "n_trades").head(3).rows()
    [('SYM000', 5, 20, 21), ('SYM000', 10, 20, 19), ('SYM001', 5, 20, 19)]
    """
    _check_choice("on_error", on_error, ("raise", "collect"))
    spec = _spec(
        strategy=strategy,
        by=by,
        ts=ts,
        open=open,
        close=close,
        bars_per_year=bars_per_year,
        session_minutes=session_minutes,
        options=options,
        storage_options=storage_options,
    )
    sets, template = _plan(strategy, grid, spec)
    parts = list_partitions(dataset, by=by, storage_options=storage_options)
    failures: dict[str, tuple[str, str]] = {}
    frames: list[pl.DataFrame] = []
    spacings: list[pl.DataFrame] = []
    for part in parts:
        try:
            frames.append(_read_partition(part, spec, prices=True))
        except _DATA_ERRORS as exc:
            failures[part.path] = (part.symbol, _describe(exc))
            # As in run(): a partition whose prices are bad still counts for bars_per_year
            # when its time column is good.
            if spec.bars_per_year is None:
                outcome = _spacing_task(part, spec)
                if outcome.frame is not None:
                    spacings.append(outcome.frame)
        else:
            spacings.append(_spacings(frames[-1], ts))
    if spec.bars_per_year is None:
        spec = _with_bars_per_year(spec, _bars_per_year(spacings, session_minutes))
    outcomes = []
    if frames:
        data = pl.concat(frames, how="vertical_relaxed")
        metrics = _sweep_frame(data, sets, spec)
        outcomes.append(_Outcome(str(dataset), "", frame=metrics))
    return _finish(
        outcomes,
        failures,
        template,
        spec,
        partitions=len(parts),
        tasks=1,
        on_error=on_error,
        output=output,
    )


# --- the distributed run -------------------------------------------------------------------------


def _import_dask() -> Any:
    try:
        import distributed
    except ImportError as exc:
        msg = (
            "nse_polars.dist.run needs Dask distributed, an optional dependency: "
            "pip install 'nse_polars[dist]'"
        )
        raise ImportError(msg) from exc
    return distributed


def _print_progress(done: int, total: int, failed: int) -> None:
    end = "\n" if done == total else ""
    note = f", {failed} failed" if failed else ""
    print(f"\rnse_polars.dist: {done}/{total} tasks done{note}", end=end, file=sys.stderr)


def run(
    dataset: str | os.PathLike[str],
    *,
    strategy: str,
    grid: Mapping[str, Any] | pl.DataFrame,
    client: Any = None,
    by: str = "symbol",
    ts: str | None = "ts",
    open: str | None = "open",
    close: str = "close",
    bars_per_year: float | None = None,
    session_minutes: float = NSE_SESSION_MINUTES,
    sets_per_task: int | None = None,
    partitions_per_task: int | None = None,
    retries: int = 2,
    on_error: Literal["raise", "collect"] = "raise",
    progress: bool | Callable[[int, int, int], None] = False,
    output: str | os.PathLike[str] | None = None,
    storage_options: Mapping[str, Any] | None = None,
    cluster_options: Mapping[str, Any] | None = None,
    **options: Any,
) -> BatchResult:
    """
    Sweep a strategy's parameter grid over every symbol of a hive-partitioned Parquet dataset
    on Dask distributed; one metrics row per (symbol, parameter set), as :func:`run_local`
    and :func:`nse_polars.sweep`.

    Parameters
    ----------
    dataset
        The dataset root (``<by>=<symbol>/`` directories of Parquet files): a local or NFS path,
        or an fsspec URL (``s3://bucket/bars``) that every worker can read.
    strategy, grid
        As in :func:`nse_polars.sweep`: a strategy name and ``{"fast": [...], ...}`` (the
        Cartesian product, invalid sets skipped) or a DataFrame of parameter sets.
    client
        A ``dask.distributed.Client`` (used, left open), a scheduler address such as
        ``"tcp://10.0.0.5:8786"`` (connected to, then closed), or None: a ``LocalCluster``
        with one single-threaded worker process per core is started and closed
        (``cluster_options`` are passed to ``LocalCluster``).
    by, ts, open, close
        The partition key naming the symbol, and the time and price columns of the files.
    bars_per_year
        None: inferred once from every readable partition's time column (the median bar
        spacing over all symbols, the rule of :func:`nse_polars.sweep`); every task gets it.
    session_minutes
        Session length for that inference (NSE: 375).
    sets_per_task
        Parameter sets per task; None: all of them when there are at least twice as many
        partitions as worker threads, else split so that there are.
    partitions_per_task
        Partitions per task; None: enough for about 8 tasks per worker thread (and chunk of
        sets). A task reads each of its partitions on its own (a bad one fails alone, named)
        and sweeps the good ones in one native call; 1 gives one task per partition.
    retries
        Times Dask reruns a task that failed for a reason other than its data (a lost
        worker, a storage error). Data errors are not retried.
    on_error
        ``"raise"``: if any partition failed, raise :class:`PartitionError` naming every one
        (its ``.result`` holds the rest); ``"collect"``: return them in ``result.errors``.
    progress
        True: a progress line on stderr; or a callable ``(done, total, failed)`` called as
        tasks finish (on the calling thread).
    output
        Also write the metrics table to this Parquet file (local path or fsspec URL); when
        partitions failed, the other partitions' rows are written before the error is raised.
    storage_options
        fsspec options for a URL dataset or output.
    **options
        ``fill``, ``costs``, ``fixed_fee``, ``slippage_bps``, ``size``, ``size_type``,
        ``lot_size``, ``initial_capital``, ``risk_free``, ``mar``: as in
        :func:`nse_polars.sweep`.

    Returns
    -------
    BatchResult
        ``metrics`` sorted by symbol, then by parameter set (grid order), identical to
        :func:`run_local`'s; ``errors``; ``bars_per_year``; ``skipped`` grid combinations.

    Notes
    -----
    The overfitting guards of :func:`nse_polars.sweep` (``SweepResult.overfitting``: DSR,
    PBO) are not computed here: a task sees one chunk of the grid and one partition, and the
    guards need every set's per-bar returns over a symbol's whole history. ``overfitting`` is
    None; run :func:`nse_polars.sweep` on a symbol's bars for its guards.
    """
    _check_choice("on_error", on_error, ("raise", "collect"))
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        msg = f"`retries` must be an integer >= 0, got {retries!r}"
        raise ValueError(msg)
    for name, value in (
        ("sets_per_task", sets_per_task),
        ("partitions_per_task", partitions_per_task),
    ):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            msg = f"`{name}` must be a positive integer or None, got {value!r}"
            raise ValueError(msg)
    if not (isinstance(progress, bool) or callable(progress)):
        msg = f"`progress` must be a bool or a callable, got {progress!r}"
        raise TypeError(msg)
    distributed = _import_dask()
    spec = _spec(
        strategy=strategy,
        by=by,
        ts=ts,
        open=open,
        close=close,
        bars_per_year=bars_per_year,
        session_minutes=session_minutes,
        options=options,
        storage_options=storage_options,
    )
    sets, template = _plan(strategy, grid, spec)
    parts = list_partitions(dataset, by=by, storage_options=storage_options)
    report = _print_progress if progress is True else (progress or None)

    own_cluster = own_client = None
    try:
        if client is None:
            opts = {
                "n_workers": os.cpu_count() or 1,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": ":0",
                **(cluster_options or {}),
            }
            own_cluster = distributed.LocalCluster(**opts)
            client = own_client = distributed.Client(own_cluster)
        elif isinstance(client, str):
            client = own_client = distributed.Client(client)
        elif not isinstance(client, distributed.Client):
            msg = f"`client` must be None, a dask.distributed.Client or an address, got {client!r}"
            raise TypeError(msg)
        return _run_on(
            client,
            distributed,
            parts,
            sets,
            template,
            spec,
            sets_per_task=sets_per_task,
            partitions_per_task=partitions_per_task,
            retries=retries,
            on_error=on_error,
            report=report,
            output=output,
        )
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()


def _run_on(
    client: Any,
    distributed: Any,
    parts: list[Partition],
    sets: pl.DataFrame,
    template: SweepResult,
    spec: _Spec,
    *,
    sets_per_task: int | None,
    partitions_per_task: int | None,
    retries: int,
    on_error: str,
    report: Callable[[int, int, int], None] | None,
    output: str | os.PathLike[str] | None,
) -> BatchResult:
    failures: dict[str, tuple[str, str]] = {}
    total_tasks = 0

    def gather(futures: dict[Any, list[Partition]], total: int, done0: int) -> list[_Outcome]:
        outcomes = []
        done = done0
        for future in distributed.as_completed(list(futures)):
            try:
                batch = future.result()
            except Exception as exc:  # failed after its retries: a lost worker, storage, ...
                for part in futures[future]:
                    failures.setdefault(part.path, (part.symbol, _describe(exc)))
            else:
                for outcome in batch:
                    if outcome.error is not None:
                        failures.setdefault(outcome.partition, (outcome.symbol, outcome.error))
                    outcomes.append(outcome)
            future.release()
            done += 1
            if report is not None:
                report(done, total, len(failures))
        return outcomes

    todo = parts
    n_sets = sets.height
    threads = max(1, sum(client.nthreads().values()))
    if sets_per_task is None:
        chunks = 1 if len(parts) >= 2 * threads else math.ceil(2 * threads / max(len(parts), 1))
        sets_per_task = max(1, math.ceil(n_sets / max(1, min(chunks, n_sets))))
    chunks_of_sets = [sets.slice(i, sets_per_task) for i in range(0, max(n_sets, 1), sets_per_task)]
    if partitions_per_task is None:  # about 8 tasks per worker thread and chunk of sets
        partitions_per_task = max(1, math.ceil(len(parts) / (8 * threads)))

    def batches(items: list[Partition]) -> list[list[Partition]]:
        return [
            items[i : i + partitions_per_task] for i in range(0, len(items), partitions_per_task)
        ]

    n_sweep_tasks = len(batches(parts)) * len(chunks_of_sets)
    done = 0
    if spec.bars_per_year is None:
        spacing_batches = batches(parts)
        total = len(spacing_batches) + n_sweep_tasks
        spacing_futures = {
            client.submit(_spacing_batch, batch, spec, retries=retries, pure=False): batch
            for batch in spacing_batches
        }
        outcomes = gather(spacing_futures, total, 0)
        done = len(spacing_batches)
        total_tasks += len(spacing_batches)
        a = _bars_per_year([o.frame for o in outcomes if o.frame is not None], spec.session_minutes)
        spec = _with_bars_per_year(spec, a)
        todo = [p for p in parts if p.path not in failures]
        total = done + len(batches(todo)) * len(chunks_of_sets)
    else:
        total = n_sweep_tasks
    set_futures = client.scatter(chunks_of_sets, hash=False)
    sweep_futures = {}
    for batch in batches(todo):
        for chunk in set_futures:
            future = client.submit(_sweep_batch, batch, chunk, spec, retries=retries, pure=False)
            sweep_futures[future] = batch
    total_tasks += len(sweep_futures)
    outcomes = gather(sweep_futures, total, done)
    return _finish(
        outcomes,
        failures,
        template,
        spec,
        partitions=len(parts),
        tasks=total_tasks,
        on_error=on_error,
        output=output,
    )
