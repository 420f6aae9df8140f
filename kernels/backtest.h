// The backtest engine: one account per symbol, bar by bar, the semantics of REFERENCE.md
// ("Backtest semantics and metrics"). Deterministic: a symbol's result depends only on its own
// rows, so symbols run in parallel with bit-identical results whatever the thread count.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "params.h"

namespace nse::bt {

enum class Fill { NextOpen, NextClose };
enum class SizeType { Percent, Cash, Shares };

// Cost components, reported separately (money), in this order.
enum Component {
  kCommission,  // generic per-side rate (bps)
  kFixed,       // fixed amount per order
  kSlippage,    // price moved against the order: |qty| x |fill price - reference price|
  kBrokerage,   // min(rate x notional, cap) per order
  kStt,         // securities transaction tax
  kExchange,    // exchange transaction charge
  kSebi,        // SEBI turnover fee
  kStamp,       // stamp duty (buys)
  kGst,         // GST on brokerage + exchange charge + SEBI fee
  kNumComponents
};
extern const char* const kComponentNames[kNumComponents];

// Per-side rates are fractions of the traded notional (at the fill price, after slippage).
struct CostModel {
  double commission = 0.0;
  double fixed = 0.0;
  double slippage = 0.0;  // fraction of the reference price
  double brokerage = 0.0;
  double brokerage_cap = 0.0;  // <= 0: no cap
  double stt_buy = 0.0;
  double stt_sell = 0.0;
  double exchange = 0.0;
  double sebi = 0.0;
  double stamp_buy = 0.0;
  double gst = 0.0;  // rate applied to brokerage + exchange + sebi
};

struct Config {
  Fill fill = Fill::NextOpen;
  SizeType size_type = SizeType::Percent;
  double size = 1.0;  // Percent: fraction of equity; Cash: money per entry; Shares: quantity
  double lot = 0.0;   // > 0: quantities are whole multiples of `lot`
  bool allow_short = false;
  double initial_capital = 100000.0;
  CostModel costs;
  double bars_per_year = 252.0;
  double risk_free = 0.0;  // annual; rf / bars_per_year per bar
  double mar = 0.0;        // annual minimum acceptable return of the Sortino ratio
};

// One symbol's bars and signals (all arrays of length n; null pointers where absent). Signals:
// either `target` (weight in [0, 1], or [-1, 1] with shorting; NaN = keep the last target) or
// boolean entries/exits (bytes, nonzero = true).
struct SymbolInput {
  const double* open = nullptr;
  const double* close = nullptr;
  int64_t n = 0;
  const uint8_t* entries = nullptr;
  const uint8_t* exits = nullptr;
  const uint8_t* short_entries = nullptr;
  const uint8_t* short_exits = nullptr;
  const double* target = nullptr;
};

struct Trade {
  int64_t entry_bar = 0;
  int64_t exit_bar = -1;  // -1 while open
  int direction = 1;      // +1 long, -1 short
  double entry_price = 0.0;  // mean fill price of the fills that opened or added
  double exit_price = 0.0;   // mean fill price of the fills that reduced or closed (NaN if none)
  double quantity = 0.0;     // largest absolute quantity held
  double pnl = 0.0;          // money, after every cost; open trades marked at the last close
  double ret = 0.0;          // pnl / (notional + costs of the opening and adding fills)
  double costs = 0.0;        // every cost component of the trade's fills, slippage included
  bool open = false;
};

// Metrics of REFERENCE.md; NaN where undefined (the Python layer turns NaN into null).
struct Metrics {
  double total_return, cagr, annual_vol, sharpe, sortino, calmar, max_drawdown;
  double max_drawdown_duration, win_rate, profit_factor, expectancy, sqn, exposure, turnover;
  double n_trades, total_costs, final_equity, bars;
  std::array<double, kNumComponents> costs;
};
constexpr int kNumMetrics = 18;
extern const char* const kMetricNames[kNumMetrics];
void metrics_to_array(const Metrics& m, double* out);  // kNumMetrics values, kMetricNames order

// Per-bar outputs (each may be null): equity at the close, the bar's return, signed quantity.
struct SymbolOutput {
  double* equity = nullptr;
  double* returns = nullptr;
  double* position = nullptr;
  std::vector<Trade>* trades = nullptr;  // null: trades are only counted into the metrics
};

// Validates the configuration (messages name the parameter).
Status check_config(const Config& config);

// Runs one symbol. Scratch buffers (length n) are used when outputs are absent. Returns an
// error naming the bar for an invalid price or target.
Status run_symbol(const Config& config, const SymbolInput& in, SymbolOutput& out,
                  std::vector<double>& scratch_equity, std::vector<double>& scratch_returns,
                  Metrics* metrics);

// Strategies for native sweeps: signals computed from indicators of `close`, exactly as the
// Polars expressions of nse_polars.strategies compute them.
enum class Strategy { SmaCross, EmaCross, Rsi, MacdCross, Bbands };
Status parse_strategy(const std::string& name, Strategy* out, int* n_params);
const char* const* strategy_param_names(Strategy s);

// Entries/exits for one parameter set of `strategy` over one symbol's closes.
Status strategy_signals(Strategy strategy, const double* params, const double* close, int64_t n,
                        uint8_t* entries, uint8_t* exits);

// Building blocks of the cross strategies, for sweeps that compute each moving average once:
// the average `name` ("sma" or "ema") of one period over x, and crossings of two lines.
Status moving_average(const char* name, double period, const double* x, int64_t n, double* out);
void cross_signals(const double* fast, const double* slow, int64_t n, uint8_t* entries,
                   uint8_t* exits);

}  // namespace nse::bt
