"""An independent reference backtester, written from the specification only.

The specification is the module docstring of ``nse_polars/backtest.py`` and the section "Backtest
semantics and metrics" of REFERENCE.md (with its NSE charges table). This module is a plain,
slow, readable bar loop in Python with numpy for the metrics; it shares no code with the native
engine and is used by the ``test_backtest*.py`` files as the oracle.

Readings of the specification made here (the report of the test suite lists them):

* Signals decide a *state* (-1, 0, +1) at each close; a state change becomes the pending order,
  which a newer change replaces. An order that reaches a bar without a fill price waits.
* With ``size_type="percent"`` an entry/exit state s is the target weight ``s x size``, and an
  order moves the position to that weight exactly as a target order does (so a re-decided entry
  while already long re-sizes to ``size``); cash/shares sizing only opens from flat.
* Moving to weight w at reference price P with equity E = cash + qty P (marked at P): from flat or
  after closing an opposite position, a long opens with a budget of ``w E`` spent on notional plus
  costs, a short sells ``w E / P`` shares; an existing position in the same direction adds (long:
  budget ``w E - qty P`` capped at the cash; short: ``(qty P - w E) / P`` shares) or reduces by
  ``|qty P - w E| / P`` shares. Lots round every quantity down (closing sells everything).
* Short sizing (not defined by REFERENCE.md, which only defines buys): ``w E / P`` shares in
  percent mode, ``size / P`` in cash mode, ``size`` in shares mode; no cost adjustment.
* Mark price: the last valid close; before the first valid close, the first fill price.
* Ruin: after an order is processed, equity at the fill price, and at every close, equity at
  the mark. At or below zero the account ends: equity 0 from that bar on, no further order, and
  the trade that was open at the start of the bar (whether the fill closed it or not) ends at
  this bar with pnl = -(equity when it opened), so the trades still add up to the equity curve.
  Its exit price is the price it was valued at.
* Per-bar return: E_t / E_{t-1} - 1 with E_{-1} = initial capital, and 0 once equity is 0.
* Trade return: pnl / (notional + costs of the fills that opened or added to it), shorts too.
* Annual volatility and SQN use ddof=1 (like the Sharpe ratio); ``mar`` is annual (mar / A per
  bar, like ``risk_free``); the drawdown duration runs from the last bar at which the running peak
  before the deepest (first deepest) trough was reached, to the first bar that regains it, or to
  the last bar; E_0 is the peak at bar -1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

COMPONENTS = (
    "commission",
    "fixed",
    "slippage",
    "brokerage",
    "stt",
    "exchange",
    "sebi",
    "stamp",
    "gst",
)

METRICS = (
    "total_return",
    "cagr",
    "annual_vol",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "max_drawdown_duration",
    "win_rate",
    "profit_factor",
    "expectancy",
    "sqn",
    "exposure",
    "turnover",
    "n_trades",
    "total_costs",
    "final_equity",
    "bars",
)


@dataclass(frozen=True)
class Charges:
    """Per-side rates (fractions of traded notional) and money amounts per order."""

    commission: float = 0.0
    fixed: float = 0.0
    slippage: float = 0.0
    brokerage: float = 0.0
    brokerage_cap: float = 0.0  # money per order; 0 = no cap
    stt_buy: float = 0.0
    stt_sell: float = 0.0
    exchange: float = 0.0
    sebi: float = 0.0
    stamp_buy: float = 0.0
    gst: float = 0.0  # on brokerage + exchange charge + SEBI fee


# From REFERENCE.md's table: percentages / 100; SEBI Rs 10 per crore (1e7) = 1e-6.
PRESETS = {
    "nse_delivery": Charges(
        stt_buy=0.1 / 100,
        stt_sell=0.1 / 100,
        exchange=0.00297 / 100,
        sebi=10 / 1e7,
        stamp_buy=0.015 / 100,
        gst=18 / 100,
    ),
    "nse_intraday": Charges(
        brokerage=0.03 / 100,
        brokerage_cap=20.0,
        stt_sell=0.025 / 100,
        exchange=0.00297 / 100,
        sebi=10 / 1e7,
        stamp_buy=0.003 / 100,
        gst=18 / 100,
    ),
}


def charges_for(costs: Any = None, fixed_fee: float = 0.0, slippage_bps: float = 0.0) -> Charges:
    """The Charges of a ``costs`` argument (None, bps number, preset name or Charges)."""
    if costs is None:
        base = Charges()
    elif isinstance(costs, str):
        base = PRESETS[costs]
    elif isinstance(costs, Charges):
        base = costs
    else:
        base = Charges(commission=costs / 1e4)
    return replace(base, fixed=base.fixed + fixed_fee, slippage=base.slippage + slippage_bps / 1e4)


def order_charges(ch: Charges, notional: float, buy: bool) -> dict[str, float]:
    """Charges of one order of `notional` money (slippage excluded: it is in the price)."""
    brokerage = ch.brokerage * notional
    if ch.brokerage_cap > 0:
        brokerage = min(brokerage, ch.brokerage_cap)
    exchange = ch.exchange * notional
    sebi = ch.sebi * notional
    return {
        "commission": ch.commission * notional,
        "fixed": ch.fixed,
        "brokerage": brokerage,
        "stt": (ch.stt_buy if buy else ch.stt_sell) * notional,
        "exchange": exchange,
        "sebi": sebi,
        "stamp": ch.stamp_buy * notional if buy else 0.0,
        "gst": ch.gst * (brokerage + exchange + sebi),
    }


def affordable_notional(ch: Charges, budget: float) -> float:
    """The largest buy notional v >= 0 whose v + charges(v) fits in `budget`.

    v + charges(v) = fixed + v (1 + rate) with rate = the proportional buy rates, brokerage and
    its GST included while the brokerage is under its cap; above the cap the brokerage is the
    fixed amount cap (1 + gst). Both pieces are solved and the one consistent with the cap kept.
    """
    proportional = (
        ch.commission + ch.stt_buy + ch.stamp_buy + (ch.exchange + ch.sebi) * (1 + ch.gst)
    )
    v = (budget - ch.fixed) / (1 + proportional + ch.brokerage * (1 + ch.gst))
    if ch.brokerage_cap > 0 and ch.brokerage * v > ch.brokerage_cap:
        v = (budget - ch.fixed - ch.brokerage_cap * (1 + ch.gst)) / (1 + proportional)
    return max(v, 0.0)


@dataclass
class Trade:
    entry_bar: int
    direction: int
    start_equity: float
    exit_bar: int | None = None
    in_qty: float = 0.0
    in_value: float = 0.0
    out_qty: float = 0.0
    out_value: float = 0.0
    invested: float = 0.0  # notional + charges of the opening/adding fills
    cash_flow: float = 0.0  # signed cash of every fill, charges included
    costs: float = 0.0  # charges + slippage of every fill
    quantity: float = 0.0  # largest absolute position
    pnl: float = 0.0
    exit_price: float | None = None
    is_open: bool = True
    ruined: bool = False

    def row(self) -> dict[str, Any]:
        entry_price = self.in_value / self.in_qty
        if self.exit_price is None and self.out_qty > 0:
            self.exit_price = self.out_value / self.out_qty
        return {
            "direction": self.direction,
            "entry_bar": self.entry_bar,
            "exit_bar": None if self.is_open else self.exit_bar,
            "entry_price": entry_price,
            "exit_price": None if self.is_open else self.exit_price,
            "quantity": self.quantity,
            "pnl": self.pnl,
            "return": self.pnl / self.invested,
            "bars_held": None if self.is_open else self.exit_bar - self.entry_bar,
            "costs": self.costs,
            "is_open": self.is_open,
            "ruined": self.ruined,
        }


@dataclass
class Result:
    equity: np.ndarray
    returns: np.ndarray
    position: np.ndarray
    trades: list[dict[str, Any]]
    metrics: dict[str, float | None]
    costs: dict[str, float] = field(default_factory=dict)
    ruined_by: str | None = None  # "fill" or "close" when the account was ruined


class _Account:
    def __init__(self, ch: Charges, capital: float, lot: float | None) -> None:
        self.ch = ch
        self.cash = capital
        self.qty = 0.0
        self.lot = lot
        self.trade: Trade | None = None
        self.trades: list[Trade] = []
        self.costs = dict.fromkeys(COMPONENTS, 0.0)
        self.notional = 0.0

    def lots(self, q: float) -> float:
        # Down to whole lots; within 1e-9 of a lot below the next one counts as that lot (the
        # rule stated in nse_polars/backtest.py, so that a division's rounding loses no lot).
        q = max(q, 0.0)
        return math.floor(q / self.lot + 1e-9) * self.lot if self.lot else q

    def equity(self, price: float) -> float:
        return self.cash + self.qty * price if self.qty != 0 else self.cash

    def order(self, q: float, price: float, bar: int, *, close_all: bool = False) -> None:
        """Buy (q > 0) or sell (q < 0) |q| shares at reference `price`."""
        if q == 0:
            return
        buy = q > 0
        fill_price = price * (1 + self.ch.slippage) if buy else price * (1 - self.ch.slippage)
        notional = abs(q) * fill_price
        parts = order_charges(self.ch, notional, buy)
        parts["slippage"] = abs(q) * abs(fill_price - price)
        fees = sum(v for k, v in parts.items() if k != "slippage")
        for k, v in parts.items():
            self.costs[k] += v
        self.notional += notional
        flow = -(notional + fees) if buy else notional - fees
        if self.trade is None:
            self.trade = Trade(bar, 1 if buy else -1, start_equity=self.cash)
        tr = self.trade
        self.cash += flow
        self.qty = 0.0 if close_all else self.qty + q
        tr.cash_flow += flow
        tr.costs += fees + parts["slippage"]
        if (tr.direction > 0) == buy:
            tr.in_qty += abs(q)
            tr.in_value += notional
            tr.invested += notional + fees
        else:
            tr.out_qty += abs(q)
            tr.out_value += notional
        tr.quantity = max(tr.quantity, abs(self.qty))
        if self.qty == 0:
            tr.pnl = tr.cash_flow
            tr.exit_bar = bar
            tr.is_open = False
            self.trades.append(tr)
            self.trade = None

    def close(self, price: float, bar: int) -> None:
        self.order(-self.qty, price, bar, close_all=True)

    def open(
        self, direction: int, weight: float, sizing: str, size: float, price: float, bar: int
    ) -> None:
        e = self.equity(price)
        if e <= 0:
            return
        if direction > 0:
            buy_price = price * (1 + self.ch.slippage)
            if sizing == "percent":
                budget = weight * e
            elif sizing == "cash":
                budget = size
            else:  # shares: all of them when the cash pays for them
                v = size * buy_price
                if v + sum(order_charges(self.ch, v, True).values()) <= self.cash:
                    self.order(self.lots(size), price, bar)
                    return
                budget = self.cash
            q = affordable_notional(self.ch, min(budget, self.cash)) / buy_price
            self.order(self.lots(q), price, bar)
        else:
            q = {"percent": weight * e / price, "cash": size / price, "shares": size}[sizing]
            self.order(-self.lots(q), price, bar)

    def to_weight(self, w: float, price: float, bar: int) -> None:
        if self.qty != 0 and (w == 0 or (w > 0) != (self.qty > 0)):
            self.close(price, bar)
        if w == 0:
            return
        if self.qty == 0:
            self.open(1 if w > 0 else -1, abs(w), "percent", 0.0, price, bar)
            return
        desired = w * self.equity(price)
        current = self.qty * price
        if abs(desired) > abs(current):
            if w > 0:
                budget = min(desired - current, self.cash)
                q = affordable_notional(self.ch, budget) / (price * (1 + self.ch.slippage))
                self.order(self.lots(q), price, bar)
            else:
                self.order(-self.lots((current - desired) / price), price, bar)
        elif abs(desired) < abs(current):
            q = self.lots(abs(current - desired) / price)
            self.order(-q if w > 0 else q, price, bar)

    def ruin(self, bar: int, price: float, trade_at_bar_start: Trade | None) -> None:
        """End the account: the trade open at the start of the bar loses what it started with."""
        tr = self.trade if self.trade is not None else trade_at_bar_start
        if tr is not None:
            tr.pnl = -tr.start_equity
            tr.ruined = True
            tr.exit_bar = bar
            tr.is_open = False
            tr.exit_price = price if tr.out_qty == 0 else tr.exit_price
            if self.trade is not None:
                self.trades.append(tr)
        self.trade = None
        self.qty = 0.0
        self.cash = 0.0


def _state_after(state: int, bar: int, sig: dict[str, np.ndarray | None], short: bool) -> int:
    def on(name: str) -> bool:
        a = sig.get(name)
        return a is not None and bool(a[bar])

    entry, exit_ = on("entries"), on("exits")
    long_entry = entry and not exit_  # an entry and an exit on the same bar cancel out
    if entry != exit_:
        if exit_ and state == 1:
            state = 0
        if entry and state != 1:
            state = 1
    if short:
        s_entry, s_exit = on("short_entries"), on("short_exits")
        if s_entry != s_exit:
            if s_exit and state == -1:
                state = 0
            if s_entry and state != -1 and not long_entry:  # a long entry wins the tie
                state = -1
    return state


def run(
    open_: np.ndarray | None,
    close: np.ndarray,
    *,
    entries: np.ndarray | None = None,
    exits: np.ndarray | None = None,
    short_entries: np.ndarray | None = None,
    short_exits: np.ndarray | None = None,
    target: np.ndarray | None = None,
    fill: str = "next_open",
    costs: Any = None,
    fixed_fee: float = 0.0,
    slippage_bps: float = 0.0,
    size: float = 1.0,
    size_type: str = "percent",
    lot_size: float | None = None,
    allow_short: bool = False,
    initial_capital: float = 100_000.0,
    bars_per_year: float = 252.0,
    risk_free: float = 0.0,
    mar: float = 0.0,
) -> Result:
    """Backtest one symbol; arrays of one value per bar, NaN = null price / target."""
    close = np.asarray(close, dtype=np.float64)
    n = len(close)
    fill_prices = close if fill == "next_close" or open_ is None else np.asarray(open_, float)
    ch = charges_for(costs, fixed_fee, slippage_bps)
    acc = _Account(ch, initial_capital, lot_size)
    sig = {"entries": entries, "exits": exits}
    if allow_short:
        sig |= {"short_entries": short_entries, "short_exits": short_exits}
    equity = np.zeros(n)
    returns = np.zeros(n)
    position = np.zeros(n)
    mark = math.nan
    ruined = False
    ruined_by: str | None = None
    state, decided = 0, 0.0
    pending: float | None = None
    previous = initial_capital
    for t in range(n):
        trade_at_start = acc.trade
        price = fill_prices[t]
        if pending is not None and not ruined and not math.isnan(price):
            if math.isnan(mark):
                mark = price
            if target is not None:
                acc.to_weight(pending, price, t)
            elif size_type == "percent":
                acc.to_weight(pending * size, price, t)
            else:
                want = int(pending)
                if acc.qty != 0 and (want == 0 or (want > 0) != (acc.qty > 0)):
                    acc.close(price, t)
                if want != 0 and acc.qty == 0:
                    acc.open(want, 1.0, size_type, size, price, t)
            pending = None
            if acc.equity(price) <= 0:
                acc.ruin(t, price, trade_at_start)
                ruined, ruined_by = True, "fill"
        if not math.isnan(close[t]):
            mark = close[t]
        if not ruined and not math.isnan(mark) and acc.equity(mark) <= 0:
            acc.ruin(t, mark, trade_at_start)
            ruined, ruined_by = True, "close"
        e = 0.0 if ruined else (acc.equity(mark) if not math.isnan(mark) else acc.cash)
        equity[t] = e
        returns[t] = e / previous - 1 if previous > 0 else 0.0
        previous = e
        position[t] = acc.qty
        if ruined or t == n - 1:
            continue
        if target is not None:
            w = target[t]
            if not math.isnan(w) and w != decided:
                decided = pending = float(w)
        else:
            new_state = _state_after(state, t, sig, allow_short)
            if new_state != state:
                state = new_state
                pending = float(new_state)
    trades = [tr.row() for tr in acc.trades]
    if acc.trade is not None:  # open at the end: marked at the last mark
        tr = acc.trade
        tr.pnl = tr.cash_flow + acc.qty * mark
        trades.append(tr.row())
    metrics = compute_metrics(
        equity,
        returns,
        position,
        trades,
        initial_capital=initial_capital,
        bars_per_year=bars_per_year,
        risk_free=risk_free,
        mar=mar,
        traded_notional=acc.notional,
        costs=acc.costs,
    )
    return Result(equity, returns, position, trades, metrics, dict(acc.costs), ruined_by)


def drawdown(equity: np.ndarray, initial_capital: float) -> tuple[float | None, int]:
    """(max drawdown, its duration in bars), E_0 being the peak at bar -1."""
    n = len(equity)
    if n == 0:
        return None, 0
    with_start = np.concatenate([[initial_capital], equity])  # index i = bar i - 1
    peaks = np.maximum.accumulate(with_start)
    dd = with_start / peaks - 1
    worst = float(dd.min())
    if worst >= 0:
        return 0.0, 0
    trough = int(np.argmax(dd == worst))  # first deepest
    peak_value = peaks[trough]
    peak_at = int(np.flatnonzero(with_start[: trough + 1] == peak_value)[-1])
    regained = np.flatnonzero(with_start[trough:] >= peak_value)
    end = trough + int(regained[0]) if regained.size else n  # index n = last bar
    return worst, end - peak_at


def compute_metrics(
    equity: np.ndarray,
    returns: np.ndarray,
    position: np.ndarray,
    trades: list[dict[str, Any]],
    *,
    initial_capital: float,
    bars_per_year: float,
    risk_free: float,
    mar: float,
    traded_notional: float,
    costs: dict[str, float],
) -> dict[str, float | None]:
    """Every metric of REFERENCE.md from the per-bar outputs and the trades; None = undefined."""
    a = bars_per_year
    n = len(equity)
    final = float(equity[-1]) if n else initial_capital
    r = returns
    out: dict[str, float | None] = {}
    out["total_return"] = final / initial_capital - 1
    out["cagr"] = (final / initial_capital) ** (a / n) - 1 if n else None
    sd = float(np.std(r, ddof=1)) if n > 1 else None
    out["annual_vol"] = sd * math.sqrt(a) if sd is not None else None
    out["sharpe"] = (
        float(np.mean(r - risk_free / a)) / sd * math.sqrt(a) if sd is not None and sd > 0 else None
    )
    below = np.minimum(r - mar / a, 0.0)
    downside = math.sqrt(float(np.mean(below**2))) if n else 0.0
    out["sortino"] = float(np.mean(r - mar / a)) / downside * math.sqrt(a) if downside > 0 else None
    mdd, duration = drawdown(equity, initial_capital)
    out["max_drawdown"] = mdd
    out["max_drawdown_duration"] = duration
    out["calmar"] = out["cagr"] / abs(mdd) if mdd and out["cagr"] is not None else None
    closed = [t for t in trades if not t["is_open"]]
    pnl = np.array([t["pnl"] for t in closed])
    k = len(closed)
    out["win_rate"] = float(np.mean(pnl > 0)) if k else None
    gross_loss = -float(pnl[pnl < 0].sum())
    out["profit_factor"] = float(pnl[pnl > 0].sum()) / gross_loss if gross_loss > 0 else None
    out["expectancy"] = float(np.mean([t["return"] for t in closed])) if k else None
    pnl_sd = float(np.std(pnl, ddof=1)) if k > 1 else 0.0
    out["sqn"] = math.sqrt(k) * float(np.mean(pnl)) / pnl_sd if pnl_sd > 0 else None
    out["exposure"] = float(np.mean(position != 0)) if n else None
    mean_equity = float(np.mean(equity)) if n else 0.0
    out["turnover"] = traded_notional / mean_equity if mean_equity > 0 else 0.0
    out["n_trades"] = k
    out["total_costs"] = sum(costs.values())
    out["final_equity"] = final
    out["bars"] = n
    for name in COMPONENTS:
        out[f"cost_{name}"] = costs[name]
    return out
