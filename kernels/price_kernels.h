// The single-input indicators of kernels/ind_price.cpp, compiled once per instruction set (see
// price_table.h). Every kernel gets dense input, writes out[k][t] for t >= its lookback (earlier
// entries are scratch) and returns false if it read a NaN or an infinity (the engine then reruns
// it over the valid rows). Definitions, seeding and lookbacks follow TA-Lib; where TA-Lib keeps a
// running sum that loses digits (variance, regression, WMA), the sums are block-anchored instead
// (see anchored_windows below) and the docstrings in nse_polars/price_indicators.py say so.
//
// Bit-compatibility with TA-Lib: its builds fuse `(x - e) * k + e` into one multiply-add, so
// the EMA-type recurrences here use std::fma in the same places (the same bits as TA-Lib, which
// matters for TRIX, a ratio of consecutive EMA values).

#ifndef NSE_PRICE_ISA
#error "define NSE_PRICE_ISA before including price_kernels.h"
#endif

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "arrow_io.h"
#include "kernel_table.h"
#include "price_table.h"

namespace nse::price::NSE_PRICE_ISA {
namespace {

using Buffer = Scratch;  // pooled (arrow_io.h)

inline double as_double(int64_t v) { return static_cast<double>(v); }

// True for finite values; false for NaN and +/-inf.
inline bool finite(double v) { return v - v == 0.0; }

bool all_finite(const double* x, int64_t n) {
  int bad = 0;
  for (int64_t i = 0; i < n; ++i) bad |= !(x[i] - x[i] == 0.0);
  return bad == 0;
}

// Period 1 of every moving average is the input itself (as TA-Lib).
bool copy_of(const double* x, int64_t n, double* out) {
  std::copy(x, x + n, out);
  return all_finite(x, n);
}

// ------------------------------------------------------------------------------------------
// Block-anchored windows: the scheme of the core's rolling mean/variance (simd_kernels.h),
// extended by a position-weighted sum. Window end points are taken in blocks [b, b + p) from
// b = p - 1; every window ending in a block contains x[b], the block's anchor. A window's sums
// are over deviations d = x - x[b]: the part of the window before b is a suffix sum of the
// previous block, built backwards from b - 1, and the part from b on is a prefix sum, built
// forwards. So
//   - only values inside a window ever enter its sums: no running sum carries the rounding of
//     values that have left the window (prices at 1e9 before a regime change to 1 leave nothing
//     behind), and nothing is subtracted;
//   - deviations are exact when prices are within a factor 2 of the anchor and never larger
//     than the window's range, so the digits are kept at any price level (1e8 with moves of
//     1e-2);
//   - every block costs O(p), the whole pass O(N).
// With position j = i - b (|j| < p), the sums for the window ending at t = b + k are
// s1 = sum d, sj = sum j d and s2 = sum d^2 (the last two only if the map asks for them). A map
// turns them into the output: `map.out[t] = map(k, anchor, d_t, s1, sj, s2)`, with d_t the
// newest value's deviation. The block grid depends on p alone, so a value never depends on
// later bars.
//
// Where the vector registers are 32 bytes wide (the AVX2 build), four consecutive blocks run
// side by side, one per lane, each lane with exactly the scalar arithmetic (the same bits as
// the baseline build's scalar loop): the running sums of four blocks advance together instead
// of one after another. A map whose kLanes is true is called with the four lanes at once
// (its operator() a template over double and Lanes); the others once per lane.
#if defined(__GNUC__) && defined(__AVX__)
#define NSE_PRICE_LANES 1
// A GCC/Clang vector type, declared the way both compilers document it.
typedef double Lanes __attribute__((vector_size(32)));  // NOLINT(modernize-use-using)

inline Lanes splat(double v) { return Lanes{v, v, v, v}; }
// Unaligned loads and stores of four lanes (the scratch is a plain vector of doubles).
inline Lanes load4(const double* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store4(double* p, Lanes v) { std::memcpy(p, &v, sizeof v); }

// The four full blocks [b0 + i p, b0 + (i + 1) p), i = 0..3; `suffix` holds 12 p doubles.
// Returns false if a sum read a NaN or an infinity.
template <bool kWantJ, bool kWantSq, class Map>
bool anchored_group_of_four(const double* x, int64_t b0, int64_t p, const Map& map,
                            double* suffix) {
  const double* x0 = x + b0;
  const double* x1 = x0 + p;
  const double* x2 = x1 + p;
  const double* x3 = x2 + p;
  double* suf1 = suffix;  // the lanes of suffix sum m at [4 m, 4 m + 4)
  double* sufj = suf1 + 4 * p;
  double* suf2 = sufj + 4 * p;
  const Lanes a = {x0[0], x1[0], x2[0], x3[0]};
  const Lanes zero = splat(0.0);
  Lanes t1 = zero, tj = zero, t2 = zero;
  store4(suf1 + 4 * (p - 1), zero);
  store4(sufj + 4 * (p - 1), zero);
  store4(suf2 + 4 * (p - 1), zero);
  for (int64_t m = p - 2; m >= 0; --m) {
    const int64_t o = m - p + 1;  // base[m] of each lane's block
    const Lanes d = Lanes{x0[o], x1[o], x2[o], x3[o]} - a;
    t1 += d;
    store4(suf1 + 4 * m, t1);
    if (kWantJ) {
      tj += splat(as_double(m - p + 1)) * d;
      store4(sufj + 4 * m, tj);
    }
    if (kWantSq) {
      t2 += d * d;
      store4(suf2 + 4 * m, t2);
    }
  }
  Lanes q1 = zero, qj = zero, q2 = zero;
  double* out = map.out + b0;
  for (int64_t k = 0; k < p; ++k) {
    const Lanes d = Lanes{x0[k], x1[k], x2[k], x3[k]} - a;
    q1 += d;
    if (kWantJ) qj += splat(as_double(k)) * d;
    if (kWantSq) q2 += d * d;
    const Lanes s1 = load4(suf1 + 4 * k) + q1;
    const Lanes sj = kWantJ ? load4(sufj + 4 * k) + qj : zero;
    const Lanes s2 = kWantSq ? load4(suf2 + 4 * k) + q2 : zero;
    if constexpr (Map::kLanes) {
      const Lanes v = map(k, a, d, s1, sj, s2);
      for (int lane = 0; lane < 4; ++lane) out[lane * p + k] = v[lane];
    } else {
      for (int lane = 0; lane < 4; ++lane) {
        out[lane * p + k] = map(k, a[lane], d[lane], s1[lane], sj[lane], s2[lane]);
      }
    }
  }
  // Sums propagate NaN and inf: the prefix sums cover every value of the four blocks.
  const Lanes check = (q1 - q1) + (a - a);
  return check[0] == 0.0 && check[1] == 0.0 && check[2] == 0.0 && check[3] == 0.0;
}
#endif

template <bool kWantJ, bool kWantSq, class Map>
bool anchored_windows(const double* x, int64_t n, int64_t p, const Map& map) {
  if (p < 1 || n < p) return true;
  const auto P = static_cast<size_t>(p);
  std::vector<double> buf(3 * P, 0.0);
  double* suf1 = buf.data();
  double* sufj = suf1 + P;
  double* suf2 = sufj + P;
  bool clean = true;
  int64_t first = p - 1;
#if defined(NSE_PRICE_LANES)
  // The first block in the scalar loop (its suffix covers the values before it, checked
  // there), then groups of four full blocks, then the rest in the scalar loop.
  if (p > 1 && first + 5 * p <= n) {
    clean = anchored_windows<kWantJ, kWantSq>(x, first + p, p, map);
    first += p;
    std::vector<double> lanes(12 * P);
    for (; first + 4 * p <= n; first += 4 * p) {
      clean = anchored_group_of_four<kWantJ, kWantSq>(x, first, p, map, lanes.data()) && clean;
    }
  }
#endif
  for (int64_t b = first; b < n; b += p) {
    const double a = x[b];
    const double* base = x + (b - p + 1);  // base[m] = x[b - p + 1 + m], j = m - p + 1
    double t1 = 0.0, tj = 0.0, t2 = 0.0;
    suf1[P - 1] = sufj[P - 1] = suf2[P - 1] = 0.0;
    for (int64_t m = p - 2; m >= 0; --m) {
      const double d = base[m] - a;
      t1 += d;
      suf1[m] = t1;
      if (kWantJ) {
        tj += as_double(m - p + 1) * d;
        sufj[m] = tj;
      }
      if (kWantSq) {
        t2 += d * d;
        suf2[m] = t2;
      }
    }
    if (b == p - 1) clean = finite(t1) && clean;  // the values before the first block
    double q1 = 0.0, qj = 0.0, q2 = 0.0;
    const int64_t count = std::min(p, n - b);
    const double* xb = x + b;
    for (int64_t k = 0; k < count; ++k) {
      const double d = xb[k] - a;
      q1 += d;
      if (kWantJ) qj += as_double(k) * d;
      if (kWantSq) q2 += d * d;
      map.out[b + k] = map(k, a, d, suf1[k] + q1, sufj[k] + qj, suf2[k] + q2);
    }
    clean = clean && finite(q1);  // sums propagate NaN and inf
  }
  return clean;
}

// WMA with weights 1..p (newest p): sum_w w d = sj + (p - k) s1 (see anchored_windows).
struct WmaMap {
  static constexpr bool kLanes = true;
  double* out;
  int64_t p;
  double inv_w;
  template <class V>
  V operator()(int64_t k, V a, V /*d*/, V s1, V sj, V /*s2*/) const {
    return a + (sj + as_double(p - k) * s1) * inv_w;
  }
};

bool wma_into(const double* x, int64_t n, int64_t p, double* out) {
  if (p == 1) return copy_of(x, n, out);
  const double inv_w = 1.0 / (as_double(p) * as_double(p + 1) * 0.5);
  return anchored_windows<true, false>(x, n, p, WmaMap{out, p, inv_w});
}

// ------------------------------------------------------------------------------------------
// EMA-type recurrences, seeded as TA-Lib seeds them.

// TA-Lib's EMA step, ((x - e) k) + e, fused as its builds fuse it.
inline double ema_step(double x, double e, double k) { return std::fma(x - e, k, e); }

struct EmaStep {
  double k;
  double operator()(double x, double e) const { return ema_step(x, e, k); }
};

// T3's own step, k x + (1 - k) e (TA-Lib's T3 source), with the fused form of its builds.
struct T3Step {
  double k;
  double keep;
  double operator()(double x, double e) const { return std::fma(keep, e, k * x); }
};

// S EMAs in cascade, each the EMA of the one before, seeded as TA-Lib seeds an EMA of an EMA
// (DEMA, TEMA, TRIX, T3): stage s starts at row (s + 1)(p - 1) with the mean of the first p
// values of stage s - 1 (stage 0: of x), summed in order. Calls emit(t, e) for every row
// t >= S (p - 1), as emit(t, e0, .., e5) with the stages at t (unused ones 0). Needs p >= 2.
// S <= 6.
template <int S, class Step, class Emit>
bool ema_cascade(const double* x, int64_t n, int64_t p, Step step, Emit&& emit) {
  const int64_t lb = S * (p - 1);
  if (n <= lb) return true;
  const double dp = as_double(p);
  double e[S] = {};
  double sum = 0.0;
  int seeded = 0;
  for (int64_t t = 0; t <= lb; ++t) {
    double v = x[t];
    for (int s = 0; s < seeded; ++s) {
      e[s] = step(v, e[s]);
      v = e[s];
    }
    sum += v;
    if (t == static_cast<int64_t>(seeded + 1) * (p - 1)) {
      e[seeded] = sum / dp;
      sum = e[seeded];
      ++seeded;
    }
  }
  // The steady state in named locals: the stages must live in registers (an array here stays
  // in memory, and a store-to-load round trip on every step doubled T3's time).
  double e0 = e[0], e1 = S > 1 ? e[1] : 0.0, e2 = S > 2 ? e[2] : 0.0;
  double e3 = S > 3 ? e[3] : 0.0, e4 = S > 4 ? e[4] : 0.0, e5 = S > 5 ? e[5] : 0.0;
  emit(lb, e0, e1, e2, e3, e4, e5);
  for (int64_t t = lb + 1; t < n; ++t) {
    e0 = step(x[t], e0);
    if (S > 1) e1 = step(e0, e1);
    if (S > 2) e2 = step(e1, e2);
    if (S > 3) e3 = step(e2, e3);
    if (S > 4) e4 = step(e3, e4);
    if (S > 5) e5 = step(e4, e5);
    emit(t, e0, e1, e2, e3, e4, e5);
  }
  return finite(e0 + e1 + e2 + e3 + e4 + e5);
}

bool ema_into(const double* x, int64_t n, int64_t p, double* out) {
  if (p == 1) return copy_of(x, n, out);
  const EmaStep step{2.0 / as_double(p + 1)};
  return ema_cascade<1>(x, n, p, step, [&](int64_t t, double e0, double, double, double, double, double) { out[t] = e0; });
}

bool dema_into(const double* x, int64_t n, int64_t p, double* out) {
  if (p == 1) return copy_of(x, n, out);
  const EmaStep step{2.0 / as_double(p + 1)};
  return ema_cascade<2>(x, n, p, step,
                        [&](int64_t t, double e0, double e1, double, double, double, double) {
                          out[t] = 2.0 * e0 - e1;
                        });
}

bool tema_into(const double* x, int64_t n, int64_t p, double* out) {
  if (p == 1) return copy_of(x, n, out);
  const EmaStep step{2.0 / as_double(p + 1)};
  return ema_cascade<3>(x, n, p, step, [&](int64_t t, double e0, double e1, double e2, double, double, double) {
    out[t] = e2 + std::fma(3.0, e0, -(3.0 * e1));
  });
}

bool t3_into(const double* x, int64_t n, int64_t p, double v, double* out) {
  if (p == 1) return copy_of(x, n, out);
  const double k = 2.0 / (as_double(p) + 1.0);
  const T3Step step{k, 1.0 - k};
  // TA-Lib's coefficients, in its order of operations.
  const double v2 = v * v;
  const double c1 = 0.0 - v2 * v;
  const double c2 = 3.0 * (v2 - c1);
  const double c3 = (0.0 - 6.0) * v2 - 3.0 * (v - c1);
  const double c4 = 1.0 + 3.0 * v - c1 + 3.0 * v2;
  return ema_cascade<6>(x, n, p, step, [&](int64_t t, double, double, double e2, double e3, double e4, double e5) {
    out[t] = std::fma(c4, e2, std::fma(c3, e3, std::fma(c2, e4, c1 * e5)));
  });
}

// Kaufman's adaptive moving average, TA-Lib's algorithm step for step (fast 2, slow 30): the
// first value, at row p, is KAMA = x[p-1] + sc (x[p] - x[p-1]); the efficiency ratio is
// |x[t] - x[t-p]| / sum of |1-bar changes| over the same span, 1 when that sum is below TA-Lib's
// 1e-8 or not above the (signed) change, sc = (er (2/3 - 2/31) + 2/31)^2. The sum of changes
// is TA-Lib's running sum (add the new change, subtract the one that left).
bool kama_into(const double* x, int64_t n, int64_t p, double* out) {
  if (p == 1) return copy_of(x, n, out);
  if (n <= p) return true;
  const double const_max = 2.0 / (30.0 + 1.0);
  const double const_diff = 2.0 / (2.0 + 1.0) - const_max;
  auto smoothing = [&](double period_roc, double sum_roc) {
    double er = 1.0;
    if (!(sum_roc <= period_roc || (sum_roc > -1e-8 && sum_roc < 1e-8))) {
      er = std::fabs(period_roc / sum_roc);
    }
    const double sc = std::fma(er, const_diff, const_max);
    return sc * sc;
  };
  double sum_roc = 0.0;
  for (int64_t i = 0; i < p; ++i) sum_roc += std::fabs(x[i] - x[i + 1]);
  double kama = x[p - 1];
  kama = std::fma(x[p] - kama, smoothing(x[p] - x[0], sum_roc), kama);
  out[p] = kama;
  for (int64_t t = p + 1; t < n; ++t) {
    sum_roc -= std::fabs(x[t - p - 1] - x[t - p]);
    sum_roc += std::fabs(x[t] - x[t - 1]);
    kama = std::fma(x[t] - kama, smoothing(x[t] - x[t - p], sum_roc), kama);
    out[t] = kama;
  }
  return finite(kama) && finite(sum_roc);
}

bool sma_into(const double* x, int64_t n, int64_t p, double* out) {
  return kernels::active().rolling(x, n, p, kernels::Moments::Mean, 0.0, out, nullptr, nullptr);
}

// TA-Lib's triangular weights (1, 2, .., 2, 1) are an SMA of an SMA: of (p+1)/2 and (p+1)/2
// values for odd p, of p/2 and p/2 + 1 values for even p. Both are the core's anchored rolling
// mean (TA-Lib keeps running sums).
bool trima_into(const double* x, int64_t n, int64_t p, double* out) {
  if (p == 1) return copy_of(x, n, out);
  const int64_t first = p % 2 == 1 ? (p + 1) / 2 : p / 2;
  const int64_t second = p + 1 - first;
  if (n < p) return true;
  Buffer inner = scratch(n);
  const bool clean = sma_into(x, n, first, inner.get());
  const int64_t off = first - 1;
  return sma_into(inner.get() + off, n - off, second, out + off) && clean;
}

// MA(type) writes out[t] for t >= ma_lookback(type, p) (TA-Lib's TA_MA, T3 with vfactor 0.7).
bool ma_into(int type, const double* x, int64_t n, int64_t p, double* out) {
  switch (type) {
    case kEma: return ema_into(x, n, p, out);
    case kWmaType: return wma_into(x, n, p, out);
    case kDemaType: return dema_into(x, n, p, out);
    case kTemaType: return tema_into(x, n, p, out);
    case kTrimaType: return trima_into(x, n, p, out);
    case kKamaType: return kama_into(x, n, p, out);
    case kT3Type: return t3_into(x, n, p, kT3DefaultVFactor, out);
    default: return sma_into(x, n, p, out);
  }
}

// ------------------------------------------------------------------------------------------
// Rolling maximum and minimum in O(N) (van Herk / Gil-Werman): with the block grid of
// anchored_windows, a window's max is the max of a suffix max of the previous block and a
// prefix max of its own block (about three comparisons per row, whatever p). Calls
// f(t, max, min) for t >= p - 1. No arithmetic: the results are input values, exactly.
template <class F>
bool rolling_max_min(const double* x, int64_t n, int64_t p, F&& f) {
  if (p < 1 || n < p) return true;
  const auto P = static_cast<size_t>(p);
  std::vector<double> buf(2 * P, 0.0);
  double* suf_hi = buf.data();
  double* suf_lo = suf_hi + P;
  for (int64_t b = p - 1; b < n; b += p) {
    const double a = x[b];
    const double* base = x + (b - p + 1);
    double hi = a, lo = a;  // the anchor is in every window of the block: a neutral start
    suf_hi[P - 1] = suf_lo[P - 1] = a;
    for (int64_t m = p - 2; m >= 0; --m) {
      hi = base[m] > hi ? base[m] : hi;
      lo = base[m] < lo ? base[m] : lo;
      suf_hi[m] = hi;
      suf_lo[m] = lo;
    }
    double qhi = a, qlo = a;
    const int64_t count = std::min(p, n - b);
    const double* xb = x + b;
    for (int64_t k = 0; k < count; ++k) {
      qhi = xb[k] > qhi ? xb[k] : qhi;
      qlo = xb[k] < qlo ? xb[k] : qlo;
      f(b + k, suf_hi[k] > qhi ? suf_hi[k] : qhi, suf_lo[k] < qlo ? suf_lo[k] : qlo);
    }
  }
  return all_finite(x, n);  // comparisons drop NaN: check the input itself
}

bool midpoint_into(const double* x, int64_t n, int64_t p, double* out) {
  return rolling_max_min(x, n, p, [&](int64_t t, double hi, double lo) {
    out[t] = (hi + lo) / 2.0;
  });
}

// ------------------------------------------------------------------------------------------
// Wilder's RSI and CMO, TA-Lib's order of operations: the first averages are the plain means of
// the first p changes; then avg = ((avg (p - 1)) + change) / p. The gain and loss of a change c
// are (c + |c|) / 2 and (|c| - c) / 2: exact for finite c, and with the multiply-add fused as
// TA-Lib's builds fuse it, close to TA-Lib's bits (fma(a, p - 1, 0) is a (p - 1)); NaN and inf
// propagate into the averages, which is how a missing value shows.
// `value(gain, loss)` turns the averages into the output; writes out[t] for t >= p.
template <class Value>
bool wilder(const double* x, int64_t n, int64_t p, double* out, Value value) {
  if (n <= p) return true;
  const double dp = as_double(p);
  const double keep = as_double(p - 1);
  double gain = 0.0, loss = 0.0;
  for (int64_t t = 1; t <= p; ++t) {
    const double c = x[t] - x[t - 1];
    gain += (c + std::fabs(c)) * 0.5;
    loss += (std::fabs(c) - c) * 0.5;
  }
  gain /= dp;
  loss /= dp;
  out[p] = value(gain, loss);
  for (int64_t t = p + 1; t < n; ++t) {
    const double c = x[t] - x[t - 1];
    gain = std::fma(gain, keep, (c + std::fabs(c)) * 0.5) / dp;
    loss = std::fma(loss, keep, (std::fabs(c) - c) * 0.5) / dp;
    out[t] = value(gain, loss);
  }
  return finite(gain + loss);
}

// As TA-Lib: 0 when gain + loss is below its epsilon 1e-8 (TA_IS_ZERO). The core RSI treats only
// an exact 0 so; here TA-Lib's rule is kept because STOCHRSI turns a tiny RSI difference over a
// near-flat stretch into a 0-or-100 difference of fastk.
inline bool ta_is_zero(double v) { return v > -1e-8 && v < 1e-8; }
inline double rsi_value(double gain, double loss) {
  const double total = gain + loss;
  return !ta_is_zero(total) ? 100.0 * (gain / total) : 0.0;
}
inline double cmo_value(double gain, double loss) {
  const double total = gain + loss;
  return !ta_is_zero(total) ? 100.0 * ((gain - loss) / total) : 0.0;
}

// ==========================================================================================
// The ComputeFn entries.

using In = const double* const*;
using Out = double* const*;

bool compute_wma(In in, int64_t n, Out out, const ParamValues& p) {
  return wma_into(in[0], n, p.integer(0), out[0]);
}
bool compute_dema(In in, int64_t n, Out out, const ParamValues& p) {
  return dema_into(in[0], n, p.integer(0), out[0]);
}
bool compute_tema(In in, int64_t n, Out out, const ParamValues& p) {
  return tema_into(in[0], n, p.integer(0), out[0]);
}
bool compute_trima(In in, int64_t n, Out out, const ParamValues& p) {
  return trima_into(in[0], n, p.integer(0), out[0]);
}
bool compute_kama(In in, int64_t n, Out out, const ParamValues& p) {
  return kama_into(in[0], n, p.integer(0), out[0]);
}
bool compute_t3(In in, int64_t n, Out out, const ParamValues& p) {
  return t3_into(in[0], n, p.integer(0), p.real(1), out[0]);
}

// Population variance from the core's anchored rolling kernel. Its mean output is not needed:
// it is written to the same buffer just before the variance of the same row overwrites it
// (the kernel writes the mean of a row, then its variance, and never reads either back).
bool var_into(const double* x, int64_t n, int64_t p, double* out) {
  return kernels::active().rolling(x, n, p, kernels::Moments::MeanVar, 0.0, out, out, nullptr);
}
bool compute_var(In in, int64_t n, Out out, const ParamValues& p) {
  return var_into(in[0], n, p.integer(0), out[0]);
}
bool compute_stddev(In in, int64_t n, Out out, const ParamValues& p) {
  const int64_t period = p.integer(0);
  const double nbdev = p.real(1);
  const bool clean = var_into(in[0], n, period, out[0]);
  double* o = out[0];
  for (int64_t t = period - 1; t < n; ++t) o[t] = std::sqrt(o[t]) * nbdev;
  return clean;
}

// Changes over p bars. ROC and ROCP are computed as (x - prev) / prev, which keeps the digits
// that TA-Lib's ((x / prev) - 1) loses when the change is small against the price (at 1e8 with
// moves of 1e-2 it keeps 6 digits); the two agree to about 1e-14 of the price ratio. Division
// by a zero price gives 0, as in TA-Lib.
// A divisor that is never 0, so that the division can run unconditionally (and vectorised)
// with the zero case selected afterwards.
inline double safe(double d) { return d != 0.0 ? d : 1.0; }
// The finite check rides along the loop that reads x[t] anyway (a separate pass would read the
// input twice); the first p values are checked on their own.
template <class F>
bool change_into(const double* x, int64_t n, int64_t p, double* out, F f) {
  int bad = 0;
  for (int64_t t = p; t < n; ++t) {
    out[t] = f(x[t], x[t - p]);
    bad |= !(x[t] - x[t] == 0.0);
  }
  return bad == 0 && all_finite(x, std::min(p, n));
}
bool compute_roc(In in, int64_t n, Out out, const ParamValues& p) {
  return change_into(in[0], n, p.integer(0), out[0], [](double x, double prev) {
    return prev != 0.0 ? ((x - prev) / safe(prev)) * 100.0 : 0.0;
  });
}
bool compute_rocp(In in, int64_t n, Out out, const ParamValues& p) {
  return change_into(in[0], n, p.integer(0), out[0], [](double x, double prev) {
    return prev != 0.0 ? (x - prev) / safe(prev) : 0.0;
  });
}
bool compute_rocr(In in, int64_t n, Out out, const ParamValues& p) {
  return change_into(in[0], n, p.integer(0), out[0],
                     [](double x, double prev) { return prev != 0.0 ? x / safe(prev) : 0.0; });
}
bool compute_rocr100(In in, int64_t n, Out out, const ParamValues& p) {
  return change_into(in[0], n, p.integer(0), out[0], [](double x, double prev) {
    return prev != 0.0 ? (x / safe(prev)) * 100.0 : 0.0;
  });
}
bool compute_mom(In in, int64_t n, Out out, const ParamValues& p) {
  return change_into(in[0], n, p.integer(0), out[0],
                     [](double x, double prev) { return x - prev; });
}

bool compute_cmo(In in, int64_t n, Out out, const ParamValues& p) {
  return wilder(in[0], n, p.integer(0), out[0], cmo_value);
}

// APO / PPO as TA-Lib's TA_INT_PO: both MAs end on the same rows; the fast one is computed
// from row lookback(slow) - lookback(fast) on, as TA-Lib's TA_MA starts it there (this is where
// an EMA-type fast MA takes its seed, as in MACD).
template <bool kPercent>
bool price_oscillator(In in, int64_t n, Out out, const ParamValues& p) {
  const int64_t fast = p.integer(0), slow = p.integer(1);
  const int type = static_cast<int>(p.integer(2));
  const int64_t lb_slow = ma_lookback(type, slow);
  if (n <= lb_slow) return true;
  const int64_t off = 0;
  double* o = out[0];
  Buffer fast_ma = scratch(n - off);
  bool clean = ma_into(type, in[0], n, slow, o);
  clean = ma_into(type, in[0] + off, n - off, fast, fast_ma.get()) && clean;
  const double* f = fast_ma.get() - off;  // f[t] is the fast MA at row t
  for (int64_t t = lb_slow; t < n; ++t) {
    if (kPercent) {
      o[t] = o[t] != 0.0 ? ((f[t] - o[t]) / o[t]) * 100.0 : 0.0;
    } else {
      o[t] = f[t] - o[t];
    }
  }
  return clean;
}

// TRIX: the 1-bar rate of change, in percent, of a triple EMA (TA-Lib's seeding); lookback
// 3 (p - 1) + 1. As ROC: 100 (e - prev) / prev, 0 when prev is 0.
bool compute_trix(In in, int64_t n, Out out, const ParamValues& p) {
  const int64_t period = p.integer(0);
  const double* x = in[0];
  double* o = out[0];
  auto roc1 = [](double e, double prev) { return prev != 0.0 ? ((e - prev) / prev) * 100.0 : 0.0; };
  if (period == 1) {
    for (int64_t t = 1; t < n; ++t) o[t] = roc1(x[t], x[t - 1]);
    return all_finite(x, n);
  }
  const EmaStep step{2.0 / as_double(period + 1)};
  const int64_t lb = 3 * (period - 1);
  double prev = 0.0;
  return ema_cascade<3>(x, n, period, step, [&](int64_t t, double, double, double e2, double, double, double) {
    if (t > lb) o[t] = roc1(e2, prev);
    prev = e2;
  });
}

bool compute_midpoint(In in, int64_t n, Out out, const ParamValues& p) {
  return midpoint_into(in[0], n, p.integer(0), out[0]);
}

// Least-squares line through the window, x axis u = 0 (oldest) .. p - 1 (newest), as TA-Lib:
// slope m = sum (u - mean u) (y - mean y) / sum (u - mean u)^2, with sum (u - mean u)^2 =
// p (p^2 - 1) / 12 and, with the anchored sums (positions j = u + k - p + 1, centre
// c = k - (p - 1) / 2), sum (u - mean u) y = sj - c s1. The line at u is
// mean y + m (u - (p - 1) / 2): LINEARREG at u = p - 1, TSF at u = p, the intercept at u = 0.
// TA-Lib sums raw prices per window (O(N p), and the slope loses digits at high prices); here
// it is O(N) and within 1e-9 of an exact computation at any level.
enum class Line { Value, Slope, Intercept, Angle, Forecast };
template <Line kLine>
struct LineMap {
  static constexpr bool kLanes = kLine != Line::Angle;  // atan: one lane at a time
  double* out;
  double half;     // (p - 1) / 2
  double inv_suu;  // 1 / sum (u - mean u)^2
  double inv_p;
  template <class V>
  V operator()(int64_t k, V a, V /*d*/, V s1, V sj, V /*s2*/) const {
    const V m = (sj - (as_double(k) - half) * s1) * inv_suu;
    const V mean = s1 * inv_p;
    if constexpr (kLine == Line::Slope) return m;
    if constexpr (kLine == Line::Angle) return std::atan(m) * (180.0 / 3.14159265358979323846);
    if constexpr (kLine == Line::Value) return a + (mean + m * half);
    if constexpr (kLine == Line::Intercept) return a + (mean - m * half);
    if constexpr (kLine == Line::Forecast) return a + (mean + m * (half + 1.0));
  }
};

template <Line kLine>
bool linreg(In in, int64_t n, Out out, const ParamValues& p) {
  const int64_t period = p.integer(0);
  const double dp = as_double(period);
  return anchored_windows<true, false>(
      in[0], n, period,
      LineMap<kLine>{out[0], (dp - 1.0) * 0.5, 12.0 / (dp * (dp * dp - 1.0)), 1.0 / dp});
}

// STOCHRSI as TA-Lib: RSI(period), then the fast stochastic of the RSI series: fastk =
// (rsi - lowest) / ((highest - lowest) / 100) over fastk_period RSI values (0 when
// highest == lowest), fastd = MA(ma_type, fastd_period) of fastk, seeded from the first fastk
// value. Outputs start at period + fastk_period - 1 + lookback(ma_type, fastd_period).
bool compute_stochrsi(In in, int64_t n, Out out, const ParamValues& p) {
  const int64_t period = p.integer(0), fastk = p.integer(1), fastd = p.integer(2);
  const int type = static_cast<int>(p.integer(3));
  const int64_t k_start = period + fastk - 1;
  if (n <= k_start) return true;
  Buffer rsi = scratch(n);
  bool clean = wilder(in[0], n, period, rsi.get(), rsi_value);
  double* k_out = out[0];
  // rsi_value never gives NaN from finite averages: the window scan reads defined values.
  rolling_max_min(rsi.get() + period, n - period, fastk, [&](int64_t t, double hi, double lo) {
    const double r = rsi[static_cast<size_t>(t + period)];
    const double diff = (hi - lo) / 100.0;
    k_out[t + period] = diff != 0.0 ? (r - lo) / diff : 0.0;
  });
  clean = ma_into(type, k_out + k_start, n - k_start, fastd, out[1] + k_start) && clean;
  return clean;
}

// Hull moving average: WMA(2 WMA(x, floor(p/2)) - WMA(x, p), floor(sqrt(p))). The difference
// starts at row p - 1, so the lookback is p - 1 + floor(sqrt(p)) - 1.
bool compute_hma(In in, int64_t n, Out out, const ParamValues& p) {
  const int64_t period = p.integer(0);
  const int64_t half = period / 2, root = isqrt(period);
  const int64_t start = period - 1;
  if (n <= start) return true;
  Buffer a = scratch(n), b = scratch(n);
  bool clean = wma_into(in[0], n, half, a.get());
  clean = wma_into(in[0], n, period, b.get()) && clean;
  double* d = a.get();
  for (int64_t t = start; t < n; ++t) d[t] = 2.0 * d[t] - b[static_cast<size_t>(t)];
  return wma_into(d + start, n - start, root, out[0] + start) && clean;
}

// Rolling z-score: (x - mean) / std with the population std of the same window, 0 when the std
// is 0. With the anchored sums: x - mean = d - s1 / p (d = x - anchor, exact), var =
// s2 / p - (s1 / p)^2 (a negative rounding residue is 0).
struct ZscoreMap {
  static constexpr bool kLanes = false;  // sqrt: one lane at a time
  double* out;
  double inv_p;
  double operator()(int64_t, double, double d, double s1, double, double s2) const {
    const double m1 = s1 * inv_p;
    const double var = s2 * inv_p - m1 * m1;
    return var > 0.0 ? (d - m1) / std::sqrt(var) : 0.0;
  }
};

bool compute_zscore(In in, int64_t n, Out out, const ParamValues& p) {
  const int64_t period = p.integer(0);
  return anchored_windows<false, true>(in[0], n, period,
                                       ZscoreMap{out[0], 1.0 / as_double(period)});
}

}  // namespace

const Table& table() {
  static const Table kTable = [] {
    Table t{};
    t[kWma] = compute_wma;
    t[kDema] = compute_dema;
    t[kTema] = compute_tema;
    t[kTrima] = compute_trima;
    t[kKama] = compute_kama;
    t[kT3] = compute_t3;
    t[kStddev] = compute_stddev;
    t[kVar] = compute_var;
    t[kRoc] = compute_roc;
    t[kRocp] = compute_rocp;
    t[kRocr] = compute_rocr;
    t[kRocr100] = compute_rocr100;
    t[kMom] = compute_mom;
    t[kCmo] = compute_cmo;
    t[kApo] = price_oscillator<false>;
    t[kPpo] = price_oscillator<true>;
    t[kTrix] = compute_trix;
    t[kMidpoint] = compute_midpoint;
    t[kLinearreg] = linreg<Line::Value>;
    t[kLinearregSlope] = linreg<Line::Slope>;
    t[kLinearregIntercept] = linreg<Line::Intercept>;
    t[kLinearregAngle] = linreg<Line::Angle>;
    t[kTsf] = linreg<Line::Forecast>;
    t[kStochrsi] = compute_stochrsi;
    t[kHma] = compute_hma;
    t[kZscore] = compute_zscore;
    return t;
  }();
  return kTable;
}

}  // namespace nse::price::NSE_PRICE_ISA
