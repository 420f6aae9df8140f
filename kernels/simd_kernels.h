// Kernels compiled once per instruction set: included by indicators.cpp (baseline) and by
// simd_avx2.cpp / simd_avx512.cpp, each built with its own flags; the dispatcher in
// indicators.cpp picks one at run time. Every path gives bit-identical results:
// - rolling_moments_groups: groups of four consecutive blocks, one block per SIMD lane, each
//   lane repeating exactly the operations of the scalar block code in indicators.cpp, with no
//   multiply-add fused by the compiler (-ffp-contract=off);
// - macd_core: explicit std::fma, which IEEE 754 defines as correctly rounded, so a hardware
//   FMA (AVX2 and AVX-512 builds) and the library's fma (baseline) give the same bits.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#ifndef NSE_ISA_NAMESPACE
#error "define NSE_ISA_NAMESPACE before including moments_simd.h"
#endif

namespace nse::kernels::NSE_ISA_NAMESPACE {

// The MACD of TA-Lib, to the bit: TA-Lib's builds contract ((x - e) k) + e into a fused
// multiply-add, which matters for the signal line (an EMA of values near zero). Both EMAs start
// at bar slow - 1: the slow one seeded with the mean of bars [0, slow), the fast one with the
// mean of bars [slow - fast, slow). Returns false if a non-finite value was read.
inline bool macd_core(const double* x, int64_t n, int64_t fast, int64_t slow, int64_t signal,
                      double* macd_out, double* signal_out, double* hist_out) {
  const int64_t lookback = slow + signal - 2;
  if (n <= lookback) return true;
  const double k_fast = 2.0 / static_cast<double>(fast + 1);
  const double k_slow = 2.0 / static_cast<double>(slow + 1);
  const double k_signal = 2.0 / static_cast<double>(signal + 1);
  double sum = 0.0;
  for (int64_t i = 0; i < slow; ++i) sum += x[i];
  double ema_slow = sum / static_cast<double>(slow);
  sum = 0.0;
  for (int64_t i = slow - fast; i < slow; ++i) sum += x[i];
  double ema_fast = sum / static_cast<double>(fast);
  macd_out[slow - 1] = ema_fast - ema_slow;
  double flag = ema_slow - ema_slow;  // 0, or NaN once a NaN or inf was read
  // The MACD line before the lookback is kept in macd_out (scratch there) to seed the signal.
  int64_t t = slow;
  for (; t <= lookback; ++t) {
    ema_fast = std::fma(x[t] - ema_fast, k_fast, ema_fast);
    ema_slow = std::fma(x[t] - ema_slow, k_slow, ema_slow);
    macd_out[t] = ema_fast - ema_slow;
  }
  sum = 0.0;
  for (int64_t i = slow - 1; i <= lookback; ++i) sum += macd_out[i];
  double sig = sum / static_cast<double>(signal);
  signal_out[lookback] = sig;
  hist_out[lookback] = macd_out[lookback] - sig;
  // One pass for the rest: three independent loop-carried chains that overlap.
  for (; t < n; ++t) {
    ema_fast = std::fma(x[t] - ema_fast, k_fast, ema_fast);
    ema_slow = std::fma(x[t] - ema_slow, k_slow, ema_slow);
    const double line = ema_fast - ema_slow;
    sig = std::fma(line - sig, k_signal, sig);
    macd_out[t] = line;
    signal_out[t] = sig;
    hist_out[t] = line - sig;
  }
  // EMAs propagate NaN and inf for ever: the final state covers every bar read.
  flag += (ema_fast - ema_fast) + (ema_slow - ema_slow) + (sig - sig);
  return flag == 0.0;
}

#if defined(__GNUC__) && !defined(NSE_SCALAR_ONLY)
// GCC and Clang vector extensions; other compilers (and the baseline build) use scalar code.

typedef double Lanes __attribute__((vector_size(32)));

namespace {

template <bool kVar>
inline bool group_of_four(const double* x, int64_t b0, int64_t period, double inv_p,
                          Lanes* suffix1, Lanes* suffix2, double* mean_out, double* var_out) {
  const int64_t p = period;
  const double* x0 = x + b0;
  const double* x1 = x0 + p;
  const double* x2 = x1 + p;
  const double* x3 = x2 + p;
  const Lanes anchor = {x0[0], x1[0], x2[0], x3[0]};
  const Lanes zero = {0.0, 0.0, 0.0, 0.0};
  // Suffix sums of each lane's previous block, read backwards (lane j's previous block is
  // lane j-1's block, which does not matter: each lane has its own anchor).
  Lanes s1 = zero;
  Lanes s2 = zero;
  suffix1[p - 1] = zero;
  if (kVar) suffix2[p - 1] = zero;
  for (int64_t k = 0; k + 1 < p; ++k) {
    const int64_t o = -1 - k;
    const Lanes d = Lanes{x0[o], x1[o], x2[o], x3[o]} - anchor;
    s1 += d;
    suffix1[p - 2 - k] = s1;
    if (kVar) {
      s2 += d * d;
      suffix2[p - 2 - k] = s2;
    }
  }
  const Lanes inv = {inv_p, inv_p, inv_p, inv_p};
  Lanes q1 = zero;
  Lanes q2 = zero;
  double* m0 = mean_out + b0;
  double* v0 = kVar ? var_out + b0 : nullptr;
  for (int64_t k = 0; k < p; ++k) {
    const Lanes d = Lanes{x0[k], x1[k], x2[k], x3[k]} - anchor;
    q1 += d;
    const Lanes m1 = (suffix1[k] + q1) * inv;
    const Lanes mean = anchor + m1;
    m0[k] = mean[0];
    m0[k + p] = mean[1];
    m0[k + 2 * p] = mean[2];
    m0[k + 3 * p] = mean[3];
    if (kVar) {
      q2 += d * d;
      const Lanes var = (suffix2[k] + q2) * inv - m1 * m1;
      v0[k] = var[0] > 0.0 ? var[0] : 0.0;
      v0[k + p] = var[1] > 0.0 ? var[1] : 0.0;
      v0[k + 2 * p] = var[2] > 0.0 ? var[2] : 0.0;
      v0[k + 3 * p] = var[3] > 0.0 ? var[3] : 0.0;
    }
  }
  // Sums propagate NaN and inf: the last prefix and suffix sums cover every value read.
  const Lanes check = (q1 - q1) + (s1 - s1) + (anchor - anchor);
  return check[0] == 0.0 && check[1] == 0.0 && check[2] == 0.0 && check[3] == 0.0;
}

}  // namespace

// Processes whole groups of four blocks from the first block (end point period - 1); returns
// the first end point not processed, and clears *clean if a non-finite value was read.
int64_t rolling_moments_groups(const double* x, int64_t n, int64_t period, double* mean_out,
                               double* var_out, bool* clean) {
  const double inv_p = 1.0 / static_cast<double>(period);
  std::vector<Lanes> suffix(static_cast<std::size_t>(var_out ? 2 * period : period));
  Lanes* suffix1 = suffix.data();
  Lanes* suffix2 = var_out ? suffix1 + period : nullptr;
  int64_t b = period - 1;
  for (; b + 4 * period <= n; b += 4 * period) {
    const bool ok = var_out ? group_of_four<true>(x, b, period, inv_p, suffix1, suffix2,
                                                  mean_out, var_out)
                            : group_of_four<false>(x, b, period, inv_p, suffix1, nullptr,
                                                   mean_out, nullptr);
    if (!ok) *clean = false;
  }
  return b;
}

#endif

}  // namespace nse::kernels::NSE_ISA_NAMESPACE
