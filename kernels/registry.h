// The indicator table is assembled from families, each in its own file; kernels/indicators.cpp
// holds the five core indicators and the overlay and calls the family adders below.
#pragma once

#include <vector>

#include "params.h"

namespace nse {

// Single-input indicators beyond the core five (moving averages, oscillators, rolling
// statistics of one column): kernels/ind_price.cpp.
void add_price_indicators(std::vector<IndicatorDef>& table);

// Indicators over several columns (high, low, close, volume, open, a benchmark):
// kernels/ind_hlcv.cpp.
void add_hlcv_indicators(std::vector<IndicatorDef>& table);

}  // namespace nse
