// pybind11 door of the backtest engine: numpy arrays in (read in place), numpy arrays out, the
// GIL released while symbols (and parameter sets) run in parallel. Arguments are prepared and
// checked in nse_polars/backtest.py; errors here name the parameter, the symbol or the bar.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "backtest.h"
#include "numpy_buffers.h"

namespace py = pybind11;

namespace nse::bt {
namespace {

using F64 = py::array_t<double, py::array::c_style | py::array::forcecast>;
using U8 = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>;
using I64 = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;

double get(const py::dict& d, const char* key, double fallback) {
  return d.contains(key) ? d[key].cast<double>() : fallback;
}

Config parse_config(const py::dict& d) {
  Config c;
  const std::string fill = d.contains("fill") ? d["fill"].cast<std::string>() : "next_open";
  if (fill == "next_open") c.fill = Fill::NextOpen;
  else if (fill == "next_close") c.fill = Fill::NextClose;
  else throw py::value_error("`fill` must be 'next_open' or 'next_close', got '" + fill + "'");
  const std::string st = d.contains("size_type") ? d["size_type"].cast<std::string>() : "percent";
  if (st == "percent") c.size_type = SizeType::Percent;
  else if (st == "cash") c.size_type = SizeType::Cash;
  else if (st == "shares") c.size_type = SizeType::Shares;
  else throw py::value_error("`size_type` must be 'percent', 'cash' or 'shares', got '" + st + "'");
  c.size = get(d, "size", 1.0);
  c.lot = get(d, "lot_size", 0.0);
  c.allow_short = d.contains("allow_short") && d["allow_short"].cast<bool>();
  c.initial_capital = get(d, "initial_capital", 100000.0);
  c.bars_per_year = get(d, "bars_per_year", 252.0);
  c.risk_free = get(d, "risk_free", 0.0);
  c.mar = get(d, "mar", 0.0);
  if (d.contains("costs")) {
    const auto k = d["costs"].cast<py::dict>();
    CostModel& m = c.costs;
    m.commission = get(k, "commission", 0.0);
    m.fixed = get(k, "fixed", 0.0);
    m.slippage = get(k, "slippage", 0.0);
    m.brokerage = get(k, "brokerage", 0.0);
    m.brokerage_cap = get(k, "brokerage_cap", 0.0);
    m.stt_buy = get(k, "stt_buy", 0.0);
    m.stt_sell = get(k, "stt_sell", 0.0);
    m.exchange = get(k, "exchange", 0.0);
    m.sebi = get(k, "sebi", 0.0);
    m.stamp_buy = get(k, "stamp_buy", 0.0);
    m.gst = get(k, "gst", 0.0);
  }
  const Status s = check_config(c);
  if (!s.ok) throw py::value_error(s.message);
  return c;
}

constexpr int kRowWidth = kNumMetrics + kNumComponents;

void write_row(const Metrics& m, double* row) {
  metrics_to_array(m, row);
  for (int k = 0; k < kNumComponents; ++k) row[kNumMetrics + k] = m.costs[static_cast<size_t>(k)];
}

py::list column_names() {
  py::list names;
  for (const char* n : kMetricNames) names.append(n);
  for (const char* n : kComponentNames) names.append(std::string("cost_") + n);
  return names;
}

std::vector<int64_t> read_offsets(const I64& offsets, int64_t n) {
  std::vector<int64_t> o(offsets.data(), offsets.data() + offsets.size());
  // One entry ([0]) is zero groups: a grouped frame without rows.
  if (o.empty() || o.front() != 0 || o.back() != n) {
    throw py::value_error("internal: group offsets must run from 0 to the row count");
  }
  for (size_t g = 1; g < o.size(); ++g) {
    if (o[g] < o[g - 1]) throw py::value_error("internal: group offsets must not decrease");
  }
  return o;
}

const uint8_t* optional_u8(const py::dict& d, const char* key, std::vector<U8>& keep, int64_t n) {
  if (!d.contains(key) || d[key].is_none()) return nullptr;
  keep.push_back(d[key].cast<U8>());
  if (keep.back().ndim() != 1 || keep.back().shape(0) != n) {
    throw py::value_error(std::string("`") + key + "` must have one value per bar");
  }
  return keep.back().data();
}

// Every symbol of a frame (rows grouped by symbol, time-ordered within), one account each.
py::dict run(const F64& open, const F64& close, const I64& offsets, const py::dict& signals,
             const py::dict& config, bool want_trades) {
  const Config cfg = parse_config(config);
  const int64_t n = close.shape(0);
  const bool has_open = open.size() > 0;
  if (has_open && open.shape(0) != n) throw py::value_error("`open` and `close` differ in length");
  const std::vector<int64_t> off = read_offsets(offsets, n);
  std::vector<U8> keep;
  const uint8_t* entries = optional_u8(signals, "entries", keep, n);
  const uint8_t* exits = optional_u8(signals, "exits", keep, n);
  const uint8_t* short_entries = optional_u8(signals, "short_entries", keep, n);
  const uint8_t* short_exits = optional_u8(signals, "short_exits", keep, n);
  F64 target_keep;
  const double* target = nullptr;
  if (signals.contains("target") && !signals["target"].is_none()) {
    target_keep = signals["target"].cast<F64>();
    if (target_keep.shape(0) != n) throw py::value_error("`target` must have one value per bar");
    target = target_keep.data();
  }
  const auto n_groups = static_cast<int64_t>(off.size() - 1);
  F64 equity = pooled_array<double>(n), returns = pooled_array<double>(n),
      position = pooled_array<double>(n);
  F64 metrics({n_groups, static_cast<int64_t>(kRowWidth)});
  std::vector<std::vector<Trade>> trades(static_cast<size_t>(n_groups));
  std::vector<Status> status(static_cast<size_t>(n_groups));
  const double* o = has_open ? open.data() : nullptr;
  const double* c = close.data();
  double* eq = equity.mutable_data();
  double* rt = returns.mutable_data();
  double* ps = position.mutable_data();
  double* mt = metrics.mutable_data();
  {
    py::gil_scoped_release release;
    // One symbol runs on this thread alone: a team would only spin at the barrier.
#if defined(_OPENMP)
#pragma omp parallel if (n_groups > 1)
#endif
    {
      std::vector<double> se, sr;
#if defined(_OPENMP)
#pragma omp for schedule(dynamic, 1)
#endif
      for (int64_t g = 0; g < n_groups; ++g) {
        const int64_t b = off[static_cast<size_t>(g)];
        SymbolInput in;
        in.open = o ? o + b : nullptr;
        in.close = c + b;
        in.n = off[static_cast<size_t>(g) + 1] - b;
        in.entries = entries ? entries + b : nullptr;
        in.exits = exits ? exits + b : nullptr;
        in.short_entries = short_entries ? short_entries + b : nullptr;
        in.short_exits = short_exits ? short_exits + b : nullptr;
        in.target = target ? target + b : nullptr;
        SymbolOutput out;
        out.equity = eq + b;
        out.returns = rt + b;
        out.position = ps + b;
        out.trades = want_trades ? &trades[static_cast<size_t>(g)] : nullptr;
        Metrics m{};
        status[static_cast<size_t>(g)] = run_symbol(cfg, in, out, se, sr, &m);
        write_row(m, mt + g * kRowWidth);
      }
    }
  }
  for (int64_t g = 0; g < n_groups; ++g) {
    const Status& s = status[static_cast<size_t>(g)];
    if (!s.ok) {
      throw py::value_error("group " + std::to_string(g) + ", " + s.message);
    }
  }
  py::dict result;
  result["equity"] = equity;
  result["returns"] = returns;
  result["position"] = position;
  result["metrics"] = metrics;
  result["metric_names"] = column_names();
  if (want_trades) {
    size_t total = 0;
    for (const auto& t : trades) total += t.size();
    const auto m = static_cast<py::ssize_t>(total);
    I64 group(m), entry_bar(m), exit_bar(m), direction(m);
    F64 entry_price(m), exit_price(m), qty(m), pnl(m), ret(m), costs(m);
    py::array_t<bool> is_open(m);
    py::ssize_t i = 0;
    for (int64_t g = 0; g < n_groups; ++g) {
      const int64_t b = off[static_cast<size_t>(g)];
      for (const Trade& t : trades[static_cast<size_t>(g)]) {
        group.mutable_data()[i] = g;
        entry_bar.mutable_data()[i] = b + t.entry_bar;
        exit_bar.mutable_data()[i] = t.open ? -1 : b + t.exit_bar;
        direction.mutable_data()[i] = t.direction;
        entry_price.mutable_data()[i] = t.entry_price;
        exit_price.mutable_data()[i] = t.exit_price;
        qty.mutable_data()[i] = t.quantity;
        pnl.mutable_data()[i] = t.pnl;
        ret.mutable_data()[i] = t.ret;
        costs.mutable_data()[i] = t.costs;
        is_open.mutable_data()[i] = t.open;
        ++i;
      }
    }
    py::dict tr;
    tr["group"] = group;
    tr["entry_row"] = entry_bar;
    tr["exit_row"] = exit_bar;
    tr["direction"] = direction;
    tr["entry_price"] = entry_price;
    tr["exit_price"] = exit_price;
    tr["quantity"] = qty;
    tr["pnl"] = pnl;
    tr["return"] = ret;
    tr["costs"] = costs;
    tr["is_open"] = is_open;
    result["trades"] = tr;
  }
  return result;
}

// A parameter grid of a named strategy x every symbol: one metrics row per (symbol, set),
// signals and equity kept in per-thread scratch memory only.
// With `want_returns`, also the per-bar returns of every set: a (sets x rows) matrix, row k
// holding set k's returns for every group (the return matrix CSCV needs, see kernels/stats.h).
py::dict sweep(const F64& open, const F64& close, const I64& offsets, const std::string& strategy,
               const F64& grid, const py::dict& config, bool want_returns) {
  const Config cfg = parse_config(config);
  Strategy strat;
  int n_params = 0;
  Status s = parse_strategy(strategy, &strat, &n_params);
  if (!s.ok) throw py::value_error(s.message);
  if (grid.ndim() != 2 || grid.shape(1) != n_params) {
    throw py::value_error("`grid` must have " + std::to_string(n_params) + " columns for `" +
                          strategy + "`");
  }
  const int64_t n = close.shape(0);
  const bool has_open = open.size() > 0;
  if (has_open && open.shape(0) != n) throw py::value_error("`open` and `close` differ in length");
  const std::vector<int64_t> off = read_offsets(offsets, n);
  const auto n_groups = static_cast<int64_t>(off.size() - 1);
  const int64_t n_sets = grid.shape(0);
  const double* gp = grid.data();
  for (int64_t k = 0; k < n_sets; ++k) {
    // Validate every set once, on an empty series, before any work.
    uint8_t dummy = 0;
    s = strategy_signals(strat, gp + k * n_params, nullptr, 0, &dummy, &dummy);
    if (!s.ok) throw py::value_error("parameter set " + std::to_string(k) + ": " + s.message);
  }
  F64 metrics({n_groups * n_sets, static_cast<int64_t>(kRowWidth)});
  double* mt = metrics.mutable_data();
  F64 returns_matrix(want_returns ? std::vector<py::ssize_t>{n_sets, n}
                                  : std::vector<py::ssize_t>{0, 0});
  double* rm = want_returns ? returns_matrix.mutable_data() : nullptr;
  std::vector<Status> status(static_cast<size_t>(n_groups * n_sets));
  const double* o = has_open ? open.data() : nullptr;
  const double* c = close.data();
  // Cross strategies: every distinct period's moving average once per symbol (a 10 x 10 grid
  // needs 20 averages, not 200), shared read-only by the parameter sets.
  const bool cross = strat == Strategy::SmaCross || strat == Strategy::EmaCross;
  std::vector<double> periods;
  std::vector<double> averages;  // [period][row], rows of all groups
  if (cross) {
    for (int64_t k = 0; k < n_sets; ++k) {
      periods.push_back(gp[k * n_params]);
      periods.push_back(gp[k * n_params + 1]);
    }
    std::sort(periods.begin(), periods.end());
    periods.erase(std::unique(periods.begin(), periods.end()), periods.end());
    averages.resize(periods.size() * static_cast<size_t>(n));
  }
  auto average = [&](double period, int64_t row) {
    const auto i = std::lower_bound(periods.begin(), periods.end(), period) - periods.begin();
    return averages.data() + static_cast<size_t>(i) * static_cast<size_t>(n) + row;
  };
  {
    py::gil_scoped_release release;
    if (cross) {
      const auto n_periods = static_cast<int64_t>(periods.size());
      const char* name = strat == Strategy::SmaCross ? "sma" : "ema";
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) if (n_groups * n_periods > 1)
#endif
      for (int64_t job = 0; job < n_groups * n_periods; ++job) {
        const int64_t g = job / n_periods;
        const double period = periods[static_cast<size_t>(job % n_periods)];
        const int64_t b = off[static_cast<size_t>(g)];
        (void)moving_average(name, period, c + b, off[static_cast<size_t>(g) + 1] - b,
                             average(period, b));
      }
    }
#if defined(_OPENMP)
#pragma omp parallel if (n_groups * n_sets > 1)
#endif
    {
      std::vector<double> se, sr;
      std::vector<uint8_t> en, ex;
#if defined(_OPENMP)
#pragma omp for schedule(dynamic, 1)
#endif
      for (int64_t job = 0; job < n_groups * n_sets; ++job) {
        const int64_t g = job / n_sets;
        const int64_t k = job % n_sets;
        const int64_t b = off[static_cast<size_t>(g)];
        const int64_t len = off[static_cast<size_t>(g) + 1] - b;
        en.assign(static_cast<size_t>(len), 0);
        ex.assign(static_cast<size_t>(len), 0);
        const double* p = gp + k * n_params;
        Status st;
        if (cross) {
          cross_signals(average(p[0], b), average(p[1], b), len, en.data(), ex.data());
        } else {
          st = strategy_signals(strat, p, c + b, len, en.data(), ex.data());
        }
        Metrics m{};
        if (st.ok) {
          SymbolInput in;
          in.open = o ? o + b : nullptr;
          in.close = c + b;
          in.n = len;
          in.entries = en.data();
          in.exits = ex.data();
          SymbolOutput out;
          out.returns = rm ? rm + k * n + b : nullptr;
          st = run_symbol(cfg, in, out, se, sr, &m);
        }
        status[static_cast<size_t>(job)] = st;
        write_row(m, mt + job * kRowWidth);
      }
    }
  }
  for (int64_t job = 0; job < n_groups * n_sets; ++job) {
    const Status& st = status[static_cast<size_t>(job)];
    if (!st.ok) {
      throw py::value_error("group " + std::to_string(job / n_sets) + ", " + st.message);
    }
  }
  py::dict result;
  result["metrics"] = metrics;
  result["metric_names"] = column_names();
  py::list pnames;
  for (const char* const* p = strategy_param_names(strat); *p; ++p) pnames.append(*p);
  result["param_names"] = pnames;
  if (want_returns) result["returns"] = returns_matrix;
  return result;
}

py::list strategy_names() {
  py::list out;
  for (const char* name : {"sma_cross", "ema_cross", "rsi", "macd_cross", "bbands"}) {
    Strategy s;
    int n_params = 0;
    (void)parse_strategy(name, &s, &n_params);
    py::list params;
    for (const char* const* p = strategy_param_names(s); *p; ++p) params.append(*p);
    out.append(py::make_tuple(name, params));
  }
  return out;
}

}  // namespace
}  // namespace nse::bt

namespace nse {
void register_backtest(py::module_& m) {
  m.def("backtest_run", &bt::run, py::arg("open"), py::arg("close"), py::arg("offsets"),
        py::arg("signals"), py::arg("config"), py::arg("want_trades") = true,
        "Backtest every group (symbol) of a frame: per-bar equity, returns and positions, "
        "trades and a metrics row per group.");
  m.def("backtest_sweep", &bt::sweep, py::arg("open"), py::arg("close"), py::arg("offsets"),
        py::arg("strategy"), py::arg("grid"), py::arg("config"), py::arg("want_returns") = false,
        "A named strategy's parameter grid x every group: one metrics row per (group, set); "
        "with want_returns, also the (sets x rows) matrix of per-bar returns.");
  m.def("backtest_strategies", &bt::strategy_names, "Strategies of backtest_sweep, with params.");
}
}  // namespace nse
