// The indicator table: names, inputs, outputs, parameters with ranges and defaults, lookbacks,
// and the kernel each one runs (kernel_table.h, chosen per instruction set).

#include <string>
#include <vector>

#include "kernel_table.h"
#include "params.h"
#include "registry.h"

namespace nse {
namespace {

constexpr double kMaxPeriod = 1 << 30;
constexpr double kHuge = 1e300;

ParamSpec period_param(double default_value, double min_value = 1) {
  return {"period", ParamKind::Integer, default_value, min_value, kMaxPeriod, false, nullptr};
}

bool compute_sma(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return kernels::active().rolling(in[0], n, p.integer(0), kernels::Moments::Mean, 0.0, out[0],
                                   nullptr, nullptr);
}
bool compute_ema(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return kernels::active().ema(in[0], n, p.integer(0), p.integer(1) == 1, out[0]);
}
bool compute_rsi(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return kernels::active().rsi(in[0], n, p.integer(0), out[0]);
}
bool compute_macd(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return kernels::active().macd(in[0], n, p.integer(0), p.integer(1), p.integer(2), out[0],
                                out[1], out[2]);
}
// Outputs upper, middle, lower.
bool compute_bbands(const double* const* in, int64_t n, double* const* out,
                    const ParamValues& p) {
  return kernels::active().rolling(in[0], n, p.integer(0), kernels::Moments::Bands, p.real(1),
                                   out[1], out[0], out[2]);
}

Status check_fast_slow(const ParamValues& p, int fast, int slow, const char* where) {
  if (p.integer(fast) >= p.integer(slow)) {
    return Status::Error("`fast` must be smaller than `slow`, got fast=" +
                         std::to_string(p.integer(fast)) + ", slow=" +
                         std::to_string(p.integer(slow)) + " (in `" + where + "`)");
  }
  return Status::Ok();
}
Status check_macd(const ParamValues& p) { return check_fast_slow(p, 0, 1, "macd"); }

// The five-indicator overlay: parameters in the order sma, ema, rsi, macd (3), bbands (2);
// outputs sma, ema, rsi, macd, macd_signal, macd_hist, bb_upper, bb_middle, bb_lower.
bool compute_overlay(const double* const* in, int64_t n, double* const* out,
                     const ParamValues& p) {
  const kernels::OverlayParams params{p.integer(0), p.integer(1), p.integer(2), p.integer(3),
                                      p.integer(4), p.integer(5), p.integer(6), p.real(7)};
  return kernels::active().overlay(in[0], n, params, out);
}
Status check_overlay(const ParamValues& p) { return check_fast_slow(p, 3, 4, "overlay"); }
int64_t overlay_lookback(const ParamValues& p, int output) {
  switch (output) {
    case 0: return p.integer(0) - 1;
    case 1: return p.integer(1) - 1;
    case 2: return p.integer(2);
    case 3: case 4: case 5: return p.integer(4) + p.integer(5) - 2;
    default: return p.integer(6) - 1;
  }
}

std::vector<IndicatorDef> build_table() {
  std::vector<IndicatorDef> t;
  t.push_back({"sma", 1, {"close"}, 1, {"sma"}, 1, {period_param(20)}, nullptr,
               [](const ParamValues& p, int) { return p.integer(0) - 1; }, compute_sma});
  t.push_back({"ema", 1, {"close"}, 1, {"ema"}, 2,
               {period_param(20), {"seed", ParamKind::Choice, 0, 0, 1, false, "sma|first"}},
               nullptr,
               [](const ParamValues& p, int) { return p.integer(1) == 1 ? 0 : p.integer(0) - 1; },
               compute_ema});
  t.push_back({"rsi", 1, {"close"}, 1, {"rsi"}, 1, {period_param(14)}, nullptr,
               [](const ParamValues& p, int) { return p.integer(0); }, compute_rsi});
  t.push_back({"macd", 1, {"close"}, 3, {"macd", "signal", "hist"}, 3,
               {{"fast", ParamKind::Integer, 12, 1, kMaxPeriod, false, nullptr},
                {"slow", ParamKind::Integer, 26, 2, kMaxPeriod, false, nullptr},
                {"signal", ParamKind::Integer, 9, 1, kMaxPeriod, false, nullptr}},
               check_macd,
               [](const ParamValues& p, int) { return p.integer(1) + p.integer(2) - 2; }, compute_macd});
  t.push_back({"bbands", 1, {"close"}, 3, {"upper", "middle", "lower"}, 2,
               {period_param(20), {"num_std", ParamKind::Real, 2.0, 0.0, kHuge, true, nullptr}},
               nullptr, [](const ParamValues& p, int) { return p.integer(0) - 1; }, compute_bbands});
  t.push_back({"overlay", 1, {"close"}, 9,
               {"sma", "ema", "rsi", "macd", "macd_signal", "macd_hist", "bb_upper", "bb_middle",
                "bb_lower"},
               8,
               {{"sma_period", ParamKind::Integer, 20, 1, kMaxPeriod, false, nullptr},
                {"ema_period", ParamKind::Integer, 20, 1, kMaxPeriod, false, nullptr},
                {"rsi_period", ParamKind::Integer, 14, 1, kMaxPeriod, false, nullptr},
                {"macd_fast", ParamKind::Integer, 12, 1, kMaxPeriod, false, nullptr},
                {"macd_slow", ParamKind::Integer, 26, 2, kMaxPeriod, false, nullptr},
                {"macd_signal", ParamKind::Integer, 9, 1, kMaxPeriod, false, nullptr},
                {"bb_period", ParamKind::Integer, 20, 1, kMaxPeriod, false, nullptr},
                {"bb_num_std", ParamKind::Real, 2.0, 0.0, kHuge, true, nullptr}},
               check_overlay, overlay_lookback, compute_overlay});
  add_price_indicators(t);
  add_hlc_indicators(t);
  add_volume_indicators(t);
  return t;
}

const std::vector<IndicatorDef>& table() {
  static const std::vector<IndicatorDef> t = build_table();
  return t;
}

}  // namespace

const IndicatorDef* find_indicator(std::string_view name) {
  for (const auto& def : table()) {
    if (name == def.name) return &def;
  }
  return nullptr;
}

const std::vector<const IndicatorDef*>& all_indicators() {
  static const std::vector<const IndicatorDef*> all = [] {
    std::vector<const IndicatorDef*> v;
    for (const auto& def : table()) v.push_back(&def);
    return v;
  }();
  return all;
}

}  // namespace nse
