"""nse_polars.sql: the DuckDB list functions and sql.run against the Polars door.

Oracles: the Polars expressions (``_plugin.call(name, ...).over("symbol")``, the same kernels
through the plugin ABI, group by group), :func:`nse_polars.backtest` for the metrics, and
hand-worked values for the null/empty/short-list rules.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pytest

import nse_polars as nse
from nse_polars import _core, _plugin, sql

REPO = Path(__file__).resolve().parents[1]
DESCRIBE = {d["name"]: d for d in _core.describe()}
# Which column of the test frame feeds each input name of the native table.
INPUT_COLUMNS = {
    "close": "close",
    "open": "open",
    "high": "high",
    "low": "low",
    "volume": "volume",
    "x": "close",
    "benchmark": "open",
    "session": "day",
}
# (symbol, bars): one long enough for every lookback, one shorter than most, one of length 1.
SYMBOLS = (("AAA", 120), ("BBB", 9), ("CCC", 1), ("DDD", 80))


def _bars() -> pl.DataFrame:
    rng = np.random.default_rng(8)
    frames = []
    for k, (symbol, n) in enumerate(SYMBOLS):
        close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n))) + k
        spread = rng.uniform(0.1, 1.0, n)
        open_ = close * (1 + rng.normal(0, 0.002, n))
        frames.append(
            pl.DataFrame(
                {
                    "symbol": symbol,
                    "ts": pl.datetime_range(
                        pl.datetime(2024, 1, 1, 9, 15),
                        pl.datetime(2024, 1, 1, 9, 15) + pl.duration(minutes=5 * (n - 1)),
                        "5m",
                        eager=True,
                    ),
                    "open": open_,
                    "high": np.maximum(close, open_) + spread,
                    "low": np.minimum(close, open_) - spread,
                    "close": close,
                    "volume": rng.integers(0, 5000, n).astype(np.float64),
                    "day": (np.arange(n) // 25).astype(np.int64),
                }
            )
        )
    df = pl.concat(frames)
    # Missing values inside the long series: a null close, a NaN high, a null volume.
    return df.with_columns(
        pl.when((pl.col("symbol") == "AAA") & (pl.int_range(pl.len()) == 40))
        .then(None)
        .otherwise(pl.col("close"))
        .alias("close"),
        pl.when((pl.col("symbol") == "DDD") & (pl.int_range(pl.len()) == 150))
        .then(float("nan"))
        .otherwise(pl.col("high"))
        .alias("high"),
        pl.when(pl.int_range(pl.len()) == 30)
        .then(None)
        .otherwise(pl.col("volume"))
        .alias("volume"),
    )


@pytest.fixture(scope="module")
def bars() -> pl.DataFrame:
    return _bars()


@pytest.fixture(scope="module")
def con(bars: pl.DataFrame) -> duckdb.DuckDBPyConnection:
    c = sql.connect()
    # Registered in a shuffled order: the lists are ordered by `ts` in SQL, not by row order.
    c.register("bars", bars.sample(fraction=1.0, shuffle=True, seed=3))
    return c


def _sql_lists(con: duckdb.DuckDBPyConnection, name: str, params: str = "") -> pl.DataFrame:
    d = DESCRIBE[name]
    args = ", ".join(f"list({INPUT_COLUMNS[i]} ORDER BY ts)" for i in d["inputs"])
    q = f"SELECT symbol, nse_{name}({args}{params}) AS out FROM bars GROUP BY symbol"
    return con.sql(q).pl().sort("symbol")


def _polars_values(bars: pl.DataFrame, name: str, **params) -> pl.DataFrame:
    d = DESCRIBE[name]
    expr = _plugin.call(name, [pl.col(INPUT_COLUMNS[i]) for i in d["inputs"]], **params)
    return bars.select("symbol", expr.over("symbol").alias("out"))


def _assert_same(sql_out: pl.DataFrame, polars_out: pl.DataFrame, name: str) -> None:
    outputs = DESCRIBE[name]["outputs"]
    assert sql_out.height == len(SYMBOLS)  # one row per symbol
    for symbol, n in SYMBOLS:
        got = sql_out.filter(pl.col("symbol") == symbol)["out"][0]
        want = polars_out.filter(pl.col("symbol") == symbol)["out"]
        if len(outputs) == 1:
            pairs = [(pl.Series(got, dtype=pl.Float64), want)]
        else:
            pairs = [(pl.Series(got[o], dtype=pl.Float64), want.struct.field(o)) for o in outputs]
        for g, w in pairs:
            assert g.len() == n, (name, symbol)
            # Same kernel on the same segment: identical values and null rows.
            assert g.is_null().to_list() == w.is_null().to_list(), (name, symbol)
            np.testing.assert_array_equal(
                g.drop_nulls().to_numpy(), w.drop_nulls().to_numpy(), err_msg=f"{name} {symbol}"
            )


@pytest.mark.parametrize("name", sorted(DESCRIBE))
def test_every_indicator_matches_the_polars_expression(con, bars, name):
    _assert_same(_sql_lists(con, name), _polars_values(bars, name), name)


@pytest.mark.parametrize(
    ("name", "sql_params", "params"),
    [
        ("sma", ", period := 5", {"period": 5}),
        ("ema", ", 7, seed => 'first'", {"period": 7, "seed": "first"}),
        ("macd", ", fast => 5, slow := 13, signal := 4", {"fast": 5, "slow": 13, "signal": 4}),
        ("bbands", ", num_std := 1.5, period := 10", {"period": 10, "num_std": 1.5}),
        ("stoch", ", slowk_ma_type := 'ema'", {"slowk_ma_type": "ema"}),
        ("atr", ", 3", {"period": 3}),
    ],
)
def test_named_and_positional_parameters(con, bars, name, sql_params, params):
    _assert_same(_sql_lists(con, name, sql_params), _polars_values(bars, name, **params), name)


def test_macro_file_is_generated_from_the_native_table():
    assert (REPO / "sql" / "indicators.sql").read_text() == sql.macro_sql()
    assert sql.macro_sql().count("CREATE OR REPLACE MACRO nse_") == len(DESCRIBE) + 1


def test_null_empty_and_short_lists():
    con = sql.connect()
    rows = con.sql(
        "SELECT x, nse_sma(x, period := 2) AS s, nse_rsi(x, 3) AS r FROM (VALUES "
        "(0, [1.0, NULL, 3.0, 5.0]::DOUBLE[]), (1, []), (2, [4.0]), (3, NULL), "
        "(4, [1.0, 'nan'::DOUBLE, 2.0, 4.0])) t(i, x) ORDER BY i"
    ).fetchall()
    # The window counts valid values: (1 + 3) / 2 after the NULL, then (3 + 5) / 2.
    assert rows[0][1] == [None, None, 2.0, 4.0]
    assert rows[1][1:] == ([], [])  # empty list -> empty list
    assert rows[2][1:] == ([None], [None])  # shorter than the lookback -> NULLs
    assert rows[3][1:] == (None, None)  # NULL list -> NULL
    assert rows[4][1] == [None, None, 1.5, 3.0]  # NaN is missing too
    # RSI(3) of [1, 3, 5] (the NULL skipped) needs 4 values: all NULL.
    assert rows[0][2] == [None, None, None, None]


def test_struct_outputs_and_nulls(bars):
    con = sql.connect()
    out = con.sql(
        "SELECT nse_bbands([1.0, 2.0, 3.0, 4.0], period := 2, num_std := 1.0) AS b, "
        "nse_macd(NULL::DOUBLE[]) AS m"
    ).fetchall()[0]
    assert out[0] == {
        "upper": [None, 2.0, 3.0, 4.0],
        "middle": [None, 1.5, 2.5, 3.5],
        "lower": [None, 1.0, 2.0, 3.0],
    }
    assert out[1] is None


def test_compute_lists_reads_slices_nulls_with_values_and_other_types():
    values = pa.array([1.0, 2.0, 3.0, 99.0, 99.0, 4.0, 5.0, 6.0])
    offsets = pa.array([0, 3, 5, 8], type=pa.int32())
    # The middle list is NULL but backed by two values (allowed by Arrow): they must be skipped.
    lists = pa.ListArray.from_arrays(offsets, values, mask=pa.array([False, True, False]))
    out = sql.compute_lists("sma", lists, period=2)
    assert out.to_pylist() == [[None, 1.5, 2.5], None, [None, 4.5, 5.5]]
    assert sql.compute_lists("sma", lists.slice(1), period=2).to_pylist() == [
        None,
        [None, 4.5, 5.5],
    ]
    ints = pa.array([[1, 2, 3]], type=pa.large_list(pa.int32()))
    assert sql.compute_lists("sma", ints, period=2).to_pylist() == [[None, 1.5, 2.5]]
    chunked = pa.chunked_array([pa.array([[1.0, 2.0]]), pa.array([[3.0, 4.0, 5.0]])])
    assert sql.compute_lists("mom", chunked, period=1).to_pylist() == [
        [None, 1.0],
        [None, 1.0, 1.0],
    ]
    # A multi-input row where one list is NULL and the other is not: the row is NULL.
    a = pa.array([[1.0, 2.0], [1.0, 2.0, 3.0]])
    b = pa.array([None, [3.0, 2.0, 1.0]], type=pa.list_(pa.float64()))
    out = sql.compute_lists("correl", a, b, period=2)
    assert out.to_pylist()[0] is None
    np.testing.assert_allclose(out.to_pylist()[1][1:], [-1.0, -1.0])


def test_many_batches_give_one_row_per_symbol():
    # More groups than DuckDB's 2,048-row UDF batch: several calls, from several threads.
    con = sql.connect()
    con.execute(
        "CREATE TABLE t AS SELECT i % 2500 AS symbol, i AS ts, "
        "100 + sin(i) * (i % 7) AS close FROM range(25000) r(i)"
    )
    out = con.sql(
        "SELECT symbol, nse_ema(list(close ORDER BY ts), 3) AS e FROM t GROUP BY symbol"
    ).pl()
    assert out.height == 2500
    df = con.sql("SELECT * FROM t ORDER BY symbol, ts").pl()
    want = df.select("symbol", nse.ema("close", 3).over("symbol").alias("e"))
    want = want.group_by("symbol", maintain_order=True).agg(pl.col("e"))
    got = out.sort("symbol")
    assert got["e"].to_list() == want.sort("symbol")["e"].to_list()


def test_parameters_may_differ_between_rows(con, bars):
    # A grid joined to the symbols: each row computed with its own parameters, in row order.
    out = con.sql(
        "SELECT symbol, p, nse_sma(list(close ORDER BY ts), period := p) AS s, "
        "nse_bbands(list(close ORDER BY ts), p, num_std := p / 2).upper AS u "
        "FROM bars, (VALUES (3), (5), (8)) g(p) GROUP BY symbol, p ORDER BY p DESC, symbol"
    ).pl()
    assert out.height == 3 * len(SYMBOLS)
    for row in out.iter_rows(named=True):
        one = bars.filter(pl.col("symbol") == row["symbol"])
        want = one.select(nse.sma("close", row["p"]))["close"].to_list()
        assert row["s"] == want
        band = one.select(nse.bbands("close", row["p"], row["p"] / 2).struct.field("upper"))
        assert row["u"] == band.to_series().to_list()
    metrics = con.sql(
        "SELECT c, nse_backtest(list(open ORDER BY ts), list(close ORDER BY ts), "
        "list(close > open ORDER BY ts), list(close < open ORDER BY ts), costs := c) AS m "
        "FROM bars, (VALUES ('none'), ('nse_delivery')) g(c) WHERE symbol = 'AAA' GROUP BY c "
        "ORDER BY c"
    ).fetchall()
    assert metrics[0][1]["total_costs"] == 0 < metrics[1][1]["total_costs"]


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("SELECT nse_sma([1.0, 2.0], period := 0)", r"`period` must be an integer"),
        ("SELECT nse_sma([1.0, 2.0], periods := 3)", r"nse_sma\(close, period := 20\)"),
        ("SELECT nse_macd([1.0], fast := 30)", r"fast"),
        ("SELECT nse_ema([1.0], seed := 'last')", r"`seed`"),
        ("SELECT nse_sma(['a', 'b'])", r"_nse_sma\(DOUBLE\[\], BIGINT\)"),
        ("SELECT nse_sma(1.0)", r"_nse_sma\(DOUBLE\[\], BIGINT\)"),
        (
            "SELECT nse_atr([1.0, 2.0], [1.0], [1.0, 2.0])",
            r"row 0 of the batch has lists of different lengths \(`high`: 2, `low`: 1\)",
        ),
        ("SELECT nse_backtest([1.0], [1.0], [true], [false], costs := 'x')", r"`costs`"),
        ("SELECT nse_backtest([1.0], [1.0], [true], [false], fill := 'x')", r"`fill`"),
        (
            "SELECT nse_backtest([1.0], [1.0], [true], [false], bars_per_year := 0)",
            r"bars_per_year",
        ),
        (
            "SELECT nse_backtest([1.0, 2.0], [1.0], [true], [false])",
            r"row 0 of the batch has lists of different lengths",
        ),
    ],
)
def test_errors_name_the_problem(query, match):
    con = sql.connect()
    with pytest.raises(duckdb.Error, match=match):
        con.sql(query).fetchall()


def test_compute_lists_type_errors():
    with pytest.raises(TypeError, match=r"`nse_sma`: `close` must be a list of numbers"):
        sql.compute_lists("sma", pa.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"list of string"):
        sql.compute_lists("sma", pa.array([["a"]]))
    with pytest.raises(TypeError, match=r"takes 3 list\(s\) \(high, low, close\), got 1"):
        sql.compute_lists("atr", pa.array([[1.0]]))


# --- backtest ----------------------------------------------------------------------------------


def _rsi_backtest_sql(source: str, costs: str) -> str:
    return f"""
        WITH per_symbol AS (
            SELECT symbol,
                   nse_backtest_rsi(list(open ORDER BY ts), list(close ORDER BY ts),
                                    period := 14, lower := 35, upper := 65,
                                    costs := '{costs}', bars_per_year := 18900) AS m
            FROM {source}
            GROUP BY symbol
        )
        SELECT symbol, m.* FROM per_symbol ORDER BY symbol
    """


def _assert_metrics_equal(got: pl.DataFrame, want: pl.DataFrame) -> None:
    assert got.columns == want.columns
    assert got["symbol"].to_list() == want["symbol"].to_list()
    for c in want.columns[1:]:
        g, w = got[c], want[c]
        assert g.is_null().to_list() == w.is_null().to_list(), c
        np.testing.assert_allclose(
            g.drop_nulls().to_numpy(), w.drop_nulls().to_numpy(), rtol=1e-12, atol=0, err_msg=c
        )


def test_hive_partitioned_parquet_backtest_matches_polars(tmp_path):
    bars = nse.generate_ohlcv(6, days=20, interval="5m", seed=11)
    bars.write_parquet(tmp_path / "bars", partition_by="symbol")
    con = sql.connect()
    source = f"read_parquet('{tmp_path.as_posix()}/bars/**/*.parquet', hive_partitioning = true)"
    got = con.sql(_rsi_backtest_sql(source, "nse_intraday")).pl()
    assert got.height == 6  # one row per symbol
    want = nse.backtest(
        bars, nse.strategies.rsi(14, 35, 65), by="symbol", costs="nse_intraday"
    ).metrics.sort("symbol")
    assert want["n_trades"].sum() > 20  # the strategy trades: the comparison means something
    _assert_metrics_equal(got, want)


def test_backtest_lists_rules():
    con = sql.connect()
    # Enter at bar 0's signal -> fill at bar 1's open (10), exit at bar 2's signal -> fill at
    # bar 3's open (12): +20 %, one trade, no costs.
    m = con.sql(
        "SELECT nse_backtest([9.0, 10, 11, 12], [9.0, 10, 11, 12], [true, false, false, false], "
        "[false, false, true, NULL]) AS m"
    ).fetchall()[0][0]
    assert m["n_trades"] == 1
    assert m["bars"] == 4
    assert math.isclose(m["total_return"], 0.2, rel_tol=1e-12)
    empty = con.sql("SELECT nse_backtest([], [], [], []) AS m").fetchall()[0][0]
    assert empty["bars"] == 0
    assert empty["sharpe"] is None
    assert con.sql("SELECT nse_backtest(NULL, [1.0], [true], [false])").fetchall()[0][0] is None


# --- sql.run and sql.query -----------------------------------------------------------------


def test_run_registers_views_equal_to_the_frame_api(tmp_path):
    bars = nse.generate_ohlcv(4, days=10, interval="5m", seed=5)
    bars.write_parquet(tmp_path / "d", partition_by="symbol")
    con = sql.connect()
    q = (
        f"SELECT * FROM read_parquet('{tmp_path.as_posix()}/d/**/*.parquet', "
        "hive_partitioning = true) WHERE symbol <> 'SYM003'"
    )
    strategy = nse.strategies.macd_cross(12, 26, 9)
    res = sql.run(con, q, strategy=strategy, costs="nse_delivery")
    assert res.views == ("bars_overlay", "backtest_metrics", "trades", "backtest_equity")
    kept = bars.filter(pl.col("symbol") != "SYM003").sort("symbol", "ts")
    want_overlay = kept.nse.overlay(by="symbol")
    got_overlay = con.sql("SELECT * FROM bars_overlay ORDER BY symbol, ts").pl()
    assert got_overlay.select(want_overlay.columns).equals(want_overlay)
    want = nse.backtest(kept, strategy, by="symbol", costs="nse_delivery")
    ranked = con.sql("SELECT symbol, sharpe FROM backtest_metrics ORDER BY symbol").pl()
    assert ranked.equals(want.metrics.select("symbol", "sharpe").sort("symbol"))
    n_trades = con.sql("SELECT count(*) FROM trades").fetchall()[0][0]
    assert n_trades == want.trades.height > 0


@pytest.mark.parametrize(
    "strategy",
    [
        nse.strategies.sma_cross(5, 20),
        nse.strategies.ema_cross(5, 20),
        nse.strategies.rsi(7, 40, 60),
        nse.strategies.macd_cross(6, 13, 4),
        nse.strategies.bbands(10, 1.0),
    ],
    ids=lambda s: s.name,
)
def test_run_backtest_equals_the_strategy_backtest(strategy):
    # sql.run computes the signals per symbol natively (not with .over): the same trades.
    bars = nse.generate_ohlcv(5, days=6, interval="5m", seed=9)
    con = sql.connect()
    con.register("bars", bars)
    got = sql.run(con, "SELECT * FROM bars", overlay=False, strategy=strategy, costs=5).backtest
    want = nse.backtest(bars, strategy, by="symbol", costs=5)
    assert want.trades.height > 10
    assert got.trades.equals(want.trades)
    assert got.metrics.equals(want.metrics)
    assert got.config == want.config


def test_run_sorts_rows_and_names_missing_columns():
    bars = nse.generate_ohlcv(2, days=3, interval="5m", seed=2)
    con = sql.connect()
    con.register("shuffled", bars.sample(fraction=1.0, shuffle=True, seed=1))
    res = sql.run(con, "SELECT * FROM shuffled")
    assert res.backtest is None
    assert res.bars_overlay.equals(bars.sort("symbol", "ts").nse.overlay(by="symbol"))
    with pytest.raises(ValueError, match=r"no column `open` \(open\)"):
        sql.run(con, "SELECT symbol, ts, close FROM shuffled", strategy="rsi")
    with pytest.raises(ValueError, match=r"no column `symbol` \(by\), `ts` \(ts\)"):
        sql.run(con, "SELECT close FROM shuffled")
    with pytest.raises(ValueError, match=r"`strategy`"):
        sql.run(con, "SELECT * FROM shuffled", strategy="nope")
    with pytest.raises(ValueError, match=r"no column `go` \(entries\)"):
        sql.run(con, "SELECT * FROM shuffled", entries="go", exits="stop")


def test_run_with_signals_computed_in_sql():
    bars = nse.generate_ohlcv(3, days=4, interval="5m", seed=6)
    con = sql.connect()
    con.register("bars", bars)
    q = "SELECT *, close > open AS go, close < open AS stop FROM bars"
    got = sql.run(con, q, overlay=False, entries="go", exits="stop", fill="next_close").backtest
    want = nse.backtest(
        bars,
        pl.col("close") > pl.col("open"),
        pl.col("close") < pl.col("open"),
        by="symbol",
        fill="next_close",
    )
    assert got.metrics.equals(want.metrics)
    assert want.metrics["n_trades"].sum() > 10


def test_sortedness_check():
    base = pl.DataFrame({"symbol": ["A", "A", "B", "B"], "ts": [1, 2, 0, 1]})
    assert sql._is_sorted(base, "symbol", "ts")
    assert not sql._is_sorted(base.with_columns(ts=pl.Series([2, 1, 0, 1])), "symbol", "ts")
    assert not sql._is_sorted(base.reverse(), "symbol", "ts")
    assert not sql._is_sorted(base.with_columns(ts=pl.Series([1, None, 0, 1])), "symbol", "ts")
    assert not sql._is_sorted(base, None, "ts")
    assert sql._is_sorted(base.head(2), None, "ts")


def test_register_is_idempotent_and_works_on_a_plain_connection():
    con = duckdb.connect()
    assert sql.register(sql.register(con)) is con
    assert con.sql("SELECT nse_mom([1.0, 3.0], 1)").fetchall() == [([None, 2.0],)]


def test_query_returns_a_polars_frame():
    out = sql.query("SELECT nse_rsi([1.0, 2.0, 1.5, 3.0], period := 2) AS r")
    assert isinstance(out, pl.DataFrame)
    assert out["r"].to_list()[0][:2] == [None, None]
    assert sql.query("CREATE TABLE x (a INT)").height == 0
