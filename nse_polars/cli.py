"""The ``nse-polars`` command line: demo, indicators, backtest, sweep, sql, serve.

Exit codes: 0 on success; 2 on bad usage or bad input, with a one-line reason on stderr and no
traceback; 1 on an unexpected internal error (one line too; ``NSE_POLARS_DEBUG=1`` shows the
traceback). Tables go to stdout; progress bars and notes go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import polars as pl

from nse_polars import functions, strategies
from nse_polars.backtest import COST_PRESETS, backtest, sweep
from nse_polars.stats import format_verdicts
from nse_polars.synthetic import generate_ohlcv

if TYPE_CHECKING:
    from collections.abc import Sequence

    from nse_polars.backtest import BacktestResult

__all__ = ["UsageError", "main"]

DEMO_REPORT = "nse_polars_demo.html"
SWEEP_COLUMNS = ("sharpe", "total_return", "cagr", "max_drawdown", "win_rate", "n_trades")
FILES_PER_BATCH = (
    8  # files read per read_ohlcv call (a progress step; files in a batch in parallel)
)


class UsageError(Exception):
    """Bad usage or bad input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``nse-polars backtest: error: ...``) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _progress(quiet: bool) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_stderr_console(),
        transient=True,
        disable=quiet,
    )


# --- arguments ----------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"expected a positive integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _number(text: str) -> int | float:
    """An int when the text is one, else a finite float."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        msg = f"expected a number, got {text!r}"
        raise UsageError(msg)
    return value


def parse_params(items: Sequence[str] | None) -> dict[str, int | float]:
    """``["fast=12,slow=26", "signal=9"]`` -> ``{"fast": 12, "slow": 26, "signal": 9}``."""
    params: dict[str, int | float] = {}
    for item in items or ():
        for part in filter(None, (p.strip() for p in item.split(","))):
            name, eq, value = part.partition("=")
            if not eq or not name.strip():
                msg = f"`--params`: expected name=value, got {part!r}"
                raise UsageError(msg)
            params[name.strip()] = _number(value.strip())
    return params


def parse_grid(items: Sequence[str] | None) -> dict[str, list[int | float]]:
    """``["fast=5,10,20", "slow=50:200:50"]`` -> lists of values (``start:stop:step`` includes
    the stop when the steps reach it)."""
    grid: dict[str, list[int | float]] = {}
    for item in items or ():
        name, eq, values = item.partition("=")
        if not eq or not name.strip() or not values.strip():
            msg = f"`--grid`: expected name=v1,v2,... or name=start:stop:step, got {item!r}"
            raise UsageError(msg)
        if ":" in values:
            parts = [_number(p) for p in values.split(":")]
            if len(parts) != 3 or parts[2] <= 0 or parts[1] < parts[0]:
                msg = f"`--grid`: a range is start:stop:step with step > 0, got {values!r}"
                raise UsageError(msg)
            start, stop, step = parts
            count = int((stop - start) / step + 1e-9) + 1
            if count > 100_000:
                msg = f"`--grid`: {name} has {count:,} values; at most 100,000"
                raise UsageError(msg)
            seq = [start + i * step for i in range(count)]
            all_int = all(isinstance(p, int) for p in parts)
            grid[name.strip()] = [int(v) for v in seq] if all_int else [float(v) for v in seq]
        else:
            grid[name.strip()] = [_number(v.strip()) for v in values.split(",") if v.strip()]
    return grid


def _costs(text: str) -> str | float:
    if text in COST_PRESETS:
        return text
    try:
        return float(text)
    except ValueError:
        msg = (
            f"`--costs`: expected a preset ({', '.join(sorted(COST_PRESETS))}) or basis points, "
            f"got {text!r}"
        )
        raise UsageError(msg) from None


# --- reading ------------------------------------------------------------------------------------


def load_bars(source: str, *, on_invalid: str, symbol: str | None, quiet: bool) -> pl.DataFrame:
    """Bars from a file, directory or glob through the strict reader, in batches of files with a
    progress bar; cross-file rules (duplicates, order) are checked once over all files."""
    from nse_polars.ohlcv import _resolve_sources, read_ohlcv, validate_ohlcv

    files = _resolve_sources(source)
    kwargs: dict[str, Any] = {"on_invalid": on_invalid, "return_report": True}
    if symbol is not None:
        kwargs["symbol"] = symbol
    if len(files) <= FILES_PER_BATCH:
        data, report = read_ohlcv(files if len(files) > 1 else files[0], **kwargs)
        _note_report(report, quiet)
        return data
    frames, reports = [], []
    with _progress(quiet) as progress:
        task = progress.add_task(f"reading {len(files)} files", total=len(files))
        for i in range(0, len(files), FILES_PER_BATCH):
            batch = files[i : i + FILES_PER_BATCH]
            data, report = read_ohlcv(batch, provenance=True, **kwargs)
            frames.append(data.with_columns(pl.col("source").cast(pl.String)))
            reports.append(report)
            progress.advance(task, len(batch))
    combined = pl.concat(frames, how="diagonal_relaxed")
    data, report = validate_ohlcv(combined, on_invalid=on_invalid)  # across batches
    _note_report(pl.concat([*reports, report], how="diagonal_relaxed"), quiet)
    return data.drop("source", "line")


def _note_report(report: pl.DataFrame, quiet: bool) -> None:
    if report.height and not quiet:
        from nse_polars.ohlcv_validate import summarize

        print(f"data quality: {summarize(report)}", file=sys.stderr)


# --- output -------------------------------------------------------------------------------------


def _print_table(frame: pl.DataFrame) -> None:
    """A frame as a rich table (metrics formatted as in the report), to stdout."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from nse_polars.report import TABLE_METRICS, _fmt

    table = Table(header_style="bold")
    for c in frame.columns:
        table.add_column(c, justify="right" if frame.schema[c].is_numeric() else "left")
    for row in frame.iter_rows(named=True):
        table.add_row(
            *(Text(_fmt(v, TABLE_METRICS.get(c, "text"), escape=False)) for c, v in row.items())
        )
    console = Console()
    Console(width=max(200, console.width)).print(table)


def print_metrics(result: BacktestResult) -> None:
    """The metrics table, one row per symbol, readable in a terminal or a pipe."""
    from nse_polars.report import TABLE_METRICS

    m = result.metrics
    keys = [c for c in ("symbol",) if c in m.columns]
    _print_table(m.select(keys + [c for c in TABLE_METRICS if c in m.columns]))


def _write_frame(frame: pl.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.write_csv(path)
    elif suffix in (".parquet", ".pq"):
        frame.write_parquet(path)
    else:
        msg = f"{path}: output must end in .parquet or .csv"
        raise UsageError(msg)


def _write_report(path: str | None, bars: pl.DataFrame, result: BacktestResult, **kw: Any) -> None:
    if not path:
        return
    from nse_polars.report import write_report

    out = write_report(path, bars, result, **kw)
    print(f"report: {out.resolve()} ({out.stat().st_size / 1e6:.1f} MB)")


# --- commands -----------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    """Synthetic NSE bars -> the five-indicator overlay per symbol -> a table -> a backtest ->
    a report."""
    symbols, days, seed = args.symbols, args.days, args.seed
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
    if not args.no_report:
        _write_report(
            args.report, bars, result, overlay=overlay, title="nse_polars demo: MACD 12/26/9"
        )
    return 0


def _default_output(source: str) -> Path:
    """``data/RELIANCE.csv.gz`` -> ``RELIANCE_overlay.parquet``; a directory or a glob ->
    ``overlay.parquet`` (in the working directory, never next to the input)."""
    path = Path(source)
    if path.is_file():
        return Path(f"{path.name.split('.')[0] or 'bars'}_overlay.parquet")
    return Path("overlay.parquet")


def cmd_indicators(args: argparse.Namespace) -> int:
    bars = load_bars(args.source, on_invalid=args.on_invalid, symbol=args.symbol, quiet=args.quiet)
    start = time.perf_counter()
    overlay = bars.nse.overlay(
        by="symbol",
        sma=args.sma,
        ema=args.ema,
        rsi=args.rsi,
        macd=tuple(args.macd),
        bbands=(args.bb_period, args.bb_std),
    )
    elapsed_ms = (time.perf_counter() - start) * 1e3
    out = Path(args.output) if args.output else _default_output(args.source)
    _write_frame(overlay, out)
    n_symbols = overlay.get_column("symbol").n_unique()
    print(
        f"{overlay.height:,} bars, {n_symbols} symbol(s): overlay in {elapsed_ms:.1f} ms, "
        f"{len(overlay.columns)} columns written to {out}"
    )
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    strategy = strategies.from_name(args.strategy, parse_params(args.params))
    costs = _costs(args.costs)
    bars = load_bars(args.source, on_invalid=args.on_invalid, symbol=args.symbol, quiet=args.quiet)
    start = time.perf_counter()
    result = backtest(
        bars,
        strategy,
        by="symbol",
        costs=costs,
        fill=args.fill,
        initial_capital=args.capital,
        slippage_bps=args.slippage_bps,
    )
    elapsed_ms = (time.perf_counter() - start) * 1e3
    params = ", ".join(f"{k}={v}" for k, v in strategy.params.items())
    print(
        f"backtest {strategy.name}({params}) on {bars.height:,} bars, "
        f"{result.metrics.height} symbol(s), costs {costs}, {args.fill} fills: {elapsed_ms:.1f} ms"
    )
    print_metrics(result)
    if args.trades:
        _write_frame(result.trades, Path(args.trades))
        print(f"trades: {args.trades} ({result.trades.height:,} rows)")
    if args.metrics:
        _write_frame(result.metrics, Path(args.metrics))
        print(f"metrics: {args.metrics}")
    _write_report(args.report, bars, result, symbol=args.report_symbol)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    grid = parse_grid(args.grid)
    if args.strategy not in strategies.STRATEGIES:
        strategies.from_name(args.strategy)  # raises, naming the choices
    if not grid:
        msg = f"`--grid`: give at least one, e.g. --grid fast=5,10 slow=50,100 ({args.strategy})"
        raise UsageError(msg)
    # Parameters left out of the grid take the strategy's defaults.
    defaults = strategies.from_name(args.strategy).params
    full = {k: grid.get(k, [v]) for k, v in defaults.items()}
    unknown = [k for k in grid if k not in defaults]
    if unknown:
        msg = f"`--grid`: {args.strategy} takes {list(defaults)}; unknown {unknown}"
        raise UsageError(msg)
    costs = _costs(args.costs)
    bars = load_bars(args.source, on_invalid=args.on_invalid, symbol=args.symbol, quiet=args.quiet)
    start = time.perf_counter()
    result = sweep(bars, args.strategy, full, by="symbol", costs=costs, fill=args.fill)
    elapsed_ms = (time.perf_counter() - start) * 1e3
    n_sets = result.metrics.height // max(1, result.metrics.get_column("symbol").n_unique())
    print(
        f"sweep {args.strategy}: {n_sets} parameter set(s) x "
        f"{result.metrics.get_column('symbol').n_unique()} symbol(s) in {elapsed_ms:.1f} ms"
    )
    print(
        f"{result.metrics.height:,} rows, {result.skipped} invalid set(s) skipped, "
        f"bars_per_year={result.bars_per_year:g}; the best {args.rows} by Sharpe:"
    )
    best = result.metrics.sort("sharpe", descending=True, nulls_last=True).head(args.rows)
    _print_table(best.select("symbol", *defaults, *SWEEP_COLUMNS))
    verdicts = format_verdicts(result.overfitting, "symbol")
    if verdicts:
        print(verdicts)
    if args.output:
        _write_frame(result.metrics, Path(args.output))
        print(f"metrics: {args.output}")
    if args.report:
        # The report charts a backtest of the best set by Sharpe (first symbol's best row).
        best = result.metrics.sort("sharpe", descending=True, nulls_last=True).row(0, named=True)
        params = {k: best[k] for k in defaults}
        strategy = strategies.from_name(args.strategy, params)
        res = backtest(bars, strategy, by="symbol", costs=costs, fill=args.fill)
        title = f"sweep of {args.strategy}: best set by Sharpe {params}"
        _write_report(args.report, bars, res, sweep=result, title=title, symbol=best["symbol"])
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    try:
        from nse_polars import sql
    except ImportError as exc:
        msg = f"the sql command needs nse_polars.sql and duckdb ({exc})"
        raise UsageError(msg) from None
    text = args.query
    if text == "-":
        text = sys.stdin.read()
    elif text.endswith(".sql") and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8")
    import duckdb

    try:
        frame = sql.query(text, database=args.database)
    except duckdb.Error as exc:  # the user's SQL: a usage error, not an internal one
        raise UsageError(str(exc)) from None
    if args.output:
        _write_frame(frame, Path(args.output))
        print(f"{frame.height:,} rows written to {args.output}")
    else:
        with pl.Config(tbl_cols=-1, tbl_rows=args.rows, tbl_width_chars=200):
            print(frame)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from nse_polars.server import create_app
    except ImportError as exc:
        msg = f"`serve` needs the server extra: pip install 'nse_polars[server]' ({exc})"
        raise UsageError(msg) from None
    app = create_app(
        max_upload_bytes=None if args.max_upload_mb is None else int(args.max_upload_mb * 1e6),
        max_rows=args.max_rows,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


# --- parser -------------------------------------------------------------------------------------


def _input_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="a CSV/Parquet/IPC file, a directory of them, or a glob")
    p.add_argument(
        "--on-invalid",
        choices=("raise", "drop", "repair"),
        default="raise",
        help="bars that break a validation rule: stop (default), drop them, or repair them",
    )
    p.add_argument("--symbol", help="symbol for files without a symbol column")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or notes")


def _trading_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--costs",
        default="nse_delivery",
        help=f"cost preset ({', '.join(sorted(COST_PRESETS))}) or basis points per side",
    )
    p.add_argument("--fill", choices=("next_open", "next_close"), default="next_open")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nse-polars", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = commands.add_parser("demo", help="overlay, backtest and report on synthetic NSE data")
    p.add_argument("--symbols", type=_positive_int, default=5)
    p.add_argument("--days", type=_positive_int, default=20)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--report", default=DEMO_REPORT, help=f"HTML report path ({DEMO_REPORT})")
    p.add_argument("--no-report", action="store_true", help="skip the HTML report")
    p.set_defaults(run=cmd_demo)

    p = commands.add_parser("indicators", help="write the five-indicator overlay of bar files")
    _input_args(p)
    p.add_argument(
        "-o",
        "--output",
        help="output .parquet or .csv (default: <file name>_overlay.parquet, or overlay.parquet)",
    )
    p.add_argument("--sma", type=_positive_int, default=20)
    p.add_argument("--ema", type=_positive_int, default=20)
    p.add_argument("--rsi", type=_positive_int, default=14)
    p.add_argument("--macd", type=_positive_int, nargs=3, default=(12, 26, 9), metavar="N")
    p.add_argument("--bb-period", type=_positive_int, default=20)
    p.add_argument("--bb-std", type=float, default=2.0)
    p.set_defaults(run=cmd_indicators)

    names = sorted(strategies.STRATEGIES)
    p = commands.add_parser("backtest", help="backtest a named strategy on bar files")
    _input_args(p)
    p.add_argument("--strategy", required=True, choices=names)
    p.add_argument(
        "--params", nargs="*", help="strategy parameters, e.g. fast=12,slow=26 (default: its own)"
    )
    _trading_args(p)
    p.add_argument("--capital", type=float, default=100_000.0, help="initial capital per symbol")
    p.add_argument("--slippage-bps", type=float, default=0.0)
    p.add_argument("--report", help="write an HTML report here")
    p.add_argument("--report-symbol", help="symbol drawn in the report (default: the first)")
    p.add_argument("--trades", help="write the trades to this .parquet or .csv")
    p.add_argument("--metrics", help="write the metrics to this .parquet or .csv")
    p.set_defaults(run=cmd_backtest)

    p = commands.add_parser("sweep", help="run a strategy's parameter grid on every symbol")
    _input_args(p)
    p.add_argument("--strategy", required=True, choices=names)
    p.add_argument(
        "--grid",
        nargs="+",
        required=True,
        help="name=v1,v2,... or name=start:stop:step, e.g. --grid fast=5,10 slow=50:200:50",
    )
    _trading_args(p)
    p.add_argument("--rows", type=int, default=20, help="rows of the table printed")
    p.add_argument("-o", "--output", help="write the metrics to this .parquet or .csv")
    p.add_argument("--report", help="HTML report of the best set, with the sweep table")
    p.set_defaults(run=cmd_sweep)

    p = commands.add_parser("sql", help="run SQL with the nse_* functions (DuckDB)")
    p.add_argument("query", help="SQL text, a .sql file, or - for stdin")
    p.add_argument("--database", default=":memory:")
    p.add_argument("--rows", type=int, default=20, help="rows of the table printed")
    p.add_argument("-o", "--output", help="write the result to this .parquet or .csv")
    p.set_defaults(run=cmd_sql)

    p = commands.add_parser("serve", help="REST service (needs the server extra)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--max-upload-mb", type=float, help="upload limit (NSE_POLARS_MAX_UPLOAD_MB)")
    p.add_argument("--max-rows", type=_positive_int, help="bar limit (NSE_POLARS_MAX_ROWS)")
    p.add_argument("--log-level", default="info")
    p.set_defaults(run=cmd_serve)
    return parser


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    lines = text.splitlines()
    extra = len(lines) - 1
    first = lines[0]
    return first if extra <= 0 else f"{first} (+{extra} more line(s))"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # The reader logs its data-quality summary; the command prints its own (or nothing: -q).
    logging.getLogger("nse_polars.ohlcv").setLevel(logging.ERROR)
    prog = f"nse-polars {args.command}"
    from nse_polars.ohlcv import OHLCVReadError, OHLCVValidationError

    expected = (
        UsageError,
        ValueError,
        TypeError,
        OHLCVReadError,
        OHLCVValidationError,
        OSError,
        pl.exceptions.PolarsError,
    )
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except expected as exc:
        if os.environ.get("NSE_POLARS_DEBUG"):
            raise
        if isinstance(exc, OHLCVValidationError):
            lines = str(exc).splitlines()
            first = lines[1].strip() if len(lines) > 1 else ""
            reason = f"{lines[0]} {first} (--on-invalid drop or repair to go on)"
        else:
            reason = _one_line(exc)
        print(f"{prog}: error: {reason}", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get("NSE_POLARS_DEBUG"):
            raise
        print(
            f"{prog}: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(NSE_POLARS_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
