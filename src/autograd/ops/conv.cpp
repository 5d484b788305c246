// conv2d, conv1d and conv_transpose2d with hand-written backward calling kernels/conv.hpp.
// Non-zero padding modes (circular, reflect, replicate) are an autograd pad followed by a
// convolution without padding, so their gradient folds back through pad's backward.
#include <string>

#include "autograd/functional.hpp"
#include "kernels/conv.hpp"

namespace physcnn::autograd {

namespace {

std::string shapes_str(const Var& x, const Var& w) {
  return detail::cat("input ", x.shape().str(), ", weight ", w.shape().str());
}

// Checks shared by every conv flavour, once at entry: defined, ranks, dtypes.
void check_operands(const char* op, const Var& x, const Var& w, int64_t rank) {
  PHYSCNN_CHECK_ARG(x.defined() && w.defined(), op, ": input and weight must be defined");
  const char* layout = rank == 4 ? "(N,C,H,W)" : "(N,C,L)";
  PHYSCNN_CHECK_SHAPE(x.dim() == rank, op, ": input must be ", layout, ", got ", x.shape().str());
  PHYSCNN_CHECK_SHAPE(w.dim() == rank, op, ": weight must have rank ", rank, ", got ",
                      w.shape().str(), " (", shapes_str(x, w), ")");
  PHYSCNN_CHECK_ARG(x.dtype() == w.dtype(), op, ": input is ", dtype_name(x.dtype()), ", weight ",
                    dtype_name(w.dtype()));
}

void check_bias(const char* op, const Var& x, const Var& w, const Var& b, int64_t out_channels) {
  if (!b.defined()) return;
  PHYSCNN_CHECK_SHAPE(b.dim() == 1 && b.size(0) == out_channels, op, ": bias ", b.shape().str(),
                      " for ", out_channels, " output channels (", shapes_str(x, w), ")");
  PHYSCNN_CHECK_ARG(b.dtype() == x.dtype(), op, ": bias is ", dtype_name(b.dtype()), ", input ",
                    dtype_name(x.dtype()));
}

// The conv2d forward/backward on 4-d operands; `op` names the user-facing op in errors.
// With `relu` the output is max(0, conv + bias) in one pass, and the backward masks the
// output gradient with the saved output (y > 0) before the convolution's gradients.
Var conv2d_impl(const char* op, const Var& x, const Var& weight, const Var& bias,
                const Conv2dArgs& a, bool relu = false) {
  check_operands(op, x, weight, 4);
  check_bias(op, x, weight, bias, weight.size(0));
  const int64_t G = a.groups;
  PHYSCNN_CHECK_ARG(G > 0, op, ": groups must be positive, got ", G);
  PHYSCNN_CHECK_ARG(
      a.padding[0] >= 0 && a.padding[1] >= 0 && a.padding[2] >= 0 && a.padding[3] >= 0, op,
      ": padding must be >= 0, got (top ", a.padding[0], ", bottom ", a.padding[1], ", left ",
      a.padding[2], ", right ", a.padding[3], ")");
  PHYSCNN_CHECK_SHAPE(x.size(1) == weight.size(1) * G, op, ": input has ", x.size(1),
                      " channels, weight expects ", weight.size(1) * G,
                      G > 1 ? detail::cat(" (", G, " groups of ", weight.size(1), ")") : "", " (",
                      shapes_str(x, weight), ")");
  PHYSCNN_CHECK_SHAPE(weight.size(0) % G == 0, op, ": weight has ", weight.size(0),
                      " output channels, not divisible by groups ", G, " (", shapes_str(x, weight),
                      ")");

  kernels::Conv2dDesc d{.N = x.size(0),
                        .IC = x.size(1),
                        .IH = x.size(2),
                        .IW = x.size(3),
                        .OC = weight.size(0),
                        .KH = weight.size(2),
                        .KW = weight.size(3),
                        .SH = a.stride[0],
                        .SW = a.stride[1],
                        .PH = {a.padding[0], a.padding[1]},
                        .PW = {a.padding[2], a.padding[3]},
                        .DH = a.dilation[0],
                        .DW = a.dilation[1],
                        .G = G};
  kernels::conv2d_validate(d, op);  // output-size formula checked on the user's geometry

  Var xp = x;
  const bool any_pad = a.padding[0] || a.padding[1] || a.padding[2] || a.padding[3];
  if (a.padding_mode != PadMode::Zeros && any_pad) {
    std::vector<int64_t> pads{a.padding[2], a.padding[3]};
    if (a.padding[0] || a.padding[1]) {
      pads.push_back(a.padding[0]);
      pads.push_back(a.padding[1]);
    }
    try {
      xp = pad(x, pads, a.padding_mode);
    } catch (const ShapeError& e) {  // e.g. reflect padding not smaller than the image
      throw ShapeError(detail::cat(op, ": ", e.what(), " (", shapes_str(x, weight), ")"));
    }
    d.IH = xp.size(2);
    d.IW = xp.size(3);
    d.PH = {0, 0};
    d.PW = {0, 0};
    kernels::conv2d_validate(d, op);
  }

  const bool has_bias = bias.defined();
  const DType dt = x.dtype();
  const Tensor vx = xp.value().contiguous(), vw = weight.value().contiguous();
  const Tensor vb = has_bias ? bias.value().contiguous() : Tensor();
  Tensor y = Tensor::empty({d.N, d.OC, d.OH, d.OW}, dt);
  PHYSCNN_DISPATCH(dt, T, {
    const T* pb = has_bias ? vb.data<T>() : nullptr;
    if (relu)
      kernels::conv2d_relu_forward<T>(d, vx.data<T>(), vw.data<T>(), pb, y.data<T>());
    else
      kernels::conv2d_forward<T>(d, vx.data<T>(), vw.data<T>(), pb, y.data<T>());
  });

  std::vector<Var> inputs{xp, weight};
  if (has_bias) inputs.push_back(bias);
  // The fused op keeps its output for the mask (the tensor the graph holds anyway).
  const Tensor saved_y = relu ? y : Tensor();
  return make_op(op, y, inputs, [d, vx, vw, has_bias, saved_y](Grads& g) {
    Tensor gy = g.out.contiguous();
    const DType dt = gy.dtype();
    if (saved_y.defined()) {
      // The mask overwrites the output gradient when nobody else holds it (no new buffer).
      Tensor gz = g.reusable_out();
      if (!gz.defined()) gz = Tensor::empty(gy.shape(), dt);
      PHYSCNN_DISPATCH(dt, T, {
        kernels::relu_backward_from_output<T>(gy.numel(), saved_y.data<T>(), gy.data<T>(),
                                              gz.data<T>());
      });
      gy = gz;
    }
    const bool need_db = has_bias && g.needs(2);
    if (g.needs(0)) {
      Tensor dx = Tensor::empty(vx.shape(), dt);
      PHYSCNN_DISPATCH(dt, T, {
        kernels::conv2d_backward_data<T>(d, gy.data<T>(), vw.data<T>(), dx.data<T>());
      });
      g.in[0] = dx;
    }
    if (g.needs(1)) {
      Tensor dw = Tensor::empty(vw.shape(), dt);
      Tensor db = need_db ? Tensor::empty({d.OC}, dt) : Tensor();
      PHYSCNN_DISPATCH(dt, T, {
        kernels::conv2d_backward_weight<T>(d, vx.data<T>(), gy.data<T>(), dw.data<T>(),
                                           need_db ? db.data<T>() : nullptr);
      });
      g.in[1] = dw;
      if (need_db) g.in[2] = db;
    } else if (need_db) {
      g.in[2] = physcnn::sum(gy, {0, 2, 3});
    }
  });
}

}  // namespace

Var conv2d(const Var& x, const Var& weight, const Var& bias, const Conv2dArgs& args) {
  return conv2d_impl("conv2d", x, weight, bias, args);
}

Var conv2d_relu(const Var& x, const Var& weight, const Var& bias, const Conv2dArgs& args) {
  return conv2d_impl("conv2d_relu", x, weight, bias, args, true);
}

Var conv1d(const Var& x, const Var& weight, const Var& bias, const Conv1dArgs& args) {
  check_operands("conv1d", x, weight, 3);
  check_bias("conv1d", x, weight, bias, weight.size(0));
  PHYSCNN_CHECK_ARG(args.groups > 0, "conv1d: groups must be positive, got ", args.groups);
  PHYSCNN_CHECK_SHAPE(x.size(1) == weight.size(1) * args.groups, "conv1d: input has ", x.size(1),
                      " channels, weight expects ", weight.size(1) * args.groups, " (",
                      shapes_str(x, weight), ")");
  // A 1-d signal is a 2-d image of height 1.
  const Var x4 = reshape(x, {x.size(0), x.size(1), 1, x.size(2)});
  const Var w4 = reshape(weight, {weight.size(0), weight.size(1), 1, weight.size(2)});
  const Conv2dArgs a{.stride = {1, args.stride},
                     .padding = {0, 0, args.padding[0], args.padding[1]},
                     .padding_mode = args.padding_mode,
                     .dilation = {1, args.dilation},
                     .groups = args.groups};
  const Var y4 = conv2d_impl("conv1d", x4, w4, bias, a);
  return reshape(y4, {y4.size(0), y4.size(1), y4.size(3)});
}

Var conv_transpose2d(const Var& x, const Var& weight, const Var& bias,
                     const ConvTranspose2dArgs& a) {
  const char* op = "conv_transpose2d";
  const int64_t G = a.groups;
  PHYSCNN_CHECK_ARG(G > 0, op, ": groups must be positive, got ", G);
  check_operands(op, x, weight, 4);
  check_bias(op, x, weight, bias, weight.size(1) * G);
  PHYSCNN_CHECK_SHAPE(x.size(1) == weight.size(0), op, ": input has ", x.size(1),
                      " channels, weight expects ", weight.size(0), " (", shapes_str(x, weight),
                      ")");
  kernels::ConvTranspose2dDesc d{.N = x.size(0),
                                 .IC = x.size(1),
                                 .IH = x.size(2),
                                 .IW = x.size(3),
                                 .OC = weight.size(1) * G,
                                 .KH = weight.size(2),
                                 .KW = weight.size(3),
                                 .SH = a.stride[0],
                                 .SW = a.stride[1],
                                 .PH = a.padding[0],
                                 .PW = a.padding[1],
                                 .OPH = a.output_padding[0],
                                 .OPW = a.output_padding[1],
                                 .DH = a.dilation[0],
                                 .DW = a.dilation[1],
                                 .G = G};
  kernels::conv_transpose2d_validate(d, op);

  const bool has_bias = bias.defined();
  const DType dt = x.dtype();
  const Tensor vx = x.value().contiguous(), vw = weight.value().contiguous();
  const Tensor vb = has_bias ? bias.value().contiguous() : Tensor();
  Tensor y = Tensor::empty({d.N, d.OC, d.OH, d.OW}, dt);
  PHYSCNN_DISPATCH(dt, T, {
    kernels::conv_transpose2d_forward<T>(d, vx.data<T>(), vw.data<T>(),
                                         has_bias ? vb.data<T>() : nullptr, y.data<T>());
  });

  std::vector<Var> inputs{x, weight};
  if (has_bias) inputs.push_back(bias);
  return make_op(op, y, inputs, [d, vx, vw, has_bias](Grads& g) {
    const Tensor gy = g.out.contiguous();
    const DType dt = gy.dtype();
    const bool need_db = has_bias && g.needs(2);
    if (g.needs(0)) {
      Tensor dx = Tensor::empty(vx.shape(), dt);
      PHYSCNN_DISPATCH(dt, T, {
        kernels::conv_transpose2d_backward_data<T>(d, gy.data<T>(), vw.data<T>(), dx.data<T>());
      });
      g.in[0] = dx;
    }
    if (g.needs(1)) {
      Tensor dw = Tensor::empty(vw.shape(), dt);
      Tensor db = need_db ? Tensor::empty({d.OC}, dt) : Tensor();
      PHYSCNN_DISPATCH(dt, T, {
        kernels::conv_transpose2d_backward_weight<T>(d, vx.data<T>(), gy.data<T>(), dw.data<T>(),
                                                     need_db ? db.data<T>() : nullptr);
      });
      g.in[1] = dw;
      if (need_db) g.in[2] = db;
    } else if (need_db) {
      g.in[2] = physcnn::sum(gy, {0, 2, 3});
    }
  });
}

}  // namespace physcnn::autograd
