// Helpers shared by subcommands: parsing of ranges and lists.
#include <sstream>

#include "cli/commands.hpp"
#include "core/error.hpp"

namespace physcnn::cli {

std::vector<double> parse_range(const std::string& text, const std::string& option) {
  auto number = [&](const std::string& s) {
    try {
      size_t used = 0;
      const double v = std::stod(s, &used);
      if (used != s.size()) throw std::invalid_argument(s);
      return v;
    } catch (const std::exception&) {
      throw UsageError(option + ": '" + s +
                       "' is not a number (expected start:stop:count or a,b,c)");
    }
  };
  std::vector<std::string> parts;
  const char sep = text.find(':') != std::string::npos ? ':' : ',';
  std::stringstream ss(text);
  for (std::string p; std::getline(ss, p, sep);) parts.push_back(p);
  std::vector<double> out;
  if (sep == ':') {
    PHYSCNN_CHECK_ARG(parts.size() == 3, option, ": '", text, "' should be start:stop:count");
    const double a = number(parts[0]), b = number(parts[1]), n = number(parts[2]);
    PHYSCNN_CHECK_ARG(n >= 1 && n == std::floor(n) && n <= 100000, option,
                      ": count must be a positive integer, got ", parts[2]);
    PHYSCNN_CHECK_ARG(n == 1 || b > a, option, ": stop (", b, ") must exceed start (", a, ")");
    for (int i = 0; i < int(n); ++i) out.push_back(n == 1 ? a : a + (b - a) * i / (n - 1));
  } else {
    for (const auto& p : parts) out.push_back(number(p));
  }
  PHYSCNN_CHECK_ARG(!out.empty(), option, ": empty list");
  return out;
}

}  // namespace physcnn::cli
