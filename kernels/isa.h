// Run-time choice of the instruction set for the SIMD kernels. The shipped module is built for
// the portable x86-64 baseline; AVX2 and AVX-512 kernels live in their own translation units and
// run only when the CPU has them. NSE_POLARS_ISA=baseline|avx2|avx512 caps the choice (for
// tests and benchmarks); every path gives bit-identical results.
#pragma once

#include <string>
#include <vector>

namespace nse {

enum class Isa { Baseline = 0, Avx2 = 1, Avx512 = 2 };

Isa active_isa();
const char* isa_name(Isa isa);
std::vector<std::string> supported_isas();  // of this CPU and build, best last

}  // namespace nse
