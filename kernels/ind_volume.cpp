// Volume, open, session VWAP and benchmark-relative indicators (see registry.h).

#include "registry.h"

namespace nse {

void add_volume_indicators(std::vector<IndicatorDef>& table) { (void)table; }

}  // namespace nse
