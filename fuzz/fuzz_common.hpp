// Shared plumbing of the libFuzzer targets: a per-process scratch file for readers that take a
// path, and the rule every target checks — a reader either returns or throws physcnn::Error (a
// clear message, exit 2/3/4 in the command). Any other exception escapes to libFuzzer, which
// reports it as a crash, as it does for sanitizer findings, timeouts and memory beyond the limit.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/error.hpp"

namespace physcnn::fuzz {

// A file under $TMPDIR (or /tmp) named after the target and the process, rewritten for every
// input and removed at exit, so parallel fuzzers (-jobs, ctest -j) never share one.
class ScratchFile {
 public:
  ScratchFile(const char* target, const char* suffix) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/physcnn-fuzz-" + target + "-" +
            std::to_string(::getpid()) + suffix;
  }
  ~ScratchFile() { std::remove(path_.c_str()); }
  const std::string& write(const uint8_t* data, size_t size) {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f) std::abort();
    if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
    if (std::fclose(f) != 0) std::abort();
    return path_;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs f; a physcnn::Error is the reader refusing the input, which is the expected outcome.
template <class F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const physcnn::Error&) {
  }
}

}  // namespace physcnn::fuzz
