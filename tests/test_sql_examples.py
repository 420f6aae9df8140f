"""The example queries of sql/examples/ (and the README's SQL section) against the frame API,
on a hive-partitioned Parquet dataset written by the test and on the real NSE 5-minute data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import real_5min_files

import nse_polars as nse
from nse_polars import sql

EXAMPLES = Path(__file__).resolve().parents[1] / "sql" / "examples"


def _example(name: str, dataset: Path) -> str:
    text = (EXAMPLES / name).read_text()
    assert "'bars/**/*.parquet'" in text
    return text.replace("'bars/**/*.parquet'", f"'{dataset.as_posix()}/**/*.parquet'")


def _check_ranking(bars: pl.DataFrame, dataset: Path) -> pl.DataFrame:
    got = sql.connect().sql(_example("rank_rsi_sharpe.sql", dataset)).pl()
    want = nse.backtest(bars, nse.strategies.rsi(14, 30, 70), by="symbol", costs="nse_intraday")
    assert want.bars_per_year == 18900  # what the query passes
    top = (
        want.metrics.sort(["sharpe", "symbol"], descending=[True, False], nulls_last=True)
        .head(10)
        .select(got.columns)
    )
    assert got["symbol"].to_list() == top["symbol"].to_list()
    for c in got.columns[1:]:
        np.testing.assert_allclose(
            got[c].to_numpy().astype(float), top[c].to_numpy().astype(float), rtol=1e-12, err_msg=c
        )
    return got


def test_examples_on_a_written_dataset(tmp_path):
    bars = nse.generate_ohlcv(12, days=30, interval="5m", seed=4)
    bars.write_parquet(tmp_path / "bars", partition_by="symbol")
    got = _check_ranking(bars, tmp_path / "bars")
    assert got.height == 10
    assert got["n_trades"].sum() > 0
    last = sql.connect().sql(_example("overlay_last_bar.sql", tmp_path / "bars")).pl()
    assert last.height == 12  # one row per symbol
    overlay = bars.nse.overlay(by="symbol").group_by("symbol").agg(pl.all().last())
    joined = last.join(overlay, on="symbol")
    assert joined["rsi_14"].to_list() == joined["rsi_14_right"].to_list()
    band = (pl.col("close") - pl.col("bb_lower")) / (pl.col("bb_upper") - pl.col("bb_lower"))
    np.testing.assert_allclose(
        joined["band_position"].to_numpy(), joined.select(band).to_series().to_numpy(), rtol=1e-12
    )


@pytest.mark.realdata
def test_rank_example_on_real_nse_data(tmp_path):
    files = real_5min_files()
    if not files:
        pytest.skip("real data not found under ../shared/data")
    bars, _report = nse.read_ohlcv(files[:6], on_invalid="repair", return_report=True)
    bars.write_parquet(tmp_path / "bars", partition_by="symbol")
    got = _check_ranking(bars, tmp_path / "bars")
    assert got.height == 6
