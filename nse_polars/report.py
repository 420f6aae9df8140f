"""HTML reports of a backtest: one self-contained file (plotly.js inlined, no network).

Sections: the settings; the metrics table; price with the five-indicator overlay and the trade
markers (with RSI and MACD panels); equity and drawdown; a monthly returns heatmap; and, when a
sweep is given, its best parameter sets and its overfitting verdicts (``sweep.overfitting``,
when the sweep computed them).

Long series are thinned for the charts (every k-th bar, the last bar always kept; the report
says so) so that the file stays a few megabytes; trade markers, metrics and monthly returns are
always computed from every bar.

>>> import nse_polars as nse
>>> from nse_polars import report
>>> bars = nse.generate_ohlcv(["TCS"], days=10, seed=3)
>>> res = nse.backtest(bars, nse.strategies.macd_cross(), by="symbol")
>>> html = report.build_report(bars, res)
>>> html.startswith("<!DOCTYPE html>") and "<script src=" not in html
True
"""

from __future__ import annotations

import html as _html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from nse_polars import functions

if TYPE_CHECKING:
    import os

    import plotly.graph_objects as go

    from nse_polars.backtest import BacktestResult, SweepResult

__all__ = ["build_figures", "build_report", "drawdown", "monthly_returns", "write_report"]

#: Metrics shown in the report's table, with how each is printed.
TABLE_METRICS: dict[str, str] = {
    "total_return": "pct",
    "cagr": "pct",
    "annual_vol": "pct",
    "sharpe": "num",
    "sortino": "num",
    "calmar": "num",
    "max_drawdown": "pct",
    "win_rate": "pct",
    "profit_factor": "num",
    "n_trades": "int",
    "exposure": "pct",
    "total_costs": "money",
    "final_equity": "money",
}
MAX_EQUITY_SYMBOLS = 12  # equity/drawdown lines drawn; the table lists every symbol
MAX_TRADE_MARKERS = 5_000


def _plotly() -> tuple[Any, Any, Any]:
    try:
        import plotly.graph_objects as go
        import plotly.io as pio
        from plotly.subplots import make_subplots
    except ImportError as exc:  # pragma: no cover - plotly is a runtime dependency
        msg = "HTML reports need plotly: pip install plotly"
        raise ImportError(msg) from exc
    return go, pio, make_subplots


# --- numbers ----------------------------------------------------------------------------------


def drawdown(equity: pl.Expr | str = "equity", initial_capital: float | None = None) -> pl.Expr:
    """Drawdown at each bar: equity / running peak - 1 (0 at a new high, -0.25 when 25 % below
    the peak). With `initial_capital`, it counts as the first peak (as in the backtest's
    ``max_drawdown``)."""
    e = pl.col(equity) if isinstance(equity, str) else equity
    peak = e.cum_max()
    if initial_capital is not None:
        peak = pl.max_horizontal(peak, pl.lit(float(initial_capital)))
    return pl.when(peak > 0).then(e / peak - 1.0).otherwise(None)


def monthly_returns(
    equity: pl.DataFrame, *, initial_capital: float, ts: str = "ts", column: str = "equity"
) -> pl.DataFrame:
    """
    Calendar-month returns of one equity curve: the equity at the month's last bar over the
    equity at the previous month's last bar (the initial capital for the first month), minus 1.
    Months are those of `ts` in its own time zone.

    Returns ``year, month, return`` (Int32, Int8, Float64), one row per month with bars.

    >>> import datetime as dt
    >>> eq = pl.DataFrame({
    ...     "ts": [dt.datetime(2024, 1, 5), dt.datetime(2024, 1, 31), dt.datetime(2024, 2, 2)],
    ...     "equity": [101.0, 110.0, 99.0],
    ... })
    >>> monthly_returns(eq, initial_capital=100.0)["return"].round(4).to_list()
    [0.1, -0.1]
    """
    if equity.height == 0:
        return pl.DataFrame(schema={"year": pl.Int32, "month": pl.Int8, "return": pl.Float64})
    month_end = (
        equity.select(
            pl.col(ts).dt.year().alias("year"),
            pl.col(ts).dt.month().alias("month"),
            pl.col(column).cast(pl.Float64).alias("end"),
        )
        .group_by("year", "month", maintain_order=True)
        .agg(pl.col("end").last())
        .sort("year", "month")
    )
    start = pl.col("end").shift(1).fill_null(float(initial_capital))
    return month_end.select(
        pl.col("year").cast(pl.Int32),
        pl.col("month").cast(pl.Int8),
        pl.when(start > 0).then(pl.col("end") / start - 1.0).alias("return"),
    )


def _thin(frame: pl.DataFrame, max_points: int) -> tuple[pl.DataFrame, int]:
    """Every k-th row (the last row always kept) so that at most about `max_points` remain."""
    n = frame.height
    if n <= max_points:
        return frame, 1
    step = math.ceil(n / max_points)
    idx = pl.int_range(pl.len())
    return frame.filter((idx % step == 0) | (idx == n - 1)), step


def _local(ts: pl.Series) -> pl.Series:
    """Wall-clock times in the column's own zone, naive (what a trader reads on a chart)."""
    dtype = ts.dtype
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return ts.dt.replace_time_zone(None)
    return ts


def _intraday_nse_hours(ts: pl.Series) -> bool:
    """Whether every bar lies in 09:15..15:30 local time and bars are less than a day apart
    (then the chart hides nights and weekends)."""
    if ts.len() < 2 or not isinstance(ts.dtype, pl.Datetime):
        return False
    local = _local(ts)
    minutes = local.dt.hour().cast(pl.Int32) * 60 + local.dt.minute().cast(pl.Int32)
    spacing = local.diff().dt.total_minutes().drop_nulls()
    return bool(
        spacing.len() > 0
        and spacing.median() < 24 * 60
        and minutes.min() >= 9 * 60 + 15
        and minutes.max() <= 15 * 60 + 30
    )


# --- figures ----------------------------------------------------------------------------------


@dataclass
class _Context:
    symbol_column: str | None
    symbol: Any
    bars: pl.DataFrame  # the chosen symbol's bars with the overlay
    equity: pl.DataFrame
    trades: pl.DataFrame
    result: BacktestResult
    max_points: int
    notes: list[str]


def _pick(
    bars: pl.DataFrame,
    result: BacktestResult,
    overlay: pl.DataFrame | None,
    symbol: Any,
    max_points: int,
) -> _Context:
    by = "symbol" if "symbol" in result.metrics.columns else None
    if by is not None and symbol is None:
        symbol = result.metrics.get_column(by)[0]
    if by is not None and symbol not in set(result.metrics.get_column(by).to_list()):
        msg = f"`symbol`: {symbol!r} is not in the backtest (symbols: {result.metrics[by]})"
        raise ValueError(msg)
    frame = overlay if overlay is not None else bars
    if not all(c in frame.columns for c in functions.overlay_columns()):
        frame = frame.nse.overlay(by=by if by in frame.columns else None)
    equity, trades = result.equity, result.trades
    if by is not None:
        if by in frame.columns:
            frame = frame.filter(pl.col(by) == symbol)
        equity = equity.filter(pl.col(by) == symbol)
        trades = trades.filter(pl.col(by) == symbol)
    return _Context(by, symbol, frame, equity, trades, result, max_points, [])


def _price_figure(ctx: _Context) -> go.Figure:
    go, _, make_subplots = _plotly()
    bars, step = _thin(ctx.bars, ctx.max_points)
    if step > 1:
        ctx.notes.append(
            f"Price chart: one bar in {step} of {ctx.bars.height:,} drawn (the last always); "
            "trade markers are exact."
        )
    x = _local(bars.get_column("ts")) if "ts" in bars.columns else list(range(bars.height))
    cols = functions.overlay_columns()
    sma, ema, rsi = cols[0], cols[1], cols[2]
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.03,
        row_heights=[0.6, 0.2, 0.2],
        subplot_titles=("price and overlay", rsi.upper().replace("_", " "), "MACD"),
    )
    line = {"width": 1}
    fig.add_trace(
        go.Scatter(x=x, y=bars["bb_upper"], name="BB upper", line={**line, "color": "#9ab"}),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=bars["bb_lower"],
            name="BB lower",
            line={**line, "color": "#9ab"},
            fill="tonexty",
            fillcolor="rgba(150,170,190,0.15)",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(x=x, y=bars["bb_middle"], name="BB middle", line={**line, "dash": "dot"}),
        row=1,
        col=1,
    )
    fig.add_trace(go.Scatter(x=x, y=bars["close"], name="close", line={"width": 1.2}), 1, 1)
    fig.add_trace(go.Scatter(x=x, y=bars[sma], name=sma.upper().replace("_", " ")), 1, 1)
    fig.add_trace(go.Scatter(x=x, y=bars[ema], name=ema.upper().replace("_", " ")), 1, 1)
    trades = ctx.trades
    if trades.height > MAX_TRADE_MARKERS:
        ctx.notes.append(f"Trade markers: the first {MAX_TRADE_MARKERS:,} of {trades.height:,}.")
        trades = trades.head(MAX_TRADE_MARKERS)
    if trades.height and "entry_ts" in trades.columns:
        fig.add_trace(
            go.Scatter(
                x=_local(trades["entry_ts"]),
                y=trades["entry_price"],
                mode="markers",
                name="entries",
                marker={"symbol": "triangle-up", "size": 9, "color": "#2a2"},
            ),
            1,
            1,
        )
        closed = trades.filter(~pl.col("is_open"))
        fig.add_trace(
            go.Scatter(
                x=_local(closed["exit_ts"]),
                y=closed["exit_price"],
                mode="markers",
                name="exits",
                marker={"symbol": "triangle-down", "size": 9, "color": "#d22"},
            ),
            1,
            1,
        )
    fig.add_trace(go.Scatter(x=x, y=bars[rsi], name=rsi.upper().replace("_", " ")), 2, 1)
    for level in (30, 70):
        fig.add_hline(y=level, line={"dash": "dash", "width": 1, "color": "#999"}, row=2, col=1)
    fig.add_trace(go.Bar(x=x, y=bars["macd_hist"], name="MACD hist", marker_color="#bbb"), 3, 1)
    fig.add_trace(go.Scatter(x=x, y=bars["macd"], name="MACD", line=line), 3, 1)
    fig.add_trace(go.Scatter(x=x, y=bars["macd_signal"], name="MACD signal", line=line), 3, 1)
    if "ts" in bars.columns and _intraday_nse_hours(bars.get_column("ts")):
        fig.update_xaxes(
            rangebreaks=[
                {"bounds": ["sat", "mon"]},
                {"bounds": [15.5, 9.25], "pattern": "hour"},
            ]
        )
    title = "price" if ctx.symbol is None else f"{ctx.symbol}: price"
    fig.update_layout(title=title, height=820, hovermode="x unified", bargap=0)
    return fig


def _equity_figure(ctx: _Context) -> go.Figure:
    go, _, make_subplots = _plotly()
    result = ctx.result
    initial = float(result.config.get("initial_capital", 0.0)) or None
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.05,
        row_heights=[0.65, 0.35],
        subplot_titles=("equity", "drawdown"),
    )
    by = ctx.symbol_column
    symbols = [None] if by is None else result.metrics.get_column(by).to_list()
    if len(symbols) > MAX_EQUITY_SYMBOLS:
        ctx.notes.append(
            f"Equity and drawdown: the first {MAX_EQUITY_SYMBOLS} of {len(symbols)} symbols."
        )
        symbols = symbols[:MAX_EQUITY_SYMBOLS]
    per_symbol = max(500, ctx.max_points // max(1, len(symbols)))
    thinned = False
    for sym in symbols:
        eq = result.equity if sym is None else result.equity.filter(pl.col(by) == sym)
        eq = eq.with_columns(drawdown("equity", initial).alias("drawdown"))
        eq, step = _thin(eq, per_symbol)
        thinned |= step > 1
        x = _local(eq["ts"]) if "ts" in eq.columns else list(range(eq.height))
        name = "equity" if sym is None else f"{sym}"
        group = name
        fig.add_trace(go.Scatter(x=x, y=eq["equity"], name=name, legendgroup=group), 1, 1)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=eq["drawdown"] * 100.0,
                name=f"{name} drawdown" if sym is not None else "drawdown",
                legendgroup=group,
                fill="tozeroy",
                line={"width": 1},
            ),
            2,
            1,
        )
    if thinned:
        ctx.notes.append("Equity and drawdown charts: one bar in k drawn (k per symbol).")
    fig.update_yaxes(title_text="drawdown %", row=2, col=1)
    fig.update_layout(title="equity and drawdown", height=560, hovermode="x unified")
    return fig


def _monthly_figure(ctx: _Context) -> go.Figure | None:
    go, _, _ = _plotly()
    if "ts" not in ctx.equity.columns or ctx.equity.height == 0:
        return None
    initial = float(ctx.result.config.get("initial_capital", 1.0))
    months = monthly_returns(ctx.equity, initial_capital=initial)
    years = sorted(set(months["year"].to_list()))
    z: list[list[float | None]] = [[None] * 12 for _ in years]
    for year, month, value in months.iter_rows():
        z[years.index(year)][month - 1] = None if value is None else value * 100.0
    text = [["" if v is None else f"{v:.2f}%" for v in row] for row in z]
    names = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=names,
            y=[str(y) for y in years],
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmid=0.0,
            name="monthly returns",
            colorbar={"title": "%"},
            hovertemplate="%{y} %{x}: %{text}<extra></extra>",
        )
    )
    title = "monthly returns" + ("" if ctx.symbol is None else f", {ctx.symbol}")
    fig.update_layout(title=title, height=140 + 40 * len(years), yaxis={"type": "category"})
    return fig


def build_figures(
    bars: pl.DataFrame,
    result: BacktestResult,
    *,
    overlay: pl.DataFrame | None = None,
    symbol: Any = None,
    max_points: int = 4_000,
) -> dict[str, go.Figure]:
    """The report's charts as plotly figures: ``price``, ``equity`` and ``monthly`` (absent when
    the bars have no time column). `symbol` picks the symbol drawn in the price and monthly
    charts (default: the first)."""
    figures, _ = _figures_and_notes(bars, result, overlay, symbol, max_points)
    return figures


def _figures_and_notes(
    bars: pl.DataFrame,
    result: BacktestResult,
    overlay: pl.DataFrame | None,
    symbol: Any,
    max_points: int,
) -> tuple[dict[str, go.Figure], list[str]]:
    if not (isinstance(max_points, int) and max_points >= 100):
        msg = f"`max_points` must be an integer >= 100, got {max_points!r}"
        raise ValueError(msg)
    ctx = _pick(bars, result, overlay, symbol, max_points)
    figures = {"price": _price_figure(ctx), "equity": _equity_figure(ctx)}
    monthly = _monthly_figure(ctx)
    if monthly is not None:
        figures["monthly"] = monthly
    return figures, ctx.notes


# --- HTML -------------------------------------------------------------------------------------


def _fmt(value: Any, kind: str, *, escape: bool = True) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if kind == "pct":
        return f"{value * 100:.2f}%"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "money":
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return _html.escape(str(value)) if escape else str(value)


def _table(frame: pl.DataFrame, kinds: dict[str, str] | None = None) -> str:
    kinds = kinds or {}
    head = "".join(f"<th>{_html.escape(c)}</th>" for c in frame.columns)
    rows = []
    for row in frame.iter_rows():
        cells = "".join(
            f"<td>{_fmt(v, kinds.get(c, 'num' if isinstance(v, float) else 'text'))}</td>"
            for c, v in zip(frame.columns, row, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _metrics_table(result: BacktestResult) -> str:
    m = result.metrics
    keys = [c for c in ("symbol",) if c in m.columns]
    shown = [c for c in TABLE_METRICS if c in m.columns]
    return _table(m.select(keys + shown), TABLE_METRICS)


def _verdict_html(verdict: Any) -> str:
    if verdict is None:
        return ""
    if isinstance(verdict, pl.DataFrame):
        body = _table(verdict)
    elif isinstance(verdict, dict):
        items = "".join(
            f"<li><b>{_html.escape(str(k))}</b>: {_html.escape(str(v))}</li>"
            for k, v in verdict.items()
        )
        body = f"<ul>{items}</ul>"
    else:
        body = f"<p>{_html.escape(str(verdict))}</p>"
    return f"<h3>Overfitting verdict</h3>{body}"


def _overfitting_table(sweep: SweepResult) -> pl.DataFrame | None:
    """The sweep's guards per symbol (nse_polars.stats), the verdict first."""
    table = sweep.overfitting
    if table is None or table.height == 0:
        return None
    first = [c for c in ("symbol", "verdict") if c in table.columns]
    return table.select(*first, pl.exclude(first))


def _sweep_html(sweep: SweepResult, top: int = 20) -> str:
    m = sweep.metrics
    sort_col = "sharpe" if "sharpe" in m.columns else m.columns[-1]
    best = m.sort(sort_col, descending=True, nulls_last=True).head(top)
    params = [c for c in best.columns if c not in TABLE_METRICS and c != "bars"]
    shown = params + [c for c in ("sharpe", "total_return", "max_drawdown", "n_trades") if c in m]
    return (
        f"<h2>Sweep: {_html.escape(sweep.strategy)}</h2>"
        f"<p>{m.height:,} rows (symbol x parameter set), {sweep.skipped} invalid set(s) skipped; "
        f"the {best.height} best by {sort_col}:</p>"
        + _table(best.select(shown), TABLE_METRICS)
        + _verdict_html(_overfitting_table(sweep))
    )


def _settings_html(bars: pl.DataFrame, result: BacktestResult) -> str:
    cfg = result.config
    strategy = cfg.get("strategy")
    if isinstance(strategy, dict):
        params = ", ".join(f"{k}={v}" for k, v in strategy.items() if k != "name")
        strategy_text = f"{strategy.get('name')}({params})"
    else:
        strategy_text = "custom signals"
    items = {
        "strategy": strategy_text,
        "costs": cfg.get("costs_name"),
        "fill": cfg.get("fill"),
        "initial capital": f"{cfg.get('initial_capital', 0):,.0f}",
        "bars per year": f"{result.bars_per_year:g}",
        "bars": f"{bars.height:,}",
        "symbols": f"{result.metrics.height:,}",
    }
    if "ts" in bars.columns and bars.height:
        ts = bars.get_column("ts")
        items["period"] = f"{ts.min()} .. {ts.max()}"
    rows = "".join(
        f"<tr><th>{_html.escape(k)}</th><td>{_html.escape(str(v))}</td></tr>"
        for k, v in items.items()
    )
    return f"<table class='kv'>{rows}</table>"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f4f4f4; } table.kv th { text-align: left; }
.note { color: #666; font-size: 0.85em; }
"""


def build_report(
    bars: pl.DataFrame,
    result: BacktestResult,
    *,
    overlay: pl.DataFrame | None = None,
    sweep: SweepResult | None = None,
    symbol: Any = None,
    title: str | None = None,
    max_points: int = 4_000,
) -> str:
    """
    The report as one HTML document (plotly.js inlined once; opens offline).

    Parameters
    ----------
    bars
        The bars the backtest ran on (``symbol``, ``ts``, ``close``, ...).
    result
        A :class:`~nse_polars.backtest.BacktestResult` of those bars.
    overlay
        The bars with the overlay columns (``bars.nse.overlay(by="symbol")``); computed when
        None.
    sweep
        A :class:`~nse_polars.backtest.SweepResult` to summarise (best sets, and its
        ``overfitting`` table when it has one).
    symbol
        The symbol drawn in the price and monthly charts (default: the first).
    title
        Page title.
    max_points
        Bars drawn per price chart at most (longer series are thinned; the report says so).
    """
    _, pio, _ = _plotly()
    figures, notes = _figures_and_notes(bars, result, overlay, symbol, max_points)
    parts = []
    first = True
    for fig in figures.values():
        parts.append(
            pio.to_html(
                fig,
                include_plotlyjs=first,  # the library once, inline: no CDN, no network
                full_html=False,
                config={"displaylogo": False, "responsive": True},
            )
        )
        first = False
    title = title or "nse_polars backtest report"
    note_html = "".join(f"<p class='note'>{_html.escape(n)}</p>" for n in notes)
    body = (
        f"<h1>{_html.escape(title)}</h1>"
        + _settings_html(bars, result)
        + "<h2>Metrics</h2>"
        + _metrics_table(result)
        + "".join(parts)
        + (_sweep_html(sweep) if sweep is not None else "")
        + note_html
        + "<p class='note'>Generated by nse_polars. Returns are after costs; each symbol is its "
        "own account; a signal at a bar's close fills at the next bar.</p>"
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def write_report(
    path: str | os.PathLike[str], bars: pl.DataFrame, result: BacktestResult, **kw: Any
) -> Path:
    """Write :func:`build_report` to `path` (UTF-8); returns the path."""
    out = Path(path)
    out.write_text(build_report(bars, result, **kw), encoding="utf-8")
    return out
