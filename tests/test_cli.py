"""The ``nse-polars`` command line, run as a subprocess (the way a user runs it), plus the many
bad-input cases through ``cli.main`` in-process (same code, no interpreter start-up each)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import talib
from conftest import NSE_FO_5MIN

import nse_polars as nse
from nse_polars import cli


def run_cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("NSE_POLARS_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "nse_polars", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """Ten symbols of 5-minute bars, one CSV per symbol without a symbol column (the symbol
    comes from the file name), more files than one reading batch."""
    root = tmp_path_factory.mktemp("bars")
    bars = nse.generate_ohlcv(10, days=12, seed=9)
    for (symbol,), part in bars.group_by("symbol", maintain_order=True):
        part.drop("symbol").write_csv(root / f"{symbol}.csv")
    return root


@pytest.fixture(scope="module")
def expected_bars(data_dir) -> pl.DataFrame:
    return nse.read_ohlcv(data_dir)


def test_demo_writes_the_report(tmp_path):
    exe = Path(sys.executable).with_name("nse-polars")
    args = [str(exe)] if exe.exists() else [sys.executable, "-m", "nse_polars"]
    proc = subprocess.run(
        [*args, "demo", "--symbols", "2", "--days", "3"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "nse_polars demo: 2 synthetic symbols x 3 NSE sessions" in proc.stdout
    assert "backtest: MACD 12/26/9 cross" in proc.stdout
    report = tmp_path / cli.DEMO_REPORT
    assert f"report: {report.resolve()}" in proc.stdout
    html = report.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in html and not re.search(r"<script[^>]+src=", html)


def test_indicators_writes_the_overlay(data_dir, expected_bars, tmp_path):
    out = tmp_path / "overlay.parquet"
    proc = run_cli("indicators", str(data_dir), "-o", str(out), "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "9,000 bars, 10 symbol(s)" in proc.stdout
    got = pl.read_parquet(out)
    assert got.equals(expected_bars.nse.overlay(by="symbol"))
    sym = got.filter(pl.col("symbol") == "SYM003")
    close = sym["close"].to_numpy()
    np.testing.assert_allclose(sym["rsi_14"].to_numpy(), talib.RSI(close, 14), rtol=1e-9)
    upper, _, _ = talib.BBANDS(close, 20, 2.0, 2.0)
    np.testing.assert_allclose(sym["bb_upper"].to_numpy(), upper, rtol=1e-9)
    csv = tmp_path / "one.csv"
    proc = run_cli(
        "indicators", str(data_dir / "SYM001.csv"), "-o", str(csv), "--rsi", "7", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "rsi_7" in pl.read_csv(csv).columns
    proc = run_cli("indicators", str(data_dir / "SYM001.csv"), "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert pl.read_parquet(tmp_path / "SYM001_overlay.parquet").height == 900


def test_backtest_table_files_and_report(data_dir, expected_bars, tmp_path):
    metrics, trades, report = tmp_path / "m.parquet", tmp_path / "t.csv", tmp_path / "r.html"
    proc = run_cli(
        "backtest", str(data_dir), "--strategy", "macd_cross", "--params", "fast=8,slow=21",
        "signal=5", "--costs", "nse_delivery", "--metrics", str(metrics), "--trades", str(trades),
        "--report", str(report), "--report-symbol", "SYM002", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    want = nse.backtest(
        expected_bars, nse.strategies.macd_cross(8, 21, 5), by="symbol", costs="nse_delivery"
    )
    assert pl.read_parquet(metrics).equals(want.metrics)
    assert pl.read_csv(trades).height == want.trades.height
    # The printed table: one line per symbol with its Sharpe ratio to 3 decimals.
    for row in want.metrics.iter_rows(named=True):
        line = next(x for x in proc.stdout.splitlines() if f" {row['symbol']} " in x)
        assert f"{row['sharpe']:.3f}" in line
    assert "macd_cross(fast=8, slow=21, signal=5)" in proc.stdout
    assert "SYM002: price" in report.read_text(encoding="utf-8")


def test_sweep_prints_the_best_sets(data_dir, expected_bars, tmp_path):
    out = tmp_path / "sweep.csv"
    proc = run_cli(
        "sweep", str(data_dir), "--strategy", "sma_cross", "--grid", "fast=5:15:5", "slow=30,60",
        "--costs", "10", "-o", str(out), "--rows", "3", "--report", "sweep.html", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    want = nse.sweep(
        expected_bars, "sma_cross", {"fast": [5, 10, 15], "slow": [30, 60]}, by="symbol", costs=10.0
    )
    got = pl.read_csv(out)
    assert got.height == want.metrics.height == 60
    np.testing.assert_allclose(got["sharpe"].to_numpy(), want.metrics["sharpe"].to_numpy())
    best = want.metrics.sort("sharpe", descending=True).row(0, named=True)
    assert "6 parameter set(s) x 10 symbol(s)" in proc.stdout
    assert f"{best['sharpe']:.3f}" in proc.stdout
    html = (tmp_path / "sweep.html").read_text(encoding="utf-8")
    assert "Sweep: sma_cross" in html
    assert f"{best['symbol']}: price" in html  # the report charts the best set's symbol
    # The overfitting verdict of each symbol (nse_polars.stats), printed and in the report.
    assert want.overfitting is not None
    for verdict in want.overfitting["verdict"]:
        assert verdict in proc.stdout
    assert "Overfitting verdict" in html


def test_bad_input_exits_2_with_one_line(data_dir, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("ts,open,high,low,close\n2024-01-02 09:15,10,9,11,10\n")
    for args, fragment in [
        (["backtest", str(tmp_path / "missing.csv"), "--strategy", "rsi"], "no such file"),
        (["backtest", str(bad), "--strategy", "rsi"], "high_ge_low"),
        (["backtest", str(data_dir), "--strategy", "nope"], "invalid choice: 'nope'"),
    ]:
        proc = run_cli(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0], proc.stderr
        assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["backtest", "{d}", "--strategy", "rsi", "--params", "period=0"], "period=0"),
        (["backtest", "{d}", "--strategy", "rsi", "--params", "perod=3"], "unknown ['perod']"),
        (["backtest", "{d}", "--strategy", "rsi", "--params", "period"], "expected name=value"),
        (["backtest", "{d}", "--strategy", "rsi", "--params", "period=x"], "expected a number"),
        (["backtest", "{d}", "--strategy", "rsi", "--costs", "free"], "`--costs`"),
        (["backtest", "{d}", "--strategy", "rsi", "--metrics", "m.txt"], "must end in .parquet"),
        (["sweep", "{d}", "--strategy", "sma_cross", "--grid", "fast=5:1:1"], "start:stop:step"),
        (["sweep", "{d}", "--strategy", "sma_cross", "--grid", "fats=5"], "unknown ['fats']"),
        (["sweep", "{d}", "--strategy", "sma_cross", "--grid", "fast="], "`--grid`"),
        (["indicators", "{d}", "--rsi", "0"], "positive integer"),
        (["indicators", "{d}/SYM000.csv", "-o", "x.json"], "must end in .parquet or .csv"),
        (["demo", "--days", "-1"], "positive integer"),
    ],
)
def test_usage_errors(args, fragment, data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{d}", str(data_dir)) for a in args]
    try:
        code = cli.main(args)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and fragment in err, err


def test_cross_file_duplicates_are_caught(data_dir, tmp_path):
    """Files are read in batches; a bar repeated with other values in two batches is still a
    conflict (the same rule read_ohlcv applies to a directory)."""
    root = tmp_path / "dup"
    shutil.copytree(data_dir, root)
    # zz.csv (the last batch) repeats SYM000's first bar with another volume.
    first = pl.read_csv(root / "SYM000.csv").head(1)
    first.with_columns(pl.col("volume") + 1, symbol=pl.lit("SYM000")).write_csv(root / "zz.csv")
    code = cli.main(["indicators", str(root), "-o", str(tmp_path / "o.parquet"), "-q"])
    assert code == 2
    code = cli.main(
        ["indicators", str(root), "-o", str(tmp_path / "o.parquet"), "-q", "--on-invalid", "drop"]
    )
    assert code == 0
    got = pl.read_parquet(tmp_path / "o.parquet")
    assert got.height == 9_000 - 1  # both copies of the conflicting bar are dropped
    assert got.filter(pl.col("symbol") == "SYM000").height == 900 - 1


def test_sql_subcommand(tmp_path):
    # SMA(2) of 1, 2, 4, 8: null, 1.5, 3, 6 (the nse_* functions are registered).
    query = "SELECT nse_sma([1, 2, 4, 8]::DOUBLE[], 2) AS s, 41 + 1 AS answer"
    proc = run_cli("sql", query, "-o", "out.parquet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    got = pl.read_parquet(tmp_path / "out.parquet")
    assert got["s"].to_list() == [[None, 1.5, 3.0, 6.0]] and got["answer"].to_list() == [42]
    proc = run_cli("sql", "SELECT 41 + 1 AS answer", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "42" in proc.stdout
    proc = run_cli("sql", "SELEC 1", cwd=tmp_path)  # the user's SQL is wrong: exit 2, one line
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "syntax error" in proc.stderr.lower()


def test_help_lists_every_command(tmp_path):
    proc = run_cli("--help", cwd=tmp_path)
    assert proc.returncode == 0
    for command in ("demo", "indicators", "backtest", "sweep", "sql", "serve"):
        assert command in proc.stdout


@pytest.mark.realdata
def test_real_nse_file_with_its_known_faults(tmp_path, capsys, monkeypatch):
    """RELIANCE's 5-minute file repeats whole days (PROVENANCE: 225 duplicate rows here): the
    default stops with the rule named, --on-invalid repair goes on and says what it dropped."""
    path = NSE_FO_5MIN / "RELIANCE.csv.gz"
    if not path.is_file():
        pytest.skip(f"real data not found under {NSE_FO_5MIN}")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["backtest", str(path), "--strategy", "rsi"]) == 2
    err = capsys.readouterr().err
    assert "225 rows break validation rules (duplicate_exact: 225)" in err
    args = ["backtest", str(path), "--strategy", "rsi", "--on-invalid", "repair"]
    assert cli.main([*args, "--metrics", "m.csv"]) == 0
    assert "dropped 225 rows (duplicate_exact: 225)" in capsys.readouterr().err
    metrics = pl.read_csv(tmp_path / "m.csv")
    assert metrics["symbol"].to_list() == ["RELIANCE"] and metrics["n_trades"][0] > 0
