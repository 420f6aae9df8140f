// Built with AVX-512F enabled (see CMakeLists.txt); only called when the CPU has AVX-512F.
// Same four-lane kernel as AVX2: eight lanes measured no faster (the strided loads bound it).
#define NSE_ISA_NAMESPACE avx512
#include "moments_simd.h"
