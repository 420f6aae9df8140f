// Price-range indicators over high, low and close (see registry.h): true range and the Wilder
// family (ATR, NATR, +DM/-DM, +DI/-DI, DX, ADX, ADXR), the rolling-extreme oscillators
// (STOCH, STOCHF, WILLR, AROON, AROONOSC, MIDPRICE, Donchian), CCI, ULTOSC, SAR, SuperTrend and
// Keltner channels.
//
// Definitions, seeding and lookbacks follow TA-Lib 0.6+ (the C library's own order of
// operations wherever it decides a rounding); the Python docstrings
// (nse_polars/hlc_indicators.py) state each formula and every degenerate case. Every kernel is
// O(N): rolling extremes by the van Herk / Gil-Werman block scheme, rolling sums from block
// prefix and suffix sums (only values inside a window ever enter its sum), CCI's mean
// deviation in O(N * period) (see cci below for why).

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "arrow_io.h"
#include "isa.h"
#include "registry.h"

// Loops compiled twice (portable, and for an x86-64 extension chosen at run time) are written
// once, as an always-inlined function.
#if defined(__GNUC__)
#define NSE_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NSE_ALWAYS_INLINE inline
#endif

namespace nse {
namespace {

constexpr double kMaxPeriod = 1 << 30;
constexpr double kHuge = 1e300;

// TA-Lib's TA_IS_ZERO (TA_EPSILON = 1e-14 since TA-Lib 0.6): the guard of every division by a
// smoothed true range or a sum of directional indicators.
inline bool ta_is_zero(double v) { return (-1e-14 < v) & (v < 1e-14); }


// Every kernel must report a NaN or +/-inf among the inputs it was given. The check is folded
// into each kernel's first pass over its inputs (a separate pass would read them twice, and
// these kernels are bound by memory). A double is NaN or +/-inf exactly when its 11 exponent
// bits are all set; adding one to the exponent field then carries into the sign bit, which no
// finite value reaches: integer operations, so a loop that has them still vectorizes.
inline uint64_t nonfinite(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return (bits & 0x7FF0000000000000ULL) + 0x0010000000000000ULL;
}
inline bool all_finite(uint64_t acc) { return (acc >> 63) == 0; }

// TA-Lib's true range: h - l, replaced by |h - c[-1]| and then |l - c[-1]| when larger.
inline double true_range(double h, double l, double prev_close) {
  double range = h - l;
  const double up = std::fabs(h - prev_close);
  if (up > range) range = up;
  const double down = std::fabs(l - prev_close);
  if (down > range) range = down;
  return range;
}

// ------------------------------------------------------------------------------------------
// Rolling sums and extremes over windows of `period` values ending at t = period - 1 .. n - 1.
//
// Window ends are taken in blocks [b, b + period) from b = period - 1. A window ending at
// t = b + k is the suffix [t - period + 1, b) of the previous stretch plus the prefix [b, t]:
// the suffix is built backwards once per block, the prefix forwards, so every window costs O(1)
// and only its own values enter its sum (a regime change leaves no residue).

// fn(t, anchor, sum): sum of (x[j] - anchor) over the window ending at t, where anchor = x[b]
// when `shift` (the digits survive any price level) and 0 otherwise.
template <class Fn>
void window_sums(const double* x, int64_t n, int64_t period, bool shift, Fn&& fn) {
  if (period < 1 || n < period) return;
  std::vector<double> suffix(static_cast<size_t>(period));
  const auto p = static_cast<size_t>(period);
  for (int64_t b = period - 1; b < n; b += period) {
    const double anchor = shift ? x[b] : 0.0;
    double s = 0.0;
    suffix[p - 1] = 0.0;
    for (size_t k = 0; k + 1 < p; ++k) {
      s += x[b - 1 - static_cast<int64_t>(k)] - anchor;
      suffix[p - 2 - k] = s;
    }
    const int64_t end = std::min(b + period, n);
    double q = 0.0;
    for (int64_t t = b; t < end; ++t) {
      q += x[t] - anchor;
      fn(t, anchor, suffix[static_cast<size_t>(t - b)] + q);
    }
  }
}

// fn(t, sum_a, sum_b): plain window sums of two series over the same grid (no shift).
template <class Fn>
void window_sums2(const double* a, const double* b, int64_t n, int64_t period, Fn&& fn) {
  if (period < 1 || n < period) return;
  const auto p = static_cast<size_t>(period);
  std::vector<double> suffix(2 * p);
  double* sa = suffix.data();
  double* sb = sa + p;
  for (int64_t blk = period - 1; blk < n; blk += period) {
    double ra = 0.0, rb = 0.0;
    sa[p - 1] = sb[p - 1] = 0.0;
    for (size_t k = 0; k + 1 < p; ++k) {
      const int64_t j = blk - 1 - static_cast<int64_t>(k);
      ra += a[j];
      rb += b[j];
      sa[p - 2 - k] = ra;
      sb[p - 2 - k] = rb;
    }
    const int64_t end = std::min(blk + period, n);
    double qa = 0.0, qb = 0.0;
    for (int64_t t = blk; t < end; ++t) {
      qa += a[t];
      qb += b[t];
      const auto k = static_cast<size_t>(t - blk);
      fn(t, sa[k] + qa, sb[k] + qb);
    }
  }
}

// fn(t, highest, lowest): max of hi and min of lo over the window ending at t. Returns the
// finiteness check of hi, lo and (when given) `also` over all n rows.
template <class Fn>
bool window_extremes(const double* hi, const double* lo, const double* also, int64_t n,
                     int64_t period, Fn&& fn) {
  if (period < 1 || n < period) return true;
  uint64_t bad = 0;
  const auto p = static_cast<size_t>(period);
  std::vector<double> suffix(2 * p);
  double* smax = suffix.data();
  double* smin = smax + p;
  for (int64_t b = period - 1; b < n; b += period) {
    double mx = -HUGE_VAL, mn = HUGE_VAL;
    smax[p - 1] = mx;
    smin[p - 1] = mn;
    for (size_t k = 0; k + 1 < p; ++k) {
      const int64_t j = b - 1 - static_cast<int64_t>(k);
      if (b == period - 1) bad |= nonfinite(hi[j]) | nonfinite(lo[j]) | (also ? nonfinite(also[j]) : 0);
      mx = std::max(mx, hi[j]);
      mn = std::min(mn, lo[j]);
      smax[p - 2 - k] = mx;
      smin[p - 2 - k] = mn;
    }
    const int64_t end = std::min(b + period, n);
    mx = -HUGE_VAL;
    mn = HUGE_VAL;
    for (int64_t t = b; t < end; ++t) {
      bad |= nonfinite(hi[t]) | nonfinite(lo[t]) | (also ? nonfinite(also[t]) : 0);
      mx = std::max(mx, hi[t]);
      mn = std::min(mn, lo[t]);
      const auto k = static_cast<size_t>(t - b);
      fn(t, std::max(smax[k], mx), std::min(smin[k], mn));
    }
  }
  return all_finite(bad);
}

// Same with the positions of the extremes; on ties the most recent one wins (TA-Lib's AROON).
// Positions passed to fn are always inside the window [t - period + 1, t].
template <class Fn>
bool window_extreme_positions(const double* hi, const double* lo, int64_t n, int64_t period,
                              Fn&& fn) {
  if (period < 1 || n < period) return true;
  uint64_t bad = 0;
  const auto p = static_cast<size_t>(period);
  std::vector<double> sval(2 * p);
  std::vector<int64_t> spos(2 * p);
  for (int64_t b = period - 1; b < n; b += period) {
    // Backwards, an earlier value replaces the held one only when strictly more extreme.
    double mx = -HUGE_VAL, mn = HUGE_VAL;
    int64_t imx = -1, imn = -1;
    sval[p - 1] = mx;
    sval[2 * p - 1] = mn;
    spos[p - 1] = spos[2 * p - 1] = -1;
    for (size_t k = 0; k + 1 < p; ++k) {
      const int64_t j = b - 1 - static_cast<int64_t>(k);
      if (b == period - 1) bad |= nonfinite(hi[j]) | nonfinite(lo[j]);
      imx = hi[j] > mx ? j : imx;
      mx = std::max(mx, hi[j]);
      imn = lo[j] < mn ? j : imn;
      mn = std::min(mn, lo[j]);
      sval[p - 2 - k] = mx;
      spos[p - 2 - k] = imx;
      sval[2 * p - 2 - k] = mn;
      spos[2 * p - 2 - k] = imn;
    }
    const int64_t end = std::min(b + period, n);
    mx = -HUGE_VAL;
    mn = HUGE_VAL;
    for (int64_t t = b; t < end; ++t) {
      // Forwards, the newest value wins ties; the prefix (newer) wins ties with the suffix.
      bad |= nonfinite(hi[t]) | nonfinite(lo[t]);
      // Selects, not branches: a new extreme arrives at random.
      imx = hi[t] >= mx ? t : imx;
      mx = std::max(mx, hi[t]);
      imn = lo[t] <= mn ? t : imn;
      mn = std::min(mn, lo[t]);
      const auto k = static_cast<size_t>(t - b);
      const int64_t ih = mx >= sval[k] ? imx : spos[k];
      const int64_t il = mn <= sval[p + k] ? imn : spos[p + k];
      // A NaN compares false everywhere, so around one a position can be stale (even -1).
      // That result is discarded (the call returns false), but callers index tables by the
      // position's age: keep it inside the window. (ASan found the read past the table.)
      const int64_t first = t - period + 1;
      fn(t, std::max(ih, first), std::max(il, first));
    }
  }
  return all_finite(bad);
}

// ------------------------------------------------------------------------------------------
// Moving averages of a bounded oscillator (%K, %D of STOCH/STOCHF), as TA-Lib's TA_MA with
// matype SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, T3 (vfactor 0.7). Period 1 copies the input.

enum MaType { kSma, kEma, kWma, kDema, kTema, kTrima, kKama, kT3 };
constexpr const char* kMaChoices = "sma|ema|wma|dema|tema|trima|kama|t3";

int64_t ma_lookback(int64_t type, int64_t p) {
  if (p <= 1) return 0;
  switch (type) {
    case kDema: return 2 * (p - 1);
    case kTema: return 3 * (p - 1);
    case kKama: return p;
    case kT3: return 6 * (p - 1);
    default: return p - 1;
  }
}

void ma_sma(const double* x, int64_t m, int64_t p, double* out) {
  const auto inv = static_cast<double>(p);
  window_sums(x, m, p, false, [&](int64_t t, double, double s) { out[t] = s / inv; });
}

// TA-Lib's EMA: seeded with the mean of the first p values, then e = (x - e) k + e.
void ma_ema(const double* x, int64_t m, int64_t p, double* out) {
  if (m < p) return;
  const double k = 2.0 / static_cast<double>(p + 1);
  double e = 0.0;
  for (int64_t i = 0; i < p; ++i) e += x[i];
  e /= static_cast<double>(p);
  out[p - 1] = e;
  for (int64_t i = p; i < m; ++i) {
    e = (x[i] - e) * k + e;
    out[i] = e;
  }
}

void ma_wma(const double* x, int64_t m, int64_t p, double* out) {
  if (m < p) return;
  // p (p + 1) rounded once, then halved exactly: the same double as the integer p (p + 1) / 2.
  const double divider = static_cast<double>(p) * static_cast<double>(p + 1) / 2.0;
  double sum = 0.0, weighted = 0.0;
  for (int64_t i = 0; i + 1 < p; ++i) {
    sum += x[i];
    weighted += x[i] * static_cast<double>(i + 1);
  }
  double trailing = 0.0;
  const auto pw = static_cast<double>(p);
  for (int64_t i = p - 1; i < m; ++i) {
    sum += x[i];
    sum -= trailing;
    weighted += x[i] * pw;
    trailing = x[i - p + 1];
    out[i] = weighted / divider;
    weighted -= sum;
  }
}

// e-folded EMA chains for DEMA and TEMA: each EMA runs over the previous one's valid values.
void ma_dema_tema(const double* x, int64_t m, int64_t p, bool triple, double* out) {
  const int64_t lb = p - 1;
  if (m <= (triple ? 3 : 2) * lb) return;
  Scratch e1 = scratch(m), e2 = scratch(m), e3 = scratch(m);
  ma_ema(x, m, p, e1.get());
  ma_ema(e1.get() + lb, m - lb, p, e2.get() + lb);
  if (!triple) {
    for (int64_t i = 2 * lb; i < m; ++i) out[i] = 2.0 * e1[i] - e2[i];
    return;
  }
  ma_ema(e2.get() + 2 * lb, m - 2 * lb, p, e3.get() + 2 * lb);
  for (int64_t i = 3 * lb; i < m; ++i) out[i] = 3.0 * e1[i] - 3.0 * e2[i] + e3[i];
}

// TRIMA(p) = SMA(SMA(x, a), b) with a = b = (p + 1) / 2 for odd p, a = p / 2, b = a + 1 for
// even p (TA-Lib's triangular weights).
void ma_trima(const double* x, int64_t m, int64_t p, double* out) {
  const int64_t a = p % 2 ? (p + 1) / 2 : p / 2;
  const int64_t b = p % 2 ? a : a + 1;
  if (m < p) return;
  Scratch first = scratch(m);
  ma_sma(x, m, a, first.get());
  ma_sma(first.get() + (a - 1), m - (a - 1), b, out + (a - 1));
}

void ma_kama(const double* x, int64_t m, int64_t p, double* out) {
  if (m <= p) return;
  const double fastest = 2.0 / 3.0, slowest = 2.0 / 31.0;
  const double diff = fastest - slowest;
  // The path length (sum of |one-bar changes|) runs subtract-then-add; a window of exactly
  // flat bars (counted, as TA-Lib does) resets it to 0 so no rounding residue survives, and a
  // flat or up-only window has an efficiency ratio of 1.
  double volatility = 0.0;
  int64_t flat_run = 0;
  for (int64_t i = 0; i < p; ++i) {
    volatility += std::fabs(x[i] - x[i + 1]);
    flat_run = x[i + 1] == x[i] ? flat_run + 1 : 0;
  }
  double kama = x[p - 1];
  double trailing = x[0];
  for (int64_t t = p; t < m; ++t) {
    if (t > p) {
      volatility -= std::fabs(trailing - x[t - p]);
      volatility += std::fabs(x[t] - x[t - 1]);
      trailing = x[t - p];
      flat_run = x[t] == x[t - 1] ? flat_run + 1 : 0;
    }
    if (flat_run >= p) volatility = 0.0;
    const double change = x[t] - x[t - p];
    double er = 1.0;
    if (!(volatility <= 0.0 || volatility <= change || ta_is_zero(volatility))) {
      er = std::fabs(change / volatility);
    }
    double sc = er * diff + slowest;
    sc *= sc;
    kama = (x[t] - kama) * sc + kama;
    out[t] = kama;
  }
}

void ma_t3(const double* x, int64_t m, int64_t p, double* out) {
  const int64_t lb = 6 * (p - 1);
  if (m <= lb) return;
  const double k = 2.0 / static_cast<double>(p + 1), keep = 1.0 - k;
  const auto pd = static_cast<double>(p);
  double e[6];
  int64_t today = 0;
  double total = 0.0;
  for (int64_t i = 0; i < p; ++i) total += x[today++];
  e[0] = total / pd;
  // Each further stage is seeded with the mean of its first p values.
  for (int stage = 1; stage < 6; ++stage) {
    total = e[stage - 1];
    for (int64_t i = 1; i < p; ++i) {
      e[0] = k * x[today++] + keep * e[0];
      for (int s = 1; s < stage; ++s) e[s] = k * e[s - 1] + keep * e[s];
      total += e[stage - 1];
    }
    e[stage] = total / pd;
  }
  const double v = 0.7, v2 = v * v;
  const double c1 = -(v2 * v);
  const double c2 = 3.0 * (v2 - c1);
  const double c3 = -6.0 * v2 - 3.0 * (v - c1);
  const double c4 = 1.0 + 3.0 * v - c1 + 3.0 * v2;
  out[lb] = c1 * e[5] + c2 * e[4] + c3 * e[3] + c4 * e[2];
  for (; today < m; ++today) {
    e[0] = k * x[today] + keep * e[0];
    for (int s = 1; s < 6; ++s) e[s] = k * e[s - 1] + keep * e[s];
    out[today] = c1 * e[5] + c2 * e[4] + c3 * e[3] + c4 * e[2];
  }
}

// out[i] for i >= ma_lookback(type, p); x and out must not overlap.
void moving_average(int64_t type, const double* x, int64_t m, int64_t p, double* out) {
  if (m <= 0) return;
  if (p <= 1) {
    std::copy(x, x + m, out);
    return;
  }
  switch (type) {
    case kSma: ma_sma(x, m, p, out); break;
    case kEma: ma_ema(x, m, p, out); break;
    case kWma: ma_wma(x, m, p, out); break;
    case kDema: ma_dema_tema(x, m, p, false, out); break;
    case kTema: ma_dema_tema(x, m, p, true, out); break;
    case kTrima: ma_trima(x, m, p, out); break;
    case kKama: ma_kama(x, m, p, out); break;
    default: ma_t3(x, m, p, out); break;
  }
}

// ------------------------------------------------------------------------------------------
// TRANGE, ATR, NATR.

// True ranges of rows [1, n) into out; returns the finiteness check of every input value.
uint64_t true_ranges(const double* h, const double* l, const double* c, int64_t n, double* out) {
  if (n < 1) return 0;
  uint64_t bad = nonfinite(h[0]) | nonfinite(l[0]) | nonfinite(c[n - 1]);
  for (int64_t t = 1; t < n; ++t) {
    bad |= nonfinite(h[t]) | nonfinite(l[t]) | nonfinite(c[t - 1]);
    out[t] = true_range(h[t], l[t], c[t - 1]);
  }
  return bad;
}

bool compute_trange(const double* const* in, int64_t n, double* const* out, const ParamValues&) {
  return all_finite(true_ranges(in[0], in[1], in[2], n, out[0]));
}

// ATR into out (t >= period), in one pass over the inputs: the mean of the first `period` true
// ranges, then TA-Lib's (atr (period - 1) + TR) / period run as atr keep + TR gain, four rows per
// step of the loop-carried chain as the core EMA does (kernels/simd_kernels.h):
// a[t+3] = a[t-1] keep^4 + (((y0 keep + y1) keep + y2) keep + y3), y = TR gain. Within a few
// ulps of TA-Lib (whose division sits in the chain); a partial last group uses the same
// formulas, so a value never depends on later rows. With `normalize`, NATR = ATR / close * 100
// (0 when |close| < 1e-14).
template <bool kNormalize>
bool atr_run(const double* const* in, int64_t n, int64_t period, double* out) {
  if (n <= period) return true;  // every row is warm-up
  const double *h = in[0], *l = in[1], *c = in[2];
  // The input check rides on the true range's own differences: h - l, |h - c[-1]| and
  // |l - c[-1]| are all finite exactly when h, l and c[-1] are (short of an overflow, which
  // only costs a rerun), and their sum propagates a NaN or an infinity.
  double check = (h[0] - l[0]) + (c[n - 1] - c[n - 1]);
  const auto range = [&](int64_t t, double& sum) {
    const double hl = h[t] - l[t];
    const double up = std::fabs(h[t] - c[t - 1]);
    const double down = std::fabs(l[t] - c[t - 1]);
    sum = (hl + up) + down;
    double r = hl;
    if (up > r) r = up;
    if (down > r) r = down;
    return r;
  };
  double atr = 0.0;
  for (int64_t t = 1; t <= period; ++t) {
    double sum;
    atr += range(t, sum);
    check += sum;
  }
  const auto p = static_cast<double>(period);
  atr /= p;
  // NATR = ATR / close * 100, 0 where |close| < 1e-14 (divided first, then selected).
  const auto emit = [&](int64_t r, double value) {
    if (kNormalize) {
      const double normalized = (value / c[r]) * 100.0;
      out[r] = ta_is_zero(c[r]) ? 0.0 : normalized;
    } else {
      out[r] = value;
    }
  };
  emit(period, atr);
  const auto keep = static_cast<double>(period - 1) / p, gain = 1.0 / p;
  const double keep2 = keep * keep, keep3 = keep2 * keep, keep4 = keep2 * keep2;
  int64_t t = period + 1;
  for (; t + 4 <= n; t += 4) {
    double s0, s1, s2, s3;
    const double y0 = range(t, s0) * gain, y1 = range(t + 1, s1) * gain;
    const double y2 = range(t + 2, s2) * gain, y3 = range(t + 3, s3) * gain;
    check += (s0 + s1) + (s2 + s3);
    const double p1 = y0 * keep + y1;
    const double p2 = p1 * keep + y2;
    const double p3 = p2 * keep + y3;
    emit(t, atr * keep + y0);
    emit(t + 1, atr * keep2 + p1);
    emit(t + 2, atr * keep3 + p2);
    atr = atr * keep4 + p3;
    emit(t + 3, atr);
  }
  for (int64_t r = t; r < n; ++r) {  // the last rows: the same formulas as a full group
    double sum;
    out[r] = range(r, sum) * gain;
    check += sum;
  }
  if (t < n) {
    const double y0 = out[t];
    const double y1 = t + 1 < n ? out[t + 1] : 0.0;
    const double y2 = t + 2 < n ? out[t + 2] : 0.0;
    emit(t, atr * keep + y0);
    if (t + 1 < n) {
      const double p1 = y0 * keep + y1;
      emit(t + 1, atr * keep2 + p1);
      if (t + 2 < n) emit(t + 2, atr * keep3 + (p1 * keep + y2));
    }
  }
  return check - check == 0.0;
}

bool atr_into(const double* const* in, int64_t n, int64_t period, bool normalize, double* out) {
  return normalize ? atr_run<true>(in, n, period, out) : atr_run<false>(in, n, period, out);
}

bool compute_atr(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return atr_into(in, n, p.integer(0), false, out[0]);
}
bool compute_natr(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return atr_into(in, n, p.integer(0), true, out[0]);
}

// ------------------------------------------------------------------------------------------
// Directional movement (Wilder). The smoothed sums start as plain sums over bars
// 1 .. period-1 and then run s = s - s / period + x, as TA-Lib's (see step()).

struct Directional {
  const double *h, *l, *c;  // c is only read when true ranges are wanted
  double keep;               // 1 - 1 / period
  double plus = 0.0, minus = 0.0, tr = 0.0;
  uint64_t bad = 0;  // finiteness check of every value read

  Directional(const double* const* in, int64_t period_, bool with_close)
      : h(in[0]), l(in[1]), c(with_close ? in[2] : nullptr),
        keep(static_cast<double>(period_ - 1) / static_cast<double>(period_)) {}

  // Directional moves of bar t: +DM = up move when it is positive and beats the down move,
  // -DM = down move when it is positive and beats the up move.
  void moves(int64_t t, double& plus_dm, double& minus_dm) {
    bad |= nonfinite(h[t]) | nonfinite(l[t]);
    const double up = h[t] - h[t - 1];
    const double down = l[t - 1] - l[t];
    // Multiplying by the condition (0 or 1) instead of branching: which side moved more is a
    // coin flip on real data. (A -0.0 from a negative move adds nothing to the sums.)
    plus_dm = up * static_cast<double>((up > 0) & (up > down));
    minus_dm = down * static_cast<double>((down > 0) & (up < down));
  }
  void seed(int64_t period_, bool with_tr) {
    bad |= nonfinite(h[0]) | nonfinite(l[0]);
    for (int64_t t = 1; t < period_; ++t) accumulate(t, with_tr);
  }
  double range(int64_t t) {
    bad |= nonfinite(c[t - 1]);
    return true_range(h[t], l[t], c[t - 1]);
  }
  // Call after the last row: the last close is never read by a true range.
  bool finite(int64_t n, bool with_close) {
    if (with_close) bad |= nonfinite(c[n - 1]);
    return all_finite(bad);
  }
  void accumulate(int64_t t, bool with_tr) {
    double pdm, mdm;
    moves(t, pdm, mdm);
    plus += pdm;
    minus += mdm;
    if (with_tr) tr += range(t);
  }
  void step(int64_t t, bool with_tr) {
    double pdm, mdm;
    moves(t, pdm, mdm);
    // s - s / period + x, as s keep + x: one multiply and one add in the loop-carried chain
    // instead of a division (a few ulps from TA-Lib's rounding; the recurrence is contractive).
    plus = plus * keep + pdm;
    minus = minus * keep + mdm;
    if (with_tr) tr = tr * keep + range(t);
  }
  // 100 * DM / TR for each side; false when TR is (TA-Lib's) zero.
  bool indicators(double& plus_di, double& minus_di) const {
    if (ta_is_zero(tr)) return false;
    minus_di = 100.0 * (minus / tr);
    plus_di = 100.0 * (plus / tr);
    return true;
  }
  // DX; false when TR or +DI + -DI is zero.
  bool dx(double& value) const {
    double pdi, mdi;
    if (!indicators(pdi, mdi)) return false;
    const double total = mdi + pdi;
    if (ta_is_zero(total)) return false;
    value = 100.0 * (std::fabs(mdi - pdi) / total);
    return true;
  }
};

int64_t dm_lookback(const ParamValues& p, int) { return p.integer(0) > 1 ? p.integer(0) - 1 : 1; }

// +DM / -DM: the smoothed sums themselves, from bar period - 1 (bar 1 for period 1).
bool dm_into(const double* const* in, int64_t n, int64_t period, bool plus, double* out) {
  const int64_t first = period > 1 ? period - 1 : 1;
  if (n <= first) return true;
  Directional d(in, period, false);
  d.seed(period, false);
  if (period > 1) out[period - 1] = plus ? d.plus : d.minus;
  for (int64_t t = period; t < n; ++t) {
    d.step(t, false);
    out[t] = plus ? d.plus : d.minus;
  }
  return d.finite(n, false);
}
bool compute_plus_dm(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return dm_into(in, n, p.integer(0), true, out[0]);
}
bool compute_minus_dm(const double* const* in, int64_t n, double* const* out,
                      const ParamValues& p) {
  return dm_into(in, n, p.integer(0), false, out[0]);
}

// +DI / -DI from bar `period`: 100 * DM / TR, 0 when TR is zero.
bool di_into(const double* const* in, int64_t n, int64_t period, bool plus, double* out) {
  if (n <= period) return true;
  Directional d(in, period, true);
  d.seed(period, true);
  for (int64_t t = period; t < n; ++t) {
    d.step(t, true);
    double pdi, mdi;
    out[t] = d.indicators(pdi, mdi) ? (plus ? pdi : mdi) : 0.0;
  }
  return d.finite(n, true);
}
bool compute_plus_di(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return di_into(in, n, p.integer(0), true, out[0]);
}
bool compute_minus_di(const double* const* in, int64_t n, double* const* out,
                      const ParamValues& p) {
  return di_into(in, n, p.integer(0), false, out[0]);
}

// DX from bar `period`; a degenerate bar (zero TR or zero +DI + -DI) gives 0 on the first bar
// and repeats the previous DX afterwards (TA-Lib).
bool compute_dx(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  const int64_t period = p.integer(0);
  if (n <= period) return true;
  Directional d(in, period, true);
  d.seed(period, true);
  double value = 0.0;
  for (int64_t t = period; t < n; ++t) {
    d.step(t, true);
    d.dx(value);  // leaves value unchanged on a degenerate bar
    out[0][t] = value;
  }
  return d.finite(n, true);
}

// ADX into out from bar 2 * period - 1: the mean of the first `period` DX values (degenerate
// ones count as 0), then Wilder's (adx (period - 1) + dx) / period, skipping degenerate bars
// (run as adx keep + dx gain, a multiply instead of a division in the chain). Returns the
// finiteness check of the inputs.
bool adx_into(const double* const* in, int64_t n, int64_t period, double* out) {
  if (n <= 2 * period - 1) return true;
  Directional d(in, period, true);
  d.seed(period, true);
  const auto pd = static_cast<double>(period);
  const auto keep = static_cast<double>(period - 1) / pd;
  const double gain = 1.0 / pd;
  double sum = 0.0, dx = 0.0;
  int64_t t = period;
  for (; t < 2 * period; ++t) {
    d.step(t, true);
    if (d.dx(dx)) sum += dx;
  }
  double adx = sum / pd;
  out[2 * period - 1] = adx;
  for (; t < n; ++t) {
    d.step(t, true);
    if (d.dx(dx)) adx = adx * keep + dx * gain;
    out[t] = adx;
  }
  return d.finite(n, true);
}

bool compute_adx(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  return adx_into(in, n, p.integer(0), out[0]);
}

// ADXR = (ADX[t] + ADX[t - (period - 1)]) / 2, from bar 3 * period - 2.
bool compute_adxr(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  const int64_t period = p.integer(0);
  const int64_t first = 3 * period - 2;
  if (n <= first) return true;
  Scratch adx = scratch(n);
  if (!adx_into(in, n, period, adx.get())) return false;
  for (int64_t t = first; t < n; ++t) out[0][t] = (adx[t] + adx[t - (period - 1)]) / 2.0;
  return true;
}

// ------------------------------------------------------------------------------------------
// Rolling-extreme oscillators.

// %K of TA-Lib: (c - LL) / ((HH - LL) / 100), 0 when HH == LL; out[t] from t = period - 1.
bool fast_k_into(const double* const* in, int64_t n, int64_t period, double* out) {
  const double* c = in[2];
  return window_extremes(in[0], in[1], c, n, period, [&](int64_t t, double hh, double ll) {
    const double range = (hh - ll) / 100.0;
    out[t] = range != 0.0 ? (c[t] - ll) / range : 0.0;
  });
}

// STOCH: slowk = MA(%K, slowk_period), slowd = MA(slowk, slowd_period).
bool compute_stoch(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  const int64_t fk = p.integer(0), sk = p.integer(1), sk_type = p.integer(2);
  const int64_t sd = p.integer(3), sd_type = p.integer(4);
  const int64_t k0 = fk - 1;
  const int64_t s0 = k0 + ma_lookback(sk_type, sk);
  if (n <= s0 + ma_lookback(sd_type, sd)) return true;
  Scratch fast = scratch(n);
  if (!fast_k_into(in, n, fk, fast.get())) return false;
  moving_average(sk_type, fast.get() + k0, n - k0, sk, out[0] + k0);
  moving_average(sd_type, out[0] + s0, n - s0, sd, out[1] + s0);
  return true;
}

// STOCHF: fastk = %K, fastd = MA(%K, fastd_period); both from the same bar.
bool compute_stochf(const double* const* in, int64_t n, double* const* out,
                    const ParamValues& p) {
  const int64_t fk = p.integer(0), fd = p.integer(1), fd_type = p.integer(2);
  const int64_t k0 = fk - 1;
  if (n <= k0 + ma_lookback(fd_type, fd)) return true;
  if (!fast_k_into(in, n, fk, out[0])) return false;
  moving_average(fd_type, out[0] + k0, n - k0, fd, out[1] + k0);
  return true;
}

// Williams %R: (HH - c) / ((HH - LL) / -100), 0 when HH == LL.
bool compute_willr(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  const double* c = in[2];
  double* o = out[0];
  return window_extremes(in[0], in[1], c, n, p.integer(0), [&](int64_t t, double hh, double ll) {
    const double range = (hh - ll) / -100.0;
    o[t] = range != 0.0 ? (hh - c[t]) / range : 0.0;
  });
}

bool compute_midprice(const double* const* in, int64_t n, double* const* out,
                      const ParamValues& p) {
  double* o = out[0];
  return window_extremes(in[0], in[1], nullptr, n, p.integer(0),
                         [&](int64_t t, double hh, double ll) { o[t] = (hh + ll) / 2.0; });
}

// Donchian: upper, middle, lower.
bool compute_donchian(const double* const* in, int64_t n, double* const* out,
                      const ParamValues& p) {
  double *up = out[0], *mid = out[1], *low = out[2];
  return window_extremes(in[0], in[1], nullptr, n, p.integer(0),
                         [&](int64_t t, double hh, double ll) {
                           up[t] = hh;
                           mid[t] = (hh + ll) / 2.0;
                           low[t] = ll;
                         });
}

// AROON over the period + 1 bars ending at t; outputs aroondown, aroonup.
bool compute_aroon(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  const int64_t period = p.integer(0);
  const double factor = 100.0 / static_cast<double>(period);
  double *down = out[0], *up = out[1];
  // factor * (period - age) for every age 0 .. period, looked up (an int-to-double conversion
  // per row is slower than the rest of the row on x86-64).
  std::vector<double> by_age(static_cast<size_t>(period + 1));
  for (int64_t age = 0; age <= period; ++age) {
    by_age[static_cast<size_t>(age)] = factor * static_cast<double>(period - age);
  }
  const double* value = by_age.data();
  return window_extreme_positions(in[0], in[1], n, period + 1,
                                  [&](int64_t t, int64_t ih, int64_t il) {
                                    up[t] = value[t - ih];
                                    down[t] = value[t - il];
                                  });
}

bool compute_aroonosc(const double* const* in, int64_t n, double* const* out,
                      const ParamValues& p) {
  const int64_t period = p.integer(0);
  const double factor = 100.0 / static_cast<double>(period);
  double* o = out[0];
  // factor * (ih - il) for every difference -period .. period, looked up (see compute_aroon).
  std::vector<double> by_gap(static_cast<size_t>(2 * period + 1));
  for (int64_t gap = -period; gap <= period; ++gap) {
    by_gap[static_cast<size_t>(gap + period)] = factor * static_cast<double>(gap);
  }
  const double* value = by_gap.data() + period;
  return window_extreme_positions(
      in[0], in[1], n, period + 1,
      [&](int64_t t, int64_t ih, int64_t il) { o[t] = value[ih - il]; });
}

// ------------------------------------------------------------------------------------------
// CCI. The mean absolute deviation around the window mean has no exact O(1) update: which
// values lie above the mean changes with the mean, so an exact running form needs an ordered
// structure (O(log period) per bar) or the O(period) pass kept here, as TA-Lib does. The mean
// itself comes from block sums taken relative to a value of the window, and every deviation is
// formed as (tp[j] - tp[t]) - (mean - tp[t]): both parts carry the window's spread, not the
// price level, so the result keeps its digits at prices near 1e8 (TA-Lib's plain sums of raw
// typical prices do not).
bool compute_cci(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  const int64_t period = p.integer(0);
  if (n < period) return true;
  const double *h = in[0], *l = in[1], *c = in[2];
  Scratch tp_buf = scratch(n);
  double* tp = tp_buf.get();
  uint64_t bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    bad |= nonfinite(h[i]) | nonfinite(l[i]) | nonfinite(c[i]);
    tp[i] = (h[i] + l[i] + c[i]) / 3.0;
  }
  if (!all_finite(bad)) return false;
  const auto pd = static_cast<double>(period);
  double* o = out[0];
  window_sums(tp, n, period, true, [&](int64_t t, double anchor, double sum) {
    const double last = tp[t];
    const double offset = sum / pd - (last - anchor);  // mean - tp[t]
    const double* w = tp + (t - period + 1);
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    int64_t j = 0;
    for (; j + 4 <= period; j += 4) {
      a0 += std::fabs((w[j] - last) - offset);
      a1 += std::fabs((w[j + 1] - last) - offset);
      a2 += std::fabs((w[j + 2] - last) - offset);
      a3 += std::fabs((w[j + 3] - last) - offset);
    }
    for (; j < period; ++j) a0 += std::fabs((w[j] - last) - offset);
    const double mean_deviation = ((a0 + a1) + (a2 + a3)) / pd;
    const double numerator = -offset;  // tp[t] - mean
    // TA-Lib's flatness test, relative to the window's price level: a deviation within 1e-14
    // of |mean| counts as zero (and so does the result).
    const double level = 1e-14 * std::fabs(anchor + sum / pd);
    const bool flat = std::fabs(numerator) <= level || mean_deviation <= level;
    o[t] = flat ? 0.0 : numerator / (0.015 * mean_deviation);
  });
  return true;
}

// ------------------------------------------------------------------------------------------
// Ultimate oscillator. TA-Lib sorts the three periods (the shortest gets weight 4, the middle
// 2, the longest 1), so their order does not matter; a window whose true-range sum is zero
// contributes 0.
//
// The window sums are block sums (see window_sums; only in-window terms enter a sum), with the
// three periods run in one loop so that their dependency chains overlap, and each period's next
// suffix sums built backwards in the same loop that runs its current block forwards. The series
// is processed in chunks that stay in cache: each chunk's terms (buying pressure
// close - min(low, close[-1]) and true range) are computed once into a small buffer. The block
// grids do not depend on the chunks, and the sums are formed in the same order either way, so
// the values do not either.
struct UltoscPeriod {
  int64_t period = 0;
  int64_t block = 0;  // first window end of the current block
  double qa = 0.0, qb = 0.0, ra = 0.0, rb = 0.0;
  std::vector<double> storage;
  double* cur = nullptr;   // suffix sums (a then b) of the previous block
  double* next = nullptr;  // the same for the current block, being built

  // Positions the state at row `t` as if every earlier row had been run.
  void resume(const double* bp, const double* tr, int64_t t) {
    const int64_t p = period;
    block = p + ((t - p) / p) * p;
    storage.assign(4 * static_cast<size_t>(p), 0.0);
    cur = storage.data();
    next = cur + 2 * p;
    double sa = 0.0, sb = 0.0;
    for (int64_t m = 0; m + 1 < p; ++m) {
      sa += bp[block - 1 - m];
      sb += tr[block - 1 - m];
      cur[p - 2 - m] = sa;
      cur[2 * p - 2 - m] = sb;
    }
    qa = qb = ra = rb = 0.0;
    for (int64_t r = block; r < t; ++r) advance(bp, tr, r, INT64_MAX);
  }
  // Adds row t (in block `block`) to the prefix and the next block's suffix; returns nothing,
  // the sums of the window ending at t are then sum_a() / sum_b().
  NSE_ALWAYS_INLINE void advance(const double* bp, const double* tr, int64_t t, int64_t n) {
    const int64_t p = period;
    if (t - block == p) {
      std::swap(cur, next);
      block = t;
      qa = qb = ra = rb = 0.0;
    }
    const int64_t m = t - block;
    qa += bp[t];
    qb += tr[t];
    const int64_t ahead = block + p - 1 - m;  // the next block's suffix, built backwards
    if (m + 1 < p && ahead < n) {
      ra += bp[ahead];
      rb += tr[ahead];
      next[p - 2 - m] = ra;
      next[2 * p - 2 - m] = rb;
    }
    sum_a = cur[m] + qa;
    sum_b = cur[p + m] + qb;
  }
  double sum_a = 0.0, sum_b = 0.0;
};

bool compute_ultosc(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  int64_t periods[3] = {p.integer(0), p.integer(1), p.integer(2)};
  std::sort(periods, periods + 3);
  const int64_t longest = periods[2];
  if (n <= longest) return true;
  const double *h = in[0], *l = in[1], *c = in[2];
  constexpr int64_t kChunk = 4096;
  const int64_t before = 2 * longest;  // rows before a chunk that resuming reads
  const int64_t width = kChunk + before + longest;
  std::vector<double> buffer(2 * static_cast<size_t>(width));
  UltoscPeriod state[3];
  for (int k = 0; k < 3; ++k) state[k].period = periods[k];
  double* o = out[0];
  uint64_t bad = nonfinite(h[0]) | nonfinite(l[0]) | nonfinite(c[n - 1]);
  for (int64_t first = longest; first < n; first += kChunk) {
    const int64_t last = std::min(n, first + kChunk);
    const int64_t base = std::max<int64_t>(1, first - before);
    const int64_t end = std::min(n, last + longest);  // reading ahead for the next suffixes
    double* bp = buffer.data() - base;  // bp[j], tr[j] for j in [base, end)
    double* tr = bp + width;
    for (int64_t j = base; j < end; ++j) {
      tr[j] = true_range(h[j], l[j], c[j - 1]);
      bp[j] = c[j] - std::min(l[j], c[j - 1]);
    }
    // Every row's inputs are checked once, in the chunk that outputs it (rows below `longest`
    // with the first chunk).
    for (int64_t j = first == longest ? 1 : first; j < last; ++j) {
      bad |= nonfinite(h[j]) | nonfinite(l[j]) | nonfinite(c[j - 1]);
    }
    for (auto& st : state) st.resume(bp, tr, first);
    for (int64_t t = first; t < last; ++t) {
      state[0].advance(bp, tr, t, n);
      state[1].advance(bp, tr, t, n);
      state[2].advance(bp, tr, t, n);
      // TA-Lib's order: 4 A_1, then 2 A_2, then A_3; a term with a zero range sum adds 0.
      // (Divide first, then select: no branch on the data.) The final / 7 * 100 is one
      // multiply, a rounding away from TA-Lib's two operations.
      const double q1 = 4.0 * (state[0].sum_a / state[0].sum_b);
      const double q2 = 2.0 * (state[1].sum_a / state[1].sum_b);
      const double q3 = state[2].sum_a / state[2].sum_b;
      const double r1 = ta_is_zero(state[0].sum_b) ? 0.0 : q1;
      const double r2 = ta_is_zero(state[1].sum_b) ? 0.0 : q2;
      const double r3 = ta_is_zero(state[2].sum_b) ? 0.0 : q3;
      o[t] = ((r1 + r2) + r3) * (100.0 / 7.0);
    }
  }
  return all_finite(bad);
}

// ------------------------------------------------------------------------------------------
// Parabolic SAR, TA-Lib's start rules: the first trade is short when bar 1's -DM (period 1) is
// positive, long otherwise; the first SAR (bar 1) is bar 0's low when long, high when short,
// and the extreme point starts at bar 1's high (long) or low (short). acceleration > maximum
// is clamped to maximum, as TA-Lib does. The step sar + af (ep - sar) is one fused
// multiply-add, as in TA-Lib 0.6+: an unfused step can land one ulp on the other side of a low
// or high and flip a reversal. std::fma is correctly rounded everywhere; on x86-64 the loop is
// also compiled for the FMA instruction and chosen at run time (the C library's software fma is
// several times slower).
// Returns whether every high and low was finite.
NSE_ALWAYS_INLINE bool sar_run(const double* h, const double* l, int64_t n, double step,
                                   double maximum, double* o) {
  // h - l is finite exactly when both are; the sum of them propagates a NaN or an infinity.
  double check = h[0] - l[0];
  double af = step;
  const double up = h[1] - h[0];
  const double down = l[0] - l[1];
  bool is_long = !(down > 0 && up < down);
  double ep, sar;
  if (is_long) {
    ep = h[1];
    sar = l[0];
  } else {
    ep = l[1];
    sar = h[0];
  }
  double new_low = l[1], new_high = h[1];
  for (int64_t t = 1; t < n; ++t) {
    const double prev_low = new_low, prev_high = new_high;
    new_low = l[t];
    new_high = h[t];
    check += new_high - new_low;
    if (is_long) {
      if (new_low <= sar) {  // reverse to short
        is_long = false;
        sar = ep;
        if (sar < prev_high) sar = prev_high;
        if (sar < new_high) sar = new_high;
        o[t] = sar;
        af = step;
        ep = new_low;
        sar = std::fma(af, ep - sar, sar);
        if (sar < prev_high) sar = prev_high;
        if (sar < new_high) sar = new_high;
      } else {
        o[t] = sar;
        if (new_high > ep) {
          ep = new_high;
          af += step;
          if (af > maximum) af = maximum;
        }
        sar = std::fma(af, ep - sar, sar);
        if (sar > prev_low) sar = prev_low;
        if (sar > new_low) sar = new_low;
      }
    } else {
      if (new_high >= sar) {  // reverse to long
        is_long = true;
        sar = ep;
        if (sar > prev_low) sar = prev_low;
        if (sar > new_low) sar = new_low;
        o[t] = sar;
        af = step;
        ep = new_high;
        sar = std::fma(af, ep - sar, sar);
        if (sar > prev_low) sar = prev_low;
        if (sar > new_low) sar = new_low;
      } else {
        o[t] = sar;
        if (new_low < ep) {
          ep = new_low;
          af += step;
          if (af > maximum) af = maximum;
        }
        sar = std::fma(af, ep - sar, sar);
        if (sar < prev_high) sar = prev_high;
        if (sar < new_high) sar = new_high;
      }
    }
  }
  return check - check == 0.0;
}

bool sar_portable(const double* h, const double* l, int64_t n, double step, double maximum,
                  double* o) {
  return sar_run(h, l, n, step, maximum, o);
}

#if defined(NSE_HAVE_X86_DISPATCH) && defined(__GNUC__)
__attribute__((target("fma"))) bool sar_fma(const double* h, const double* l, int64_t n,
                                            double step, double maximum, double* o) {
  return sar_run(h, l, n, step, maximum, o);
}
#endif

bool compute_sar(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  if (n < 2) return true;
  const double maximum = p.real(1);
  const double step = std::min(p.real(0), maximum);
#if defined(NSE_HAVE_X86_DISPATCH) && defined(__GNUC__)
  if (active_isa() != Isa::Baseline) {  // AVX2 and AVX-512 imply FMA (kernels/isa.cpp)
    return sar_fma(in[0], in[1], n, step, maximum, out[0]);
  }
#endif
  return sar_portable(in[0], in[1], n, step, maximum, out[0]);
}

// ------------------------------------------------------------------------------------------
// SuperTrend (TradingView's ta.supertrend rules over TA-Lib's ATR): basic bands
// hl2 +/- multiplier * ATR; the lower band is carried while it would fall and the previous
// close stayed above it, the upper band while it would rise and the previous close stayed below
// it. The first bar (bar `period`) takes the basic bands and a downtrend. Afterwards: if the
// previous line was the upper band, the trend turns up when close > upper band; otherwise it
// turns down when close < lower band. Outputs the line (lower band in an uptrend, upper band in
// a downtrend) and the direction, +1 up / -1 down.
// a ? x : y without a branch (a compiler turns a double ?: into a jump on x86-64's baseline).
inline double select(bool a, double x, double y) {
  uint64_t bx, by;
  std::memcpy(&bx, &x, sizeof bx);
  std::memcpy(&by, &y, sizeof by);
  const uint64_t mask = 0 - static_cast<uint64_t>(a);
  const uint64_t bits = (bx & mask) | (by & ~mask);
  double r;
  std::memcpy(&r, &bits, sizeof r);
  return r;
}

bool compute_supertrend(const double* const* in, int64_t n, double* const* out,
                        const ParamValues& p) {
  const int64_t period = p.integer(0);
  const double mult = p.real(1);
  double* line = out[0];
  double* dir = out[1];
  // The ATR lands in the direction column; each row overwrites its own ATR.
  if (!atr_into(in, n, period, false, dir)) return false;
  if (n <= period) return true;
  const double *h = in[0], *l = in[1], *c = in[2];
  double upper = (h[period] + l[period]) / 2.0 + mult * dir[period];
  double lower = (h[period] + l[period]) / 2.0 - mult * dir[period];
  line[period] = upper;  // the first row: a downtrend on the basic bands
  dir[period] = -1.0;
  bool on_upper = true;
  // Selects, not branches: the trend and the band carrying flip at random.
  for (int64_t t = period + 1; t < n; ++t) {
    const double mid = (h[t] + l[t]) / 2.0;
    const double width = mult * dir[t];
    const double prev_close = c[t - 1];
    const double basic_upper = mid + width;
    const double basic_lower = mid - width;
    lower = select((basic_lower > lower) | (prev_close < lower), basic_lower, lower);
    upper = select((basic_upper < upper) | (prev_close > upper), basic_upper, upper);
    const bool up_trend = (on_upper & (c[t] > upper)) | (!on_upper & !(c[t] < lower));
    const double value = select(up_trend, lower, upper);
    on_upper = value == upper;  // TradingView compares the line with the upper band
    line[t] = value;
    dir[t] = static_cast<double>(2 * static_cast<int>(up_trend) - 1);
  }
  return true;
}

// Keltner channels: middle = EMA(close, period) (TA-Lib seeding), upper/lower = middle +/-
// multiplier * ATR(atr_period); outputs upper, middle, lower.
bool compute_keltner(const double* const* in, int64_t n, double* const* out,
                     const ParamValues& p) {
  const int64_t period = p.integer(0), atr_period = p.integer(1);
  const double mult = p.real(2);
  double *up = out[0], *mid = out[1], *low = out[2];
  if (!atr_into(in, n, atr_period, false, low)) return false;
  const int64_t first = std::max(period - 1, atr_period);
  if (n <= first) return true;
  ma_ema(in[2], n, period, mid);
  for (int64_t t = first; t < n; ++t) {
    const double width = mult * low[t];
    up[t] = mid[t] + width;
    low[t] = mid[t] - width;
  }
  return true;
}

// ------------------------------------------------------------------------------------------
// The table.

ParamSpec period_param(double default_value, double min_value) {
  return {"period", ParamKind::Integer, default_value, min_value, kMaxPeriod, false, nullptr};
}
ParamSpec int_param(const char* name, double default_value, double min_value) {
  return {name, ParamKind::Integer, default_value, min_value, kMaxPeriod, false, nullptr};
}
ParamSpec ma_param(const char* name) {
  return {name, ParamKind::Choice, 0, 0, 7, false, kMaChoices};
}

int64_t stoch_lookback(const ParamValues& p, int) {
  return p.integer(0) - 1 + ma_lookback(p.integer(2), p.integer(1)) +
         ma_lookback(p.integer(4), p.integer(3));
}
int64_t stochf_lookback(const ParamValues& p, int) {
  return p.integer(0) - 1 + ma_lookback(p.integer(2), p.integer(1));
}

}  // namespace

void add_hlc_indicators(std::vector<IndicatorDef>& table) {
  const auto lookback_period = [](const ParamValues& p, int) { return p.integer(0); };
  const auto lookback_period_minus_1 = [](const ParamValues& p, int) { return p.integer(0) - 1; };
  table.push_back({"trange", 3, {"high", "low", "close"}, 1, {"trange"}, 0, {}, nullptr,
                   [](const ParamValues&, int) { return int64_t{1}; }, compute_trange});
  table.push_back({"atr", 3, {"high", "low", "close"}, 1, {"atr"}, 1, {period_param(14, 1)},
                   nullptr, lookback_period, compute_atr});
  table.push_back({"natr", 3, {"high", "low", "close"}, 1, {"natr"}, 1, {period_param(14, 1)},
                   nullptr, lookback_period, compute_natr});
  table.push_back({"plus_dm", 2, {"high", "low"}, 1, {"plus_dm"}, 1, {period_param(14, 1)},
                   nullptr, dm_lookback, compute_plus_dm});
  table.push_back({"minus_dm", 2, {"high", "low"}, 1, {"minus_dm"}, 1, {period_param(14, 1)},
                   nullptr, dm_lookback, compute_minus_dm});
  table.push_back({"plus_di", 3, {"high", "low", "close"}, 1, {"plus_di"}, 1,
                   {period_param(14, 1)}, nullptr, lookback_period, compute_plus_di});
  table.push_back({"minus_di", 3, {"high", "low", "close"}, 1, {"minus_di"}, 1,
                   {period_param(14, 1)}, nullptr, lookback_period, compute_minus_di});
  table.push_back({"dx", 3, {"high", "low", "close"}, 1, {"dx"}, 1, {period_param(14, 2)},
                   nullptr, lookback_period, compute_dx});
  table.push_back({"adx", 3, {"high", "low", "close"}, 1, {"adx"}, 1, {period_param(14, 2)},
                   nullptr, [](const ParamValues& p, int) { return 2 * p.integer(0) - 1; },
                   compute_adx});
  table.push_back({"adxr", 3, {"high", "low", "close"}, 1, {"adxr"}, 1, {period_param(14, 2)},
                   nullptr, [](const ParamValues& p, int) { return 3 * p.integer(0) - 2; },
                   compute_adxr});
  table.push_back({"stoch", 3, {"high", "low", "close"}, 2, {"slowk", "slowd"}, 5,
                   {int_param("fastk_period", 5, 1), int_param("slowk_period", 3, 1),
                    ma_param("slowk_ma_type"), int_param("slowd_period", 3, 1),
                    ma_param("slowd_ma_type")},
                   nullptr, stoch_lookback, compute_stoch});
  table.push_back({"stochf", 3, {"high", "low", "close"}, 2, {"fastk", "fastd"}, 3,
                   {int_param("fastk_period", 5, 1), int_param("fastd_period", 3, 1),
                    ma_param("fastd_ma_type")},
                   nullptr, stochf_lookback, compute_stochf});
  table.push_back({"willr", 3, {"high", "low", "close"}, 1, {"willr"}, 1, {period_param(14, 2)},
                   nullptr, lookback_period_minus_1, compute_willr});
  table.push_back({"cci", 3, {"high", "low", "close"}, 1, {"cci"}, 1, {period_param(14, 2)},
                   nullptr, lookback_period_minus_1, compute_cci});
  table.push_back({"ultosc", 3, {"high", "low", "close"}, 1, {"ultosc"}, 3,
                   {int_param("period1", 7, 1), int_param("period2", 14, 1),
                    int_param("period3", 28, 1)},
                   nullptr,
                   [](const ParamValues& p, int) {
                     return std::max({p.integer(0), p.integer(1), p.integer(2)});
                   },
                   compute_ultosc});
  table.push_back({"aroon", 2, {"high", "low"}, 2, {"aroondown", "aroonup"}, 1,
                   {period_param(14, 2)}, nullptr, lookback_period, compute_aroon});
  table.push_back({"aroonosc", 2, {"high", "low"}, 1, {"aroonosc"}, 1, {period_param(14, 2)},
                   nullptr, lookback_period, compute_aroonosc});
  table.push_back({"midprice", 2, {"high", "low"}, 1, {"midprice"}, 1, {period_param(14, 2)},
                   nullptr, lookback_period_minus_1, compute_midprice});
  table.push_back({"sar", 2, {"high", "low"}, 1, {"sar"}, 2,
                   {{"acceleration", ParamKind::Real, 0.02, 0.0, kHuge, false, nullptr},
                    {"maximum", ParamKind::Real, 0.2, 0.0, kHuge, false, nullptr}},
                   nullptr, [](const ParamValues&, int) { return int64_t{1}; }, compute_sar});
  table.push_back({"supertrend", 3, {"high", "low", "close"}, 2, {"supertrend", "direction"}, 2,
                   {period_param(10, 1),
                    {"multiplier", ParamKind::Real, 3.0, 0.0, kHuge, true, nullptr}},
                   nullptr, lookback_period, compute_supertrend});
  table.push_back({"donchian", 2, {"high", "low"}, 3, {"upper", "middle", "lower"}, 1,
                   {period_param(20, 1)}, nullptr, lookback_period_minus_1, compute_donchian});
  table.push_back({"keltner", 3, {"high", "low", "close"}, 3, {"upper", "middle", "lower"}, 3,
                   {period_param(20, 1), int_param("atr_period", 10, 1),
                    {"multiplier", ParamKind::Real, 2.0, 0.0, kHuge, true, nullptr}},
                   nullptr,
                   [](const ParamValues& p, int) {
                     return std::max(p.integer(0) - 1, p.integer(1));
                   },
                   compute_keltner});
}

}  // namespace nse
