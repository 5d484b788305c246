// A layer's configuration as plain data: the keys a layer type declares (name, kind, help, what
// values are valid) and the values given for them. nn knows no TOML: io/model_file parses a file
// into LayerArgs checked against the keys, and writes LayerArgs back.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace physcnn::nn {

// What a key's value may be. Besides its kind, any key may accept the strings in
// LayerKey::choices ("same" for padding, "none" for momentum); a Choice key accepts only those.
enum class KeyKind {
  Int,      // an integer; sizes are bounded by the file reader
  Number,   // a number (an integer is accepted)
  Bool,     // true or false
  Choice,   // one of LayerKey::choices
  Ints,     // an integer, or a list of integers of a length in LayerKey::lengths
  Numbers,  // a number, or a list of numbers of a length in LayerKey::lengths
};

// One value as given: bool, integer, number, string, or a list of integers or numbers.
using KeyValue =
    std::variant<bool, int64_t, double, std::string, std::vector<int64_t>, std::vector<double>>;
// The keys given for one layer (absent keys take the layer's defaults).
using LayerArgs = std::map<std::string, KeyValue>;

struct LayerKey {
  std::string name;
  KeyKind kind = KeyKind::Int;
  std::string help;                  // one line for the key reference
  std::vector<std::string> choices;  // accepted strings
  std::vector<size_t> lengths;       // accepted list lengths (Ints, Numbers)
  bool required = false;
  std::string list_form = "";  // how the list reads in messages: "[h, w]"
};

// An extent: an integer, or [h, w] too when two_d (kernel, stride, ...).
LayerKey extent_key(const std::string& name, const std::string& help, bool two_d,
                    bool required = false);
LayerKey bool_key(const std::string& name, const std::string& help);

// "an integer or [h, w]": what a key accepts, for messages and the key reference.
std::string key_expectation(const LayerKey& key);
// The value as TOML writes it: 3, 0.5, true, "same", [3, 5].
std::string key_value_text(const KeyValue& v);

// Reads LayerArgs that were checked against the keys (io does that with file and line), with the
// option struct's own defaults for absent keys. A value of the wrong kind is a UsageError naming
// the key (a caller that builds LayerArgs by hand gets a message, not a crash).
class ArgReader {
 public:
  ArgReader(const LayerArgs& args, std::string context)
      : args_(args), context_(std::move(context)) {}
  bool has(const std::string& key) const { return args_.count(key) > 0; }
  int64_t get_int(const std::string& key, int64_t dflt) const;
  double get_number(const std::string& key, double dflt) const;
  bool get_bool(const std::string& key, bool dflt) const;
  std::string get_string(const std::string& key, const std::string& dflt) const;
  const KeyValue* find(const std::string& key) const;
  // An enum spelled as one of names.
  template <class E>
  E choice(const std::string& key, E dflt,
           const std::vector<std::pair<std::string, E>>& names) const {
    if (!has(key)) return dflt;
    const std::string s = get_string(key, "");
    for (const auto& [name, e] : names)
      if (name == s) return e;
    throw UsageError(context_ + ": " + key + " \"" + s + "\" is not a valid value");
  }
  [[noreturn]] void wrong_kind(const std::string& key, const std::string& expected) const;

 private:
  const LayerArgs& args_;
  std::string context_;
};

// The name an enum value is written as (the first name of names with that value).
template <class E>
std::string choice_name(E e, const std::vector<std::pair<std::string, E>>& names) {
  for (const auto& [name, v] : names)
    if (v == e) return name;
  return "";
}
template <class E>
std::vector<std::string> choice_names(const std::vector<std::pair<std::string, E>>& names) {
  std::vector<std::string> out;
  for (const auto& [name, _] : names) out.push_back(name);
  return out;
}

}  // namespace physcnn::nn
