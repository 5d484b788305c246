// Ctrl-C (SIGINT) and SIGTERM as a request to stop after the current training step, so that the
// checkpoints stay consistent and the run can be continued with --resume.
#pragma once

namespace physcnn::cli {

// Installs the handlers for its lifetime (the default actions come back at its end).
class StopOnSignal {
 public:
  StopOnSignal();
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;
  // A signal arrived since the guard was made.
  static bool requested();
};

}  // namespace physcnn::cli
