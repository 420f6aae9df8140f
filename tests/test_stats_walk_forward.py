"""nse_polars.walk_forward: windows, choices, out-of-sample trading and no look-ahead.

Oracles: window boundaries written out by hand; each window's choice compared with a separate
nse.sweep of that window's bars; the out-of-sample account compared with nse.backtest of
entries/exits stitched together here from numpy SMA crossings (not the strategy expressions).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

import nse_polars as nse

GRID = {"fast": [3, 5], "slow": [10, 20]}
SETTINGS = {"costs": 5, "bars_per_year": 18_900}


@pytest.fixture(scope="module")
def bars() -> pl.DataFrame:
    return nse.generate_ohlcv(2, days=12, interval="5m", seed=4)  # 900 bars per symbol


@pytest.fixture(scope="module")
def one(bars) -> pl.DataFrame:
    return bars.filter(pl.col("symbol") == "SYM000").drop("symbol")


def _sma(x: np.ndarray, k: int) -> np.ndarray:
    c = np.cumsum(np.r_[0.0, x])
    out = np.full(len(x), np.nan)
    out[k - 1 :] = (c[k:] - c[:-k]) / k
    return out


def _crossings(close: np.ndarray, fast: int, slow: int) -> tuple[np.ndarray, np.ndarray]:
    f, s = _sma(close, fast), _sma(close, slow)
    with np.errstate(invalid="ignore"):
        entries = (f > s) & np.r_[False, (f <= s)[:-1]]
        exits = (f < s) & np.r_[False, (f >= s)[:-1]]
    return entries, exits


@pytest.mark.parametrize(
    ("anchored", "purge", "expected"),
    [
        (False, 0, [(0, 400, 400, 600), (200, 600, 600, 800), (400, 800, 800, 900)]),
        (True, 0, [(0, 400, 400, 600), (0, 600, 600, 800), (0, 800, 800, 900)]),
        (False, 30, [(0, 400, 430, 630), (200, 600, 630, 830), (400, 800, 830, 900)]),
    ],
)
def test_window_layout(one, anchored, purge, expected) -> None:
    wf = nse.walk_forward(
        one, "sma_cross", GRID, train=400, test=200, anchored=anchored, purge=purge, **SETTINGS
    )
    got = list(wf.windows.select("train_start", "train_end", "test_start", "test_end").iter_rows())
    assert got == expected
    first, last = expected[0][2], expected[-1][3]
    assert wf.equity.height == last - first
    assert wf.equity["ts"].to_list() == one["ts"][first:last].to_list()
    assert wf.equity["window"].to_list() == [
        k for k, (_, _, a, b) in enumerate(expected) for _ in range(a, b)
    ]
    assert wf.windows["test_start_ts"].to_list() == [one["ts"][w[2]] for w in expected]


def test_choices_and_out_of_sample_account(one) -> None:
    wf = nse.walk_forward(one, "sma_cross", GRID, train=300, test=150, **SETTINGS)
    close = one["close"].to_numpy()
    entries = np.zeros(one.height, dtype=bool)
    exits = np.zeros(one.height, dtype=bool)
    for w in wf.windows.iter_rows(named=True):
        # The choice: the largest in-sample Sharpe of a separate sweep of the window's bars.
        window = one.slice(w["train_start"], w["train_end"] - w["train_start"])
        found = nse.sweep(window, "sma_cross", GRID, overfitting=False, **SETTINGS).metrics
        best = found.row(int(found["sharpe"].arg_max()), named=True)
        assert (w["fast"], w["slow"]) == (best["fast"], best["slow"])
        assert w["is_sharpe"] == best["sharpe"]
        e, x = _crossings(close, w["fast"], w["slow"])
        entries[w["test_start"] : w["test_end"]] = e[w["test_start"] : w["test_end"]]
        exits[w["test_start"] : w["test_end"]] = x[w["test_start"] : w["test_end"]]
    first, last = wf.windows["test_start"][0], wf.windows["test_end"][-1]
    span = one.slice(first, last - first)
    ref = nse.backtest(
        span, pl.Series(entries[first:last]), pl.Series(exits[first:last]), **SETTINGS
    )
    np.testing.assert_allclose(
        wf.equity["equity"].to_numpy(), ref.equity["equity"].to_numpy(), rtol=1e-12
    )
    assert wf.metrics["sharpe"][0] == pytest.approx(ref.metrics["sharpe"][0], rel=1e-12)
    # Per-window out-of-sample Sharpe and return, from the stitched returns.
    r = ref.equity["return"].to_numpy()
    for w in wf.windows.iter_rows(named=True):
        part = r[w["test_start"] - first : w["test_end"] - first]
        want = part.mean() / part.std(ddof=1) * math.sqrt(18_900)
        assert w["oos_sharpe"] == pytest.approx(want, rel=1e-9)
        assert w["oos_return"] == pytest.approx(np.prod(1 + part) - 1, rel=1e-9, abs=1e-15)
    mean_is = wf.windows["is_sharpe"].mean()
    assert wf.metrics["mean_is_sharpe"][0] == pytest.approx(mean_is)
    text = repr(wf)
    assert "out-of-sample Sharpe" in text
    assert "rolling" in text


def test_no_look_ahead(one) -> None:
    """Cutting the data after window 1's test bars changes nothing up to there."""
    full = nse.walk_forward(one, "sma_cross", GRID, train=300, test=150, **SETTINGS)
    end = full.windows["test_end"][1]
    cut = nse.walk_forward(one.head(end), "sma_cross", GRID, train=300, test=150, **SETTINGS)
    assert cut.windows.height == 2
    assert cut.windows.equals(full.windows.head(2))
    assert cut.equity.equals(full.equity.head(cut.equity.height))


def test_metric_choice_and_by_symbol(bars, one) -> None:
    wf = nse.walk_forward(
        bars,
        "sma_cross",
        GRID,
        train=300,
        test=150,
        metric="total_return",
        by="symbol",
        **SETTINGS,
    )
    assert wf.metrics["symbol"].to_list() == ["SYM000", "SYM001"]
    alone = nse.walk_forward(
        one, "sma_cross", GRID, train=300, test=150, metric="total_return", **SETTINGS
    )
    mine = wf.windows.filter(pl.col("symbol") == "SYM000").drop("symbol")
    assert mine.equals(alone.windows)
    assert "is_total_return" in alone.windows.columns
    for w in alone.windows.iter_rows(named=True):
        window = one.slice(w["train_start"], w["train_end"] - w["train_start"])
        found = nse.sweep(window, "sma_cross", GRID, overfitting=False, **SETTINGS).metrics
        assert w["is_total_return"] == found["total_return"].max()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"train": 900, "test": 10}, "has 900 bars: train=900 \\+ purge=0 leaves no bar"),
        ({"train": 1, "test": 10}, "`train` must be an integer >= 2"),
        ({"train": 100, "test": 0}, "`test` must be an integer >= 1"),
        ({"train": 100, "test": 10, "purge": -1}, "`purge` must be an integer >= 0"),
        ({"train": 100.0, "test": 10}, "`train` must be an integer"),
        ({"train": 100, "test": 10, "metric": "annual_vol"}, "`metric` must be one of"),
    ],
)
def test_bad_arguments(one, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        nse.walk_forward(one, "sma_cross", GRID, **kwargs)


def test_bad_strategy_and_symbol_too_short(bars) -> None:
    with pytest.raises(ValueError, match="`strategy`: unknown"):
        nse.walk_forward(bars, "nope", GRID, train=100, test=10)
    short = pl.concat([bars.tail(50), bars.head(900)])  # the short symbol first: fails fast
    with pytest.raises(ValueError, match="symbol 'SYM001' has 50 bars"):
        nse.walk_forward(short, "sma_cross", GRID, train=100, test=10, by="symbol")
