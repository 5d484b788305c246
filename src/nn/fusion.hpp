// The nn floor's fast-path switch: whether nn::Sequential and nn::Graph run Conv2d -> ReLU and
// BatchNorm -> ReLU as one fused op (autograd conv2d_relu, batch_norm_relu).
#pragma once

namespace physcnn::nn {

// On by default, off at start-up with PHYSCNN_FAST_DISABLE=fusion (core/switches.hpp); tests and
// benchmarks turn it off to compare. Not thread-safe: set it before running models.
bool fusion_enabled();
void set_fusion_enabled(bool on);

}  // namespace physcnn::nn
