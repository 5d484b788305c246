// Arithmetic, reductions and shape ops with their (small) backward functions side by side.
#include "autograd/functional.hpp"
#include "kernels/gemm.hpp"

namespace physcnn::autograd {

namespace T_ = physcnn;  // tensor-level math, to keep the Var overloads apart

Var add(const Var& a, const Var& b) {
  const Shape sa = a.shape(), sb = b.shape();
  return make_op("add", T_::add(a.value(), b.value()), {a, b}, [sa, sb](Grads& g) {
    if (g.needs(0)) g.in[0] = sum_to(g.out, sa);
    if (g.needs(1)) g.in[1] = sum_to(g.out, sb);
  });
}

Var sub(const Var& a, const Var& b) {
  const Shape sa = a.shape(), sb = b.shape();
  return make_op("sub", T_::sub(a.value(), b.value()), {a, b}, [sa, sb](Grads& g) {
    if (g.needs(0)) g.in[0] = sum_to(g.out, sa);
    if (g.needs(1)) g.in[1] = sum_to(T_::neg(g.out), sb);
  });
}

Var mul(const Var& a, const Var& b) {
  const Tensor va = a.value(), vb = b.value();
  return make_op("mul", T_::mul(va, vb), {a, b}, [va, vb](Grads& g) {
    if (g.needs(0)) g.in[0] = sum_to(T_::mul(g.out, vb), va.shape());
    if (g.needs(1)) g.in[1] = sum_to(T_::mul(g.out, va), vb.shape());
  });
}

Var div(const Var& a, const Var& b) {
  const Tensor va = a.value(), vb = b.value();
  return make_op("div", T_::div(va, vb), {a, b}, [va, vb](Grads& g) {
    if (g.needs(0)) g.in[0] = sum_to(T_::div(g.out, vb), va.shape());
    if (g.needs(1))
      g.in[1] = sum_to(T_::neg(T_::div(T_::mul(g.out, va), T_::square(vb))), vb.shape());
  });
}

Var neg(const Var& a) {
  return scale(a, -1.0);
}

Var scale(const Var& a, double s) {
  return make_op("scale", T_::mul(a.value(), s), {a},
                 [s](Grads& g) { g.in[0] = T_::mul(g.out, s); });
}

Var add_scalar(const Var& a, double s) {
  return make_op("add_scalar", T_::add(a.value(), s), {a}, [](Grads& g) { g.in[0] = g.out; });
}

Var square(const Var& a) {
  const Tensor va = a.value();
  return make_op("square", T_::square(va), {a},
                 [va](Grads& g) { g.in[0] = T_::mul(T_::mul(g.out, va), 2.0); });
}

Var exp(const Var& a) {
  Tensor y = T_::exp(a.value());
  return make_op("exp", y, {a}, [y](Grads& g) { g.in[0] = T_::mul(g.out, y); });
}

Var log(const Var& a) {
  const Tensor va = a.value();
  return make_op("log", T_::log(va), {a}, [va](Grads& g) { g.in[0] = T_::div(g.out, va); });
}

Var sum(const Var& a) {
  const Shape sa = a.shape();
  const DType dt = a.dtype();
  return make_op("sum", Tensor::scalar(sum_all(a.value()), dt), {a},
                 [sa, dt](Grads& g) { g.in[0] = Tensor::full(sa, g.out.item(), dt); });
}

Var mean(const Var& a) {
  const Shape sa = a.shape();
  const DType dt = a.dtype();
  const double n = double(std::max<int64_t>(1, sa.numel()));
  return make_op("mean", Tensor::scalar(mean_all(a.value()), dt), {a},
                 [sa, dt, n](Grads& g) { g.in[0] = Tensor::full(sa, g.out.item() / n, dt); });
}

namespace {
// Shape of a reduction's result with the reduced dimensions kept as 1.
Shape kept_shape(const Shape& s, const std::vector<int64_t>& dims) {
  std::vector<int64_t> k = s.dims();
  for (int64_t d : dims) k[static_cast<size_t>(s.normalize(d))] = 1;
  return Shape(k);
}
}  // namespace

Var sum(const Var& a, const std::vector<int64_t>& dims, bool keepdim) {
  const Shape sa = a.shape(), kept = kept_shape(sa, dims);
  return make_op("sum", T_::sum(a.value(), dims, keepdim), {a}, [sa, kept](Grads& g) {
    g.in[0] = T_::add(Tensor::zeros(sa, g.out.dtype()), g.out.reshape(kept));
  });
}

Var mean(const Var& a, const std::vector<int64_t>& dims, bool keepdim) {
  const Shape sa = a.shape(), kept = kept_shape(sa, dims);
  const double n = double(std::max<int64_t>(1, sa.numel() / std::max<int64_t>(1, kept.numel())));
  return make_op("mean", T_::mean(a.value(), dims, keepdim), {a}, [sa, kept, n](Grads& g) {
    g.in[0] = T_::add(Tensor::zeros(sa, g.out.dtype()), T_::mul(g.out.reshape(kept), 1.0 / n));
  });
}

Var reshape(const Var& a, const Shape& shape) {
  const Shape sa = a.shape();
  return make_op("reshape", a.value().reshape(shape), {a},
                 [sa](Grads& g) { g.in[0] = g.out.reshape(sa); });
}

Var flatten(const Var& a, int64_t start_dim) {
  const Shape sa = a.shape();
  return make_op("flatten", a.value().flatten(start_dim), {a},
                 [sa](Grads& g) { g.in[0] = g.out.reshape(sa); });
}

Var permute(const Var& a, const std::vector<int64_t>& dims) {
  std::vector<int64_t> inverse(dims.size());
  for (size_t i = 0; i < dims.size(); ++i)
    inverse[static_cast<size_t>(a.shape().normalize(dims[i]))] = static_cast<int64_t>(i);
  return make_op("permute", a.value().permute(dims).contiguous(), {a},
                 [inverse](Grads& g) { g.in[0] = g.out.permute(inverse).contiguous(); });
}

Var concat(const std::vector<Var>& parts, int64_t dim) {
  std::vector<Tensor> values;
  std::vector<int64_t> sizes;
  for (const Var& p : parts) {
    values.push_back(p.value());
    sizes.push_back(p.value().size(dim));
  }
  return make_op("concat", T_::concat(values, dim), parts, [sizes, dim](Grads& g) {
    std::vector<Tensor> pieces = split(g.out, sizes, dim);
    for (size_t i = 0; i < pieces.size(); ++i)
      if (g.needs(i)) g.in[i] = pieces[i];
  });
}

Var pad(const Var& a, const std::vector<int64_t>& pads, PadMode mode, double value) {
  const Shape sa = a.shape();
  return make_op("pad", T_::pad(a.value(), pads, mode, value), {a},
                 [sa, pads, mode](Grads& g) { g.in[0] = pad_backward(g.out, sa, pads, mode); });
}

namespace {
// C (M,N) = op(A) op(B) on contiguous tensors through the backend-selected GEMM.
Tensor gemm_tensor(const Tensor& A0, bool ta, const Tensor& B0, bool tb) {
  const Tensor A = A0.contiguous(), B = B0.contiguous();
  const int64_t M = ta ? A.size(1) : A.size(0), K = ta ? A.size(0) : A.size(1);
  const int64_t N = tb ? B.size(0) : B.size(1);
  Tensor C = Tensor::empty(Shape{M, N}, A.dtype());
  PHYSCNN_DISPATCH(A.dtype(), T, {
    kernels::gemm<T>(ta, tb, M, N, K, T(1), A.data<T>(), A.size(1), B.data<T>(), B.size(1), T(0),
                     C.data<T>(), N);
  });
  return C;
}
}  // namespace

Var matmul(const Var& a, const Var& b) {
  PHYSCNN_CHECK_SHAPE(a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(0), "matmul: shapes ",
                      a.shape().str(), " and ", b.shape().str(), " do not chain ((M,K) x (K,N))");
  PHYSCNN_CHECK_ARG(a.dtype() == b.dtype(), "matmul: mixed dtypes");
  const Tensor va = a.value(), vb = b.value();
  return make_op("matmul", gemm_tensor(va, false, vb, false), {a, b}, [va, vb](Grads& g) {
    if (g.needs(0)) g.in[0] = gemm_tensor(g.out, false, vb, true);
    if (g.needs(1)) g.in[1] = gemm_tensor(va, true, g.out, false);
  });
}

Var linear(const Var& x, const Var& weight, const Var& bias) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 2, "linear: input must be (N, features), got ", x.shape().str());
  PHYSCNN_CHECK_SHAPE(weight.dim() == 2 && weight.size(1) == x.size(1), "linear: input has ",
                      x.size(1), " features, weight expects ",
                      weight.dim() == 2 ? weight.size(1) : -1, " (input ", x.shape().str(),
                      ", weight ", weight.shape().str(), ")");
  PHYSCNN_CHECK_ARG(x.dtype() == weight.dtype(), "linear: input is ", dtype_name(x.dtype()),
                    ", weight ", dtype_name(weight.dtype()));
  const Tensor vx = x.value(), vw = weight.value();
  Tensor y = gemm_tensor(vx, false, vw, true);
  const bool has_bias = bias.defined();
  if (has_bias) {
    PHYSCNN_CHECK_SHAPE(bias.dim() == 1 && bias.size(0) == weight.size(0), "linear: bias ",
                        bias.shape().str(), " for ", weight.size(0), " outputs");
    add_(y, bias.value());
  }
  std::vector<Var> inputs{x, weight};
  if (has_bias) inputs.push_back(bias);
  return make_op("linear", y, inputs, [vx, vw, has_bias](Grads& g) {
    if (g.needs(0)) g.in[0] = gemm_tensor(g.out, false, vw, false);
    if (g.needs(1)) g.in[1] = gemm_tensor(g.out, true, vx, false);
    if (has_bias && g.needs(2)) g.in[2] = T_::sum(g.out, {0});
  });
}

}  // namespace physcnn::autograd
