"""Column and timestamp-format detection for :mod:`nse_polars.ohlcv`.

Everything here decides *how* to read a file from its header and a sample of its first rows;
the reading itself is a Polars expression built from that decision and run over the whole file.
Nothing is guessed silently: a choice the sample cannot settle (day-first or month-first dates,
a header that names two closes) raises an error that says which option settles it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

__all__ = [
    "CANONICAL_PRICES",
    "ColumnMap",
    "OHLCVReadError",
    "TimestampPlan",
    "detect_columns",
    "detect_timestamp",
    "raw_timestamp_expr",
    "timestamp_expr",
]

CANONICAL_PRICES = ("open", "high", "low", "close")

# Lower-cased header names (after stripping spaces, '<', '>' and quotes) -> canonical role.
_ALIASES: dict[str, tuple[str, ...]] = {
    "symbol": ("symbol", "ticker", "sym", "instrument", "tradingsymbol", "scrip", "name"),
    "datetime": (
        "datetime",
        "timestamp",
        "ts",
        "open_time",
        "opentime",
        "date_time",
        "time_stamp",
        "dt",
        "date time",
    ),
    "date": ("date", "day", "trade_date", "tradedate"),
    "time": ("time", "bar_time"),
    "open": ("open", "o", "open_price", "openprice"),
    "high": ("high", "h", "high_price", "highprice"),
    "low": ("low", "l", "low_price", "lowprice"),
    "close": ("close", "c", "close_price", "closeprice", "last"),
    "volume": ("volume", "vol", "v", "qty", "quantity", "tottrdqty"),
    "adj_close": ("adj close", "adj_close", "adjclose", "adjusted_close", "adjusted close"),
    "oi": ("oi", "open_interest", "openinterest", "open interest"),
}
_ROLE_OF = {alias: role for role, names in _ALIASES.items() for alias in names}
# Extra columns recognised by name and read as Float64 when kept.
NUMERIC_EXTRAS = ("adj_close", "oi")
_MAPPING_KEYS = ("symbol", "ts", "date", "time", *CANONICAL_PRICES, "volume")


class OHLCVReadError(ValueError):
    """A file could not be read as OHLCV bars; the message names the file, line and cause."""


def _normalise_name(name: str) -> str:
    return name.strip().strip("<>\"'").strip().lower().replace("-", "_")


@dataclass(frozen=True)
class ColumnMap:
    """Which source column plays which canonical role in one file.

    ``ts`` is a single timestamp column, or ``date`` plus ``time`` when the two are separate
    (``time`` may be None when ``date`` alone carries the timestamp). ``extras`` maps kept
    source columns to their output names.
    """

    symbol: str | None
    ts: str | None
    date: str | None
    time: str | None
    prices: tuple[str, str, str, str]
    volume: str | None
    extras: tuple[tuple[str, str], ...]

    @property
    def timestamp_columns(self) -> tuple[str, ...]:
        if self.ts is not None:
            return (self.ts,)
        return (self.date,) if self.time is None else (self.date, self.time)  # type: ignore[return-value]


def detect_columns(
    header: Sequence[str],
    *,
    where: str,
    mapping: Mapping[str, str] | None = None,
    keep_extra: bool | Sequence[str] = False,
) -> ColumnMap:
    """Map the columns of one file to the canonical roles.

    Matching is case-insensitive and knows the usual vendor names (see ``_ALIASES``); entries
    of `mapping` (canonical role -> source column, roles ``symbol, ts, date, time, open, high,
    low, close, volume``) override detection. Two columns claiming one role, or a missing price
    or timestamp column, raise :class:`OHLCVReadError` naming the file and the columns found.
    """
    mapping = dict(mapping or {})
    for key, source in mapping.items():
        if key not in _MAPPING_KEYS:
            raise ValueError(f"`columns` keys must be among {list(_MAPPING_KEYS)}, got {key!r}")
        if source not in header:
            raise OHLCVReadError(
                f"{where}: `columns` maps {key!r} to {source!r}, which is not a column of this "
                f"file (columns: {list(header)})"
            )
    found: dict[str, str] = {}
    mapped_sources = set(mapping.values())
    for name in header:
        if name in mapped_sources:
            continue
        role = _ROLE_OF.get(_normalise_name(name))
        if role is None:
            continue
        if role == "datetime":
            role = "ts"
        if role in mapping:
            continue
        if role in found:
            raise OHLCVReadError(
                f"{where}: columns {found[role]!r} and {name!r} both look like {role!r}; pass "
                f"columns={{{role!r}: ...}} to choose one"
            )
        found[role] = name
    found.update(mapping)

    ts, date, time = found.get("ts"), found.get("date"), found.get("time")
    if ts is None and date is None and time is not None:
        ts, time = time, None  # a lone 'time' column holds the whole timestamp (e.g. epoch ms)
    if ts is not None and date is not None and "ts" not in mapping:
        # 'timestamp' plus a 'date' column: the full timestamp wins, 'date' becomes an extra.
        date = None
    if ts is not None:
        date = time = None
    if ts is None and date is None:
        raise OHLCVReadError(
            f"{where}: no timestamp column found among {list(header)}; expected one named like "
            "'datetime', 'timestamp', 'date' (+ 'time'), 'open_time', or pass columns={'ts': ...}"
        )
    missing = [p for p in CANONICAL_PRICES if p not in found]
    if missing:
        raise OHLCVReadError(
            f"{where}: no column for {missing} among {list(header)}; expected names like "
            "open/o, high/h, low/l, close/c, or pass columns={'close': ...}"
        )
    used = {found[r] for r in ("symbol", "volume", *CANONICAL_PRICES) if r in found}
    used.update(c for c in (ts, date, time) if c is not None)
    extras: list[tuple[str, str]] = []
    if keep_extra:
        wanted = None if keep_extra is True else set(keep_extra)
        for name in header:
            if name in used or (wanted is not None and name not in wanted):
                continue
            role = _ROLE_OF.get(_normalise_name(name))
            extras.append((name, role if role in NUMERIC_EXTRAS else name))
        if wanted is not None:
            absent = sorted(wanted - {source for source, _ in extras} - used)
            if absent:
                raise OHLCVReadError(f"{where}: `keep_extra` names {absent}, not columns here")
    return ColumnMap(
        symbol=found.get("symbol"),
        ts=ts,
        date=date,
        time=time,
        prices=tuple(found[p] for p in CANONICAL_PRICES),  # type: ignore[arg-type]
        volume=found.get("volume"),
        extras=tuple(extras),
    )


# --- timestamps -------------------------------------------------------------------------------

_TIME = r"(?P<tsep>[T ])(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<frac>\.\d+)?)?"
_OFFSET = r"\s*(?P<z>Z|z|[+-]\d{2}(?::?\d{2})?)"
_DATE_PATTERNS = {
    "ymd": r"(?P<Y>\d{4})(?P<sep>[-/.])(?P<a>\d{1,2})(?P=sep)(?P<b>\d{1,2})",
    "ymd_compact": r"(?P<Y>\d{4})(?P<a>\d{2})(?P<b>\d{2})",
    "amb": r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<Y>\d{4})",
    "d_mon_y": r"(?P<a>\d{1,2})(?P<sep>[-/ ])(?P<mon>[A-Za-z]{3})(?P=sep)(?P<Y>\d{4})",
}
_DATE_RES = {
    kind: re.compile(rf"^{pat}(?:{_TIME}(?:{_OFFSET})?)?$") for kind, pat in _DATE_PATTERNS.items()
}
_TIME_ONLY_RE = re.compile(r"^(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<frac>\.\d+)?)?$")
_NUMBER_RE = re.compile(r"^[+-]?\d+(?:\.\d*)?$")
_MONTHS = {m.lower() for m in "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()}
EPOCH_UNITS = ("s", "ms", "us", "ns")
# Epoch magnitude bands: |value| below the bound -> unit. Seconds reach year 5138 at 1e11.
_EPOCH_BOUNDS = ((1e11, "s"), (1e14, "ms"), (1e17, "us"), (float("inf"), "ns"))
_EPOCH_FACTOR_US = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 0.001}


@dataclass(frozen=True)
class TimestampPlan:
    """How to turn one file's timestamp column(s) into instants.

    ``kind`` is ``"text"`` (strftime ``format``; ``aware`` when every value carries a UTC
    offset), ``"epoch"`` (numbers in ``unit`` since 1970-01-01 UTC), ``"datetime"`` (already a
    Polars Datetime, naive or aware) or ``"date"`` (a Polars Date: midnight local time).
    """

    kind: str
    columns: tuple[str, ...]
    format: str | None = None
    aware: bool = False
    fix_offsets: bool = False
    unit: str | None = None
    is_float: bool = False
    magnitude_checked: bool = False
    common_offset: str | None = None
    description: str = ""


def _epoch_unit(value: float) -> str:
    for bound, unit in _EPOCH_BOUNDS:
        if abs(value) < bound:
            return unit
    return "ns"  # pragma: no cover  (inf bound)


def _plausible_yyyymmdd(text: str) -> bool:
    y, m, d = int(text[:4]), int(text[4:6]), int(text[6:])
    return 1900 <= y <= 2199 and 1 <= m <= 12 and 1 <= d <= 31


def _explicit_format(fmt: str, values: Sequence[str]) -> tuple[str, bool, bool]:
    """(format, aware, fix_offsets) for a user-given strftime format."""
    aware = "%z" in fmt or "%:z" in fmt
    fix = aware and any(v.endswith(("Z", "z")) or re.search(r"[+-]\d{2}$", v) for v in values)
    return fmt, aware, fix


def detect_timestamp(
    values: Sequence[str],
    columns: tuple[str, ...],
    *,
    where: str,
    time_values: Sequence[str] | None = None,
    date_format: str | None = None,
    epoch_unit: str | None = None,
    evidence: Callable[[str], tuple[int, int]] | None = None,
) -> TimestampPlan:
    """Choose how to parse a text timestamp column from a sample of its values.

    Parameters
    ----------
    values
        Non-empty sample values (already stripped) of the timestamp or date column.
    columns
        The source column names (one, or date and time).
    where
        ``"<file>"`` for error messages.
    time_values
        Sample of the separate time column, if any.
    date_format
        ``"dmy"`` / ``"mdy"`` to settle the day/month order, or a full strftime format.
    epoch_unit
        Force numbers to be read as epoch ``"s"``, ``"ms"``, ``"us"`` or ``"ns"``.
    evidence
        Callback giving ``(max of first field, max of second field)`` over the *whole* column
        for a day/month-ambiguous date, consulted when the sample has no day above 12.
    """
    if not values:
        raise OHLCVReadError(f"{where}: timestamp column {columns[0]!r} has no values")
    if epoch_unit is not None:
        if epoch_unit not in EPOCH_UNITS:
            raise ValueError(f"`epoch_unit` must be one of {EPOCH_UNITS}, got {epoch_unit!r}")
        bad = next((v for v in values if not _NUMBER_RE.match(v)), None)
        if bad is not None:
            raise OHLCVReadError(
                f"{where}: epoch_unit={epoch_unit!r} but column {columns[0]!r} holds {bad!r}"
            )
        return TimestampPlan(
            "epoch",
            columns[:1],
            unit=epoch_unit,
            is_float=any("." in v for v in values),
            description=f"epoch {epoch_unit} (given)",
        )
    time_part = ""
    if time_values is not None:
        time_part = _time_format(time_values, columns, where)
    order = None
    if date_format is not None and date_format.lower() in ("dmy", "mdy"):
        order = date_format.lower()
    elif date_format is not None:
        fmt, aware, fix = _explicit_format(
            date_format + time_part, [f"{v} x" if time_part else v for v in values]
        )
        return TimestampPlan(
            "text", columns, fmt, aware, fix, description=f"{fmt!r} (given by date_format)"
        )

    all_numeric = all(_NUMBER_RE.match(v) for v in values)
    compact_dates = all(len(v) == 8 and v.isdigit() and _plausible_yyyymmdd(v) for v in values)
    if all_numeric and not compact_dates:
        if time_values is not None:
            raise OHLCVReadError(
                f"{where}: date column {columns[0]!r} holds numbers like {values[0]!r}, expected "
                "dates (with a separate time column); pass date_format= or columns={'ts': ...}"
            )
        unit = _epoch_unit(max(abs(float(v)) for v in values))
        return TimestampPlan(
            "epoch",
            columns,
            unit=unit,
            is_float=any("." in v for v in values),
            magnitude_checked=True,
            description=f"epoch {unit} (detected by magnitude; override with epoch_unit=)",
        )

    kind, matches = None, []
    for candidate, regex in _DATE_RES.items():
        matches = [regex.match(v) for v in values]
        if all(matches):
            kind = candidate
            break
    if kind is None:
        for regex in _DATE_RES.values():
            first_bad = [v for v in values if not regex.match(v)]
            if len(first_bad) < len(values):
                raise OHLCVReadError(
                    f"{where}: timestamps in {columns[0]!r} do not share one format: "
                    f"{values[0]!r} and {first_bad[0]!r}; pass date_format="
                )
        raise OHLCVReadError(
            f"{where}: cannot recognise the timestamp format of column {columns[0]!r} "
            f"(first value {values[0]!r}); expected ISO-8601, dd-mm-yyyy, m/d/yyyy, yyyymmdd, "
            "dd.mm.yyyy HH:MM:SS.fff or epoch numbers; pass date_format="
        )
    ms = [m for m in matches if m is not None]

    def same(group: str, label: str) -> str | None:
        seen = {m.group(group) for m in ms}
        if len(seen) > 1:
            if group == "z":
                aware = next(m.string for m in ms if m.group("z") is not None)
                naive = next(m.string for m in ms if m.group("z") is None)
                raise OHLCVReadError(
                    f"{where}: column {columns[0]!r} mixes timestamps with a UTC offset "
                    f"({aware!r}) and without ({naive!r}); naive and aware times cannot be "
                    "combined safely"
                )
            raise OHLCVReadError(
                f"{where}: timestamps in {columns[0]!r} differ in {label}: "
                f"{sorted(map(str, seen))}; pass date_format="
            )
        return next(iter(seen))

    sep = same("sep", "date separator") if kind != "ymd_compact" else ""
    has_time = {m.group("H") is not None for m in ms}
    if len(has_time) > 1:
        raise OHLCVReadError(
            f"{where}: some timestamps in {columns[0]!r} have a time of day and some do not; "
            "pass date_format="
        )
    with_time = has_time.pop()
    if with_time and time_values is not None:
        raise OHLCVReadError(
            f"{where}: column {columns[0]!r} already has a time of day, and so does "
            f"{columns[1]!r}; pass columns={{'ts': ...}}"
        )
    if kind == "ymd":
        date_fmt = f"%Y{sep}%m{sep}%d"
    elif kind == "ymd_compact":
        date_fmt = "%Y%m%d"
    elif kind == "d_mon_y":
        bad = next((m.string for m in ms if m.group("mon").lower() not in _MONTHS), None)
        if bad is not None:
            raise OHLCVReadError(f"{where}: unknown month name in {bad!r}")
        date_fmt = f"%d{sep}%b{sep}%Y"
    else:
        order = order or _day_month_order(ms, columns[0], where, evidence)
        date_fmt = f"%d{sep}%m{sep}%Y" if order == "dmy" else f"%m{sep}%d{sep}%Y"
    fmt, aware, fix = date_fmt, False, False
    common_offset = None
    if with_time:
        tsep = same("tsep", "date/time separator")
        has_seconds = same_flag(ms, "S", columns[0], where, "seconds")
        fmt += f"{tsep}%H:%M" + (":%S" if has_seconds else "")
        if any(m.group("frac") for m in ms):
            fmt += "%.f"
        has_offset = {m.group("z") is not None for m in ms}
        if len(has_offset) > 1:
            same("z", "offset")
        if has_offset.pop():
            aware = True
            offsets = {m.group("z") for m in ms}
            # One offset in the whole sample (the usual case): parse the local part with
            # Polars' fast path and shift; rows with another offset take the general path.
            if len(offsets) == 1 and re.fullmatch(r"[+-]\d{2}:?\d{2}", next(iter(offsets))):
                common = next(iter(offsets))
                if all(m.string.endswith(common) for m in ms):
                    common_offset = common
            fmt += "%z"
            fix = any(not re.fullmatch(r"[+-]\d{2}:?\d{2}", m.group("z")) for m in ms)
    fmt += time_part
    readable = fmt.replace("%Y", "yyyy").replace("%m", "mm").replace("%d", "dd").replace("%H", "HH")
    readable = readable.replace("%M", "MM").replace("%S", "SS").replace("%.f", "[.fff]")
    readable = readable.replace("%z", "+hh:mm").replace("%b", "Mon")
    return TimestampPlan(
        "text",
        columns,
        fmt,
        aware,
        fix,
        common_offset=common_offset,
        description=f"{readable!r} ({fmt})",
    )


def same_flag(ms: list[re.Match[str]], group: str, column: str, where: str, label: str) -> bool:
    seen = {m.group(group) is not None for m in ms}
    if len(seen) > 1:
        raise OHLCVReadError(
            f"{where}: some timestamps in {column!r} have {label} and some do not; "
            "pass date_format="
        )
    return seen.pop()


def _time_format(values: Sequence[str], columns: tuple[str, ...], where: str) -> str:
    matches = [_TIME_ONLY_RE.match(v) for v in values]
    bad = next((v for v, m in zip(values, matches, strict=True) if m is None), None)
    if bad is not None:
        raise OHLCVReadError(
            f"{where}: time column {columns[1]!r} holds {bad!r}, expected HH:MM or HH:MM:SS"
        )
    ms = [m for m in matches if m is not None]
    has_seconds = same_flag(ms, "S", columns[1], where, "seconds")
    frac = any(m.group("frac") for m in ms)
    return " %H:%M" + (":%S" if has_seconds else "") + ("%.f" if frac else "")


def _day_month_order(
    ms: list[re.Match[str]],
    column: str,
    where: str,
    evidence: Callable[[str], tuple[int, int]] | None,
) -> str:
    first = max(int(m.group("a")) for m in ms)
    second = max(int(m.group("b")) for m in ms)
    if first <= 12 and second <= 12 and evidence is not None:
        first, second = evidence(ms[0].group("sep"))
    if first > 12 and second > 12:
        raise OHLCVReadError(
            f"{where}: column {column!r} has values above 12 in both the first and the second "
            "date field, so it is neither day-first nor month-first"
        )
    if first > 12:
        return "dmy"
    if second > 12:
        return "mdy"
    raise OHLCVReadError(
        f"{where}: dates in {column!r} like {ms[0].string!r} could be day-first or month-first "
        "and no day above 12 settles it; pass date_format='dmy' or 'mdy' (or a strftime format)"
    )


def raw_timestamp_expr(plan: TimestampPlan, *, strip: bool = False) -> pl.Expr:
    """The source text of a text or epoch timestamp (date and time joined by a space)."""
    cols = [pl.col(c).cast(pl.String) for c in plan.columns]
    if strip:
        cols = [c.str.strip_chars() for c in cols]
    if len(cols) == 1:
        return cols[0]
    return pl.concat_str([cols[0], pl.lit(" "), cols[1]])


def _offset_minutes(offset: str) -> int:
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + int(digits[2:]))


def timestamp_expr(
    plan: TimestampPlan,
    time_zone: str,
    output_time_zone: str,
    *,
    general: bool = False,
    raw: pl.Expr | None = None,
) -> pl.Expr:
    """Expression turning the plan's source column(s) into ``Datetime("us", output_time_zone)``.

    Values that do not parse, epoch numbers outside the magnitude band of the detected unit,
    and naive local times that do not exist (or are ambiguous) in `time_zone` become null.
    The default (fast) form reads the text as it is and, for ISO text whose sample shows a
    single UTC offset, parses only rows ending with that offset (Polars' fast path for the
    local part, then a fixed shift). ``general=True`` is the form for the rows the fast form
    left null: surrounding spaces stripped, any offset (``Z``, ``+hh``, ``+hhmm``,
    ``+hh:mm``) converted exactly. The reader applies it to those rows only and reports the
    rows that still do not parse. `raw` replaces the source column(s) by a text expression
    (the joined date and time for two-column plans).
    """
    if plan.kind in ("datetime", "date"):
        col = pl.col(plan.columns[0])
        if plan.kind == "date":
            col = col.cast(pl.Datetime("us"))
        else:
            col = col.dt.cast_time_unit("us")
        if not plan.aware:
            col = col.dt.replace_time_zone(time_zone, ambiguous="null", non_existent="null")
        return col.dt.convert_time_zone(output_time_zone)
    if raw is None:
        raw = raw_timestamp_expr(plan, strip=general)
    elif general:
        raw = raw.str.strip_chars()
    if plan.kind == "epoch":
        assert plan.unit is not None
        number = raw.cast(pl.Float64, strict=False)
        factor = _EPOCH_FACTOR_US[plan.unit]
        # Outside the band the integer arithmetic below could overflow: such values are errors.
        in_band = number.abs() < 9.2e18 * min(1.0, 1.0 / factor)
        if plan.magnitude_checked:
            low = {"s": 0.0, "ms": 1e11, "us": 1e14, "ns": 1e17}[plan.unit]
            high = {u: b for b, u in _EPOCH_BOUNDS}[plan.unit]
            in_band = (number.abs() < high) & ((number.abs() >= low) | (number == 0))
        if plan.is_float:
            micros = (number * factor).round(0).cast(pl.Int64, strict=False)
        elif plan.unit == "ns":
            micros = raw.cast(pl.Int64, strict=False) // 1000
        else:
            micros = raw.cast(pl.Int64, strict=False) * int(factor)
        instant = pl.when(in_band).then(pl.from_epoch(micros, time_unit="us"))
        return instant.dt.replace_time_zone("UTC").dt.convert_time_zone(output_time_zone)
    assert plan.format is not None
    if plan.aware and plan.common_offset is not None and not general:
        local_format = plan.format.removesuffix("%z")
        # No cache: bar timestamps are nearly all distinct, so hashing them only costs time.
        local = raw.str.strip_suffix(plan.common_offset).str.to_datetime(
            local_format, strict=False, time_unit="us", exact=True, cache=False
        )
        shifted = local.dt.replace_time_zone("UTC") - pl.duration(
            minutes=_offset_minutes(plan.common_offset)
        )
        parsed = pl.when(raw.str.ends_with(plan.common_offset)).then(shifted)
        return parsed.dt.convert_time_zone(output_time_zone)
    text = raw
    if plan.aware and (plan.fix_offsets or general):
        text = text.str.replace(r"[Zz]$", "+00:00").str.replace(r"([+-]\d{2})$", "${1}:00")
    # No cache: bar timestamps are nearly all distinct, so hashing them only costs time.
    parsed = text.str.to_datetime(
        plan.format, strict=False, time_unit="us", exact=True, cache=False
    )
    if plan.aware:
        return parsed.dt.convert_time_zone(output_time_zone)
    parsed = parsed.dt.replace_time_zone(time_zone, ambiguous="null", non_existent="null")
    return parsed.dt.convert_time_zone(output_time_zone)
