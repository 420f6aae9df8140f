"""Bad input: parameters (ValueError at expression-build time, naming the parameter), non-numeric
columns (ComputeError naming column and dtype), degenerate columns (all-null output), the
kernels door, and that none of it crashes the process.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from conftest import OUTPUT_FIELDS, lookback, struct_fields
from polars.exceptions import ComputeError

import nse_polars as nse

BAD_PERIODS = [0, -1, 14.5, True, False, "14", None, 2**70, -(2**70), 2**31, 1.0, float("nan")]
PERIOD_FUNCS = ["sma", "ema", "rsi", "bbands"]


def _doors(name: str) -> list[Any]:
    """The three ways to pass parameters: function, Expr namespace, kernels."""
    x = np.arange(50, dtype=np.float64) + 100
    return [
        lambda **kw: getattr(nse, name)("close", **kw),
        lambda **kw: getattr(pl.col("close").nse, name)(**kw),
        lambda **kw: getattr(nse.kernels, name)(x, **kw),
    ]


@pytest.mark.parametrize("door", [0, 1, 2], ids=["function", "namespace", "kernels"])
@pytest.mark.parametrize("period", BAD_PERIODS, ids=repr)
@pytest.mark.parametrize("name", PERIOD_FUNCS)
def test_bad_period(name: str, period: object, door: int) -> None:
    with pytest.raises(ValueError, match=rf"`period`.*\(in `{name}`\)"):
        _doors(name)[door](period=period)


@pytest.mark.parametrize("period", [1, 2, 1 << 30, np.int64(14), np.int32(3)], ids=repr)
@pytest.mark.parametrize("name", PERIOD_FUNCS)
def test_good_period_boundaries_are_accepted(name: str, period: int) -> None:
    """The other side of the bound: the parameter table's range is [1, 2**30]."""
    out = pl.DataFrame({"close": [1.0, 2.0, 4.0]}).select(
        getattr(nse, name)("close", period=period)
    )
    fields = struct_fields(out.to_series())
    lb = {"rsi": int(period)}.get(name, int(period) - 1)
    assert fields[0].null_count() == min(3, lb)


def test_period_out_of_range_message_is_exact() -> None:
    with pytest.raises(ValueError) as info:
        nse.sma("close", 0)
    assert str(info.value) == "`period` must be an integer in [1, 1073741824], got 0 (in `sma`)"
    with pytest.raises(ValueError, match=r"`period` must be an integer in \[1, 1073741824\]"):
        nse.sma("close", (1 << 30) + 1)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"fast": 12, "slow": 12, "signal": 9}, ("fast", "slow")),
        ({"fast": 26, "slow": 12, "signal": 9}, ("fast", "slow")),
        ({"fast": 5, "slow": 4, "signal": 9}, ("fast", "slow")),
        ({"fast": 0, "slow": 26, "signal": 9}, ("fast",)),
        ({"fast": -1, "slow": 26, "signal": 9}, ("fast",)),
        ({"fast": 12, "slow": 1, "signal": 9}, ("slow",)),
        ({"fast": 12, "slow": 26.0, "signal": 9}, ("slow",)),
        ({"fast": 12, "slow": 26, "signal": 0}, ("signal",)),
        ({"fast": 12, "slow": 26, "signal": -3}, ("signal",)),
        ({"fast": 12, "slow": 26, "signal": 9.5}, ("signal",)),
        ({"fast": 12, "slow": 26, "signal": True}, ("signal",)),
        ({"fast": "12", "slow": 26, "signal": 9}, ("fast",)),
        ({"fast": None, "slow": 26, "signal": 9}, ("fast",)),
        ({"fast": 12, "slow": 2**70, "signal": 9}, ("slow",)),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else "",
)
@pytest.mark.parametrize("door", [0, 1, 2], ids=["function", "namespace", "kernels"])
def test_bad_macd_params(kwargs: dict[str, Any], named: tuple[str, ...], door: int) -> None:
    with pytest.raises(ValueError, match=r"\(in `macd`\)") as info:
        _doors("macd")[door](**kwargs)
    for param in named:
        assert f"`{param}`" in str(info.value)


@pytest.mark.parametrize(
    "num_std",
    [0, 0.0, -1, -1.5, float("nan"), float("inf"), -float("inf"), None, "2", True, 1e301],
    ids=repr,
)
@pytest.mark.parametrize("door", [0, 1, 2], ids=["function", "namespace", "kernels"])
def test_bad_num_std(num_std: object, door: int) -> None:
    with pytest.raises(ValueError, match=r"`num_std`.*\(in `bbands`\)"):
        _doors("bbands")[door](period=20, num_std=num_std)


@pytest.mark.parametrize("num_std", [1e-300, 0.5, 3, 1e300], ids=repr)
def test_good_num_std_is_accepted(num_std: float) -> None:
    out = (
        pl.DataFrame({"close": [1.0, 3.0]}).select(nse.bbands("close", 2, num_std)).unnest("close")
    )
    # std of (1, 3) is 1: the bands are 2 -/+ num_std.
    assert out["middle"].to_list() == [None, 2.0]
    assert out["upper"].to_list() == [None, 2.0 + float(num_std)]
    assert out["lower"].to_list() == [None, 2.0 - float(num_std)]


@pytest.mark.parametrize("seed", ["x", "SMA", "", None, 0, True], ids=repr)
@pytest.mark.parametrize("door", [0, 1, 2], ids=["function", "namespace", "kernels"])
def test_bad_ema_seed(seed: object, door: int) -> None:
    with pytest.raises(ValueError, match=r"`seed` must be one of 'sma', 'first'.*\(in `ema`\)"):
        _doors("ema")[door](period=5, seed=seed)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"sma": 0}, r"`sma(_period)?`"),
        ({"ema": -1}, r"`ema(_period)?`"),
        ({"rsi": 14.5}, r"`rsi(_period)?`"),
        ({"macd": (12, 12, 9)}, r"`fast`.*`slow`"),
        ({"macd": (26, 12, 9)}, r"`fast`.*`slow`"),
        ({"macd": (12, 26)}, r"`macd`"),
        ({"macd": 12}, r"`macd`"),
        ({"macd": (12, 26, 0)}, r"`(macd_)?signal`"),
        ({"bbands": (20, 0.0)}, r"`(bb_)?num_std`"),
        ({"bbands": (20, float("nan"))}, r"`(bb_)?num_std`"),
        ({"bbands": (0, 2.0)}, r"`(bb_)?period`"),
        ({"bbands": (20,)}, r"`bbands`"),
    ],
    ids=repr,
)
def test_bad_overlay_params(kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        nse.overlay("close", **kwargs)
    with pytest.raises(ValueError, match=pattern):
        pl.col("close").nse.overlay(**kwargs)
    df = pl.DataFrame({"close": [1.0]})
    with pytest.raises(ValueError, match=pattern):
        df.nse.overlay(**kwargs)
    with pytest.raises(ValueError, match=pattern):
        df.lazy().nse.overlay(**kwargs)


def test_bad_params_raise_without_any_frame() -> None:
    """Build-time validation: the error comes from building the expression, before any data."""
    expr = None
    with pytest.raises(ValueError, match="`period`"):
        expr = nse.rsi(pl.col("anything"), 0)
    assert expr is None


# --- non-numeric columns ----------------------------------------------------------------------

NON_NUMERIC: list[tuple[str, pl.Series]] = [
    ("String", pl.Series(["1.0", "2.0", "3.0"])),
    ("Boolean", pl.Series([True, False, True])),
    ("Date", pl.Series([dt.date(2024, 1, d) for d in (1, 2, 3)])),
    ("Datetime", pl.Series([dt.datetime(2024, 1, 1, h) for h in (9, 10, 11)])),
    (
        "Datetime",
        pl.Series([dt.datetime(2024, 1, 1, h) for h in (9, 10, 11)]).dt.replace_time_zone(
            "Asia/Kolkata"
        ),
    ),
    ("Duration", pl.Series([dt.timedelta(minutes=m) for m in (1, 2, 3)])),
    ("Time", pl.Series([dt.time(9, m) for m in (15, 20, 25)])),
    ("List", pl.Series([[1.0], [2.0], [3.0]])),
    ("Array", pl.Series([[1.0], [2.0], [3.0]], dtype=pl.Array(pl.Float64, 1))),
    ("Struct", pl.Series([{"a": 1.0}, {"a": 2.0}, {"a": 3.0}])),
    ("Binary", pl.Series([b"1", b"2", b"3"])),
    ("Decimal", pl.Series([Decimal("1.5"), Decimal("2.5"), Decimal("3.5")])),
    ("Categorical", pl.Series(["a", "b", "a"], dtype=pl.Categorical)),
    ("Enum", pl.Series(["a", "b", "a"], dtype=pl.Enum(["a", "b"]))),
]
NON_NUMERIC_IDS = [f"{label}-{s.dtype}" for label, s in NON_NUMERIC]

ALL_EXPRS = {
    "sma": lambda c: nse.sma(c, 2),
    "ema": lambda c: nse.ema(c, 2),
    "ema_first": lambda c: nse.ema(c, 2, seed="first"),
    "rsi": lambda c: nse.rsi(c, 2),
    "macd": lambda c: nse.macd(c, 2, 3, 1),
    "bbands": lambda c: nse.bbands(c, 2),
    "overlay": lambda c: nse.overlay(c, sma=2, ema=2, rsi=2, macd=(2, 3, 1), bbands=(2, 2.0)),
}


def _dtype_error_pattern(column: str, label: str) -> str:
    return rf"`{column}`.*\b{label}\b"


@pytest.mark.parametrize("which", list(ALL_EXPRS))
@pytest.mark.parametrize(("label", "series"), NON_NUMERIC, ids=NON_NUMERIC_IDS)
def test_non_numeric_column_is_a_compute_error(label: str, series: pl.Series, which: str) -> None:
    column = "px col"
    df = pl.DataFrame({column: series, "ok": [1.0, 2.0, 3.0]})
    expr = ALL_EXPRS[which](column)
    pattern = _dtype_error_pattern(column, label)
    with pytest.raises(ComputeError, match=pattern):
        df.lazy().select(expr).collect_schema()
    with pytest.raises(ComputeError, match=pattern):
        df.select(expr)
    with pytest.raises(ComputeError, match=pattern):
        df.lazy().with_columns(expr.alias("out")).collect()


@pytest.mark.parametrize(("label", "series"), NON_NUMERIC[:4], ids=NON_NUMERIC_IDS[:4])
def test_non_numeric_column_in_frame_overlay(label: str, series: pl.Series) -> None:
    df = pl.DataFrame({"close": series})
    with pytest.raises(ComputeError, match=_dtype_error_pattern("close", label)):
        df.nse.overlay()
    with pytest.raises(ComputeError, match=_dtype_error_pattern("close", label)):
        df.lazy().nse.overlay().collect_schema()


@pytest.mark.parametrize(("label", "series"), NON_NUMERIC[:3], ids=NON_NUMERIC_IDS[:3])
def test_non_numeric_column_in_kernels_arrow_door(label: str, series: pl.Series) -> None:
    for values in (series, series.to_arrow()):
        with pytest.raises((ValueError, TypeError), match=label):
            nse.kernels.rsi(values, 5)


# --- degenerate columns: all-null output of the same length -----------------------------------


def _all_null_same_length(out: pl.DataFrame, n: int) -> None:
    assert out.height == n
    for column in out.columns:
        for field in struct_fields(out[column]):
            assert field.dtype == pl.Float64
            assert field.null_count() == n


@pytest.mark.parametrize(
    "series",
    [
        pl.Series("close", [], dtype=pl.Float64),
        pl.Series("close", [], dtype=pl.Int32),
        pl.Series("close", [None, None]),  # dtype Null
        pl.Series("close", [None] * 50, dtype=pl.Float64),
        pl.Series("close", [float("nan")] * 50),
        pl.Series("close", [None, float("nan")] * 25, dtype=pl.Float64),
        pl.Series("close", [None] * 50, dtype=pl.Int64),
        pl.Series("close", [None] * 1),
    ],
    ids=[
        "empty-f64",
        "empty-i32",
        "Null-dtype",
        "all-null",
        "all-nan",
        "null-and-nan",
        "all-null-i64",
        "Null-dtype-1",
    ],
)
def test_degenerate_columns_give_all_null(series: pl.Series) -> None:
    n = len(series)
    df = series.to_frame()
    exprs = [f("close").alias(k) for k, f in ALL_EXPRS.items()]
    _all_null_same_length(df.select(exprs), n)
    lazy = df.lazy().select(exprs)
    schema = lazy.collect_schema()
    assert schema["sma"] == pl.Float64
    assert schema["macd"] == pl.Struct({f: pl.Float64 for f in OUTPUT_FIELDS["macd"]})
    _all_null_same_length(lazy.collect(), n)
    out = df.nse.overlay()
    assert out.height == n
    _all_null_same_length(out.drop("close"), n)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("sma", {"period": 20}),
        ("ema", {"period": 20}),
        ("rsi", {"period": 14}),
        ("macd", {}),
        ("bbands", {"period": 20}),
        ("macd", {"fast": 5, "slow": 35, "signal": 5}),
    ],
)
def test_shorter_than_lookback_gives_all_null(name: str, params: dict[str, Any]) -> None:
    lb = lookback(name, {**params})
    for n in (1, lb - 1, lb):
        x = 100.0 + np.arange(n, dtype=np.float64)
        out = pl.DataFrame({"close": x}).select(getattr(nse, name)("close", **params))
        _all_null_same_length(out, n)
        numpy_out = getattr(nse.kernels, name)(x, **params)
        for a in numpy_out if isinstance(numpy_out, tuple) else (numpy_out,):
            assert a.shape == (n,)
            assert np.isnan(a).all()
    # One more valid row and the last row has a value.
    x = 100.0 + np.arange(lb + 1, dtype=np.float64)
    out = pl.DataFrame({"close": x}).select(getattr(nse, name)("close", **params)).to_series()
    for field in struct_fields(out):
        assert field.null_count() == lb
        assert field[-1] is not None


# --- the kernels door -------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(OUTPUT_FIELDS))
def test_kernels_rejects_2d(name: str) -> None:
    for shape in ((3, 3), (10, 1), (1, 10)):
        with pytest.raises(ValueError, match=r"1-D"):
            getattr(nse.kernels, name)(np.ones(shape))
    with pytest.raises(ValueError, match=r"1-D"):
        getattr(nse.kernels, name)(np.float64(3.0))


@pytest.mark.parametrize(
    "values",
    [
        np.array(["1.0", "2.0"]),
        np.array([b"1", b"2"]),
        np.array([1.0, None], dtype=object),
        np.array([True, False]),
        np.array([1 + 2j, 3 + 0j]),
        np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[D]"),
    ],
    ids=["str", "bytes", "object", "bool", "complex", "datetime64"],
)
@pytest.mark.parametrize("name", list(OUTPUT_FIELDS))
def test_kernels_rejects_non_numeric_arrays(values: np.ndarray, name: str) -> None:
    with pytest.raises(TypeError, match=r"`values`.*numeric"):
        getattr(nse.kernels, name)(values)


@pytest.mark.parametrize("name", list(OUTPUT_FIELDS))
def test_kernels_empty_input(name: str) -> None:
    for values in (np.array([], dtype=np.float64), np.array([], dtype=np.int32)):
        out = getattr(nse.kernels, name)(values)
        outputs = out if isinstance(out, tuple) else (out,)
        assert len(outputs) == len(OUTPUT_FIELDS[name])
        for o in outputs:
            assert isinstance(o, np.ndarray)
            assert o.shape == (0,)
            assert o.dtype == np.float64
    for values in (
        pa.array([], pa.float64()),
        pa.chunked_array([], pa.float64()),
        pl.Series([], dtype=pl.Float64),
    ):
        out = getattr(nse.kernels, name)(values)
        outputs = out if isinstance(out, tuple) else (out,)
        for o in outputs:
            assert isinstance(o, pa.Array)
            assert len(o) == 0


def test_kernels_numpy_layouts() -> None:
    """Strided, non-contiguous, big-endian, float32 and int inputs equal the float64 result."""
    x = 100.0 + np.sin(np.arange(400.0)) * 5
    want = nse.kernels.bbands(x[::2].copy(), 10)
    for values in (x[::2], x.astype(">f8")[::2], np.asfortranarray(x[::2])):
        got = nse.kernels.bbands(values, 10)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
    xi = np.arange(300, dtype=np.int16) % 17
    np.testing.assert_array_equal(nse.kernels.rsi(xi, 5), nse.kernels.rsi(xi.astype(float), 5))
    xf = x.astype(np.float32)
    np.testing.assert_array_equal(nse.kernels.sma(xf, 5), nse.kernels.sma(xf.astype(np.float64), 5))


def test_kernels_do_not_modify_their_input() -> None:
    x = 100.0 + np.arange(100.0)
    x[[3, 50]] = np.nan
    before = x.copy()
    nse.kernels.macd(x)
    nse.kernels.bbands(x, 5)
    np.testing.assert_array_equal(x, before)


# --- the process never crashes ----------------------------------------------------------------


def test_bad_inputs_never_crash_the_process(tmp_path: Path) -> None:
    """Every bad input in one child process: each raises a Python exception; exit code 0."""
    script = textwrap.dedent(
        r"""
        import datetime as dt
        import numpy as np, polars as pl, pyarrow as pa
        import nse_polars as nse

        raised = calls = 0
        def expect(f):
            global raised, calls
            calls += 1
            try:
                f()
            except Exception:
                raised += 1
                return
            raise SystemExit(f"no exception from {f}")

        for p in (0, -1, 14.5, True, "14", None, 2**70, -2**63, 2**63, float("inf")):
            expect(lambda: nse.sma("x", p))
            expect(lambda: nse.kernels.rsi(np.ones(10), p))
        expect(lambda: nse.macd("x", 5, 5, 1))
        expect(lambda: nse.bbands("x", 5, float("nan")))
        expect(lambda: nse.ema("x", 5, seed="x"))
        for s in (pl.Series(["a"] * 5), pl.Series([dt.date(2024, 1, 1)] * 5),
                  pl.Series([[1.0]] * 5), pl.Series([{"a": 1}] * 5), pl.Series([b"a"] * 5)):
            expect(lambda: s.to_frame("c").select(nse.overlay("c")))
            expect(lambda: s.to_frame("c").lazy().select(nse.macd("c")).collect())
            expect(lambda: nse.kernels.macd(s))
            expect(lambda: nse.kernels.bbands(s.to_arrow()))
        for a in (np.ones((2, 2)), np.array(["a"]), np.array([None], dtype=object),
                  np.float64(1.0), object(), "abc", [[1.0], [2.0, 3.0]], {"a": 1}):
            expect(lambda: nse.kernels.sma(a, 2))
        # Degenerate but valid: no exception, all null.
        for s in (pl.Series([], dtype=pl.Float64), pl.Series([None] * 3),
                  pl.Series([float("nan")] * 3), pl.Series([float("inf"), 1.0, -float("inf")])):
            out = s.to_frame("c").select(nse.overlay("c")).unnest("c")
            assert out.height == len(s)
        out = nse.kernels.bbands(np.array([1e308, -1e308, 1e308, np.inf]), 2)
        print("raised", raised, "of", calls)
        """
    )
    # cwd: not the repository root, whose nse_polars/ (no compiled _core) would shadow the
    # installed package.
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert proc.returncode == 0, f"rc={proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    assert proc.stdout.strip() == "raised 51 of 51"


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_non_finite_values_are_missing_values(bad: float) -> None:
    """+/-inf is treated like NaN and null (documented): the row comes out null and the
    indicator runs over the finite rows, so SMA(2) of (1, inf, 3, 5) is null, null, 2, 4 --
    never an inf or NaN value in a Polars column."""
    out = pl.DataFrame({"close": [1.0, bad, 3.0, 5.0]}).select(nse.sma("close", 2)).to_series()
    assert out.to_list() == [None, None, 2.0, 4.0]
    bands = pl.DataFrame({"close": [1.0, bad, 3.0, 5.0]}).select(nse.bbands("close", 2, 1.0))
    assert bands.unnest("close").row(3) == (5.0, 4.0, 3.0)
    assert bands.unnest("close").row(1) == (None, None, None)


def _multi_input_names() -> list[str]:
    from indicator_table import INDICATORS

    return sorted(name for name, d in INDICATORS.items() if len(d["inputs"]) > 1)


@pytest.mark.parametrize("name", _multi_input_names())
@pytest.mark.parametrize("pattern", ["all", "every 3rd", "runs"])
def test_one_input_missing_gives_null_rows(name: str, pattern: str) -> None:
    """One input NaN (entirely, at every third row, or in runs) while the others are finite:
    those rows are null and nothing reads outside its buffers (under .ci/sanitize, AROON's
    first pass over the NaN read past its lookup table: positions went stale)."""
    from indicator_table import INDICATORS, run_numpy

    n = 64
    rng = np.random.default_rng(7)
    base = 100.0 + np.cumsum(rng.normal(0.0, 1.0, n))
    inputs = {}
    for role in INDICATORS[name]["inputs"]:
        if role == "high":
            inputs[role] = base + 1.0
        elif role == "low":
            inputs[role] = base - 1.0
        elif role == "volume":
            inputs[role] = rng.uniform(1e3, 1e4, n)
        else:
            inputs[role] = base.copy()
    first = INDICATORS[name]["inputs"][0]
    missing = {
        "all": np.ones(n, dtype=bool),
        "every 3rd": np.arange(n) % 3 == 0,
        "runs": (np.arange(n) // 7) % 2 == 1,
    }[pattern]
    inputs[first] = np.where(missing, np.nan, inputs[first])
    for out in run_numpy(inputs, name, {}):
        assert len(out) == n
        assert np.isnan(out[missing]).all()
