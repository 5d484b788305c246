// Tensor math without autograd: elementwise ops with NumPy broadcasting, reductions, and the
// shape ops (concat, pad). Results are new contiguous tensors of the inputs' dtype; mixing
// float32 and float64 in one op is an error.
#pragma once

#include <utility>
#include <vector>

#include "tensor/tensor.hpp"

namespace physcnn {

// --- elementwise, broadcasting -------------------------------------------------------------
Shape broadcast_shapes(const Shape& a, const Shape& b);
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

Tensor add(const Tensor& a, double s);
Tensor mul(const Tensor& a, double s);
Tensor pow(const Tensor& a, double exponent);
Tensor clamp(const Tensor& a, double lo, double hi);
Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor sign(const Tensor& a);
Tensor square(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);

// 1 where the comparison holds, else 0, in the input's dtype.
Tensor gt(const Tensor& a, double s);
Tensor lt(const Tensor& a, double s);
Tensor ge(const Tensor& a, double s);

// In place: a += b (b broadcast to a's shape), a *= s, a += s * b (same shape).
void add_(Tensor& a, const Tensor& b);
void mul_(Tensor& a, double s);
void axpy_(Tensor& a, double s, const Tensor& b);

inline Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
inline Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
inline Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
inline Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
inline Tensor operator+(const Tensor& a, double s) {
  return add(a, s);
}
inline Tensor operator-(const Tensor& a, double s) {
  return add(a, -s);
}
inline Tensor operator*(const Tensor& a, double s) {
  return mul(a, s);
}
inline Tensor operator*(double s, const Tensor& a) {
  return mul(a, s);
}
inline Tensor operator/(const Tensor& a, double s) {
  return mul(a, 1.0 / s);
}
inline Tensor operator-(const Tensor& a) {
  return neg(a);
}

// --- reductions ----------------------------------------------------------------------------
double sum_all(const Tensor& a);  // accumulated in double
double mean_all(const Tensor& a);
double max_abs(const Tensor& a);
double dot_all(const Tensor& a, const Tensor& b);  // sum of elementwise products, in double
Tensor sum(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim = false);
// Maximum along one dimension: values and the index of the first maximum (as int64 in a vector).
std::pair<Tensor, std::vector<int64_t>> max(const Tensor& a, int64_t dim, bool keepdim = false);
std::vector<int64_t> argmax(const Tensor& a, int64_t dim);
// Sums a broadcast result back down to `shape` (the gradient of broadcasting).
Tensor sum_to(const Tensor& a, const Shape& shape);
bool all_finite(const Tensor& a);

// --- shape ops -----------------------------------------------------------------------------
Tensor concat(const std::vector<Tensor>& parts, int64_t dim);
Tensor stack(const std::vector<Tensor>& parts, int64_t dim = 0);
// Splits the gradient of concat back into the parts' extents along dim.
std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& sizes, int64_t dim);

enum class PadMode { Zeros, Circular, Reflect, Replicate };
const char* pad_mode_name(PadMode m);
// Pads the trailing dimensions; `pads` lists (before, after) pairs starting from the LAST
// dimension, as torch.nn.functional.pad does: {left, right} or {left, right, top, bottom}.
// Circular requires pad <= size, Reflect pad < size, per dimension.
Tensor pad(const Tensor& a, const std::vector<int64_t>& pads, PadMode mode, double value = 0.0);
// Gradient of pad: folds the padded border back onto the input positions it copied.
Tensor pad_backward(const Tensor& grad, const Shape& input_shape, const std::vector<int64_t>& pads,
                    PadMode mode);

// --- comparison helpers for tests ----------------------------------------------------------
double max_abs_diff(const Tensor& a, const Tensor& b);
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);

}  // namespace physcnn
