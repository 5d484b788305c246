// The rows of the convolution test table; keep in step with ROWS in tools/ref/conv_ref.py.
#include "kernels/conv/conv_cases.hpp"

#include <sstream>

#include "kernels/conv/conv_workload_layers.hpp"

namespace physcnn::test {

namespace ag = physcnn::autograd;

Shape ConvCase::input_shape() const {
  if (op == ConvOp::Conv1d) return {N, IC, W};
  return {N, IC, H, W};
}

Shape ConvCase::weight_shape() const {
  switch (op) {
    case ConvOp::Conv2d:
      return {OC, IC / conv2d.groups, KH, KW};
    case ConvOp::Conv1d:
      return {OC, IC / conv1d.groups, KW};
    case ConvOp::ConvTranspose2d:
      return {IC, OC / conv_transpose2d.groups, KH, KW};
  }
  return {};
}

std::string ConvCase::str() const {
  std::ostringstream os;
  os << name << ": input " << input_shape() << " weight " << weight_shape()
     << (bias ? " bias" : " no bias");
  if (op == ConvOp::Conv2d) {
    const auto& a = conv2d;
    os << " conv2d stride (" << a.stride[0] << "," << a.stride[1] << ") pad (" << a.padding[0]
       << "," << a.padding[1] << "," << a.padding[2] << "," << a.padding[3] << ") "
       << pad_mode_name(a.padding_mode) << " dilation (" << a.dilation[0] << "," << a.dilation[1]
       << ") groups " << a.groups;
  } else if (op == ConvOp::Conv1d) {
    const auto& a = conv1d;
    os << " conv1d stride " << a.stride << " pad (" << a.padding[0] << "," << a.padding[1] << ") "
       << pad_mode_name(a.padding_mode) << " dilation " << a.dilation << " groups " << a.groups;
  } else {
    const auto& a = conv_transpose2d;
    os << " conv_transpose2d stride (" << a.stride[0] << "," << a.stride[1] << ") pad ("
       << a.padding[0] << "," << a.padding[1] << ") output_padding (" << a.output_padding[0] << ","
       << a.output_padding[1] << ") dilation (" << a.dilation[0] << "," << a.dilation[1]
       << ") groups " << a.groups;
  }
  return os.str();
}

ag::Var ConvCase::run(const ag::Var& x, const ag::Var& w, const ag::Var& b) const {
  switch (op) {
    case ConvOp::Conv2d:
      return ag::conv2d(x, w, b, conv2d);
    case ConvOp::Conv1d:
      return ag::conv1d(x, w, b, conv1d);
    case ConvOp::ConvTranspose2d:
      return ag::conv_transpose2d(x, w, b, conv_transpose2d);
  }
  return {};
}

const std::vector<ConvCase>& conv_cases() {
  using P = PadMode;
  static const std::vector<ConvCase> cases = {
      // plain convolutions: odd sizes, strides, dilation, groups
      {.name = "odd_sizes",
       .N = 2,
       .IC = 3,
       .OC = 4,
       .H = 7,
       .W = 9,
       .KH = 3,
       .KW = 3,
       .conv2d = {.padding = {1, 1, 1, 1}}},
      {.name = "stride2",
       .N = 2,
       .IC = 2,
       .OC = 3,
       .H = 9,
       .W = 8,
       .KH = 3,
       .KW = 3,
       .conv2d = {.stride = {2, 2}, .padding = {1, 1, 1, 1}}},
      {.name = "stride3_rect",
       .N = 1,
       .IC = 2,
       .OC = 3,
       .H = 10,
       .W = 11,
       .KH = 4,
       .KW = 3,
       .conv2d = {.stride = {3, 2}}},
      {.name = "dilation2",
       .N = 2,
       .IC = 2,
       .OC = 3,
       .H = 9,
       .W = 9,
       .KH = 3,
       .KW = 3,
       .conv2d = {.padding = {2, 2, 2, 2}, .dilation = {2, 2}}},
      {.name = "groups2",
       .N = 2,
       .IC = 4,
       .OC = 6,
       .H = 6,
       .W = 7,
       .KH = 3,
       .KW = 3,
       .conv2d = {.padding = {1, 1, 1, 1}, .groups = 2}},
      {.name = "depthwise_stride2",
       .N = 2,
       .IC = 4,
       .OC = 8,
       .H = 7,
       .W = 6,
       .KH = 3,
       .KW = 3,
       .conv2d = {.stride = {2, 2}, .padding = {1, 1, 1, 1}, .groups = 4}},
      {.name = "pointwise_nobias",
       .N = 2,
       .IC = 5,
       .OC = 2,
       .H = 4,
       .W = 3,
       .KH = 1,
       .KW = 1,
       .bias = false},
      {.name = "lenet_5x5",
       .N = 2,
       .IC = 1,
       .OC = 3,
       .H = 8,
       .W = 8,
       .KH = 5,
       .KW = 5,
       .conv2d = {.padding = {2, 2, 2, 2}}},
      // padding modes, symmetric and per side
      {.name = "zeros_asym",
       .N = 2,
       .IC = 3,
       .OC = 2,
       .H = 6,
       .W = 5,
       .KH = 2,
       .KW = 3,
       .conv2d = {.padding = {0, 1, 2, 0}}},
      {.name = "circular",
       .N = 2,
       .IC = 2,
       .OC = 3,
       .H = 6,
       .W = 6,
       .KH = 3,
       .KW = 3,
       .conv2d = {.padding = {1, 1, 1, 1}, .padding_mode = P::Circular}},
      {.name = "circular_asym_groups_nobias",
       .N = 2,
       .IC = 4,
       .OC = 4,
       .H = 5,
       .W = 6,
       .KH = 3,
       .KW = 2,
       .conv2d = {.padding = {2, 0, 1, 0}, .padding_mode = P::Circular, .groups = 2},
       .bias = false},
      {.name = "reflect_asym",
       .N = 1,
       .IC = 2,
       .OC = 3,
       .H = 7,
       .W = 6,
       .KH = 3,
       .KW = 3,
       .conv2d = {.padding = {1, 2, 2, 0}, .padding_mode = P::Reflect}},
      {.name = "replicate_asym_stride2",
       .N = 2,
       .IC = 2,
       .OC = 2,
       .H = 5,
       .W = 7,
       .KH = 3,
       .KW = 2,
       .conv2d = {.stride = {2, 2}, .padding = {0, 2, 1, 1}, .padding_mode = P::Replicate}},
      // conv1d
      {.name = "conv1d_stride2",
       .op = ConvOp::Conv1d,
       .N = 2,
       .IC = 3,
       .OC = 4,
       .W = 11,
       .KW = 3,
       .conv1d = {.stride = 2, .padding = {1, 1}}},
      {.name = "conv1d_circular_dil2_groups2_nobias",
       .op = ConvOp::Conv1d,
       .N = 2,
       .IC = 2,
       .OC = 4,
       .W = 12,
       .KW = 3,
       .conv1d = {.padding = {2, 2}, .padding_mode = P::Circular, .dilation = 2, .groups = 2},
       .bias = false},
      // transposed convolution
      {.name = "convT_k2_stride2",
       .op = ConvOp::ConvTranspose2d,
       .N = 2,
       .IC = 4,
       .OC = 3,
       .H = 4,
       .W = 5,
       .KH = 2,
       .KW = 2,
       .conv_transpose2d = {.stride = {2, 2}}},
      {.name = "convT_k3_stride2_outpad1",
       .op = ConvOp::ConvTranspose2d,
       .N = 2,
       .IC = 3,
       .OC = 2,
       .H = 4,
       .W = 3,
       .KH = 3,
       .KW = 3,
       .conv_transpose2d = {.stride = {2, 2}, .padding = {1, 1}, .output_padding = {1, 1}}},
      {.name = "convT_dilation2",
       .op = ConvOp::ConvTranspose2d,
       .N = 1,
       .IC = 2,
       .OC = 3,
       .H = 5,
       .W = 4,
       .KH = 3,
       .KW = 3,
       .conv_transpose2d = {.padding = {1, 1}, .dilation = {2, 2}}},
      {.name = "convT_groups2_nobias",
       .op = ConvOp::ConvTranspose2d,
       .N = 2,
       .IC = 4,
       .OC = 6,
       .H = 4,
       .W = 4,
       .KH = 3,
       .KW = 3,
       .conv_transpose2d =
           {.stride = {2, 2}, .padding = {1, 1}, .output_padding = {1, 0}, .groups = 2},
       .bias = false},
      // output_padding >= stride is allowed when it is < dilation (PyTorch's rule)
      {.name = "convT_outpad_below_dilation",
       .op = ConvOp::ConvTranspose2d,
       .N = 1,
       .IC = 2,
       .OC = 2,
       .H = 4,
       .W = 5,
       .KH = 3,
       .KW = 3,
       .conv_transpose2d = {.output_padding = {1, 1}, .dilation = {2, 2}}},
      {.name = "convT_rect_stride3",
       .op = ConvOp::ConvTranspose2d,
       .N = 2,
       .IC = 2,
       .OC = 2,
       .H = 3,
       .W = 4,
       .KH = 2,
       .KW = 3,
       .conv_transpose2d = {.stride = {3, 2}, .padding = {1, 0}, .output_padding = {2, 1}}},
  };
  return cases;
}

namespace {
kernels::Conv2dDesc kernel_desc(const ConvCase& c) {
  kernels::Conv2dDesc d{
      .N = c.N, .IC = c.IC, .IH = c.H, .IW = c.W, .OC = c.OC, .KH = c.KH, .KW = c.KW};
  if (c.op == ConvOp::Conv2d) {
    const auto& a = c.conv2d;
    d.SH = a.stride[0], d.SW = a.stride[1], d.DH = a.dilation[0], d.DW = a.dilation[1];
    d.G = a.groups;
    if (a.padding_mode == PadMode::Zeros) {
      d.PH = {a.padding[0], a.padding[1]}, d.PW = {a.padding[2], a.padding[3]};
    } else {  // padded explicitly before a convolution without padding
      d.IH += a.padding[0] + a.padding[1], d.IW += a.padding[2] + a.padding[3];
    }
  } else if (c.op == ConvOp::Conv1d) {
    const auto& a = c.conv1d;
    d.IH = d.KH = 1;
    d.SW = a.stride, d.DW = a.dilation, d.G = a.groups;
    if (a.padding_mode == PadMode::Zeros)
      d.PW = {a.padding[0], a.padding[1]};
    else
      d.IW += a.padding[0] + a.padding[1];
  } else {
    const auto& a = c.conv_transpose2d;
    kernels::ConvTranspose2dDesc t{.N = c.N,
                                   .IC = c.IC,
                                   .IH = c.H,
                                   .IW = c.W,
                                   .OC = c.OC,
                                   .KH = c.KH,
                                   .KW = c.KW,
                                   .SH = a.stride[0],
                                   .SW = a.stride[1],
                                   .PH = a.padding[0],
                                   .PW = a.padding[1],
                                   .OPH = a.output_padding[0],
                                   .OPW = a.output_padding[1],
                                   .DH = a.dilation[0],
                                   .DW = a.dilation[1],
                                   .G = a.groups};
    kernels::conv_transpose2d_validate(t);
    d = kernels::conv_transpose2d_as_conv(t);
  }
  kernels::conv2d_validate(d);
  return d;
}
}  // namespace

const std::vector<ConvKernelCase>& conv_kernel_cases() {
  static const std::vector<ConvKernelCase> cases = [] {
    std::vector<ConvKernelCase> rows;
    for (const ConvCase& c : conv_cases()) {
      const kernels::Conv2dDesc d = kernel_desc(c);
      if (d.PH[0] >= 0 && d.PH[1] >= 0 && d.PW[0] >= 0 && d.PW[1] >= 0) rows.push_back({c.name, d});
    }
    for (const ConvLayer& l : workload_conv_layers(2)) rows.push_back({l.name, l.desc});
    return rows;
  }();
  return cases;
}

}  // namespace physcnn::test
