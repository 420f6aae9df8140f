// Volume, open, session VWAP and benchmark-relative indicators (see registry.h).
//
// TA-Lib's definitions where it has the indicator (OBV, AD, ADOSC, MFI, BOP, BETA, CORREL):
// the same per-bar arithmetic in the same order (bit-identical for OBV, AD, ADOSC and BOP).
// The windowed statistics (MFI's money-flow sums, BETA, CORREL, rolling_cov/corr/beta) are not
// kept as running sums that add the new bar and subtract the leaving one, as TA-Lib keeps
// them: that loses every digit at prices near 1e8 and leaves residue of a 1e9 regime inside
// the windows that follow it. They use the block scheme of the core's rolling mean (see
// rolling_pair_sums below) and stay within ~1e-13 of an exact two-pass computation.
//
// Degenerate windows give TA-Lib's value, decided exactly rather than with TA-Lib's absolute
// epsilons (which depend on the unit prices are quoted in): zero range -> BOP 0 and no AD
// contribution; zero total money flow -> MFI 0; zero variance -> CORREL/BETA 0.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "isa.h"
#include "registry.h"

namespace nse {
namespace {

constexpr double kMaxPeriod = 1 << 30;

// True for finite values; false for NaN and +/-inf.
inline bool finite(double v) { return v - v == 0.0; }

// x - x is 0 for finite x and NaN for NaN or inf: summing it over every value read tells
// whether any was missing, whatever branch the arithmetic took.
inline double probe(double v) { return v - v; }

ParamSpec period_param(double default_value, double min_value = 1) {
  return {"period", ParamKind::Integer, default_value, min_value, kMaxPeriod, false, nullptr};
}

int64_t lookback_zero(const ParamValues&, int) { return 0; }
int64_t lookback_period(const ParamValues& p, int) { return p.integer(0); }
int64_t lookback_period_minus_one(const ParamValues& p, int) { return p.integer(0) - 1; }

// ------------------------------------------------------------------------------------------
// OBV: starts at volume[0]; adds the volume when the close rises, subtracts it when it falls.
// The direction is a coin flip, so it is applied as a factor (+1, -1 or 0, read from a table
// with an index computed without a branch): v * (+/-1), v * 0 and x + 0 are exact, so the
// values are TA-Lib's to the bit. Adding close - close (0, or NaN for a missing close) makes a
// missing value reach the running total, which is checked once at the end.

bool compute_obv(const double* const* in, int64_t n, double* const* out, const ParamValues&) {
  if (n < 1) return true;
  static constexpr double kSign[3] = {-1.0, 0.0, 1.0};
  const double* close = in[0];
  const double* volume = in[1];
  double* obv_out = out[0];
  double obv = volume[0] + probe(close[0]);
  double prev = close[0];
  obv_out[0] = obv;
  for (int64_t i = 1; i < n; ++i) {
    const double c = close[i];
    const int up = c > prev;
    const int down = c < prev;
    obv += kSign[1 + up - down] * volume[i] + probe(c);
    prev = c;
    obv_out[i] = obv;
  }
  return finite(obv);
}

// ------------------------------------------------------------------------------------------
// Chaikin A/D line: ad += ((c - l) - (h - c)) / (h - l) * v, nothing added when h - l <= 0.

// A bar with h - l <= 0 adds (h - l + c + v) * 0, an exact zero for finite values and NaN for
// a missing one: a NaN anywhere reaches the running total (checked once at the end) without a
// second dependency chain, and the values stay TA-Lib's to the bit.
struct AdStep {
  double ad = 0.0;
  double next(double h, double l, double c, double v) {
    const double range = h - l;
    ad += range > 0.0 ? (((c - l) - (h - c)) / range) * v : (range + c + v) * 0.0;
    return ad;
  }
  bool clean() const { return finite(ad); }
};

bool compute_ad(const double* const* in, int64_t n, double* const* out, const ParamValues&) {
  AdStep step;
  for (int64_t i = 0; i < n; ++i) out[0][i] = step.next(in[0][i], in[1][i], in[2][i], in[3][i]);
  return step.clean();
}

// Chaikin A/D oscillator: EMA(fast) - EMA(slow) of the A/D line, both seeded with the A/D value
// of the first bar (not an SMA), as TA-Lib. TA-Lib's builds contract k * ad + (1 - k) * e into
// fma(1 - k, e, k * ad); the explicit fused multiply-add reproduces its values to the bit. The
// periods are used as given (TA-Lib neither swaps nor rejects fast > slow); lookback
// max(fast, slow) - 1.
//
// A fused multiply-add is correctly rounded wherever it runs, but this file is built for the
// x86-64 baseline, where std::fma is a library call that costs more than the rest of the bar.
// On CPUs with FMA (the ones the AVX2/AVX-512 kernels run on) the same loop is compiled with
// the FMA instruction; both give the same bits.

#if defined(__GNUC__) || defined(__clang__)
#define NSE_ALWAYS_INLINE inline __attribute__((always_inline))
inline double fused_multiply_add(double a, double b, double c) { return __builtin_fma(a, b, c); }
#else
#define NSE_ALWAYS_INLINE inline
inline double fused_multiply_add(double a, double b, double c) { return std::fma(a, b, c); }
#endif

NSE_ALWAYS_INLINE bool adosc_loop(const double* const* in, int64_t n, int64_t fast_period,
                                  int64_t slow_period, double* result) {
  const double kf = 2.0 / static_cast<double>(fast_period + 1);
  const double ks = 2.0 / static_cast<double>(slow_period + 1);
  const double keep_f = 1.0 - kf;
  const double keep_s = 1.0 - ks;
  AdStep step;
  double fast = step.next(in[0][0], in[1][0], in[2][0], in[3][0]);
  double slow = fast;
  result[0] = 0.0;
  for (int64_t i = 1; i < n; ++i) {
    const double ad = step.next(in[0][i], in[1][i], in[2][i], in[3][i]);
    fast = fused_multiply_add(keep_f, fast, kf * ad);
    slow = fused_multiply_add(keep_s, slow, ks * ad);
    result[i] = fast - slow;
  }
  return step.clean() && finite(fast + slow);
}

bool adosc_portable(const double* const* in, int64_t n, int64_t fast, int64_t slow,
                    double* result) {
  return adosc_loop(in, n, fast, slow, result);
}

#if defined(NSE_HAVE_X86_DISPATCH) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("fma"))) bool adosc_fma(const double* const* in, int64_t n, int64_t fast,
                                              int64_t slow, double* result) {
  return adosc_loop(in, n, fast, slow, result);
}
#endif

bool compute_adosc(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  if (n < 1) return true;
#if defined(NSE_HAVE_X86_DISPATCH) && (defined(__GNUC__) || defined(__clang__))
  // Every instruction set above the baseline implies FMA (kernels/isa.cpp).
  if (active_isa() != Isa::Baseline) return adosc_fma(in, n, p.integer(0), p.integer(1), out[0]);
#endif
  return adosc_portable(in, n, p.integer(0), p.integer(1), out[0]);
}

int64_t adosc_lookback(const ParamValues& p, int) {
  return std::max(p.integer(0), p.integer(1)) - 1;
}

// ------------------------------------------------------------------------------------------
// Balance of power: (close - open) / (high - low), 0 when high - low <= 0.

bool compute_bop(const double* const* in, int64_t n, double* const* out, const ParamValues&) {
  const double* open = in[0];
  const double* high = in[1];
  const double* low = in[2];
  const double* close = in[3];
  double* result = out[0];
  // Division and select without a branch, and an integer flag for missing values (no
  // floating-point dependency chain): the loop vectorises.
  uint64_t missing = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double range = high[i] - low[i];
    const double body = close[i] - open[i];
    const double ratio = body / range;
    result[i] = range > 0.0 ? ratio : 0.0;
    missing |= static_cast<uint64_t>(!(probe(range + body) == 0.0));
  }
  return missing == 0;
}

// ------------------------------------------------------------------------------------------
// Rolling sums over windows of `period` values, O(N), with the digits of a two-pass sum.
//
// Window end points are taken in blocks [b, b + period) from b = period - 1, as in the core's
// rolling mean (kernels/simd_kernels.h). Every window ending in a block contains bar b, so the
// window is the suffix [t - period + 1, b) of the previous block plus the prefix [b, t]; the
// suffix sums are built backwards once per block and the prefix sums forwards. With kAnchored,
// values enter as deviations from the block's own values (x[b], y[b]): the sums then hold
// deviations of the size of the window's spread, not of the price level, so the centred
// moments keep their digits at prices near 1e8, and since only values inside a window ever
// enter its sums a regime change (1e9 -> 1) leaves no residue behind. Without kAnchored
// (non-negative money flows) values enter as they are. The block grid depends on `period`
// alone, so a value never depends on later bars.

enum Need : unsigned { kSumXX = 1u, kSumYY = 2u, kSumXY = 4u };

// Sums of one window, as deviations from the anchors when anchored.
struct PairSums {
  double x, y, xx, yy, xy;
};

template <unsigned kNeed, bool kAnchored, class Emit>
bool rolling_pair_sums(const double* x, const double* y, int64_t n, int64_t period,
                       double* scratch, Emit&& emit) {
  constexpr bool want_xx = (kNeed & kSumXX) != 0;
  constexpr bool want_yy = (kNeed & kSumYY) != 0;
  constexpr bool want_xy = (kNeed & kSumXY) != 0;
  if (n < period) return true;
  const auto p = static_cast<size_t>(period);
  double* suf_x = scratch;
  double* suf_y = suf_x + p;
  double* suf_xx = suf_y + p;
  double* suf_yy = suf_xx + p;
  double* suf_xy = suf_yy + p;
  double check = 0.0;
  for (int64_t b = period - 1; b < n; b += period) {
    const double ax = kAnchored ? x[b] : 0.0;
    const double ay = kAnchored ? y[b] : 0.0;
    {  // suffix sums: suf[k] covers [b - period + 1 + k, b); suf[period - 1] is empty
      double tx = 0.0, ty = 0.0, txx = 0.0, tyy = 0.0, txy = 0.0;
      const double* xs = x + (b - period + 1);
      const double* ys = y + (b - period + 1);
      suf_x[p - 1] = suf_y[p - 1] = suf_xx[p - 1] = suf_yy[p - 1] = suf_xy[p - 1] = 0.0;
      for (size_t k = p - 1; k-- > 0;) {
        const double dx = xs[k] - ax;
        const double dy = ys[k] - ay;
        tx += dx;
        ty += dy;
        suf_x[k] = tx;
        suf_y[k] = ty;
        if (want_xx) suf_xx[k] = txx += dx * dx;
        if (want_yy) suf_yy[k] = tyy += dy * dy;
        if (want_xy) suf_xy[k] = txy += dx * dy;
      }
      check += tx + ty;
    }
    double qx = 0.0, qy = 0.0, qxx = 0.0, qyy = 0.0, qxy = 0.0;
    const auto count = static_cast<size_t>(std::min(period, n - b));
    const double* xb = x + b;
    const double* yb = y + b;
    for (size_t k = 0; k < count; ++k) {
      const double dx = xb[k] - ax;
      const double dy = yb[k] - ay;
      qx += dx;
      qy += dy;
      if (want_xx) qxx += dx * dx;
      if (want_yy) qyy += dy * dy;
      if (want_xy) qxy += dx * dy;
      emit(b + static_cast<int64_t>(k),
           PairSums{suf_x[k] + qx, suf_y[k] + qy, want_xx ? suf_xx[k] + qxx : 0.0,
                    want_yy ? suf_yy[k] + qyy : 0.0, want_xy ? suf_xy[k] + qxy : 0.0});
    }
    // Sums propagate NaN and inf: the prefix sums of every block and the suffix sums cover
    // every value read.
    check += qx + qy + probe(ax + ay);
  }
  return finite(check);
}

// The centred co-moments of a window of `period` values from its (anchored) sums:
// sum((x - mean_x)(y - mean_y)) etc., i.e. period times the population (co)variances.
struct Centred {
  double xy, xx, yy;
};
inline Centred centred(const PairSums& s, double inv_period) {
  return {s.xy - s.x * (s.y * inv_period), s.xx - s.x * (s.x * inv_period),
          s.yy - s.y * (s.y * inv_period)};
}

// Pearson correlation from centred moments: 0 when either variance is zero (a constant window,
// TA-Lib's value); clamped to [-1, 1] against the last-bit rounding of a perfectly
// (anti)correlated window.
inline double correlation(double cxy, double cxx, double cyy) {
  const double denominator = cxx * cyy;
  if (!(denominator > 0.0)) return 0.0;
  const double r = cxy / std::sqrt(denominator);
  return std::min(1.0, std::max(-1.0, r));
}

// Slope of x on the benchmark: cov(x, benchmark) / var(benchmark), 0 when var(benchmark) = 0.
inline double slope(double cxb, double cbb) { return cbb > 0.0 ? cxb / cbb : 0.0; }

std::vector<double> pair_scratch(int64_t period) {
  return std::vector<double>(5 * static_cast<size_t>(period));
}

// ------------------------------------------------------------------------------------------
// Rolling statistics of one column against a benchmark column, on the values as given.
// Inputs: x, benchmark. Outputs from row period - 1.

bool compute_rolling_cov(const double* const* in, int64_t n, double* const* out,
                         const ParamValues& p) {
  const int64_t period = p.integer(0);
  if (n < period) return true;
  const double inv_period = 1.0 / static_cast<double>(period);
  const double inv_dof = 1.0 / static_cast<double>(period - p.integer(1));
  std::vector<double> scratch = pair_scratch(period);
  double* result = out[0];
  return rolling_pair_sums<kSumXY, true>(in[0], in[1], n, period, scratch.data(),
                                         [&](int64_t t, const PairSums& s) {
                                           result[t] = (s.xy - s.x * (s.y * inv_period)) * inv_dof;
                                         });
}

Status check_rolling_cov(const ParamValues& p) {
  if (p.integer(1) == 1 && p.integer(0) < 2) {
    return Status::Error("`period` must be at least 2 with `ddof`=1 (sample covariance), got period=" +
                         std::to_string(p.integer(0)) + " (in `rolling_cov`)");
  }
  return Status::Ok();
}

bool compute_rolling_corr(const double* const* in, int64_t n, double* const* out,
                          const ParamValues& p) {
  const int64_t period = p.integer(0);
  if (n < period) return true;
  const double inv_period = 1.0 / static_cast<double>(period);
  std::vector<double> scratch = pair_scratch(period);
  double* result = out[0];
  return rolling_pair_sums<kSumXX | kSumYY | kSumXY, true>(
      in[0], in[1], n, period, scratch.data(), [&](int64_t t, const PairSums& s) {
        const Centred c = centred(s, inv_period);
        result[t] = correlation(c.xy, c.xx, c.yy);
      });
}

bool compute_rolling_beta(const double* const* in, int64_t n, double* const* out,
                          const ParamValues& p) {
  const int64_t period = p.integer(0);
  if (n < period) return true;
  const double inv_period = 1.0 / static_cast<double>(period);
  std::vector<double> scratch = pair_scratch(period);
  double* result = out[0];
  return rolling_pair_sums<kSumYY | kSumXY, true>(
      in[0], in[1], n, period, scratch.data(), [&](int64_t t, const PairSums& s) {
        const Centred c = centred(s, inv_period);
        result[t] = slope(c.xy, c.yy);
      });
}

// CORREL is rolling_corr with TA-Lib's default period.
bool compute_correl(const double* const* in, int64_t n, double* const* out,
                    const ParamValues& p) {
  return compute_rolling_corr(in, n, out, p);
}

// ------------------------------------------------------------------------------------------
// Rolling windows over a series derived from consecutive bars (returns for BETA, money flows
// for MFI): one derived value per bar from bar 1 on, derived value j belonging to bar j + 1.
// The derived series is produced chunk by chunk into a small buffer (a few hundred KB at
// most, unless the period is larger) instead of being materialised whole: two fresh
// full-length arrays would cost more in page faults than the whole computation. Each chunk
// covers whole blocks of the rolling grid plus the period - 1 derived values before them, so
// the values are exactly those of one pass over the whole derived series.

constexpr int64_t kChunkSpan = 8192;

// derive(lo, hi, a, b, check) fills derived values [lo, hi) into a[0 .. hi-lo), b[...];
// roll(a, b, count, offset) runs the rolling kernel on them (local index i = derived lo + i).
template <class Derive, class Roll>
bool over_derived_chunks(int64_t n_derived, int64_t period, Derive&& derive, Roll&& roll) {
  if (n_derived < period) return true;
  const int64_t span = std::max<int64_t>(1, kChunkSpan / period) * period;
  const auto capacity = static_cast<size_t>(span + period - 1);
  std::vector<double> buffers(2 * capacity + 5 * static_cast<size_t>(period));
  double* a = buffers.data();
  double* b = a + capacity;
  double* scratch = b + capacity;
  bool clean = true;
  for (int64_t first = period - 1; first < n_derived; first += span) {
    const int64_t lo = first - (period - 1);
    const int64_t hi = std::min(first + span, n_derived);
    clean = derive(lo, hi, a, b) && clean;
    clean = roll(a, b, hi - lo, lo, scratch) && clean;
  }
  return clean;
}

// TA-Lib's one-bar return: (p - prev) / prev, 0 when |prev| < 1e-14 (TA_IS_ZERO).
inline double talib_return(double price, double prev) {
  return (prev > -1e-14 && prev < 1e-14) ? 0.0 : (price - prev) / prev;
}

// BETA (TA-Lib): the slope of x's one-bar returns on the benchmark's over `period` returns,
// cov / var(benchmark returns). TA-Lib's BETA(real0, real1) regresses real1's returns on
// real0's, so this is talib.BETA(benchmark, x). Inputs: x, benchmark. Lookback period.
bool compute_beta(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  const int64_t period = p.integer(0);
  const double* x = in[0];
  const double* bench = in[1];
  double* result = out[0];
  const double inv_period = 1.0 / static_cast<double>(period);
  double check = n > 0 ? probe(x[0] + bench[0]) : 0.0;
  const bool clean = over_derived_chunks(
      n - 1, period,
      [&](int64_t lo, int64_t hi, double* rx, double* rb) {
        for (int64_t j = lo; j < hi; ++j) {
          rx[j - lo] = talib_return(x[j + 1], x[j]);
          rb[j - lo] = talib_return(bench[j + 1], bench[j]);
          check += probe(x[j + 1] + bench[j + 1]);
        }
        return true;
      },
      [&](const double* rx, const double* rb, int64_t count, int64_t offset, double* scratch) {
        double* dst = result + offset + 1;
        return rolling_pair_sums<kSumYY | kSumXY, true>(
            rx, rb, count, period, scratch, [&](int64_t t, const PairSums& s) {
              const Centred c = centred(s, inv_period);
              dst[t] = slope(c.xy, c.yy);
            });
      });
  return clean && finite(check);
}

// MFI: money flow tp * volume of each bar (tp = (h + l + c) / 3), positive when tp rose from
// the previous bar, negative when it fell, none when it moved by at most 1e-14 of the two
// prices (TA-Lib's scaled dead zone); MFI = 100 * positive / (positive + negative) over the
// last `period` bars, 0 when both are 0. The window sums are plain block sums (money flows
// are non-negative, so they have no cancellation to guard against). Lookback period.
bool compute_mfi(const double* const* in, int64_t n, double* const* out, const ParamValues& p) {
  const int64_t period = p.integer(0);
  const double* high = in[0];
  const double* low = in[1];
  const double* close = in[2];
  const double* volume = in[3];
  double* result = out[0];
  uint64_t missing = 0;
  std::vector<double> typical;
  const bool clean = over_derived_chunks(
      n - 1, period,
      [&](int64_t lo, int64_t hi, double* positive, double* negative) {
        // Typical prices of bars lo .. hi, then the flows: no branch and no loop-carried
        // value, so both loops vectorise (the direction of a bar is a coin flip, and a branch
        // on it mispredicts every other bar).
        typical.resize(static_cast<size_t>(hi - lo + 1));
        double* tp = typical.data();
        for (int64_t i = lo; i <= hi; ++i) {
          tp[i - lo] = (high[i] + low[i] + close[i]) / 3.0;
          missing |= static_cast<uint64_t>(!(probe(tp[i - lo] + volume[i]) == 0.0));
        }
        for (int64_t k = 0; k < hi - lo; ++k) {
          const double now = tp[k + 1];
          const double before = tp[k];
          const double change = now - before;
          const double dead_zone = 1e-14 * (std::fabs(now) + std::fabs(before));
          const double flow = std::fabs(change) <= dead_zone ? 0.0 : now * volume[lo + k + 1];
          const bool falling = change < 0.0;
          positive[k] = falling ? 0.0 : flow;
          negative[k] = falling ? flow : 0.0;
        }
        return true;
      },
      [&](const double* positive, const double* negative, int64_t count, int64_t offset,
          double* scratch) {
        double* dst = result + offset + 1;
        return rolling_pair_sums<0, false>(
            positive, negative, count, period, scratch, [&](int64_t t, const PairSums& s) {
              const double total = s.x + s.y;
              const double pos = s.x < 0.0 ? 0.0 : (s.x > total ? total : s.x);
              dst[t] = total > 0.0 ? 100.0 * (pos / total) : 0.0;
            });
      });
  return clean && missing == 0;
}

// ------------------------------------------------------------------------------------------
// Session VWAP: the volume-weighted mean of the typical price (h + l + c) / 3 from the first
// bar of the session to the current one; a new session starts wherever the key differs from
// the previous row's. The sums are taken relative to the session's first typical price, so
// the mean keeps its digits at any price level. While the session's volume so far is 0 the
// value is the bar's typical price. Inputs: high, low, close, volume, session key.

bool compute_vwap(const double* const* in, int64_t n, double* const* out, const ParamValues&) {
  const double* high = in[0];
  const double* low = in[1];
  const double* close = in[2];
  const double* volume = in[3];
  const double* key = in[4];
  double* result = out[0];
  double anchor = 0.0, weighted = 0.0, total = 0.0, check = 0.0;
  double session = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double tp = (high[i] + low[i] + close[i]) / 3.0;
    const double v = volume[i];
    if (i == 0 || key[i] != session) {
      session = key[i];
      anchor = tp;
      weighted = 0.0;
      total = 0.0;
    }
    weighted += (tp - anchor) * v;
    total += v;
    result[i] = total != 0.0 ? anchor + weighted / total : tp;
    check += probe(tp + v + key[i]);
  }
  return finite(check);
}

}  // namespace

void add_volume_indicators(std::vector<IndicatorDef>& table) {
  const ParamSpec ddof{"ddof", ParamKind::Integer, 0, 0, 1, false, nullptr};
  table.push_back({"obv", 2, {"close", "volume"}, 1, {"obv"}, 0, {}, nullptr, lookback_zero,
                   compute_obv});
  table.push_back({"ad", 4, {"high", "low", "close", "volume"}, 1, {"ad"}, 0, {}, nullptr,
                   lookback_zero, compute_ad});
  table.push_back({"adosc", 4, {"high", "low", "close", "volume"}, 1, {"adosc"}, 2,
                   {{"fast", ParamKind::Integer, 3, 1, kMaxPeriod, false, nullptr},
                    {"slow", ParamKind::Integer, 10, 1, kMaxPeriod, false, nullptr}},
                   nullptr, adosc_lookback, compute_adosc});
  table.push_back({"mfi", 4, {"high", "low", "close", "volume"}, 1, {"mfi"}, 1,
                   {period_param(14)}, nullptr, lookback_period, compute_mfi});
  table.push_back({"bop", 4, {"open", "high", "low", "close"}, 1, {"bop"}, 0, {}, nullptr,
                   lookback_zero, compute_bop});
  table.push_back({"beta", 2, {"x", "benchmark"}, 1, {"beta"}, 1, {period_param(5)}, nullptr,
                   lookback_period, compute_beta});
  table.push_back({"correl", 2, {"x", "benchmark"}, 1, {"correl"}, 1, {period_param(30)},
                   nullptr, lookback_period_minus_one, compute_correl});
  table.push_back({"vwap", 5, {"high", "low", "close", "volume", "session"}, 1, {"vwap"}, 0, {},
                   nullptr, lookback_zero, compute_vwap});
  table.push_back({"rolling_cov", 2, {"x", "benchmark"}, 1, {"rolling_cov"}, 2,
                   {period_param(20), ddof}, check_rolling_cov, lookback_period_minus_one,
                   compute_rolling_cov});
  table.push_back({"rolling_corr", 2, {"x", "benchmark"}, 1, {"rolling_corr"}, 1,
                   {period_param(20)}, nullptr, lookback_period_minus_one, compute_rolling_corr});
  table.push_back({"rolling_beta", 2, {"x", "benchmark"}, 1, {"rolling_beta"}, 1,
                   {period_param(20)}, nullptr, lookback_period_minus_one, compute_rolling_beta});
}

}  // namespace nse
