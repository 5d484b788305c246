// Logging sink.
#include "core/log.hpp"

#include <atomic>
#include <cstdio>

namespace physcnn {

namespace {
std::atomic<LogLevel> g_level{LogLevel::Info};
}

std::string printable(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
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
               level == LogLevel::Info ? "" : ": ", printable(msg).c_str());
}

}  // namespace physcnn
