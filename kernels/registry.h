// The indicator table is assembled from families, each in its own file; kernels/indicators.cpp
// holds the five core indicators and the overlay and calls the family adders below.
#pragma once

#include <vector>

#include "params.h"

namespace nse {

// Single-input indicators beyond the core five (moving averages, oscillators, rolling
// statistics of one column): kernels/ind_price.cpp.
void add_price_indicators(std::vector<IndicatorDef>& table);

// Price-range indicators over high, low and close (volatility, direction, channels, stops):
// kernels/ind_hlc.cpp.
void add_hlc_indicators(std::vector<IndicatorDef>& table);

// Indicators that read volume or open, session VWAP, and statistics against a benchmark
// column (covariance, correlation, beta): kernels/ind_volume.cpp.
void add_volume_indicators(std::vector<IndicatorDef>& table);

}  // namespace nse
