"""Walk-forward analysis: optimise in-sample, trade the next window out-of-sample, and judge only
the out-of-sample result (REFERENCE.md, "Overfitting guards").

For each symbol, with ``train`` and ``test`` in bars:

- Window k's in-sample bars are ``[k test, k test + train)`` (rolling) or ``[0, train + k test)``
  (``anchored=True``); ``purge`` bars after them are skipped (used neither to choose nor to
  judge), and the out-of-sample window is the next ``test`` bars (the last one may be shorter).
  Out-of-sample windows follow each other without gaps, so together they form one period.
- The in-sample window is swept (:func:`nse_polars.sweep`, the same settings, no overfitting
  statistics) and the parameter set with the largest `metric` is chosen (the first one on a tie;
  sets whose metric is undefined are passed over; when none is defined the window stays flat).
- The out-of-sample period is traded as one account: in window k the entries and exits are
  those of window k's chosen set. Indicators run over the symbol's whole history, which changes
  nothing before a bar (every indicator is causal) and spares each window its warm-up. A
  position opened in one window is closed by the next window's exit signal, as a trader who
  switched parameters would; nothing is closed artificially at a window boundary, so every cost
  is paid once.
- ``purge`` is the embargo between choosing and trading: with purge = p, the last bar the
  optimiser sees is p bars before the first traded bar (use it when a signal's inputs reach
  forward, or to mimic a delay in deploying the new parameters). In a walk-forward the training
  window always precedes the test window, so the embargo after a test window that
  cross-validation needs (training data following test data) has nothing to protect here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from nse_polars import strategies as _strategies
from nse_polars.backtest import (
    NSE_SESSION_MINUTES,
    CostModel,
    _prepare,
    _resolve_bars_per_year,
    backtest,
    sweep,
)
from nse_polars.strategies import STRATEGIES

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["WalkForwardResult", "walk_forward"]

# Metrics where larger is better: the ones a window may be optimised on.
METRICS = (
    "sharpe",
    "sortino",
    "calmar",
    "total_return",
    "cagr",
    "max_drawdown",
    "win_rate",
    "profit_factor",
    "expectancy",
    "sqn",
    "final_equity",
)


@dataclass
class WalkForwardResult:
    """What :func:`walk_forward` returns.

    ``equity``: the out-of-sample bars only (symbol, time, equity, return, position, window);
    ``metrics``: the backtest metrics of that out-of-sample account, one row per symbol, plus
    ``mean_is_sharpe`` and ``walk_forward_efficiency`` (out-of-sample Sharpe / mean in-sample
    Sharpe of the chosen sets); ``windows``: one row per window with its bars, the chosen
    parameters, the in-sample metric and Sharpe, and the out-of-sample Sharpe and return."""

    equity: pl.DataFrame
    metrics: pl.DataFrame
    windows: pl.DataFrame
    strategy: str
    bars_per_year: float
    config: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        c = self.config
        head = (
            f"Walk-forward of {self.strategy}: {self.windows.height} window(s), train={c['train']}"
            f", test={c['test']}, purge={c['purge']}, "
            f"{'anchored' if c['anchored'] else 'rolling'}, chosen by {c['metric']}; judged "
            f"out of sample only ({self.equity.height} bars)"
        )
        lines = [head]
        by = c.get("by")
        for row in self.metrics.iter_rows(named=True):
            who = f"{row[by]}: " if by is not None else ""
            oos, is_ = row["sharpe"], row["mean_is_sharpe"]
            lines.append(
                f"  {who}out-of-sample Sharpe {_fmt(oos)} vs mean in-sample Sharpe {_fmt(is_)}"
                f" (efficiency {_fmt(row['walk_forward_efficiency'])}), total return "
                f"{_fmt(row['total_return'])}"
            )
        with pl.Config(tbl_cols=-1, tbl_rows=20, tbl_width_chars=160):
            lines.append(str(self.windows))
        return "\n".join(lines)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.2f}"


def _windows(n: int, train: int, test: int, purge: int, anchored: bool) -> list[tuple[int, ...]]:
    out = []
    k = 0
    while True:
        is_end = train + k * test
        oos_start = is_end + purge
        if oos_start >= n:
            return out
        is_start = 0 if anchored else k * test
        out.append((is_start, is_end, oos_start, min(oos_start + test, n)))
        k += 1


def _positive_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        msg = f"`{name}` must be an integer >= {low} (bars), got {value!r}"
        raise ValueError(msg)
    return int(value)


def walk_forward(
    df: pl.DataFrame | pl.LazyFrame,
    strategy: str,
    grid: Mapping[str, Any] | pl.DataFrame,
    *,
    train: int,
    test: int,
    anchored: bool = False,
    metric: str = "sharpe",
    purge: int = 0,
    by: str | None = None,
    ts: str | None = "ts",
    open: str | None = "open",
    close: str = "close",
    fill: Literal["next_open", "next_close"] = "next_open",
    costs: str | float | CostModel | None = None,
    fixed_fee: float = 0.0,
    slippage_bps: float = 0.0,
    size: float = 1.0,
    size_type: Literal["percent", "cash", "shares"] = "percent",
    lot_size: float | None = None,
    initial_capital: float = 100_000.0,
    bars_per_year: float | None = None,
    session_minutes: float = NSE_SESSION_MINUTES,
    risk_free: float = 0.0,
    mar: float = 0.0,
) -> WalkForwardResult:
    """
    Walk-forward analysis of a named strategy's parameter grid (see the module docstring).

    Parameters
    ----------
    df
        Bars (close, open, time columns; a symbol column with `by`).
    strategy, grid
        As in :func:`nse_polars.sweep`.
    train, test
        In-sample and out-of-sample window lengths in bars (per symbol); ``train >= 2``,
        ``test >= 1``.
    anchored
        In-sample windows all start at the first bar (growing) instead of rolling.
    metric
        The sweep metric to maximise in-sample: one of ``sharpe`` (default), ``sortino``,
        ``calmar``, ``total_return``, ``cagr``, ``max_drawdown`` (closest to 0), ``win_rate``,
        ``profit_factor``, ``expectancy``, ``sqn``, ``final_equity``.
    purge
        Bars skipped between each in-sample window and its out-of-sample window.
    Other parameters as in :func:`nse_polars.backtest`.

    Examples
    --------
    >>> import nse_polars as nse
    >>> bars = nse.generate_ohlcv(1, days=20, interval="5m", seed=2)
    >>> wf = nse.walk_forward(
    ...     bars, "sma_cross", {"fast": [5, 10], "slow": [20, 40]}, train=600, test=300, costs=10
    ... )
    >>> wf.windows.height, wf.equity.height
    (3, 900)
    """
    if strategy not in STRATEGIES:
        msg = f"`strategy`: unknown {strategy!r}; expected one of {sorted(STRATEGIES)}"
        raise ValueError(msg)
    train = _positive_int("train", train, 2)
    test = _positive_int("test", test, 1)
    purge = _positive_int("purge", purge, 0)
    if metric not in METRICS:
        msg = f"`metric` must be one of {list(METRICS)} (larger is better), got {metric!r}"
        raise ValueError(msg)
    data, offsets = _prepare(df, by=by, ts=ts, open_=open, close=close, signals={})
    a = _resolve_bars_per_year(data, bars_per_year, session_minutes, offsets)
    settings: dict[str, Any] = {
        "fill": fill,
        "costs": costs,
        "fixed_fee": fixed_fee,
        "slippage_bps": slippage_bps,
        "size": size,
        "size_type": size_type,
        "lot_size": lot_size,
        "initial_capital": initial_capital,
        "bars_per_year": a,
        "session_minutes": session_minutes,
        "risk_free": risk_free,
        "mar": mar,
        "ts": "ts" if "__ts" in data.columns else None,
        "open": "open" if "__open" in data.columns else None,
        "close": "close",
    }
    names = STRATEGIES[strategy]
    if len(offsets) < 2 or offsets[-1] == 0:  # no rows (grouped: no groups)
        msg = f"the frame has 0 bars: train={train} + purge={purge} leaves no bar to test on"
        raise ValueError(msg)
    equities, metric_rows, window_rows = [], [], []
    for g in range(len(offsets) - 1):
        b, e = int(offsets[g]), int(offsets[g + 1])
        part = data.slice(b, e - b)
        symbol = part.get_column("__by")[0] if by is not None else None
        bars = part.select(
            [pl.col(f"__{c}").alias(c) for c in ("ts", "open", "close") if f"__{c}" in part.columns]
        )
        windows = _windows(bars.height, train, test, purge, anchored)
        if not windows:
            where = f"symbol {symbol!r} has" if by is not None else "the frame has"
            msg = (
                f"{where} {bars.height} bars: train={train} + purge={purge} leaves no bar to "
                "test on"
            )
            raise ValueError(msg)
        eq, met, win = _one_symbol(bars, strategy, grid, names, windows, metric, settings)
        if by is not None:
            key = pl.lit(symbol, dtype=data.schema["__by"]).alias(by)
            eq, met, win = (x.select(key, pl.all()) for x in (eq, met, win))
        equities.append(eq)
        metric_rows.append(met)
        window_rows.append(win)
    config = {
        "train": train,
        "test": test,
        "purge": purge,
        "anchored": anchored,
        "metric": metric,
        "by": by,
        **{k: v for k, v in settings.items() if k not in ("ts", "open", "close")},
    }
    return WalkForwardResult(
        pl.concat(equities),
        pl.concat(metric_rows),
        pl.concat(window_rows, how="diagonal_relaxed"),
        strategy,
        a,
        config,
    )


def _one_symbol(
    bars: pl.DataFrame,
    strategy: str,
    grid: Any,
    names: tuple[str, ...],
    windows: list[tuple[int, ...]],
    metric: str,
    settings: dict[str, Any],
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    n = bars.height
    entries = np.zeros(n, dtype=bool)
    exits = np.zeros(n, dtype=bool)
    window_of = np.full(n, -1, dtype=np.int64)
    signals: dict[tuple[float, ...], tuple[np.ndarray, np.ndarray]] = {}
    rows = []
    for k, (is_start, is_end, oos_start, oos_end) in enumerate(windows):
        found = sweep(
            bars.slice(is_start, is_end - is_start), strategy, grid, overfitting=False, **settings
        ).metrics
        scored = found.with_row_index("__set").filter(pl.col(metric).is_not_null())
        row: dict[str, Any] = {
            "window": k,
            "train_start": is_start,
            "train_end": is_end,
            "test_start": oos_start,
            "test_end": oos_end,
        }
        window_of[oos_start:oos_end] = k
        if scored.height:
            best = scored.row(int(scored.get_column(metric).arg_max()), named=True)
            params = tuple(best[p] for p in names)
            if params not in signals:
                strat = getattr(_strategies, strategy)(**dict(zip(names, params, strict=True)))
                e, x = strat.signals()
                sig = bars.select(e.alias("e"), x.alias("x"))
                signals[params] = (sig["e"].to_numpy(), sig["x"].to_numpy())
            se, sx = signals[params]
            entries[oos_start:oos_end] = se[oos_start:oos_end]
            exits[oos_start:oos_end] = sx[oos_start:oos_end]
            row.update(dict(zip(names, params, strict=True)))
            row[f"is_{metric}"] = best[metric]
            row["is_sharpe"] = best["sharpe"]
        else:  # nothing to choose: stay (or go) flat
            exits[oos_start:oos_end] = True
            row.update(dict.fromkeys(names))
            row[f"is_{metric}"] = None
            row["is_sharpe"] = None
        rows.append(row)
    first, last = windows[0][2], windows[-1][3]
    span = bars.slice(first, last - first)
    res = backtest(
        span,
        pl.Series(entries[first:last]),
        pl.Series(exits[first:last]),
        **settings,
    )
    equity = res.equity.with_columns(window=pl.Series(window_of[first:last]))
    returns = equity.get_column("return").to_numpy()
    a = settings["bars_per_year"]
    rf_bar = settings["risk_free"] / a
    for row in rows:
        r = returns[row["test_start"] - first : row["test_end"] - first]
        sd = float(np.std(r, ddof=1)) if r.size > 1 else 0.0
        row["oos_sharpe"] = (float(np.mean(r)) - rf_bar) / sd * math.sqrt(a) if sd > 0 else None
        row["oos_return"] = float(np.prod(1.0 + r) - 1.0)
    windows_frame = pl.DataFrame(rows)
    if "ts" in bars.columns:
        t = bars.get_column("ts")
        windows_frame = windows_frame.with_columns(
            test_start_ts=t.gather(windows_frame["test_start"]),
            test_end_ts=t.gather(windows_frame["test_end"] - 1),
        )
    is_sharpe = windows_frame.get_column("is_sharpe").drop_nulls()
    mean_is = float(is_sharpe.mean()) if is_sharpe.len() else None
    oos = res.metrics.get_column("sharpe")[0]
    efficiency = oos / mean_is if oos is not None and mean_is is not None and mean_is > 0 else None
    metrics = res.metrics.with_columns(
        mean_is_sharpe=pl.lit(mean_is, dtype=pl.Float64),
        walk_forward_efficiency=pl.lit(efficiency, dtype=pl.Float64),
    )
    return equity, metrics, windows_frame
