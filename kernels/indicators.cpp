#include "indicators.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "isa.h"
#include "params.h"

// The baseline build of the per-ISA kernels (scalar code only).
#define NSE_ISA_NAMESPACE baseline
#define NSE_SCALAR_ONLY
#include "simd_kernels.h"
#undef NSE_SCALAR_ONLY
#undef NSE_ISA_NAMESPACE

namespace nse::kernels {

// The translation units built per instruction set (simd_avx2.cpp, simd_avx512.cpp).
namespace avx2 {
int64_t rolling_moments_groups(const double* x, int64_t n, int64_t period, double* mean_out,
                               double* var_out, bool* clean);
bool macd(const double* x, int64_t n, int64_t fast, int64_t slow, int64_t signal,
          double* macd_out, double* signal_out, double* hist_out);
}  // namespace avx2
namespace avx512 {
int64_t rolling_moments_groups(const double* x, int64_t n, int64_t period, double* mean_out,
                               double* var_out, bool* clean);
bool macd(const double* x, int64_t n, int64_t fast, int64_t slow, int64_t signal,
          double* macd_out, double* signal_out, double* hist_out);
}  // namespace avx512

namespace {
// True for finite values; false for NaN and +/-inf (x - x is NaN for both). Sums and EMAs
// propagate non-finite values, so checking a running sum checks every value that entered it.
inline bool finite(double v) { return v - v == 0.0; }

template <bool kVar>
struct MomentsStripe {
  const double* x;
  double* mean_out;
  double* var_out;
  size_t p;
  double inv_p;
  int64_t b;     // start of the current block
  int64_t last;  // one past the last end point
  double* cur1;
  double* next1;
  double* cur2;
  double* next2;
  bool nan_seen = false;

  MomentsStripe(const double* x_, int64_t period, double* mean, double* var, double* scratch,
                int64_t first, int64_t last_)
      : x(x_), mean_out(mean), var_out(var), p(static_cast<size_t>(period)),
        inv_p(1.0 / static_cast<double>(period)), b(first), last(last_), cur1(scratch),
        next1(scratch + p), cur2(kVar ? scratch + 2 * p : nullptr),
        next2(kVar ? scratch + 3 * p : nullptr) {
    // Suffix sums for the first block.
    const double a = x[b];
    double t1 = 0.0, t2 = 0.0;
    cur1[p - 1] = 0.0;
    if (kVar) cur2[p - 1] = 0.0;
    for (size_t k = 0; k + 1 < p; ++k) {
      const double d = x[b - 1 - static_cast<int64_t>(k)] - a;
      t1 += d;
      cur1[p - 2 - k] = t1;
      if (kVar) {
        t2 += d * d;
        cur2[p - 2 - k] = t2;
      }
    }
    nan_seen = !finite(t1) || !finite(a);
  }

  void run() {
    while (b < last) {
      const bool with_next = b + static_cast<int64_t>(p) < last;
      const double anchor = x[b];
      const double next_anchor = with_next ? x[b + static_cast<int64_t>(p)] : 0.0;
      const double* xb = x + b;
      double* mb = mean_out + b;
      double* vb = kVar ? var_out + b : nullptr;
      double q1 = 0.0, q2 = 0.0, s1 = 0.0, s2 = 0.0;
      const auto count = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(p), last - b));
      for (size_t k = 0; k < count; ++k) {
        const double d = xb[k] - anchor;
        q1 += d;
        const double m1 = (cur1[k] + q1) * inv_p;
        mb[k] = anchor + m1;
        if (kVar) {
          q2 += d * d;
          const double var = (cur2[k] + q2) * inv_p - m1 * m1;
          vb[k] = var > 0.0 ? var : 0.0;
        }
        // The next block's suffix sums, from this block read backwards: a second dependency
        // chain in the same loop.
        if (with_next && k + 1 < p) {
          const double e = xb[p - 1 - k] - next_anchor;
          s1 += e;
          next1[p - 2 - k] = s1;
          if (kVar) {
            s2 += e * e;
            next2[p - 2 - k] = s2;
          }
        }
      }
      nan_seen |= !finite(q1);
      if (with_next) {
        nan_seen |= !finite(next_anchor);
        next1[p - 1] = 0.0;
        std::swap(cur1, next1);
        if (kVar) {
          next2[p - 1] = 0.0;
          std::swap(cur2, next2);
        }
      }
      b += static_cast<int64_t>(p);
    }
  }
};

// End points are taken in blocks [b, b + period) from b = period - 1. Every window ending in a
// block contains x[b], so x[b] is the shift for the whole block: the window is the suffix
// [t - period + 1, b) of the previous block plus the prefix [b, t], both summed as deviations
// from x[b]. Only values inside a window ever enter its sums, so a regime change (prices from
// 1e9 to 1) leaves no residue, and the shift keeps the digits at any price level. The block
// grid is fixed by `period` alone, so the value at t never depends on later bars. With AVX2 or
// AVX-512, groups of four blocks run one per SIMD lane (simd_kernels.h) with the same
// arithmetic; the scalar code finishes the rest.
template <bool kVar>
bool rolling_moments(const double* x, int64_t n, int64_t period, double* mean_out,
                     double* var_out) {
  if (period < 1 || n < period) return true;
  bool clean = true;
  int64_t first = period - 1;
  switch (active_isa()) {
    case Isa::Avx512:
      first = avx512::rolling_moments_groups(x, n, period, mean_out, var_out, &clean);
      break;
    case Isa::Avx2:
      first = avx2::rolling_moments_groups(x, n, period, mean_out, var_out, &clean);
      break;
    case Isa::Baseline:
      break;
  }
  if (first < n) {
    std::vector<double> scratch(static_cast<size_t>((kVar ? 4 : 2) * period));
    MomentsStripe<kVar> stripe(x, period, mean_out, var_out, scratch.data(), first, n);
    stripe.run();
    clean = clean && !stripe.nan_seen;
  }
  return clean;
}

}  // namespace

bool rolling_mean_var(const double* x, int64_t n, int64_t period, double* mean_out,
                      double* var_out) {
  return var_out ? rolling_moments<true>(x, n, period, mean_out, var_out)
                 : rolling_moments<false>(x, n, period, mean_out, nullptr);
}

bool sma(const double* x, int64_t n, int64_t period, double* out) {
  return rolling_mean_var(x, n, period, out, nullptr);
}

namespace {

// e[t] = e[t-1] (1 - k) + x[t] k: the same recurrence as TA-Lib's ((x - e) k + e), written
// so that the loop-carried chain is a multiply and an add (see ema_run). Results differ from
// TA-Lib's in the last bits only (about 1e-16 relative; the recurrence is contractive, so
// rounding errors do not grow).
struct EmaStep {
  double keep;  // 1 - k
  double k;
  static EmaStep for_period(int64_t period) {
    const double k = 2.0 / static_cast<double>(period + 1);
    return {1.0 - k, k};
  }
};

// Plain sequential sum, as TA-Lib seeds its EMAs (a NaN in the seed window propagates).
inline double seed_sum(const double* x, int64_t count) {
  double total = 0.0;
  for (int64_t i = 0; i < count; ++i) total += x[i];
  return total;
}

// Runs e = e keep + x[t] k over t in [begin, end), writing out[t]; returns the last e.
// Four steps at a time, so that the loop-carried chain is one multiply and one add per four
// bars: e[t+3] = e[t-1] keep^4 + (((y0 keep + y1) keep + y2) keep + y3) with y = x k, and the
// inner polynomial does not depend on e. Deterministic for a given start; within a few ulps
// of the one-step recurrence.
double ema_run(const double* x, int64_t begin, int64_t end, double e, const EmaStep& step,
               double* out) {
  const double keep = step.keep;
  const double keep2 = keep * keep;
  const double keep3 = keep2 * keep;
  const double keep4 = keep2 * keep2;
  int64_t t = begin;
  for (; t + 4 <= end; t += 4) {
    const double y0 = x[t] * step.k;
    const double y1 = x[t + 1] * step.k;
    const double y2 = x[t + 2] * step.k;
    const double y3 = x[t + 3] * step.k;
    const double p1 = y0 * keep + y1;
    const double p2 = p1 * keep + y2;
    const double p3 = p2 * keep + y3;
    out[t] = e * keep + y0;
    out[t + 1] = e * keep2 + p1;
    out[t + 2] = e * keep3 + p2;
    e = e * keep4 + p3;
    out[t + 3] = e;
  }
  // A partial group uses the same formulas as a full one, so each value depends only on the
  // bars up to it: truncating the series never changes an earlier output, not even in the
  // last bit (a crossover signal must not flip because later bars arrived).
  const int64_t left = end - t;
  if (left > 0) {
    const double y0 = x[t] * step.k;
    out[t] = e * keep + y0;
    double last = out[t];
    if (left > 1) {
      const double p1 = y0 * keep + x[t + 1] * step.k;
      out[t + 1] = e * keep2 + p1;
      last = out[t + 1];
      if (left > 2) {
        const double p2 = p1 * keep + x[t + 2] * step.k;
        out[t + 2] = e * keep3 + p2;
        last = out[t + 2];
      }
    }
    e = last;
  }
  return e;
}

}  // namespace

bool ema(const double* x, int64_t n, int64_t period, bool seed_first, double* out) {
  const EmaStep step = EmaStep::for_period(period);
  int64_t t;
  double prev;
  if (seed_first) {
    if (n < 1) return true;
    prev = x[0];
    t = 1;
    out[0] = prev;
  } else {
    if (n < period) return true;
    prev = seed_sum(x, period) / static_cast<double>(period);
    t = period;
    out[period - 1] = prev;
  }
  // A NaN or inf anywhere propagates into every later value, so the last one tells. (A false
  // alarm, an overflow of finite values, only costs a rerun that gives the same values.)
  return finite(ema_run(x, t, n, prev, step, out));
}

bool rsi(const double* x, int64_t n, int64_t period, double* out) {
  if (n <= period) return true;
  const double p = static_cast<double>(period);
  // up = max(c, 0) and down = max(-c, 0), written so that they are exact for finite c and
  // propagate NaN and inf into the averages (a branch or max() would silently turn a NaN change
  // into 0), which is how a missing value is detected at the end.
  auto up_of = [](double c) { return (c + std::fabs(c)) * 0.5; };
  auto down_of = [](double c) { return (std::fabs(c) - c) * 0.5; };
  double gain = 0.0;
  double loss = 0.0;
  for (int64_t t = 1; t <= period; ++t) {
    const double change = x[t] - x[t - 1];
    gain += up_of(change);
    loss += down_of(change);
  }
  gain /= p;
  loss /= p;
  out[period] = gain + loss != 0.0 ? 100.0 * (gain / (gain + loss)) : 0.0;
  // Wilder: avg = (avg (n - 1) + x) / n, as avg keep + x / n: each average's loop-carried
  // chain is one multiply and one add, and the two chains overlap.
  const double keep = (p - 1.0) / p;
  const double inv_p = 1.0 / p;
  for (int64_t t = period + 1; t < n; ++t) {
    const double change = x[t] - x[t - 1];
    gain = gain * keep + up_of(change) * inv_p;
    loss = loss * keep + down_of(change) * inv_p;
    const double total = gain + loss;
    out[t] = total != 0.0 ? 100.0 * (gain / total) : 0.0;
  }
  return finite(gain + loss);  // the averages carry any NaN or inf for ever
}

bool macd(const double* x, int64_t n, int64_t fast, int64_t slow, int64_t signal,
          double* macd_out, double* signal_out, double* hist_out) {
  switch (active_isa()) {
    case Isa::Avx512: return avx512::macd(x, n, fast, slow, signal, macd_out, signal_out, hist_out);
    case Isa::Avx2: return avx2::macd(x, n, fast, slow, signal, macd_out, signal_out, hist_out);
    case Isa::Baseline: break;
  }
  return baseline::macd_core(x, n, fast, slow, signal, macd_out, signal_out, hist_out);
}

bool bbands(const double* x, int64_t n, int64_t period, double num_std, double* upper,
            double* middle, double* lower) {
  if (n < period) return true;
  // The variance goes to `upper` first and is turned into the band in place.
  if (!rolling_mean_var(x, n, period, middle, upper)) return false;
  for (int64_t t = period - 1; t < n; ++t) {
    const double width = num_std * std::sqrt(upper[t]);
    upper[t] = middle[t] + width;
    lower[t] = middle[t] - width;
  }
  return true;
}

}  // namespace nse::kernels

// ---------------------------------------------------------------------------------------------
// The indicator table: names, inputs, outputs, parameters with ranges and defaults, lookbacks.

namespace nse {
namespace {

constexpr double kMaxPeriod = 1 << 30;
constexpr double kHuge = 1e300;

ParamSpec period_param(double default_value, double min_value = 1) {
  return {"period", ParamKind::Integer, default_value, min_value, kMaxPeriod, false, nullptr};
}

bool compute_sma(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return kernels::sma(in[0], n, p.integer(0), out[0]);
}
bool compute_ema(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return kernels::ema(in[0], n, p.integer(0), p.integer(1) == 1, out[0]);
}
bool compute_rsi(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return kernels::rsi(in[0], n, p.integer(0), out[0]);
}
bool compute_macd(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return kernels::macd(in[0], n, p.integer(0), p.integer(1), p.integer(2), out[0], out[1], out[2]);
}
bool compute_bbands(const double* const* in, int64_t n, double* const* out,
                    const ParamValues& p) {
  return kernels::bbands(in[0], n, p.integer(0), p.real(1), out[0], out[1], out[2]);
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
  // Stop at the first kernel that sees a NaN: the engine reruns the call over the valid rows.
  return kernels::sma(in[0], n, p.integer(0), out[0]) &&
         kernels::ema(in[0], n, p.integer(1), false, out[1]) &&
         kernels::rsi(in[0], n, p.integer(2), out[2]) &&
         kernels::macd(in[0], n, p.integer(3), p.integer(4), p.integer(5), out[3], out[4],
                       out[5]) &&
         kernels::bbands(in[0], n, p.integer(6), p.real(7), out[6], out[7], out[8]);
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
