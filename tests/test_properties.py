"""Property tests (hypothesis): random prices with random missing rows, random valid parameters.

Oracles: TA-Lib on the valid rows (scattered back) where TA-Lib implements the parameters;
hand-derived oracles for period 1 / fast 1 (outside TA-Lib's range); exact rationals where
TA-Lib's own running sums are the less accurate side.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import polars as pl
import pytest
import talib
from conftest import (
    OUTPUT_FIELDS,
    assert_matches,
    ema_first_reference,
    exact_rolling_mean_var,
    lookback,
    random_walk,
    scatter_rows,
    struct_fields,
    talib_accepts,
    talib_reference,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from polars.testing import assert_series_equal

import nse_polars as nse

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    database=None,  # nothing written outside tests/
    suppress_health_check=[HealthCheck.too_slow],
)

MODERATE = st.floats(min_value=1.0, max_value=1e4, allow_nan=False, allow_infinity=False)
WIDE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def prices(
    draw: st.DrawFn,
    elements: st.SearchStrategy[float] = MODERATE,
    max_size: int = 120,
    missing: bool = True,
) -> list[float | None]:
    """A list of floats with, optionally, None (null) and NaN sprinkled in."""
    values: list[float | None] = draw(st.lists(elements, max_size=max_size))
    if missing and values and draw(st.booleans()):
        kinds = draw(
            st.lists(st.sampled_from("vvvvvnN"), min_size=len(values), max_size=len(values))
        )
        values = [
            None if k == "n" else math.nan if k == "N" else v
            for v, k in zip(values, kinds, strict=True)
        ]
    return values


@st.composite
def walks(draw: st.DrawFn, max_size: int = 120) -> list[float | None]:
    """A seeded random walk near a random price level (realistic, non-round values), with
    optional missing rows: hypothesis' own floats favour simple values, which hide rounding."""
    n = draw(st.integers(0, max_size))
    level = draw(st.sampled_from([1.0, 100.0, 5000.0]))
    x = random_walk(n, seed=draw(st.integers(0, 2**32 - 1)), start=level)
    values: list[float | None] = x.tolist()
    if n and draw(st.booleans()):
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        for i in np.flatnonzero(rng.random(n) < 0.15):
            values[i] = None if rng.random() < 0.5 else math.nan
    return values


def any_prices(max_size: int = 120) -> st.SearchStrategy[list[float | None]]:
    return st.one_of(prices(max_size=max_size), walks(max_size=max_size))


@st.composite
def indicator(draw: st.DrawFn, max_period: int = 40) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(["sma", "ema", "rsi", "macd", "bbands"]))
    if name == "macd":
        fast = draw(st.integers(1, 25))
        slow = draw(st.integers(fast + 1, max(fast + 1, max_period)))
        return name, {"fast": fast, "slow": slow, "signal": draw(st.integers(1, 20))}
    params: dict[str, Any] = {"period": draw(st.integers(1, max_period))}
    if name == "bbands":
        params["num_std"] = draw(st.floats(0.1, 5.0))
    if name == "ema":
        params["seed"] = draw(st.sampled_from(["sma", "first"]))
    return name, params


def series_of(values: list[float | None]) -> pl.Series:
    return pl.Series("close", values, dtype=pl.Float64, strict=False)


def run(series: pl.Series, name: str, params: dict[str, Any]) -> pl.Series:
    return series.to_frame().select(getattr(nse, name)("close", **params)).to_series()


def as_nan_array(values: list[float | None]) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


# --- oracles outside TA-Lib's range -----------------------------------------------------------


def hand_reference(name: str, x: np.ndarray, params: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """Dense-input references for parameters TA-Lib does not take (period 1, fast 1)."""
    n = len(x)
    if name == "sma":  # period 1: the value itself
        return (x.copy(),)
    if name == "bbands":  # period 1: zero width
        return (x.copy(), x.copy(), x.copy())
    if name == "ema":  # period 1: k = 1
        return (x.copy(),)
    if name == "rsi":  # period 1: the sign of the last change (a flat bar gives 0)
        out = np.full(n, np.nan)
        if n > 1:
            out[1:] = np.where(np.diff(x) > 0, 100.0, 0.0)
        return (out,)
    if name == "macd":  # fast 1: the fast EMA is the price itself
        slow, sig = params["slow"], params["signal"]
        lb = slow + sig - 2
        line = np.full(n, np.nan)
        signal = np.full(n, np.nan)
        if n > lb:
            line[slow - 1 :] = x[slow - 1 :] - talib.EMA(x, slow)[slow - 1 :]
            signal[slow - 1 :] = line[slow - 1 :] if sig == 1 else talib.EMA(line[slow - 1 :], sig)
            line[:lb] = np.nan
            signal[:lb] = np.nan
        return (line, signal, line - signal)
    raise KeyError(name)


def reference(name: str, values: list[float | None], params: dict[str, Any]) -> tuple:
    """The compacted oracle: TA-Lib where it takes the parameters, else hand-derived."""
    x = as_nan_array(values)
    if talib_accepts(name, params):
        return talib_reference(name, x, **params)
    if name == "ema" and params.get("seed") == "first":
        return talib_reference(name, x, **params)  # ema_first_reference on the valid rows
    mask = ~np.isnan(x)
    compact = x[mask]
    return scatter_rows(mask, hand_reference(name, compact, params))


def with_exact_rolling(
    name: str, values: list[float | None], params: dict[str, Any], expected: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, ...]:
    """For SMA / BBANDS: where TA-Lib's running sums are off the exact value by more than
    1e-10 (relative), use the exact two-pass value (fractions) instead."""
    if name not in ("sma", "bbands") or params["period"] < 2:
        return expected
    x = as_nan_array(values)
    mask = ~np.isnan(x)
    means, variances = exact_rolling_mean_var(x[mask], params["period"])
    rows = np.flatnonzero(mask)
    fixed = [e.copy() for e in expected]
    k = params.get("num_std", 0.0)
    for j, row in enumerate(rows):
        if means[j] is None:
            continue
        mean = float(means[j])
        std = math.sqrt(float(variances[j]))
        exact = [mean] if name == "sma" else [mean + k * std, mean, mean - k * std]
        for out, value in zip(fixed, exact, strict=True):
            if not abs(out[row] - value) <= 1e-10 * max(abs(value), 1e-300):
                out[row] = value
    return tuple(fixed)


# --- properties -------------------------------------------------------------------------------


@SETTINGS
@given(values=prices(missing=False), spec=indicator())
def test_length_and_warmup_on_finite_input(
    values: list[float | None], spec: tuple[str, dict[str, Any]]
) -> None:
    name, params = spec
    out = run(series_of(values), name, params)
    assert len(out) == len(values)
    assert out.name == "close"
    for field in struct_fields(out):
        assert field.null_count() == min(lookback(name, params), len(values))
        assert not field.is_nan().any()


@SETTINGS
@given(values=prices(), spec=indicator())
def test_warmup_counts_valid_values(
    values: list[float | None], spec: tuple[str, dict[str, Any]]
) -> None:
    name, params = spec
    out = run(series_of(values), name, params)
    valid = sum(v is not None and not math.isnan(v) for v in values)
    lb = lookback(name, params)
    for field in struct_fields(out):
        assert len(field) == len(values)
        assert field.null_count() == len(values) - max(0, valid - lb)


@SETTINGS
@given(values=any_prices(), spec=indicator())
def test_matches_compacted_oracle(
    values: list[float | None], spec: tuple[str, dict[str, Any]]
) -> None:
    name, params = spec
    expected = with_exact_rolling(name, values, params, reference(name, values, params))
    out = run(series_of(values), name, params)
    for field, got, want in zip(OUTPUT_FIELDS[name], struct_fields(out), expected, strict=True):
        assert_matches(got, want, label=f"{name}{params}.{field}")
    # The numpy door agrees with the Polars door bit for bit.
    kern = getattr(nse.kernels, name)(as_nan_array(values), **params)
    kern = kern if isinstance(kern, tuple) else (kern,)
    for a, b in zip(kern, struct_fields(out), strict=True):
        np.testing.assert_array_equal(a, b.to_numpy())


@SETTINGS
@given(values=any_prices(150), spec=indicator(), data=st.data())
def test_chunking_invariance(
    values: list[float | None], spec: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    assume(len(values) >= 2)
    name, params = spec
    cuts = sorted(set(data.draw(st.lists(st.integers(1, len(values) - 1), min_size=1, max_size=6))))
    bounds = [0, *cuts, len(values)]
    parts = [series_of(values[lo:hi]) for lo, hi in itertools.pairwise(bounds)]
    chunked = pl.concat(parts, rechunk=False)
    assert chunked.n_chunks() == len(parts)
    whole = run(series_of(values), name, params)
    assert_series_equal(run(chunked, name, params), whole, check_exact=True)


@SETTINGS
@given(values=any_prices(150), spec=indicator(), data=st.data())
def test_slicing_invariance(
    values: list[float | None], spec: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    name, params = spec
    offset = data.draw(st.integers(0, len(values)))
    length = data.draw(st.integers(0, len(values) - offset))
    sliced = series_of(values).slice(offset, length)
    copied = series_of(values[offset : offset + length])
    assert_series_equal(run(sliced, name, params), run(copied, name, params), check_exact=True)


@SETTINGS
@given(values=any_prices(150), spec=indicator())
def test_truncation_leaves_earlier_rows_unchanged(
    values: list[float | None], spec: tuple[str, dict[str, Any]]
) -> None:
    """No look-ahead: computing on any prefix gives the same rows, bit for bit."""
    name, params = spec
    whole = getattr(nse.kernels, name)(as_nan_array(values), **params)
    whole = whole if isinstance(whole, tuple) else (whole,)
    for k in range(len(values) + 1):
        prefix = getattr(nse.kernels, name)(as_nan_array(values[:k]), **params)
        prefix = prefix if isinstance(prefix, tuple) else (prefix,)
        for field, p, w in zip(OUTPUT_FIELDS[name], prefix, whole, strict=True):
            np.testing.assert_array_equal(
                p, w[:k], err_msg=f"{name}{params}.{field}: prefix of {k} of {len(values)} rows"
            )
    # The same through Polars for one prefix.
    k = len(values) // 2
    assert_series_equal(
        run(series_of(values[:k]), name, params),
        run(series_of(values), name, params).head(k),
        check_exact=True,
    )


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("sma", {"period": 20}),
        ("ema", {"period": 10}),
        ("ema", {"period": 10, "seed": "first"}),
        ("rsi", {"period": 14}),
        ("macd", {}),
        ("bbands", {"period": 20}),
    ],
    ids=["sma", "ema", "ema_first", "rsi", "macd", "bbands"],
)
def test_truncation_on_a_walk(name: str, params: dict[str, Any]) -> None:
    """The same no-look-ahead property on a fixed 200-row walk, every prefix (deterministic)."""
    x = random_walk(200, seed=17)
    whole = getattr(nse.kernels, name)(x, **params)
    whole = whole if isinstance(whole, tuple) else (whole,)
    changed = []
    for k in range(len(x) + 1):
        prefix = getattr(nse.kernels, name)(x[:k], **params)
        prefix = prefix if isinstance(prefix, tuple) else (prefix,)
        for field, p, w in zip(OUTPUT_FIELDS[name], prefix, whole, strict=True):
            if not np.array_equal(p, w[:k], equal_nan=True):
                rows = np.flatnonzero(~((p == w[:k]) | (np.isnan(p) & np.isnan(w[:k]))))
                changed.append((k, field, rows[:3].tolist(), p[rows[0]], w[rows[0]]))
    assert not changed, (
        f"{len(changed)} of {len(x) + 1} prefixes change earlier rows; first (prefix length, "
        f"field, rows, prefix value, full value): {changed[:3]}"
    )


@SETTINGS
@given(values=prices(WIDE, max_size=150), period=st.integers(1, 40))
def test_rsi_between_0_and_100(values: list[float | None], period: int) -> None:
    out = run(series_of(values), "rsi", {"period": period}).drop_nulls()
    assert ((out >= 0.0) & (out <= 100.0)).all(), out.filter((out < 0) | (out > 100)).to_list()


@SETTINGS
@given(values=prices(WIDE, max_size=150), period=st.integers(1, 40), num_std=st.floats(1e-3, 10.0))
def test_bbands_ordered(values: list[float | None], period: int, num_std: float) -> None:
    out = run(series_of(values), "bbands", {"period": period, "num_std": num_std})
    bands = out.struct.unnest().drop_nulls()
    assert (bands["lower"] <= bands["middle"]).all()
    assert (bands["middle"] <= bands["upper"]).all()
    # The half-width is num_std times a population std: never negative, 0 for a flat window.
    assert (bands["upper"] - bands["middle"] >= 0).all()


@SETTINGS
@given(values=any_prices(80), spec=indicator(max_period=30))
def test_kernels_arrow_door_equals_polars(
    values: list[float | None], spec: tuple[str, dict[str, Any]]
) -> None:
    name, params = spec
    s = series_of(values)
    out = run(s, name, params)
    arrow = getattr(nse.kernels, name)(s.to_arrow(), **params)
    arrow = arrow if isinstance(arrow, tuple) else (arrow,)
    for a, b in zip(arrow, struct_fields(out), strict=True):
        assert_series_equal(pl.Series(a), b, check_names=False, check_exact=True)


def test_hand_oracles_for_period_one() -> None:
    """The hand oracles above, checked on a tiny example against a direct computation."""
    x = np.array([3.0, 5.0, 5.0, 4.0])
    np.testing.assert_array_equal(
        hand_reference("rsi", x, {"period": 1})[0], [np.nan, 100.0, 0.0, 0.0]
    )
    line, signal, _hist = hand_reference("macd", x, {"fast": 1, "slow": 2, "signal": 2})
    # slow EMA(2): seed mean(3, 5) = 4 at row 1, then 4 + (5 - 4) 2/3 = 14/3, then
    # 14/3 + (4 - 14/3) 2/3 = 38/9; line = 1, 1/3, -2/9; signal seeded mean(1, 1/3) at row 2.
    np.testing.assert_allclose(line[2:], [1 / 3, -2 / 9], rtol=1e-14)
    np.testing.assert_allclose(signal[2:], [2 / 3, 2 / 3 + (-2 / 9 - 2 / 3) * 2 / 3], rtol=1e-14)
    np.testing.assert_array_equal(ema_first_reference([2.0, 4.0], 3), [2.0, 3.0])


@pytest.mark.parametrize("period", [1, 2, 7])
def test_macd_fast_one_matches_hand_oracle_on_a_walk(period: int) -> None:
    rng = np.random.default_rng(period)
    x = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    params = {"fast": 1, "slow": 5 + period, "signal": period}
    got = nse.kernels.macd(x, **params)
    for g, e in zip(got, hand_reference("macd", x, params), strict=True):
        assert_matches(g, e)
