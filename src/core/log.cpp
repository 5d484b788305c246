// Logging sink.
#include "core/log.hpp"

#include <atomic>
#include <cstdio>

namespace physcnn {

namespace {
std::atomic<LogLevel> g_level{LogLevel::Info};
}

LogLevel log_level() {
  return g_level.load();
}
void set_log_level(LogLevel level) {
  g_level = level;
}

void log_write(LogLevel level, const std::string& msg) {
  static const char* tags[] = {"debug", "info", "warning", "error", ""};
  std::fprintf(stderr, "%s%s%s\n", level == LogLevel::Info ? "" : tags[int(level)],
               level == LogLevel::Info ? "" : ": ", msg.c_str());
}

}  // namespace physcnn
