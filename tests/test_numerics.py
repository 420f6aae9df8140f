"""Rolling mean and Bollinger std at awkward price levels, against an exact two-pass
computation in rationals (``fractions.Fraction``) on the same doubles: within 1e-9 relative.

The std is read off the bands: ``upper - middle = num_std * std``. With ``num_std = 2**40``
the band width is ~1e12 std, so the rounding of ``upper`` (an ulp of the price, or of the
width) is far below 1e-9 of the width, even for a std of a few ulps of 1e8, and
``(upper - middle) / 2**40`` is the library's std to ~1e-12.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
import talib
from conftest import exact_rolling_mean_var

import nse_polars as nse

K_WIDE = float(2**40)


def near_1e8(n: int = 600, seed: int = 0) -> np.ndarray:
    """Prices near 1e8 with moves of ~1e-2 (ulp of 1e8 is 1.5e-8)."""
    rng = np.random.default_rng(seed)
    return 1e8 + np.cumsum(rng.normal(0.0, 1e-2, n))


def near_1e8_ticks(n: int = 600, seed: int = 1) -> np.ndarray:
    """As above but on a 0.01 tick grid, with a flat stretch and single-tick moves."""
    rng = np.random.default_rng(seed)
    x = 1e8 + np.round(np.cumsum(rng.integers(-2, 3, n)) * 0.01, 2)
    x[200:260] = x[200]  # flat: std exactly 0
    return x


def regime_change(seed: int = 2) -> np.ndarray:
    """500 values near 1e9 with moves ~1e3, then 500 values near 1.0 with moves ~1e-2."""
    rng = np.random.default_rng(seed)
    high = 1e9 + np.cumsum(rng.normal(0.0, 1e3, 500))
    low = 1.0 + np.cumsum(rng.normal(0.0, 1e-2, 500))
    return np.concatenate([high, low])


def tiny_moves(n: int = 400, seed: int = 3) -> np.ndarray:
    """Prices near 1e8 moving by a few ulps: the relative spread is ~1e-15."""
    rng = np.random.default_rng(seed)
    return 1e8 + rng.integers(-4, 5, n) * math.ulp(1e8)


SERIES: dict[str, Callable[[], np.ndarray]] = {
    "near_1e8": near_1e8,
    "near_1e8_ticks": near_1e8_ticks,
    "regime_change": regime_change,
    "tiny_moves": tiny_moves,
}


def _ours(x: np.ndarray, period: int, door: str) -> tuple[np.ndarray, ...]:
    """(sma, bbands middle, std read off the upper band, std read off the lower band)."""
    if door == "polars":
        df = (
            pl.DataFrame({"x": x})
            .select(nse.sma("x", period).alias("sma"), nse.bbands("x", period, K_WIDE).alias("bb"))
            .unnest("bb")
        )
        sma = df["sma"].to_numpy()
        upper = df["upper"].to_numpy()
        middle = df["middle"].to_numpy()
        lower = df["lower"].to_numpy()
    else:
        sma = nse.kernels.sma(x, period)
        upper, middle, lower = nse.kernels.bbands(x, period, K_WIDE)
    # / 2**40 is exact; each band carries its own rounding (half an ulp of the larger of the
    # price and the width: ~1e-12 of the width here).
    return sma, middle, (upper - middle) / K_WIDE, (middle - lower) / K_WIDE


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b != 0 else abs(a)


def _worst(errors: list[tuple[float, int]]) -> tuple[float, int]:
    return max(errors) if errors else (0.0, -1)


@pytest.mark.parametrize("door", ["polars", "kernels"])
@pytest.mark.parametrize("period", [20, 50])
@pytest.mark.parametrize("series", list(SERIES))
def test_rolling_mean_and_std_vs_exact(series: str, period: int, door: str) -> None:
    x = SERIES[series]()
    means, variances = exact_rolling_mean_var(x, period)
    sma, middle, std_up, std_down = _ours(x, period, door)
    assert np.isnan(sma[: period - 1]).all()
    assert np.isnan(std_up[: period - 1]).all()
    np.testing.assert_array_equal(sma, middle)
    mean_err: list[tuple[float, int]] = []
    std_err: list[tuple[float, int]] = []
    for t in range(period - 1, len(x)):
        exact_mean = float(means[t])
        exact_std = math.sqrt(float(variances[t]))
        mean_err.append((_rel(sma[t], exact_mean), t))
        for std in (std_up, std_down):
            if variances[t] == 0:
                assert std[t] == 0.0, f"row {t}: flat window, std {std[t]!r}"
            else:
                std_err.append((_rel(std[t], exact_std), t))
    worst_mean, at_mean = _worst(mean_err)
    worst_std, at_std = _worst(std_err)
    assert worst_mean <= 1e-9, f"{series}: mean rel err {worst_mean:.3e} at row {at_mean}"
    assert worst_std <= 1e-9, f"{series}: std rel err {worst_std:.3e} at row {at_std}"


@pytest.mark.parametrize("series", list(SERIES))
def test_narrow_bands_match_exact_to_rounding(series: str) -> None:
    """With num_std = 2 the half-width (upper - middle) is 2 std to within the rounding of
    `upper` itself (half an ulp of the price) and 1e-9 relative."""
    x = SERIES[series]()
    period = 20
    _, variances = exact_rolling_mean_var(x, period)
    means, _ = exact_rolling_mean_var(x, period)
    upper, middle, lower = nse.kernels.bbands(x, period, 2.0)
    for t in range(period - 1, len(x)):
        width = 2.0 * math.sqrt(float(variances[t]))
        slack = math.ulp(abs(upper[t])) + math.ulp(abs(middle[t])) + 1e-9 * width
        assert abs((upper[t] - middle[t]) - width) <= slack, t
        assert abs((middle[t] - lower[t]) - width) <= slack, t
        assert abs(middle[t] - float(means[t])) <= 1e-9 * abs(float(means[t])), t


def test_regime_change_leaves_no_residue() -> None:
    """Windows entirely after the 1e9 -> 1 change see only values near 1: the mean is exact to
    a few ulps of 1 there, whatever came before (a running sum would carry ~1e-6 of residue).
    TA-Lib's error on the same windows is recorded in the message, not asserted."""
    x = regime_change()
    period = 20
    means, variances = exact_rolling_mean_var(x, period)
    ours_sma = nse.kernels.sma(x, period)
    ta_sma = talib.SMA(x, period)
    ta_up, ta_mid, _ = talib.BBANDS(x, period, K_WIDE, K_WIDE, 0)
    _, _, ours_std, _ = _ours(x, period, "kernels")
    worst = {"ours_mean": 0.0, "talib_mean": 0.0, "ours_std": 0.0, "talib_std": 0.0}
    for t in range(500 + period - 1, len(x)):
        m = float(means[t])
        s = math.sqrt(float(variances[t]))
        worst["ours_mean"] = max(worst["ours_mean"], _rel(ours_sma[t], m))
        worst["talib_mean"] = max(worst["talib_mean"], _rel(ta_sma[t], m))
        worst["ours_std"] = max(worst["ours_std"], _rel(ours_std[t], s))
        worst["talib_std"] = max(worst["talib_std"], _rel((ta_up[t] - ta_mid[t]) / K_WIDE, s))
    summary = ", ".join(f"{k} {v:.2e}" for k, v in worst.items())
    assert worst["ours_mean"] <= 1e-12, summary
    assert worst["ours_std"] <= 1e-9, summary


def test_talib_bbands_error_is_recorded_not_asserted() -> None:
    """At 1e8 with 1e-2 moves: ours within 1e-9 of exact; TA-Lib's error goes in the message."""
    x = near_1e8(1000, seed=9)
    period = 20
    _, variances = exact_rolling_mean_var(x, period)
    _, _, ours, _ = _ours(x, period, "kernels")
    ta_up, ta_mid, _ = talib.BBANDS(x, period, K_WIDE, K_WIDE, 0)
    ta = (ta_up - ta_mid) / K_WIDE
    exact = np.array([math.sqrt(float(v)) if v is not None else np.nan for v in variances])
    ok = ~np.isnan(exact)
    ours_err = float(np.max(np.abs(ours[ok] - exact[ok]) / exact[ok]))
    ta_err = float(np.max(np.abs(ta[ok] - exact[ok]) / exact[ok]))
    assert ours_err <= 1e-9, f"ours {ours_err:.3e} (TA-Lib {ta_err:.3e})"


def test_exact_oracle_hand_checked() -> None:
    """The oracle itself: mean and population variance of (1, 2, 4) and (2, 4, 8)."""
    means, variances = exact_rolling_mean_var([1.0, 2.0, 4.0, 8.0], 3)
    assert means == [None, None, Fraction(7, 3), Fraction(14, 3)]
    assert variances[2] == Fraction(14, 9)  # ((4/3)^2 + (1/3)^2 + (5/3)^2) / 3
    assert variances[3] == Fraction(56, 9)
