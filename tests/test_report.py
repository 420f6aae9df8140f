"""HTML reports: self-contained, the expected charts, and numbers checked against plain Python."""

from __future__ import annotations

import datetime as dt
import re
from html import escape as html_escape

import numpy as np
import polars as pl
import pytest

import nse_polars as nse
from nse_polars import report


@pytest.fixture(scope="module")
def run():
    bars = nse.generate_ohlcv(["TCS", "INFY", "M&M"], days=70, seed=11)
    res = nse.backtest(bars, nse.strategies.macd_cross(), by="symbol", costs="nse_intraday")
    return bars, res


def _monthly_oracle(ts: list[dt.datetime], equity: list[float], initial: float) -> dict:
    """Last equity of each calendar month over the previous month's last (plain Python)."""
    last: dict[tuple[int, int], float] = {}
    for t, e in zip(ts, equity, strict=True):
        last[(t.year, t.month)] = e  # rows are in time order: the last write wins
    out, previous = {}, initial
    for key in sorted(last):
        out[key] = last[key] / previous - 1.0
        previous = last[key]
    return out


def test_monthly_returns_match_plain_python(run):
    _, res = run
    eq = res.equity.filter(pl.col("symbol") == "INFY")
    got = report.monthly_returns(eq, initial_capital=100_000.0)
    want = _monthly_oracle(eq["ts"].to_list(), eq["equity"].to_list(), 100_000.0)
    assert got.height == len(want) >= 3  # 70 weekdays span four calendar months
    for year, month, value in got.iter_rows():
        assert value == pytest.approx(want[(year, month)], rel=1e-12, abs=1e-15)
    # Compounding the months gives the total return of the account.
    total = float(np.prod(1.0 + got["return"].to_numpy()) - 1.0)
    metrics = res.metrics.filter(pl.col("symbol") == "INFY")
    assert total == pytest.approx(metrics["total_return"][0], rel=1e-9)


def test_monthly_returns_worked_example_and_empty():
    eq = pl.DataFrame(
        {
            "ts": [dt.datetime(2024, 1, 31), dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 29)],
            "equity": [120.0, 90.0, 60.0],
        }
    )
    got = report.monthly_returns(eq, initial_capital=100.0)
    assert got.rows() == [(2024, 1, pytest.approx(0.2)), (2024, 3, pytest.approx(-0.5))]
    empty = report.monthly_returns(eq.clear(), initial_capital=100.0)
    assert empty.height == 0 and empty.columns == ["year", "month", "return"]


def test_drawdown_matches_numpy():
    equity = np.array([100.0, 110.0, 99.0, 120.0, 60.0, 130.0])
    got = pl.DataFrame({"equity": equity}).select(report.drawdown("equity", 105.0)).to_series()
    peak = np.maximum.accumulate(np.maximum(equity, 105.0))
    np.testing.assert_allclose(got.to_numpy(), equity / peak - 1.0, rtol=0, atol=1e-15)
    assert got[4] == pytest.approx(-0.5)


def test_figures_have_the_expected_traces(run):
    bars, res = run
    figs = report.build_figures(bars, res, symbol="INFY")
    names = {key: [t.name for t in fig.data] for key, fig in figs.items()}
    for expected in ("close", "SMA 20", "EMA 20", "BB upper", "BB middle", "BB lower"):
        assert expected in names["price"]
    for expected in ("entries", "exits", "RSI 14", "MACD", "MACD signal", "MACD hist"):
        assert expected in names["price"]
    assert {"TCS", "INFY", "M&M", "INFY drawdown"} <= set(names["equity"])
    assert names["monthly"] == ["monthly returns"]
    # Trade markers sit on the exact fills of the chosen symbol.
    trades = res.trades.filter(pl.col("symbol") == "INFY")
    entries = next(t for t in figs["price"].data if t.name == "entries")
    np.testing.assert_array_equal(np.asarray(entries.y, float), trades["entry_price"].to_numpy())
    assert len(entries.x) == trades.height > 0
    # The heatmap holds the monthly returns in percent.
    heat = figs["monthly"].data[0]
    months = report.monthly_returns(
        res.equity.filter(pl.col("symbol") == "INFY"), initial_capital=100_000.0
    )
    cells = [v for row in heat.z for v in row if v is not None]
    np.testing.assert_allclose(cells, months["return"].to_numpy() * 100.0, rtol=1e-12)


def test_report_is_self_contained(run, tmp_path):
    bars, res = run
    path = report.write_report(tmp_path / "r.html", bars, res, title="<b>t</b> & co")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert not re.search(r"<script[^>]+src\s*=", html, re.IGNORECASE)  # nothing fetched
    assert not re.search(r"<link[^>]+href\s*=\s*[\"']?https?:", html, re.IGNORECASE)
    assert html.count("Plotly.newPlot") == 3  # price, equity, monthly
    assert len(re.findall(r"plotly\.js v\d", html)) == 1  # the library is inlined once
    assert "&lt;b&gt;t&lt;/b&gt; &amp; co" in html and "<b>t</b>" not in html
    assert "M&amp;M" in html  # symbols are escaped in the metrics table
    for metric in ("sharpe", "max_drawdown", "total_costs"):
        assert f"<th>{metric}</th>" in html
    assert 3e6 < len(html) < 8e6


def test_long_series_are_thinned_and_say_so():
    bars = nse.generate_ohlcv(["LONG"], days=600, seed=5)  # 45,000 bars
    res = nse.backtest(bars, nse.strategies.sma_cross(10, 50), by="symbol")
    figs = report.build_figures(bars, res, max_points=2_000)
    close = next(t for t in figs["price"].data if t.name == "close")
    step = -(-bars.height // 2_000)  # 23: one bar in 23, the last bar added
    assert len(close.y) == -(-bars.height // step) + 1 <= 2_001
    assert close.y[-1] == bars["close"][-1]  # the last bar is always kept
    html = report.build_report(bars, res, max_points=2_000)
    assert "Price chart: one bar in 23 of 45,000 drawn" in html
    assert len(html) < 8e6


def test_sweep_section_and_verdict(run):
    bars, res = run
    grid = {"fast": [5, 10], "slow": [20, 50]}
    plain = nse.sweep(bars, "sma_cross", grid, by="symbol", overfitting=False)
    html = report.build_report(bars, res, sweep=plain)
    assert "Sweep: sma_cross" in html and "Overfitting verdict" not in html
    sw = nse.sweep(bars, "sma_cross", grid, by="symbol")
    html = report.build_report(bars, res, sweep=sw)
    assert "Overfitting verdict" in html
    for verdict in sw.overfitting["verdict"]:  # every symbol's line, from nse_polars.stats
        assert html_escape(verdict) in html


def test_bad_arguments(run):
    bars, res = run
    with pytest.raises(ValueError, match="`symbol`"):
        report.build_report(bars, res, symbol="NOPE")
    with pytest.raises(ValueError, match="`max_points`"):
        report.build_report(bars, res, max_points=5)


def test_single_account_without_symbols():
    bars = nse.generate_ohlcv(["ONE"], days=15, seed=2).drop("symbol")
    res = nse.backtest(bars, nse.strategies.rsi(14, 30, 70))
    figs = report.build_figures(bars, res)
    assert [t.name for t in figs["equity"].data] == ["equity", "drawdown"]
    assert "<th>sharpe</th>" in report.build_report(bars, res)
