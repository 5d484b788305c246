// The one check of a float32 convolution against the reference: every pass of a geometry
// (forward with and without bias and ReLU, backward data, backward weight with and without the
// bias gradient), run by an entry of the implementation list or by the dispatchers.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kernels/conv_dispatch.hpp"

namespace physcnn::test {

// Runs one pass on the given buffers.
using ConvRunner =
    std::function<void(const kernels::Conv2dDesc&, kernels::ConvPass, const kernels::ConvBuffers&)>;
ConvRunner entry_runner(const kernels::ConvImpl& impl);  // impl.run
ConvRunner dispatch_runner();                            // kernels::conv2d_forward<float> ...

// Random inputs of one geometry, the reference results of every pass, and their error bounds
// (the reference run on |x|, |w|, |b|, |dy|: per element the sum of its terms' magnitudes).
class ConvOracle {
 public:
  explicit ConvOracle(kernels::Conv2dDesc d, uint64_t seed = 21);
  const kernels::Conv2dDesc& desc() const { return d_; }
  // Runs the passes `run` takes (all by default) and expects each within the bound; `name`
  // names the kernel in failure messages. Outputs start as garbage: they must be written.
  // Winograd's transforms mix the inputs of a whole tile, so its rounding is bounded by the
  // tile's magnitudes, not each output's own terms (Barabasz et al., "Error analysis and
  // improving the accuracy of Winograd convolution", 2020): with `winograd` each element's bound
  // is the largest over its 3x3 neighbourhood in its plane, which covers any tile alignment.
  void check(const ConvRunner& run, const std::string& name,
             const std::vector<kernels::ConvPass>& passes = {kernels::ConvPass::Forward,
                                                             kernels::ConvPass::BackwardData,
                                                             kernels::ConvPass::BackwardWeight},
             bool winograd = false) const;

 private:
  kernels::Conv2dDesc d_;
  std::vector<float> x_, w_, b_, dy_;
  std::vector<float> y_[4], y_bound_[2];  // y_[relu * 2 + bias]; bound without, with bias
  std::vector<float> dx_, dx_bound_, dw_, dw_bound_, db_, db_bound_;
};

// Checks every pass of entry `impl` on d where it handles the pass (the entry's CPU must have
// its instruction set); returns how many passes ran.
int check_entry(const kernels::ConvImpl& impl, const kernels::Conv2dDesc& d);

}  // namespace physcnn::test
