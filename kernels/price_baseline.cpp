// The price-family kernels for any CPU (see price_table.h).
#define NSE_PRICE_ISA baseline
#include "price_kernels.h"
