// Shape arithmetic and printing.
#include "core/shape.hpp"

#include "core/error.hpp"

namespace physcnn {

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_)
    PHYSCNN_CHECK_SHAPE(!__builtin_mul_overflow(n, d, &n), "shape ", str(),
                        " has more elements than a 64-bit count holds");
  return n;
}

int64_t Shape::normalize(int64_t d) const {
  const int64_t r = rank();
  PHYSCNN_CHECK_SHAPE(d >= -r && d < r, "dimension ", d, " is out of range for a tensor of shape ",
                      str());
  return d < 0 ? d + r : d;
}

std::vector<int64_t> Shape::contiguous_strides() const {
  std::vector<int64_t> s(dims_.size());
  int64_t acc = 1;
  for (size_t i = dims_.size(); i-- > 0;) {
    s[i] = acc;
    acc *= dims_[i];
  }
  return s;
}

std::string Shape::str() const {
  std::string out = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) out += ",";
    out += std::to_string(dims_[i]);
  }
  return out + "]";
}

std::ostream& operator<<(std::ostream& os, const Shape& s) {
  return os << s.str();
}

}  // namespace physcnn
