// The escaping stdout: a glibc cookie stream (fopencookie) whose write function escapes each
// buffered piece and writes the result to descriptor 1. A UTF-8 character cut in two by the
// buffer's end waits for the next piece; whatever is left at exit is escaped then.
#include "cli/safe_stdout.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/log.hpp"

namespace physcnn::cli {

namespace {

std::string g_pending;  // the start of a UTF-8 character cut off by the previous piece

bool write_all(const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

ssize_t escaping_write(void*, const char* buf, size_t size) {
  g_pending.append(buf, size);
  std::string out;
  out.reserve(g_pending.size() + 16);
  g_pending.erase(0, append_printable(out, g_pending, false));
  if (!write_all(out)) return -1;
  return ssize_t(size);
}

void flush_pending() {
  std::fflush(stdout);
  if (g_pending.empty()) return;
  std::string out;
  append_printable(out, g_pending, true);
  g_pending.clear();
  write_all(out);
}

}  // namespace

void escape_stdout() {
  cookie_io_functions_t io{};
  io.write = escaping_write;
  FILE* escaped = fopencookie(nullptr, "w", io);
  if (escaped == nullptr) return;  // out of memory at start-up: keep the plain stdout
  // Line-buffered on a terminal (output interleaves with stderr's messages as before), fully
  // buffered into files and pipes.
  setvbuf(escaped, nullptr, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
  std::fflush(stdout);
  stdout = escaped;  // glibc: stdout is an ordinary variable that printf and fputs read
  std::atexit(flush_pending);
}

}  // namespace physcnn::cli
