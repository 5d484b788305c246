// The training step's switches (train/step.hpp StepSwitches), from PHYSCNN_FAST_DISABLE on
// first use.
#include "core/switches.hpp"
#include "train/step.hpp"

namespace physcnn::train {

namespace {
StepSwitches& switches() {
  static StepSwitches s{.microbatch = !switch_disabled("microbatch"),
                        .chunk_threads = !switch_disabled("chunk_threads"),
                        .grad_overlap = !switch_disabled("grad_overlap")};
  return s;
}
}  // namespace

StepSwitches step_switches() {
  return switches();
}
void set_step_switches(const StepSwitches& s) {
  switches() = s;
}

}  // namespace physcnn::train
