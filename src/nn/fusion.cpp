// The fusion switch, initialised from PHYSCNN_FAST_DISABLE on first use.
#include "nn/fusion.hpp"

#include "core/switches.hpp"

namespace physcnn::nn {

namespace {
bool& fusion() {
  static bool on = !switch_disabled("fusion");
  return on;
}
}  // namespace

bool fusion_enabled() {
  return fusion();
}
void set_fusion_enabled(bool on) {
  fusion() = on;
}

}  // namespace physcnn::nn
