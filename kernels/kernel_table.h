// The numeric kernels, one table per instruction set (see simd_kernels.h and isa.h).
// Every kernel takes dense input (no missing values), writes its outputs for t >= lookback
// (entries before it are scratch) and returns false if it read a NaN or an infinity after all,
// in which case the engine reruns it over the valid rows.
#pragma once

#include <cstdint>

namespace nse::kernels {

enum class Moments {
  Mean,      // out0 = rolling mean
  MeanVar,   // out0 = mean, out1 = population variance
  Bands,     // out0 = mean, out1 = mean + num_std * std, out2 = mean - num_std * std
};

struct OverlayParams {
  int64_t sma_period;
  int64_t ema_period;
  int64_t rsi_period;
  int64_t macd_fast;
  int64_t macd_slow;
  int64_t macd_signal;
  int64_t bb_period;
  double bb_num_std;
};

struct KernelTable {
  bool (*rolling)(const double* x, int64_t n, int64_t period, Moments mode, double num_std,
                  double* out0, double* out1, double* out2);
  bool (*ema)(const double* x, int64_t n, int64_t period, bool seed_first, double* out);
  bool (*rsi)(const double* x, int64_t n, int64_t period, double* out);
  bool (*macd)(const double* x, int64_t n, int64_t fast, int64_t slow, int64_t signal,
               double* macd_out, double* signal_out, double* hist_out);
  // Outputs: sma, ema, rsi, macd, macd_signal, macd_hist, bb_upper, bb_middle, bb_lower.
  bool (*overlay)(const double* x, int64_t n, const OverlayParams& params, double* const* out);
};

namespace baseline {
const KernelTable& table();
}
namespace avx2 {
const KernelTable& table();
}
namespace avx512 {
const KernelTable& table();
}

// The table of the instruction set chosen at start-up (NSE_POLARS_ISA caps it).
const KernelTable& active();

}  // namespace nse::kernels
