"""The price family (nse_polars.price_indicators) against TA-Lib, exact rational oracles and
worked examples; properties (length, warm-up, null rule, truncation) with hypothesis.

TA-Lib as an oracle: values within 1e-9 relative, or within TA-Lib's own rounding where an
output is a small difference of prices (APO near 0, a slope near 0, a variance): TA-Lib keeps
running sums of raw prices, whose rounding is ~1e-16 of the price level times the window, so
those rows get an absolute floor of 1e-11 times the largest |price| (the exact-oracle tests
below hold the library to 1e-9 relative without any floor).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
import talib
from conftest import random_walk, real_5min_closes, real_5min_files
from hypothesis import given, settings
from hypothesis import strategies as st

import nse_polars as nse
from nse_polars import _core

MA_NUM = {"sma": 0, "ema": 1, "wma": 2, "dema": 3, "tema": 4, "trima": 5, "kama": 6, "t3": 8}


def talib_call(name: str, x: np.ndarray, p: dict[str, Any]) -> list[np.ndarray]:
    """TA-Lib's outputs for our name and parameters (None where TA-Lib has no such function)."""
    simple = {
        "wma": talib.WMA, "dema": talib.DEMA, "tema": talib.TEMA, "trima": talib.TRIMA,
        "kama": talib.KAMA, "roc": talib.ROC, "rocp": talib.ROCP, "rocr": talib.ROCR,
        "rocr100": talib.ROCR100, "mom": talib.MOM, "cmo": talib.CMO, "trix": talib.TRIX,
        "midpoint": talib.MIDPOINT, "linearreg": talib.LINEARREG,
        "linearreg_slope": talib.LINEARREG_SLOPE, "linearreg_intercept": talib.LINEARREG_INTERCEPT,
        "linearreg_angle": talib.LINEARREG_ANGLE, "tsf": talib.TSF,
    }  # fmt: skip
    if name in simple:
        return [simple[name](x, p["period"])]
    if name == "t3":
        return [talib.T3(x, p["period"], p.get("vfactor", 0.7))]
    if name == "stddev":
        return [talib.STDDEV(x, p["period"], p.get("nbdev", 1.0))]
    if name == "var":
        return [talib.VAR(x, p["period"])]
    if name in ("apo", "ppo"):
        fn = talib.APO if name == "apo" else talib.PPO
        return [fn(x, p["fast"], p["slow"], MA_NUM[p.get("ma_type", "sma")])]
    if name == "stochrsi":
        return list(
            talib.STOCHRSI(
                x,
                p["period"],
                p["fastk_period"],
                p["fastd_period"],
                MA_NUM[p.get("ma_type", "sma")],
            )
        )
    raise KeyError(name)


SPECS: list[tuple[str, dict[str, Any]]] = [
    *[(n, {"period": q}) for n in ("wma", "dema", "tema", "trima", "kama") for q in (1, 2, 7, 30)],
    *[("t3", {"period": q, "vfactor": v}) for q, v in ((1, 0.7), (2, 0.0), (5, 0.7), (9, 1.0))],
    *[("stddev", {"period": q, "nbdev": k}) for q, k in ((2, 1.0), (5, 2.0), (20, -1.5))],
    *[("var", {"period": q}) for q in (1, 2, 5, 20)],
    *[(n, {"period": q}) for n in ("roc", "rocp", "rocr", "rocr100", "mom") for q in (1, 10)],
    *[("cmo", {"period": q}) for q in (2, 14)],
    *[("trix", {"period": q}) for q in (1, 2, 15)],
    *[("midpoint", {"period": q}) for q in (2, 14, 33)],
    *[
        (n, {"period": q})
        for n in ("linearreg", "linearreg_slope", "linearreg_intercept", "linearreg_angle", "tsf")
        for q in (2, 14, 31)
    ],
    *[
        (n, {"fast": f, "slow": s, "ma_type": m})
        for n in ("apo", "ppo")
        for f, s in ((2, 3), (12, 26))
        for m in MA_NUM
    ],
    *[
        ("stochrsi", {"period": a, "fastk_period": b, "fastd_period": c, "ma_type": m})
        for a, b, c in ((14, 5, 3), (2, 1, 1), (5, 3, 4))
        for m in MA_NUM
    ],
]
IDS = [f"{n}-" + "-".join(str(v) for v in p.values()) for n, p in SPECS]
FIELDS = {"stochrsi": ("fastk", "fastd")}


def lookback(name: str, params: dict[str, Any]) -> int:
    return int(_core.lookback(name, params))


def ours(door: str, name: str, x: np.ndarray, params: dict[str, Any]) -> list[np.ndarray]:
    if door == "numpy":
        r = getattr(nse.kernels, name)(x, **params)
        return list(r) if isinstance(r, tuple) else [r]
    if door == "arrow":
        r = getattr(nse.kernels, name)(pa.array(x), **params)
        rs = list(r) if isinstance(r, tuple) else [r]
        return [pl.Series(a).to_numpy().astype(float) for a in rs]
    expr = (
        getattr(nse, name)("close", **params)
        if door == "expr"
        else getattr(pl.col("close").nse, name)(**params)
    )
    s = pl.DataFrame({"close": x}).select(expr).to_series()
    assert len(s) == len(x)
    if s.dtype == pl.Struct:
        assert [f.name for f in s.dtype.fields] == list(FIELDS[name])
        return [s.struct.field(f).to_numpy().astype(float) for f in FIELDS[name]]
    assert s.dtype == pl.Float64
    return [s.to_numpy().astype(float)]


def assert_close(got: np.ndarray, want: np.ndarray, scale: float, label: str) -> None:
    assert got.shape == want.shape, label
    gn, wn = np.isnan(got), np.isnan(want)
    assert np.array_equal(gn, wn), f"{label}: nulls at {np.flatnonzero(gn != wn)[:10]}"
    ok = ~wn
    err = np.abs(got[ok] - want[ok])
    tol = np.maximum(1e-9 * np.abs(want[ok]), 1e-11 * max(scale, 1.0))
    bad = ~(err <= tol)
    assert not bad.any(), (
        f"{label}: {bad.sum()} rows differ, first {np.flatnonzero(ok)[bad][:5]}, "
        f"worst err {err[bad].max():.3e}"
    )


def check_vs_talib(door: str, name: str, x: np.ndarray, params: dict[str, Any]) -> None:
    lb = lookback(name, params)
    want = (
        talib_call(name, x, params)
        if len(x) > lb
        else [np.full(len(x), np.nan)] * len(FIELDS.get(name, "x"))
    )
    got = ours(door, name, x, params)
    scale = float(np.max(np.abs(x))) if len(x) else 1.0
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert_close(g, w, scale, f"{door} {name}{params} out{k} n={len(x)}")
        assert int(np.isnan(g).sum()) == min(lb, len(x))


@pytest.mark.parametrize(("name", "params"), SPECS, ids=IDS)
def test_vs_talib_odd_lengths(name: str, params: dict[str, Any]) -> None:
    lb = lookback(name, params)
    for i, n in enumerate((0, 1, lb, lb + 1, 1001)):
        x = random_walk(n, seed=100 + n)
        check_vs_talib(("numpy", "expr", "namespace", "arrow", "numpy")[i], name, x, params)


def test_vs_talib_long() -> None:
    """100,003 rows, every spec, through the numpy door. TA-Lib's TRIMA (and so APO/PPO with
    ma_type="trima") drifts over long series (running sums: ~1e-8 after 1e5 rows): those are
    checked against an exact convolution instead (test_trima_long_vs_convolution)."""
    x = random_walk(100_003, seed=5)
    for name, params in SPECS:
        if params.get("ma_type") == "trima":
            continue
        check_vs_talib("numpy", name, x, params)


def test_trima_long_vs_convolution() -> None:
    x = random_walk(100_003, seed=5)
    exact = np.convolve(x, np.array([1.0, 2.0, 1.0]) / 4, mode="valid")
    assert np.max(np.abs(nse.kernels.trima(x, 3)[2:] - exact)) < 1e-12
    assert np.max(np.abs(talib.TRIMA(x, 3)[2:] - exact)) > 1e-10  # the drift we avoid
    apo = nse.kernels.apo(x, 2, 3, "trima")
    fast = np.convolve(x, np.array([0.5, 0.5]), mode="valid")[1:]
    assert np.max(np.abs(apo[2:] - (fast - exact))) < 1e-11


@pytest.mark.realdata
@pytest.mark.skipif(not real_5min_files(), reason="../shared/data/nse-fo-5min absent")
def test_real_5min_all_symbols_vs_talib() -> None:
    chosen = [
        ("wma", {"period": 30}), ("dema", {"period": 30}), ("tema", {"period": 30}),
        ("trima", {"period": 30}), ("kama", {"period": 30}), ("t3", {"period": 5}),
        ("stddev", {"period": 20}), ("var", {"period": 5}), ("roc", {"period": 10}),
        ("mom", {"period": 10}), ("cmo", {"period": 14}), ("trix", {"period": 30}),
        ("midpoint", {"period": 14}), ("linearreg", {"period": 14}),
        ("linearreg_slope", {"period": 14}), ("tsf", {"period": 14}),
        ("apo", {"fast": 12, "slow": 26, "ma_type": "ema"}),
        ("ppo", {"fast": 12, "slow": 26, "ma_type": "sma"}),
        ("stochrsi", {"period": 14, "fastk_period": 5, "fastd_period": 3}),
    ]  # fmt: skip
    n_symbols = 0
    for _symbol, close in real_5min_closes():
        x = close[~np.isnan(close)]
        for name, params in chosen:
            if name == "stochrsi":
                check_stochrsi_real(x)
            else:
                check_vs_talib("numpy", name, x, params)
        n_symbols += 1
    assert n_symbols == len(real_5min_files()) > 0


def check_stochrsi_real(x: np.ndarray) -> None:
    """fastk is 0/0 where the RSI is flat over the window (prices unchanged for fastk_period
    bars): TA-Lib's RSI is then bitwise constant or not depending on the last bit of its
    rounding, and fastk jumps between 0 and 100. Such rows (RSI range below 1e-9) are skipped;
    every other row must match."""
    k_want, d_want = talib.STOCHRSI(x, 14, 5, 3, 0)
    k_got, d_got = nse.kernels.stochrsi(x, 14, 5, 3)
    rsi = np.nan_to_num(talib.RSI(x, 14), nan=-1e9)  # warm-up rows: never "flat"
    w = np.lib.stride_tricks.sliding_window_view(rsi, 5)  # the fastk windows
    flat_k = np.zeros(len(x), dtype=bool)
    flat_k[4:] = (w.max(axis=1) - w.min(axis=1)) < 1e-9
    flat = flat_k.copy()  # fastd averages the last 3 fastk values
    flat[1:] |= flat_k[:-1]
    flat[2:] |= flat_k[:-2]
    keep = ~flat
    assert_close(k_got[keep], k_want[keep], 100.0, "stochrsi fastk")
    assert_close(d_got[keep], d_want[keep], 100.0, "stochrsi fastd")
    assert flat.mean() < 0.25  # a guard against masking everything (illiquid symbols: ~7 %)


# --- exact oracles ------------------------------------------------------------------------


def near_1e8(n: int = 400, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 1e8 + np.cumsum(rng.normal(0.0, 1e-2, n))
    x[150:190] = x[150]  # a flat stretch: variance exactly 0
    return x


def regime_change(seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    high = 1e9 + np.cumsum(rng.normal(0.0, 1e3, 250))
    low = 1.0 + np.cumsum(rng.normal(0.0, 1e-2, 250))
    return np.concatenate([high, low])


def exact_windows(x: np.ndarray, p: int) -> dict[str, list[Fraction | None]]:
    """Two-pass exact statistics of every window, in rationals on the same doubles."""
    fx = [Fraction(float(v)) for v in x]
    out: dict[str, list[Fraction | None]] = {
        k: [None] * len(x) for k in ("mean", "var", "slope", "value", "dev", "wma")
    }
    ubar = Fraction(p - 1, 2)
    suu = sum((Fraction(u) - ubar) ** 2 for u in range(p))
    wsum = Fraction(p * (p + 1), 2)
    for t in range(p - 1, len(x)):
        w = fx[t - p + 1 : t + 1]
        mean = sum(w, Fraction(0)) / p
        var = sum(((v - mean) ** 2 for v in w), Fraction(0)) / p
        slope = sum(((Fraction(u) - ubar) * (v - mean) for u, v in enumerate(w)), Fraction(0)) / suu
        out["mean"][t], out["var"][t], out["slope"][t] = mean, var, slope
        out["value"][t] = mean + slope * ubar
        out["dev"][t] = w[-1] - mean
        out["wma"][t] = sum((Fraction(i + 1) * v for i, v in enumerate(w)), Fraction(0)) / wsum
    return out


def rel_err(got: float, exact: Fraction) -> float:
    e = float(exact)
    return abs(got - e) / abs(e) if e != 0 else abs(got)


@pytest.mark.parametrize("series", ["near_1e8", "regime_change"])
@pytest.mark.parametrize("period", [5, 20])
def test_rolling_statistics_vs_exact(series: str, period: int) -> None:
    x = near_1e8() if series == "near_1e8" else regime_change()
    ex = exact_windows(x, period)
    var = nse.kernels.var(x, period)
    std = nse.kernels.stddev(x, period, 2.0)
    z = nse.kernels.zscore(x, period)
    slope = nse.kernels.linearreg_slope(x, period)
    value = nse.kernels.linearreg(x, period)
    wma = nse.kernels.wma(x, period)
    worst: dict[str, float] = {}
    for t in range(period - 1, len(x)):
        v = ex["var"][t]
        checks = {
            "var": rel_err(var[t], v),
            "slope": rel_err(slope[t], ex["slope"][t]),
            "linearreg": rel_err(value[t], ex["value"][t]),
            "wma": rel_err(wma[t], ex["wma"][t]),
        }
        if v == 0:
            assert std[t] == 0.0 and z[t] == 0.0 and var[t] == 0.0, f"row {t}: flat window"
        else:
            checks["stddev"] = rel_err(std[t], Fraction(2) * Fraction(math.sqrt(float(v))))
            exact_z = float(ex["dev"][t]) / math.sqrt(float(v))
            checks["zscore"] = abs(z[t] - exact_z) / max(abs(exact_z), 1e-300)
        for k, e in checks.items():
            worst[k] = max(worst.get(k, 0.0), e)
    assert all(e <= 1e-9 for e in worst.values()), f"{series}: worst rel errors {worst}"


# --- functions TA-Lib lacks -----------------------------------------------------------------


def wma_np(x: np.ndarray, p: int) -> np.ndarray:
    w = np.arange(1, p + 1, dtype=float)
    out = np.full(len(x), np.nan)
    if len(x) >= p:
        out[p - 1 :] = np.convolve(x, w[::-1] / w.sum(), mode="valid")
    return out


@pytest.mark.parametrize("period", [2, 3, 4, 9, 16, 17, 20])
def test_hma_vs_numpy_definition(period: int) -> None:
    """WMA(2 WMA(x, p // 2) - WMA(x, p), isqrt(p)); lookback p - 1 + isqrt(p) - 1."""
    x = random_walk(500, seed=period)
    half, root = period // 2, math.isqrt(period)
    d = 2 * wma_np(x, half) - wma_np(x, period)
    want = np.full(len(x), np.nan)
    want[period - 1 :] = wma_np(d[period - 1 :], root)
    got = nse.kernels.hma(x, period)
    assert lookback("hma", {"period": period}) == period - 1 + root - 1
    assert_close(got, want, 100.0, f"hma {period}")


def test_zscore_worked_example() -> None:
    x = np.array([1.0, 2.0, 3.0, 3.0, 3.0, 7.0])
    z = nse.kernels.zscore(x, 3)
    # windows: (1,2,3): (3-2)/sqrt(2/3); (2,3,3): (3-8/3)/(sqrt(2)/3); (3,3,3): 0;
    # (3,3,7): mean 13/3, var 32/9: (7-13/3)/(sqrt(32)/3) = 8/sqrt(32) = sqrt(2).
    want = [np.nan, np.nan, 1 / math.sqrt(2 / 3), (1 / 3) / (math.sqrt(2) / 3), 0.0, math.sqrt(2)]
    np.testing.assert_allclose(z, want, rtol=1e-14)


# --- properties -----------------------------------------------------------------------------

PROP_SPECS = [
    ("wma", {"period": 4}), ("dema", {"period": 3}), ("t3", {"period": 3}),
    ("kama", {"period": 4}), ("var", {"period": 3}), ("zscore", {"period": 4}),
    ("midpoint", {"period": 3}), ("linearreg_slope", {"period": 4}), ("tsf", {"period": 3}),
    ("cmo", {"period": 3}), ("trix", {"period": 2}), ("hma", {"period": 5}),
    ("ppo", {"fast": 2, "slow": 4, "ma_type": "ema"}),
    ("stochrsi", {"period": 3, "fastk_period": 3, "fastd_period": 2, "ma_type": "ema"}),
]  # fmt: skip

values = st.lists(
    st.one_of(st.none(), st.floats(1.0, 1000.0), st.just(float("nan"))), min_size=0, max_size=60
)


@settings(max_examples=40, deadline=None)
@given(values)
def test_properties(vals: list[float | None]) -> None:
    for name, params in PROP_SPECS:
        x = np.array([np.nan if v is None else v for v in vals], dtype=float)
        mask = ~np.isnan(x)
        compact = x[mask]
        full = ours("numpy", name, x, params)
        dense = ours("numpy", name, compact, params)
        lb = lookback(name, params)
        for f, d in zip(full, dense, strict=True):
            assert len(f) == len(x)
            # null rule: computed on the valid rows, scattered back; missing rows null
            assert np.all(np.isnan(f[~mask]))
            np.testing.assert_array_equal(f[mask], d)
            assert int(np.isnan(d).sum()) == min(lb, len(d))
        # truncation (slicing) never changes earlier values; chunked input gives the same
        if len(x) > 2:
            cut = len(x) // 2
            for f, g in zip(full, ours("numpy", name, x[:cut], params), strict=True):
                np.testing.assert_array_equal(f[:cut], g)
            s = pl.concat([pl.Series("close", x[:cut]), pl.Series("close", x[cut:])], rechunk=False)
            s = s.fill_nan(None)
            chunked = pl.DataFrame({"close": s}).select(getattr(nse, name)("close", **params))
            col = chunked.to_series()
            got = (
                [col.struct.field(k).to_numpy().astype(float) for k in FIELDS[name]]
                if col.dtype == pl.Struct
                else [col.to_numpy().astype(float)]
            )
            for f, g in zip(full, got, strict=True):
                np.testing.assert_array_equal(f, g)


# --- parameters, dtypes, groups -------------------------------------------------------------

BAD = [
    ("wma", {"period": 0}, "period"), ("stddev", {"period": 1}, "period"),
    ("cmo", {"period": 1}, "period"), ("midpoint", {"period": 1}, "period"),
    ("linearreg", {"period": 1}, "period"), ("hma", {"period": 1}, "period"),
    ("zscore", {"period": 1}, "period"), ("t3", {"period": 5, "vfactor": 1.5}, "vfactor"),
    ("t3", {"period": 5, "vfactor": -0.1}, "vfactor"), ("apo", {"fast": 1, "slow": 5}, "fast"),
    ("ppo", {"fast": 5, "slow": 5}, "fast"), ("apo", {"ma_type": "mama"}, "ma_type"),
    ("stochrsi", {"period": 1}, "period"), ("stochrsi", {"fastk_period": 0}, "fastk_period"),
    ("stochrsi", {"fastd_period": 0}, "fastd_period"), ("roc", {"period": 2.5}, "period"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "params", "word"), BAD)
def test_bad_parameters(name: str, params: dict[str, Any], word: str) -> None:
    with pytest.raises((ValueError, TypeError), match=word):
        getattr(nse, name)("close", **params)
    with pytest.raises((ValueError, TypeError), match=word):
        getattr(nse.kernels, name)(np.ones(10), **params)


def test_wrong_dtype_names_the_column() -> None:
    df = pl.DataFrame({"px": ["a", "b"]})
    with pytest.raises(Exception, match="px"):
        df.select(nse.wma("px", 2))


def test_by_equals_over() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    df = pl.DataFrame({"symbol": rng.choice(["A", "B", "C"], n), "close": random_walk(n, seed=11)})
    by = df.nse.stochrsi(period=5, fastk_period=3, by="symbol").nse.hma(period=9, by="symbol")
    over = df.with_columns(
        nse.stochrsi("close", 5, 3).over("symbol").struct.unnest(),
        nse.hma("close", 9).over("symbol").alias("hma_9"),
    )
    assert by["stochrsi_fastk_5"].equals(over["fastk"])
    assert by["stochrsi_fastd_5"].equals(over["fastd"])
    assert by["hma_9"].equals(over["hma_9"])


def test_oracles_cover_every_function() -> None:
    from nse_polars import price_indicators

    assert sorted(price_indicators.ORACLES) == sorted(price_indicators.__all__)
    assert sorted(nse.kernels.__all__) >= sorted(price_indicators.__all__) or set(
        price_indicators.__all__
    ) <= set(nse.kernels.__all__)


def test_docstring_examples() -> None:
    import doctest

    from nse_polars import price_indicators

    result = doctest.testmod(price_indicators, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 20
    assert result.failed == 0
