// The convolution test table: op x configuration rows shared by the gradient checks, the
// PyTorch parity test (tools/ref/conv_ref.py lists the same rows under the same names) and, as
// kernel geometries, the tests of every entry of the implementation list.
#pragma once

#include <string>
#include <vector>

#include "autograd/functional.hpp"
#include "kernels/conv.hpp"

namespace physcnn::test {

enum class ConvOp { Conv2d, Conv1d, ConvTranspose2d };

struct ConvCase {
  std::string name;
  ConvOp op = ConvOp::Conv2d;
  int64_t N = 1, IC = 1, OC = 1, H = 1, W = 1, KH = 1, KW = 1;  // conv1d: H = KH = 1, W = L
  autograd::Conv2dArgs conv2d{};
  autograd::Conv1dArgs conv1d{};
  autograd::ConvTranspose2dArgs conv_transpose2d{};
  bool bias = true;

  Shape input_shape() const;
  Shape weight_shape() const;
  Shape bias_shape() const { return Shape{OC}; }
  std::string str() const;  // every parameter, printed when a row fails
  autograd::Var run(const autograd::Var& x, const autograd::Var& w, const autograd::Var& b) const;
};

const std::vector<ConvCase>& conv_cases();

// The kernel rows: the conv2d geometry each row above runs (conv1d with H = 1, other padding
// modes as their padded input, a transposed convolution as the conv2d whose backward data it
// is; rows with negative padding are skipped: only the reference takes them), then the W1-W5
// layers (conv_workload_layers.hpp) at batch 2.
struct ConvKernelCase {
  std::string name;
  kernels::Conv2dDesc desc;
};
const std::vector<ConvKernelCase>& conv_kernel_cases();

}  // namespace physcnn::test
