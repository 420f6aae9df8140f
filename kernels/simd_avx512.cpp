// Built with AVX-512F enabled (see CMakeLists.txt); only used when the CPU has AVX-512F and FMA.
// The same four-lane kernels as AVX2: eight lanes measured no faster (strided loads bound them).
#define NSE_ISA_NAMESPACE avx512
#include "simd_kernels.h"
