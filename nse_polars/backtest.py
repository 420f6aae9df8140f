"""Backtests: signals in, positions, returns after costs, trades and metrics out.

The engine is native (kernels/backtest.cpp) and follows REFERENCE.md to the letter:

- **Timing.** A signal seen at bar t's close fills at bar t+1's open (``fill="next_open"``) or
  close (``"next_close"``). A bar whose fill price is null or NaN cannot fill: the order waits for
  the next bar that has one (a newer signal replaces it). Nothing depends on later bars:
  truncating the input at bar t leaves every earlier output unchanged.
- **Signals.** ``entries``/``exits`` (booleans; null = False): flat -> long on an entry, long ->
  flat on an exit; an entry and an exit on the same bar cancel out. With ``allow_short=True``,
  ``short_entries``/``short_exits`` do the same for a short position (a long entry wins a tie
  with a short entry). Or ``target``: a weight of equity in [0, 1] ([-1, 1] with shorting; null
  keeps the last target), rebalanced only when the target changes.
- **Sizing.** ``size_type="percent"`` (default, ``size=1.0`` all-in): a buy spends ``size x E``
  on notional plus costs, so with linear costs c the quantity is ``size E / (P (1 + c))``;
  ``"cash"``: each entry spends ``size`` money (at most the cash held); ``"shares"``: each entry
  buys ``size`` shares (fewer if the cash does not cover them). ``lot_size`` rounds quantities down
  to whole lots (1 for whole shares; a quantity within 1e-9 of a lot below the next whole lot
  counts as that lot, so that the rounding of a division does not lose a lot); otherwise
  quantities are fractional. A reversal is two
  orders: close, then open on the equity left.
- **Costs** per side on the traded notional: ``costs`` is a preset (``"nse_delivery"``,
  ``"nse_intraday"``: every statutory component of REFERENCE.md), a number of basis points, a
  :class:`CostModel`, or None; ``fixed_fee`` per order and ``slippage_bps`` (the fill price moves
  against the order) add to it. Every component is reported separately (``cost_*`` metrics).
- **Ruin.** Equity that reaches zero or less (costs, or a short) ends the account: the open trade
  closes at that bar with its loss clipped, equity stays 0 and no order follows.
- **Metrics** (REFERENCE.md): total return, CAGR, annual vol, Sharpe (ddof 1), Sortino,
  Calmar, max drawdown (compounded, the initial capital counting as the first peak) and its
  duration in bars (from the peak before the deepest trough until equity regains it, or the last
  bar), win rate, profit factor and expectancy over closed trades, SQN, exposure (share of bars
  closing with a position), turnover (traded notional / mean equity), number of closed trades,
  total costs. Undefined values (e.g. Sharpe of a flat equity curve, profit factor without a
  losing trade) are null, never NaN or infinity. Bars per year are inferred from the time column
  (daily bars: 252; intraday: 252 x the bars in a ``session_minutes`` session, 375 minutes for
  NSE) unless given, and reported in the result.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from nse_polars import _core
from nse_polars.strategies import STRATEGIES, Strategy

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from polars._typing import IntoExpr

__all__ = [
    "COST_PRESETS",
    "BacktestResult",
    "CostModel",
    "SweepResult",
    "backtest",
    "infer_bars_per_year",
    "sweep",
]

NSE_SESSION_MINUTES = 375  # 09:15-15:30 IST
TRADING_DAYS = 252


@dataclass(frozen=True)
class CostModel:
    """Per-side cost rates (fractions of traded notional) and fixed amounts.

    ``brokerage`` is capped at ``brokerage_cap`` money per order when the cap is > 0; GST is
    charged on brokerage + exchange charge + SEBI fee, as in REFERENCE.md.
    """

    commission: float = 0.0
    fixed: float = 0.0
    slippage: float = 0.0
    brokerage: float = 0.0
    brokerage_cap: float = 0.0
    stt_buy: float = 0.0
    stt_sell: float = 0.0
    exchange: float = 0.0
    sebi: float = 0.0
    stamp_buy: float = 0.0
    gst: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}


# REFERENCE.md, "NSE cash-equity charges": SEBI's Rs 10 per crore is 1e-6 of notional.
COST_PRESETS: dict[str, CostModel] = {
    "none": CostModel(),
    "nse_delivery": CostModel(
        stt_buy=0.001, stt_sell=0.001, exchange=0.0000297, sebi=1e-6, stamp_buy=0.00015, gst=0.18
    ),
    "nse_intraday": CostModel(
        brokerage=0.0003,
        brokerage_cap=20.0,
        stt_sell=0.00025,
        exchange=0.0000297,
        sebi=1e-6,
        stamp_buy=0.00003,
        gst=0.18,
    ),
}

METRIC_DTYPES_INT = ("n_trades", "bars", "max_drawdown_duration")
# The columns a printed summary shows (every metric is in .metrics).
SUMMARY = (
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "max_drawdown",
    "win_rate",
    "n_trades",
    "total_costs",
    "final_equity",
)


def _cost_model(costs: Any, fixed_fee: float, slippage_bps: float) -> CostModel:
    if costs is None:
        model = CostModel()
    elif isinstance(costs, CostModel):
        model = costs
    elif isinstance(costs, str):
        if costs not in COST_PRESETS:
            msg = f"`costs`: unknown preset {costs!r}; expected one of {sorted(COST_PRESETS)}"
            raise ValueError(msg)
        model = COST_PRESETS[costs]
    elif isinstance(costs, (int, float)) and not isinstance(costs, bool):
        if not (math.isfinite(costs) and 0 <= costs < 10_000):
            msg = f"`costs` in basis points per side must be in [0, 10000), got {costs!r}"
            raise ValueError(msg)
        model = CostModel(commission=costs / 10_000)
    else:
        msg = (
            "`costs` must be None, a number of basis points, a preset name or a CostModel, "
            f"got {costs!r}"
        )
        raise TypeError(msg)
    for name, value in (("fixed_fee", fixed_fee), ("slippage_bps", slippage_bps)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            msg = f"`{name}` must be a finite number >= 0, got {value!r}"
            raise ValueError(msg)
    if slippage_bps >= 10_000:
        msg = f"`slippage_bps` must be below 10000, got {slippage_bps!r}"
        raise ValueError(msg)
    d = model.as_dict()
    d["fixed"] += fixed_fee
    d["slippage"] += slippage_bps / 10_000
    return CostModel(**d)


def infer_bars_per_year(
    ts: pl.Series, *, session_minutes: float = NSE_SESSION_MINUTES
) -> float | None:
    """Bars per year from the median spacing of a time column (None if it cannot tell).

    Spacing of 20 hours or more: daily bars, 252 a year (weekly 52, monthly 12); less: intraday
    bars, ``252 x session_minutes / bar minutes`` (NSE 5-minute bars: 18,900).
    """
    if ts.len() < 2 or not ts.dtype.is_temporal():
        return None
    micros = ts.cast(pl.Datetime("us")).diff().dt.total_microseconds().drop_nulls()
    return _bars_per_year_from_spacing(micros, session_minutes)


def _bars_per_year_from_spacing(micros: pl.Series, session_minutes: float) -> float | None:
    diffs = micros.filter(micros > 0)
    if diffs.len() == 0:
        return None
    minutes = float(diffs.median()) / 60e6
    if minutes >= 20 * 60:
        days = minutes / (24 * 60)
        if days >= 25:
            return 12.0
        if days >= 5:
            return 52.0
        return float(TRADING_DAYS)
    return TRADING_DAYS * session_minutes / minutes


@dataclass
class BacktestResult:
    """What a backtest returns: ``metrics`` (one row per symbol, or one row), ``equity`` (per bar:
    equity at the close, the bar's return after costs, the signed position in shares), ``trades``
    and the settings that matter for reading them (``bars_per_year``, ``config``)."""

    metrics: pl.DataFrame
    equity: pl.DataFrame
    trades: pl.DataFrame
    bars_per_year: float
    config: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        """A printable summary: the settings and the metrics table."""
        head = (
            f"Backtest: {self.metrics.height} symbol(s), {self.equity.height} bars, "
            f"bars_per_year={self.bars_per_year:g}, fill={self.config.get('fill')}, "
            f"costs={self.config.get('costs_name')} (all metrics: .metrics)"
        )
        columns = self.metrics.columns
        keep = columns[: columns.index(SUMMARY[0])] + list(SUMMARY)  # key columns come first
        table = self.metrics.select(keep).with_columns(pl.col(pl.Float64).round(4))
        with pl.Config(
            tbl_cols=-1, tbl_rows=20, tbl_width_chars=160, tbl_hide_dataframe_shape=True
        ):
            return f"{head}\n{table}"


@dataclass
class SweepResult:
    """One metrics row per (symbol, parameter set), with the parameters as columns."""

    metrics: pl.DataFrame
    strategy: str
    bars_per_year: float
    config: dict[str, Any] = field(default_factory=dict)
    skipped: int = 0  # grid combinations left out as invalid (e.g. fast >= slow)
    # Per symbol: trials, the best set, its Sharpe, PSR, DSR and the PBO (nse_polars.stats).
    overfitting: pl.DataFrame | None = None

    def __repr__(self) -> str:
        from nse_polars.stats import format_verdicts

        verdicts = format_verdicts(self.overfitting, self.config.get("by"))
        return (
            f"Sweep of {self.strategy}: {self.metrics.height} rows, bars_per_year="
            f"{self.bars_per_year:g}, {self.skipped} invalid combination(s) skipped\n"
            f"{self.metrics}" + (f"\n{verdicts}" if verdicts else "")
        )


def _height(df: pl.DataFrame | pl.LazyFrame) -> int | None:
    """Rows of an eager frame (None for a lazy one: Polars checks the lengths itself)."""
    return df.height if isinstance(df, pl.DataFrame) else None


def _check_number(name: str, value: Any, *, positive: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (positive and value <= 0):
        kind = "a positive finite number" if positive else "a finite number"
        msg = f"`{name}` must be {kind}, got {value!r}"
        raise ValueError(msg) if isinstance(value, (int, float)) else TypeError(msg)


def _costs_name(costs: Any) -> str:
    if costs is None or isinstance(costs, str):
        return str(costs or "none")
    if isinstance(costs, (int, float)):
        return f"{costs:g} bps"
    return "custom"


def _expr(x: IntoExpr | None, name: str = "signal", height: int | None = None) -> pl.Expr | None:
    if x is None:
        return None
    if isinstance(x, str):
        return pl.col(x)
    if isinstance(x, pl.Expr):
        return x
    if isinstance(x, pl.Series):
        if height is not None and x.len() != height:
            msg = f"`{name}` has {x.len()} values but the frame has {height} rows"
            raise ValueError(msg)
        return pl.lit(x)
    msg = f"signals must be a column name, an expression or a Series, got {type(x).__name__}"
    raise TypeError(msg)


def _prepare(
    df: pl.DataFrame | pl.LazyFrame,
    *,
    by: str | None,
    ts: str | None,
    open_: str | None,
    close: str,
    signals: Mapping[str, pl.Expr],
) -> tuple[pl.DataFrame, np.ndarray]:
    """Evaluate prices and signals in one select; group rows by symbol (stable) and check the
    time order within each. Returns the frame and the group offsets."""
    frame = df.lazy() if isinstance(df, pl.DataFrame) else df
    schema = frame.collect_schema()
    for role, col in (("close", close), ("open", open_), ("by", by)):
        if col is not None and col not in schema:
            msg = f"`{role}`: no column {col!r} (columns: {', '.join(schema.names())})"
            raise ValueError(msg)
    for role, col in (("close", close), ("open", open_)):
        if col is not None and not schema[col].is_numeric():
            msg = f"`{role}`: column {col!r} has dtype {schema[col]}, expected a numeric column"
            raise TypeError(msg)
    if ts is not None and ts not in schema:
        ts = None
    exprs: list[pl.Expr] = []
    if by is not None:
        exprs.append(pl.col(by).alias("__by"))
    if ts is not None:
        exprs.append(pl.col(ts).alias("__ts"))
    exprs.append(pl.col(close).cast(pl.Float64).alias("__close"))
    if open_ is not None:
        exprs.append(pl.col(open_).cast(pl.Float64).alias("__open"))
    for name, e in signals.items():
        if name == "target":
            exprs.append(e.cast(pl.Float64).alias(f"__{name}"))
        else:
            exprs.append(e.fill_null(False).cast(pl.Boolean).alias(f"__{name}"))
    try:
        # An eager frame is selected eagerly: the lazy engine's planning costs more than the
        # select itself on a million rows.
        data = df.select(exprs) if isinstance(df, pl.DataFrame) else frame.select(exprs).collect()
    except pl.exceptions.InvalidOperationError as exc:
        msg = f"signals could not be evaluated as the expected types: {exc}"
        raise TypeError(msg) from exc
    starts = _run_starts(data) if by is not None else None
    if starts is not None and len(starts) > 1:
        keys = data.get_column("__by").gather(starts)
        if keys.n_unique() != len(keys):  # a symbol in several runs: group the rows, stably
            # The input's row numbers go along (`__row`, see _row_numbers); rows in input order
            # need no such column.
            data = data.with_row_index("__row").sort("__by", maintain_order=True, nulls_last=True)
            starts = _run_starts(data)
    if ts is not None and data.height > 1:
        _check_time_order(data, ts, starts, by is not None)
    if starts is not None:  # grouped: no rows is no groups (offsets [0])
        offsets = np.append(starts, data.height).astype(np.int64)
    else:
        offsets = np.array([0, data.height], dtype=np.int64)
    return data, offsets


def _row_numbers(data: pl.DataFrame, rows: np.ndarray) -> pl.Series:
    """The input frame's row numbers of rows of `data` (regrouped by symbol or in input order)."""
    if "__row" in data.columns:
        return data.get_column("__row").gather(rows).cast(pl.Int64)
    return pl.Series(rows, dtype=pl.Int64)


def _row_number(data: pl.DataFrame, row: int) -> int:
    return int(_row_numbers(data, np.array([row], dtype=np.int64))[0])


def _run_starts(data: pl.DataFrame) -> np.ndarray:
    """Rows where the symbol differs from the row before (nulls compare equal to nulls): for a
    String or integer column natively, read in place by the by= path's key scan; otherwise
    from the run lengths (a shifted copy of a string column costs ~10x more)."""
    column = data.get_column("__by")
    if column.dtype == pl.String or column.dtype.is_integer():
        return _core.group_run_starts(column.__arrow_c_stream__())
    lengths = column.rle().struct.field("len").to_numpy()
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    return starts


def _check_time_order(
    data: pl.DataFrame, ts: str, starts: np.ndarray | None, grouped: bool
) -> None:
    """Every bar has a time, strictly after the bar before it in the same symbol."""
    column = data.get_column("__ts")
    if column.null_count():
        row = _row_number(data, int(column.is_null().arg_true()[0]))
        msg = f"`{ts}` is null in row {row}: every bar needs a time"
        raise ValueError(msg)
    physical = column.to_physical()
    if physical.dtype.is_integer():  # datetimes, dates, integers: in numpy, no shifted copies
        t = physical.to_numpy()
        bad = np.flatnonzero(t[1:] <= t[:-1]) + 1
        if starts is not None and bad.size:
            first_of_symbol = np.zeros(len(t), dtype=bool)
            first_of_symbol[starts] = True
            bad = bad[~first_of_symbol[bad]]
        if not bad.size:
            return
        at = int(bad[0])
    else:  # floats (NaN), strings: Polars' ordering
        key = pl.col("__by")
        same = key.eq_missing(key.shift(1)) if grouped else pl.lit(value=True)
        found = data.select((same & (pl.col("__ts") <= pl.col("__ts").shift(1))).arg_true())
        if not found.height:
            return
        at = int(found.item(0, 0))
    row = data.row(at, named=True)
    where = f" in symbol {row['__by']!r}" if grouped else ""
    msg = (
        f"`{ts}` must increase strictly within each symbol: row {_row_number(data, at)}{where} "
        f"({row['__ts']}) is not after the row before it; sort by time (e.g. "
        "df.sort(by, ts)) and remove duplicate bars first"
    )
    raise ValueError(msg)


def _numpy(data: pl.DataFrame, name: str, dtype: Any) -> np.ndarray:
    s = data.get_column(name)
    if dtype == np.uint8:
        return _bool_bytes(s)
    if s.null_count():
        s = s.fill_null(float("nan"))
    return s.to_numpy().astype(np.float64, copy=False)  # no nulls: a view of the column


def _bool_bytes(s: pl.Series) -> np.ndarray:
    """A Boolean column as one byte (0 or 1) per value, unpacked from its Arrow bitmap (a
    fraction of the cost of a cast to UInt8); nulls, which the signals have none of, are 0."""
    if s.null_count() or s.len() == 0:
        return s.fill_null(value=False).cast(pl.UInt8).to_numpy()
    import pyarrow as pa

    arr = s.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    bits = np.frombuffer(arr.buffers()[1], dtype=np.uint8)
    start = arr.offset
    return np.unpackbits(bits, count=start + len(arr), bitorder="little")[start:]


def _config(
    *,
    fill: str,
    size: float,
    size_type: str,
    lot_size: float | None,
    allow_short: bool,
    initial_capital: float,
    bars_per_year: float,
    risk_free: float,
    mar: float,
    model: CostModel,
) -> dict[str, Any]:
    if fill not in ("next_open", "next_close"):
        msg = f"`fill` must be 'next_open' or 'next_close', got {fill!r}"
        raise ValueError(msg)
    for name, value in (("size", size), ("initial_capital", initial_capital)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            msg = f"`{name}` must be a number, got {value!r}"
            raise TypeError(msg)
    if lot_size is not None and (
        isinstance(lot_size, bool) or not isinstance(lot_size, (int, float)) or lot_size <= 0
    ):
        msg = f"`lot_size` must be a positive number or None, got {lot_size!r}"
        raise ValueError(msg)
    return {
        "fill": fill,
        "size": float(size),
        "size_type": size_type,
        "lot_size": float(lot_size or 0.0),
        "allow_short": bool(allow_short),
        "initial_capital": float(initial_capital),
        "bars_per_year": float(bars_per_year),
        "risk_free": float(risk_free),
        "mar": float(mar),
        "costs": model.as_dict(),
    }


def _metrics_frame(values: np.ndarray, names: list[str], keys: pl.DataFrame | None) -> pl.DataFrame:
    """Metric rows from the native array: NaN (undefined) becomes null; counts are integers."""
    columns = []
    for i, name in enumerate(names):
        column = pl.Series(name, values[:, i], dtype=pl.Float64, nan_to_null=True)
        columns.append(column.cast(pl.Int64) if name in METRIC_DTYPES_INT else column)
    out = pl.DataFrame(columns)
    if keys is not None:
        out = pl.concat([keys, out], how="horizontal")
    return out


def _bar_spacings_us(ts: pl.Series, offsets: np.ndarray | None = None) -> np.ndarray:
    """Microseconds from each bar to the next of the same symbol: rows grouped by symbol,
    `offsets` the groups' starts and the end (None: one symbol); `ts` without nulls."""
    step = np.diff(ts.cast(pl.Datetime("us")).to_physical().to_numpy())
    if offsets is not None and len(offsets) > 2:
        keep = np.ones(len(step), dtype=bool)
        keep[offsets[1:-1] - 1] = False  # from the last bar of a symbol to the next's first
        step = step[keep]
    return step


def _resolve_bars_per_year(
    data: pl.DataFrame,
    bars_per_year: float | None,
    session_minutes: float,
    offsets: np.ndarray | None = None,
) -> float:
    if bars_per_year is not None:
        if isinstance(bars_per_year, bool) or not (
            isinstance(bars_per_year, (int, float)) and bars_per_year > 0
        ):
            msg = f"`bars_per_year` must be a positive number, got {bars_per_year!r}"
            raise ValueError(msg)
        return float(bars_per_year)
    if "__ts" in data.columns and data.height > 1:
        # No time is null: _prepare checked.
        step = _bar_spacings_us(data.get_column("__ts"), offsets)
        inferred = _bars_per_year_from_spacing(pl.Series("us", step), session_minutes)
        if inferred is not None:
            return inferred
    return float(TRADING_DAYS)


def backtest(
    df: pl.DataFrame | pl.LazyFrame,
    entries: IntoExpr | Strategy | None = None,
    exits: IntoExpr | None = None,
    *,
    target: IntoExpr | None = None,
    short_entries: IntoExpr | None = None,
    short_exits: IntoExpr | None = None,
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
    allow_short: bool = False,
    initial_capital: float = 100_000.0,
    bars_per_year: float | None = None,
    session_minutes: float = NSE_SESSION_MINUTES,
    risk_free: float = 0.0,
    mar: float = 0.0,
) -> BacktestResult:
    """
    Backtest signals over bars; see the module docstring for the exact semantics.

    Parameters
    ----------
    df
        Bars: a close column, an open column (for ``fill="next_open"``), a time column, and the
        signal columns. With `by`, rows are grouped by symbol (stably, if they are not already)
        and every symbol is its own account, all run in one parallel native call.
    entries, exits
        Boolean column names or expressions (``pl.col("rsi") < 30``), or a
        :class:`~nse_polars.strategies.Strategy` as `entries` (its indicators are then computed
        per symbol). Null counts as False. User expressions are evaluated on the whole frame:
        with `by`, add ``.over(by)`` to any indicator inside them.
    target
        Instead of entries/exits: a target weight per bar (null keeps the last one).
    short_entries, short_exits
        Short signals (need ``allow_short=True``).
    by
        Symbol column: one account per symbol, one metrics row per symbol.
    ts, open, close
        Column names; `ts` may be absent (then give `bars_per_year`, or 252 is used); with
        ``open=None`` fills happen at the next close.
    fill, costs, fixed_fee, slippage_bps, size, size_type, lot_size, allow_short, initial_capital
        See the module docstring.
    bars_per_year
        Annualisation factor A; inferred from `ts` when None (reported in the result).
    session_minutes
        Session length for intraday inference (NSE: 375).
    risk_free, mar
        Annual risk-free rate (Sharpe) and minimum acceptable return (Sortino).

    Examples
    --------
    >>> import polars as pl
    >>> import nse_polars as nse
    >>> df = nse.generate_ohlcv(symbols=2, days=30, seed=1)
    >>> res = nse.backtest(df, nse.strategies.rsi(14, 30, 70), by="symbol", costs="nse_intraday")
    >>> res.metrics.height, res.bars_per_year
    (2, 18900.0)
    """
    signals: dict[str, pl.Expr] = {}
    strategy = None
    height = _height(df)
    for name, value in (("risk_free", risk_free), ("mar", mar)):
        _check_number(name, value)
    _check_number("session_minutes", session_minutes, positive=True)
    if isinstance(entries, Strategy):
        if exits is not None:
            msg = "`exits` must be None when `entries` is a Strategy (it carries both)"
            raise ValueError(msg)
        strategy = entries
        e, x = strategy.signals()
        signals = {"entries": e, "exits": x}
        if by is not None:
            signals = {k: v.over(by) for k, v in signals.items()}
    else:
        for name, value in (("entries", entries), ("exits", exits)):
            if value is not None:
                signals[name] = _expr(value, name, height)
    if target is not None:
        if signals:
            msg = "give either `target` or entries/exits, not both"
            raise ValueError(msg)
        signals["target"] = _expr(target, "target", height)
    for name, value in (("short_entries", short_entries), ("short_exits", short_exits)):
        if value is not None:
            if not allow_short:
                msg = f"`{name}` needs allow_short=True"
                raise ValueError(msg)
            signals[name] = _expr(value, name, height)
    if not signals:
        msg = "no signals: give `entries` (and `exits`), a Strategy, or `target`"
        raise ValueError(msg)
    if target is not None and size_type != "percent":
        msg = "`target` weights need size_type='percent'"
        raise ValueError(msg)
    if fill == "next_open" and open is None:
        fill = "next_close"
    model = _cost_model(costs, fixed_fee, slippage_bps)
    data, offsets = _prepare(df, by=by, ts=ts, open_=open, close=close, signals=signals)
    a = _resolve_bars_per_year(data, bars_per_year, session_minutes, offsets)
    config = _config(
        fill=fill,
        size=size,
        size_type=size_type,
        lot_size=lot_size,
        allow_short=allow_short,
        initial_capital=initial_capital,
        bars_per_year=a,
        risk_free=risk_free,
        mar=mar,
        model=model,
    )
    native_signals = {
        name: _numpy(data, f"__{name}", np.float64 if name == "target" else np.uint8)
        for name in signals
    }
    open_values = (
        _numpy(data, "__open", np.float64) if open is not None else np.empty(0, np.float64)
    )
    try:
        out = _core.backtest_run(
            open_values, _numpy(data, "__close", np.float64), offsets, native_signals, config
        )
    except ValueError as exc:
        raise ValueError(_name_group(str(exc), data, offsets)) from None
    keys = _group_keys(data, offsets, by)
    metrics = _metrics_frame(out["metrics"], list(out["metric_names"]), keys)
    equity_cols: list[pl.Series | pl.Expr] = []
    if by is not None:
        equity_cols.append(data.get_column("__by").alias(by))
    if "__ts" in data.columns:
        equity_cols.append(data.get_column("__ts").alias(ts or "ts"))
    equity = pl.DataFrame(
        {"equity": out["equity"], "return": out["returns"], "position": out["position"]}
    )
    if equity_cols:
        equity = pl.concat([data.select(equity_cols), equity], how="horizontal")
    trades = _trades_frame(out["trades"], data, by, ts)
    config["costs_name"] = (
        costs if isinstance(costs, (str, int, float)) or costs is None else "custom"
    )
    if strategy is not None:
        config["strategy"] = {"name": strategy.name, **strategy.params}
    return BacktestResult(metrics, equity, trades, a, config)


def _name_group(message: str, data: pl.DataFrame, offsets: np.ndarray) -> str:
    """Turn the engine's 'group g, bar t' into the symbol and the frame's row number."""
    import re

    m = re.match(r"group (\d+), bar (\d+): (.*)", message)
    if not m:
        return message
    g, t, rest = int(m.group(1)), int(m.group(2)), m.group(3)
    row_index = int(offsets[g]) + t
    row = data.row(row_index, named=True)
    symbol = f"symbol {row['__by']!r}, " if "__by" in data.columns else ""
    return f"{symbol}row {_row_number(data, row_index)}: {rest}"


def _group_keys(data: pl.DataFrame, offsets: np.ndarray, by: str | None) -> pl.DataFrame | None:
    if by is None:
        return None
    starts = offsets[:-1]
    return pl.DataFrame({by: data.get_column("__by").gather(starts)})


def _trades_frame(
    tr: dict[str, np.ndarray], data: pl.DataFrame, by: str | None, ts: str | None
) -> pl.DataFrame:
    """Trades with the frame's row numbers and times (exit columns null while open)."""
    entry, exit_ = tr["entry_row"], tr["exit_row"]
    is_open = tr["is_open"]
    exit_or_0 = np.where(exit_ >= 0, exit_, 0)
    open_rows = np.flatnonzero(is_open)  # at most one per symbol

    def exit_column(values: Any) -> pl.Series:
        column = values if isinstance(values, pl.Series) else pl.Series(values)
        return column.scatter(open_rows, None) if open_rows.size else column

    cols: dict[str, Any] = {}
    if by is not None:
        cols[by] = data.get_column("__by").gather(entry)
    if "__ts" in data.columns:
        t = data.get_column("__ts")
        cols["entry_ts"] = t.gather(entry)
        cols["exit_ts"] = exit_column(t.gather(exit_or_0))
    cols.update(
        {
            "direction": pl.Series(tr["direction"], dtype=pl.Int8),
            "entry_row": _row_numbers(data, entry),
            "exit_row": exit_column(_row_numbers(data, exit_or_0)),
            "entry_price": tr["entry_price"],
            "exit_price": exit_column(tr["exit_price"]),
            "quantity": tr["quantity"],
            "pnl": tr["pnl"],
            "return": tr["return"],
            "bars_held": exit_column(pl.Series(exit_or_0 - entry, dtype=pl.Int64)),
            "costs": tr["costs"],
            "is_open": pl.Series(is_open, dtype=pl.Boolean),
        }
    )
    return pl.DataFrame(cols)


def _grid_rows(strategy: str, grid: Any) -> tuple[list[tuple[float, ...]], int]:
    names = STRATEGIES[strategy]
    if isinstance(grid, pl.DataFrame):
        missing = [n for n in names if n not in grid.columns]
        if missing:
            msg = f"`grid` for {strategy} needs columns {list(names)}, missing {missing}"
            raise ValueError(msg)
        rows = [tuple(float(v) for v in r) for r in grid.select(names).iter_rows()]
    elif isinstance(grid, dict):
        unknown = [k for k in grid if k not in names]
        missing = [n for n in names if n not in grid]
        if unknown or missing:
            msg = (
                f"`grid` for {strategy} takes the parameters {list(names)}; "
                f"unknown {unknown}, missing {missing}"
            )
            raise ValueError(msg)
        values: list[Sequence[Any]] = []
        for n in names:
            v = grid[n]
            values.append(list(v) if isinstance(v, (list, tuple, range, np.ndarray)) else [v])
        rows = [tuple(float(x) for x in combo) for combo in itertools.product(*values)]
    else:
        msg = "`grid` must be a dict of parameter -> values or a DataFrame of parameter sets"
        raise TypeError(msg)
    valid = [r for r in rows if _valid_set(strategy, r)]
    return valid, len(rows) - len(valid)


def _valid_set(strategy: str, p: tuple[float, ...]) -> bool:
    if strategy in ("sma_cross", "ema_cross"):
        return 1 <= p[0] < p[1]
    if strategy == "macd_cross":
        return 1 <= p[0] < p[1] and p[2] >= 1
    return True  # rsi and bbands sets are checked natively, with an error naming the set


def sweep(
    df: pl.DataFrame | pl.LazyFrame,
    strategy: str,
    grid: Mapping[str, Any] | pl.DataFrame,
    *,
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
    overfitting: bool = True,
    n_blocks: int = 16,
) -> SweepResult:
    """
    Every parameter set of a named strategy x every symbol, in one native call: one metrics row
    per (symbol, set), with no equity curve kept. Each row equals ``backtest`` of the strategy's
    expressions with the same settings (:mod:`nse_polars.strategies`).

    Parameters
    ----------
    strategy
        One of ``sma_cross``, ``ema_cross``, ``rsi``, ``macd_cross``, ``bbands``.
    grid
        ``{"fast": [5, 10], "slow": [20, 50]}`` (the Cartesian product; sets that break a rule
        such as fast < slow are skipped and counted in ``skipped``) or a DataFrame with one
        parameter set per row.
    overfitting
        Attach ``SweepResult.overfitting``: per symbol, the number of trials (valid sets), the
        best set by Sharpe, its Sharpe (annualised and per bar), PSR against 0, the Deflated
        Sharpe Ratio over the grid and the Probability of Backtest Overfitting by CSCV, with a
        verdict line in the printed summary (:mod:`nse_polars.stats`). It keeps every set's
        per-bar returns while it runs (sets x rows x 8 bytes; symbols go in batches of at most
        ~512 MB); ``False`` skips all of it.
    n_blocks
        CSCV blocks S for the PBO (even, 2..24; 16 gives 12,870 splits); a symbol with fewer
        than 2 S bars gets a null PBO.
    Other parameters as in :func:`backtest`.
    """
    if strategy not in STRATEGIES:
        msg = f"`strategy`: unknown {strategy!r}; expected one of {sorted(STRATEGIES)}"
        raise ValueError(msg)
    for name, value in (("risk_free", risk_free), ("mar", mar)):
        _check_number(name, value)
    _check_number("session_minutes", session_minutes, positive=True)
    rows, skipped = _grid_rows(strategy, grid)
    names = STRATEGIES[strategy]
    if fill == "next_open" and open is None:
        fill = "next_close"
    model = _cost_model(costs, fixed_fee, slippage_bps)
    data, offsets = _prepare(df, by=by, ts=ts, open_=open, close=close, signals={})
    a = _resolve_bars_per_year(data, bars_per_year, session_minutes, offsets)
    config = _config(
        fill=fill,
        size=size,
        size_type=size_type,
        lot_size=lot_size,
        allow_short=False,
        initial_capital=initial_capital,
        bars_per_year=a,
        risk_free=risk_free,
        mar=mar,
        model=model,
    )
    grid_array = np.array(rows, dtype=np.float64).reshape(len(rows), len(names))
    open_values = (
        _numpy(data, "__open", np.float64) if open is not None else np.empty(0, np.float64)
    )
    close_values = _numpy(data, "__close", np.float64)
    judge = None
    if overfitting:
        from nse_polars.stats import GroupJudge

        judge = GroupJudge(a, risk_free / a, n_blocks)
    try:
        out = _sweep_batches(
            open_values, close_values, offsets, strategy, grid_array, config, judge
        )
    except ValueError as exc:
        raise ValueError(_name_group(str(exc), data, offsets)) from None
    n_groups, n_sets = len(offsets) - 1, len(rows)
    params = pl.DataFrame(
        {n: np.tile(grid_array[:, i], n_groups) for i, n in enumerate(names)}
    ).with_columns(
        pl.col(n).cast(pl.Int64) for n in names if n in ("fast", "slow", "signal", "period")
    )
    keys = None
    if by is not None:
        symbols = data.get_column("__by").gather(offsets[:-1])
        keys = pl.DataFrame({by: symbols.gather(np.repeat(np.arange(n_groups), n_sets))})
    keys = params if keys is None else pl.concat([keys, params], how="horizontal")
    metrics = _metrics_frame(out["metrics"], list(out["metric_names"]), keys)
    config["costs_name"] = (
        costs if isinstance(costs, (str, int, float)) or costs is None else "custom"
    )
    config["by"] = by
    report = None
    if judge is not None and n_sets:
        report = judge.frame(metrics, names, by)
    return SweepResult(metrics, strategy, a, config, skipped, report)


SWEEP_RETURNS_BUDGET = 512 * 2**20  # bytes of per-bar returns kept per native sweep call


def _sweep_batches(
    open_values: np.ndarray,
    close: np.ndarray,
    offsets: np.ndarray,
    strategy: str,
    grid: np.ndarray,
    config: dict[str, Any],
    judge: Any,
) -> dict[str, Any]:
    """The native sweep. With a `judge` (nse_polars.stats.GroupJudge) every set's per-bar
    returns come back too and the judge reads each symbol's; symbols then go in batches whose
    (sets x rows) return matrices stay under SWEEP_RETURNS_BUDGET (a symbol larger than that
    runs alone), so memory stays bounded. Errors name the group in the full frame's numbering."""
    if judge is None:
        return _core.backtest_sweep(open_values, close, offsets, strategy, grid, config)
    import re

    n_sets = grid.shape[0]
    rows_per_batch = max(SWEEP_RETURNS_BUDGET // (8 * max(n_sets, 1)), 1)
    n_groups = len(offsets) - 1
    metrics = []
    out: dict[str, Any] = {}
    g = 0
    while g < n_groups:
        h = g + 1
        while h < n_groups and offsets[h + 1] - offsets[g] <= rows_per_batch:
            h += 1
        b, e = int(offsets[g]), int(offsets[h])
        try:
            out = _core.backtest_sweep(
                open_values[b:e] if open_values.size else open_values,
                close[b:e],
                offsets[g : h + 1] - b,
                strategy,
                grid,
                config,
                True,
            )
        except ValueError as exc:
            m = re.match(r"group (\d+), (.*)", str(exc), re.DOTALL)
            if m:
                raise ValueError(f"group {int(m.group(1)) + g}, {m.group(2)}") from None
            raise
        sharpe = out["metrics"][:, list(out["metric_names"]).index("sharpe")]
        for k in range(g, h):
            lo, hi = int(offsets[k] - b), int(offsets[k + 1] - b)
            judge.add(sharpe[(k - g) * n_sets : (k - g + 1) * n_sets], out["returns"][:, lo:hi])
        metrics.append(out["metrics"])
        del out["returns"]
        g = h
    if not metrics:  # no groups (a grouped frame without rows): the empty table's shape
        out = _core.backtest_sweep(open_values, close, offsets, strategy, grid, config, False)
        return out
    out["metrics"] = np.concatenate(metrics) if len(metrics) > 1 else metrics[0]
    return out
