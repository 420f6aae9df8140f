"""fill_gaps and Session: worked examples and an independent row-by-row implementation."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import polars as pl
import pytest

import nse_polars as nse
from nse_polars import Session

IST = ZoneInfo("Asia/Kolkata")


def bars(rows: list[tuple[str, dt.datetime, float]], zone: str = "Asia/Kolkata") -> pl.DataFrame:
    """Bars from (symbol, local naive time, close); open = close - 1, high/low around them."""
    return pl.DataFrame(
        {
            "symbol": [r[0] for r in rows],
            "ts": [r[1] for r in rows],
            "open": [r[2] - 1 for r in rows],
            "high": [r[2] + 1 for r in rows],
            "low": [r[2] - 2 for r in rows],
            "close": [r[2] for r in rows],
            "volume": [100.0] * len(rows),
        },
        schema_overrides={"ts": pl.Datetime("us")},
    ).with_columns(pl.col("ts").dt.replace_time_zone(zone))


def reference_fill(
    df: pl.DataFrame, every: dt.timedelta, windows: list[tuple[int, int]], zone: str, max_gap=None
) -> list[tuple]:
    """Row-by-row definition of fill_gaps, written from its docstring with zoneinfo."""
    tz = ZoneInfo(zone)
    out = []
    for symbol in sorted(set(df["symbol"])):
        own = df.filter(pl.col("symbol") == symbol).sort("ts")
        real = {r["ts"]: r for r in own.iter_rows(named=True)}
        first_bar = min(real)
        by_day: dict[dt.date, list[dt.datetime]] = {}
        for ts in real:
            by_day.setdefault(ts.astimezone(tz).date(), []).append(ts)
        for day, stamps in sorted(by_day.items()):

            def minutes(t: dt.datetime) -> float:
                local = t.astimezone(tz)
                return local.hour * 60 + local.minute + local.second / 60

            regular = any(a <= minutes(t) < b for t in stamps for a, b in windows)
            grid = []
            if regular:
                for a, b in windows:
                    t = dt.datetime.combine(day, dt.time(0), tzinfo=tz) + dt.timedelta(minutes=a)
                    end = dt.datetime.combine(day, dt.time(0), tzinfo=tz) + dt.timedelta(minutes=b)
                    while t < end:
                        grid.append(t)
                        t += every
            else:
                t = min(stamps)
                while t <= max(stamps):
                    grid.append(t)
                    t += every
            times = sorted({g for g in grid if g >= first_bar} | set(stamps))
            rows = []
            for t in times:
                if t in real:
                    r = real[t]
                    rows.append(
                        [symbol, t, r["open"], r["high"], r["low"], r["close"], 100.0, False]
                    )
                else:
                    rows.append([symbol, t, None, None, None, None, None, False])
            # runs of missing rows
            i = 0
            while i < len(rows):
                if rows[i][2] is not None or rows[i][1] in real:
                    i += 1
                    continue
                j = i
                while j < len(rows) and rows[j][1] not in real:
                    j += 1
                previous = rows[i - 1][5] if i > 0 else None
                if previous is not None and (max_gap is None or j - i <= max_gap):
                    for k in range(i, j):
                        rows[k][2:8] = [previous] * 4 + [0.0, True]
                i = j
            out.extend(tuple(r) for r in rows)
    return out


def as_rows(df: pl.DataFrame) -> list[tuple]:
    return [tuple(r) for r in df.iter_rows()]


def test_worked_example_nse_day():
    day = dt.date(2024, 1, 2)

    def at(h, m):
        return dt.datetime.combine(day, dt.time(h, m))

    df = bars([("A", at(9, 25), 10.0), ("A", at(9, 40), 11.0), ("A", at(15, 20), 12.0)])
    out = nse.fill_gaps(df, "5m", "NSE")
    assert out.height == 75 - 2  # 09:15, 09:20: before the symbol's first bar
    first = out.head(4).select(
        pl.col("ts").dt.strftime("%H:%M"), "open", "low", "close", "volume", "filled"
    )
    assert as_rows(first) == [
        ("09:25", 9.0, 8.0, 10.0, 100.0, False),
        ("09:30", 10.0, 10.0, 10.0, 0.0, True),
        ("09:35", 10.0, 10.0, 10.0, 0.0, True),
        ("09:40", 10.0, 9.0, 11.0, 100.0, False),
    ]
    assert out["filled"].sum() == 73 - 3
    assert out.tail(1)["close"].to_list() == [12.0] and out.tail(1)["filled"].to_list() == [True]


def test_never_fills_across_days_and_max_gap():
    d1, d2 = dt.date(2024, 1, 2), dt.date(2024, 1, 3)
    df = bars(
        [
            ("A", dt.datetime.combine(d1, dt.time(15, 10)), 10.0),
            ("A", dt.datetime.combine(d2, dt.time(9, 30)), 11.0),
            ("A", dt.datetime.combine(d2, dt.time(9, 50)), 12.0),
        ]
    )
    out = nse.fill_gaps(df, "5m", max_gap=2)
    day2 = out.filter(pl.col("ts").dt.date() == d2).head(8)
    assert day2["ts"].dt.strftime("%H:%M").to_list()[:3] == ["09:15", "09:20", "09:25"]
    assert day2["close"].to_list()[:3] == [None, None, None]  # not filled from day 1
    # 09:35..09:45 is a gap of 3 > max_gap=2: left empty
    assert day2["close"].to_list()[3:8] == [11.0, None, None, None, 12.0]
    # 15:15..15:25 after day 1's last bar: a run of 3, also longer than max_gap=2
    assert out.filter(pl.col("ts").dt.date() == d1)["filled"].sum() == 0
    with_duration = nse.fill_gaps(df, "5m", max_gap="15m")
    assert with_duration.equals(nse.fill_gaps(df, "5m", max_gap=3))
    assert with_duration.filter(pl.col("ts").dt.date() == d2)["close"].to_list()[4:7] == [11.0] * 3
    assert with_duration.filter(pl.col("ts").dt.date() == d1)["filled"].sum() == 3


def test_special_evening_session_gets_its_own_grid():
    day = dt.date(2023, 11, 12)
    df = bars([("A", dt.datetime.combine(day, dt.time(18, 15)), 1.0),
               ("A", dt.datetime.combine(day, dt.time(18, 30)), 2.0)])  # fmt: skip
    out = nse.fill_gaps(df, "5m")
    assert out["ts"].dt.strftime("%H:%M").to_list() == ["18:15", "18:20", "18:25", "18:30"]
    assert out["filled"].to_list() == [False, True, True, False]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("session", "zone", "windows", "every"),
    [
        ("NSE", "Asia/Kolkata", [(555, 930)], 5),
        (Session((("09:30", "12:00"), ("13:00", "16:00")), "America/New_York"),
         "America/New_York", [(570, 720), (780, 960)], 30),
        ("24/7", "UTC", [(0, 1440)], 60),
    ],
)  # fmt: skip
def test_matches_row_by_row_reference(seed, session, zone, windows, every):
    rng = random.Random(seed)
    rows = []
    for symbol in ("X", "Y"):
        for day in (dt.date(2024, 3, 8), dt.date(2024, 3, 11), dt.date(2024, 3, 12)):
            for _ in range(rng.randint(1, 12)):
                a, b = rng.choice(windows)
                minute = a + every * rng.randrange((b - a) // every)
                if rng.random() < 0.1:
                    minute = rng.randrange(1440)  # off-grid or off-session bar
                rows.append(
                    (
                        symbol,
                        dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute),
                        rng.uniform(10, 20),
                    )
                )
    df = bars(list({(r[0], r[1]): r for r in rows}.values()), zone).sample(
        fraction=1.0, shuffle=True, seed=seed
    )
    max_gap = rng.choice([None, 1, 3])
    out = nse.fill_gaps(df, f"{every}m", session, max_gap=max_gap)
    expected = reference_fill(df, dt.timedelta(minutes=every), windows, zone, max_gap)
    assert as_rows(out) == expected
    assert out.filter(~pl.col("filled") & pl.col("close").is_not_null()).height == df.height


def test_bad_input():
    df = bars([("A", dt.datetime(2024, 1, 2, 9, 15), 1.0)] * 2)
    with pytest.raises(ValueError, match="unique"):
        nse.fill_gaps(df, "5m")
    with pytest.raises(ValueError, match="`every`"):
        nse.fill_gaps(df.head(1), "5 minutes")
    with pytest.raises(ValueError, match="`session`"):
        nse.fill_gaps(df.head(1), "5m", "LSE")
    with pytest.raises(ValueError, match="`max_gap`"):
        nse.fill_gaps(df.head(1), "5m", max_gap=-1)
    with pytest.raises(ValueError, match="`windows`"):
        Session((("15:30", "09:15"),))
    with pytest.raises(ValueError, match="`time_zone`"):
        Session(time_zone="Nowhere/City")
    assert nse.fill_gaps(df.head(0), "5m")["filled"].to_list() == []


def test_nanosecond_bars_keep_their_own_times() -> None:
    """The grid is matched in microseconds; bars in nanoseconds keep every digit of their ts
    (they were cut to whole microseconds), new bars are on the grid in the same type."""
    base = [dt.datetime(2024, 1, 1, 9, 15), dt.datetime(2024, 1, 1, 9, 25)]
    ts = pl.Series("ts", base).cast(pl.Datetime("ns")).dt.replace_time_zone(
        "Asia/Kolkata"
    ) + pl.Series([123, 999_999_123]).cast(pl.Duration("ns"))
    bars = pl.DataFrame(
        {
            "symbol": ["A", "A"],
            "ts": ts,
            "open": [1.0, 2.0],
            "high": [1.0, 2.0],
            "low": [1.0, 2.0],
            "close": [1.0, 2.0],
            "volume": [1.0, 1.0],
        }
    )
    out = nse.fill_gaps(bars, every="5m")
    assert out.schema["ts"] == pl.Datetime("ns", "Asia/Kolkata")
    kept = out.filter(~pl.col("filled"))
    assert kept["ts"].to_list() == ts.to_list()
    new = out.filter(pl.col("filled"))
    assert new["ts"][0] == dt.datetime(2024, 1, 1, 9, 20, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert new["ts"].dt.nanosecond().max() == 0
