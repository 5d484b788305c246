// Minimal leveled logging to stderr; the CLI sets the level (--quiet, --verbose).
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace physcnn {

enum class LogLevel { Debug, Info, Warn, Error, Off };

// Text from files (names, keys, paths, messages quoting them) made safe for a terminal: control
// characters other than newline and tab, DEL, the C1 controls U+0080..U+009F (as their two UTF-8
// bytes) and every byte that is not part of valid UTF-8 (a file name in Latin-1, say) become
// \xNN, so that no escape sequence in a file reaches the terminal. Every message physcnn prints
// goes through it; cli/main.cpp sends everything printed on stdout through it too.
std::string printable(const std::string& text);

// True when `text` is well-formed UTF-8 (what TOML and JSON files, hence run folders, can record).
bool is_valid_utf8(std::string_view text);

// The streaming form: escapes `text` onto `out` and returns how many bytes of it were consumed.
// With `final` false a UTF-8 sequence cut off at the end is left unconsumed (the caller keeps it
// for the next piece); with `final` true it is escaped like any invalid byte.
size_t append_printable(std::string& out, std::string_view text, bool final);

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
