// Pooling ops (max/avg 1-D and 2-D, global avg/max) with hand-written backward: pooling is a
// fat primitive, so forward and backward call the kernels in kernels/pool.hpp directly. Max
// pooling keeps the argmax of each window (only when a backward can follow) for its gradient.
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "autograd/functional.hpp"
#include "kernels/pool.hpp"

namespace physcnn::autograd {

namespace {
// Builds and resolves the kernel descriptor from PyTorch-style arguments. 1-D ops read the
// second entry of each pair (the W axis) and pool an (N,C,L) input as (N,C,1,L).
kernels::Pool2dDesc pool_desc(const Var& x, const Pool2dArgs& a, const char* op, bool one_d,
                              bool is_max) {
  PHYSCNN_CHECK_SHAPE(x.defined(), op, ": undefined input");
  if (one_d)
    PHYSCNN_CHECK_SHAPE(x.dim() == 3, op, ": input must be (N,C,L), got ", x.shape().str());
  else
    PHYSCNN_CHECK_SHAPE(x.dim() == 4, op, ": input must be (N,C,H,W), got ", x.shape().str());
  if (!is_max) {
    const bool dilated = one_d ? a.dilation[1] != 1 : (a.dilation[0] != 1 || a.dilation[1] != 1);
    PHYSCNN_CHECK_ARG(!dilated, op, ": average pooling has no dilation (got ", a.dilation[0], "x",
                      a.dilation[1], "); as PyTorch, only max pooling supports it");
  }
  kernels::Pool2dDesc d;
  d.N = x.size(0);
  d.C = x.size(1);
  d.IH = one_d ? 1 : x.size(2);
  d.IW = x.size(-1);
  d.KH = one_d ? 1 : a.kernel[0];
  d.KW = a.kernel[1];
  d.SH = one_d ? 1 : (a.stride[0] == 0 ? a.kernel[0] : a.stride[0]);
  d.SW = a.stride[1] == 0 ? a.kernel[1] : a.stride[1];
  d.PH = one_d ? 0 : a.padding[0];
  d.PW = a.padding[1];
  d.DH = one_d || !is_max ? 1 : a.dilation[0];
  d.DW = is_max ? a.dilation[1] : 1;
  d.ceil_mode = a.ceil_mode;
  d.count_include_pad = a.count_include_pad;
  kernels::pool2d_resolve(d, op);
  return d;
}

Shape pooled_shape(const kernels::Pool2dDesc& d, bool one_d) {
  return one_d ? Shape{d.N, d.C, d.OW} : Shape{d.N, d.C, d.OH, d.OW};
}

Var max_pool(const Var& x, const kernels::Pool2dDesc& d, const Shape& out_shape, const char* op) {
  const Tensor xv = x.value().contiguous();
  Tensor y = Tensor::empty(out_shape, xv.dtype());
  // Indices cost memory and time; keep them only when a backward can follow.
  std::shared_ptr<std::vector<int32_t>> argmax;
  if (grad_enabled() && x.requires_grad())
    argmax = std::make_shared<std::vector<int32_t>>(static_cast<size_t>(y.numel()));
  PHYSCNN_DISPATCH(xv.dtype(), T, {
    kernels::max_pool2d_forward<T>(d, xv.data<T>(), y.data<T>(), argmax ? argmax->data() : nullptr);
  });
  const Shape in_shape = x.shape();
  const std::string name = op;
  return make_op(op, y, {x}, [d, argmax, in_shape, name](Grads& g) {
    PHYSCNN_CHECK(argmax != nullptr, Error, name, ": backward without recorded argmax");
    const Tensor go = g.out.contiguous();
    Tensor gi = Tensor::zeros(in_shape, go.dtype());
    PHYSCNN_DISPATCH(go.dtype(), T, {
      kernels::max_pool2d_backward<T>(d, go.data<T>(), argmax->data(), gi.data<T>());
    });
    g.in[0] = gi;
  });
}

Var avg_pool(const Var& x, const kernels::Pool2dDesc& d, const Shape& out_shape, const char* op) {
  const Tensor xv = x.value().contiguous();
  Tensor y = Tensor::empty(out_shape, xv.dtype());
  PHYSCNN_DISPATCH(xv.dtype(), T,
                   { kernels::avg_pool2d_forward<T>(d, xv.data<T>(), y.data<T>()); });
  const Shape in_shape = x.shape();
  return make_op(op, y, {x}, [d, in_shape](Grads& g) {
    const Tensor go = g.out.contiguous();
    Tensor gi = Tensor::zeros(in_shape, go.dtype());
    PHYSCNN_DISPATCH(go.dtype(), T,
                     { kernels::avg_pool2d_backward<T>(d, go.data<T>(), gi.data<T>()); });
    g.in[0] = gi;
  });
}

kernels::Pool2dDesc global_desc(const Var& x, const char* op) {
  PHYSCNN_CHECK_SHAPE(x.defined() && x.dim() == 4, op, ": input must be (N,C,H,W), got ",
                      x.defined() ? x.shape().str() : std::string("undefined"));
  PHYSCNN_CHECK_SHAPE(x.numel() > 0, op, ": input has an empty dimension (input ", x.shape().str(),
                      ")");
  PHYSCNN_CHECK_SHAPE(x.size(2) * x.size(3) <= std::numeric_limits<int32_t>::max(), op,
                      ": input plane ", x.size(2), "x", x.size(3),
                      " too large for 32-bit argmax indices");
  return kernels::global_pool2d_desc(x.size(0), x.size(1), x.size(2), x.size(3));
}
}  // namespace

Var max_pool2d(const Var& x, const Pool2dArgs& args) {
  const auto d = pool_desc(x, args, "max_pool2d", false, true);
  return max_pool(x, d, pooled_shape(d, false), "max_pool2d");
}

Var avg_pool2d(const Var& x, const Pool2dArgs& args) {
  const auto d = pool_desc(x, args, "avg_pool2d", false, false);
  return avg_pool(x, d, pooled_shape(d, false), "avg_pool2d");
}

Var max_pool1d(const Var& x, const Pool2dArgs& args) {
  const auto d = pool_desc(x, args, "max_pool1d", true, true);
  return max_pool(x, d, pooled_shape(d, true), "max_pool1d");
}

Var avg_pool1d(const Var& x, const Pool2dArgs& args) {
  const auto d = pool_desc(x, args, "avg_pool1d", true, false);
  return avg_pool(x, d, pooled_shape(d, true), "avg_pool1d");
}

Var global_avg_pool2d(const Var& x) {
  const auto d = global_desc(x, "global_avg_pool2d");
  return avg_pool(x, d, Shape{d.N, d.C, 1, 1}, "global_avg_pool2d");
}

Var global_max_pool2d(const Var& x) {
  const auto d = global_desc(x, "global_max_pool2d");
  return max_pool(x, d, Shape{d.N, d.C, 1, 1}, "global_max_pool2d");
}

}  // namespace physcnn::autograd
