// Rolling mean/variance over groups of four consecutive blocks, one block per SIMD lane.
// Included by one translation unit per instruction set (moments_avx2.cpp, moments_avx512.cpp),
// each compiled with its own flags; the dispatcher in indicators.cpp picks one at run time.
//
// Each lane performs exactly the operations, in exactly the order, of the scalar block code in
// indicators.cpp (MomentsStripe), and no multiply-add is fused (-ffp-contract=off), so every
// path gives bit-identical results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#ifndef NSE_ISA_NAMESPACE
#error "define NSE_ISA_NAMESPACE before including moments_simd.h"
#endif

namespace nse::kernels::NSE_ISA_NAMESPACE {

#if defined(__GNUC__)  // GCC and Clang vector extensions; other compilers use the scalar path

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

#else

int64_t rolling_moments_groups(const double*, int64_t, int64_t period, double*, double*,
                               bool*) {
  return period - 1;
}

#endif

}  // namespace nse::kernels::NSE_ISA_NAMESPACE
