#include "isa.h"

#include "kernel_table.h"

#include <cstdlib>
#include <cstring>

namespace nse {
namespace {

Isa best_supported() {
#if defined(NSE_HAVE_X86_DISPATCH) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  // The AVX2 and AVX-512 builds also use FMA instructions.
  if (!__builtin_cpu_supports("fma")) return Isa::Baseline;
  if (__builtin_cpu_supports("avx512f")) return Isa::Avx512;
  if (__builtin_cpu_supports("avx2")) return Isa::Avx2;
#endif
  return Isa::Baseline;
}

Isa choose() {
  const Isa best = best_supported();
  const char* requested = std::getenv("NSE_POLARS_ISA");
  if (!requested || !*requested) return best;
  Isa want = best;
  if (std::strcmp(requested, "baseline") == 0) want = Isa::Baseline;
  else if (std::strcmp(requested, "avx2") == 0) want = Isa::Avx2;
  else if (std::strcmp(requested, "avx512") == 0) want = Isa::Avx512;
  // Never more than the CPU has: an unsupported request falls back to the best available.
  return static_cast<int>(want) <= static_cast<int>(best) ? want : best;
}

}  // namespace

Isa active_isa() {
  static const Isa isa = choose();
  return isa;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    case Isa::Baseline: break;
  }
  return "baseline";
}

namespace kernels {

const KernelTable& active() {
  static const KernelTable& chosen = [] () -> const KernelTable& {
    switch (active_isa()) {
#if defined(NSE_HAVE_X86_DISPATCH)
      case Isa::Avx512: return avx512::table();
      case Isa::Avx2: return avx2::table();
#endif
      default: return baseline::table();
    }
  }();
  return chosen;
}

}  // namespace kernels

std::vector<std::string> supported_isas() {
  std::vector<std::string> out;
  for (int i = 0; i <= static_cast<int>(best_supported()); ++i) {
    out.emplace_back(isa_name(static_cast<Isa>(i)));
  }
  return out;
}

}  // namespace nse
