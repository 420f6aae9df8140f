// Single-input indicators beyond the core five (see registry.h): moving averages, oscillators,
// rolling statistics and regressions of one column. The kernels are in price_kernels.h (one
// table per instruction set, price_table.h); this file holds the parameter tables, lookbacks
// and the dispatch. Valid ranges are TA-Lib's (its minimum periods), except that fast < slow
// is required where TA-Lib silently swaps or accepts equal periods (as the core MACD does).

#include <cmath>
#include <string>
#include <vector>

#include "isa.h"
#include "price_table.h"
#include "registry.h"

namespace nse {
namespace price {

int64_t ma_lookback(int type, int64_t period) {
  if (period <= 1) return 0;
  switch (type) {
    case kDemaType: return 2 * (period - 1);
    case kTemaType: return 3 * (period - 1);
    case kKamaType: return period;
    case kT3Type: return 6 * (period - 1);
    default: return period - 1;
  }
}

int64_t isqrt(int64_t n) {
  if (n <= 0) return 0;
  auto r = static_cast<int64_t>(std::sqrt(static_cast<double>(n)));
  while (r * r > n) --r;
  while ((r + 1) * (r + 1) <= n) ++r;
  return r;
}

namespace {

const Table& active() {
  static const Table& chosen = []() -> const Table& {
#if defined(NSE_HAVE_X86_DISPATCH)
    if (active_isa() != Isa::Baseline) return avx2::table();
#endif
    return baseline::table();
  }();
  return chosen;
}

template <Fn kFn>
bool dispatch(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return active()[kFn](in, n, out, p);
}

}  // namespace
}  // namespace price

namespace {

using price::ma_lookback;

constexpr double kMaxPeriod = 1 << 30;
constexpr double kHuge = 1e300;

ParamSpec period_param(double default_value, double min_value) {
  return {"period", ParamKind::Integer, default_value, min_value, kMaxPeriod, false, nullptr};
}
ParamSpec int_param(const char* name, double default_value, double min_value) {
  return {name, ParamKind::Integer, default_value, min_value, kMaxPeriod, false, nullptr};
}
ParamSpec ma_type_param() {
  return {"ma_type", ParamKind::Choice, 0, 0, 7, false, price::kMaChoices};
}

int64_t lb_period_minus_1(const ParamValues& p, int) { return p.integer(0) - 1; }
int64_t lb_period(const ParamValues& p, int) { return p.integer(0); }

Status check_fast_slow(const ParamValues& p) {
  if (p.integer(0) >= p.integer(1)) {
    return Status::Error("`fast` must be smaller than `slow`, got fast=" +
                         std::to_string(p.integer(0)) + ", slow=" +
                         std::to_string(p.integer(1)));
  }
  return Status::Ok();
}

// One single-output indicator of one period parameter.
IndicatorDef simple(const char* name, double default_period, double min_period,
                    int64_t (*lookback)(const ParamValues&, int), ComputeFn fn) {
  return {name, 1, {"close"}, 1, {name}, 1, {period_param(default_period, min_period)}, nullptr,
          lookback, fn};
}

}  // namespace

void add_price_indicators(std::vector<IndicatorDef>& t) {
  using namespace price;
  // Moving averages (TA-Lib default periods; period 1 is the input itself, as in TA-Lib).
  t.push_back(simple("wma", 30, 1, lb_period_minus_1, dispatch<kWma>));
  t.push_back(simple("dema", 30, 1,
                     [](const ParamValues& p, int) { return ma_lookback(kDemaType, p.integer(0)); },
                     dispatch<kDema>));
  t.push_back(simple("tema", 30, 1,
                     [](const ParamValues& p, int) { return ma_lookback(kTemaType, p.integer(0)); },
                     dispatch<kTema>));
  t.push_back(simple("trima", 30, 1, lb_period_minus_1, dispatch<kTrima>));
  t.push_back(simple("kama", 30, 1,
                     [](const ParamValues& p, int) { return ma_lookback(kKamaType, p.integer(0)); },
                     dispatch<kKama>));
  t.push_back({"t3", 1, {"close"}, 1, {"t3"}, 2,
               {period_param(5, 1), {"vfactor", ParamKind::Real, 0.7, 0.0, 1.0, false, nullptr}},
               nullptr,
               [](const ParamValues& p, int) { return ma_lookback(kT3Type, p.integer(0)); },
               dispatch<kT3>});
  t.push_back({"hma", 1, {"close"}, 1, {"hma"}, 1, {period_param(20, 2)}, nullptr,
               [](const ParamValues& p, int) { return p.integer(0) - 1 + isqrt(p.integer(0)) - 1; },
               dispatch<kHma>});
  // Rolling statistics.
  t.push_back({"stddev", 1, {"close"}, 1, {"stddev"}, 2,
               {period_param(5, 2), {"nbdev", ParamKind::Real, 1.0, -kHuge, kHuge, false, nullptr}},
               nullptr, lb_period_minus_1, dispatch<kStddev>});
  t.push_back({"var", 1, {"close"}, 1, {"var"}, 2,
               {period_param(5, 1), {"nbdev", ParamKind::Real, 1.0, -kHuge, kHuge, false, nullptr}},
               nullptr, lb_period_minus_1, dispatch<kVar>});
  t.push_back(simple("zscore", 20, 2, lb_period_minus_1, dispatch<kZscore>));
  t.push_back(simple("midpoint", 14, 2, lb_period_minus_1, dispatch<kMidpoint>));
  t.push_back(simple("linearreg", 14, 2, lb_period_minus_1, dispatch<kLinearreg>));
  t.push_back(simple("linearreg_slope", 14, 2, lb_period_minus_1, dispatch<kLinearregSlope>));
  t.push_back(
      simple("linearreg_intercept", 14, 2, lb_period_minus_1, dispatch<kLinearregIntercept>));
  t.push_back(simple("linearreg_angle", 14, 2, lb_period_minus_1, dispatch<kLinearregAngle>));
  t.push_back(simple("tsf", 14, 2, lb_period_minus_1, dispatch<kTsf>));
  // Momentum and rates of change.
  t.push_back(simple("roc", 10, 1, lb_period, dispatch<kRoc>));
  t.push_back(simple("rocp", 10, 1, lb_period, dispatch<kRocp>));
  t.push_back(simple("rocr", 10, 1, lb_period, dispatch<kRocr>));
  t.push_back(simple("rocr100", 10, 1, lb_period, dispatch<kRocr100>));
  t.push_back(simple("mom", 10, 1, lb_period, dispatch<kMom>));
  t.push_back(simple("cmo", 14, 2, lb_period, dispatch<kCmo>));
  t.push_back(simple("trix", 30, 1,
                     [](const ParamValues& p, int) { return 3 * (p.integer(0) - 1) + 1; },
                     dispatch<kTrix>));
  for (const char* name : {"apo", "ppo"}) {
    t.push_back({name, 1, {"close"}, 1, {name}, 3,
                 {int_param("fast", 12, 2), int_param("slow", 26, 2), ma_type_param()},
                 check_fast_slow,
                 [](const ParamValues& p, int) {
                   return ma_lookback(static_cast<int>(p.integer(2)), p.integer(1));
                 },
                 name[0] == 'a' ? dispatch<kApo> : dispatch<kPpo>});
  }
  t.push_back({"stochrsi", 1, {"close"}, 2, {"fastk", "fastd"}, 4,
               {period_param(14, 2), int_param("fastk_period", 5, 1),
                int_param("fastd_period", 3, 1), ma_type_param()},
               nullptr,
               [](const ParamValues& p, int) {
                 return p.integer(0) + p.integer(1) - 1 +
                        ma_lookback(static_cast<int>(p.integer(3)), p.integer(2));
               },
               dispatch<kStochrsi>});
}

}  // namespace nse
