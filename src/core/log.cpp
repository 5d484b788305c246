// Logging sink.
#include "core/log.hpp"

#include <atomic>
#include <cstdio>

namespace physcnn {

namespace {
std::atomic<LogLevel> g_level{LogLevel::Info};
}

namespace {
void append_hex(std::string& out, unsigned char c) {
  static const char digits[] = "0123456789abcdef";
  out += "\\x";
  out += digits[c >> 4];
  out += digits[c & 15];
}

// Length of the valid UTF-8 sequence at the start of s (1..4), 0 if it is invalid, or -1 if it
// is a valid prefix cut off by the end of s (RFC 3629: no overlong forms, no surrogates).
int utf8_length(std::string_view s) {
  const auto c = static_cast<unsigned char>(s[0]);
  if (c < 0x80) return 1;
  int n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  for (int i = 1; i < n; ++i) {
    if (size_t(i) >= s.size()) return -1;
    const auto b = static_cast<unsigned char>(s[size_t(i)]);
    if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) return 0;
  }
  return n;
}
}  // namespace

size_t append_printable(std::string& out, std::string_view text, bool final) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
        append_hex(out, c);
      else
        out += char(c);
      ++i;
      continue;
    }
    const int n = utf8_length(text.substr(i));
    if (n < 0 && !final) break;  // the rest comes with the next piece
    if (n <= 0) {
      append_hex(out, c);
      ++i;
    } else if (c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) {  // C1 control
      append_hex(out, c);
      append_hex(out, static_cast<unsigned char>(text[i + 1]));
      i += 2;
    } else {
      out.append(text.substr(i, size_t(n)));
      i += size_t(n);
    }
  }
  return i;
}

bool is_valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const int n = utf8_length(text.substr(i));
    if (n <= 0) return false;
    i += size_t(n);
  }
  return true;
}

std::string printable(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  append_printable(out, text, true);
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
