"""Command line: ``nse-polars demo`` (or ``python -m nse_polars demo`` outside the source tree)."""

from __future__ import annotations

import argparse
import sys
import time

import polars as pl

from nse_polars import functions, strategies
from nse_polars.backtest import backtest
from nse_polars.synthetic import generate_ohlcv


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"expected a positive integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def demo(symbols: int, days: int, seed: int) -> int:
    """Synthetic NSE bars -> the five-indicator overlay per symbol -> a table -> a backtest."""
    bars = generate_ohlcv(symbols, days=days, interval="5m", seed=seed)
    start = time.perf_counter()
    overlay = bars.nse.overlay(by="symbol")
    elapsed_ms = (time.perf_counter() - start) * 1e3
    print(
        f"nse_polars demo: {symbols} synthetic symbols x {days} NSE sessions of 5-minute bars "
        f"({bars.height:,} rows, seed {seed})"
    )
    print(f"overlay (SMA 20, EMA 20, RSI 14, MACD 12/26/9, Bollinger 20/2): {elapsed_ms:.1f} ms\n")
    columns = ["symbol", "ts", "close", *functions.overlay_columns()]
    with pl.Config(tbl_cols=-1, tbl_rows=-1, tbl_width_chars=200, float_precision=2):
        print("last bar of each symbol:")
        print(overlay.group_by("symbol", maintain_order=True).last().select(columns))
        print("\nfirst 36 bars of the first symbol (warm-up rows are null):")
        print(overlay.head(36).select(columns).tail(6))
    strategy = strategies.macd_cross(12, 26, 9)
    start = time.perf_counter()
    result = backtest(bars, strategy, by="symbol", costs="nse_intraday")
    elapsed_ms = (time.perf_counter() - start) * 1e3
    print(
        f"\nbacktest: MACD 12/26/9 cross, long only, fill at the next open, NSE intraday "
        f"charges ({elapsed_ms:.1f} ms)"
    )
    print(result)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nse-polars", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="overlay on built-in synthetic NSE data")
    demo_parser.add_argument("--symbols", type=_positive_int, default=5)
    demo_parser.add_argument("--days", type=_positive_int, default=20)
    demo_parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.symbols, args.days, args.seed)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
