// Built with AVX2 enabled (see CMakeLists.txt); only called when the CPU has AVX2.
#define NSE_ISA_NAMESPACE avx2
#include "moments_simd.h"
