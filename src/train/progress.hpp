// A progress bar on a terminal (label, bar, count, rate, ETA, a status text); one log line
// per finished bar when stderr is not a terminal; nothing when quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace physcnn::train {

class Progress {
 public:
  // total: number of steps; unit: what a step counts ("batch", "sweep") for the rate.
  Progress(std::string label, int64_t total, bool quiet = false);
  ~Progress();
  void update(int64_t done, const std::string& status = "");
  void finish(const std::string& status = "");
  static bool stderr_is_terminal();

 private:
  std::string label_;
  int64_t total_;
  bool quiet_, tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace physcnn::train
