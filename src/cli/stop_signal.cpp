// The stop request: a thread that waits for SIGINT/SIGTERM (blocked everywhere else) sets it, the
// trainer polls it after every step.
#include "cli/stop_signal.hpp"

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <thread>

namespace physcnn::cli {

namespace {

std::atomic<bool> g_guarded{false};
std::atomic<bool> g_stop{false};

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// The default action of `sig` for the whole process: unblocked on this thread and raised here.
[[noreturn]] void die_of(int sig) {
  std::signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  raise(sig);
  std::_Exit(128 + sig);  // not reached: the default action ends the process
}

void wait_for_signals() {
  const sigset_t set = stop_signals();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    // A second signal while a stop is pending ends the process at once.
    if (!g_guarded.load() || g_stop.exchange(true)) die_of(sig);
  }
}

}  // namespace

void route_stop_signals() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread(wait_for_signals).detach();
}

StopOnSignal::StopOnSignal() {
  g_stop = false;
  g_guarded = true;
}

StopOnSignal::~StopOnSignal() {
  g_guarded = false;
}

bool StopOnSignal::requested() {
  return g_stop.load();
}

}  // namespace physcnn::cli
