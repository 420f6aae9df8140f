// The price-family kernels with AVX2 and FMA enabled (see CMakeLists.txt and price_table.h);
// only used when the CPU has both.
#define NSE_PRICE_ISA avx2
#include "price_kernels.h"
