// Single-input indicators beyond the core five (see registry.h).

#include "registry.h"

namespace nse {

void add_price_indicators(std::vector<IndicatorDef>& table) { (void)table; }

}  // namespace nse
