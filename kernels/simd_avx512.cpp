// Built with AVX-512F enabled (see CMakeLists.txt); only called when the CPU has AVX-512F.
// The same four-lane kernels as AVX2: eight lanes measured no faster (strided loads bound them).
#define NSE_ISA_NAMESPACE avx512
#include "simd_kernels.h"

namespace nse::kernels::avx512 {
bool macd(const double* x, int64_t n, int64_t fast, int64_t slow, int64_t signal,
          double* macd_out, double* signal_out, double* hist_out) {
  return macd_core(x, n, fast, slow, signal, macd_out, signal_out, hist_out);
}
}  // namespace nse::kernels::avx512
