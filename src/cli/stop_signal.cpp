// The stop request set from the signal handler and polled by the trainer.
#include "cli/stop_signal.hpp"

#include <csignal>

namespace physcnn::cli {

namespace {
volatile std::sig_atomic_t g_stop = 0;
extern "C" void request_stop(int) {
  g_stop = 1;
}
}  // namespace

StopOnSignal::StopOnSignal() {
  g_stop = 0;
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
}

StopOnSignal::~StopOnSignal() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

bool StopOnSignal::requested() {
  return g_stop != 0;
}

}  // namespace physcnn::cli
