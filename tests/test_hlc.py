"""The price-range family (high/low/close) against TA-Lib, worked examples and exact oracles.

TA-Lib is the oracle for every function it has, through every door (expression, Expr
namespace, numpy, Arrow), at awkward lengths and on every symbol of the real 5-minute data.
SuperTrend, Donchian and Keltner (not in TA-Lib) are checked against worked examples from
their published definitions and independent numpy implementations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
import talib
from conftest import NSE_FO_5MIN, real_5min_files, struct_fields

import nse_polars as nse
from nse_polars import hlc_indicators

MA_CODES = {"sma": 0, "ema": 1, "wma": 2, "dema": 3, "tema": 4, "trima": 5, "kama": 6, "t3": 8}
HL_ONLY = {"plus_dm", "minus_dm", "aroon", "aroonosc", "midprice", "sar", "donchian"}
# Oscillators bounded by 100 in absolute value: compared to 1e-9 of that scale (TA-Lib's running
# sums leave ~1e-11 residues where the exact value is 0; a per-row relative test would flag them).
# CCI shares the floor: near CCI = 0 the numerator cancels, and TA-Lib's own rounding of the
# window mean (about 1e-14 of the price) shows as a larger relative error there.
BOUNDED = {"stoch", "stochf", "willr", "ultosc", "aroon", "aroonosc", "dx", "adx", "adxr", "cci"}


def ohlc(n: int, seed: int = 0, level: float = 100.0, tick: float | None = 0.05) -> dict:
    """A random OHLC walk; on a tick grid (ties in highs and lows, flat bars) unless tick=None."""
    rng = np.random.default_rng(seed)
    close = level * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    high = close * (1 + np.abs(rng.normal(0.0, 0.004, n)))
    low = close * (1 - np.abs(rng.normal(0.0, 0.004, n)))
    if tick:
        high, low, close = (np.round(v / tick) * tick for v in (high, low, close))
        close = np.clip(close, low, high)
        if n >= 10:
            flat = slice(n // 3, n // 3 + min(40, n // 10))
            high[flat] = low[flat] = close[flat] = close[n // 3]
    return {"high": high, "low": low, "close": close}


# name -> (nse params, TA-Lib call on a dict of columns), every TA-Lib function of the family.
def _talib_specs() -> list[tuple[str, dict[str, Any], Callable[[dict], Any]]]:
    specs: list[tuple[str, dict[str, Any], Callable[[dict], Any]]] = [
        ("trange", {}, lambda d: talib.TRANGE(d["high"], d["low"], d["close"]))
    ]
    hlc_fns = {
        "atr": talib.ATR,
        "natr": talib.NATR,
        "plus_di": talib.PLUS_DI,
        "minus_di": talib.MINUS_DI,
        "dx": talib.DX,
        "adx": talib.ADX,
        "adxr": talib.ADXR,
        "willr": talib.WILLR,
        "cci": talib.CCI,
    }
    for name, fn in hlc_fns.items():
        for p in (2, 5, 14):
            specs.append(
                (name, {"period": p}, lambda d, fn=fn, p=p: fn(d["high"], d["low"], d["close"], p))
            )
    hl_fns = {
        "plus_dm": talib.PLUS_DM,
        "minus_dm": talib.MINUS_DM,
        "aroon": talib.AROON,
        "aroonosc": talib.AROONOSC,
        "midprice": talib.MIDPRICE,
    }
    for name, fn in hl_fns.items():
        for p in (2, 5, 14):
            specs.append((name, {"period": p}, lambda d, fn=fn, p=p: fn(d["high"], d["low"], p)))
    for p in (1,):  # period 1 where TA-Lib's value is the definition's
        specs.append(
            ("atr", {"period": p}, lambda d: talib.ATR(d["high"], d["low"], d["close"], 1))
        )
        specs.append(("plus_dm", {"period": p}, lambda d: talib.PLUS_DM(d["high"], d["low"], 1)))
        specs.append(("minus_dm", {"period": p}, lambda d: talib.MINUS_DM(d["high"], d["low"], 1)))
    for ma in MA_CODES:
        code = MA_CODES[ma]
        specs.append(
            (
                "stoch",
                {
                    "fastk_period": 5,
                    "slowk_period": 3,
                    "slowk_ma_type": ma,
                    "slowd_period": 4,
                    "slowd_ma_type": ma,
                },
                lambda d, c=code: talib.STOCH(d["high"], d["low"], d["close"], 5, 3, c, 4, c),
            )
        )
        specs.append(
            (
                "stochf",
                {"fastk_period": 7, "fastd_period": 3, "fastd_ma_type": ma},
                lambda d, c=code: talib.STOCHF(d["high"], d["low"], d["close"], 7, 3, c),
            )
        )
    specs.append(("stoch", {}, lambda d: talib.STOCH(d["high"], d["low"], d["close"])))
    specs.append(
        (
            "stoch",
            {"fastk_period": 1, "slowk_period": 1, "slowd_period": 1},
            lambda d: talib.STOCH(d["high"], d["low"], d["close"], 1, 1, 0, 1, 0),
        )
    )
    specs.append(("stochf", {}, lambda d: talib.STOCHF(d["high"], d["low"], d["close"])))
    for periods in ((7, 14, 28), (28, 7, 14), (3, 3, 9), (1, 2, 3)):
        specs.append(
            (
                "ultosc",
                dict(zip(("period1", "period2", "period3"), periods, strict=True)),
                lambda d, ps=periods: talib.ULTOSC(d["high"], d["low"], d["close"], *ps),
            )
        )
    for acc, mx in ((0.02, 0.2), (0.05, 0.5), (0.3, 0.2), (0.0, 0.2)):
        specs.append(
            (
                "sar",
                {"acceleration": acc, "maximum": mx},
                lambda d, a=acc, m=mx: talib.SAR(d["high"], d["low"], a, m),
            )
        )
    return specs


TALIB_SPECS = _talib_specs()
SPEC_IDS = [f"{n}-" + "-".join(str(v) for v in p.values()) for n, p, _ in TALIB_SPECS]


def inputs_for(name: str) -> tuple[str, ...]:
    return ("high", "low") if name in HL_ONLY else ("high", "low", "close")


def as_list(result: Any) -> list[np.ndarray]:
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    return [
        np.asarray(
            pl.Series(r).to_numpy() if not isinstance(r, np.ndarray) else r, dtype=np.float64
        )
        for r in items
    ]


def compare(name: str, got: list[np.ndarray], want: list[np.ndarray], *, label: str = "") -> None:
    """Same NaN positions; values within 1e-9 relative (of the oscillator's scale if bounded)."""
    assert len(got) == len(want), f"{label}: {len(got)} outputs, expected {len(want)}"
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g.shape == w.shape, f"{label}[{k}]: shape {g.shape} != {w.shape}"
        gn, wn = np.isnan(g), np.isnan(w)
        bad = np.flatnonzero(gn != wn)
        assert bad.size == 0, f"{label}[{k}]: null rows differ, first {bad[:5].tolist()}"
        ok = ~wn
        floor = 100.0 if name in BOUNDED else 1e-300
        scale = np.maximum(np.abs(w[ok]), floor)
        err = np.abs(g[ok] - w[ok]) / scale
        worst = float(err.max(initial=0.0))
        assert worst <= 1e-9, f"{label}[{k}]: worst relative error {worst:.3e}"


def run_door(door: str, name: str, data: dict, params: dict) -> list[np.ndarray]:
    cols = inputs_for(name)
    if door == "numpy":
        return as_list(getattr(nse.kernels, name)(*(data[c] for c in cols), **params))
    if door == "arrow":
        return as_list(getattr(nse.kernels, name)(*(pa.array(data[c]) for c in cols), **params))
    df = pl.DataFrame({c: data[c] for c in cols})
    if door == "expr":
        expr = getattr(nse, name)(**params)
    else:  # the Expr namespace: self is close when read, else high
        this = "close" if "close" in cols else "high"
        others = {c: c for c in cols if c != this}
        expr = getattr(pl.col(this).nse, name)(**params, **others)
    out = df.select(expr).to_series()
    assert len(out) == len(df)
    return [s.to_numpy().astype(np.float64) for s in struct_fields(out)]


def talib_dense(call: Callable[[dict], Any], data: dict) -> list[np.ndarray]:
    return [np.asarray(r, dtype=np.float64) for r in as_list(call(data))]


def doc_lookback(name: str, params: dict) -> int:
    """The documented lookback, written out independently of the C++ table."""
    p = params.get("period", 14)
    if name in ("trange", "sar"):
        return 1
    if name in ("atr", "natr", "plus_di", "minus_di", "dx", "aroon", "aroonosc"):
        return p
    if name in ("plus_dm", "minus_dm"):
        return max(p - 1, 1)
    if name == "adx":
        return 2 * p - 1
    if name == "adxr":
        return 3 * p - 2
    if name in ("willr", "cci", "midprice"):
        return p - 1
    if name == "donchian":
        return params.get("period", 20) - 1
    if name == "ultosc":
        return max(params.get("period1", 7), params.get("period2", 14), params.get("period3", 28))
    if name == "supertrend":
        return params.get("period", 10)
    if name == "keltner":
        return max(params.get("period", 20) - 1, params.get("atr_period", 10))

    def ma(kind: str, q: int) -> int:
        if q <= 1:
            return 0
        return {"dema": 2 * (q - 1), "tema": 3 * (q - 1), "kama": q, "t3": 6 * (q - 1)}.get(
            kind, q - 1
        )

    if name == "stoch":
        return (
            params.get("fastk_period", 5)
            - 1
            + ma(params.get("slowk_ma_type", "sma"), params.get("slowk_period", 3))
            + ma(params.get("slowd_ma_type", "sma"), params.get("slowd_period", 3))
        )
    if name == "stochf":
        return (
            params.get("fastk_period", 5)
            - 1
            + ma(params.get("fastd_ma_type", "sma"), params.get("fastd_period", 3))
        )
    raise KeyError(name)


# --- TA-Lib oracle ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "params", "call"), TALIB_SPECS, ids=SPEC_IDS)
def test_against_talib_numpy(name: str, params: dict, call: Callable) -> None:
    lb = doc_lookback(name, params)
    for n in (0, 1, lb, lb + 1, lb + 2, 1001):
        data = ohlc(n, seed=n)
        got = run_door("numpy", name, data, params)
        if n <= lb:
            assert all(np.isnan(g).all() and len(g) == n for g in got), f"{name} n={n}"
            continue
        compare(name, got, talib_dense(call, data), label=f"{name} n={n}")


@pytest.mark.parametrize(("name", "params", "call"), TALIB_SPECS[::3], ids=SPEC_IDS[::3])
@pytest.mark.parametrize("door", ["expr", "namespace", "arrow"])
def test_against_talib_doors(door: str, name: str, params: dict, call: Callable) -> None:
    data = ohlc(997, seed=7)
    compare(name, run_door(door, name, data, params), talib_dense(call, data), label=door)


def test_long_series_all_functions() -> None:
    data = ohlc(100_003, seed=3, tick=None)
    for name, params, call in TALIB_SPECS[::2]:
        compare(name, run_door("numpy", name, data, params), talib_dense(call, data), label=name)


def test_talib_lookbacks_match_table() -> None:
    """The documented lookback is TA-Lib's: its count of leading NaNs on NaN-free input."""
    data = ohlc(400, seed=11, tick=None)
    for name, params, call in TALIB_SPECS:
        lead = [int(np.argmax(~np.isnan(r))) for r in talib_dense(call, data)]
        assert lead == [doc_lookback(name, params)] * len(lead), (name, params, lead)


@pytest.mark.realdata
def test_real_5min_every_symbol() -> None:
    files = real_5min_files()
    if not files:
        pytest.skip(f"real data not found under {NSE_FO_5MIN}")
    specs = [s for s in TALIB_SPECS if not s[1] or s[1].get("period") == 14 or s[0] == "sar"]
    schema = {
        "date": pl.String,
        "open": pl.Float64,
        "high": pl.Float64,
        "low": pl.Float64,
        "close": pl.Float64,
        "volume": pl.Int64,
    }
    for path in files:
        df = pl.read_csv(path, schema=schema)
        data = {c: df[c].to_numpy() for c in ("high", "low", "close")}
        for name, params, call in specs:
            got = run_door("numpy", name, data, params)
            compare(name, got, talib_dense(call, data), label=f"{path.name} {name}")


# --- period-1 cases where TA-Lib departs from its own definition --------------------------------


def test_period_one_follows_the_definition() -> None:
    d = ohlc(50, seed=5)
    h, low, c = d["high"], d["low"], d["close"]
    tr = talib.TRANGE(h, low, c)
    np.testing.assert_allclose(nse.kernels.natr(h, low, c, 1)[1:], 100 * tr[1:] / c[1:], rtol=1e-14)
    up, down = np.diff(h), -np.diff(low)
    pdm = np.where((up > 0) & (up > down), up, 0.0)
    mdm = np.where((down > 0) & (down > up), down, 0.0)
    want_p = np.where(tr[1:] != 0, 100 * pdm / np.where(tr[1:] != 0, tr[1:], 1), 0.0)
    want_m = np.where(tr[1:] != 0, 100 * mdm / np.where(tr[1:] != 0, tr[1:], 1), 0.0)
    np.testing.assert_allclose(nse.kernels.plus_di(h, low, c, 1)[1:], want_p, rtol=1e-14)
    np.testing.assert_allclose(nse.kernels.minus_di(h, low, c, 1)[1:], want_m, rtol=1e-14)


# --- worked examples and exact numpy oracles for the three TA-Lib lacks -------------------------


def supertrend_reference(h, low, c, period: int, mult: float) -> tuple[np.ndarray, np.ndarray]:
    """TradingView's ``ta.supertrend`` rules, line for line, over TA-Lib's ATR; +1 = uptrend."""
    atr = talib.ATR(h, low, c, period)
    n = len(c)
    line, direction = np.full(n, np.nan), np.full(n, np.nan)
    upper = lower = np.nan
    for t in range(period, n):
        hl2 = (h[t] + low[t]) / 2
        up, lo = hl2 + mult * atr[t], hl2 - mult * atr[t]
        if t == period:
            d = -1.0
        else:
            lo = lo if (lo > lower or c[t - 1] < lower) else lower
            up = up if (up < upper or c[t - 1] > upper) else upper
            if line[t - 1] == upper:
                d = 1.0 if c[t] > up else -1.0
            else:
                d = -1.0 if c[t] < lo else 1.0
        upper, lower = up, lo
        line[t] = lo if d == 1.0 else up
        direction[t] = d
    return line, direction


def test_supertrend_worked_example() -> None:
    """Period 2, multiplier 1, worked by hand from the definition.

    TR = [-, 2, 2, 5, 2, 7]; ATR (row 2) = 2, (row 3) = (2 + 5) / 2 = 3.5, (row 4) = 2.75,
    (row 5) = 4.875.
    Row 2: hl2 = 11, basic bands 13 / 9, first row: downtrend, line = 13.
    Row 3: hl2 = 14, bands 17.5 / 10.5; 17.5 is not below 13 and close[2] = 11 is not above 13:
           upper stays 13; lower 10.5 > 9: 10.5. Previous line was the upper band and
           close 15 > 13: up, line = 10.5.
    Row 4: hl2 = 15, bands 17.75 / 12.25; close[3] = 15 > 13, so upper = 17.75; 12.25 > 10.5:
           lower = 12.25. Previous line was the lower band; close 14 is not below 12.25: up,
           line = 12.25.
    Row 5: hl2 = 10, bands 14.875 / 5.125; 14.875 < 17.75: upper = 14.875; 5.125 < 12.25 and
           close[4] = 14 is not below 12.25: lower stays 12.25; close 9 < 12.25: down,
           line = upper = 14.875.
    """
    h = np.array([10.0, 11.0, 12.0, 16.0, 16.0, 13.0])
    low = np.array([9.0, 9.0, 10.0, 12.0, 14.0, 7.0])
    c = np.array([10.0, 10.0, 11.0, 15.0, 14.0, 9.0])
    line, direction = nse.kernels.supertrend(h, low, c, 2, 1.0)
    nan = np.nan
    np.testing.assert_array_equal(line, [nan, nan, 13.0, 10.5, 12.25, 14.875])
    np.testing.assert_array_equal(direction, [nan, nan, -1.0, 1.0, 1.0, -1.0])


@pytest.mark.parametrize(("period", "mult"), [(10, 3.0), (7, 2.0), (1, 0.5), (3, 1e-9)])
def test_supertrend_reference(period: int, mult: float) -> None:
    for seed, tick in ((1, 0.05), (2, None)):
        d = ohlc(5003, seed=seed, tick=tick)
        got = nse.kernels.supertrend(d["high"], d["low"], d["close"], period, mult)
        want = supertrend_reference(d["high"], d["low"], d["close"], period, mult)
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12)


def test_donchian_worked_example_and_reference() -> None:
    h = np.array([5.0, 7.0, 6.0, 4.0, 8.0, 3.0])
    low = np.array([4.0, 5.0, 2.0, 3.0, 6.0, 1.0])
    upper, middle, lower = nse.kernels.donchian(h, low, 3)
    nan = np.nan
    np.testing.assert_array_equal(upper, [nan, nan, 7.0, 7.0, 8.0, 8.0])
    np.testing.assert_array_equal(lower, [nan, nan, 2.0, 2.0, 2.0, 1.0])
    np.testing.assert_array_equal(middle, [nan, nan, 4.5, 4.5, 5.0, 4.5])
    for p in (1, 2, 20, 57):
        d = ohlc(3001, seed=p, tick=None)
        hw = np.lib.stride_tricks.sliding_window_view(d["high"], p).max(axis=1)
        lw = np.lib.stride_tricks.sliding_window_view(d["low"], p).min(axis=1)
        up, mid, lo = nse.kernels.donchian(d["high"], d["low"], p)
        np.testing.assert_array_equal(up[p - 1 :], hw)
        np.testing.assert_array_equal(lo[p - 1 :], lw)
        np.testing.assert_array_equal(mid[p - 1 :], (hw + lw) / 2)
        assert np.isnan(up[: p - 1]).all()


def test_keltner_reference() -> None:
    # Worked example: closes 1..4 with period 2: EMA seeds at row 1 with 1.5, k = 2/3:
    # row 2: (3 - 1.5) 2/3 + 1.5 = 2.5; row 3: 3.5. Constant range 2 gives ATR(1) = 2 (TR = 2).
    h = np.array([2.0, 3.0, 4.0, 5.0])
    low = h - 2.0
    c = np.array([1.0, 2.0, 3.0, 4.0])
    up, mid, lo = nse.kernels.keltner(h, low, c, 2, 1, 1.5)
    nan = np.nan
    np.testing.assert_array_equal(mid, [nan, 1.5, 2.5, 3.5])
    np.testing.assert_array_equal(up, [nan, 4.5, 5.5, 6.5])
    np.testing.assert_array_equal(lo, [nan, -1.5, -0.5, 0.5])
    for period, atr_period, mult in ((20, 10, 2.0), (5, 30, 1.5), (1, 1, 3.0)):
        d = ohlc(4001, seed=period)
        got = nse.kernels.keltner(d["high"], d["low"], d["close"], period, atr_period, mult)
        ema = talib.EMA(d["close"], period) if period > 1 else d["close"].copy()
        atr = talib.ATR(d["high"], d["low"], d["close"], atr_period)
        first = max(period - 1, atr_period)
        ema[:first] = np.nan
        compare("keltner", list(got), [ema + mult * atr, ema, ema - mult * atr], label="kc")


# --- numerics: prices near 1e8 with small moves, and a regime change ----------------------------


def exact_cci(h, low, c, period: int) -> np.ndarray:
    """CCI in exact rationals on the doubles' typical prices (TA-Lib's flatness rule applied)."""
    from fractions import Fraction

    tp = [Fraction(float((a + b + d) / 3)) for a, b, d in zip(h, low, c, strict=True)]
    out = np.full(len(tp), np.nan)
    for t in range(period - 1, len(tp)):
        w = tp[t - period + 1 : t + 1]
        mean = sum(w, Fraction(0)) / period
        md = sum((abs(v - mean) for v in w), Fraction(0)) / period
        num = tp[t] - mean
        level = Fraction(1e-14) * abs(mean)
        out[t] = 0.0 if abs(num) <= level or md <= level else float(num / (Fraction(3, 200) * md))
    return out


def level_series(kind: str, n: int = 600) -> dict:
    rng = np.random.default_rng(4)
    if kind == "near_1e8":
        c = 1e8 + np.cumsum(rng.normal(0.0, 1e-2, n))
        scale = 1e-2
    else:  # 1e9 with moves of 1e3, then 1 with moves of 1e-2
        c = np.concatenate(
            [
                1e9 + np.cumsum(rng.normal(0, 1e3, n // 2)),
                1.0 + np.cumsum(rng.normal(0, 1e-2, n - n // 2)),
            ]
        )
        scale = np.concatenate([np.full(n // 2, 1e3), np.full(n - n // 2, 1e-2)])
    h = c + np.abs(rng.normal(0, 1, n)) * scale
    low = c - np.abs(rng.normal(0, 1, n)) * scale
    return {"high": h, "low": low, "close": c}


@pytest.mark.parametrize("kind", ["near_1e8", "regime_change"])
def test_cci_exact_at_any_level(kind: str) -> None:
    d = level_series(kind)
    for p in (5, 20):
        got = nse.kernels.cci(d["high"], d["low"], d["close"], p)
        want = exact_cci(d["high"], d["low"], d["close"], p)
        ok = ~np.isnan(want)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        rel = np.abs(got[ok] - want[ok]) / np.maximum(np.abs(want[ok]), 1e-300)
        assert rel.max() <= 1e-9, rel.max()


def test_cci_talib_loses_digits_near_1e8() -> None:
    """Why CCI is not compared with TA-Lib at 1e8: TA-Lib's own sums are off there."""
    d = level_series("near_1e8")
    want = exact_cci(d["high"], d["low"], d["close"], 20)
    ta = talib.CCI(d["high"], d["low"], d["close"], 20)
    ok = ~np.isnan(want)
    assert (np.abs(ta[ok] - want[ok]) / np.abs(want[ok])).max() > 1e-9


@pytest.mark.parametrize("kind", ["near_1e8", "regime_change"])
def test_window_sums_exact_at_any_level(kind: str) -> None:
    """ULTOSC and the stochastic SMA: block window sums against exact rational sums."""
    from fractions import Fraction

    d = level_series(kind)
    h, low, c = d["high"], d["low"], d["close"]
    prev = c[:-1]
    bp = [Fraction(float(x - min(lo, p))) for x, lo, p in zip(c[1:], low[1:], prev, strict=True)]
    trs = [Fraction(float(v)) for v in talib.TRANGE(h, low, c)[1:]]
    periods = (3, 7, 11)
    got = nse.kernels.ultosc(h, low, c, *periods)
    for t in range(11, len(c)):
        total = Fraction(0)
        for w, p in zip((4, 2, 1), periods, strict=True):
            b = sum(trs[t - p : t], Fraction(0))
            total += w * sum(bp[t - p : t], Fraction(0)) / b
        want = float(100 * total / 7)
        assert abs(got[t] - want) <= 1e-9 * 100, (t, got[t], want)
    slowk, _ = nse.kernels.stoch(h, low, c, 5, 3, "sma", 3, "sma")
    fastk, _ = nse.kernels.stochf(h, low, c, 5, 1, "sma")
    for t in range(8, len(c)):
        want = float(sum((Fraction(float(v)) for v in fastk[t - 2 : t + 1]), Fraction(0)) / 3)
        assert abs(slowk[t] - want) <= 1e-12 * 100


def test_ultosc_talib_loses_digits_after_regime_change() -> None:
    """Why ULTOSC keeps block sums (and costs more than TA-Lib's running sums): after prices
    drop from 1e9 to 1, TA-Lib's add-new/subtract-old sums carry residue of the old regime."""
    from fractions import Fraction

    d = level_series("regime_change")
    h, low, c = d["high"], d["low"], d["close"]
    bp = [Fraction(float(x - min(lo, p))) for x, lo, p in zip(c[1:], low[1:], c[:-1], strict=True)]
    trs = [Fraction(float(v)) for v in talib.TRANGE(h, low, c)[1:]]
    ours, theirs = nse.kernels.ultosc(h, low, c), talib.ULTOSC(h, low, c)
    worst_ours = worst_theirs = 0.0
    for t in range(28, len(c)):
        total = Fraction(0)
        for w, p in zip((4, 2, 1), (7, 14, 28), strict=True):
            total += w * sum(bp[t - p : t], Fraction(0)) / sum(trs[t - p : t], Fraction(0))
        want = float(100 * total / 7)
        worst_ours = max(worst_ours, abs(ours[t] - want) / abs(want))
        worst_theirs = max(worst_theirs, abs(theirs[t] - want) / abs(want))
    assert worst_ours <= 1e-12
    assert worst_theirs > 1e-9


# --- degenerate inputs: TA-Lib's value, never NaN after the lookback ----------------------------


def test_flat_series_is_never_nan() -> None:
    n = 200
    flat = {"high": np.full(n, 50.0), "low": np.full(n, 50.0), "close": np.full(n, 50.0)}
    for name, params, call in TALIB_SPECS:
        got = run_door("numpy", name, flat, params)
        lb = doc_lookback(name, params)
        for g in got:
            assert not np.isnan(g[lb:]).any(), name
        compare(name, got, talib_dense(call, flat), label=f"flat {name}")
    for name in ("supertrend", "donchian", "keltner"):
        for g in as_list(getattr(nse.kernels, name)(*(flat[c] for c in inputs_for(name)))):
            lb = doc_lookback(name, {})
            assert not np.isnan(g[lb:]).any()


# --- properties (hypothesis) --------------------------------------------------------------------

ALL_SPECS: list[tuple[str, dict]] = [
    ("trange", {}),
    ("atr", {"period": 3}),
    ("natr", {"period": 2}),
    ("plus_dm", {"period": 3}),
    ("minus_dm", {"period": 1}),
    ("plus_di", {"period": 3}),
    ("minus_di", {"period": 2}),
    ("dx", {"period": 3}),
    ("adx", {"period": 3}),
    ("adxr", {"period": 2}),
    ("stoch", {"fastk_period": 3, "slowk_period": 2, "slowk_ma_type": "ema", "slowd_period": 2}),
    ("stochf", {"fastk_period": 3, "fastd_period": 2, "fastd_ma_type": "kama"}),
    ("willr", {"period": 3}),
    ("cci", {"period": 4}),
    ("ultosc", {"period1": 2, "period2": 3, "period3": 5}),
    ("aroon", {"period": 3}),
    ("aroonosc", {"period": 2}),
    ("midprice", {"period": 3}),
    ("sar", {}),
    ("supertrend", {"period": 3, "multiplier": 2.0}),
    ("donchian", {"period": 4}),
    ("keltner", {"period": 3, "atr_period": 2, "multiplier": 1.0}),
]


def frame_result(name: str, df: pl.DataFrame, params: dict) -> list[np.ndarray]:
    out = df.select(getattr(nse, name)(**params)).to_series()
    return [s.to_numpy().astype(np.float64) for s in struct_fields(out)]


def test_properties_hypothesis() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=25, deadline=None)
    @given(
        n=st.integers(0, 60),
        seed=st.integers(0, 10_000),
        spec=st.sampled_from(ALL_SPECS),
        cut=st.integers(0, 60),
        holes=st.lists(st.integers(0, 59), max_size=8),
    )
    def check(n: int, seed: int, spec: tuple[str, dict], cut: int, holes: list[int]) -> None:
        name, params = spec
        d = ohlc(n, seed=seed, tick=0.5)
        df = pl.DataFrame(d)
        full = frame_result(name, df, params)
        lb = doc_lookback(name, params)
        for f in full:
            assert len(f) == n
            assert np.isnan(f[: min(lb, n)]).all()
            assert not np.isnan(f[lb:]).any()
        # chunking: the same rows in several chunks
        k = min(cut, n)
        chunked = pl.concat([df.slice(0, k), df.slice(k)], rechunk=False)
        for a, b in zip(frame_result(name, chunked, params), full, strict=True):
            np.testing.assert_array_equal(a, b)
        # slicing: a prefix gives the prefix of the result, to the bit
        for a, b in zip(frame_result(name, df.slice(0, k), params), full, strict=True):
            np.testing.assert_array_equal(a, b[:k])
        # null rule: null rows stay null, the rest equal the result on the compacted rows
        rows = sorted({h for h in holes if h < n})
        if rows:
            col = inputs_for(name)[len(rows) % len(inputs_for(name))]
            mask = np.ones(n, dtype=bool)
            mask[rows] = False
            holed = df.with_columns(
                pl.when(pl.Series(mask)).then(pl.col(col)).otherwise(None).alias(col)
            )
            got = frame_result(name, holed, params)
            compact = frame_result(name, df.filter(pl.Series(mask)), params)
            for g, cpt in zip(got, compact, strict=True):
                assert np.isnan(g[~mask]).all()
                np.testing.assert_array_equal(g[mask], cpt)

    check()


def test_nan_in_numpy_input_is_a_null_row() -> None:
    d = ohlc(300, seed=9)
    d["low"][[10, 150]] = np.nan
    d["close"][77] = np.inf
    for name, params in ALL_SPECS:
        cols = inputs_for(name)
        mask = np.ones(300, dtype=bool)
        mask[[10, 77, 150] if "close" in cols else [10, 150]] = False
        got = as_list(getattr(nse.kernels, name)(*(d[c] for c in cols), **params))
        dense = as_list(getattr(nse.kernels, name)(*(d[c][mask] for c in cols), **params))
        for g, e in zip(got, dense, strict=True):
            assert np.isnan(g[~mask]).all()
            np.testing.assert_array_equal(g[mask], e)


# --- errors, groups, namespaces -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "pattern"),
    [
        ("atr", {"period": 0}, r"`period`.*\(in `atr`\)"),
        ("adx", {"period": 1}, r"`period`.*\(in `adx`\)"),
        ("cci", {"period": 1.5}, r"`period`"),
        ("stoch", {"slowk_ma_type": "mama"}, r"`slowk_ma_type` must be one of"),
        ("stoch", {"fastk_period": 0}, r"`fastk_period`"),
        ("stochf", {"fastd_ma_type": 3}, r"`fastd_ma_type`"),
        ("ultosc", {"period3": 0}, r"`period3`"),
        ("sar", {"maximum": -0.1}, r"`maximum`"),
        ("sar", {"acceleration": float("nan")}, r"`acceleration`"),
        ("supertrend", {"multiplier": 0.0}, r"`multiplier`"),
        ("keltner", {"atr_period": 0}, r"`atr_period`"),
        ("donchian", {"period": -3}, r"`period`"),
    ],
)
def test_bad_params(name: str, params: dict, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        getattr(nse, name)(**params)
    cols = inputs_for(name)
    with pytest.raises(ValueError, match=pattern):
        getattr(nse.kernels, name)(*(np.ones(5) for _ in cols), **params)
    with pytest.raises(ValueError, match=pattern):
        getattr(pl.DataFrame({c: [1.0] for c in cols}).nse, name)(**params)


def test_wrong_dtype_names_the_column() -> None:
    df = pl.DataFrame({"high": [1.0, 2.0], "low": ["a", "b"], "close": [1.0, 2.0]})
    with pytest.raises(Exception, match=r"low"):
        df.select(nse.atr(period=1))
    with pytest.raises(TypeError, match=r"`low`"):
        nse.kernels.atr(np.ones(3), np.array(["a", "b", "c"]), np.ones(3), 1)
    with pytest.raises(ValueError, match=r"differ in length"):
        nse.kernels.atr(np.ones(3), np.ones(4), np.ones(3), 1)


def grouped_frame() -> pl.DataFrame:
    parts = []
    for k, n in enumerate((50, 3, 80, 0, 41)):
        d = ohlc(n, seed=k)
        parts.append(pl.DataFrame({"symbol": [f"S{k}"] * n, **d}))
    df = pl.concat(parts)
    return df.sample(fraction=1.0, shuffle=True, seed=1)  # interleaved rows


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("atr", {"period": 5}),
        ("stoch", {}),
        ("aroon", {"period": 4}),
        ("supertrend", {"period": 4, "multiplier": 2.0}),
        ("sar", {}),
    ],
)
def test_by_equals_over(name: str, params: dict) -> None:
    df = grouped_frame()
    cols = inputs_for(name)
    expr = getattr(nse, name)(**params).over("symbol")
    over = df.select(expr.alias("x")).to_series()
    by = getattr(df.nse, name)(**params, by="symbol")
    lazy = getattr(df.lazy().nse, name)(**params, by="symbol").collect()
    assert by.equals(lazy)
    new = [c for c in by.columns if c not in df.columns]
    fields = struct_fields(over)
    assert len(new) == len(fields)
    for col, f in zip(new, fields, strict=True):
        np.testing.assert_array_equal(by[col].to_numpy(), f.to_numpy())
    assert set(cols) <= set(df.columns)


def test_namespace_inputs_by_expression() -> None:
    d = ohlc(200, seed=2)
    df = pl.DataFrame({"h": d["high"], "l": d["low"], "c": d["close"]})
    a = df.select(pl.col("c").nse.atr(5, high="h", low=pl.col("l"))).to_series().to_numpy()
    b = nse.kernels.atr(d["high"], d["low"], d["close"], 5)
    np.testing.assert_array_equal(a, b)
    m = df.select(pl.col("h").nse.midprice(5, low="l")).to_series().to_numpy()
    np.testing.assert_array_equal(m, talib.MIDPRICE(d["high"], d["low"], 5))
    added = df.nse.keltner(high="h", low="l", close="c")
    assert added.columns[-3:] == ["kc_upper", "kc_middle", "kc_lower"]
    assert df.nse.atr(7, high="h", low="l", close="c").columns[-1] == "atr_7"


def test_oracles_table_covers_every_function() -> None:
    assert set(hlc_indicators.ORACLES) == set(hlc_indicators.__all__)
    assert set(nse.kernels.__all__) >= set(hlc_indicators.__all__)
    for name in hlc_indicators.__all__:
        assert hasattr(nse, name)
        assert hasattr(pl.col("x").nse, name)
        assert hasattr(pl.DataFrame().nse, name)
