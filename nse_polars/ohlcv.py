"""Strict OHLCV ingestion: read, normalise and validate bar files with Polars' own readers.

``read_ohlcv`` reads files, lists, globs or directories of CSV (plain or gzip), Parquet (also
hive-partitioned) and Arrow IPC into the canonical schema, validates every bar and returns a
DataFrame sorted by ``(symbol, ts)``; ``scan_ohlcv`` is its lazy, unvalidated front half.
Column names and timestamp formats are detected from each file's header and first rows, and a
decision the sample cannot settle raises instead of guessing.

Canonical schema: ``symbol`` (String), ``ts`` (``Datetime("us", output_time_zone)``),
``open, high, low, close, volume`` (Float64; ``volume`` null where the source has none), then
kept extra columns, then ``source`` and ``line`` when ``provenance=True``.
"""

from __future__ import annotations

import csv
import glob as _glob
import gzip
import io
import logging
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from nse_polars.ohlcv_detect import (
    CANONICAL_PRICES,
    NUMERIC_EXTRAS,
    ColumnMap,
    OHLCVReadError,
    TimestampPlan,
    detect_columns,
    detect_timestamp,
    raw_timestamp_expr,
    timestamp_expr,
)
from nse_polars.ohlcv_validate import (
    RULES,
    DataQualityWarning,
    OHLCVResult,
    OHLCVValidationError,
    validate_frame,
    validate_ohlcv,
)
from nse_polars.sessions import parse_duration_us

__all__ = [
    "RULES",
    "DataQualityWarning",
    "OHLCVReadError",
    "OHLCVResult",
    "OHLCVValidationError",
    "read_ohlcv",
    "scan_ohlcv",
    "validate_ohlcv",
]

logger = logging.getLogger("nse_polars.ohlcv")

SourceLike = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]

_CSV_SUFFIXES = (".csv", ".txt", ".tsv", ".gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_IPC_SUFFIXES = (".arrow", ".ipc", ".feather")
_KNOWN_SUFFIXES = (".csv", ".txt", ".tsv", ".gz", ".parquet", ".pq", ".arrow", ".ipc", ".feather")
# Documentation files a data directory often holds (PROVENANCE.txt, README.txt): skipped when a
# directory is searched, read when named explicitly.
_DOC_STEMS = ("readme", "provenance", "license", "licence", "notice", "changelog")
_SAMPLE_BYTES = 1 << 16
_SAMPLE_ROWS = 200
_NULL_VALUES = ["NA", "N/A", "null", "NULL", "None"]
_VENDOR_COLUMNS = ("symbol", "date", "time", "open", "high", "low", "close", "volume", "oi")
_DATE_RANGE_TAIL = re.compile(
    r"^(?P<symbol>.+?)[_ ]\d{4}-?\d{2}-?\d{2}(?:[_ ](?:to|-)[_ ]?\d{4}-?\d{2}-?\d{2})?$"
)
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


# --- sources ----------------------------------------------------------------------------------


def _resolve_sources(source: SourceLike) -> list[Path]:
    """Expand a file, directory, glob or list of those into a sorted, de-duplicated file list."""
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if not items:
        raise ValueError("`source` is an empty list")
    files: list[Path] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"`source` entries must be paths or globs, got {type(item).__name__}")
        text = os.fspath(item)
        path = Path(text)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not p.name.startswith((".", "_"))
                and p.name.split(".")[0].lower() not in _DOC_STEMS
                and any(s in _KNOWN_SUFFIXES for s in p.suffixes)
            )
            if not found:
                raise OHLCVReadError(f"{text}: directory holds no CSV, Parquet or IPC files")
            files.extend(found)
        elif any(ch in text for ch in "*?["):
            found = sorted(Path(p) for p in _glob.glob(text, recursive=True) if Path(p).is_file())
            if not found:
                raise OHLCVReadError(f"{text}: the glob matches no file")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise OHLCVReadError(f"{text}: no such file or directory")
    unique = list(dict.fromkeys(files))
    return unique


def _hive_parts(path: Path, roots: Sequence[Path]) -> dict[str, str]:
    """``key=value`` directory names between the dataset root and the file."""
    parts: dict[str, str] = {}
    for part in path.parent.parts:
        if "=" in part:
            key, _, value = part.partition("=")
            parts[key] = value
    return parts


def symbol_from_path(path: Path) -> str:
    """Default symbol of a file: its name without extensions and a trailing date range.

    ``RELIANCE.csv.gz`` -> ``RELIANCE``; ``M&M_2020-10-01_to_2025-09-30.csv`` -> ``M&M``.
    """
    name = path.name
    while True:
        stem, dot, suffix = name.rpartition(".")
        if dot and f".{suffix.lower()}" in _KNOWN_SUFFIXES and stem:
            name = stem
        else:
            break
    match = _DATE_RANGE_TAIL.match(name)
    return match.group("symbol") if match else name


def _sniff_format(path: Path) -> tuple[str, bool]:
    """(``"csv" | "parquet" | "ipc"``, gzip-compressed) from the magic bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise OHLCVReadError(f"{path}: cannot open ({exc.strerror or exc})") from exc
    if head.startswith(b"PAR1"):
        return "parquet", False
    if head.startswith(b"ARROW1") or head[:4] == b"\xff\xff\xff\xff":
        return "ipc", False
    return "csv", head.startswith(b"\x1f\x8b")


# --- per-file plans ---------------------------------------------------------------------------


@dataclass
class _FilePlan:
    path: Path
    kind: str
    columns: ColumnMap
    timestamp: TimestampPlan
    symbol: str | None
    hive: dict[str, str] = field(default_factory=dict)
    csv: dict[str, Any] = field(default_factory=dict)
    line_offset: int = 1


@dataclass(frozen=True)
class _Options:
    mapping: Mapping[str, str] | None
    keep_extra: bool | Sequence[str]
    symbol: str | Callable[[Path], str] | None
    date_format: str | None
    epoch_unit: str | None
    time_zone: str
    output_time_zone: str
    label: str
    bar_length_us: int
    has_header: bool | None
    names: Sequence[str] | None
    separator: str | None
    on_empty: str


def _read_sample(path: Path, gz: bool) -> str:
    try:
        if gz:
            with gzip.open(path, "rb") as handle:
                data = handle.read(_SAMPLE_BYTES)
        else:
            with open(path, "rb") as handle:
                data = handle.read(_SAMPLE_BYTES)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise OHLCVReadError(f"{path}: cannot read ({exc})") from exc
    if len(data) == _SAMPLE_BYTES and b"\n" in data:
        data = data[: data.rindex(b"\n") + 1]  # whole lines only
    if b"\x00" in data:
        raise OHLCVReadError(f"{path}: not a text file (NUL bytes), nor Parquet or Arrow IPC")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OHLCVReadError(
            f"{path}: not UTF-8 text (byte {exc.start} of the first block)"
        ) from exc


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text.strip()))


def _csv_layout(
    path: Path, text: str, opts: _Options
) -> tuple[list[str], list[list[str]], bool, str]:
    """(column names, sample rows, has_header, separator) from the first block of a CSV file."""
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), None)
    if first is None:
        return [], [], True, ","
    separator = opts.separator or max([",", ";", "\t", "|"], key=first.count)
    block = io.StringIO("\n".join(lines[: _SAMPLE_ROWS + 1]))
    rows = list(csv.reader(block, delimiter=separator))
    head = rows[0]
    if opts.has_header is None:
        has_header = sum(_is_number(v) for v in head) < 3
    else:
        has_header = opts.has_header
    if has_header:
        names = [h.strip() for h in head]
        data = rows[1:]
        if opts.names is not None:
            raise ValueError("`names` is for files without a header row; use `columns=` here")
    else:
        data = rows
        if opts.names is not None:
            names = list(opts.names)
        elif (
            len(head) in (8, 9)
            and re.fullmatch(r"\d{8}", head[1].strip() or "x")
            and (re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", head[2].strip()))
        ):
            names = list(_VENDOR_COLUMNS[: len(head)])
        else:
            raise OHLCVReadError(
                f"{path} line 1: no header row ({head[:4]}...) and not the vendor layout "
                "SYMBOL,YYYYMMDD,HH:MM,open,high,low,close,volume[,oi]; pass names=[...]"
            )
        if len(names) != len(head):
            raise OHLCVReadError(
                f"{path} line 1: {len(head)} fields but `names` has {len(names)} entries"
            )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise OHLCVReadError(f"{path} line 1: duplicate column names {dupes}")
    return names, data, has_header, separator


def _evidence_csv(path: Path, column: str, csv_kwargs: dict[str, Any]) -> Callable[[str], Any]:
    def evidence(sep: str) -> tuple[int, int]:
        parts = (
            pl.scan_csv(path, **csv_kwargs)
            .select(pl.col(column).str.strip_chars().str.split_exact(sep, 2).alias("p"))
            .unnest("p")
        )
        out = parts.select(
            pl.col("field_0").str.to_integer(strict=False).max().alias("a"),
            pl.col("field_1").str.to_integer(strict=False).max().alias("b"),
        ).collect()
        return int(out["a"][0] or 0), int(out["b"][0] or 0)

    return evidence


def _symbol_for(path: Path, cols: ColumnMap, hive: dict[str, str], opts: _Options) -> str | None:
    if cols.symbol is not None:
        return None
    if "symbol" in hive and opts.symbol is None:
        return hive["symbol"]
    if isinstance(opts.symbol, str):
        return opts.symbol
    if callable(opts.symbol):
        return str(opts.symbol(path))
    return symbol_from_path(path)


def _plan_csv(path: Path, gz: bool, opts: _Options) -> _FilePlan | None:
    text = _read_sample(path, gz)
    names, rows, has_header, separator = _csv_layout(path, text, opts)
    rows = [r for r in rows if any(v.strip() for v in r)]
    if not names or not rows:
        what = "is empty" if not names else "has a header but no data rows"
        if opts.on_empty == "skip":
            warnings.warn(f"{path}: {what}; skipped (on_empty='skip')", DataQualityWarning, 2)
            return None
        raise OHLCVReadError(f"{path}: {what}; pass on_empty='skip' to skip such files")
    cols = detect_columns(names, where=str(path), mapping=opts.mapping, keep_extra=opts.keep_extra)
    index = {n: i for i, n in enumerate(names)}
    schema: dict[str, pl.DataType] = dict.fromkeys(names, pl.String())
    for name in (*cols.prices, *([cols.volume] if cols.volume else [])):
        schema[name] = pl.Float64()
    for source, out in cols.extras:
        if out in NUMERIC_EXTRAS:
            schema[source] = pl.Float64()
    csv_kwargs: dict[str, Any] = {
        "has_header": has_header,
        "separator": separator,
        "schema": schema,
        "null_values": _NULL_VALUES,
    }

    def sample(column: str) -> list[str]:
        i = index[column]
        return [r[i].strip() for r in rows if i < len(r) and r[i].strip()]

    ts_cols = cols.timestamp_columns
    plan = detect_timestamp(
        sample(ts_cols[0]),
        ts_cols,
        where=str(path),
        time_values=sample(ts_cols[1]) if len(ts_cols) == 2 else None,
        date_format=opts.date_format,
        epoch_unit=opts.epoch_unit,
        evidence=_evidence_csv(path, ts_cols[0], csv_kwargs),
    )
    return _FilePlan(
        path,
        "csv",
        cols,
        plan,
        _symbol_for(path, cols, {}, opts),
        csv=csv_kwargs,
        line_offset=2 if has_header else 1,
    )


def _native_timestamp(
    schema: pl.Schema, cols: ColumnMap, lf: pl.LazyFrame, path: Path, opts: _Options
) -> TimestampPlan:
    ts_cols = cols.timestamp_columns
    dtype = schema[ts_cols[0]]
    if len(ts_cols) == 1 and isinstance(dtype, pl.Datetime):
        return TimestampPlan(
            "datetime", ts_cols, aware=dtype.time_zone is not None, description=str(dtype)
        )
    if len(ts_cols) == 1 and dtype == pl.Date:
        return TimestampPlan("date", ts_cols, description="Date")
    head = lf.select([pl.col(c).cast(pl.String) for c in ts_cols]).head(_SAMPLE_ROWS).collect()

    def sample(column: str) -> list[str]:
        return [v.strip() for v in head[column].drop_nulls().to_list() if v.strip()]

    def evidence(sep: str) -> tuple[int, int]:
        parts = lf.select(
            pl.col(ts_cols[0]).cast(pl.String).str.strip_chars().str.split_exact(sep, 2)
        ).unnest(ts_cols[0])
        out = parts.select(
            pl.col("field_0").str.to_integer(strict=False).max(),
            pl.col("field_1").str.to_integer(strict=False).max(),
        ).collect()
        return int(out.item(0, 0) or 0), int(out.item(0, 1) or 0)

    return detect_timestamp(
        sample(ts_cols[0]),
        ts_cols,
        where=str(path),
        time_values=sample(ts_cols[1]) if len(ts_cols) == 2 else None,
        date_format=opts.date_format,
        epoch_unit=opts.epoch_unit,
        evidence=evidence,
    )


def _scan_native(path: Path, kind: str) -> pl.LazyFrame:
    if kind == "parquet":
        return pl.scan_parquet(path, hive_partitioning=False)
    return pl.scan_ipc(path)


def _plan_native(path: Path, kind: str, opts: _Options) -> _FilePlan | None:
    lf = _scan_native(path, kind)
    try:
        schema = lf.collect_schema()
        n_rows = lf.select(pl.len()).collect().item()
    except pl.exceptions.PolarsError as exc:
        raise OHLCVReadError(f"{path}: cannot read as {kind} ({exc})") from exc
    hive = _hive_parts(path, [])
    names = list(schema.names())
    if n_rows == 0:
        if opts.on_empty == "skip":
            warnings.warn(f"{path}: has no rows; skipped (on_empty='skip')", DataQualityWarning, 2)
            return None
        raise OHLCVReadError(f"{path}: has no rows; pass on_empty='skip' to skip such files")
    mapping = dict(opts.mapping or {})
    if "symbol" in hive and "symbol" not in names and "symbol" not in mapping:
        pass  # symbol comes from the directory name
    cols = detect_columns(names, where=str(path), mapping=mapping, keep_extra=opts.keep_extra)
    plan = _native_timestamp(schema, cols, lf, path, opts)
    return _FilePlan(path, kind, cols, plan, _symbol_for(path, cols, hive, opts), hive=hive)


def _plan(path: Path, opts: _Options) -> _FilePlan | None:
    kind, gz = _sniff_format(path)
    if kind == "csv":
        return _plan_csv(path, gz, opts)
    return _plan_native(path, kind, opts)


# --- lazy frames ------------------------------------------------------------------------------


def _file_frame(plan: _FilePlan, source_dtype: pl.Enum, opts: _Options) -> pl.LazyFrame:
    """One file as a LazyFrame: canonical columns plus ``__source``, ``__line``, ``__raw``,
    ``__blank``."""
    return _group_frame([plan], source_dtype, opts)


def _same_layout(a: _FilePlan, b: _FilePlan) -> bool:
    """Whether two planned files can share one multi-file scan: CSV files with the same
    reader options, columns, timestamp plan and line offset (only the symbol differs)."""
    return (
        a.kind == b.kind == "csv"
        and a.columns == b.columns
        and a.timestamp == b.timestamp
        and a.line_offset == b.line_offset
        and a.csv.keys() == b.csv.keys()
        and all(
            list(a.csv[k].items()) == list(b.csv[k].items())
            if isinstance(a.csv[k], dict)
            else a.csv[k] == b.csv[k]
            for k in a.csv
        )
    )


def _layout_groups(plans: Sequence[_FilePlan]) -> list[list[_FilePlan]]:
    """Runs of consecutive plans with the same layout (reading order is kept)."""
    groups: list[list[_FilePlan]] = []
    for plan in plans:
        if groups and _same_layout(groups[-1][0], plan):
            groups[-1].append(plan)
        else:
            groups.append([plan])
    return groups


def _group_frame(plans: Sequence[_FilePlan], source_dtype: pl.Enum, opts: _Options) -> pl.LazyFrame:
    """Files of one layout as a LazyFrame: canonical columns plus ``__source``, ``__line``,
    ``__raw`` and ``__blank``. Several CSV files are read by one multi-file ``scan_csv``
    (Polars reads them in parallel); the file of each row then comes from its path and the
    line from the row index minus the file's first row index."""
    plan = plans[0]
    cols = plan.columns
    if len(plans) > 1:
        paths = [str(p.path) for p in plans]
        lf = pl.scan_csv(
            paths, **plan.csv, row_index_name="__line", include_file_paths="__path", glob=False
        )
        source = pl.col("__path").cast(source_dtype)
        first = (source != source.shift(1)).fill_null(True)
        row = pl.col("__line").cast(pl.Int64)
        line = row - pl.when(first).then(row).forward_fill() + plan.line_offset
        if cols.symbol is None:
            offset = source_dtype.categories.to_list().index(paths[0])
            symbols = pl.Series([p.symbol for p in plans], dtype=pl.String)
            symbol = pl.lit(symbols).gather(source.to_physical() - offset)
        else:
            symbol = pl.col(cols.symbol).cast(pl.String).str.strip_chars()
        return _canonical(lf, plan, opts, symbol, source, line)
    if plan.kind == "csv":
        lf = pl.scan_csv(
            plan.path,
            **plan.csv,
            row_index_name="__line",
            row_index_offset=plan.line_offset,
        )
    else:
        lf = _scan_native(plan.path, plan.kind).with_row_index("__line", offset=1)
    if cols.symbol is not None:
        symbol = pl.col(cols.symbol).cast(pl.String).str.strip_chars()
    else:
        symbol = pl.lit(plan.symbol, dtype=pl.String)
    source = pl.lit(str(plan.path), dtype=source_dtype)
    return _canonical(lf, plan, opts, symbol, source, pl.col("__line").cast(pl.Int64))


def _canonical(
    lf: pl.LazyFrame,
    plan: _FilePlan,
    opts: _Options,
    symbol: pl.Expr,
    source: pl.Expr,
    line: pl.Expr,
) -> pl.LazyFrame:
    cols = plan.columns
    ts = timestamp_expr(plan.timestamp, opts.time_zone, opts.output_time_zone)
    # The source text, only where the fast parse failed (or the value is missing): such rows
    # are re-read by the general parser or reported.
    # Parsed once into a column, then referenced (an expression used three times would be
    # evaluated three times).
    lf = lf.with_columns(ts.alias("__ts"))
    failed = pl.col("__ts").is_null()
    if plan.timestamp.kind in ("text", "epoch"):
        raw = pl.when(failed).then(raw_timestamp_expr(plan.timestamp))
    else:
        raw = pl.when(failed).then(pl.col(cols.timestamp_columns[0]).cast(pl.String))
    used = [c for c in (cols.symbol, *cols.timestamp_columns, *cols.prices, cols.volume) if c]
    # A blank line reads as a row of nulls; it is marked here and skipped after reading.
    blank = pl.when(failed).then(pl.all_horizontal([pl.col(c).is_null() for c in used]))
    ts = pl.col("__ts")
    exprs = [
        symbol.alias("symbol"),
        ts.alias("ts"),
        *[
            pl.col(src).cast(pl.Float64).alias(p)
            for src, p in zip(cols.prices, CANONICAL_PRICES, strict=True)
        ],
        (pl.col(cols.volume).cast(pl.Float64) if cols.volume else pl.lit(None, pl.Float64)).alias(
            "volume"
        ),
    ]
    for name, out in cols.extras:
        expr = pl.col(name)
        exprs.append((expr.cast(pl.Float64) if out in NUMERIC_EXTRAS else expr).alias(out))
    for key, value in plan.hive.items():
        if key != "symbol" and opts.keep_extra is True:
            exprs.append(pl.lit(value, dtype=pl.String).alias(key))
    exprs += [
        source.alias("__source"),
        line.alias("__line"),
        raw.alias("__raw"),
        blank.fill_null(False).alias("__blank"),
    ]
    lf = lf.select(exprs)
    if opts.label == "end":
        lf = lf.with_columns(pl.col("ts") - pl.duration(microseconds=opts.bar_length_us))
    return lf


def _options(
    columns: Mapping[str, str] | None,
    keep_extra: bool | Sequence[str],
    symbol: str | Callable[[Path], str] | None,
    date_format: str | None,
    epoch_unit: str | None,
    time_zone: str,
    output_time_zone: str | None,
    label: str,
    bar_length: str | None,
    has_header: bool | None,
    names: Sequence[str] | None,
    separator: str | None,
    on_empty: str,
) -> _Options:
    if label not in ("start", "end"):
        raise ValueError(f"`label` must be 'start' or 'end', got {label!r}")
    if epoch_unit is not None and epoch_unit not in ("s", "ms", "us", "ns"):
        raise ValueError(f"`epoch_unit` must be 's', 'ms', 'us' or 'ns', got {epoch_unit!r}")
    if on_empty not in ("raise", "skip"):
        raise ValueError(f"`on_empty` must be 'raise' or 'skip', got {on_empty!r}")
    bar_us = 0
    if label == "end":
        if bar_length is None:
            raise ValueError("`label='end'` needs `bar_length=` (e.g. '5m') to shift labels")
        bar_us = parse_duration_us(bar_length, "bar_length")
    for name, zone in (("time_zone", time_zone), ("output_time_zone", output_time_zone)):
        if zone is None:
            continue
        try:
            pl.Series([0], dtype=pl.Datetime("us")).dt.replace_time_zone(zone)
        except Exception as exc:
            raise ValueError(f"`{name}` is not a known time zone: {zone!r}") from exc
    return _Options(
        columns,
        keep_extra,
        symbol,
        date_format,
        epoch_unit,
        time_zone,
        output_time_zone or time_zone,
        label,
        bar_us,
        has_header,
        names,
        separator,
        on_empty,
    )


def _build(source: SourceLike, opts: _Options) -> tuple[pl.LazyFrame, list[_FilePlan]]:
    files = _resolve_sources(source)
    plans = [p for p in (_plan(f, opts) for f in files) if p is not None]
    if not plans:
        raise OHLCVReadError(f"{source}: every file was empty and skipped")
    source_dtype = pl.Enum([str(p.path) for p in plans])
    frames = [_group_frame(g, source_dtype, opts) for g in _layout_groups(plans)]
    out_names = [list(f.collect_schema().names()) for f in frames]
    if any(n != out_names[0] for n in out_names):
        lf = pl.concat(frames, how="diagonal_relaxed")
    else:
        lf = pl.concat(frames, how="vertical")
    return lf, plans


def _resolve_timestamps(
    df: pl.DataFrame, plans: Sequence[_FilePlan], opts: _Options
) -> pl.DataFrame:
    """Re-read the timestamps the fast path left null with the general parser; raise
    :class:`OHLCVReadError` for the first row that still has no timestamp or no symbol.

    `df` has ``ts``, ``symbol``, ``__raw``, ``__source`` and ``__line``; ``__raw`` is dropped.
    """
    if df["ts"].null_count() == 0 and df["symbol"].null_count() == 0:
        return df.drop("__blank", "__raw")  # every row parsed (a blank row has no ts)
    if df["__blank"].any():
        df = df.filter(~pl.col("__blank"))
    df = df.drop("__blank")
    pending = pl.col("ts").is_null() & pl.col("__raw").is_not_null()
    if df.select(pending.any()).item():
        rows = df.with_row_index("__pos").filter(pending).select("__pos", "__source", "__raw")
        parts = []
        for path, group in rows.group_by("__source", maintain_order=True):
            plan = next(p for p in plans if str(p.path) == str(path[0]))
            if plan.timestamp.kind not in ("text", "epoch"):
                continue
            expr = timestamp_expr(
                plan.timestamp,
                opts.time_zone,
                opts.output_time_zone,
                general=True,
                raw=pl.col("__raw"),
            )
            if opts.label == "end":
                expr = expr - pl.duration(microseconds=opts.bar_length_us)
            parts.append(group.select("__pos", expr.alias("__ts")))
        if parts:
            fixed = pl.concat(parts).filter(pl.col("__ts").is_not_null())
            if fixed.height:
                update = pl.Series("ts", [None] * df.height, dtype=df.schema["ts"])
                update = update.scatter(fixed["__pos"], fixed["__ts"])
                df = df.with_columns(pl.coalesce("ts", update).alias("ts"))
    bad = df.filter(pl.col("ts").is_null() | pl.col("symbol").is_null())
    if bad.height:
        _raise_bad_row(bad, plans, opts)
    return df.drop("__raw")


def _raise_bad_row(bad: pl.DataFrame, plans: Sequence[_FilePlan], opts: _Options) -> None:
    n_bad = bad.height
    first = bad.row(0, named=True)
    path, line = str(first["__source"]), int(first["__line"])
    plan = next(p for p in plans if str(p.path) == path)
    cols = plan.timestamp.columns
    if first["symbol"] is None:
        raise OHLCVReadError(
            f"{path} line {line}: empty symbol in column {plan.columns.symbol!r} "
            f"({n_bad} bad rows in all)"
        )
    raw = first["__raw"]
    if raw is None:
        cause = f"missing timestamp in {list(cols)}"
    else:
        cause = f"cannot read timestamp {raw!r} from {list(cols)}"
        text = raw.strip()
        has_offset = re.search(r"(Z|[+-]\d{2}(:?\d{2})?)$", text) and re.search(r"\d:\d", text)
        if plan.timestamp.kind in ("datetime", "date"):
            cause += f" (not a valid local time in {opts.time_zone!r})"
        elif plan.timestamp.kind == "text" and plan.timestamp.aware and not has_offset:
            cause += " (no UTC offset, but the first rows carry one: mixed naive and aware)"
        elif plan.timestamp.kind == "text" and not plan.timestamp.aware and has_offset:
            cause += " (has a UTC offset, but the first rows are naive: mixed naive and aware)"
        elif plan.timestamp.kind == "epoch" and re.fullmatch(r"[+-]?\d+(\.\d*)?", text):
            cause += " (its magnitude does not match the column's epoch unit)"
    raise OHLCVReadError(
        f"{path} line {line}: {cause}; expected {plan.timestamp.description}"
        f" ({n_bad} bad rows in all; pass date_format= or epoch_unit= to override detection)"
    )


def _diagnose(plans: Sequence[_FilePlan], opts: _Options, exc: Exception) -> OHLCVReadError:
    """Find the file (and, for a bad number, the line) behind a Polars read error."""
    source_dtype = pl.Enum([str(p.path) for p in plans])
    for plan in plans:
        try:
            _file_frame(plan, source_dtype, opts).select(pl.len()).collect()
            _file_frame(plan, source_dtype, opts).collect()
        except pl.exceptions.PolarsError as file_exc:
            where = str(plan.path)
            if plan.kind == "csv":
                kwargs = dict(plan.csv)
                kwargs["schema"] = dict.fromkeys(plan.csv["schema"], pl.String())
                try:
                    text = pl.scan_csv(
                        plan.path,
                        **kwargs,
                        row_index_name="__line",
                        row_index_offset=plan.line_offset,
                    ).collect()
                except pl.exceptions.PolarsError:
                    text = None
                if text is not None:
                    for name, dtype in plan.csv["schema"].items():
                        if dtype != pl.Float64:
                            continue
                        col = pl.col(name).str.strip_chars()
                        bad = text.filter(
                            col.is_not_null() & col.cast(pl.Float64, strict=False).is_null()
                        ).head(1)
                        if bad.height:
                            return OHLCVReadError(
                                f"{where} line {bad['__line'][0]}: column {name!r} holds "
                                f"{bad[name][0]!r}, expected a number"
                            )
            first = str(file_exc).strip().splitlines()[0]
            return OHLCVReadError(f"{where}: cannot read: {first}")
    return OHLCVReadError(f"cannot read the files: {str(exc).strip().splitlines()[0]}")


# --- public API -------------------------------------------------------------------------------


def scan_ohlcv(
    source: SourceLike,
    *,
    columns: Mapping[str, str] | None = None,
    keep_extra: bool | Sequence[str] = False,
    symbol: str | Callable[[Path], str] | None = None,
    date_format: str | None = None,
    epoch_unit: str | None = None,
    time_zone: str = "Asia/Kolkata",
    output_time_zone: str | None = None,
    label: str = "start",
    bar_length: str | None = None,
    has_header: bool | None = None,
    names: Sequence[str] | None = None,
    separator: str | None = None,
    on_empty: str = "raise",
    provenance: bool = False,
) -> pl.LazyFrame:
    """Lazily read OHLCV files into the canonical schema, without validating the bars.

    Every file is planned up front (its header and first rows are read to detect columns and
    the timestamp format, so detection errors are raised here), then read by Polars' own
    ``scan_csv`` / ``scan_parquet`` / ``scan_ipc``; the result can be collected with the
    streaming engine or sunk to Parquet for data larger than memory. A timestamp that does not
    parse raises :class:`OHLCVReadError` naming the file and line when the frame is collected.
    Bars are *not* validated, de-duplicated or sorted: use :func:`read_ohlcv`, or
    :func:`validate_ohlcv` on the collected frame (with ``provenance=True`` its report names
    files and lines).

    Parameters are those of :func:`read_ohlcv` (except ``on_invalid`` and ``return_report``),
    plus:

    provenance : bool
        Add ``source`` (Enum of the file paths) and ``line`` (Int64: the physical line in a
        CSV file, 1-based, header counted; the 1-based row number in Parquet/IPC) columns.
    """
    opts = _options(
        columns, keep_extra, symbol, date_format, epoch_unit, time_zone, output_time_zone,
        label, bar_length, has_header, names, separator, on_empty,
    )  # fmt: skip
    lf, plans = _build(source, opts)

    def check(batch: pl.Series) -> pl.Series:
        return _resolve_timestamps(batch.struct.unnest(), plans, opts)["ts"]

    schema = lf.collect_schema()
    checked = pl.struct("ts", "symbol", "__raw", "__blank", "__source", "__line").map_batches(
        check, return_dtype=schema["ts"], is_elementwise=True
    )
    lf = lf.filter(~pl.col("__blank")).with_columns(checked.alias("ts")).drop("__raw", "__blank")
    if provenance:
        return lf.rename({"__source": "source", "__line": "line"})
    return lf.drop("__source", "__line")


def read_ohlcv(
    source: SourceLike,
    *,
    on_invalid: str = "raise",
    return_report: bool = False,
    columns: Mapping[str, str] | None = None,
    keep_extra: bool | Sequence[str] = False,
    symbol: str | Callable[[Path], str] | None = None,
    date_format: str | None = None,
    epoch_unit: str | None = None,
    time_zone: str = "Asia/Kolkata",
    output_time_zone: str | None = None,
    label: str = "start",
    bar_length: str | None = None,
    has_header: bool | None = None,
    names: Sequence[str] | None = None,
    separator: str | None = None,
    on_empty: str = "raise",
    provenance: bool = False,
) -> pl.DataFrame | OHLCVResult:
    """Read, normalise and validate OHLCV bars from files, a list, a glob or a directory.

    Each file is read by Polars' own reader (CSV plain or gzip, Parquet, Arrow IPC; the format
    is sniffed from the file's first bytes). The symbol comes from a symbol column when the
    file has one, else from a hive ``symbol=...`` directory, else from the file name (see
    :func:`symbol_from_path`). Columns are matched case-insensitively against the usual names
    (``date, datetime, timestamp, time, open_time; o/h/l/c/v; adj close; oi``); `columns`
    overrides that. Timestamps may be ISO-8601 with or without a UTC offset (offsets may differ
    from row to row: each is converted exactly), ``dd-mm-yyyy``, ``m/d/yyyy`` (unpadded too),
    ``dd.mm.yyyy HH:MM:SS.fff``, ``dd-Mon-yyyy``, ``yyyymmdd`` with a separate ``HH:MM`` column,
    or epoch numbers (s/ms/us/ns, told apart by magnitude). A column mixing offsets and naive
    times is an error. Headerless ``SYMBOL,YYYYMMDD,HH:MM,open,high,low,close,volume[,oi]``
    vendor files are recognised. Rows that are entirely empty (blank lines) are skipped.

    The bars are then checked by :func:`validate_ohlcv` and returned sorted by
    ``(symbol, ts)``.

    Parameters
    ----------
    source
        A file, a directory (searched recursively for ``.csv``, ``.txt``, ``.gz``,
        ``.parquet``, ``.arrow``, ``.ipc``, ``.feather`` files, skipping hidden ones and
        documentation such as ``README.txt`` or ``PROVENANCE.txt``), a glob, or a list of those.
    on_invalid : {"raise", "drop", "repair"}
        What to do with bars that break a rule (see :data:`RULES`): raise
        :class:`OHLCVValidationError` (the default; its message names file, line, rule and
        values, its ``.report`` lists every offending row), drop them, or repair them (open
        and close clamped into [low, high]; rows that cannot be repaired are dropped). Exact
        duplicate rows are dropped under ``drop`` and ``repair``; rows sharing a
        ``(symbol, ts)`` with different values are all dropped, never resolved by picking one.
    return_report : bool
        False (default): return the DataFrame; if the report is not empty a
        :class:`DataQualityWarning` says how many rows were dropped, repaired or reordered.
        True: return an :class:`OHLCVResult` ``(data, report)`` (a named tuple) and log the
        summary on the ``nse_polars.ohlcv`` logger instead.
    columns
        Canonical role -> source column, overriding detection; roles ``symbol, ts, date,
        time, open, high, low, close, volume``.
    keep_extra
        True to keep every other column (CSV text columns as String; ``oi`` and
        ``adj close`` as Float64 named ``oi``/``adj_close``), or a list of column names.
    symbol
        A symbol for every file, or a function ``Path -> str``; default: see above.
    date_format
        ``"dmy"`` or ``"mdy"`` to settle day/month order, or a full strftime format (applied to
        the date column when date and time are separate). Without it a column like
        ``03-04-2024`` is read only when some value has a day above 12 (in the first rows or,
        failing that, anywhere in the column); otherwise it is an error.
    epoch_unit : {"s", "ms", "us", "ns"}, optional
        Read numeric timestamps in this unit instead of detecting it by magnitude
        (|v| < 1e11: s, < 1e14: ms, < 1e17: us, else ns; every value must then fall in the same
        band, so a column mixing seconds and milliseconds is an error). Eight-digit numbers
        are read as ``yyyymmdd`` unless `epoch_unit` is given.
    time_zone
        Zone of naive timestamps (default ``"Asia/Kolkata"``). Local times that do not exist
        or are ambiguous in it (DST changes) are errors.
    output_time_zone
        Zone of the output ``ts`` column; default `time_zone`.
    label : {"start", "end"}
        Whether timestamps label the bar's start or end; ``"end"`` shifts them back by
        `bar_length` so that output bars are always labelled by their start.
    bar_length
        Bar length such as ``"5m"``, required with ``label="end"``.
    has_header
        Default: detected (a first row with three or more numbers is data).
    names
        Column names for files without a header row.
    separator
        CSV field separator; default: the most frequent of ``, ; \\t |`` in the first line.
    on_empty : {"raise", "skip"}
        Empty files and files with only a header raise, or are skipped with a warning.
    provenance
        Keep ``source`` and ``line`` columns (see :func:`scan_ohlcv`).

    Returns
    -------
    polars.DataFrame or OHLCVResult
        ``symbol, ts, open, high, low, close, volume`` (+ extras, + provenance), sorted by
        ``(symbol, ts)``, with unique ``(symbol, ts)``.

    Raises
    ------
    OHLCVReadError
        A file cannot be read, a column or timestamp format cannot be detected, or a value does
        not parse; the message names the file and, where it applies, the line.
    OHLCVValidationError
        ``on_invalid="raise"`` and some bar breaks a rule.

    Examples
    --------
    >>> import nse_polars as nse
    >>> bars, report = nse.read_ohlcv(  # doctest: +SKIP
    ...     "data/nse-fo-5min/csv", on_invalid="repair", return_report=True
    ... )
    >>> report.group_by("rule").len()  # doctest: +SKIP
    """
    if on_invalid not in ("raise", "drop", "repair"):
        raise ValueError(f"`on_invalid` must be 'raise', 'drop' or 'repair', got {on_invalid!r}")
    opts = _options(
        columns, keep_extra, symbol, date_format, epoch_unit, time_zone, output_time_zone,
        label, bar_length, has_header, names, separator, on_empty,
    )  # fmt: skip
    lf, plans = _build(source, opts)
    try:
        # First without the source text of unparsed timestamps: when every row has a ts and
        # a symbol (the usual case) it is not needed; otherwise the files are read again with
        # it, to re-parse or report those rows.
        df = lf.drop("__raw", "__blank").collect()
        complete = df["ts"].null_count() == 0 and df["symbol"].null_count() == 0
        if not complete:
            df = lf.collect()
    except pl.exceptions.PolarsError as exc:
        raise _diagnose(plans, opts, exc) from exc
    if not complete:
        df = _resolve_timestamps(df, plans, opts)
    # A multi-file scan returns thousands of chunks per column; one contiguous copy costs a
    # fraction of what the chunks cost the validation's gathers and numpy views.
    df = df.rechunk()
    data, report = validate_frame(df, on_invalid=on_invalid, source="__source", line="__line")
    if provenance:
        data = data.rename({"__source": "source", "__line": "line"})
    else:
        data = data.drop("__source", "__line")
    result = OHLCVResult(data, report)
    if report.height:
        summary = result.summary()
        if return_report:
            logger.warning("read_ohlcv: %s", summary)
        else:
            warnings.warn(
                f"read_ohlcv: {summary}; pass return_report=True to get the rows",
                DataQualityWarning,
                stacklevel=2,
            )
    return result if return_report else data
