// Indicators over several input columns (see registry.h).

#include "registry.h"

namespace nse {

void add_hlcv_indicators(std::vector<IndicatorDef>& table) { (void)table; }

}  // namespace nse
