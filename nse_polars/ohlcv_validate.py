"""Bar validation for :mod:`nse_polars.ohlcv`: named rules, a policy and a report.

Every rule is a Polars expression over the whole frame; duplicates and ordering are found with
one stable sort by ``(symbol, ts)`` of an Int64 key (skipped when the rows are in order).
Nothing is dropped, changed or reordered without a row in the report saying which source line
it came from, which rules it broke and what was done to it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl

__all__ = [
    "RULES",
    "DataQualityWarning",
    "OHLCVResult",
    "OHLCVValidationError",
    "validate_frame",
    "validate_ohlcv",
]

#: Rule name -> what it requires. Range rules are checked only on rows whose prices pass
#: ``price_finite_positive``.
RULES: dict[str, str] = {
    "key_present": "symbol and ts are not null",
    "duplicate_exact": "no row repeats an earlier row with the same (symbol, ts) exactly",
    "duplicate_conflict": "no (symbol, ts) appears with different values",
    "price_finite_positive": "open, high, low, close are present, finite and > 0",
    "high_ge_low": "high >= low",
    "high_ge_open_close": "high >= max(open, close)",
    "low_le_open_close": "low <= min(open, close)",
    "volume_non_negative": "volume is null or finite and >= 0",
    "time_sorted": "ts increases within a symbol, in reading order",
}
_REPAIRABLE = ("high_ge_open_close", "low_le_open_close")
_PRICES = ("open", "high", "low", "close")
_REQUIRED = ("symbol", "ts", *_PRICES, "volume")
_MAX_KEY = (1 << 64) - 1


class OHLCVValidationError(ValueError):
    """Bars break validation rules under ``on_invalid="raise"``.

    ``report`` holds every offending row (same columns as :attr:`OHLCVResult.report`).
    """

    def __init__(self, message: str, report: pl.DataFrame) -> None:
        super().__init__(message)
        self.report = report


class DataQualityWarning(UserWarning):
    """Rows were dropped, repaired or reordered (or files skipped) while reading bars."""


class OHLCVResult(NamedTuple):
    """Validated bars and the report of every row dropped, repaired or reordered.

    ``report`` columns: ``source`` (file, null for in-memory frames), ``line`` (physical line
    in a CSV file, 1-based with the header counted; 1-based row number in Parquet/IPC files
    and in-memory frames), ``symbol, ts, open, high, low, close, volume`` (the values as read),
    ``rule`` (comma-separated names from :data:`RULES`), ``action`` (``dropped``,
    ``repaired``, ``reordered``, or ``rejected`` in an error's report), ``new_open`` and
    ``new_close`` (the repaired values, else null). Rows are in reading order.
    """

    data: pl.DataFrame
    report: pl.DataFrame

    def summary(self) -> str:
        """One line: rows dropped, repaired and reordered, per rule."""
        return summarize(self.report)


def summarize(report: pl.DataFrame) -> str:
    if report.is_empty():
        return "no rows dropped, repaired or reordered"
    parts = []
    for action in ("rejected", "dropped", "repaired", "reordered"):
        rows = report.filter(pl.col("action") == action)
        if rows.is_empty():
            continue
        counts = rows.select(pl.col("rule").str.split(",")).explode("rule").group_by("rule").len()
        detail = ", ".join(
            f"{r}: {n:,}"
            for r, n in sorted(counts.iter_rows(), key=lambda t: list(RULES).index(t[0]))
        )
        parts.append(f"{action} {rows.height:,} rows ({detail})")
    return "; ".join(parts)


def _check_frame(df: pl.DataFrame) -> None:
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(
            f"validate_ohlcv needs columns {list(_REQUIRED)}; missing {missing} "
            f"(columns: {df.columns})"
        )
    if not isinstance(df.schema["ts"], pl.Datetime):
        raise TypeError(f"column `ts` must be Datetime, got {df.schema['ts']}")
    for name in (*_PRICES, "volume"):
        dtype = df.schema[name]
        if not (dtype.is_numeric() or dtype == pl.Null):
            raise TypeError(f"column `{name}` must be numeric, got {dtype}")


def validate_frame(
    df: pl.DataFrame, *, on_invalid: str, source: str | None, line: str | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply the rules; return ``(data sorted by symbol and ts, report)`` or raise.

    `source` and `line` name provenance columns of `df` (kept in the data), or are None.

    The work is done on small columns beside `df` (rule flags, row numbers, one Int64 sort
    key): the order by ``(symbol, ts)`` is found without moving `df` (not at all when the rows
    are already in order), and `df` itself is gathered once for the data and once, for the
    flagged rows only, for the report.
    """
    if on_invalid not in ("raise", "drop", "repair"):
        raise ValueError(f"`on_invalid` must be 'raise', 'drop' or 'repair', got {on_invalid!r}")
    _check_frame(df)
    # The canonical schema: prices and volume in Float64 (integers are exact up to 2**53), so
    # that repaired values and the report's old and new values share one type.
    casts = [
        pl.col(name).cast(pl.Float64)
        for name in (*_PRICES, "volume")
        if df.schema[name] != pl.Float64
    ]
    if casts:
        df = df.with_columns(casts)
    provenance = [c for c in (source, line) if c is not None]
    value_cols = [c for c in df.columns if c not in ("symbol", "ts", *provenance)]
    o, h, lo, c, v = (pl.col(n) for n in (*_PRICES, "volume"))
    price_ok = pl.all_horizontal([(pl.col(p).is_finite() & (pl.col(p) > 0)) for p in _PRICES])
    price_ok = price_ok.fill_null(False)
    row_rules = (
        "price_finite_positive",
        "high_ge_low",
        "high_ge_open_close",
        "low_le_open_close",
        "volume_non_negative",
    )
    # Every row rule in one pass over df, as Boolean columns beside it (numpy for Float64
    # columns: nulls read as NaN, which fail the same checks; volume's nulls are masked).
    if all(df.schema[name] == pl.Float64 for name in (*_PRICES, "volume")):
        flags = _row_flags(df).with_row_index("__row")
    else:
        flags = df.select(
            (pl.col("symbol").is_null() | pl.col("ts").is_null()).alias("key_present"),
            (~price_ok).alias("price_finite_positive"),
            (price_ok & (h < lo)).alias("high_ge_low"),
            (price_ok & (h < pl.max_horizontal(o, c))).alias("high_ge_open_close"),
            (price_ok & (lo > pl.min_horizontal(o, c))).alias("low_le_open_close"),
            (v.is_not_null() & ~(v.is_finite() & (v >= 0)).fill_null(False)).alias(
                "volume_non_negative"
            ),
        ).with_row_index("__row")
    has_keyless = bool(flags["key_present"].any())
    keys = df.select("symbol", "ts").with_row_index("__row")
    if has_keyless:
        keys = keys.filter(~flags["key_present"])
    # Row numbers, symbols (as ranks) and ts in (symbol, ts) order; flags stay in reading
    # order, and what is found in sorted order is scattered back to the rows.
    rows, symbol_id, ts_phys = _order_by_symbol_time(keys)
    n = df.height

    # Duplicates: in (symbol, ts) order, equal keys are neighbours, in reading order.
    same_key = ((symbol_id == symbol_id.shift(1)) & (ts_phys == ts_phys.shift(1))).fill_null(False)
    duplicate_exact = pl.repeat(False, n, eager=True).alias("duplicate_exact")
    duplicate_conflict = duplicate_exact.alias("duplicate_conflict")
    if same_key.any():
        in_run = same_key | same_key.shift(-1).fill_null(False)
        positions = in_run.arg_true()
        runs = (
            df.select("symbol", "ts", *value_cols)
            .gather(rows.gather(positions))
            .with_columns(
                (~same_key).cum_sum().gather(positions).alias("__run"),
                rows.gather(positions).alias("__at"),
            )
        )
        runs = runs.with_columns(
            (~pl.struct("symbol", "ts", *value_cols).is_first_distinct()).alias("__exact")
        )
        conflict_runs = (
            runs.filter(~pl.col("__exact")).group_by("__run").len().filter(pl.col("len") > 1)
        )
        exact_at = runs.filter(pl.col("__exact"))["__at"]
        conflict_at = runs.filter(
            ~pl.col("__exact") & pl.col("__run").is_in(conflict_runs["__run"].implode())
        )["__at"]
        duplicate_exact = duplicate_exact.scatter(exact_at, True)
        duplicate_conflict = duplicate_conflict.scatter(conflict_at, True)

    work = flags.with_columns(duplicate_exact, duplicate_conflict)
    # Exact copies are reported once, as copies; the kept first copy carries the row rules.
    work = work.with_columns([(pl.col(r) & ~pl.col("duplicate_exact")).alias(r) for r in row_rules])
    drop_rules = ["key_present", "duplicate_exact", "duplicate_conflict"]
    drop_rules += ["price_finite_positive", "high_ge_low", "volume_non_negative"]
    if on_invalid != "repair":
        drop_rules += list(_REPAIRABLE)
    dropped = pl.any_horizontal([pl.col(r) for r in drop_rules])
    repaired = ~dropped & pl.any_horizontal([pl.col(r) for r in _REPAIRABLE])
    work = work.with_columns(dropped.alias("__dropped"), repaired.alias("__repaired"))

    # time_sorted: a kept row is out of order when a kept row of the same symbol read before
    # it has a later ts. In (symbol, ts) order that is: some later row of the same symbol has
    # a smaller reading position. Keys pack (symbol rank, position) so one reverse cumulative
    # minimum serves all symbols at once.
    rows_np = rows.to_numpy()
    dropped_np = work["__dropped"].to_numpy()
    dropped_sorted = dropped_np[rows_np]
    symbol_np = symbol_id.to_numpy()
    rank = np.cumsum(np.concatenate([[True], symbol_np[1:] != symbol_np[:-1]]))
    key = np.where(
        dropped_sorted,
        np.uint64(_MAX_KEY),
        rank.astype(np.uint64) * np.uint64(1 << 32) + rows_np.astype(np.uint64),
    )
    later_min = np.empty_like(key)
    if key.size:
        later_min[:-1] = np.minimum.accumulate(key[::-1])[::-1][1:]
        later_min[-1] = _MAX_KEY
    time_sorted = np.zeros(n, dtype=bool)
    time_sorted[rows_np] = ~dropped_sorted & (later_min < key)
    work = work.with_columns(pl.Series("time_sorted", time_sorted))

    rule_names = list(RULES)
    flagged = work.filter(
        ~pl.col("key_present") & pl.any_horizontal([pl.col(r) for r in rule_names[1:]])
    )
    flagged_keyed = df.gather(flagged["__row"]).hstack(flagged)
    if on_invalid == "raise":
        action = pl.lit("rejected")
    else:
        action = (
            pl.when(pl.col("__dropped"))
            .then(pl.lit("dropped"))
            .when(pl.col("__repaired"))
            .then(pl.lit("repaired"))
            .otherwise(pl.lit("reordered"))
        )
    repaired_open = pl.when(pl.col("__repaired")).then(o.clip(lo, h))
    repaired_close = pl.when(pl.col("__repaired")).then(c.clip(lo, h))
    report_keyed = flagged_keyed.with_columns(
        action.alias("action"),
        repaired_open.alias("new_open"),
        repaired_close.alias("new_close"),
    )
    keyless = flags.filter(pl.col("key_present"))
    keyless = df.gather(keyless["__row"]).hstack(keyless)
    report_keyless = keyless.with_columns(
        [pl.lit(False).alias(r) for r in rule_names[1:3]] + [pl.lit(False).alias("time_sorted")]
    ).with_columns(
        pl.lit("rejected" if on_invalid == "raise" else "dropped").alias("action"),
        pl.lit(None, pl.Float64).alias("new_open"),
        pl.lit(None, pl.Float64).alias("new_close"),
    )
    report = pl.concat(
        [_report_rows(f, rule_names, source, line) for f in (report_keyed, report_keyless)]
    ).sort("__row")
    report = report.drop("__row")

    if on_invalid == "raise" and report.height:
        raise OHLCVValidationError(_error_message(report), report)

    kept = rows_np[~dropped_sorted]
    if kept.size == n and not (kept[1:] < kept[:-1]).any():
        data = df  # nothing dropped, nothing moved
    else:
        data = df.gather(pl.Series(kept))
    if on_invalid == "repair":
        fix = work["__repaired"].to_numpy()[kept]
        prices = [data.schema[p] for p in _PRICES]
        if all(dt == pl.Float64 for dt in prices):
            # Only the repaired rows change: clamp those and write them in place.
            at = pl.Series(np.flatnonzero(fix))
            if at.len():
                part = data.select(_PRICES).gather(at)
                clamped = part.select(o.clip(lo, h), c.clip(lo, h))
                data = data.with_columns(
                    data["open"].scatter(at, clamped["open"]),
                    data["close"].scatter(at, clamped["close"]),
                )
        else:
            fix_s = pl.Series(fix)
            data = data.with_columns(
                pl.when(fix_s).then(o.clip(lo, h)).otherwise(o).alias("open"),
                pl.when(fix_s).then(c.clip(lo, h)).otherwise(c).alias("close"),
            )
    data = data.select(df.columns)
    return data.with_columns(pl.col("symbol").set_sorted()), report


def symbol_ranks(symbol: pl.Series) -> pl.Series:
    """Each row's symbol as its rank among the sorted distinct symbols (Int64; nulls stay
    null).

    Rows of one symbol usually come in long runs (a file per symbol), so only the first row of
    each run is looked up: no per-row hashing of strings.
    """
    run = symbol.rle_id()
    head_rows = (run != run.shift(1)).fill_null(True).arg_true()
    heads = symbol.gather(head_rows).cast(pl.String)
    distinct = heads.drop_nulls().unique().sort()
    head_rank = heads.cast(pl.Enum(distinct)).to_physical().cast(pl.Int64)
    return head_rank.gather(run)


def sort_key(frame: pl.DataFrame, by: str = "symbol") -> tuple[pl.Series, int, int] | None:
    """``(key, span, t_min)``: one Int64 per row ordering rows by (`by`, ts), the symbol's
    lexical rank times `span` plus microseconds since `t_min`; None if that could overflow.
    """
    if frame.is_empty():
        return pl.Series("__key", [], dtype=pl.Int64), 1, 0
    micros = frame["ts"].dt.cast_time_unit("us").to_physical()
    rank = symbol_ranks(frame[by])
    t_min, t_max = int(micros.min()), int(micros.max())  # type: ignore[arg-type]
    span = t_max - t_min + 1
    if (int(rank.max()) + 1) * span >= 1 << 62:  # type: ignore[operator]
        return None
    return (rank * span + (micros - t_min)).alias("__key"), span, t_min


def _row_flags(df: pl.DataFrame) -> pl.DataFrame:
    """The row rules of :func:`validate_frame` for Float64 prices and volume, in numpy."""
    o, h, lo, c, v = (df[n].to_numpy() for n in (*_PRICES, "volume"))
    with np.errstate(invalid="ignore"):
        price_ok = np.ones(df.height, dtype=bool)
        for x in (o, h, lo, c):
            price_ok &= np.isfinite(x) & (x > 0)
        volume_bad = ~df["volume"].is_null().to_numpy() & ~(np.isfinite(v) & (v >= 0))
        return pl.DataFrame(
            {
                "key_present": (df["symbol"].is_null() | df["ts"].is_null()),
                "price_finite_positive": ~price_ok,
                "high_ge_low": price_ok & (h < lo),
                "high_ge_open_close": price_ok & (h < np.maximum(o, c)),
                "low_le_open_close": price_ok & (lo > np.minimum(o, c)),
                "volume_non_negative": volume_bad,
            }
        )


def _order_by_symbol_time(keys: pl.DataFrame) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Row numbers, symbol ids (equal exactly when the symbols are) and physical ts of `keys`
    (``__row, symbol, ts``, no nulls) in a stable (symbol, ts) order: equal keys keep their
    reading order. Rows already in order are not moved; otherwise a stable sort of the Int64
    key (numpy's, which runs in near-linear time on the few sorted runs of bar files)."""
    packed = sort_key(keys)
    if packed is None:  # pragma: no cover  (thousands of symbols over thousands of years)
        ordered = keys.sort(["symbol", "ts", "__row"])
        return ordered["__row"], ordered["symbol"], ordered["ts"].to_physical()
    key, span, _ = packed
    rows, ts_phys = keys["__row"], keys["ts"].to_physical()
    k = key.to_numpy()
    if k.size > 1 and (k[1:] < k[:-1]).any():
        order = np.argsort(k, kind="stable")
        rows = pl.Series("__row", rows.to_numpy()[order])
        key = pl.Series("__key", k[order])
        ts_phys = pl.Series("ts", ts_phys.to_numpy()[order])
    return rows, key // span, ts_phys


def _report_rows(
    frame: pl.DataFrame, rule_names: list[str], source: str | None, line: str | None
) -> pl.DataFrame:
    rule = pl.concat_str(
        [pl.when(pl.col(r)).then(pl.lit(r)) for r in rule_names], separator=",", ignore_nulls=True
    )
    source_expr = pl.col(source).cast(pl.String) if source else pl.lit(None, pl.String)
    line_expr = pl.col(line).cast(pl.Int64) if line else (pl.col("__row").cast(pl.Int64) + 1)
    return frame.select(
        "__row",
        source_expr.alias("source"),
        line_expr.alias("line"),
        pl.col("symbol").cast(pl.String),
        "ts",
        *[pl.col(p).cast(pl.Float64) for p in (*_PRICES, "volume")],
        rule.alias("rule"),
        "action",
        "new_open",
        "new_close",
    )


def _error_message(report: pl.DataFrame) -> str:
    counts = report.select(pl.col("rule").str.split(",")).explode("rule").group_by("rule").len()
    by_rule = dict(counts.iter_rows())
    detail = ", ".join(f"{r}: {by_rule[r]:,}" for r in RULES if r in by_rule)
    examples = []
    for rule_name in RULES:
        if rule_name not in by_rule:
            continue
        row = report.filter(pl.col("rule").str.contains(rule_name, literal=True)).row(0, named=True)
        where = f"{row['source']} line {row['line']}" if row["source"] else f"row {row['line']}"
        values = ", ".join(f"{k}={row[k]}" for k in ("symbol", "ts", *_PRICES, "volume"))
        examples.append(f"  {where}: {rule_name} ({RULES[rule_name]}): {values}")
        if len(examples) == 5:
            break
    return (
        f"{report.height:,} rows break validation rules ({detail}); first of each:\n"
        + "\n".join(examples)
        + "\npass on_invalid='drop' or 'repair' to drop or repair them with a report "
        "(the error's .report lists every row)"
    )


def validate_ohlcv(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    on_invalid: str = "raise",
    source_column: str | None = "source",
    line_column: str | None = "line",
) -> OHLCVResult:
    """Check bars against :data:`RULES`; return the kept bars and a report of every change.

    Parameters
    ----------
    frame
        ``symbol, ts, open, high, low, close, volume`` (+ any other columns, which count
        as values when comparing duplicates). A LazyFrame is collected. Prices and volume
        may be of any numeric type; they come back as Float64 (the canonical schema), and the
        report's values too.
    on_invalid : {"raise", "drop", "repair"}
        ``raise``: :class:`OHLCVValidationError` if any row breaks a rule (its message names
        the source, line, rule and values of the first row per rule; ``.report`` has all).
        ``drop``: drop offending rows. ``repair``: clamp open and close into [low, high] for
        rows whose only fault is that, drop the rest. Under both, exact duplicate rows are
        dropped (the first copy is kept) and every row of a ``(symbol, ts)`` that appears
        with different values is dropped; out-of-order rows are kept and sorted into place.
    source_column, line_column
        Provenance columns to name in the report (as written by ``read_ohlcv(...,
        provenance=True)`` or ``scan_ohlcv(..., provenance=True)``); when absent the report's
        ``source`` is null and ``line`` is the 1-based row number in `frame`.

    Returns
    -------
    OHLCVResult
        ``data``: the kept rows sorted by ``(symbol, ts)``; ``report``: see
        :class:`OHLCVResult`.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> bars = pl.DataFrame({
    ...     "symbol": ["A", "A", "A"],
    ...     "ts": [dt.datetime(2024, 1, 1, 9, 15), dt.datetime(2024, 1, 1, 9, 20),
    ...            dt.datetime(2024, 1, 1, 9, 20)],
    ...     "open": [10.0, 10.6, 10.6], "high": [10.5, 10.5, 10.5],
    ...     "low": [9.9, 10.1, 10.1], "close": [10.2, 10.3, 10.3], "volume": [5.0, 7.0, 7.0],
    ... })
    >>> result = nse.validate_ohlcv(bars, on_invalid="repair")
    >>> result.report.select("line", "rule", "action", "open", "new_open")
    shape: (2, 5)
    ┌──────┬────────────────────┬──────────┬──────┬──────────┐
    │ line ┆ rule               ┆ action   ┆ open ┆ new_open │
    │ ---  ┆ ---                ┆ ---      ┆ ---  ┆ ---      │
    │ i64  ┆ str                ┆ str      ┆ f64  ┆ f64      │
    ╞══════╪════════════════════╪══════════╪══════╪══════════╡
    │ 2    ┆ high_ge_open_close ┆ repaired ┆ 10.6 ┆ 10.5     │
    │ 3    ┆ duplicate_exact    ┆ dropped  ┆ 10.6 ┆ null     │
    └──────┴────────────────────┴──────────┴──────┴──────────┘
    """
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"`frame` must be a DataFrame or LazyFrame, got {type(frame).__name__}")
    source = source_column if source_column in frame.columns else None
    line = line_column if line_column in frame.columns else None
    data, report = validate_frame(frame, on_invalid=on_invalid, source=source, line=line)
    return OHLCVResult(data, report)
