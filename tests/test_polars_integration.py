"""The Polars side: nulls and NaNs, chunks, slices, dtypes, lazy schemas, streaming, `.over`,
the overlay frame namespaces, names and lengths.

Oracle for input with missing values (the documented null rule): take the valid rows, run
TA-Lib on them, scatter back, null elsewhere (:func:`conftest.talib_reference`).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from conftest import (
    OUTPUT_FIELDS,
    assert_matches,
    lookback,
    random_walk,
    struct_fields,
    talib_reference,
)
from polars.testing import assert_frame_equal, assert_series_equal

import nse_polars as nse

CASES: list[tuple[str, dict[str, Any]]] = [
    ("sma", {"period": 5}),
    ("sma", {"period": 20}),
    ("ema", {"period": 3}),
    ("ema", {"period": 20}),
    ("rsi", {"period": 2}),
    ("rsi", {"period": 14}),
    ("macd", {"fast": 12, "slow": 26, "signal": 9}),
    ("macd", {"fast": 3, "slow": 10, "signal": 16}),
    ("bbands", {"period": 5, "num_std": 2.5}),
    ("bbands", {"period": 20, "num_std": 2.0}),
]
CASE_IDS = [f"{n}-" + "-".join(str(v) for v in p.values()) for n, p in CASES]


def expr_for(name: str, params: dict[str, Any], column: str | pl.Expr = "close") -> pl.Expr:
    return getattr(nse, name)(column, **params)


def compute(series: pl.Series, name: str, params: dict[str, Any]) -> pl.Series:
    out = series.to_frame().select(expr_for(name, params, series.name)).to_series()
    assert len(out) == len(series)
    assert out.name == series.name
    return out


def check_vs_oracle(
    out: pl.Series, values: Any, name: str, params: dict[str, Any], label: str = ""
) -> None:
    expected = talib_reference(name, values, **params)
    got = struct_fields(out)
    assert len(got) == len(expected) == len(OUTPUT_FIELDS[name])
    for field, g, e in zip(OUTPUT_FIELDS[name], got, expected, strict=True):
        assert_matches(g, e, label=f"{label} {name}{params}.{field}")


# --- nulls and NaNs ---------------------------------------------------------------------------

N = 300


def _pattern(kind: str, n: int = N) -> np.ndarray:
    """Boolean mask of missing rows."""
    missing = np.zeros(n, dtype=bool)
    if kind == "none":
        pass
    elif kind == "leading":
        missing[:40] = True
    elif kind == "trailing":
        missing[-40:] = True
    elif kind == "interior":
        missing[50:60] = True
        missing[100:131] = True
        missing[200] = True
    elif kind == "all":
        missing[:] = True
    elif kind == "alternating":
        missing[::2] = True
    elif kind == "random":
        missing = np.random.default_rng(5).random(n) < 0.2
    elif kind == "all_but_lookback":  # only a handful of valid rows, scattered
        missing[:] = True
        missing[[3, 50, 51, 170, 299]] = False
    else:
        raise KeyError(kind)
    return missing


PATTERNS = [
    "none",
    "leading",
    "trailing",
    "interior",
    "all",
    "alternating",
    "random",
    "all_but_lookback",
]


def _series_with_missing(x: np.ndarray, missing: np.ndarray, how: str) -> pl.Series:
    if how == "null":
        return pl.Series("close", pa.array(x, mask=missing))
    if how == "nan":
        y = x.copy()
        y[missing] = np.nan
        return pl.Series("close", y)
    if how == "mixed":  # every other missing row is NaN, the rest null
        y = x.copy()
        idx = np.flatnonzero(missing)
        y[idx[::2]] = np.nan
        null_mask = np.zeros(len(x), dtype=bool)
        null_mask[idx[1::2]] = True
        return pl.Series("close", pa.array(y, mask=null_mask))
    raise KeyError(how)


@pytest.mark.parametrize("how", ["null", "nan", "mixed"])
@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize(("name", "params"), CASES, ids=CASE_IDS)
def test_missing_values_follow_the_null_rule(
    how: str, pattern: str, name: str, params: dict[str, Any]
) -> None:
    x = random_walk(N, seed=21)
    missing = _pattern(pattern)
    s = _series_with_missing(x, missing, how)
    assert (s.is_null() | s.is_nan()).to_numpy().tolist() == missing.tolist()
    y = x.copy()
    y[missing] = np.nan
    out = compute(s, name, params)
    check_vs_oracle(out, y, name, params, label=f"polars {pattern}/{how}")
    for field in struct_fields(out):
        # Missing in, null out: never a value, never NaN.
        assert field.filter(pl.Series(missing)).null_count() == int(missing.sum())
    # The kernels door: numpy (NaN marks missing rows) and Arrow (nulls) agree bit for bit.
    kern = getattr(nse.kernels, name)
    numpy_out = kern(y, **params)
    arrow_out = kern(s, **params)
    numpy_out = numpy_out if isinstance(numpy_out, tuple) else (numpy_out,)
    arrow_out = arrow_out if isinstance(arrow_out, tuple) else (arrow_out,)
    for polars_field, a, b in zip(struct_fields(out), numpy_out, arrow_out, strict=True):
        np.testing.assert_array_equal(a, polars_field.to_numpy())
        np.testing.assert_array_equal(pl.Series(b).to_numpy(), polars_field.to_numpy())


def test_gap_state_carries_over_hand_worked() -> None:
    """SMA(2) over 1, null, 3, NaN, 5: windows of valid values (1, 3) and (3, 5)."""
    s = pl.Series("close", [1.0, None, 3.0, float("nan"), 5.0])
    assert compute(s, "sma", {"period": 2}).to_list() == [None, None, 2.0, None, 4.0]
    # EMA(2), k = 2/3: seed mean(1, 3) = 2 at row 2; row 4: 2 + (5 - 2) 2/3 = 4.
    assert_matches(compute(s, "ema", {"period": 2}), [np.nan, np.nan, 2.0, np.nan, 4.0], rtol=1e-15)


# --- chunks and slices ------------------------------------------------------------------------


def _chunked(
    x: np.ndarray, n_chunks: int, name: str = "close", missing: np.ndarray | None = None
) -> pl.Series:
    bounds = np.linspace(0, len(x), n_chunks + 1).astype(int)
    parts = []
    for lo, hi in itertools.pairwise(bounds):
        mask = None if missing is None else missing[lo:hi]
        parts.append(pl.Series(name, pa.array(x[lo:hi], mask=mask)))
    s = pl.concat(parts, rechunk=False)
    assert s.n_chunks() == n_chunks > 1
    return s


@pytest.mark.parametrize("with_nulls", [False, True])
@pytest.mark.parametrize(("name", "params"), CASES, ids=CASE_IDS)
def test_multi_chunk_series(with_nulls: bool, name: str, params: dict[str, Any]) -> None:
    x = random_walk(1000, seed=31)
    missing = _pattern("random", 1000) if with_nulls else None
    chunked = _chunked(x, 7, missing=missing)
    df = chunked.to_frame()
    assert df.n_chunks("all") == [7]
    out = df.select(expr_for(name, params)).to_series()
    y = x.copy()
    if missing is not None:
        y[missing] = np.nan
    check_vs_oracle(out, y, name, params, label="7 chunks")
    single = compute(chunked.rechunk(), name, params)
    assert_series_equal(out, single, check_exact=True)
    # Arrow door with a ChunkedArray of the same chunks.
    arrow = getattr(nse.kernels, name)(chunked.to_arrow(), **params)
    arrow = arrow if isinstance(arrow, tuple) else (arrow,)
    for a, b in zip(arrow, struct_fields(single), strict=True):
        np.testing.assert_array_equal(pl.Series(a).to_numpy(), b.to_numpy())


@pytest.mark.parametrize(("name", "params"), CASES, ids=CASE_IDS)
def test_sliced_series(name: str, params: dict[str, Any]) -> None:
    x = random_walk(1000, seed=41)
    missing = _pattern("random", 1000)
    full = pl.Series("close", pa.array(x, mask=missing))
    y = x.copy()
    y[missing] = np.nan
    sliced = full.slice(7, 500)  # offset 7: the validity bitmap starts mid-byte
    out = compute(sliced, name, params)
    check_vs_oracle(out, y[7:507], name, params, label="slice(7, 500)")
    copied = pl.Series("close", sliced.to_list(), dtype=pl.Float64)
    assert_series_equal(out, compute(copied, name, params), check_exact=True)
    # A slice of a chunked series: starts inside chunk 1, ends inside chunk 4.
    chunked = _chunked(x, 6, missing=missing).slice(123, 600)
    assert chunked.n_chunks() > 1
    out2 = compute(chunked, name, params)
    check_vs_oracle(out2, y[123:723], name, params, label="chunked slice")
    # Slicing inside the expression, before the indicator.
    out3 = full.to_frame().select(expr_for(name, params, pl.col("close").slice(7, 500))).to_series()
    assert_series_equal(out3, out, check_exact=True)
    # Kernels door on a sliced pyarrow array (non-zero offset).
    arrow = getattr(nse.kernels, name)(pa.array(x, mask=missing).slice(7, 500), **params)
    arrow = arrow if isinstance(arrow, tuple) else (arrow,)
    for a, b in zip(arrow, struct_fields(out), strict=True):
        np.testing.assert_array_equal(pl.Series(a).to_numpy(), b.to_numpy())


def test_slice_after_indicator_is_not_slice_before() -> None:
    """sma(...).slice(k) computes over the whole column; the warm-up is not repeated."""
    x = random_walk(100, seed=2)
    df = pl.DataFrame({"close": x})
    out = df.select(nse.sma("close", 10).slice(20, 30)).to_series()
    assert_matches(out, talib_reference("sma", x, period=10)[0][20:50])
    assert out.null_count() == 0


# --- dtypes -----------------------------------------------------------------------------------

INT_DTYPES = [pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64]


def _values_for(dtype: pl.DataType, n: int = 400, *, extremes: bool = True) -> pl.Series:
    rng = np.random.default_rng(61)
    if dtype == pl.Float32:
        return pl.Series("close", random_walk(n, seed=61)).cast(pl.Float32)
    info = np.iinfo(str(dtype).lower())  # e.g. "uint16"
    lo = max(int(info.min), -(2**40))
    hi = min(int(info.max), 2**40)
    if lo < 0:  # a walk around 0 for signed types: negative values must work too
        steps = rng.integers(-3, 4, n)
        values = np.clip(np.cumsum(steps), lo, hi)
    else:
        values = rng.integers(lo, hi, n, endpoint=True)
    if extremes:  # the extremes of the type
        values[::37] = hi
        values[5::41] = lo
    return pl.Series("close", values).cast(dtype)


@pytest.mark.parametrize("with_nulls", [False, True])
@pytest.mark.parametrize("dtype", [pl.Float32, *INT_DTYPES], ids=str)
@pytest.mark.parametrize(("name", "params"), CASES[::2], ids=CASE_IDS[::2])
def test_numeric_dtypes_equal_float64_of_the_cast(
    with_nulls: bool, dtype: pl.DataType, name: str, params: dict[str, Any]
) -> None:
    s = _values_for(dtype)
    if with_nulls:
        s = s.scatter([0, 1, 77, 78, 79, 200], None)
    assert s.dtype == dtype
    out = compute(s, name, params)
    as_f64 = compute(s.cast(pl.Float64), name, params)
    assert_series_equal(out, as_f64, check_exact=True)
    # TA-Lib's running sums are no 1e-9 oracle next to 2**63 values: compare it on a series
    # without the extremes of the type.
    plain = _values_for(dtype, extremes=False)
    check_vs_oracle(
        compute(plain, name, params),
        plain.cast(pl.Float64).to_numpy(),
        name,
        params,
        label=str(dtype),
    )
    # Chunked integer input (the conversion path per chunk).
    chunked = pl.concat([s.slice(0, 150), s.slice(150, 100), s.slice(250)], rechunk=False)
    assert chunked.n_chunks() == 3
    assert_series_equal(compute(chunked, name, params), as_f64, check_exact=True)


def test_uint64_and_int64_extremes_are_converted_not_wrapped() -> None:
    """2**64 - 1 must be read as 1.8e19 (not -1), -2**63 as -9.2e18."""
    s = pl.Series("close", [2**64 - 1, 2**64 - 1, 0], dtype=pl.UInt64)
    assert_matches(compute(s, "sma", {"period": 2}), [np.nan, 2.0**64, 2.0**63], rtol=1e-15)
    s = pl.Series("close", [-(2**63), -(2**63), 0], dtype=pl.Int64)
    assert_matches(compute(s, "sma", {"period": 2}), [np.nan, -(2.0**63), -(2.0**62)], rtol=1e-15)


# --- lazy: schema -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [pl.Float64, pl.Float32, pl.Int32, pl.UInt16])
def test_lazy_collect_schema(dtype: pl.DataType) -> None:
    lf = pl.LazyFrame({"close": pl.Series(np.arange(60) % 7 + 10).cast(dtype), "k": 1})
    q = lf.select(
        nse.sma("close", 5).alias("sma"),
        nse.ema("close", 5).alias("ema"),
        nse.ema("close", 5, seed="first").alias("ema_first"),
        nse.rsi("close", 5).alias("rsi"),
        nse.macd("close", 3, 6, 2).alias("macd"),
        nse.bbands("close", 5, 2.0).alias("bb"),
        nse.overlay("close", sma=3).alias("ov"),
        pl.col("close").nse.rsi(3),
    )
    expected = pl.Schema(
        {
            "sma": pl.Float64,
            "ema": pl.Float64,
            "ema_first": pl.Float64,
            "rsi": pl.Float64,
            "macd": pl.Struct({"macd": pl.Float64, "signal": pl.Float64, "hist": pl.Float64}),
            "bb": pl.Struct({"upper": pl.Float64, "middle": pl.Float64, "lower": pl.Float64}),
            "ov": pl.Struct({c: pl.Float64 for c in nse.overlay_columns(sma=3)}),
            "close": pl.Float64,
        }
    )
    assert q.collect_schema() == expected
    df = q.collect()
    assert df.schema == expected
    assert df.height == 60
    x = lf.collect()["close"].cast(pl.Float64).to_numpy()
    assert_matches(df["rsi"], talib_reference("rsi", x, period=5)[0])
    assert_matches(df["close"], talib_reference("rsi", x, period=3)[0])


def test_lazy_frame_overlay_schema() -> None:
    lf = pl.LazyFrame({"ts": [1, 2, 3], "close": [1.0, 2.0, 3.0]})
    out = lf.nse.overlay(sma=10, ema=5, rsi=7, macd=(2, 4, 3), bbands=(3, 1.5))
    cols = nse.overlay_columns(sma=10, ema=5, rsi=7, macd=(2, 4, 3), bbands=(3, 1.5))
    assert cols == [
        "sma_10",
        "ema_5",
        "rsi_7",
        "macd",
        "macd_signal",
        "macd_hist",
        "bb_upper",
        "bb_middle",
        "bb_lower",
    ]
    assert out.collect_schema() == pl.Schema(
        {"ts": pl.Int64, "close": pl.Float64, **dict.fromkeys(cols, pl.Float64)}
    )
    assert out.collect().columns == ["ts", "close", *cols]


# --- streaming ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_frame() -> pl.DataFrame:
    n = 300_000
    rng = np.random.default_rng(71)
    symbols = np.array(["AAA", "BBB", "CCC"])[rng.integers(0, 3, n)]
    close = random_walk(n, seed=72)
    close[rng.random(n) < 0.01] = np.nan
    df = pl.DataFrame({"symbol": symbols, "row": np.arange(n), "close": close})
    # Many small chunks, so that the streaming engine has something to split.
    parts = [df.slice(i, 10_000) for i in range(0, n, 10_000)]
    chunked = pl.concat(parts, rechunk=False)
    assert chunked.n_chunks() == 30
    return chunked


def _indicator_columns() -> list[pl.Expr]:
    return [
        nse.sma("close", 20).alias("sma"),
        nse.ema("close", 20).alias("ema"),
        nse.rsi("close", 14).alias("rsi"),
        nse.macd("close").alias("macd"),
        nse.bbands("close").alias("bb"),
        nse.overlay("close").alias("ov"),
    ]


@pytest.mark.parametrize("chunk_size", [None, 1000])
def test_streaming_equals_eager(big_frame: pl.DataFrame, chunk_size: int | None) -> None:
    eager = big_frame.with_columns(_indicator_columns())
    before = pl.Config.state()
    with pl.Config(streaming_chunk_size=chunk_size):
        streamed = big_frame.lazy().with_columns(_indicator_columns()).collect(engine="streaming")
    assert pl.Config.state() == before
    assert_frame_equal(streamed, eager, check_exact=True)
    # And both against the oracle (the frame is in row order).
    x = big_frame["close"].to_numpy()
    assert_matches(streamed["rsi"], talib_reference("rsi", x, period=14)[0], label="stream rsi")
    for field, want in zip(
        ("macd", "signal", "hist"),
        talib_reference("macd", x, fast=12, slow=26, signal=9),
        strict=True,
    ):
        assert_matches(streamed["macd"].struct.field(field), want, label=f"stream {field}")


def test_streaming_with_filter_after_and_over(big_frame: pl.DataFrame) -> None:
    """The indicator must see the whole (group) column even if rows are dropped after it."""

    def query(lf: pl.LazyFrame) -> pl.LazyFrame:
        return (
            lf.with_columns(
                nse.rsi("close", 14).alias("rsi"),
                nse.bbands("close", 20).over("symbol").alias("bb"),
            )
            .filter(pl.col("row") % 3 == 0)
            .unnest("bb")
        )

    eager = query(big_frame.lazy()).collect()
    with pl.Config(streaming_chunk_size=1000):
        streamed = query(big_frame.lazy()).collect(engine="streaming")
    assert_frame_equal(streamed, eager, check_exact=True)
    x = big_frame["close"].to_numpy()
    keep = np.arange(len(x)) % 3 == 0
    assert_matches(streamed["rsi"], talib_reference("rsi", x, period=14)[0][keep])
    sym = big_frame["symbol"].to_numpy()
    for s in ("AAA", "BBB", "CCC"):
        rows = sym == s
        up, mid, _lo = talib_reference("bbands", x[rows], period=20, num_std=2.0)
        sel = keep[rows]
        part = streamed.filter(pl.col("symbol") == s)
        assert_matches(part["middle"], mid[sel], label=f"{s} middle")
        assert_matches(part["upper"], up[sel], label=f"{s} upper")


# --- over / group_by --------------------------------------------------------------------------


def _symbol_frame(interleaved: bool, n: int = 900) -> pl.DataFrame:
    rng = np.random.default_rng(81)
    if interleaved:
        symbols = np.array(["A", "B", "C"])[rng.integers(0, 3, n)]
    else:
        symbols = np.repeat(["A", "B", "C"], [n // 2, n // 3, n - n // 2 - n // 3])
    close = np.empty(n)
    for i, s in enumerate(("A", "B", "C")):  # very different price levels per symbol
        rows = symbols == s
        close[rows] = random_walk(int(rows.sum()), seed=82 + i, start=10.0 ** (i + 1))
    close[rng.random(n) < 0.03] = np.nan
    return pl.DataFrame({"symbol": symbols, "close": close})


@pytest.mark.parametrize("interleaved", [False, True], ids=["blocks", "interleaved"])
@pytest.mark.parametrize(("name", "params"), CASES, ids=CASE_IDS)
def test_over_symbol_equals_per_symbol(
    interleaved: bool, name: str, params: dict[str, Any]
) -> None:
    df = _symbol_frame(interleaved)
    out = df.select(expr_for(name, params).over("symbol")).to_series()
    assert len(out) == df.height
    x = df["close"].to_numpy()
    sym = df["symbol"].to_numpy()
    fields = struct_fields(out)
    for s in ("A", "B", "C"):
        rows = sym == s
        expected = talib_reference(name, x[rows], **params)
        for field, g, e in zip(OUTPUT_FIELDS[name], fields, expected, strict=True):
            assert_matches(g.filter(pl.Series(rows)), e, label=f"over {s} {field}")
    # The same through group_by().agg(), which hands one group at a time.
    agg = df.group_by("symbol", maintain_order=True).agg(expr_for(name, params))
    for s, values in zip(agg["symbol"], agg["close"], strict=True):
        rows = sym == s
        expected = talib_reference(name, x[rows], **params)
        got = struct_fields(pl.Series(values)) if name in ("macd", "bbands") else [values]
        for g, e in zip(got, expected, strict=True):
            assert_matches(g, e, label=f"group_by {s}")


def test_over_group_shorter_than_lookback() -> None:
    df = pl.DataFrame({"symbol": ["A"] * 30 + ["B"] * 5, "close": random_walk(35, seed=3)})
    out = df.select(nse.sma("close", 10).over("symbol")).to_series()
    assert out[30:].null_count() == 5
    assert out[:30].null_count() == 9


# --- the frame namespaces ---------------------------------------------------------------------

OVERLAY_PARAMS: list[dict[str, Any]] = [
    {},
    {"sma": 7, "ema": 9, "rsi": 3, "macd": (5, 35, 5), "bbands": (10, 1.5)},
]


def _single_functions(o: dict[str, Any], column: str = "close") -> list[pl.Expr]:
    f, s, g = o.get("macd", (12, 26, 9))
    bp, bk = o.get("bbands", (20, 2.0))
    names = nse.overlay_columns(**o)
    m = nse.macd(column, f, s, g)
    b = nse.bbands(column, bp, bk)
    return [
        nse.sma(column, o.get("sma", 20)).alias(names[0]),
        nse.ema(column, o.get("ema", 20)).alias(names[1]),
        nse.rsi(column, o.get("rsi", 14)).alias(names[2]),
        m.struct.field("macd").alias(names[3]),
        m.struct.field("signal").alias(names[4]),
        m.struct.field("hist").alias(names[5]),
        b.struct.field("upper").alias(names[6]),
        b.struct.field("middle").alias(names[7]),
        b.struct.field("lower").alias(names[8]),
    ]


@pytest.mark.parametrize("o", OVERLAY_PARAMS, ids=["default", "custom"])
def test_frame_overlay_equals_single_functions(o: dict[str, Any]) -> None:
    df = (
        _symbol_frame(False).rename({"close": "px"}).with_columns(pl.int_range(pl.len()).alias("i"))
    )
    expected = df.with_columns(_single_functions(o, "px"))
    got = df.nse.overlay("px", **o)
    assert got.columns == [*df.columns, *nse.overlay_columns(**o)]
    assert_frame_equal(got, expected, check_exact=True)
    lazy = df.lazy().nse.overlay("px", **o)
    assert isinstance(lazy, pl.LazyFrame)
    assert_frame_equal(lazy.collect(), expected, check_exact=True)
    # Expression form, unnested by hand.
    via_expr = df.select(nse.overlay("px", **o)).unnest("px")
    assert_frame_equal(via_expr, expected.select(nse.overlay_columns(**o)), check_exact=True)


@pytest.mark.parametrize("interleaved", [False, True], ids=["blocks", "interleaved"])
def test_frame_overlay_over_symbol(interleaved: bool) -> None:
    df = _symbol_frame(interleaved)
    o = {"sma": 5, "ema": 8, "rsi": 6, "macd": (3, 10, 4), "bbands": (12, 2.0)}
    got = df.nse.overlay(by="symbol", **o)
    lazy = df.lazy().nse.overlay(by="symbol", **o).collect()
    assert_frame_equal(lazy, got, check_exact=True)
    expected = df.with_columns([e.over("symbol") for e in _single_functions(o)])
    assert_frame_equal(got, expected, check_exact=True)
    # And against TA-Lib per symbol for two of the columns.
    x = df["close"].to_numpy()
    sym = df["symbol"].to_numpy()
    for s in ("A", "B", "C"):
        rows = sym == s
        assert_matches(
            got["rsi_6"].filter(pl.Series(rows)), talib_reference("rsi", x[rows], period=6)[0]
        )
        assert_matches(
            got["bb_lower"].filter(pl.Series(rows)),
            talib_reference("bbands", x[rows], period=12, num_std=2.0)[2],
        )


def test_frame_overlay_default_column_is_close() -> None:
    df = pl.DataFrame({"open": random_walk(50, seed=1), "close": random_walk(50, seed=2)})
    got = df.nse.overlay()
    assert_matches(got["sma_20"], talib_reference("sma", df["close"].to_numpy(), period=20)[0])


# --- names, lengths, struct fields --------------------------------------------------------------


@pytest.mark.parametrize(("name", "params"), CASES, ids=CASE_IDS)
def test_output_name_is_input_name(name: str, params: dict[str, Any]) -> None:
    df = pl.DataFrame({"price": random_walk(40, seed=4), "other": 1.0})
    assert df.select(expr_for(name, params, "price")).columns == ["price"]
    assert df.select(expr_for(name, params, pl.col("price") ** 2)).columns == ["price"]
    assert df.select(getattr(pl.col("price").nse, name)(**params)).columns == ["price"]
    assert df.select(expr_for(name, params, "price").alias("x")).columns == ["x"]
    assert df.with_columns(expr_for(name, params, "price")).columns == ["price", "other"]
    # The transformed column really was used (RSI is invariant to scaling, not to squaring).
    a = df.select(expr_for(name, params, pl.col("price") ** 2)).to_series()
    b = df.select(expr_for(name, params, "price")).to_series()
    assert not a.equals(b)


@pytest.mark.parametrize("n", [0, 1, 2, 13, 14, 15, 33, 34, 35, 100])
def test_output_length_equals_input_length(n: int) -> None:
    df = pl.DataFrame({"close": random_walk(n, seed=n)})
    out = df.select(
        nse.sma("close", 14).alias("a"),
        nse.ema("close", 14).alias("b"),
        nse.rsi("close", 14).alias("c"),
        nse.macd("close").alias("d"),
        nse.bbands("close", 14).alias("e"),
        nse.overlay("close").alias("f"),
    )
    assert out.height == n
    nulls = {c: out[c].null_count() if out[c].dtype == pl.Float64 else None for c in "abc"}
    assert nulls == {"a": min(n, 13), "b": min(n, 13), "c": min(n, 14)}
    assert out.unnest("d")["hist"].null_count() == min(n, lookback("macd", {}))
    for c in ("d", "e", "f"):
        assert out[c].null_count() == 0  # struct rows are never null; their fields are


def test_struct_field_names() -> None:
    df = pl.DataFrame({"close": random_walk(50, seed=5)})
    assert [f.name for f in df.select(nse.macd("close")).schema["close"].fields] == [
        "macd",
        "signal",
        "hist",
    ]
    assert [f.name for f in df.select(nse.bbands("close")).schema["close"].fields] == [
        "upper",
        "middle",
        "lower",
    ]
    o = {"sma": 3, "ema": 4, "rsi": 5}
    assert [f.name for f in df.select(nse.overlay(**o)).schema["close"].fields] == [
        "sma_3",
        "ema_4",
        "rsi_5",
        "macd",
        "macd_signal",
        "macd_hist",
        "bb_upper",
        "bb_middle",
        "bb_lower",
    ]
    assert [f.name for f in df.select(pl.col("close").nse.macd()).schema["close"].fields] == [
        "macd",
        "signal",
        "hist",
    ]
