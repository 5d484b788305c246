// upsample2d (nearest, bilinear) with a hand-written backward that scatters each output's
// gradient to its source pixels (kernels/upsample.hpp). Output size and source ratio follow
// PyTorch 1.13's F.interpolate(size=...) and F.interpolate(scale_factor=s,
// recompute_scale_factor=None): with a scale, OH = floor(IH * s) and the ratio is 1/s.
#include <cmath>

#include "autograd/functional.hpp"
#include "kernels/upsample.hpp"

namespace physcnn::autograd {

namespace {
kernels::UpsampleDesc upsample_desc(const Var& x, const UpsampleArgs& a) {
  PHYSCNN_CHECK_SHAPE(x.defined() && x.dim() == 4, "upsample2d: input must be (N,C,H,W), got ",
                      x.defined() ? x.shape().str() : std::string("undefined"));
  PHYSCNN_CHECK_ARG(!(a.align_corners && a.mode == UpsampleMode::Nearest),
                    "upsample2d: align_corners applies to bilinear mode only (as PyTorch)");
  kernels::UpsampleDesc d;
  d.N = x.size(0);
  d.C = x.size(1);
  d.IH = x.size(2);
  d.IW = x.size(3);
  d.filter = a.mode == UpsampleMode::Nearest ? kernels::UpsampleFilter::Nearest
                                             : kernels::UpsampleFilter::Bilinear;
  d.align_corners = a.align_corners;
  if (a.size[0] != 0 || a.size[1] != 0) {
    PHYSCNN_CHECK_ARG(a.size[0] > 0 && a.size[1] > 0, "upsample2d: size ", a.size[0], "x",
                      a.size[1], " must be positive in both dimensions (0x0 means use scale)");
    d.OH = a.size[0];
    d.OW = a.size[1];
  } else {
    PHYSCNN_CHECK_ARG(
        std::isfinite(a.scale[0]) && std::isfinite(a.scale[1]) && a.scale[0] > 0 && a.scale[1] > 0,
        "upsample2d: scale ", a.scale[0], "x", a.scale[1], " must be positive and finite");
    const double oh = std::floor(static_cast<double>(d.IH) * a.scale[0]);
    const double ow = std::floor(static_cast<double>(d.IW) * a.scale[1]);
    // Compared as doubles: a scale of 1e20 gives sizes that do not fit an int64 at all.
    PHYSCNN_CHECK_SHAPE(oh <= double(kMaxLayerExtent) && ow <= double(kMaxLayerExtent),
                        "upsample2d: scale ", a.scale[0], "x", a.scale[1], " gives output size ",
                        oh, "x", ow, " for input ", x.shape().str(), ", more than ",
                        kMaxLayerExtent, " (the limit for a layer output's extent)");
    d.OH = static_cast<int64_t>(oh);
    d.OW = static_cast<int64_t>(ow);
    d.scale_h = a.scale[0];
    d.scale_w = a.scale[1];
    PHYSCNN_CHECK_SHAPE(d.OH > 0 && d.OW > 0, "upsample2d: scale ", a.scale[0], "x", a.scale[1],
                        " gives output size ", d.OH, "x", d.OW, " (floor(I*scale)) for input ",
                        x.shape().str());
  }
  kernels::upsample2d_validate(d, "upsample2d");
  return d;
}
}  // namespace

Var upsample2d(const Var& x, const UpsampleArgs& args) {
  const kernels::UpsampleDesc d = upsample_desc(x, args);
  const Tensor xv = x.value().contiguous();
  Tensor y = Tensor::empty(Shape{d.N, d.C, d.OH, d.OW}, xv.dtype());
  PHYSCNN_DISPATCH(xv.dtype(), T,
                   { kernels::upsample2d_forward<T>(d, xv.data<T>(), y.data<T>()); });
  const Shape in_shape = x.shape();
  return make_op("upsample2d", y, {x}, [d, in_shape](Grads& g) {
    const Tensor go = g.out.contiguous();
    Tensor gi = Tensor::zeros(in_shape, go.dtype());
    PHYSCNN_DISPATCH(go.dtype(), T,
                     { kernels::upsample2d_backward<T>(d, go.data<T>(), gi.data<T>()); });
    g.in[0] = gi;
  });
}

}  // namespace physcnn::autograd
