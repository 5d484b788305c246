// One writer per run folder: `physcnn train` holds an exclusive flock on the run folder itself
// (no lock file) for the whole run, so that a second `train --out X`, `--resume X` or `--force`
// started while X is being written is refused instead of interleaving its files with the first
// run's. The kernel releases the lock when the process ends, however it ends (kill -9 included),
// so a dead run never blocks its folder.
#pragma once

#include <string>

namespace physcnn::train {

class RunLock {
 public:
  // Locks the existing folder `folder` without waiting. UsageError (exit 2) when another process
  // holds it, naming the folder and that process's PID; IoError when the folder cannot be opened.
  explicit RunLock(const std::string& folder);
  ~RunLock();
  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace physcnn::train
