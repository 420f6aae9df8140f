"""Trading sessions and gap filling on a regular bar grid.

A :class:`Session` is a set of daily trading windows in a time zone (NSE: 09:15-15:30
Asia/Kolkata; crypto: all day UTC). :func:`fill_gaps` puts each symbol on the regular grid of
those windows, on the days where it has data, and forward-fills the close into missing bars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

__all__ = ["SESSIONS", "Session", "fill_gaps", "parse_duration_us"]

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")
_US_PER_MINUTE = 60_000_000
_DURATION = re.compile(r"^(\d+)(s|m|h|d)$")


def parse_duration_us(text: str, parameter: str) -> int:
    """``"30s"``, ``"5m"``, ``"1h"``, ``"1d"`` -> microseconds; ValueError naming `parameter`."""
    match = _DURATION.match(text.strip().lower()) if isinstance(text, str) else None
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"`{parameter}` must look like '30s', '5m', '1h' or '1d', got {text!r}")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return int(match.group(1)) * seconds * 1_000_000


def _minutes(text: str, parameter: str) -> int:
    match = _HHMM.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"`{parameter}` times must look like 'HH:MM', got {text!r}")
    value = int(match.group(1)) * 60 + int(match.group(2))
    if int(match.group(2)) >= 60 or value > 1440:
        raise ValueError(f"`{parameter}` time {text!r} is not between 00:00 and 24:00")
    return value


@dataclass(frozen=True)
class Session:
    """Daily trading windows in a time zone.

    Parameters
    ----------
    windows
        ``(open, close)`` pairs of local ``"HH:MM"`` times, close exclusive (``"24:00"`` for
        midnight), in order and not overlapping; e.g. ``(("09:15", "15:30"),)`` for NSE, or
        two windows for a market with a lunch break.
    time_zone
        IANA zone the windows are in.

    Examples
    --------
    >>> from nse_polars import Session
    >>> Session((("09:30", "16:00"),), "America/New_York").bars_per_day(30 * 60_000_000)
    13
    """

    windows: tuple[tuple[str, str], ...] = (("09:15", "15:30"),)
    time_zone: str = "Asia/Kolkata"

    def __post_init__(self) -> None:
        if isinstance(self.windows, (str, bytes)) or not len(self.windows):
            raise ValueError(f"`windows` must be a sequence of (open, close), got {self.windows!r}")
        previous_close = -1
        for window in self.windows:
            if len(window) != 2:
                raise ValueError(f"`windows` entries must be (open, close), got {window!r}")
            start, end = (_minutes(t, "windows") for t in window)
            if not start < end or start < previous_close:
                raise ValueError(
                    f"`windows` must be increasing, non-overlapping (open < close): {window!r}"
                )
            previous_close = end
        try:
            pl.Series([0], dtype=pl.Datetime("us")).dt.replace_time_zone(self.time_zone)
        except Exception as exc:
            raise ValueError(f"`time_zone` is not a known time zone: {self.time_zone!r}") from exc

    def minute_windows(self) -> list[tuple[int, int]]:
        """Windows as ``(open, close)`` minutes after local midnight."""
        return [(_minutes(a, "windows"), _minutes(b, "windows")) for a, b in self.windows]

    def bar_offsets_us(self, every_us: int) -> list[int]:
        """Bar starts (microseconds after local midnight): each window from its open, every
        `every_us`, while before its close (the last bar is shorter if `every` does not divide
        the window)."""
        starts: list[int] = []
        for start, end in self.minute_windows():
            t, stop = start * _US_PER_MINUTE, end * _US_PER_MINUTE
            while t < stop:
                starts.append(t)
                t += every_us
        return starts

    def bars_per_day(self, every_us: int) -> int:
        return len(self.bar_offsets_us(every_us))


#: Named sessions accepted by ``fill_gaps(session=...)``.
SESSIONS: dict[str, Session] = {
    "NSE": Session((("09:15", "15:30"),), "Asia/Kolkata"),
    "24/7": Session((("00:00", "24:00"),), "UTC"),
}
SESSIONS["crypto"] = SESSIONS["24/7"]


def _session(session: str | Session) -> Session:
    if isinstance(session, Session):
        return session
    if isinstance(session, str) and session in SESSIONS:
        return SESSIONS[session]
    raise ValueError(f"`session` must be a Session or one of {sorted(SESSIONS)}, got {session!r}")


def fill_gaps(
    df: pl.DataFrame,
    every: str = "5m",
    session: str | Session = "NSE",
    *,
    max_gap: int | str | None = None,
    by: str = "symbol",
    flag: str = "filled",
) -> pl.DataFrame:
    """Put each symbol on a regular bar grid inside its trading sessions and fill missing bars.

    For every symbol and every local date (in the session's zone) on which it has at least one
    bar inside the session, the grid is the session's bar starts that day (each window from its
    open, every `every`, while before its close). A day whose bars all lie outside the session
    (a special evening session such as Muhurat trading) gets a grid from its first to its last
    bar instead. Grid bars before the symbol's first bar are not created. Existing bars are
    kept unchanged, including bars off the grid.

    A missing grid bar is filled from the last existing bar *of the same day* (never across
    days): ``open = high = low = close =`` that bar's close, ``volume = 0``, extra columns null,
    and `flag` True. Missing bars before the day's first bar have nothing to fill from and stay
    empty (all values null, `flag` False), as do all bars of a run of more than `max_gap`
    consecutive missing bars.

    Parameters
    ----------
    df
        Bars with `by`, ``ts`` (Datetime; naive values are taken as the session's local time),
        ``open, high, low, close, volume``; unique ``(by, ts)`` (e.g. from
        :func:`nse_polars.read_ohlcv`). Need not be sorted. The grid is matched at
        microsecond resolution; bars keep their own ``ts`` in any time unit (nanoseconds
        included), and new bars take ``ts``'s type.
    every
        Bar length: ``"30s"``, ``"1m"``, ``"5m"``, ``"1h"``...
    session
        ``"NSE"`` (09:15-15:30 Asia/Kolkata, the default), ``"24/7"`` or ``"crypto"``
        (00:00-24:00 UTC), or a :class:`Session`.
    max_gap
        Longest run of consecutive missing bars to fill, as a bar count or a duration such as
        ``"30m"`` (floor-divided by `every`); longer runs are left empty. Default: no limit.
    by
        Symbol column.
    flag
        Name of the Boolean column marking filled bars.

    Returns
    -------
    polars.DataFrame
        The columns of `df` plus `flag`, sorted by ``(by, ts)``.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> ist = "Asia/Kolkata"
    >>> bars = pl.DataFrame({
    ...     "symbol": ["A", "A"],
    ...     "ts": [dt.datetime(2024, 1, 1, 15, 10), dt.datetime(2024, 1, 1, 15, 20)],
    ...     "open": [10.0, 11.0], "high": [10.5, 11.5], "low": [9.5, 10.5],
    ...     "close": [10.2, 11.2], "volume": [5.0, 6.0],
    ... }).with_columns(pl.col("ts").dt.replace_time_zone(ist))
    >>> out = nse.fill_gaps(bars, "5m")
    >>> out.select(pl.col("ts").dt.strftime("%H:%M"), "open", "close", "volume", "filled")
    shape: (4, 5)
    ┌───────┬──────┬───────┬────────┬────────┐
    │ ts    ┆ open ┆ close ┆ volume ┆ filled │
    │ ---   ┆ ---  ┆ ---   ┆ ---    ┆ ---    │
    │ str   ┆ f64  ┆ f64   ┆ f64    ┆ bool   │
    ╞═══════╪══════╪═══════╪════════╪════════╡
    │ 15:10 ┆ 10.0 ┆ 10.2  ┆ 5.0    ┆ false  │
    │ 15:15 ┆ 10.2 ┆ 10.2  ┆ 0.0    ┆ true   │
    │ 15:20 ┆ 11.0 ┆ 11.2  ┆ 6.0    ┆ false  │
    │ 15:25 ┆ 11.2 ┆ 11.2  ┆ 0.0    ┆ true   │
    └───────┴──────┴───────┴────────┴────────┘
    """
    sess = _session(session)
    every_us = parse_duration_us(every, "every")
    max_bars = _max_gap_bars(max_gap, every_us)
    required = (by, "ts", "open", "high", "low", "close", "volume")
    missing_cols = [c for c in required if c not in df.columns]
    if missing_cols:
        raise ValueError(f"fill_gaps needs columns {list(required)}; missing {missing_cols}")
    if flag in df.columns:
        raise ValueError(f"`flag` column {flag!r} already exists in the frame")
    ts_type = df.schema["ts"]
    if not isinstance(ts_type, pl.Datetime):
        raise TypeError(f"column `ts` must be Datetime, got {ts_type}")
    if df.select(pl.col(by).is_null().any() | pl.col("ts").is_null().any()).item():
        raise ValueError(f"fill_gaps needs non-null `{by}` and `ts`; validate first")
    offsets = sess.bar_offsets_us(every_us)
    if df.is_empty():
        return df.with_columns(pl.lit(False).alias(flag))

    from nse_polars.ohlcv_validate import sort_key

    packed = sort_key(df, by)
    if packed is None:  # pragma: no cover  (thousands of symbols over thousands of years)
        raise ValueError("fill_gaps: too many symbols over too long a time span")
    key, span, t_min = packed
    steps = key.diff()
    if steps.min() is not None and steps.min() <= 0:  # type: ignore[operator]
        order = key.arg_sort()
        frame, key = df.gather(order), key.gather(order)
        steps = key.diff()
        if steps.min() == 0:
            raise ValueError(
                f"fill_gaps needs unique ({by}, ts); validate first (read_ohlcv / validate_ohlcv)"
            )
    else:
        frame = df
    keys = pl.DataFrame({"__code": key // span, "__ts": key % span + t_min})
    local = _local_micros(keys["__ts"], ts_type.time_zone, sess.time_zone)
    keys = keys.with_columns(local.alias("__local"))
    day = pl.col("__local") // _US_PER_DAY
    time_of_day = pl.col("__local") - day * _US_PER_DAY
    in_session = pl.any_horizontal(
        [
            (time_of_day >= a * _US_PER_MINUTE) & (time_of_day < b * _US_PER_MINUTE)
            for a, b in sess.minute_windows()
        ]
    )
    keys = keys.select("__code", "__ts", day.alias("__day"), in_session.alias("__in"))

    # (symbol, day) segments are contiguous runs of the sorted frame: their first and last
    # rows give the day's first and last bar, a running count gives "any bar in session".
    start = (
        (pl.col("__code") != pl.col("__code").shift(1))
        | (pl.col("__day") != pl.col("__day").shift(1))
    ).fill_null(True)
    is_start = keys.select(start).to_series()
    starts = is_start.arg_true()
    ends = pl.concat([starts.slice(1) - 1, pl.Series([keys.height - 1], dtype=starts.dtype)])
    in_count = keys["__in"].cast(pl.Int64).cum_sum()
    in_before = in_count.gather(starts) - keys["__in"].cast(pl.Int64).gather(starts)
    days = pl.DataFrame(
        {
            "__code": keys["__code"].gather(starts),
            "__day": keys["__day"].gather(starts),
            "__first": keys["__ts"].gather(starts),
            "__last": keys["__ts"].gather(ends),
            "__regular": (in_count.gather(ends) - in_before) > 0,
        }
    ).with_columns(
        (pl.col("__code") != pl.col("__code").shift(1)).fill_null(True).alias("__code_first")
    )
    # The regular grid of each local day, converted to instants once per day (exact in any
    # zone: local times that do not exist are dropped, ambiguous ones take the first).
    unique_days = days.filter(pl.col("__regular")).select(pl.col("__day").unique())
    day_grid = (
        unique_days.join(
            pl.DataFrame({"__offset": offsets}, schema={"__offset": pl.Int64}), how="cross"
        )
        .with_columns(
            _instants(
                pl.col("__day") * _US_PER_DAY + pl.col("__offset"), ts_type.time_zone, sess
            ).alias("__ts")
        )
        .drop_nulls("__ts")
        .select("__day", "__ts")
    )
    grid_size = day_grid.group_by("__day").len("__size")

    # A segment is complete when each of its grid bars exists: count the bars on the grid
    # (a regular day's grid instant has that local day, so membership in the union of the
    # day grids is membership in the bar's own day grid; a special day's grid is every
    # `every` from its first bar) and compare with the grid's size. Only incomplete segments,
    # and each symbol's first day (whose grid starts at the symbol's first bar), get a grid.
    segment = is_start.cum_sum() - 1
    regular_row = days["__regular"].gather(segment)
    first_row = days["__first"].gather(segment)
    on_grid = pl.select(
        pl.when(regular_row)
        .then(pl.lit(keys["__ts"]).is_in(day_grid["__ts"].implode()))
        .otherwise((pl.lit(keys["__ts"]) - pl.lit(first_row)) % every_us == 0)
    ).to_series()
    on_count = on_grid.cast(pl.Int64).cum_sum()
    hits = on_count.gather(ends) - on_count.gather(starts) + on_grid.cast(pl.Int64).gather(starts)
    days = (
        days.with_columns(hits.alias("__hits"))
        .join(grid_size, on="__day", how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("__regular"))
            .then(pl.col("__size").fill_null(0))
            .otherwise((pl.col("__last") - pl.col("__first")) // every_us + 1)
            .alias("__size")
        )
    )
    todo = days.filter(pl.col("__code_first") | (pl.col("__hits") < pl.col("__size")))
    regular = todo.filter(pl.col("__regular")).select("__code", "__day").join(day_grid, on="__day")
    special = (
        todo.filter(~pl.col("__regular"))
        .select(
            "__code",
            "__day",
            pl.int_ranges("__first", pl.col("__last") + 1, every_us).alias("__ts"),
        )
        .explode("__ts")
    )
    first_bar = days.filter(pl.col("__code_first")).select(
        "__code", pl.col("__first").alias("__start")
    )
    grid = (
        pl.concat([regular, special.with_columns(pl.col("__ts").cast(pl.Int64))])
        .join(first_bar, on="__code")
        .filter(pl.col("__ts") >= pl.col("__start"))
        .select("__code", "__day", "__ts")
    )
    # One Int64 key orders (symbol, ts) for the bars and the grid bars alike; its span covers
    # every day grid (a superset of the grid bars).
    t_min = int(keys["__ts"].min())  # type: ignore[arg-type]
    t_max = int(keys["__ts"].max())  # type: ignore[arg-type]
    if day_grid.height:
        t_max = max(t_max, int(day_grid["__ts"].max()))  # type: ignore[arg-type]
    span = t_max - t_min + 1
    n_codes = int(keys["__code"].max()) + 1  # type: ignore[arg-type]
    if n_codes * span >= 1 << 62:
        raise ValueError(  # pragma: no cover  (needs ~1e4 symbols over ~1e4 years)
            "fill_gaps: too many symbols over too long a time span for one Int64 key"
        )
    old_key = keys["__code"] * span + (keys["__ts"] - t_min)
    new = grid.select(
        (pl.col("__code") * span + (pl.col("__ts") - t_min)).alias("__key"), "__code", "__day"
    ).sort("__key")
    # Grid bars that exist are not new; the rest go in before the first later bar.
    pos = old_key.search_sorted(new["__key"], side="left").cast(pl.Int64)
    found = old_key.gather(pos.clip(0, max(old_key.len() - 1, 0)))
    exists = (pos < old_key.len()) & (found == new["__key"])
    new = new.with_columns(pos.alias("__p")).filter(~exists)

    # A new bar is filled from the last bar before it when that bar is of the same symbol
    # and day, and no day or symbol change lies between them (only new bars can).
    p = pl.col("__p")
    prev = (p - 1).clip(0, None)
    code_old, day_old = pl.lit(keys["__code"]), pl.lit(keys["__day"])
    same_as_prev = (
        (p >= 1)
        & (code_old.gather(prev) == pl.col("__code"))
        & (day_old.gather(prev) == pl.col("__day"))
    )
    change = (pl.col("__code") != pl.col("__code").shift(1)) | (
        pl.col("__day") != pl.col("__day").shift(1)
    )
    group_start = (p != p.shift(1)).fill_null(True)
    new = new.with_columns(
        (pl.when(group_start).then(False).otherwise(change)).alias("__change"),
        (group_start | change.fill_null(True)).cum_sum().alias("__run"),
    )
    fillable = same_as_prev & (pl.col("__change").cum_sum().over("__p") == 0)
    if max_bars is not None:
        fillable = fillable & (pl.len().over("__run") <= max_bars)
    new = new.with_columns(fillable.alias("__fill"))

    # The output in numpy index arithmetic: new bar i goes to position p_i + i, the bars
    # fill the other positions in order.
    n_old, n_new = keys.height, new.height
    total = n_old + n_new
    p_np = new["__p"].to_numpy()
    out_new = p_np + np.arange(n_new, dtype=np.int64)
    is_old = np.ones(total, dtype=bool)
    is_old[out_new] = False
    source_row = np.empty(total, dtype=np.int64)  # a bar's row, or n_old + i for new bar i
    source_row[is_old] = np.arange(n_old)
    source_row[out_new] = n_old + np.arange(n_new)
    key_np = np.empty(total, dtype=np.int64)
    key_np[is_old] = old_key.to_numpy()
    key_np[out_new] = new["__key"].to_numpy()
    fill_np = np.zeros(total, dtype=bool)
    fill_np[out_new] = new["__fill"].to_numpy()
    fill = pl.Series(fill_np)
    # The close to fill from (read only where `fill`): the last close before each new bar.
    prev_row = np.zeros(total, dtype=np.int64)
    prev_row[out_new] = np.maximum(p_np - 1, 0)
    prev_close = frame["close"].forward_fill().gather(pl.Series(prev_row))
    out_key = pl.Series(key_np)

    # Codes are ranks among the frame's distinct symbols (0..n-1) and the frame is sorted by
    # them, so the first row of each code's run names it.
    code_starts = starts.gather(days["__code_first"].arg_true())
    symbol_of_code = frame[by].gather(code_starts)
    rest = frame.select([c for c in df.columns if c not in (by, "ts")])
    if n_new:  # new bars take null rows appended to the frame
        rest = pl.concat([rest, rest.clear(n_new)]).gather(pl.Series(source_row))
    code_of_row = out_key // span
    ts_new = (out_key - code_of_row * span + t_min).cast(pl.Datetime("us", ts_type.time_zone))
    ts_out = ts_new.cast(ts_type)
    if ts_type.time_unit == "ns":  # the keys are microseconds: bars keep their own ts
        ts_out = ts_out.scatter(np.flatnonzero(is_old), frame["ts"])
    out = rest.with_columns(
        symbol_of_code.gather(code_of_row).alias(by),
        ts_out.alias("ts"),
        *[
            pl.when(fill).then(prev_close).otherwise(pl.col(p)).alias(p)
            for p in ("open", "high", "low", "close")
        ],
        pl.when(fill).then(pl.lit(0.0)).otherwise(pl.col("volume")).alias("volume"),
        fill.alias(flag),
    )
    return out.select(*df.columns, flag)


_US_PER_DAY = 86_400_000_000


def _local_micros(utc: pl.Series, data_zone: str | None, session_zone: str) -> pl.Series:
    """Local wall-clock microseconds (in `session_zone`) of UTC microseconds `utc`.

    Naive data (`data_zone` None) is already local. Otherwise the zone's offset is looked up
    once per UTC day; rows on a day whose offset changes (a DST switch) are converted one by
    one.
    """
    if data_zone is None:
        return utc
    utc_day = utc // _US_PER_DAY
    first, last = int(utc_day.min()), int(utc_day.max())
    bounds = pl.Series([d * _US_PER_DAY for d in range(first, last + 2)], dtype=pl.Int64)
    local_bounds = (
        bounds.cast(pl.Datetime("us", "UTC"))
        .dt.convert_time_zone(session_zone)
        .dt.replace_time_zone(None)
        .to_physical()
    )
    offset = local_bounds - bounds
    start_offset, end_offset = offset[:-1], (offset[1:])
    # The offset just before the next midnight: same as the next day's start unless a switch
    # happens exactly at midnight UTC, which the per-row path below also covers.
    steady = start_offset == end_offset
    day_index = utc_day - first
    local = utc + start_offset.gather(day_index)
    unsteady = ~steady.gather(day_index)
    if unsteady.any():
        rows = unsteady.arg_true()
        exact = (
            utc.gather(rows)
            .cast(pl.Datetime("us", "UTC"))
            .dt.convert_time_zone(session_zone)
            .dt.replace_time_zone(None)
            .to_physical()
        )
        local = local.scatter(rows, exact)
    return local


def _instants(local: pl.Expr, data_zone: str | None, sess: Session) -> pl.Expr:
    """UTC microseconds of local wall-clock microseconds in the session zone (naive data:
    unchanged)."""
    if data_zone is None:
        return local
    as_local = local.cast(pl.Datetime("us")).dt.replace_time_zone(
        sess.time_zone, ambiguous="earliest", non_existent="null"
    )
    return as_local.dt.convert_time_zone("UTC").to_physical()


def _max_gap_bars(max_gap: int | str | None, every_us: int) -> int | None:
    if max_gap is None:
        return None
    if isinstance(max_gap, bool):
        raise TypeError("`max_gap` must be a bar count, a duration string or None, got a bool")
    if isinstance(max_gap, int):
        if max_gap < 0:
            raise ValueError(f"`max_gap` must be >= 0 bars, got {max_gap}")
        return max_gap
    if isinstance(max_gap, str):
        return parse_duration_us(max_gap, "max_gap") // every_us
    raise TypeError(f"`max_gap` must be a bar count, a duration string or None, got {max_gap!r}")
