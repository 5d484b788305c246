// Strict TOML reading: every error names the file and line, unknown keys get the nearest valid
// name.
#include "io/toml_util.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace physcnn::io {

namespace {

std::string context_prefix(const std::string& context) {
  return context.empty() ? std::string() : context + ": ";
}

// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), case-insensitive:
// "kernal" -> "kernel" is 1, "strdie" -> "stride" is 1.
size_t edit_distance(std::string_view a, std::string_view b) {
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

// A short rendering of a value for messages: 3, "same", [3, 3]; tables are not printed.
std::string short_value(const toml::node& node) {
  if (node.is_table()) return "";
  std::ostringstream os;
  if (node.is_array())
    os << *node.as_array();
  else
    node.visit([&os](const auto& v) {
      if constexpr (toml::is_value<decltype(v)>) os << v;
    });
  std::string s = os.str();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return " (" + s + ")";
}

const toml::node* find(const toml::table& t, const std::string& key) {
  return t.get(key);
}

[[noreturn]] void throw_missing(const toml::table& t, const std::string& key,
                                const std::string& context) {
  throw TomlError(toml_where(t) + ": " + context_prefix(context) + "missing required key '" + key +
                  "'");
}

}  // namespace

toml::table parse_toml(std::string_view text, const std::string& source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    std::ostringstream os;
    os << source_name;
    if (b.line > 0) os << ":" << b.line << ":" << b.column;
    os << ": " << e.description();
    throw TomlError(os.str());
  }
}

constexpr std::uintmax_t kMaxTomlFileBytes = 16u << 20;

std::string read_toml_text(const std::string& path) {
  // A regular file of bounded size: /dev/zero or a FIFO would be read forever, a directory
  // "opens" on Linux, and a hand-written TOML file is never gigabytes.
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  PHYSCNN_CHECK(!ec, IoError, path, ": cannot open: ", ec.message());
  PHYSCNN_CHECK(fs::exists(status), IoError, path, ": cannot open: no such file");
  PHYSCNN_CHECK(fs::is_regular_file(status), IoError, path,
                fs::is_directory(status) ? ": is a directory, not a TOML file"
                                         : ": is not a regular file (a device, FIFO or socket)");
  const auto bytes = fs::file_size(path, ec);
  PHYSCNN_CHECK(!ec && bytes <= kMaxTomlFileBytes, IoError, path, ": ", bytes,
                " bytes, more than the ", kMaxTomlFileBytes, "-byte limit for a TOML file");
  std::ifstream in(path, std::ios::binary);
  PHYSCNN_CHECK(in.good(), IoError, path, ": cannot open the file for reading");
  std::ostringstream text;
  text << in.rdbuf();
  PHYSCNN_CHECK(!in.bad(), IoError, path, ": read failed");
  return text.str();
}

toml::table parse_toml_file(const std::string& path) {
  return parse_toml(read_toml_text(path), path);
}

std::string toml_where(const toml::source_region& where) {
  std::string file = where.path ? *where.path : std::string("<toml>");
  // A command-line override ("--set key=value") is its own one-line source.
  if (where.begin.line == 0 || file.starts_with("--set ")) return file;
  return file + ":" + std::to_string(where.begin.line);
}

std::string toml_where(const toml::node& node) {
  return toml_where(node.source());
}

std::string toml_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(1, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string near = nearest_name(word, candidates);
  return near.empty() ? std::string() : "; did you mean '" + near + "'?";
}

void check_keys(const toml::table& table, const std::vector<std::string>& allowed,
                const std::string& context) {
  for (auto&& [key, value] : table) {
    std::string k(key.str());
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    const auto& where = key.source().begin.line > 0 ? key.source() : value.source();
    std::string msg = toml_where(where) + ": unknown key '" + k + "'";
    if (!context.empty()) msg += " in " + context;
    std::string near = did_you_mean(k, allowed);
    if (near.empty()) {
      msg += " (valid keys:";
      for (const auto& a : allowed) msg += " " + a;
      msg += ")";
    }
    throw TomlError(msg + near);
  }
}

void throw_type_error(const toml::node& node, const std::string& key, const std::string& expected,
                      const std::string& context) {
  throw TomlError(toml_where(node) + ": " + context_prefix(context) + "'" + key + "' must be " +
                  expected + ", found " + toml_type_name(node) + short_value(node));
}

void throw_at(const toml::node& node, const std::string& context, const std::string& message) {
  throw TomlError(toml_where(node) + ": " + context_prefix(context) + message);
}

std::optional<int64_t> get_int(const toml::table& t, const std::string& key,
                               const std::string& context) {
  const toml::node* n = find(t, key);
  if (!n) return std::nullopt;
  if (!n->is_integer()) throw_type_error(*n, key, "an integer", context);
  return n->as_integer()->get();
}

std::optional<double> get_double(const toml::table& t, const std::string& key,
                                 const std::string& context) {
  const toml::node* n = find(t, key);
  if (!n) return std::nullopt;
  if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
  if (!n->is_floating_point()) throw_type_error(*n, key, "a number", context);
  const double v = n->as_floating_point()->get();
  // TOML has nan and inf; no setting of ours means anything by them (a NaN rotate angle or noise
  // level used to switch the transform off without a word).
  if (!std::isfinite(v)) throw_type_error(*n, key, "a finite number", context);
  return v;
}

std::optional<std::string> get_string(const toml::table& t, const std::string& key,
                                      const std::string& context) {
  const toml::node* n = find(t, key);
  if (!n) return std::nullopt;
  if (!n->is_string()) throw_type_error(*n, key, "a string", context);
  return n->as_string()->get();
}

std::optional<bool> get_bool(const toml::table& t, const std::string& key,
                             const std::string& context) {
  const toml::node* n = find(t, key);
  if (!n) return std::nullopt;
  if (!n->is_boolean()) throw_type_error(*n, key, "true or false", context);
  return n->as_boolean()->get();
}

std::optional<std::vector<int64_t>> get_int_list(const toml::table& t, const std::string& key,
                                                 const std::string& context) {
  const toml::node* n = find(t, key);
  if (!n) return std::nullopt;
  if (!n->is_array()) throw_type_error(*n, key, "an array of integers", context);
  std::vector<int64_t> out;
  for (const auto& e : *n->as_array()) {
    if (!e.is_integer()) throw_type_error(*n, key, "an array of integers", context);
    out.push_back(e.as_integer()->get());
  }
  return out;
}

std::optional<std::vector<std::string>> get_string_list(const toml::table& t,
                                                        const std::string& key,
                                                        const std::string& context) {
  const toml::node* n = find(t, key);
  if (!n) return std::nullopt;
  if (!n->is_array()) throw_type_error(*n, key, "an array of strings", context);
  std::vector<std::string> out;
  for (const auto& e : *n->as_array()) {
    if (!e.is_string()) throw_type_error(*n, key, "an array of strings", context);
    out.push_back(e.as_string()->get());
  }
  return out;
}

int64_t require_int(const toml::table& t, const std::string& key, const std::string& context) {
  if (auto v = get_int(t, key, context)) return *v;
  throw_missing(t, key, context);
}

double require_double(const toml::table& t, const std::string& key, const std::string& context) {
  if (auto v = get_double(t, key, context)) return *v;
  throw_missing(t, key, context);
}

std::string require_string(const toml::table& t, const std::string& key,
                           const std::string& context) {
  if (auto v = get_string(t, key, context)) return *v;
  throw_missing(t, key, context);
}

bool require_bool(const toml::table& t, const std::string& key, const std::string& context) {
  if (auto v = get_bool(t, key, context)) return *v;
  throw_missing(t, key, context);
}

std::vector<int64_t> require_int_list(const toml::table& t, const std::string& key,
                                      const std::string& context) {
  if (auto v = get_int_list(t, key, context)) return *v;
  throw_missing(t, key, context);
}

}  // namespace physcnn::io
