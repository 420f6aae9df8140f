"""Tests for the synthetic NSE OHLCV generator."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import polars as pl
import pytest

from nse_polars.synthetic import generate_ohlcv, nse_session_bars

PRICE_COLUMNS = ["open", "high", "low", "close"]


def _log_returns(close: pl.Series | np.ndarray) -> np.ndarray:
    return np.diff(np.log(np.asarray(close, dtype=np.float64)))


def _annualised_vol(close: pl.Series | np.ndarray) -> float:
    return float(np.std(_log_returns(close), ddof=1) * math.sqrt(252))


@pytest.fixture(scope="module")
def bars_5m() -> pl.DataFrame:
    return generate_ohlcv(3, days=12, interval="5m", seed=7)


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("1m", 375),
        ("3m", 125),
        ("5m", 75),
        ("15m", 25),
        ("25m", 15),
        ("30m", 13),
        ("1h", 7),
        ("75m", 5),
        ("375m", 1),
        ("1d", 1),
    ],
)
def test_nse_session_bars(interval: str, expected: int) -> None:
    assert nse_session_bars(interval) == expected


@pytest.mark.parametrize("interval", ["", "5", "5x", "0m", "376m", "7h", "2d", "m5", 5])
def test_nse_session_bars_rejects_bad_interval(interval: object) -> None:
    with pytest.raises(ValueError, match="`interval`"):
        nse_session_bars(interval)  # type: ignore[arg-type]


def test_schema_and_column_order(bars_5m: pl.DataFrame) -> None:
    assert list(bars_5m.schema.items()) == [
        ("symbol", pl.String),
        ("ts", pl.Datetime("us", "Asia/Kolkata")),
        ("open", pl.Float64),
        ("high", pl.Float64),
        ("low", pl.Float64),
        ("close", pl.Float64),
        ("volume", pl.Float64),
    ]
    assert bars_5m.null_count().sum_horizontal().item() == 0


def test_default_symbol_names(bars_5m: pl.DataFrame) -> None:
    assert bars_5m["symbol"].unique(maintain_order=True).to_list() == ["SYM000", "SYM001", "SYM002"]


def test_sorted_by_symbol_then_ts() -> None:
    df = generate_ohlcv(["TCS", "INFY", "RELIANCE"], days=3, interval="15m")
    assert df["symbol"].unique(maintain_order=True).to_list() == ["INFY", "RELIANCE", "TCS"]
    assert df.equals(df.sort(["symbol", "ts"]))


@pytest.mark.parametrize("interval", ["1m", "3m", "5m", "15m", "30m", "1h", "1d"])
def test_row_count(interval: str) -> None:
    df = generate_ohlcv(4, days=6, interval=interval)
    assert df.height == 4 * 6 * nse_session_bars(interval)
    assert df.group_by("symbol").len()["len"].to_list() == [6 * nse_session_bars(interval)] * 4


def test_deterministic() -> None:
    kwargs = {"days": 5, "interval": "5m", "seed": 123}
    first = generate_ohlcv(3, **kwargs)
    second = generate_ohlcv(3, **kwargs)
    assert first.equals(second)
    for column in [*PRICE_COLUMNS, "volume"]:
        assert np.array_equal(first[column].to_numpy(), second[column].to_numpy())


def test_different_seeds_differ() -> None:
    a = generate_ohlcv(2, days=5, seed=0)
    b = generate_ohlcv(2, days=5, seed=1)
    assert not np.array_equal(a["close"].to_numpy(), b["close"].to_numpy())
    assert not np.array_equal(a["volume"].to_numpy(), b["volume"].to_numpy())


def test_symbols_get_different_series(bars_5m: pl.DataFrame) -> None:
    closes = [part["close"].to_numpy() for part in bars_5m.partition_by("symbol")]
    returns = [_log_returns(close) for close in closes]
    assert not np.allclose(returns[0], returns[1])
    assert abs(np.corrcoef(returns[0], returns[1])[0, 1]) < 0.2


def test_symbol_series_independent_of_symbol_count() -> None:
    two = generate_ohlcv(2, days=5, seed=3).filter(pl.col("symbol") == "SYM001")
    five = generate_ohlcv(5, days=5, seed=3).filter(pl.col("symbol") == "SYM001")
    assert two.height == 5 * 75
    assert two.equals(five)


def test_named_symbol_independent_of_other_names_and_order() -> None:
    alone = generate_ohlcv(["TCS"], days=4, seed=9)
    mixed = generate_ohlcv(["INFY", "TCS", "HDFCBANK"], days=4, seed=9)
    assert alone.equals(mixed.filter(pl.col("symbol") == "TCS"))


def test_first_days_independent_of_day_count() -> None:
    short = generate_ohlcv(2, days=4, seed=5)
    long = generate_ohlcv(2, days=9, seed=5)
    cutoff = short["ts"].max()
    assert short.equals(long.filter(pl.col("ts") <= cutoff))


def test_intraday_timestamps_5m(bars_5m: pl.DataFrame) -> None:
    ts = bars_5m["ts"]
    assert ts.dt.weekday().is_between(1, 5).all()
    minute_of_day = (ts.dt.hour().cast(pl.Int32) * 60 + ts.dt.minute().cast(pl.Int32)).to_numpy()
    assert minute_of_day.min() == 9 * 60 + 15
    assert minute_of_day.max() == 15 * 60 + 25
    assert ((minute_of_day - (9 * 60 + 15)) % 5 == 0).all()
    assert (ts.dt.second() == 0).all()
    per_day = bars_5m.group_by("symbol", pl.col("ts").dt.date().alias("day")).agg(
        pl.col("ts").n_unique().alias("n")
    )
    assert (per_day["n"] == 75).all()
    assert per_day.height == 3 * 12


def test_timestamps_strictly_increasing_per_symbol(bars_5m: pl.DataFrame) -> None:
    steps = bars_5m.select(pl.col("ts").diff().over("symbol").alias("step"))["step"].drop_nulls()
    assert steps.len() == bars_5m.height - 3
    assert (steps > dt.timedelta(0)).all()


def test_calendar_skips_weekends_and_rolls_start_forward() -> None:
    df = generate_ohlcv(1, days=7, interval="1d", start=dt.date(2024, 3, 2))  # a Saturday
    expected, day = [], dt.date(2024, 3, 4)
    while len(expected) < 7:
        if day.weekday() < 5:
            expected.append(day)
        day += dt.timedelta(days=1)
    assert df["ts"].dt.date().to_list() == expected


def test_daily_labels_are_local_midnight() -> None:
    df = generate_ohlcv(2, days=10, interval="1d", start="2024-01-01")
    ts = df["ts"]
    assert ts.dtype == pl.Datetime("us", "Asia/Kolkata")
    assert (ts.dt.hour() == 0).all()
    assert (ts.dt.minute() == 0).all()
    assert ts.dt.weekday().is_between(1, 5).all()
    assert ts[0] == dt.datetime(2024, 1, 1, tzinfo=ts[0].tzinfo)
    assert df.group_by("symbol").agg(pl.col("ts").dt.date().n_unique())["ts"].to_list() == [10, 10]


def test_hourly_last_bar_is_1515() -> None:
    df = generate_ohlcv(1, days=2, interval="1h")
    times = df["ts"].dt.strftime("%H:%M").to_list()[:7]
    assert times == ["09:15", "10:15", "11:15", "12:15", "13:15", "14:15", "15:15"]


def test_other_time_zone_expresses_same_instants() -> None:
    ist = generate_ohlcv(1, days=2, interval="15m")
    utc = generate_ohlcv(1, days=2, interval="15m", time_zone="UTC")
    assert utc["ts"].dtype == pl.Datetime("us", "UTC")
    assert utc["ts"][0] == dt.datetime(2024, 1, 1, 3, 45, tzinfo=dt.timezone.utc)
    assert (utc["ts"].dt.epoch("us") == ist["ts"].dt.epoch("us")).all()


@pytest.mark.parametrize(
    ("interval", "kwargs"),
    [
        ("5m", {}),
        ("1m", {"annual_volatility": 1.5}),
        ("1h", {}),
        ("1d", {"annual_volatility": 0.6}),
        ("5m", {"start_price": 0.3, "annual_volatility": 2.0}),
    ],
)
def test_ohlc_consistency(interval: str, kwargs: dict) -> None:
    df = generate_ohlcv(3, days=15, interval=interval, seed=11, **kwargs)
    o, h, low, c = (df[name].to_numpy() for name in PRICE_COLUMNS)
    assert (h >= np.maximum(o, c)).all()
    assert (low <= np.minimum(o, c)).all()
    assert (low > 0).all()
    assert np.isfinite(np.stack([o, h, low, c])).all()


def test_bars_have_a_range(bars_5m: pl.DataFrame) -> None:
    # A generator that set high/low to max/min(open, close) would never exceed them.
    o, h, low, c = (bars_5m[name].to_numpy() for name in PRICE_COLUMNS)
    assert (h > np.maximum(o, c)).mean() > 0.3
    assert (low < np.minimum(o, c)).mean() > 0.3


@pytest.mark.parametrize("interval", ["1m", "5m", "1d"])
def test_prices_on_tick_grid(interval: str) -> None:
    df = generate_ohlcv(2, days=5, interval=interval, seed=2)
    for name in PRICE_COLUMNS:
        values = df[name].to_numpy()
        assert np.abs(values - np.round(values / 0.05) * 0.05).max() < 1e-9, name


def test_open_equals_previous_close_within_session(bars_5m: pl.DataFrame) -> None:
    for part in bars_5m.partition_by("symbol"):
        o = part["open"].to_numpy().reshape(12, 75)
        c = part["close"].to_numpy().reshape(12, 75)
        assert np.array_equal(o[:, 1:], c[:, :-1])
        # The first open of a day gaps away from the previous close on some days.
        assert not np.array_equal(o[1:, 0], c[:-1, -1])


def test_volume_positive_integers(bars_5m: pl.DataFrame) -> None:
    volume = bars_5m["volume"].to_numpy()
    assert (volume >= 1).all()
    assert np.array_equal(volume, np.round(volume))


def test_start_price_scalar_and_sequence() -> None:
    df = generate_ohlcv(["B", "A"], days=2, start_price=[250.0, 1234.56])
    first = df.group_by("symbol", maintain_order=True).first()
    assert first["symbol"].to_list() == ["A", "B"]
    assert first["open"].to_list() == [1234.55, 250.0]
    df = generate_ohlcv(3, days=2, interval="1d", start_price=100)
    assert df.group_by("symbol").first()["open"].to_list() == [100.0] * 3


def test_default_start_prices_in_range() -> None:
    df = generate_ohlcv(40, days=1, interval="1d", seed=4)
    opens = df.group_by("symbol").first()["open"].to_numpy()
    assert opens.min() >= 50 - 0.05
    assert opens.max() <= 5000 + 0.05
    assert len(np.unique(opens)) > 30


def test_zero_volatility_and_drift_gives_flat_prices() -> None:
    df = generate_ohlcv(
        2, days=5, start_price=[100.0, 2500.0], annual_volatility=0.0, annual_drift=0.0
    )
    for part, price in zip(df.partition_by("symbol"), [100.0, 2500.0], strict=True):
        for name in PRICE_COLUMNS:
            assert (part[name] == price).all()


def test_drift_scaling_without_volatility() -> None:
    # 253 sessions compound about 253/252 years of drift; a per-bar scaling bug would not.
    df = generate_ohlcv(
        1, days=253, interval="1d", start_price=1000.0, annual_volatility=0.0, annual_drift=0.10
    )
    growth = math.log(df["close"][-1] / df["open"][0])
    assert growth == pytest.approx(0.10 * 253 / 252, abs=2e-3)


def test_realised_daily_volatility_matches_request() -> None:
    # 500 daily bars: +-30 % rejects a 2x, 1/2x or sqrt(75)x scaling error.
    df = generate_ohlcv(1, days=500, interval="1d", seed=0, annual_volatility=0.25)
    assert 0.25 * 0.7 < _annualised_vol(df["close"]) < 0.25 * 1.3


def test_realised_volatility_from_intraday_bars_matches_request() -> None:
    # Daily closes taken from 5m bars must carry the daily variance, not 75x or 1/75x of it.
    df = generate_ohlcv(1, days=250, interval="5m", seed=0, annual_volatility=0.4)
    daily_close = df["close"].to_numpy().reshape(250, 75)[:, -1]
    assert 0.4 * 0.7 < _annualised_vol(daily_close) < 0.4 * 1.3
    bar_vol = np.std(_log_returns(df["close"]), ddof=1) * math.sqrt(252 * 75)
    assert 0.4 * 0.6 < bar_vol < 0.4 * 1.2


def test_intraday_u_shape() -> None:
    df = generate_ohlcv(1, days=200, interval="5m", seed=1)
    volume = df["volume"].to_numpy().reshape(200, 75).mean(axis=0)
    moves = np.abs(np.log(df["close"] / df["open"]).to_numpy()).reshape(200, 75).mean(axis=0)
    for profile in (volume, moves):
        assert profile[0] > 1.2 * profile[37]
        assert profile[-1] > 1.2 * profile[37]


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"symbols": 0}, "symbols"),
        ({"symbols": -2}, "symbols"),
        ({"symbols": []}, "symbols"),
        ({"symbols": "RELIANCE"}, "symbols"),
        ({"symbols": ["TCS", "TCS"]}, "symbols"),
        ({"symbols": ["TCS", ""]}, "symbols"),
        ({"symbols": [1, 2]}, "symbols"),
        ({"symbols": 2.5}, "symbols"),
        ({"days": 0}, "days"),
        ({"days": -5}, "days"),
        ({"days": 2.5}, "days"),
        ({"days": True}, "days"),
        ({"interval": "5x"}, "interval"),
        ({"interval": "0m"}, "interval"),
        ({"interval": "2d"}, "interval"),
        ({"interval": "400m"}, "interval"),
        ({"interval": ""}, "interval"),
        ({"interval": 5}, "interval"),
        ({"start": "2024-13-01"}, "start"),
        ({"start": 20240101}, "start"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"start_price": 0}, "start_price"),
        ({"start_price": -100.0}, "start_price"),
        ({"start_price": float("nan")}, "start_price"),
        ({"start_price": [100.0, 200.0]}, "start_price"),
        ({"start_price": [100.0, 0.0, 300.0]}, "start_price"),
        ({"start_price": "100"}, "start_price"),
        ({"annual_volatility": -0.1}, "annual_volatility"),
        ({"annual_volatility": float("nan")}, "annual_volatility"),
        ({"annual_volatility": "0.2"}, "annual_volatility"),
        ({"annual_drift": float("inf")}, "annual_drift"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": None}, "time_zone"),
    ],
)
def test_bad_arguments_raise(kwargs: dict, parameter: str) -> None:
    kwargs = {"symbols": 3, "days": 2, **kwargs}
    symbols = kwargs.pop("symbols")
    with pytest.raises(ValueError, match=re.escape(f"`{parameter}`")):
        generate_ohlcv(symbols, **kwargs)
