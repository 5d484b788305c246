// Reductions: whole-tensor sums in double, sums and means over dimensions, max/argmax, sum_to.
#include <algorithm>
#include <cmath>

#include "tensor/ops.hpp"

namespace physcnn {

namespace {

// Calls f(i, x) for every element of a contiguous copy of t, as double.
template <class F>
void each(const Tensor& t0, F f) {
  const Tensor t = t0.contiguous();
  PHYSCNN_DISPATCH(t.dtype(), T, {
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) f(i, double(p[i]));
  });
}

}  // namespace

double sum_all(const Tensor& a) {
  double s = 0;
  each(a, [&](int64_t, double x) { s += x; });
  return s;
}

double mean_all(const Tensor& a) {
  return a.numel() ? sum_all(a) / double(a.numel()) : 0.0;
}

double max_abs(const Tensor& a) {
  double m = 0;
  each(a, [&](int64_t, double x) { m = std::max(m, std::abs(x)); });
  return m;
}

double dot_all(const Tensor& a, const Tensor& b0) {
  PHYSCNN_CHECK_SHAPE(a.numel() == b0.numel(), "dot: shapes ", a.shape().str(), " and ",
                      b0.shape().str());
  const Tensor b = b0.contiguous().to(DType::F64);
  const double* q = b.data<double>();
  double s = 0;
  each(a, [&](int64_t i, double x) { s += x * q[i]; });
  return s;
}

Tensor sum(const Tensor& a0, const std::vector<int64_t>& dims, bool keepdim) {
  const Tensor a = a0.contiguous();
  const int64_t r = a.dim();
  std::vector<bool> reduce(static_cast<size_t>(r), false);
  for (int64_t d : dims) reduce[static_cast<size_t>(a.shape().normalize(d))] = true;
  std::vector<int64_t> kept_shape(static_cast<size_t>(r));
  for (int64_t d = 0; d < r; ++d) kept_shape[d] = reduce[d] ? 1 : a.size(d);
  const Shape kshape(kept_shape);
  const auto ostr = kshape.contiguous_strides();
  std::vector<double> acc(static_cast<size_t>(kshape.numel()), 0.0);
  std::vector<int64_t> idx(static_cast<size_t>(r), 0);
  each(a, [&](int64_t, double x) {
    int64_t off = 0;
    for (int64_t d = 0; d < r; ++d)
      if (!reduce[d]) off += idx[d] * ostr[d];
    acc[static_cast<size_t>(off)] += x;
    for (int64_t d = r - 1; d >= 0; --d) {
      if (++idx[d] < a.size(d)) break;
      idx[d] = 0;
    }
  });
  Tensor out = Tensor::empty(kshape, a.dtype());
  PHYSCNN_DISPATCH(a.dtype(), T, {
    T* o = out.data<T>();
    for (size_t i = 0; i < acc.size(); ++i) o[i] = T(acc[i]);
  });
  if (keepdim) return out;
  std::vector<int64_t> squeezed;
  for (int64_t d = 0; d < r; ++d)
    if (!reduce[d]) squeezed.push_back(a.size(d));
  return out.reshape(Shape(squeezed));
}

Tensor mean(const Tensor& a, const std::vector<int64_t>& dims, bool keepdim) {
  int64_t count = 1;
  for (int64_t d : dims) count *= a.size(d);
  return mul(sum(a, dims, keepdim), count ? 1.0 / double(count) : 0.0);
}

std::pair<Tensor, std::vector<int64_t>> max(const Tensor& a0, int64_t dim, bool keepdim) {
  const Tensor a = a0.contiguous();
  dim = a.shape().normalize(dim);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= a.size(d);
  for (int64_t d = dim + 1; d < a.dim(); ++d) inner *= a.size(d);
  const int64_t n = a.size(dim);
  PHYSCNN_CHECK_SHAPE(n > 0, "max over an empty dimension of shape ", a.shape().str());
  std::vector<int64_t> kept = a.shape().dims();
  kept[static_cast<size_t>(dim)] = 1;
  Tensor values = Tensor::empty(Shape(kept), a.dtype());
  std::vector<int64_t> index(static_cast<size_t>(outer * inner));
  PHYSCNN_DISPATCH(a.dtype(), T, {
    const T* p = a.data<T>();
    T* v = values.data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t best = 0;
        T bv = p[o * n * inner + i];
        for (int64_t k = 1; k < n; ++k) {
          const T x = p[(o * n + k) * inner + i];
          if (x > bv || (std::isnan(x) && !std::isnan(bv))) {
            bv = x;
            best = k;
          }
        }
        v[o * inner + i] = bv;
        index[static_cast<size_t>(o * inner + i)] = best;
      }
  });
  if (!keepdim) values = values.squeeze(dim).contiguous();
  return {values, index};
}

std::vector<int64_t> argmax(const Tensor& a, int64_t dim) {
  return max(a, dim).second;
}

Tensor sum_to(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  const int64_t lead = a.dim() - shape.rank();
  PHYSCNN_CHECK_SHAPE(lead >= 0, "sum_to: cannot reduce ", a.shape().str(), " to ", shape.str());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
    } else if (shape[d - lead] == 1 && a.size(d) != 1) {
      dims.push_back(d);
    } else {
      PHYSCNN_CHECK_SHAPE(shape[d - lead] == a.size(d), "sum_to: cannot reduce ", a.shape().str(),
                          " to ", shape.str());
    }
  }
  return sum(a, dims, true).reshape(shape);
}

bool all_finite(const Tensor& a) {
  bool ok = true;
  each(a, [&](int64_t, double x) { ok = ok && std::isfinite(x); });
  return ok;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  PHYSCNN_CHECK_SHAPE(a.numel() == b.numel(), "max_abs_diff: shapes ", a.shape().str(), " and ",
                      b.shape().str());
  const auto va = a.to_vector(), vb = b.to_vector();
  double m = 0;
  for (size_t i = 0; i < va.size(); ++i) m = std::max(m, std::abs(va[i] - vb[i]));
  return m;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  const auto va = a.to_vector(), vb = b.to_vector();
  for (size_t i = 0; i < va.size(); ++i)
    if (!(std::abs(va[i] - vb[i]) <= atol + rtol * std::abs(vb[i]))) return false;
  return true;
}

}  // namespace physcnn
