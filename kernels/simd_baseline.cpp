// The kernels for any CPU: scalar code only (on x86-64 the baseline has SSE2, and emulating four
// lanes with two-wide SSE2 measured slower than plain scalar code).
#define NSE_ISA_NAMESPACE baseline
#define NSE_SCALAR_ONLY
#include "simd_kernels.h"
