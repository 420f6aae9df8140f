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

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define NSE_BT_SSE2 1
#endif

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

// The high bit of each of the 8 bytes at p set where that byte is nonzero (any value counts
// as true, as in state_after).
inline uint64_t nonzero_bytes(const uint8_t* p) {
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  uint64_t w = 0;
  std::memcpy(&w, p, sizeof w);
  return (((w & kLow7) + kLow7) | w) & ~kLow7;
}

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
// compiler use vector adds and hides the add latency. Bar t always goes to lane t % 4.
struct Sum4 {
  double s[4] = {0, 0, 0, 0};
  double total() const { return (s[0] + s[1]) + (s[2] + s[3]); }
};

// The equity curve's running statistics, fed segment by segment while the engine marks bars to
// market (one pass over the curve instead of one per statistic): per-bar returns, the sums of
// returns, equity and squared shortfalls below the MAR, and the drawdown. Every sum adds bar t
// to lane t % 4 in increasing t, the order of a separate pass over the finished curve.
struct Curve {
  double mar_bar;
  double prev;  // equity of the bar before the next one (E0 before bar 0)
  Sum4 sum_r, sum_e, down;
  // Drawdown: deepest fall below the running peak (E0 included); its duration runs from that
  // peak until equity regains it, or to the last bar. The exact ratio is computed only where a
  // bar may set a new worst (a multiplication screens the others).
  double peak, worst = 0.0, screen;
  int64_t peak_bar = -1, worst_peak_bar = -1, worst_recovery = -1;

  Curve(double e0, double mar) : mar_bar(mar), prev(e0), peak(e0), screen(e0) {}

  template <int k, bool ruined>
  void bar(int64_t t, double e, double* returns) {
    // E_t / E_{t-1} - 1; 0 after the account is ruined (equity 0).
    const double r = ruined ? 0.0 : e / prev - 1.0;
    prev = e;
    returns[t] = r;
    sum_r.s[k] += r;
    sum_e.s[k] += e;
    const double below = std::min(r - mar_bar, 0.0);
    down.s[k] += below * below;
  }

  void drawdown(int64_t t, double e) {
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

  template <bool ruined>
  void any_lane(int64_t t, double e, double* returns) {
    switch (t & 3) {
      case 0: bar<0, ruined>(t, e, returns); break;
      case 1: bar<1, ruined>(t, e, returns); break;
      case 2: bar<2, ruined>(t, e, returns); break;
      default: bar<3, ruined>(t, e, returns); break;
    }
  }

  // Blocks of four bars from t (a multiple of 4, > 0) while they fit before `end`: the same
  // operations as bar<k>, two lanes per SSE2 instruction (exact IEEE operations lane by lane,
  // so the results are bit-identical). Returns the first bar not done.
  int64_t blocks(const double* equity, double* returns, int64_t t, int64_t end) {
#if defined(NSE_BT_SSE2)
    const __m128d one = _mm_set1_pd(1.0), zero = _mm_setzero_pd(), mar = _mm_set1_pd(mar_bar);
    __m128d r01 = _mm_loadu_pd(sum_r.s), r23 = _mm_loadu_pd(sum_r.s + 2);
    __m128d e01 = _mm_loadu_pd(sum_e.s), e23 = _mm_loadu_pd(sum_e.s + 2);
    __m128d d01 = _mm_loadu_pd(down.s), d23 = _mm_loadu_pd(down.s + 2);
    for (; t + 4 <= end; t += 4) {
      const __m128d x01 = _mm_loadu_pd(equity + t), x23 = _mm_loadu_pd(equity + t + 2);
      const __m128d p01 = _mm_loadu_pd(equity + t - 1), p23 = _mm_loadu_pd(equity + t + 1);
      const __m128d q01 = _mm_sub_pd(_mm_div_pd(x01, p01), one);
      const __m128d q23 = _mm_sub_pd(_mm_div_pd(x23, p23), one);
      _mm_storeu_pd(returns + t, q01);
      _mm_storeu_pd(returns + t + 2, q23);
      r01 = _mm_add_pd(r01, q01);
      r23 = _mm_add_pd(r23, q23);
      e01 = _mm_add_pd(e01, x01);
      e23 = _mm_add_pd(e23, x23);
      const __m128d b01 = _mm_min_pd(zero, _mm_sub_pd(q01, mar));  // = std::min(r - mar, 0)
      const __m128d b23 = _mm_min_pd(zero, _mm_sub_pd(q23, mar));
      d01 = _mm_add_pd(d01, _mm_mul_pd(b01, b01));
      d23 = _mm_add_pd(d23, _mm_mul_pd(b23, b23));
    }
    _mm_storeu_pd(sum_r.s, r01);
    _mm_storeu_pd(sum_r.s + 2, r23);
    _mm_storeu_pd(sum_e.s, e01);
    _mm_storeu_pd(sum_e.s + 2, e23);
    _mm_storeu_pd(down.s, d01);
    _mm_storeu_pd(down.s + 2, d23);
    if (t > 0) prev = equity[t - 1];
#else
    for (; t + 4 <= end; t += 4) {
      bar<0, false>(t, equity[t], returns);
      bar<1, false>(t + 1, equity[t + 1], returns);
      bar<2, false>(t + 2, equity[t + 2], returns);
      bar<3, false>(t + 3, equity[t + 3], returns);
    }
#endif
    return t;
  }

  template <bool ruined>
  void run(const double* equity, double* returns, int64_t t, int64_t end) {
    Curve c = *this;  // a local copy, so that the compiler keeps the state in registers
    const int64_t first = t;
    for (; t < end && (t & 3) != 0; ++t) c.any_lane<ruined>(t, equity[t], returns);
    for (; t + 4 <= end; t += 4) {
      if (!ruined && t > 0) {  // equity[t - 1] is the bar before (prev)
        t = c.blocks(equity, returns, t, end);
        break;
      }
      c.bar<0, ruined>(t, equity[t], returns);
      c.bar<1, ruined>(t + 1, equity[t + 1], returns);
      c.bar<2, ruined>(t + 2, equity[t + 2], returns);
      c.bar<3, ruined>(t + 3, equity[t + 3], returns);
    }
    for (; t < end; ++t) c.any_lane<ruined>(t, equity[t], returns);
    // Drawdown: four bars at a time skip the bookkeeping when none of them is a new peak or
    // below the screen (most bars; a bar that is neither changes nothing).
    for (t = first; t + 4 <= end; t += 4) {
      const double a0 = equity[t], a1 = equity[t + 1], a2 = equity[t + 2], a3 = equity[t + 3];
      const bool quiet = (static_cast<unsigned>(a0 < c.peak) & static_cast<unsigned>(a1 < c.peak) &
                          static_cast<unsigned>(a2 < c.peak) & static_cast<unsigned>(a3 < c.peak) &
                          static_cast<unsigned>(a0 > c.screen) &
                          static_cast<unsigned>(a1 > c.screen) &
                          static_cast<unsigned>(a2 > c.screen) &
                          static_cast<unsigned>(a3 > c.screen)) != 0;
      if (quiet) continue;
      c.drawdown(t, a0);
      c.drawdown(t + 1, a1);
      c.drawdown(t + 2, a2);
      c.drawdown(t + 3, a3);
    }
    for (; t < end; ++t) c.drawdown(t, equity[t]);
    *this = c;
  }

  // Bars [t, end) of the curve, in order; the bars after `ruin_bar` (>= 0) return 0.
  void add(const double* equity, double* returns, int64_t t, int64_t end, int64_t ruin_bar) {
    const int64_t live_end = ruin_bar >= 0 ? std::min(end, ruin_bar + 1) : end;
    run<false>(equity, returns, t, live_end);
    run<true>(equity, returns, std::max(t, live_end), end);
  }
};

void compute_metrics(const Config& cfg, const Account& acc, const Curve& curve,
                     const double* equity, const double* returns, int64_t n, int64_t in_market,
                     Metrics& m) {
  const double a = cfg.bars_per_year;
  const double e0 = cfg.initial_capital;
  const double eT = n > 0 ? equity[n - 1] : e0;
  const double mar_bar = cfg.mar / a;
  const auto nd = static_cast<double>(n);
  const double mean = n > 0 ? curve.sum_r.total() / nd : kNaN;
  // Squared deviations from the mean: a second pass (the mean is known only now), reading the
  // returns the first one wrote.
  Sum4 ss;
  int64_t t = 0;
  for (; t + 4 <= n; t += 4) {
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
  const double dd = n > 0 ? std::sqrt(curve.down.total() / nd) : kNaN;
  m.sortino = dd > 0 ? (mean - mar_bar) / dd * std::sqrt(a) : kNaN;
  const double worst = curve.worst;
  m.max_drawdown = n > 0 ? worst : kNaN;
  m.max_drawdown_duration =
      worst < 0 ? static_cast<double>(
                      (curve.worst_recovery >= 0 ? curve.worst_recovery : n - 1) -
                      curve.worst_peak_bar)
                : 0.0;
  m.calmar = worst < 0 ? m.cagr / std::fabs(worst) : kNaN;
  m.n_trades = acc.n_closed;
  m.win_rate = acc.n_closed > 0 ? acc.wins / acc.n_closed : kNaN;
  m.profit_factor = acc.gross_loss > 0 ? acc.gross_profit / acc.gross_loss : kNaN;
  m.expectancy = acc.n_closed > 0 ? acc.sum_ret / acc.n_closed : kNaN;
  const double pnl_var = acc.n_closed > 1 ? acc.pnl_m2 / (acc.n_closed - 1) : kNaN;
  m.sqn = pnl_var > 0 ? std::sqrt(acc.n_closed) * acc.pnl_mean / std::sqrt(pnl_var) : kNaN;
  m.exposure = n > 0 ? static_cast<double>(in_market) / nd : kNaN;
  const double sum_equity = curve.sum_e.total();
  m.turnover = sum_equity > 0 ? acc.traded_notional / (sum_equity / nd) : 0.0;
  m.costs = acc.costs;
  m.total_costs = 0.0;
  for (double c : acc.costs) m.total_costs += c;
}

// One pass over the prices: whether any is bad (<= 0 or +inf; NaN is a missing price, not a bad
// one) and whether any close is missing. Branch-free, two bars per SSE2 instruction where
// available; the slow loop that names the bar runs only when a price is bad.
void scan_prices(const double* open, const double* close, int64_t n, bool* bad_price,
                 bool* missing_close) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  unsigned bad = 0, missing = 0;
  int64_t t = 0;
#if defined(NSE_BT_SSE2)
  const __m128d zero = _mm_setzero_pd();
  const __m128d vinf = _mm_set1_pd(inf);
  __m128d vbad = _mm_setzero_pd(), vmissing = _mm_setzero_pd();
  for (; t + 2 <= n; t += 2) {
    const __m128d o = _mm_loadu_pd(open + t);
    const __m128d c = _mm_loadu_pd(close + t);
    const __m128d bo = _mm_or_pd(_mm_cmple_pd(o, zero), _mm_cmpeq_pd(o, vinf));
    const __m128d bc = _mm_or_pd(_mm_cmple_pd(c, zero), _mm_cmpeq_pd(c, vinf));
    vbad = _mm_or_pd(vbad, _mm_or_pd(bo, bc));
    vmissing = _mm_or_pd(vmissing, _mm_cmpunord_pd(c, c));
  }
  bad = static_cast<unsigned>(_mm_movemask_pd(vbad));
  missing = static_cast<unsigned>(_mm_movemask_pd(vmissing));
#endif
  for (; t < n; ++t) {
    const double o = open[t];
    const double c = close[t];
    bad |= static_cast<unsigned>(o <= 0) | static_cast<unsigned>(o == inf) |
           static_cast<unsigned>(c <= 0) | static_cast<unsigned>(c == inf);
    missing |= static_cast<unsigned>(c != c);  // NOLINT(misc-redundant-expression): NaN test
  }
  *bad_price = bad != 0;
  *missing_close = missing != 0;
}

}  // namespace

Status run_symbol(const Config& cfg, const SymbolInput& in, SymbolOutput& out,
                  std::vector<double>& scratch_equity, std::vector<double>& scratch_returns,
                  Metrics* metrics) {
  const int64_t n = in.n;
  // Prices: a branch-free pass flags a bad price or a missing close; the slow loop that names
  // the bar runs only when a price is bad. Signals check each segment's bars just before
  // marking them (one pass over the prices, cache-warm for the fills); targets, whose own check
  // comes second, check every bar first.
  const double* open_or_close = in.open ? in.open : in.close;
  auto bad_bar = [&](int64_t from, int64_t to) {
    for (int64_t t = from; t < to; ++t) {
      const double o = in.open ? in.open[t] : 1.0;
      const double c = in.close[t];
      if ((o <= 0) || (c <= 0) || std::isinf(o) || std::isinf(c)) {
        return Status::Error("bar " + std::to_string(t) + ": prices must be > 0 and finite, " +
                             "got open=" + std::to_string(in.open ? in.open[t] : kNaN) +
                             ", close=" + std::to_string(c));
      }
    }
    return Status::Ok();
  };
  const bool scan_ahead = in.target != nullptr;
  bool closes_complete = true;
  if (scan_ahead) {
    bool bad_price = false, missing_close = false;
    scan_prices(open_or_close, in.close, n, &bad_price, &missing_close);
    if (bad_price) return bad_bar(0, n);
    closes_complete = !missing_close;
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
  // Entries and exits only (no short signals in play): the state is 0 or 1.
  const bool long_only_signals =
      quiet && !((in.short_entries || in.short_exits) && cfg.allow_short);
  const uint8_t* sigs[4] = {};
  int n_sigs = 0;
  for (const uint8_t* sig : {in.entries, in.exits, in.short_entries, in.short_exits}) {
    if (sig) sigs[n_sigs++] = sig;
  }

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

  Curve curve(cfg.initial_capital, cfg.mar / cfg.bars_per_year);
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
        if (long_only_signals && u + 8 < n) {
          // Skip 8 bars at once where no bar can change the state: long, no bar with an exit
          // and no entry; flat, no bar with an entry and no exit (state_after). Crossover
          // signals hold for long stretches, so most bars are skipped here.
          const uint64_t e = in.entries ? nonzero_bytes(in.entries + u) : 0;
          const uint64_t x = in.exits ? nonzero_bytes(in.exits + u) : 0;
          if ((state > 0 ? x & ~e : e & ~x) == 0) {
            u += 7;
            continue;
          }
        } else if (quiet && u + 8 < n) {  // skip 8 bars without any signal at once
          uint64_t any = 0;
          for (int j = 0; j < n_sigs; ++j) {
            uint64_t w = 0;
            std::memcpy(&w, sigs[j] + u, sizeof w);
            any |= w;
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
    // 3. Mark every bar of the segment to market at its close (fixed cash and position), then
    //    feed the segment to the curve's statistics while it is still in cache.
    if (!scan_ahead) {
      bool bad_price = false, missing_close = false;
      scan_prices(open_or_close + t, in.close + t, s + 1 - t, &bad_price, &missing_close);
      if (bad_price) return bad_bar(t, s + 1);
      closes_complete = !missing_close;
    }
    const double cash = acc.cash;
    const double shares = acc.shares;
    if (ruin_bar >= 0) {
      std::fill(equity + t, equity + s + 1, 0.0);
      if (out.position) std::fill(out.position + t, out.position + s + 1, 0.0);
    } else if (shares == 0) {
      std::fill(equity + t, equity + s + 1, cash);
      if (out.position) std::fill(out.position + t, out.position + s + 1, 0.0);
      for (int64_t u = s; u >= t; --u) {
        if (!std::isnan(in.close[u])) {
          acc.mark = in.close[u];
          break;
        }
      }
    } else {
      double mark = acc.mark;
      int64_t ruined = -1;  // the first bar whose equity is <= 0
      if (closes_complete) {  // branch-free (vectorisable); the rare ruin is found afterwards
        unsigned any_ruin = 0;
        for (int64_t u = t; u <= s; ++u) {
          const double e = cash + shares * in.close[u];
          equity[u] = e;
          any_ruin |= static_cast<unsigned>(e <= 0);
        }
        if (any_ruin != 0) {
          for (ruined = t; equity[ruined] > 0; ++ruined) {
          }
          mark = in.close[ruined];
        } else {
          mark = in.close[s];
        }
      } else {
        for (int64_t u = t; u <= s; ++u) {
          const double c = in.close[u];
          if (!std::isnan(c)) mark = c;
          const double e = cash + shares * mark;
          equity[u] = e;
          if (e <= 0) {
            ruined = u;
            break;
          }
        }
      }
      if (ruined >= 0) {  // ruin: equity 0 from here on
        const int64_t u = ruined;
        acc.mark = mark;
        acc.check_ruin(mark, u);
        ruin_bar = u;
        std::fill(equity + u, equity + s + 1, 0.0);
        if (out.position) {
          std::fill(out.position + t, out.position + u, shares);
          std::fill(out.position + u, out.position + s + 1, 0.0);
        }
        in_market += u - t;
      } else {
        acc.mark = mark;
        if (out.position) std::fill(out.position + t, out.position + s + 1, shares);
        in_market += s + 1 - t;
      }
    }
    if (metrics) curve.add(equity, returns, t, s + 1, ruin_bar);
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
  if (metrics) compute_metrics(cfg, acc, curve, equity, returns, n, in_market, *metrics);
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
