"""The five indicators (and every overlay column) against TA-Lib, to 1e-9 relative.

Every door is checked: the Polars expression (``nse_polars.sma``), the Expr namespace
(``pl.col(...).nse.sma``), and the kernels door with numpy and with pyarrow input.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from conftest import (
    OUTPUT_FIELDS,
    assert_matches,
    ema_first_reference,
    lookback,
    random_walk,
    real_5min_closes,
    real_5min_files,
    struct_fields,
    talib_reference,
)

import nse_polars as nse

SPECS: list[tuple[str, dict[str, Any]]] = [
    *[("sma", {"period": p}) for p in (2, 5, 14, 20, 50)],
    *[("ema", {"period": p}) for p in (2, 5, 14, 20, 50)],
    *[("rsi", {"period": p}) for p in (2, 5, 14, 20, 50)],
    *[
        ("macd", {"fast": f, "slow": s, "signal": g})
        for f, s, g in ((12, 26, 9), (5, 35, 5), (3, 10, 16))
    ],
    *[("bbands", {"period": p, "num_std": k}) for p in (2, 5, 20, 50) for k in (1.0, 2.0, 2.5)],
]
SPEC_IDS = [f"{name}-" + "-".join(str(v) for v in params.values()) for name, params in SPECS]

DOORS = ("expr", "namespace", "numpy", "arrow")
SHORT_LENGTHS = ("0", "1", "lookback", "lookback+1", "1000")


def _length(code: str, lb: int) -> int:
    if code == "lookback":
        return lb
    if code == "lookback+1":
        return lb + 1
    return int(code)


def run_door(door: str, name: str, x: np.ndarray, params: dict[str, Any]) -> list[Any]:
    """The outputs of indicator `name` on `x` through one door, as a list (one per output)."""
    if door in ("expr", "namespace"):
        expr = (
            getattr(nse, name)("close", **params)
            if door == "expr"
            else getattr(pl.col("close").nse, name)(**params)
        )
        out = pl.DataFrame({"close": x}).select(expr).to_series()
        assert out.name == "close"
        assert len(out) == len(x)
        if name in ("macd", "bbands"):
            assert out.dtype == pl.Struct({f: pl.Float64 for f in OUTPUT_FIELDS[name]})
        else:
            assert out.dtype == pl.Float64
        return struct_fields(out)
    if door == "numpy":
        result = getattr(nse.kernels, name)(x, **params)
        outputs = list(result) if isinstance(result, tuple) else [result]
        for o in outputs:
            assert isinstance(o, np.ndarray)
            assert o.dtype == np.float64
        return outputs
    if door == "arrow":
        result = getattr(nse.kernels, name)(pa.array(x), **params)
        outputs = list(result) if isinstance(result, tuple) else [result]
        for o in outputs:
            assert isinstance(o, pa.Array)
            assert o.type == pa.float64()
        return outputs
    raise KeyError(door)


def check_against_talib(
    door: str,
    name: str,
    x: np.ndarray,
    params: dict[str, Any],
    expected: tuple[np.ndarray, ...] | None = None,
) -> None:
    if expected is None:
        expected = talib_reference(name, x, **params)
    outputs = run_door(door, name, x, params)
    assert len(outputs) == len(OUTPUT_FIELDS[name])
    lb = lookback(name, params)
    for field, got, want in zip(OUTPUT_FIELDS[name], outputs, expected, strict=True):
        assert_matches(got, want, label=f"{door} {name}{params} {field} n={len(x)}")
        # The documented warm-up, independently of TA-Lib.
        got_np = np.asarray(pl.Series(got).to_numpy() if not isinstance(got, np.ndarray) else got)
        n_null = int(np.isnan(got_np).sum())
        assert n_null == min(lb, len(x)), f"{field}: {n_null} nulls, expected {min(lb, len(x))}"


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("length", SHORT_LENGTHS)
@pytest.mark.parametrize(("name", "params"), SPECS, ids=SPEC_IDS)
def test_vs_talib(door: str, length: str, name: str, params: dict[str, Any]) -> None:
    n = _length(length, lookback(name, params))
    x = random_walk(n, seed=1000 + n)
    check_against_talib(door, name, x, params)


@pytest.mark.parametrize(("name", "params"), SPECS, ids=SPEC_IDS)
def test_vs_talib_one_million(name: str, params: dict[str, Any]) -> None:
    """1_000_003 rows through every door (TA-Lib computed once)."""
    x = random_walk(1_000_003, seed=7)
    expected = talib_reference(name, x, **params)
    for door in DOORS:
        check_against_talib(door, name, x, params, expected)


def test_talib_reference_agrees_with_hand_worked_values() -> None:
    """The oracle itself, on the docstring examples (so a broken oracle cannot pass silently)."""
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(talib_reference("sma", x, period=3)[0], [np.nan, np.nan, 2, 3, 4])
    # Changes +1, -1, +1, +1; first averages G = L = 1/2 (RSI 50); then Wilder:
    # G = (1/2 + 1)/2 = 3/4, L = 1/4 (75); G = (3/4 + 1)/2 = 7/8, L = 1/8 (87.5).
    rsi = talib_reference("rsi", np.array([1.0, 2.0, 1.0, 2.0, 3.0]), period=2)[0]
    np.testing.assert_allclose(rsi[2:], [50.0, 75.0, 87.5], rtol=1e-12)
    # MACD(2, 3, 2) on 1, 2, 4, 8, 16 by hand (see test_hand_worked_docstring_examples).
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    m, s, h = talib_reference("macd", x, fast=2, slow=3, signal=2)
    np.testing.assert_allclose(m[3:], [7 / 6, 79 / 36], rtol=1e-12)
    np.testing.assert_allclose(s[3:], [11 / 12, 191 / 108], rtol=1e-12)
    np.testing.assert_allclose(h[3:], [1 / 4, 46 / 108], rtol=1e-12)
    up, mid, lo = talib_reference("bbands", np.array([1.0, 3.0, 5.0]), period=2, num_std=1.0)
    np.testing.assert_array_equal(up, [np.nan, 3.0, 5.0])
    np.testing.assert_array_equal(mid, [np.nan, 2.0, 4.0])
    np.testing.assert_array_equal(lo, [np.nan, 1.0, 3.0])


def test_hand_worked_docstring_examples() -> None:
    """The inputs of the docstring examples, with results computed by hand."""
    df = pl.DataFrame({"close": [1.0, 2.0, 3.0, 4.0, 5.0]})
    assert df.select(nse.sma("close", 3)).to_series().to_list() == [None, None, 2.0, 3.0, 4.0]
    assert pl.DataFrame({"close": [1.0, 2.0, 3.0, 4.0]}).select(
        nse.ema("close", 3)
    ).to_series().to_list() == [None, None, 2.0, 3.0]
    rsi = pl.DataFrame({"close": [1.0, 2.0, 1.0, 2.0, 3.0]}).select(nse.rsi("close", 2))
    assert_matches(rsi.to_series(), [np.nan, np.nan, 50.0, 75.0, 87.5], rtol=1e-14)
    macd = pl.DataFrame({"close": [1.0, 2.0, 4.0, 8.0, 16.0]}).select(nse.macd("close", 2, 3, 2))
    # Row 2: slow EMA(3) seeded with mean(1, 2, 4) = 7/3, fast EMA(2) with mean(2, 4) = 3
    # (bars slow-fast .. slow-1), macd line 2/3 (not output: before the lookback of 3).
    # Row 3: fast = 3 + (8 - 3) 2/3 = 19/3, slow = 7/3 + (8 - 7/3)/2 = 31/6, macd = 7/6;
    # signal seeded with mean(2/3, 7/6) = 11/12, hist = 1/4.
    # Row 4: fast = 115/9, slow = 127/12, macd = 79/36; signal = 11/12 + (79/36 - 11/12) 2/3
    # = 191/108; hist = 46/108.
    fields = macd.unnest("close")
    nan = np.nan
    assert_matches(fields["macd"], [nan, nan, nan, 7 / 6, 79 / 36], rtol=1e-14)
    assert_matches(fields["signal"], [nan, nan, nan, 11 / 12, 191 / 108], rtol=1e-14)
    assert_matches(fields["hist"], [nan, nan, nan, 1 / 4, 46 / 108], rtol=1e-14)
    bb = pl.DataFrame({"close": [1.0, 3.0, 5.0]}).select(nse.bbands("close", 2, 1.0))
    bb = bb.unnest("close")
    assert bb.to_dict(as_series=False) == {
        "upper": [None, 3.0, 5.0],
        "middle": [None, 2.0, 4.0],
        "lower": [None, 1.0, 3.0],
    }


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("period", [1, 2, 5, 20])
@pytest.mark.parametrize("n", [0, 1, 2, 50, 1000])
def test_ema_seed_first(door: str, period: int, n: int) -> None:
    """seed="first": lookback 0, e[0] = x[0], then the TA-Lib recurrence."""
    x = random_walk(n, seed=n + period)
    outputs = run_door(door, "ema", x, {"period": period, "seed": "first"})
    assert_matches(outputs[0], ema_first_reference(x, period), rtol=1e-12)


def test_ema_seed_first_converges_to_talib() -> None:
    """Both seeds follow the same recurrence, so their difference decays by (1-k) per row."""
    x = random_walk(2000, seed=3)
    first = nse.kernels.ema(x, 10, seed="first")
    sma_seeded = nse.kernels.ema(x, 10)
    np.testing.assert_allclose(first[-100:], sma_seeded[-100:], rtol=1e-12)
    assert first[9] != sma_seeded[9]


# --- overlay ----------------------------------------------------------------------------------

OVERLAYS: list[dict[str, Any]] = [
    {},
    {"sma": 5, "ema": 50, "rsi": 2, "macd": (3, 10, 16), "bbands": (14, 2.5)},
    {"sma": 2, "ema": 2, "rsi": 30, "macd": (5, 35, 5), "bbands": (2, 1.0)},
]


def overlay_expected(x: np.ndarray, o: dict[str, Any]) -> dict[str, np.ndarray]:
    sma_p = o.get("sma", 20)
    ema_p = o.get("ema", 20)
    rsi_p = o.get("rsi", 14)
    f, s, g = o.get("macd", (12, 26, 9))
    bp, bk = o.get("bbands", (20, 2.0))
    m = talib_reference("macd", x, fast=f, slow=s, signal=g)
    b = talib_reference("bbands", x, period=bp, num_std=bk)
    return {
        f"sma_{sma_p}": talib_reference("sma", x, period=sma_p)[0],
        f"ema_{ema_p}": talib_reference("ema", x, period=ema_p)[0],
        f"rsi_{rsi_p}": talib_reference("rsi", x, period=rsi_p)[0],
        "macd": m[0],
        "macd_signal": m[1],
        "macd_hist": m[2],
        "bb_upper": b[0],
        "bb_middle": b[1],
        "bb_lower": b[2],
    }


def overlay_door(door: str, x: np.ndarray, o: dict[str, Any]) -> pl.DataFrame:
    df = pl.DataFrame({"close": x})
    if door == "expr":
        return df.select(nse.overlay("close", **o)).unnest("close")
    if door == "namespace":
        return df.select(pl.col("close").nse.overlay(**o)).unnest("close")
    if door == "frame":
        return df.nse.overlay(**o).drop("close")
    if door == "lazy":
        return df.lazy().nse.overlay("close", **o).collect().drop("close")
    raise KeyError(door)


# The 1M-row case runs through the expr and lazy doors only (time budget).
OVERLAY_RUNS = [
    (door, n)
    for n in (0, 1, 33, 34, 60, 1000, 1_000_003)
    for door in ("expr", "namespace", "frame", "lazy")
    if n < 1_000_000 or door in ("expr", "lazy")
]


@pytest.mark.parametrize(("door", "n"), OVERLAY_RUNS, ids=[f"{d}-{n}" for d, n in OVERLAY_RUNS])
@pytest.mark.parametrize("o", OVERLAYS, ids=["default", "mixed", "extreme"])
def test_overlay_vs_talib(door: str, n: int, o: dict[str, Any]) -> None:
    x = random_walk(n, seed=11 + n)
    got = overlay_door(door, x, o)
    expected = overlay_expected(x, o)
    assert got.columns == nse.overlay_columns(**o) == list(expected)
    assert got.height == n
    for column, want in expected.items():
        assert got.schema[column] == pl.Float64
        assert_matches(got[column], want, label=f"overlay {door} {column} n={n}")


# --- real data --------------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.skipif(not real_5min_files(), reason="../shared/data/nse-fo-5min absent")
def test_real_5min_all_symbols_vs_talib() -> None:
    """Every nse-fo-5min symbol, the close column as stored (file order), all five indicators."""
    started = time.perf_counter()
    failures: list[str] = []
    n_symbols = 0
    for symbol, close in real_5min_closes():
        n_symbols += 1
        out = pl.DataFrame({"close": close}).select(
            nse.sma("close", 20).alias("sma"),
            nse.ema("close", 20).alias("ema"),
            nse.rsi("close", 14).alias("rsi"),
            nse.macd("close", 12, 26, 9).alias("macd"),
            nse.bbands("close", 20, 2.0).alias("bbands"),
        )
        checks = [
            ("sma", out["sma"], talib_reference("sma", close, period=20)[0]),
            ("ema", out["ema"], talib_reference("ema", close, period=20)[0]),
            ("rsi", out["rsi"], talib_reference("rsi", close, period=14)[0]),
        ]
        m = talib_reference("macd", close, fast=12, slow=26, signal=9)
        for field, want in zip(("macd", "signal", "hist"), m, strict=True):
            checks.append((f"macd.{field}", out["macd"].struct.field(field), want))
        b = talib_reference("bbands", close, period=20, num_std=2.0)
        for field, want in zip(("upper", "middle", "lower"), b, strict=True):
            checks.append((f"bbands.{field}", out["bbands"].struct.field(field), want))
        for label, got, want in checks:
            try:
                assert_matches(got, want, label=f"{symbol} {label} (n={len(close)})")
            except AssertionError as exc:
                failures.append(str(exc))
    assert n_symbols == len(real_5min_files()) > 0
    assert not failures, (
        f"{len(failures)} mismatches in {time.perf_counter() - started:.1f} s:\n"
        + "\n".join(failures[:20])
    )


def test_docstring_examples() -> None:
    """The Examples sections of nse_polars.functions run as doctests (they are documentation)."""
    import doctest

    import nse_polars.functions

    with pl.Config(tbl_rows=20):
        result = doctest.testmod(nse_polars.functions, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples fail"
