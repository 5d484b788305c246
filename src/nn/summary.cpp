// The Keras-style summary table.
#include "nn/summary.hpp"

#include <algorithm>
#include <sstream>

namespace physcnn::nn {

std::string shape_tuple(const Shape& s) {
  std::ostringstream os;
  os << "(";
  for (int64_t i = 0; i < s.rank(); ++i) os << (i ? ", " : "") << s[i];
  os << ")";
  return os.str();
}

namespace {
// 61706 -> "61,706"
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string pad_right(const std::string& s, size_t w) {
  return s.size() >= w ? s + " " : s + std::string(w - s.size(), ' ');
}
std::string pad_left(const std::string& s, size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}
}  // namespace

std::string format_summary(const Summary& s) {
  size_t w_layer = 14, w_shape = 14, w_params = 9, w_macs = 11;
  for (const auto& r : s.rows) {
    w_layer = std::max(w_layer, r.path.size() + r.type.size() + 4);
    w_shape = std::max(w_shape, shape_tuple(r.output).size() + 2);
    w_params = std::max(w_params, grouped(r.params).size() + 2);
    w_macs = std::max(w_macs, grouped(r.macs).size() + 2);
  }
  const size_t width = w_layer + w_shape + w_params + w_macs;
  std::ostringstream os;
  const std::string rule(width, '-'), double_rule(width, '=');
  os << "Input: " << shape_tuple(s.input) << "\n" << rule << "\n";
  os << pad_right("Layer (type)", w_layer) << pad_right("Output shape", w_shape)
     << pad_left("Param #", w_params) << pad_left("MACs", w_macs) << "\n"
     << double_rule << "\n";
  for (const auto& r : s.rows)
    os << pad_right(r.path + " (" + r.type + ")", w_layer)
       << pad_right(shape_tuple(r.output), w_shape) << pad_left(grouped(r.params), w_params)
       << pad_left(grouped(r.macs), w_macs) << "\n";
  os << double_rule << "\n";
  os << "Output: " << shape_tuple(s.output) << "\n";
  os << "Total params: " << grouped(s.total_params) << "\n";
  os << "Trainable params: " << grouped(s.trainable_params) << "\n";
  os << "Non-trainable params: " << grouped(s.total_params - s.trainable_params) << "\n";
  os << "Multiply-adds per sample: " << grouped(s.total_macs) << "\n";
  return os.str();
}

}  // namespace physcnn::nn
