// Elementwise tensor ops with NumPy broadcasting, and the in-place updates optimizers use.
#include <cmath>

#include "core/parallel.hpp"
#include "tensor/ops.hpp"

namespace physcnn {

namespace {

constexpr int64_t kGrain = 1 << 14;

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  PHYSCNN_CHECK(a.defined() && b.defined(), Error, op, ": undefined operand");
  PHYSCNN_CHECK_ARG(a.dtype() == b.dtype(), op, ": operands have different dtypes (",
                    dtype_name(a.dtype()), " ", a.shape().str(), " and ", dtype_name(b.dtype()),
                    " ", b.shape().str(), ")");
}

// Strides of `t` viewed with the broadcast shape `out` (0 along broadcast dimensions).
std::vector<int64_t> broadcast_strides(const Tensor& t, const Shape& out) {
  std::vector<int64_t> s(static_cast<size_t>(out.rank()), 0);
  const int64_t shift = out.rank() - t.dim();
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.size(d) != 1) s[static_cast<size_t>(d + shift)] = t.strides()[static_cast<size_t>(d)];
  return s;
}

template <class T, class F>
Tensor binary(const char* op, const Tensor& a0, const Tensor& b0, F f) {
  const Shape out_shape = broadcast_shapes(a0.shape(), b0.shape());
  Tensor out = Tensor::empty(out_shape, a0.dtype());
  T* o = out.data<T>();
  const int64_t n = out.numel();
  if (a0.shape() == b0.shape() && a0.is_contiguous() && b0.is_contiguous()) {
    const T* a = a0.data<T>();
    const T* b = b0.data<T>();
    parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = f(a[i], b[i]);
    });
    return out;
  }
  if (b0.numel() == 1 && a0.shape() == out_shape && a0.is_contiguous()) {
    const T* a = a0.data<T>();
    const T b = *b0.data<T>();
    parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = f(a[i], b);
    });
    return out;
  }
  // General broadcast: row-major walk over the output with per-operand strides.
  (void)op;
  const auto sa = broadcast_strides(a0, out_shape), sb = broadcast_strides(b0, out_shape);
  const T* a = a0.data<T>();
  const T* b = b0.data<T>();
  const int64_t r = out_shape.rank();
  if (n == 0) return out;
  if (r == 0) {
    o[0] = f(a[0], b[0]);
    return out;
  }
  const int64_t inner = out_shape[r - 1];
  const int64_t ia = sa[r - 1], ib = sb[r - 1];
  const int64_t rows = n / inner;
  parallel_for(0, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(inner, 1)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t row = lo; row < hi; ++row) {
                   int64_t rem = row, offa = 0, offb = 0;
                   for (int64_t d = r - 2; d >= 0; --d) {
                     const int64_t i = rem % out_shape[d];
                     rem /= out_shape[d];
                     offa += i * sa[d];
                     offb += i * sb[d];
                   }
                   T* orow = o + row * inner;
                   for (int64_t j = 0; j < inner; ++j)
                     orow[j] = f(a[offa + j * ia], b[offb + j * ib]);
                 }
               });
  return out;
}

template <class F>
Tensor binary_dispatch(const char* op, const Tensor& a, const Tensor& b, F f) {
  check_same_dtype(op, a, b);
  Tensor out;
  PHYSCNN_DISPATCH(a.dtype(), T,
                   { out = binary<T>(op, a, b, [&](T x, T y) { return T(f(x, y)); }); });
  return out;
}

template <class F>
Tensor unary(const Tensor& a0, F f) {
  PHYSCNN_CHECK(a0.defined(), Error, "elementwise op on an undefined tensor");
  const Tensor a = a0.contiguous();
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  PHYSCNN_DISPATCH(a.dtype(), T, {
    const T* x = a.data<T>();
    T* o = out.data<T>();
    parallel_for(0, a.numel(), kGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = T(f(x[i]));
    });
  });
  return out;
}

}  // namespace

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const int64_t r = std::max(a.rank(), b.rank());
  std::vector<int64_t> out(static_cast<size_t>(r));
  for (int64_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.rank() ? 1 : a[i - (r - a.rank())];
    const int64_t db = i < r - b.rank() ? 1 : b[i - (r - b.rank())];
    PHYSCNN_CHECK_SHAPE(da == db || da == 1 || db == 1, "shapes ", a.str(), " and ", b.str(),
                        " cannot be broadcast together");
    out[static_cast<size_t>(i)] = da == 1 ? db : da;
  }
  return Shape(out);
}

Tensor add(const Tensor& a, const Tensor& b) {
  return binary_dispatch("add", a, b, [](auto x, auto y) { return x + y; });
}
Tensor sub(const Tensor& a, const Tensor& b) {
  return binary_dispatch("sub", a, b, [](auto x, auto y) { return x - y; });
}
Tensor mul(const Tensor& a, const Tensor& b) {
  return binary_dispatch("mul", a, b, [](auto x, auto y) { return x * y; });
}
Tensor div(const Tensor& a, const Tensor& b) {
  return binary_dispatch("div", a, b, [](auto x, auto y) { return x / y; });
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary_dispatch("maximum", a, b, [](auto x, auto y) { return x > y ? x : y; });
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary_dispatch("minimum", a, b, [](auto x, auto y) { return x < y ? x : y; });
}

Tensor add(const Tensor& a, double s) {
  return unary(a, [s](auto x) { return x + s; });
}
Tensor mul(const Tensor& a, double s) {
  return unary(a, [s](auto x) { return x * s; });
}
Tensor pow(const Tensor& a, double e) {
  if (e == 2.0) return square(a);
  return unary(a, [e](auto x) { return std::pow(x, e); });
}
Tensor clamp(const Tensor& a, double lo, double hi) {
  return unary(a, [lo, hi](auto x) { return x < lo ? lo : (x > hi ? hi : x); });
}
Tensor neg(const Tensor& a) {
  return unary(a, [](auto x) { return -x; });
}
Tensor exp(const Tensor& a) {
  return unary(a, [](auto x) { return std::exp(x); });
}
Tensor log(const Tensor& a) {
  return unary(a, [](auto x) { return std::log(x); });
}
Tensor sqrt(const Tensor& a) {
  return unary(a, [](auto x) { return std::sqrt(x); });
}
Tensor abs(const Tensor& a) {
  return unary(a, [](auto x) { return std::abs(x); });
}
Tensor sign(const Tensor& a) {
  return unary(a, [](auto x) { return decltype(x)((x > 0) - (x < 0)); });
}
Tensor square(const Tensor& a) {
  return unary(a, [](auto x) { return x * x; });
}
Tensor tanh(const Tensor& a) {
  return unary(a, [](auto x) { return std::tanh(x); });
}
Tensor sigmoid(const Tensor& a) {
  // Written so that neither branch overflows: exp of a non-positive number only.
  return unary(a, [](auto x) {
    using T = decltype(x);
    if (x >= 0) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
  });
}
Tensor gt(const Tensor& a, double s) {
  return unary(a, [s](auto x) { return x > s ? 1.0 : 0.0; });
}
Tensor lt(const Tensor& a, double s) {
  return unary(a, [s](auto x) { return x < s ? 1.0 : 0.0; });
}
Tensor ge(const Tensor& a, double s) {
  return unary(a, [s](auto x) { return x >= s ? 1.0 : 0.0; });
}

void add_(Tensor& a, const Tensor& b) {
  check_same_dtype("add_", a, b);
  PHYSCNN_CHECK(a.is_contiguous(), Error, "add_: destination must be contiguous");
  if (a.shape() == b.shape() && b.is_contiguous()) {
    axpy_(a, 1.0, b);
    return;
  }
  PHYSCNN_CHECK_SHAPE(broadcast_shapes(a.shape(), b.shape()) == a.shape(),
                      "add_: ", b.shape().str(), " does not broadcast to ", a.shape().str());
  // b repeated along leading dimensions (a bias row added to every sample): in place, no copy.
  const int64_t inner = b.numel();
  bool trailing = b.is_contiguous() && inner > 0 && a.numel() % inner == 0;
  for (int64_t d = 1; trailing && d <= b.dim(); ++d)
    trailing = d <= a.dim() && b.size(-d) == a.size(-d);
  if (trailing) {
    PHYSCNN_DISPATCH(a.dtype(), T, {
      T* p = a.data<T>();
      const T* q = b.data<T>();
      parallel_for(0, a.numel() / inner, std::max<int64_t>(1, kGrain / inner),
                   [&](int64_t lo, int64_t hi) {
                     for (int64_t r = lo; r < hi; ++r)
                       for (int64_t i = 0; i < inner; ++i) p[r * inner + i] += q[i];
                   });
    });
    return;
  }
  a.copy_(add(a, b));
}

void mul_(Tensor& a, double s) {
  PHYSCNN_CHECK(a.is_contiguous(), Error, "mul_: destination must be contiguous");
  PHYSCNN_DISPATCH(a.dtype(), T, {
    T* p = a.data<T>();
    const T v = T(s);
    parallel_for(0, a.numel(), kGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) p[i] *= v;
    });
  });
}

void axpy_(Tensor& a, double s, const Tensor& b0) {
  check_same_dtype("axpy_", a, b0);
  PHYSCNN_CHECK_SHAPE(a.numel() == b0.numel(), "axpy_: shapes ", a.shape().str(), " and ",
                      b0.shape().str());
  PHYSCNN_CHECK(a.is_contiguous(), Error, "axpy_: destination must be contiguous");
  const Tensor b = b0.contiguous();
  PHYSCNN_DISPATCH(a.dtype(), T, {
    T* p = a.data<T>();
    const T* q = b.data<T>();
    const T v = T(s);
    parallel_for(0, a.numel(), kGrain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) p[i] += v * q[i];
    });
  });
}

}  // namespace physcnn
