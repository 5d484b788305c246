// Strict reading of human-written TOML (model and experiment files): parse errors, unknown keys
// (with the nearest valid name) and wrong types all become UsageErrors that start "FILE:LINE:".
// General purpose: knows nothing about models.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "core/error.hpp"

namespace physcnn::io {

// Every error of these helpers: a UsageError whose message already starts "FILE:LINE:", so
// callers that add their own location can let it pass unchanged.
class TomlError : public UsageError {
 public:
  using UsageError::UsageError;
};

// The text of a TOML file: a regular file of at most 16 MiB (IoError otherwise: a device such as
// /dev/zero, a FIFO or a directory is refused before reading).
std::string read_toml_text(const std::string& path);
// Parses a file; a missing or unreadable file is an IoError, bad TOML a TomlError
// "FILE:LINE:COL: message".
toml::table parse_toml_file(const std::string& path);
// Parses text; source_name stands for the file in every message ("model.toml", "<string>").
toml::table parse_toml(std::string_view text, const std::string& source_name);

// "FILE:LINE" of a node, key or region ("FILE" alone when toml++ knows no line).
std::string toml_where(const toml::source_region& where);
std::string toml_where(const toml::node& node);
// The TOML name of a node's type: "integer", "string", "array", ...
std::string toml_type_name(const toml::node& node);

// Every key of `table` must be in `allowed`; otherwise a UsageError
// "FILE:LINE: unknown key 'kernal' in <context>; did you mean 'kernel'?" (the suggestion only when
// a name is close). context names the table: "[[layer]] 3 (conv2d)", "the top level".
void check_keys(const toml::table& table, const std::vector<std::string>& allowed,
                const std::string& context);

// The closest candidate by Damerau-Levenshtein distance (case-insensitive), or "" when none is
// within max(1, |word| / 3) edits: 'kernal' -> 'kernel', 'xyz' -> "".
std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates);
// "; did you mean 'kernel'?" or "" (for appending to messages).
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// Typed getters. get_*: nullopt when the key is absent; require_*: a UsageError naming the key
// and context when absent. Both throw "FILE:LINE: <context>: 'key' must be <expected>, found
// <type>" for a wrong type. get_double accepts integers; get_int rejects floats (3.0 is not 3).
std::optional<int64_t> get_int(const toml::table& t, const std::string& key,
                               const std::string& context);
std::optional<double> get_double(const toml::table& t, const std::string& key,
                                 const std::string& context);
std::optional<std::string> get_string(const toml::table& t, const std::string& key,
                                      const std::string& context);
std::optional<bool> get_bool(const toml::table& t, const std::string& key,
                             const std::string& context);
// An array of integers (an empty array is allowed).
std::optional<std::vector<int64_t>> get_int_list(const toml::table& t, const std::string& key,
                                                 const std::string& context);
// An array of strings.
std::optional<std::vector<std::string>> get_string_list(const toml::table& t,
                                                        const std::string& key,
                                                        const std::string& context);

int64_t require_int(const toml::table& t, const std::string& key, const std::string& context);
double require_double(const toml::table& t, const std::string& key, const std::string& context);
std::string require_string(const toml::table& t, const std::string& key,
                           const std::string& context);
bool require_bool(const toml::table& t, const std::string& key, const std::string& context);
std::vector<int64_t> require_int_list(const toml::table& t, const std::string& key,
                                      const std::string& context);

// A UsageError "FILE:LINE: <context>: 'key' must be <expected>, found <type> (<value>)", for
// callers that read a node themselves (an int or a list, say).
[[noreturn]] void throw_type_error(const toml::node& node, const std::string& key,
                                   const std::string& expected, const std::string& context);
// A UsageError "FILE:LINE: <context>: <message>" located at a node.
[[noreturn]] void throw_at(const toml::node& node, const std::string& context,
                           const std::string& message);

}  // namespace physcnn::io
