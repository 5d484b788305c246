// Minimal leveled logging to stderr; the CLI sets the level (--quiet, --verbose).
#pragma once

#include <string>

#include "core/error.hpp"

namespace physcnn {

enum class LogLevel { Debug, Info, Warn, Error, Off };

// Text from files (names, keys, paths, messages quoting them) made safe for a terminal: control
// characters other than newline and tab, and DEL, become \xNN, so that no escape sequence in a
// file reaches the terminal. Every message physcnn prints goes through it.
std::string printable(const std::string& text);

LogLevel log_level();
void set_log_level(LogLevel level);
void log_write(LogLevel level, const std::string& msg);

template <class... Args>
void log_info(const Args&... args) {
  if (log_level() <= LogLevel::Info) log_write(LogLevel::Info, detail::cat(args...));
}
template <class... Args>
void log_warn(const Args&... args) {
  if (log_level() <= LogLevel::Warn) log_write(LogLevel::Warn, detail::cat(args...));
}
template <class... Args>
void log_debug(const Args&... args) {
  if (log_level() <= LogLevel::Debug) log_write(LogLevel::Debug, detail::cat(args...));
}

}  // namespace physcnn
