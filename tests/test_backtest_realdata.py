"""nse_polars.backtest on real NSE bars (../shared/data) against the reference engine.

Skipped when the data folder is absent. The 5-minute files repeat whole days and run backwards
in places (see their PROVENANCE.txt): the loader here keeps the first copy of each bar and sorts
by time, as an ingestion step would.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from backtest_compare import assert_matches_reference, assert_reconciles, reference_run
from conftest import NSE_FO_5MIN, SHARED_DATA

import nse_polars as nse

pytestmark = pytest.mark.realdata

DAILY = SHARED_DATA / "nifty50-daily"
FIVE_MIN_SYMBOLS = ("RELIANCE", "SBIN", "INFY", "IDEA")


def load_daily(limit: int | None = None) -> pl.DataFrame:
    files = sorted(DAILY.glob("*.csv")) if DAILY.is_dir() else []
    if not files:
        pytest.skip(f"real data not found under {DAILY}")
    frames = []
    for path in files[:limit]:
        symbol = path.name.split("_")[0]
        frames.append(
            pl.read_csv(path)
            .select(
                symbol=pl.lit(symbol),
                ts=pl.col("timestamp").str.to_datetime("%Y-%m-%d %H:%M:%S%z"),
                open=pl.col("open").cast(pl.Float64),
                close=pl.col("close").cast(pl.Float64),
            )
            .unique("ts", keep="first", maintain_order=True)
            .sort("ts")
        )
    return pl.concat(frames)


def load_5min(symbols: tuple[str, ...] = FIVE_MIN_SYMBOLS) -> pl.DataFrame:
    frames = []
    for symbol in symbols:
        path = NSE_FO_5MIN / f"{symbol}.csv.gz"
        if not path.is_file():
            pytest.skip(f"real data not found: {path}")
        frames.append(
            pl.read_csv(path)
            .select(
                symbol=pl.lit(symbol),
                ts=pl.col("date").str.to_datetime("%Y-%m-%d %H:%M:%S%z"),
                open=pl.col("open").cast(pl.Float64),
                close=pl.col("close").cast(pl.Float64),
            )
            .unique("ts", keep="first", maintain_order=True)
            .sort("ts")
        )
    return pl.concat(frames)


def compare_per_symbol(
    df: pl.DataFrame, result: nse.BacktestResult, signal_names: list[str], **options
) -> int:
    """Each symbol against the reference on its own rows; returns the closed trades seen."""
    frame = df.with_row_index("frame_row")
    n_trades = 0
    for symbol in frame["symbol"].unique(maintain_order=True):
        rows = frame.filter(pl.col("symbol") == symbol)
        signals = {k: rows[k].to_numpy() for k in signal_names}
        expected = reference_run(
            rows["open"].to_numpy(), rows["close"].to_numpy(), signals, **options
        )
        assert_matches_reference(result, expected, symbol=symbol, rows=rows["frame_row"].to_numpy())
        n_trades += expected.metrics["n_trades"]
    return n_trades


def test_nifty50_daily_sma_cross_delivery() -> None:
    df = load_daily()
    strategy = nse.strategies.sma_cross(20, 50)
    result = nse.backtest(df, strategy, by="symbol", costs="nse_delivery")
    assert result.bars_per_year == 252.0  # inferred from the daily time column
    assert result.metrics.height == df["symbol"].n_unique()
    e, x = strategy.signals()
    with_signals = df.with_columns(entries=e.over("symbol"), exits=x.over("symbol"))
    n = compare_per_symbol(
        with_signals, result, ["entries", "exits"], costs="nse_delivery", bars_per_year=252.0
    )
    assert n > 500
    assert_reconciles(result, 100_000.0)


def test_nifty50_daily_rsi_long_short_intraday_costs_with_lots() -> None:
    df = load_daily(limit=12)
    rsi = nse.rsi("close", 14).over("symbol")
    with_signals = df.with_columns(
        entries=(rsi < 35).fill_null(False),
        exits=(rsi > 55).fill_null(False),
        short_entries=(rsi > 70).fill_null(False),
        short_exits=(rsi < 50).fill_null(False),
    )
    options = {"costs": "nse_intraday", "allow_short": True, "lot_size": 5, "slippage_bps": 2.0}
    names = ["entries", "exits", "short_entries", "short_exits"]
    result = nse.backtest(
        with_signals,
        *names[:2],
        short_entries=names[2],
        short_exits=names[3],
        by="symbol",
        **options,
    )
    n = compare_per_symbol(with_signals, result, names, bars_per_year=252.0, **options)
    assert n > 100
    assert (result.trades["direction"] == -1).sum() > 20
    assert_reconciles(result, 100_000.0)


def test_nifty50_daily_targets() -> None:
    df = load_daily(limit=8)
    rsi = nse.rsi("close", 10).over("symbol")
    target = (
        pl.when(rsi < 30)
        .then(1.0)
        .when(rsi < 45)
        .then(0.5)
        .when(rsi > 70)
        .then(0.0)
        .otherwise(None)
    )
    with_signals = df.with_columns(target=target)
    result = nse.backtest(with_signals, target="target", by="symbol", costs="nse_delivery")
    n = compare_per_symbol(
        with_signals, result, ["target"], costs="nse_delivery", bars_per_year=252.0
    )
    assert n > 20


def test_nse_fo_5min_ema_cross_intraday() -> None:
    df = load_5min()
    # rows interleaved across symbols by time, as a multi-symbol feed would come
    df = df.sort("ts", maintain_order=True)
    strategy = nse.strategies.ema_cross(9, 21)
    result = nse.backtest(df, strategy, by="symbol", costs="nse_intraday")
    assert result.bars_per_year == 18_900.0  # 252 x 75 five-minute bars
    e, x = strategy.signals()
    with_signals = df.with_columns(entries=e.over("symbol"), exits=x.over("symbol"))
    n = compare_per_symbol(
        with_signals, result, ["entries", "exits"], costs="nse_intraday", bars_per_year=18_900.0
    )
    assert n > 1000
    assert_reconciles(result, 100_000.0)


def test_nse_fo_5min_next_close_cash_sizing() -> None:
    df = load_5min(("TCS", "HDFCBANK"))
    strategy = nse.strategies.bbands(20, 2.0)
    options = {
        "fill": "next_close",
        "size_type": "cash",
        "size": 50_000.0,
        "costs": 3.0,
        "fixed_fee": 20.0,
    }
    result = nse.backtest(df, strategy, by="symbol", **options)
    e, x = strategy.signals()
    with_signals = df.with_columns(entries=e.over("symbol"), exits=x.over("symbol"))
    n = compare_per_symbol(
        with_signals, result, ["entries", "exits"], bars_per_year=18_900.0, **options
    )
    assert n > 200


def test_nse_fo_5min_sweep_equals_backtests() -> None:
    df = load_5min(("SBIN", "IDEA"))
    grid = {"fast": [5, 12], "slow": [26, 40], "signal": [9]}
    sw = nse.sweep(df, "macd_cross", grid, by="symbol", costs="nse_intraday")
    assert sw.bars_per_year == 18_900.0
    for params in sw.metrics.select("fast", "slow", "signal").unique().iter_rows(named=True):
        single = nse.backtest(
            df, nse.strategies.macd_cross(**params), by="symbol", costs="nse_intraday"
        )
        rows = sw.metrics.filter(pl.all_horizontal(pl.col(k) == v for k, v in params.items())).drop(
            "fast", "slow", "signal"
        )
        expected = single.metrics
        for name in expected.columns[1:]:
            a = rows.sort("symbol")[name].to_numpy().astype(float)
            b = expected.sort("symbol")[name].to_numpy().astype(float)
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, err_msg=f"{params} {name}")
