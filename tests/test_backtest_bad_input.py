"""Bad input to nse_polars.backtest / sweep: a clear error naming the parameter, the column or
the row, or a defined (documented) result; never a crash, a NaN metric or a silent wrong number.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import polars as pl
import pytest
from backtest_compare import (
    assert_matches_reference,
    bars_frame,
    engine_run,
    random_bars,
    random_signals,
    reference_run,
)

import nse_polars as nse


@pytest.fixture
def frame() -> pl.DataFrame:
    open_, close = random_bars(60, 3)
    signals = random_signals(60, 3)
    return bars_frame(open_, close, entries=signals["entries"], exits=signals["exits"])


def intraday(frame: pl.DataFrame) -> pl.DataFrame:
    start = dt.datetime(2024, 1, 1, 9, 15)
    ts = [start + dt.timedelta(minutes=5 * i) for i in range(frame.height)]
    return frame.with_columns(ts=pl.Series(ts))


def assert_defined_metrics(metrics: pl.DataFrame) -> None:
    for name, value in metrics.row(0, named=True).items():
        if isinstance(value, float):
            assert math.isfinite(value), f"{name} = {value!r}: NaN/inf must be null"


# --- signals not aligned with the bars --------------------------------------------------------


@pytest.mark.parametrize("length", [59, 61, 120])
def test_signal_series_of_the_wrong_length_raises(frame: pl.DataFrame, length: int) -> None:
    entries = pl.Series([True] * length)
    with pytest.raises((pl.exceptions.ShapeError, ValueError)):
        nse.backtest(frame, entries, "exits", bars_per_year=252)


def test_signal_series_of_the_wrong_length_error_names_it(frame: pl.DataFrame) -> None:
    with pytest.raises(Exception, match=r"entries.*59|59.*entries"):
        nse.backtest(frame, pl.Series([True] * 59), "exits", bars_per_year=252)


def test_signal_series_of_length_one_raises(frame: pl.DataFrame) -> None:
    with pytest.raises((pl.exceptions.ShapeError, ValueError)):
        nse.backtest(frame, pl.Series([True]), "exits", bars_per_year=252)


def test_signal_as_numpy_array_is_a_type_error(frame: pl.DataFrame) -> None:
    with pytest.raises(TypeError, match="signals must be"):
        nse.backtest(frame, np.ones(60, bool), "exits")


def test_signal_column_missing_names_it(frame: pl.DataFrame) -> None:
    with pytest.raises(pl.exceptions.ColumnNotFoundError, match="no_such_column"):
        nse.backtest(frame, "no_such_column", "exits")


def test_signal_of_a_non_boolean_type(frame: pl.DataFrame) -> None:
    with pytest.raises(TypeError, match="signals could not be evaluated"):
        nse.backtest(frame.with_columns(entries=pl.lit("yes")), "entries", "exits")


def test_series_signal_of_the_right_length_equals_the_column(frame: pl.DataFrame) -> None:
    by_name = nse.backtest(frame, "entries", "exits", bars_per_year=252)
    by_series = nse.backtest(frame, frame["entries"], frame["exits"], bars_per_year=252)
    assert by_series.metrics.equals(by_name.metrics)


def test_unsorted_or_duplicate_times_name_the_row(frame: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"`ts` must increase.*row 1\b"):
        nse.backtest(frame.reverse(), "entries", "exits")
    dup = pl.concat([frame.head(5), frame.slice(4)])
    with pytest.raises(ValueError, match=r"`ts` must increase.*row 5\b"):
        nse.backtest(dup, "entries", "exits")


# --- prices -------------------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["open", "close"])
@pytest.mark.parametrize("value", [0.0, -3.5, math.inf, -math.inf])
def test_zero_negative_or_infinite_price_names_the_row(
    frame: pl.DataFrame, column: str, value: float
) -> None:
    bad = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 17).then(value).otherwise(pl.col(column)).alias(column)
    )
    with pytest.raises(ValueError, match=r"row 17: prices must be > 0"):
        nse.backtest(bad, "entries", "exits", bars_per_year=252)


def test_bad_price_names_symbol_and_frame_row_with_by() -> None:
    """Interleaved symbols: the row in the message is the row of the frame as given."""
    frames = []
    for i, s in enumerate(["B", "A"]):
        o, c = random_bars(30, i)
        frames.append(bars_frame(o, c, **random_signals(30, i)).with_columns(symbol=pl.lit(s)))
    df = pl.concat(frames).sort("ts", maintain_order=True)  # rows alternate B, A, B, A...
    bad_row = 41  # the 21st row of A (odd rows are A)
    assert df["symbol"][bad_row] == "A"
    df = df.with_columns(
        close=pl.when(pl.int_range(pl.len()) == bad_row).then(-1.0).otherwise("close")
    )
    with pytest.raises(ValueError, match=rf"symbol 'A', row {bad_row}: prices must be > 0"):
        nse.backtest(df, "entries", "exits", by="symbol", bars_per_year=252)


def test_nan_prices_behave_like_nulls(frame: pl.DataFrame) -> None:
    """A NaN price (not null) is a bar that cannot fill / mark, as a null is."""
    rows = pl.int_range(pl.len())
    with_nulls = frame.with_columns(
        open=pl.when(rows % 5 == 2).then(None).otherwise("open"),
        close=pl.when(rows % 7 == 3).then(None).otherwise("close"),
    )
    with_nans = frame.with_columns(
        open=pl.when(rows % 5 == 2).then(float("nan")).otherwise("open"),
        close=pl.when(rows % 7 == 3).then(float("nan")).otherwise("close"),
    )
    a = nse.backtest(with_nulls, "entries", "exits", bars_per_year=252)
    b = nse.backtest(with_nans, "entries", "exits", bars_per_year=252)
    assert a.metrics.equals(b.metrics)
    assert a.equity.equals(b.equity)
    assert a.trades.equals(b.trades)


def test_all_opens_null_means_no_fill(frame: pl.DataFrame) -> None:
    res = nse.backtest(
        frame.with_columns(open=pl.lit(None, pl.Float64)), "entries", "exits", bars_per_year=252
    )
    assert res.trades.height == 0
    assert res.equity["equity"].to_list() == [100_000.0] * frame.height
    assert_defined_metrics(res.metrics)


def test_integer_prices_are_accepted(frame: pl.DataFrame) -> None:
    ints = frame.with_columns(pl.col("open", "close").round(0).cast(pl.Int64))
    res = nse.backtest(ints, "entries", "exits", bars_per_year=252)
    expected = reference_run(
        ints["open"].to_numpy().astype(float),
        ints["close"].to_numpy().astype(float),
        {"entries": ints["entries"].to_numpy(), "exits": ints["exits"].to_numpy()},
    )
    assert_matches_reference(res, expected)


def test_string_prices_are_a_type_error(frame: pl.DataFrame) -> None:
    with pytest.raises(TypeError, match="`close`: column 'close' has dtype String"):
        nse.backtest(frame.with_columns(pl.col("close").cast(pl.String)), "entries", "exits")


# --- costs that wipe out the account ----------------------------------------------------------


def test_fixed_fee_larger_than_equity_means_no_order(frame: pl.DataFrame) -> None:
    """A buy whose budget cannot even pay the fixed fee is not placed: the account stays put."""
    res = engine_run(frame, initial_capital=100.0, fixed_fee=150.0)
    assert res.trades.height == 0
    assert res.equity["equity"].to_list() == [100.0] * frame.height
    assert_defined_metrics(res.metrics)


def test_costs_near_100_percent_leave_a_defined_result(frame: pl.DataFrame) -> None:
    signals = {k: frame[k].to_numpy() for k in ("entries", "exits")}
    res = engine_run(frame.select("ts", "open", "close", "entries", "exits"), costs=9999.0)
    expected = reference_run(
        frame["open"].to_numpy(), frame["close"].to_numpy(), signals, costs=9999.0
    )
    assert_matches_reference(res, expected)
    assert_defined_metrics(res.metrics)
    assert res.equity["equity"].min() >= 0.0


def test_short_squeeze_leaves_no_negative_equity_and_no_nan() -> None:
    o = np.array([100.0, 100.0, 100.0, 400.0, 400.0, 50.0])
    frame = bars_frame(o, o * 1.01, short_entries=[True] + [False] * 5, short_exits=[False] * 6)
    res = nse.backtest(
        frame,
        entries=pl.lit(False),
        short_entries="short_entries",
        short_exits="short_exits",
        allow_short=True,
        bars_per_year=252,
    )
    eq = res.equity["equity"].to_numpy()
    assert (eq >= 0).all()
    assert eq[-1] == 0.0 and eq[3] == 0.0
    assert res.equity["position"].to_list()[3:] == [0.0, 0.0, 0.0]
    assert_defined_metrics(res.metrics)
    assert res.metrics["final_equity"][0] == 0.0


# --- too few bars -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 20, 49])
def test_fewer_bars_than_the_warm_up(frame: pl.DataFrame, n: int) -> None:
    """sma_cross(10, 50) never signals within 50 bars: zero trades, metrics defined (null where
    undefined), equal to the sweep of the same strategy."""
    o, c = random_bars(max(n, 1), 9)
    short = bars_frame(o[:n], c[:n])
    res = nse.backtest(short, nse.strategies.sma_cross(10, 50), bars_per_year=252)
    assert res.trades.height == 0
    assert res.metrics["n_trades"][0] == 0
    assert res.metrics["bars"][0] == n
    assert res.metrics["final_equity"][0] == 100_000.0
    assert res.metrics["total_return"][0] == 0.0
    assert_defined_metrics(res.metrics)
    sw = nse.sweep(short, "sma_cross", {"fast": [10], "slow": [50]}, bars_per_year=252)
    assert sw.metrics.drop("fast", "slow").equals(res.metrics)


def test_symbol_shorter_than_the_warm_up_with_by() -> None:
    frames = []
    for i, (s, n) in enumerate({"LONG": 400, "SHORT": 30}.items()):
        o, c = random_bars(n, i)
        frames.append(bars_frame(o, c).with_columns(symbol=pl.lit(s)))
    df = pl.concat(frames)
    res = nse.backtest(df, nse.strategies.sma_cross(5, 40), by="symbol", bars_per_year=252)
    short = res.metrics.filter(pl.col("symbol") == "SHORT")
    assert short["n_trades"][0] == 0 and short["final_equity"][0] == 100_000.0
    assert res.metrics.filter(pl.col("symbol") == "LONG")["n_trades"][0] > 0
    assert_defined_metrics(short)


# --- parameters -------------------------------------------------------------------------------

BAD_PARAMETERS = [
    ("costs", "nse_futures", ValueError),
    ("costs", -5, ValueError),
    ("costs", 10_000, ValueError),
    ("costs", math.nan, ValueError),
    ("costs", True, TypeError),
    ("costs", [5], TypeError),
    ("fixed_fee", -1.0, ValueError),
    ("fixed_fee", math.inf, ValueError),
    ("slippage_bps", -2.0, ValueError),
    ("slippage_bps", 10_000.0, ValueError),
    ("size", 0.0, ValueError),
    ("size", -1.0, ValueError),
    ("size", 1.5, ValueError),  # percent sizing: a fraction in (0, 1]
    ("size", math.nan, ValueError),
    ("size", "1", TypeError),
    ("size_type", "lots", ValueError),
    ("fill", "next_bar", ValueError),
    ("lot_size", 0, ValueError),
    ("lot_size", -10, ValueError),
    ("lot_size", math.nan, ValueError),
    ("lot_size", math.inf, ValueError),
    ("lot_size", True, ValueError),
    ("initial_capital", 0.0, ValueError),
    ("initial_capital", -1e5, ValueError),
    ("initial_capital", math.nan, ValueError),
    ("initial_capital", True, TypeError),
    ("bars_per_year", 0, ValueError),
    ("bars_per_year", -252, ValueError),
    ("bars_per_year", math.nan, ValueError),
    ("bars_per_year", math.inf, ValueError),
    ("risk_free", math.nan, ValueError),
    ("mar", math.inf, ValueError),
]


@pytest.mark.parametrize(("name", "value", "error"), BAD_PARAMETERS)
def test_bad_parameter_raises_naming_it(
    frame: pl.DataFrame, name: str, value: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match=rf"`{name}`"):
        nse.backtest(frame, "entries", "exits", **{name: value})


@pytest.mark.parametrize(("name", "value", "error"), BAD_PARAMETERS)
def test_bad_parameter_raises_naming_it_in_sweep(
    frame: pl.DataFrame, name: str, value: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match=rf"`{name}`"):
        nse.sweep(frame, "sma_cross", {"fast": [3], "slow": [8]}, **{name: value})


@pytest.mark.parametrize("name", ["risk_free", "mar"])
def test_non_numeric_rate_names_the_parameter(frame: pl.DataFrame, name: str) -> None:
    with pytest.raises((TypeError, ValueError), match=rf"`{name}`"):
        nse.backtest(frame, "entries", "exits", **{name: "0.05"})


@pytest.mark.parametrize("value", [0.0, -5.0, math.nan])
def test_bad_session_minutes_names_it(frame: pl.DataFrame, value: float) -> None:
    with pytest.raises(ValueError, match="`session_minutes`"):
        nse.backtest(intraday(frame), "entries", "exits", session_minutes=value)


def test_missing_columns_are_named(frame: pl.DataFrame) -> None:
    for role, kw in (("close", {"close": "px"}), ("open", {"open": "o"}), ("by", {"by": "sym"})):
        with pytest.raises(ValueError, match=rf"`{role}`: no column"):
            nse.backtest(frame, "entries", "exits", **kw)


@pytest.mark.parametrize("value", [1.5, -0.5, math.inf])
def test_target_outside_the_range_names_the_row(frame: pl.DataFrame, value: float) -> None:
    t = pl.when(pl.int_range(pl.len()) == 12).then(value).otherwise(0.5)
    with pytest.raises(ValueError, match=r"row 12: target .* outside \[0, 1\]"):
        nse.backtest(frame, target=t, bars_per_year=252)


def test_target_outside_minus_one_one_with_shorting(frame: pl.DataFrame) -> None:
    t = pl.when(pl.int_range(pl.len()) == 7).then(-1.25).otherwise(-0.5)
    with pytest.raises(ValueError, match=r"row 7: target .* outside \[-1, 1\]"):
        nse.backtest(frame, target=t, allow_short=True, bars_per_year=252)
    ok = nse.backtest(frame, target=pl.lit(-1.0), allow_short=True, bars_per_year=252)
    assert ok.trades["direction"].to_list() == [-1]


def test_null_or_nan_targets_keep_the_last_target(frame: pl.DataFrame) -> None:
    res = nse.backtest(frame, target=pl.lit(None, pl.Float64), bars_per_year=252)
    assert res.trades.height == 0
    res = nse.backtest(frame, target=pl.lit(float("nan")), bars_per_year=252)
    assert res.trades.height == 0
    assert_defined_metrics(res.metrics)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": pl.lit(0.5), "entries": "entries"}, "either `target` or entries/exits"),
        ({"target": pl.lit(0.5), "size_type": "cash"}, "`target` weights need"),
        ({"entries": "entries", "short_entries": "exits"}, "`short_entries` needs allow_short"),
        ({"entries": "entries", "short_exits": "exits"}, "`short_exits` needs allow_short"),
        ({}, "no signals"),
        ({"entries": nse.strategies.sma_cross(3, 9), "exits": "exits"}, "`exits` must be None"),
    ],
)
def test_conflicting_signal_arguments(frame: pl.DataFrame, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        nse.backtest(frame, **kwargs)


def test_sweep_bad_strategy_and_grid(frame: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="`strategy`: unknown"):
        nse.sweep(frame, "turtle", {})
    with pytest.raises(ValueError, match="missing \\['slow'\\]"):
        nse.sweep(frame, "sma_cross", {"fast": [3]})
    with pytest.raises(ValueError, match="parameter set 0: `rsi`"):
        nse.sweep(frame, "rsi", {"period": [14], "lower": [80.0], "upper": [70.0]})
    with pytest.raises(TypeError, match="`grid` must be"):
        nse.sweep(frame, "sma_cross", [(3, 8)])


def test_sweep_skips_invalid_sets(frame: pl.DataFrame) -> None:
    sw = nse.sweep(frame, "sma_cross", {"fast": [3, 10], "slow": [8]}, bars_per_year=252)
    assert sw.skipped == 1
    assert sw.metrics["fast"].to_list() == [3]


def test_sweep_with_every_set_invalid(frame: pl.DataFrame) -> None:
    sw = nse.sweep(frame, "sma_cross", {"fast": [30], "slow": [20]}, bars_per_year=252)
    assert sw.metrics.height == 0 and sw.skipped == 1


# --- frames -------------------------------------------------------------------------------------


def test_frame_without_time_column(frame: pl.DataFrame) -> None:
    res = nse.backtest(frame.drop("ts"), "entries", "exits")
    assert res.bars_per_year == 252.0
    assert res.equity.height == frame.height


def test_frame_without_time_column_with_by(frame: pl.DataFrame) -> None:
    df = frame.drop("ts").with_columns(symbol=pl.lit("X"))
    res = nse.backtest(df, "entries", "exits", by="symbol")
    assert res.bars_per_year == 252.0
    expected = nse.backtest(frame, "entries", "exits", bars_per_year=252)
    assert res.metrics.drop("symbol").equals(expected.metrics)


def test_null_symbol(frame: pl.DataFrame) -> None:
    df = frame.with_columns(
        symbol=pl.when(pl.int_range(pl.len()) < 30).then(pl.lit("A")).otherwise(None)
    )
    try:
        res = nse.backtest(df, "entries", "exits", by="symbol", bars_per_year=252)
    except ValueError as exc:
        assert "`by`" in str(exc)
    else:
        assert res.metrics.height == 2


def test_empty_frame_gives_defined_metrics(frame: pl.DataFrame) -> None:
    res = nse.backtest(frame.head(0), "entries", "exits", bars_per_year=252)
    assert res.metrics["bars"][0] == 0
    assert res.metrics["final_equity"][0] == 100_000.0
    assert res.trades.height == 0 and res.equity.height == 0
    assert_defined_metrics(res.metrics)


def test_empty_frame_by_symbol_gives_no_rows() -> None:
    """Grouped and empty: no symbols, so no metric rows (an index error before)."""
    empty = nse.generate_ohlcv(2, days=2, seed=1).clear()
    grid = {"fast": [5, 6], "slow": [20]}
    res = nse.backtest(empty, nse.strategies.sma_cross(5, 20), by="symbol")
    assert res.metrics.height == 0 and res.metrics.columns[0] == "symbol"
    assert res.trades.height == 0 and res.equity.height == 0
    for guards in (True, False):
        sw = nse.sweep(empty, "sma_cross", grid, by="symbol", overfitting=guards)
        assert sw.metrics.height == 0 and sw.metrics.columns[:3] == ["symbol", "fast", "slow"]
        assert sw.overfitting is None if not guards else sw.overfitting.height == 0
    with pytest.raises(ValueError, match="the frame has 0 bars"):
        nse.walk_forward(empty, "sma_cross", grid, train=100, test=10, by="symbol")


def test_lazy_frame_input(frame: pl.DataFrame) -> None:
    a = nse.backtest(frame.lazy(), "entries", "exits", bars_per_year=252)
    b = nse.backtest(frame, "entries", "exits", bars_per_year=252)
    assert a.metrics.equals(b.metrics)
