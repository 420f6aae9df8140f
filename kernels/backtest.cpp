// The backtest engine (see backtest.h and REFERENCE.md). One account per symbol:
//
//   - A signal seen at bar t's close becomes an order filled at bar t+1's open (or close). An
//     order whose fill price is missing (null/NaN) waits for the next bar that has one; a newer
//     signal replaces it. Nothing reads a bar after the one being computed.
//   - Entries/exits drive a position state: flat -> long on an entry, long -> flat on an exit
//     (and the same for short entries/exits when shorting is allowed); an entry and an exit on
//     the same bar cancel out (no order). Targets are weights of equity, rebalanced only when the
//     target changes.
//   - Percent sizing: a buy spends w x E (E = equity at the fill price) on notional plus costs:
//     with linear costs c, quantity = w E / (P (1 + c)) as in REFERENCE.md; a sale or a reduction
//     sells the quantity worth the change at the reference price. Reversals are two orders (close,
//     then open on the equity left).
//   - Marked to market at every close (the last valid close where one is missing). Equity that
//     reaches zero or less ends the account: equity 0 from then on, no further orders.

#include "backtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "arrow_io.h"
#include "params.h"

namespace nse::bt {

const char* const kComponentNames[kNumComponents] = {
    "commission", "fixed", "slippage", "brokerage", "stt", "exchange", "sebi", "stamp", "gst"};

const char* const kMetricNames[kNumMetrics] = {
    "total_return", "cagr",          "annual_vol",  "sharpe",     "sortino",
    "calmar",       "max_drawdown",  "max_drawdown_duration",     "win_rate",
    "profit_factor", "expectancy",   "sqn",         "exposure",   "turnover",
    "n_trades",     "total_costs",   "final_equity", "bars"};

void metrics_to_array(const Metrics& m, double* out) {
  const double values[kNumMetrics] = {m.total_return, m.cagr, m.annual_vol, m.sharpe, m.sortino,
                                      m.calmar, m.max_drawdown, m.max_drawdown_duration,
                                      m.win_rate, m.profit_factor, m.expectancy, m.sqn,
                                      m.exposure, m.turnover, m.n_trades, m.total_costs,
                                      m.final_equity, m.bars};
  std::copy(values, values + kNumMetrics, out);
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool finite(double x) { return std::isfinite(x); }

Status bad(const std::string& param, const std::string& why) {
  return Status::Error("`" + param + "` " + why);
}

// Costs of one order of notional v (> 0) on one side, by component; returns the total charged
// to cash (slippage excluded: it is already in the fill price).
double order_costs(const CostModel& c, double v, bool buy, double* parts) {
  const double brokerage =
      c.brokerage_cap > 0 ? std::min(c.brokerage * v, c.brokerage_cap) : c.brokerage * v;
  parts[kCommission] = c.commission * v;
  parts[kFixed] = c.fixed;
  parts[kBrokerage] = brokerage;
  parts[kStt] = (buy ? c.stt_buy : c.stt_sell) * v;
  parts[kExchange] = c.exchange * v;
  parts[kSebi] = c.sebi * v;
  parts[kStamp] = buy ? c.stamp_buy * v : 0.0;
  parts[kGst] = c.gst * (brokerage + parts[kExchange] + parts[kSebi]);
  return parts[kCommission] + parts[kFixed] + parts[kBrokerage] + parts[kStt] +
         parts[kExchange] + parts[kSebi] + parts[kStamp] + parts[kGst];
}

// The largest buy notional v with v + costs(v) <= budget (costs are piecewise linear in v:
// proportional parts plus a fixed fee, brokerage capped); 0 when the budget cannot pay the fees.
double buy_notional(const CostModel& c, double budget) {
  const double linear_no_brokerage =
      c.commission + c.stt_buy + c.exchange * (1 + c.gst) + c.sebi * (1 + c.gst) + c.stamp_buy;
  double v = (budget - c.fixed) / (1 + linear_no_brokerage + c.brokerage * (1 + c.gst));
  if (c.brokerage_cap > 0 && c.brokerage * v > c.brokerage_cap) {
    v = (budget - c.fixed - c.brokerage_cap * (1 + c.gst)) / (1 + linear_no_brokerage);
  }
  return v > 0 ? v : 0.0;
}

// Rounds a quantity toward zero to whole lots (lot <= 0: fractional quantities allowed).
double round_lot(double qty, double lot) {
  return lot > 0 ? std::floor(qty / lot + 1e-9) * lot : qty;
}

struct Account {
  const Config& cfg;
  double cash;
  double shares = 0.0;
  double mark = kNaN;  // last valid close (or fill price before the first close)
  bool bankrupt = false;
  // The trade in progress.
  Trade trade;
  double trade_flow = 0.0;     // signed cash flows of its fills (costs included)
  double trade_invest = 0.0;   // notional + costs of its opening and adding fills
  double trade_in_qty = 0.0, trade_in_value = 0.0, trade_out_qty = 0.0, trade_out_value = 0.0;
  // Totals.
  std::array<double, kNumComponents> costs{};
  double traded_notional = 0.0;
  // Closed-trade statistics.
  double n_closed = 0, wins = 0, gross_profit = 0, gross_loss = 0, sum_ret = 0;
  double pnl_mean = 0, pnl_m2 = 0;  // Welford: no cancellation when trades are alike
  std::vector<Trade>* trades;

  Account(const Config& c, std::vector<Trade>* t) : cfg(c), cash(c.initial_capital), trades(t) {}

  double equity_at(double price) const { return cash + shares * price; }

  // One fill of `qty` (> 0 buys, < 0 sells) at reference price p, bar t.
  void fill(double qty, double p, int64_t t) {
    if (qty == 0) return;
    const bool buy = qty > 0;
    const double price = buy ? p * (1 + cfg.costs.slippage) : p * (1 - cfg.costs.slippage);
    const double v = std::fabs(qty) * price;
    double parts[kNumComponents];
    const double fees = order_costs(cfg.costs, v, buy, parts);
    parts[kSlippage] = std::fabs(qty) * std::fabs(price - p);
    for (int k = 0; k < kNumComponents; ++k) costs[static_cast<size_t>(k)] += parts[k];
    const double flow = buy ? -(v + fees) : v - fees;
    cash += flow;
    traded_notional += v;
    const double before = shares;
    shares += qty;
    if (std::fabs(shares) < 1e-12 * std::fabs(before)) shares = 0.0;  // closing sells all
    // Trade bookkeeping: a trade runs from flat to flat in one direction.
    if (before == 0) {
      trade = Trade{};
      trade.entry_bar = t;
      trade.direction = buy ? 1 : -1;
      trade_flow = trade_invest = trade_in_qty = trade_in_value = trade_out_qty =
          trade_out_value = 0.0;
    }
    const bool adding = (before >= 0 && buy) || (before <= 0 && !buy);
    trade_flow += flow;
    trade.costs += fees + parts[kSlippage];
    if (adding) {
      trade_invest += v + fees;
      trade_in_qty += std::fabs(qty);
      trade_in_value += v;
    } else {
      trade_out_qty += std::fabs(qty);
      trade_out_value += v;
    }
    trade.quantity = std::max(trade.quantity, std::fabs(shares));
    if (shares == 0) {
      if (cash < 0) {  // the closing fill's costs or loss exceed the account: clip at zero
        trade_flow -= cash;
        cash = 0.0;
      }
      close_trade(t, 0.0);
    }
  }

  // Ends the trade in progress: closed at bar t, or open and marked with `open_value`.
  void close_trade(int64_t t, double open_value) {
    trade.open = shares != 0;
    trade.exit_bar = trade.open ? -1 : t;
    trade.entry_price = trade_in_qty > 0 ? trade_in_value / trade_in_qty : kNaN;
    trade.exit_price = trade_out_qty > 0 ? trade_out_value / trade_out_qty : kNaN;
    trade.pnl = trade_flow + open_value;
    trade.ret = trade_invest > 0 ? trade.pnl / trade_invest : 0.0;
    if (!trade.open) {
      n_closed += 1;
      if (trade.pnl > 0) {
        wins += 1;
        gross_profit += trade.pnl;
      } else {
        gross_loss -= trade.pnl;
      }
      sum_ret += trade.ret;
      const double d = trade.pnl - pnl_mean;
      pnl_mean += d / n_closed;
      pnl_m2 += d * (trade.pnl - pnl_mean);
    }
    if (trades) trades->push_back(trade);
  }

  void close_all(double p, int64_t t) { fill(-shares, p, t); }

  // Opens a position from flat towards weight w (percent sizing) or one entry's size.
  void open(int direction, double w, double p, int64_t t) {
    const double e = equity_at(p);
    if (e <= 0) return;
    double qty = 0.0;
    if (direction > 0) {
      double budget = 0.0;
      const double buy_price = p * (1 + cfg.costs.slippage);
      switch (cfg.size_type) {
        case SizeType::Percent: budget = w * e; break;
        case SizeType::Cash: budget = std::min(cfg.size, cash); break;
        case SizeType::Shares: {
          double parts[kNumComponents];
          const double v = cfg.size * buy_price;
          budget = std::min(v + order_costs(cfg.costs, v, true, parts), cash);
          break;
        }
      }
      qty = round_lot(buy_notional(cfg.costs, std::min(budget, cash)) / buy_price, cfg.lot);
    } else {
      switch (cfg.size_type) {
        case SizeType::Percent: qty = w * e / p; break;
        case SizeType::Cash: qty = cfg.size / p; break;
        case SizeType::Shares: qty = cfg.size; break;
      }
      qty = -round_lot(std::fabs(qty), cfg.lot);
    }
    if (qty != 0) fill(qty, p, t);
  }

  // Moves the position to weight w of equity (percent sizing, targets).
  void rebalance(double w, double p, int64_t t) {
    if (w == 0 || (shares > 0 && w < 0) || (shares < 0 && w > 0)) close_all(p, t);
    if (w == 0 || bankrupt) return;
    if (shares == 0) {
      open(w > 0 ? 1 : -1, std::fabs(w), p, t);
      return;
    }
    const double e = equity_at(p);
    const double desired = w * e;
    const double current = shares * p;
    if (std::fabs(desired) > std::fabs(current)) {  // add
      if (w > 0) {
        const double buy_price = p * (1 + cfg.costs.slippage);
        const double budget = std::min(desired - current, cash);
        fill(round_lot(buy_notional(cfg.costs, budget) / buy_price, cfg.lot), p, t);
      } else {
        fill(-round_lot((current - desired) / p, cfg.lot), p, t);
      }
    } else if (std::fabs(desired) < std::fabs(current)) {  // reduce
      const double qty = round_lot(std::fabs(current - desired) / p, cfg.lot);
      fill(w > 0 ? -qty : qty, p, t);
    }
  }

  // Equity at or below zero (valued at `price`) ends the account: the open trade closes here
  // with its loss clipped so that the account ends at exactly zero.
  bool check_ruin(double price, int64_t t) {
    const double e = equity_at(price);
    if (e > 0) return false;
    if (shares != 0) {
      const double value = shares * price - e;
      trade_out_qty += std::fabs(shares);  // the position ends at this price
      trade_out_value += std::fabs(shares) * price;
      shares = 0.0;
      close_trade(t, value);
    }
    cash = 0.0;
    bankrupt = true;
    return true;
  }
};

int state_after(const SymbolInput& in, int64_t t, int state, bool allow_short) {
  const bool entry = in.entries && in.entries[t];
  const bool exit = in.exits && in.exits[t];
  const bool short_entry = allow_short && in.short_entries && in.short_entries[t];
  const bool short_exit = allow_short && in.short_exits && in.short_exits[t];
  if (entry != exit) {
    if (exit && state > 0) state = 0;
    if (entry && state <= 0) state = 1;
  }
  if (short_entry != short_exit) {
    if (short_exit && state < 0) state = 0;
    if (short_entry && state >= 0 && !(entry && !exit)) state = -1;
  }
  return state;
}

}  // namespace

Status check_config(const Config& c) {
  const CostModel& k = c.costs;
  if (!finite(c.initial_capital) || c.initial_capital <= 0) {
    return bad("initial_capital", "must be a positive number, got " +
                                      std::to_string(c.initial_capital));
  }
  if (!finite(c.size) || c.size <= 0) {
    return bad("size", "must be a positive number, got " + std::to_string(c.size));
  }
  if (c.size_type == SizeType::Percent && c.size > 1) {
    return bad("size", "is a fraction of equity in (0, 1] with size_type='percent', got " +
                           std::to_string(c.size));
  }
  if (!finite(c.lot) || c.lot < 0) return bad("lot_size", "must be >= 0");
  if (!finite(c.bars_per_year) || c.bars_per_year <= 0) {
    return bad("bars_per_year", "must be a positive number, got " +
                                    std::to_string(c.bars_per_year));
  }
  if (!finite(c.risk_free)) return bad("risk_free", "must be finite");
  if (!finite(c.mar)) return bad("mar", "must be finite");
  const double rates[] = {k.commission, k.slippage, k.brokerage, k.stt_buy, k.stt_sell,
                          k.exchange,   k.sebi,     k.stamp_buy, k.gst};
  for (double r : rates) {
    if (!finite(r) || r < 0 || r >= 1) {
      return bad("costs", "rates must be fractions in [0, 1), got " + std::to_string(r));
    }
  }
  if (!finite(k.fixed) || k.fixed < 0) return bad("fixed_fee", "must be >= 0");
  if (!finite(k.brokerage_cap) || k.brokerage_cap < 0) return bad("costs", "cap must be >= 0");
  return Status::Ok();
}

namespace {

// Sums in four interleaved lanes (a fixed order, so results are reproducible), which lets the
// compiler use vector adds and hides the add latency.
struct Sum4 {
  double s[4] = {0, 0, 0, 0};
  double total() const { return (s[0] + s[1]) + (s[2] + s[3]); }
};

void compute_metrics(const Config& cfg, const Account& acc, const double* equity,
                     double* returns, int64_t n, int64_t in_market, int64_t ruin_bar,
                     Metrics& m) {
  const double a = cfg.bars_per_year;
  const double e0 = cfg.initial_capital;
  const double eT = n > 0 ? equity[n - 1] : e0;
  // Per-bar returns: E_t / E_{t-1} - 1; 0 after the account is ruined (equity 0).
  if (n > 0) returns[0] = equity[0] / e0 - 1.0;
  for (int64_t t = 1; t < n; ++t) returns[t] = equity[t] / equity[t - 1] - 1.0;
  if (ruin_bar >= 0) {
    for (int64_t t = ruin_bar + 1; t < n; ++t) returns[t] = 0.0;
  }
  const double mar_bar = cfg.mar / a;
  Sum4 sum_r, sum_e, down;
  int64_t t = 0;
  for (; t + 4 <= n; t += 4) {
    for (int k = 0; k < 4; ++k) {
      const double r = returns[t + k];
      sum_r.s[k] += r;
      sum_e.s[k] += equity[t + k];
      const double below = std::min(r - mar_bar, 0.0);
      down.s[k] += below * below;
    }
  }
  for (int k = 0; t < n; ++t, ++k) {
    sum_r.s[k] += returns[t];
    sum_e.s[k] += equity[t];
    const double below = std::min(returns[t] - mar_bar, 0.0);
    down.s[k] += below * below;
  }
  const auto nd = static_cast<double>(n);
  const double mean = n > 0 ? sum_r.total() / nd : kNaN;
  Sum4 ss;
  for (t = 0; t + 4 <= n; t += 4) {
    for (int k = 0; k < 4; ++k) {
      const double d = returns[t + k] - mean;
      ss.s[k] += d * d;
    }
  }
  for (int k = 0; t < n; ++t, ++k) {
    const double d = returns[t] - mean;
    ss.s[k] += d * d;
  }
  m.bars = nd;
  m.final_equity = eT;
  m.total_return = eT / e0 - 1.0;
  m.cagr = n > 0 ? std::pow(eT / e0, a / nd) - 1.0 : kNaN;
  const double sd = n > 1 ? std::sqrt(ss.total() / (nd - 1)) : kNaN;
  m.annual_vol = sd * std::sqrt(a);
  m.sharpe = sd > 0 ? (mean - cfg.risk_free / a) / sd * std::sqrt(a) : kNaN;
  const double dd = n > 0 ? std::sqrt(down.total() / nd) : kNaN;
  m.sortino = dd > 0 ? (mean - mar_bar) / dd * std::sqrt(a) : kNaN;
  // Drawdown: deepest fall below the running peak (E0 included); its duration runs from that
  // peak until equity regains it, or to the last bar. The exact ratio is computed only where a
  // bar may set a new worst (a multiplication screens the others).
  double peak = e0, worst = 0.0, screen = e0;
  int64_t peak_bar = -1, worst_peak_bar = -1, worst_recovery = -1;
  for (t = 0; t < n; ++t) {
    const double e = equity[t];
    if (e >= peak) {
      if (worst_peak_bar == peak_bar && worst_recovery < 0 && worst < 0) worst_recovery = t;
      peak = e;
      peak_bar = t;
      screen = peak * (1.0 + worst) * (1.0 + 1e-12);
    } else if (e <= screen) {
      const double ddt = e / peak - 1.0;
      if (ddt < worst) {
        worst = ddt;
        worst_peak_bar = peak_bar;
        worst_recovery = -1;
      }
      screen = peak * (1.0 + worst) * (1.0 + 1e-12);
    }
  }
  m.max_drawdown = n > 0 ? worst : kNaN;
  m.max_drawdown_duration =
      worst < 0 ? static_cast<double>((worst_recovery >= 0 ? worst_recovery : n - 1) -
                                      worst_peak_bar)
                : 0.0;
  m.calmar = worst < 0 ? m.cagr / std::fabs(worst) : kNaN;
  m.n_trades = acc.n_closed;
  m.win_rate = acc.n_closed > 0 ? acc.wins / acc.n_closed : kNaN;
  m.profit_factor = acc.gross_loss > 0 ? acc.gross_profit / acc.gross_loss : kNaN;
  m.expectancy = acc.n_closed > 0 ? acc.sum_ret / acc.n_closed : kNaN;
  const double pnl_var = acc.n_closed > 1 ? acc.pnl_m2 / (acc.n_closed - 1) : kNaN;
  m.sqn = pnl_var > 0 ? std::sqrt(acc.n_closed) * acc.pnl_mean / std::sqrt(pnl_var) : kNaN;
  m.exposure = n > 0 ? static_cast<double>(in_market) / nd : kNaN;
  const double sum_equity = sum_e.total();
  m.turnover = sum_equity > 0 ? acc.traded_notional / (sum_equity / nd) : 0.0;
  m.costs = acc.costs;
  m.total_costs = 0.0;
  for (double c : acc.costs) m.total_costs += c;
}

}  // namespace

Status run_symbol(const Config& cfg, const SymbolInput& in, SymbolOutput& out,
                  std::vector<double>& scratch_equity, std::vector<double>& scratch_returns,
                  Metrics* metrics) {
  const int64_t n = in.n;
  // Prices: one branch-free pass (vectorisable) flags a bad price or a missing close; the
  // slow loop that names the bar runs only when a price is bad.
  bool bad_price = false, missing_close = false;
  {
    constexpr double inf = std::numeric_limits<double>::infinity();
    const double* open = in.open ? in.open : in.close;
    unsigned bad = 0, missing = 0;
    for (int64_t t = 0; t < n; ++t) {
      const double o = open[t];
      const double c = in.close[t];
      bad |= static_cast<unsigned>(o <= 0) | static_cast<unsigned>(o == inf) |
             static_cast<unsigned>(c <= 0) | static_cast<unsigned>(c == inf);
      missing |= static_cast<unsigned>(c != c);  // NOLINT(misc-redundant-expression): NaN test
    }
    bad_price = bad != 0;
    missing_close = missing != 0;
  }
  const bool closes_complete = !missing_close;
  for (int64_t t = 0; bad_price && t < n; ++t) {
    const double o = in.open ? in.open[t] : 1.0;
    const double c = in.close[t];
    if ((o <= 0) || (c <= 0) || std::isinf(o) || std::isinf(c)) {
      return Status::Error("bar " + std::to_string(t) + ": prices must be > 0 and finite, got " +
                           "open=" + std::to_string(in.open ? in.open[t] : kNaN) +
                           ", close=" + std::to_string(c));
    }
  }
  if (in.target) {
    const double lo = cfg.allow_short ? -1.0 : 0.0;
    for (int64_t t = 0; t < n; ++t) {
      const double w = in.target[t];
      if (!std::isnan(w) && !(w >= lo && w <= 1.0)) {
        return Status::Error("bar " + std::to_string(t) + ": target " + std::to_string(w) +
                             " outside [" + (cfg.allow_short ? "-1" : "0") +
                             ", 1] (shorting needs allow_short=True)");
      }
    }
  }
  const auto need = static_cast<size_t>(n);
  if (!out.equity && scratch_equity.size() < need) scratch_equity.resize(need);
  if (!out.returns && scratch_returns.size() < need) scratch_returns.resize(need);
  double* equity = out.equity ? out.equity : scratch_equity.data();
  double* returns = out.returns ? out.returns : scratch_returns.data();

  Account acc(cfg, out.trades);
  const bool next_open = cfg.fill == Fill::NextOpen && in.open != nullptr;
  const bool percent = cfg.size_type == SizeType::Percent;
  int state = 0;           // decided position state (entries/exits)
  double decided_w = 0.0;  // decided target weight (targets)
  bool pending = false;
  double pending_w = 0.0;  // weight (targets) or state (entries/exits) to move to
  int64_t in_market = 0;
  int64_t ruin_bar = -1;
  const bool quiet = in.target == nullptr;  // signals are bytes that can be scanned 8 at a time

  // Whether the close of bar u decides a new order: a new target weight, or a new position
  // state from the signals; the new value goes to *value.
  auto decision = [&](int64_t u, double* value) {
    if (in.target) {
      *value = in.target[u];
      return !std::isnan(*value) && *value != decided_w;
    }
    const int next = state_after(in, u, state, cfg.allow_short);
    *value = next;
    return next != state;
  };

  int64_t t = 0;
  while (t < n) {
    // 1. The order decided at an earlier close fills at this bar's open (or close).
    if (pending && ruin_bar < 0) {
      const double fill_price = next_open ? in.open[t] : in.close[t];
      if (!std::isnan(fill_price)) {
        if (std::isnan(acc.mark)) acc.mark = fill_price;
        if (in.target || percent) {
          acc.rebalance(pending_w * (in.target ? 1.0 : cfg.size), fill_price, t);
        } else {
          const int want = static_cast<int>(pending_w);
          if (acc.shares != 0 && (want == 0 || (want > 0) != (acc.shares > 0))) {
            acc.close_all(fill_price, t);
          }
          if (want != 0 && acc.shares == 0) acc.open(want, 1.0, fill_price, t);
        }
        pending = false;
        if (acc.check_ruin(fill_price, t)) ruin_bar = t;
      }
    }
    // 2. The segment [t, s]: bars until the first close that decides a new order. An order that
    //    is still waiting for a fill price keeps the segment to one bar.
    int64_t s = n - 1;
    bool decide = false;
    double decided = 0.0;  // the new target weight or position state when `decide`
    if (ruin_bar < 0 && !pending) {
      for (int64_t u = t; u + 1 < n; ++u) {
        if (quiet && u + 8 < n) {  // skip 8 bars without any signal at once
          uint64_t any = 0, w = 0;
          for (const uint8_t* sig : {in.entries, in.exits, in.short_entries, in.short_exits}) {
            if (sig) {
              std::memcpy(&w, sig + u, sizeof w);
              any |= w;
            }
          }
          if (any == 0) {
            u += 7;
            continue;
          }
        }
        decide = decision(u, &decided);
        if (decide) {
          s = u;
          break;
        }
      }
    } else if (pending && ruin_bar < 0) {
      s = t;  // the waiting order may be replaced by this bar's signal
      if (t + 1 < n) decide = decision(t, &decided);
    }
    // 3. Mark every bar of the segment to market at its close (fixed cash and position).
    const double cash = acc.cash;
    const double shares = acc.shares;
    if (ruin_bar >= 0) {
      for (int64_t u = t; u <= s; ++u) {
        equity[u] = 0.0;
        if (out.position) out.position[u] = 0.0;
      }
    } else if (shares == 0) {
      for (int64_t u = t; u <= s; ++u) equity[u] = cash;
      if (out.position) std::fill(out.position + t, out.position + s + 1, 0.0);
      for (int64_t u = s; u >= t; --u) {
        if (!std::isnan(in.close[u])) {
          acc.mark = in.close[u];
          break;
        }
      }
    } else {
      double mark = acc.mark;
      for (int64_t u = t; u <= s; ++u) {
        const double c = in.close[u];
        if (closes_complete || !std::isnan(c)) mark = c;
        const double e = cash + shares * mark;
        equity[u] = e;
        if (e <= 0) {  // ruin: equity 0 from here on
          acc.mark = mark;
          acc.check_ruin(mark, u);
          ruin_bar = u;
          equity[u] = 0.0;
          for (int64_t v = u + 1; v <= s; ++v) equity[v] = 0.0;
          if (out.position) {
            std::fill(out.position + t, out.position + u, shares);
            std::fill(out.position + u, out.position + s + 1, 0.0);
          }
          in_market += u - t;
          break;
        }
      }
      if (ruin_bar < 0) {
        acc.mark = mark;
        if (out.position) std::fill(out.position + t, out.position + s + 1, shares);
        in_market += s + 1 - t;
      }
    }
    // 4. The close of bar s decides the order for the next bar.
    if (decide && ruin_bar < 0) {
      if (in.target) {
        decided_w = decided;
      } else {
        state = static_cast<int>(decided);
      }
      pending_w = decided;
      pending = true;
    }
    t = s + 1;
  }
  if (acc.shares != 0 && ruin_bar < 0) acc.close_trade(n - 1, acc.shares * acc.mark);
  if (metrics) compute_metrics(cfg, acc, equity, returns, n, in_market, ruin_bar, *metrics);
  return Status::Ok();
}

// --- Strategies -------------------------------------------------------------------------------

namespace {

const char* const kSmaCross[] = {"fast", "slow", nullptr};
const char* const kRsi[] = {"period", "lower", "upper", nullptr};
const char* const kMacd[] = {"fast", "slow", "signal", nullptr};
const char* const kBbands[] = {"period", "num_std", nullptr};

// Runs a table indicator over one column (the null rule applies: NaN rows come out NaN).
Status indicator(const char* name, std::initializer_list<double> params, const double* x,
                 int64_t n, double* const* outputs) {
  const IndicatorDef* def = find_indicator(name);
  ParamValues values;
  int i = 0;
  for (double p : params) values.values[static_cast<size_t>(i++)] = p;
  for (; i < def->n_params; ++i) {
    values.values[static_cast<size_t>(i)] = def->params[i].default_value;
  }
  ColumnView view;
  view.values = x;
  view.length = n;
  return run_indicator_into(*def, values, {view}, outputs);
}

// a crosses above b at t: a > b now, a <= b on the previous row, all four defined.
inline bool crosses_above(const double* a, const double* b, int64_t t) {
  return t > 0 && a[t] > b[t] && a[t - 1] <= b[t - 1];
}

}  // namespace

Status moving_average(const char* name, double period, const double* x, int64_t n, double* out) {
  double* o[] = {out};
  return indicator(name, {period}, x, n, o);
}

void cross_signals(const double* fast, const double* slow, int64_t n, uint8_t* entries,
                   uint8_t* exits) {
  for (int64_t t = 0; t < n; ++t) {
    entries[t] = crosses_above(fast, slow, t);
    exits[t] = crosses_above(slow, fast, t);
  }
}

Status parse_strategy(const std::string& name, Strategy* out, int* n_params) {
  if (name == "sma_cross") *out = Strategy::SmaCross, *n_params = 2;
  else if (name == "ema_cross") *out = Strategy::EmaCross, *n_params = 2;
  else if (name == "rsi") *out = Strategy::Rsi, *n_params = 3;
  else if (name == "macd_cross") *out = Strategy::MacdCross, *n_params = 3;
  else if (name == "bbands") *out = Strategy::Bbands, *n_params = 2;
  else {
    return Status::Error("`strategy`: unknown strategy '" + name +
                         "'; expected one of sma_cross, ema_cross, rsi, macd_cross, bbands");
  }
  return Status::Ok();
}

const char* const* strategy_param_names(Strategy s) {
  switch (s) {
    case Strategy::SmaCross:
    case Strategy::EmaCross: return kSmaCross;
    case Strategy::Rsi: return kRsi;
    case Strategy::MacdCross: return kMacd;
    case Strategy::Bbands: return kBbands;
  }
  return kSmaCross;
}

Status strategy_signals(Strategy s, const double* p, const double* close, int64_t n,
                        uint8_t* entries, uint8_t* exits) {
  std::vector<double> buf(static_cast<size_t>(3 * std::max<int64_t>(n, 1)));
  double* a = buf.data();
  double* b = a + n;
  double* c = b + n;
  Status st;
  switch (s) {
    case Strategy::SmaCross:
    case Strategy::EmaCross: {
      const char* name = s == Strategy::SmaCross ? "sma" : "ema";
      if (!(p[0] >= 1 && p[1] > p[0])) {
        return Status::Error("`fast` must be >= 1 and smaller than `slow`, got fast=" +
                             std::to_string(p[0]) + ", slow=" + std::to_string(p[1]));
      }
      double* oa[] = {a};
      double* ob[] = {b};
      st = indicator(name, {p[0]}, close, n, oa);
      if (st.ok) st = indicator(name, {p[1]}, close, n, ob);
      if (!st.ok) return st;
      cross_signals(a, b, n, entries, exits);
      break;
    }
    case Strategy::Rsi: {
      if (!(p[0] >= 1 && p[1] >= 0 && p[2] <= 100 && p[1] < p[2])) {
        return Status::Error("`rsi`: need period >= 1 and 0 <= lower < upper <= 100, got period=" +
                             std::to_string(p[0]) + ", lower=" + std::to_string(p[1]) +
                             ", upper=" + std::to_string(p[2]));
      }
      double* oa[] = {a};
      st = indicator("rsi", {p[0]}, close, n, oa);
      if (!st.ok) return st;
      for (int64_t t = 0; t < n; ++t) {
        entries[t] = a[t] < p[1];
        exits[t] = a[t] > p[2];
      }
      break;
    }
    case Strategy::MacdCross: {
      if (!(p[0] >= 1 && p[1] > p[0] && p[2] >= 1)) {
        return Status::Error("`macd_cross`: need 1 <= fast < slow and signal >= 1, got fast=" +
                             std::to_string(p[0]) + ", slow=" + std::to_string(p[1]) +
                             ", signal=" + std::to_string(p[2]));
      }
      double* o[] = {a, b, c};
      st = indicator("macd", {p[0], p[1], p[2]}, close, n, o);
      if (!st.ok) return st;
      for (int64_t t = 0; t < n; ++t) {
        entries[t] = crosses_above(a, b, t);
        exits[t] = crosses_above(b, a, t);
      }
      break;
    }
    case Strategy::Bbands: {
      if (!(p[0] >= 2 && p[1] > 0)) {
        return Status::Error("`bbands`: need period >= 2 and num_std > 0, got period=" +
                             std::to_string(p[0]) + ", num_std=" + std::to_string(p[1]));
      }
      double* o[] = {a, b, c};  // upper, middle, lower
      st = indicator("bbands", {p[0], p[1]}, close, n, o);
      if (!st.ok) return st;
      for (int64_t t = 0; t < n; ++t) {
        entries[t] = close[t] > a[t];
        exits[t] = close[t] < b[t];
      }
      break;
    }
  }
  return Status::Ok();
}

}  // namespace nse::bt
