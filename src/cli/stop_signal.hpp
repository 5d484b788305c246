// Ctrl-C (SIGINT) and SIGTERM as a request to stop after the current training step, so that the
// checkpoints stay consistent and the run can be continued with --resume.
//
// No signal handler ever runs on a computing thread: main() blocks both signals before any
// thread exists (threads inherit the mask), and one thread waits for them with sigwait. An
// asynchronous handler that only set a flag, interrupting a training step, corrupted the heap in
// about one run of four (the interrupted code's stack below its stack pointer, where the handler
// frame goes, is the likely victim; not pinned down further).
#pragma once

namespace physcnn::cli {

// Call first in main(), before any thread is created. Outside a StopOnSignal scope, or at the
// second signal within one, a signal has its default action (the process ends).
void route_stop_signals();

// Within its lifetime, a signal is a stop request that requested() reports.
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
