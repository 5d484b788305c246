// flock on the run folder, and the holder's PID from /proc/locks for the refusal message.
#include "train/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace physcnn::train {

namespace {

// The PID holding a flock on the file `fd` refers to, or 0 when /proc/locks does not say. Its
// lines read "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1835 0 EOF" (device major:minor in hex, then
// the inode); waiting requests carry "->" after the number and are skipped.
long lock_holder(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return 0;
  char id[64];
  std::snprintf(id, sizeof id, "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev),
                static_cast<unsigned long long>(st.st_ino));
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream in(line);
    std::string number, kind, mode, access, pid, file;
    in >> number >> kind;
    if (kind == "->") in >> kind;
    in >> mode >> access >> pid >> file;
    if (kind == "FLOCK" && file == id) return std::atol(pid.c_str());
  }
  return 0;
}

}  // namespace

RunLock::RunLock(const std::string& folder) {
  fd_ = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0)
    throw IoError("cannot open run folder " + folder + " to lock it: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  const int err = errno;
  const long holder = err == EWOULDBLOCK ? lock_holder(fd_) : 0;
  ::close(fd_);
  fd_ = -1;
  if (err != EWOULDBLOCK)
    throw IoError("cannot lock run folder " + folder + ": " + std::strerror(err));
  const std::string who = holder > 0 ? "process " + std::to_string(holder) : "another process";
  throw UsageError("run folder " + folder + " is in use: " + who +
                   " is training into it (one run writes a run folder at a time; wait for it "
                   "to finish, stop it" +
                   (holder > 0 ? " with kill -INT " + std::to_string(holder) : std::string()) +
                   ", or choose another --out)");
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace physcnn::train
