// Dense indicator kernels: inputs have no missing values (the engine compacts nulls and NaNs
// away before calling them). Each returns false when it met a NaN after all (the engine then
// reruns over the valid rows): detecting NaN inside the kernel's own pass saves a separate
// scan of the input. Definitions, seeding and lookbacks follow TA-Lib; see
// REFERENCE.md and the docstrings in nse_polars/functions.py.
#pragma once

#include <cstdint>

namespace nse::kernels {

// Rolling mean (and population variance when var_out is non-null) of windows of `period`
// values ending at t, for t in [period - 1, n). Stays within a few ulps of an exact
// computation at any price level: each window is accumulated relative to one of its own
// values, and only values inside the window ever enter its sums.
bool rolling_mean_var(const double* x, int64_t n, int64_t period, double* mean_out,
                       double* var_out);

bool sma(const double* x, int64_t n, int64_t period, double* out);

// seed_first=false: TA-Lib (seeded with the SMA of the first `period` values, lookback
// period - 1); seed_first=true: seeded with the first value, lookback 0.
bool ema(const double* x, int64_t n, int64_t period, bool seed_first, double* out);

bool rsi(const double* x, int64_t n, int64_t period, double* out);

bool macd(const double* x, int64_t n, int64_t fast, int64_t slow, int64_t signal,
           double* macd_out, double* signal_out, double* hist_out);

bool bbands(const double* x, int64_t n, int64_t period, double num_std, double* upper,
             double* middle, double* lower);

}  // namespace nse::kernels
