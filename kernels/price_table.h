// The kernels of the single-input indicators of kernels/ind_price.cpp, one table per instruction
// set: kernels/price_kernels.h is compiled once for the x86-64 baseline (price_baseline.cpp)
// and once with AVX2 and FMA (price_avx2.cpp, also used on AVX-512 CPUs: these kernels are
// scalar recurrences and block scans, where wider vectors buy nothing). Both give bit-identical
// results: the same IEEE operations in the same order, multiply-adds only as explicit std::fma
// (correctly rounded: a hardware FMA and the C library's fma agree), -ffp-contract=off.
#pragma once

#include <array>

#include "params.h"

namespace nse::price {

// Each entry is the indicator's ComputeFn (params in the order of its ParamSpec table).
enum Fn : int {
  kWma, kDema, kTema, kTrima, kKama, kT3, kStddev, kVar, kRoc, kRocp, kRocr, kRocr100, kMom,
  kCmo, kApo, kPpo, kTrix, kMidpoint, kLinearreg, kLinearregSlope, kLinearregIntercept,
  kLinearregAngle, kTsf, kStochrsi, kHma, kZscore, kFnCount
};

// Moving-average types of the `ma_type` parameters, in the order of kMaChoices (TA-Lib's
// matype numbering, without MAMA).
enum MaType : int { kSma, kEma, kWmaType, kDemaType, kTemaType, kTrimaType, kKamaType, kT3Type };
constexpr const char* kMaChoices = "sma|ema|wma|dema|tema|trima|kama|t3";
constexpr double kT3DefaultVFactor = 0.7;  // what TA-Lib's MA uses for T3

using Table = std::array<ComputeFn, kFnCount>;

namespace baseline {
const Table& table();
}
namespace avx2 {
const Table& table();
}

// Leading null rows of MA(type, period) on dense input, as TA-Lib's TA_MA_Lookback.
int64_t ma_lookback(int type, int64_t period);
// floor(sqrt(n)) for n >= 0, exactly.
int64_t isqrt(int64_t n);

}  // namespace nse::price
