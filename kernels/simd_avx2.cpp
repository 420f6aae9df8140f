// Built with AVX2 and FMA enabled (see CMakeLists.txt); only used when the CPU has both.
#define NSE_ISA_NAMESPACE avx2
#include "simd_kernels.h"
