// Layer keys as plain data: what a key accepts, how a value prints, and reading values back with
// the option struct's defaults.
#include "nn/layer_keys.hpp"

#include <cstdio>
#include <cstdlib>

namespace physcnn::nn {

namespace {
std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : (i + 1 == names.size() ? " or " : ", ")) + ("\"" + names[i] + "\"");
  return out;
}

// The shortest text that reads back as exactly v (0.1, 1e-05), so written files stay readable.
std::string number_text(double v) {
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  // TOML needs a '.' or an exponent to read the value back as a float.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}
}  // namespace

LayerKey extent_key(const std::string& name, const std::string& help, bool two_d, bool required) {
  if (!two_d) return {.name = name, .kind = KeyKind::Int, .help = help, .required = required};
  return {.name = name,
          .kind = KeyKind::Ints,
          .help = help,
          .lengths = {2},
          .required = required,
          .list_form = "[h, w]"};
}

LayerKey bool_key(const std::string& name, const std::string& help) {
  return {.name = name, .kind = KeyKind::Bool, .help = help};
}

std::string key_expectation(const LayerKey& key) {
  if (key.kind == KeyKind::Choice) return "one of " + quoted_list(key.choices);
  std::vector<std::string> parts;
  switch (key.kind) {
    case KeyKind::Int:
    case KeyKind::Ints:
      parts.push_back("an integer");
      break;
    case KeyKind::Number:
    case KeyKind::Numbers:
      parts.push_back("a number");
      break;
    case KeyKind::Bool:
      parts.push_back("a boolean");
      break;
    case KeyKind::Choice:
      break;
  }
  if (!key.lengths.empty()) {
    if (!key.list_form.empty()) {
      parts.push_back(key.list_form);
    } else {
      std::string n;
      for (size_t i = 0; i < key.lengths.size(); ++i)
        n += (i == 0 ? "" : " or ") + std::to_string(key.lengths[i]);
      parts.push_back("a list of " + n + (key.kind == KeyKind::Ints ? " integers" : " numbers"));
    }
  }
  for (const auto& c : key.choices) parts.push_back("\"" + c + "\"");
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i == 0 ? "" : (i + 1 == parts.size() ? " or " : ", ")) + parts[i];
  return out;
}

std::string key_value_text(const KeyValue& v) {
  struct Text {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return number_text(d); }
    std::string operator()(const std::string& s) const { return "\"" + s + "\""; }
    std::string operator()(const std::vector<int64_t>& l) const {
      std::string out = "[";
      for (size_t i = 0; i < l.size(); ++i) out += (i ? ", " : "") + std::to_string(l[i]);
      return out + "]";
    }
    std::string operator()(const std::vector<double>& l) const {
      std::string out = "[";
      for (size_t i = 0; i < l.size(); ++i) out += (i ? ", " : "") + number_text(l[i]);
      return out + "]";
    }
  };
  return std::visit(Text{}, v);
}

const KeyValue* ArgReader::find(const std::string& key) const {
  auto it = args_.find(key);
  return it == args_.end() ? nullptr : &it->second;
}

void ArgReader::wrong_kind(const std::string& key, const std::string& expected) const {
  throw UsageError(context_ + ": '" + key + "' must be " + expected + ", got " +
                   key_value_text(*find(key)));
}

int64_t ArgReader::get_int(const std::string& key, int64_t dflt) const {
  const KeyValue* v = find(key);
  if (!v) return dflt;
  if (const auto* i = std::get_if<int64_t>(v)) return *i;
  wrong_kind(key, "an integer");
}

double ArgReader::get_number(const std::string& key, double dflt) const {
  const KeyValue* v = find(key);
  if (!v) return dflt;
  if (const auto* d = std::get_if<double>(v)) return *d;
  if (const auto* i = std::get_if<int64_t>(v)) return double(*i);
  wrong_kind(key, "a number");
}

bool ArgReader::get_bool(const std::string& key, bool dflt) const {
  const KeyValue* v = find(key);
  if (!v) return dflt;
  if (const auto* b = std::get_if<bool>(v)) return *b;
  wrong_kind(key, "a boolean");
}

std::string ArgReader::get_string(const std::string& key, const std::string& dflt) const {
  const KeyValue* v = find(key);
  if (!v) return dflt;
  if (const auto* s = std::get_if<std::string>(v)) return *s;
  wrong_kind(key, "a string");
}

}  // namespace physcnn::nn
