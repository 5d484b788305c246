// The model zoo: the benchmark workloads W1-W5 (bench/README.md) plus VGG-small, ResNet-small
// and MobileNet-small.
// Module names match tools/ref/model_ref.py (PyTorch), so state_dicts transfer by key.
// Every builder takes a seed; the same seed builds the same initial weights.
#pragma once

#include <cstdint>
#include <memory>

#include "nn/nn.hpp"

namespace physcnn::nn::models {

// W1, input 1x28x28: features [Conv(1->6,5,pad 2) ReLU MaxPool2 Conv(6->16,5) ReLU MaxPool2],
// classifier [Flatten(400) Linear 120 ReLU Linear 84 ReLU Linear 10]. 61,706 parameters.
std::shared_ptr<Sequential> lenet5(uint64_t seed = 0, int64_t classes = 10);

// W2, input 1x28x28: features [Conv(1->32,3,pad 1) BN ReLU MaxPool2 Conv(32->64,3,pad 1) BN
// ReLU MaxPool2], classifier [Flatten(3136) Linear 128 ReLU Dropout(0.25) Linear 10].
std::shared_ptr<Sequential> fmnist_bn(uint64_t seed = 0, int64_t classes = 10);

// W3, input 1xLxL spins (any L divisible by 2): features [Conv(1->16,3,circular pad 1) ReLU
// MaxPool2 Conv(16->32,3,circular pad 1) ReLU], classifier [GlobalAvgPool Flatten Linear 2].
// Circular padding keeps the lattice's periodic boundary.
std::shared_ptr<Sequential> ising_cnn(uint64_t seed = 0, int64_t classes = 2);

// W4, input 1xHxW (H, W divisible by 4; 64x64 in the benchmark): a two-level U-Net; see UNetSmall.
class UNetSmall : public Module {
 public:
  UNetSmall(uint64_t seed = 0, int64_t in_channels = 1, int64_t classes = 2, int64_t base = 16);
  Var forward(const Var& x) override;
  std::string type_name() const override { return "UNetSmall"; }
  std::string export_graph(GraphSink& g, const ExportValue& x) override;
  // Only wires its children (each asked on its own) and skip concatenations.
  std::string batch_coupling() const override { return ""; }

 private:
  std::shared_ptr<Sequential> enc1_, enc2_, bottleneck_, dec2_, dec1_;
  std::shared_ptr<MaxPool2d> pool_;
  std::shared_ptr<ConvTranspose2d> up2_, up1_;
  std::shared_ptr<Conv2d> head_;
};
std::shared_ptr<UNetSmall> unet_small(uint64_t seed = 0, int64_t in_channels = 1,
                                      int64_t classes = 2);

// W5, input 3x64x64: conv_block_1 [Conv(3->10,3) ReLU Conv(10->10,3) ReLU MaxPool2],
// conv_block_2 [same with 10->10], classifier [Flatten(1690) Linear 10] (the TinyVGG of the
// CNN Explainer and of learnpytorch.io).
std::shared_ptr<Sequential> tinyvgg(uint64_t seed = 0, int64_t in_channels = 3,
                                    int64_t classes = 10);

// VGG-style for 32x32 images: features [(Conv3x3 pad 1, BN, ReLU) x2, MaxPool2] for 32, 64 and
// 128 channels; classifier [Flatten, Linear(lazy in) 256, ReLU, Dropout 0.5, Linear classes].
// The first Linear infers its inputs (128*(H/8)*(W/8)), so any size divisible by 8 works.
std::shared_ptr<Sequential> vgg_small(uint64_t seed = 0, int64_t in_channels = 3,
                                      int64_t classes = 10);

// ResNet for 32x32 images (He et al. 2016, CIFAR variant with 2 blocks per stage, ResNet-14):
// stem [Conv3x3 16, BN, ReLU]; layer1..3 with 16, 32, 64 channels, stride 1, 2, 2; each block is
// Residual(body [Conv3x3 BN ReLU Conv3x3 BN], shortcut Identity or [Conv1x1 stride BN], post
// ReLU); head [GlobalAvgPool Flatten Linear classes].
std::shared_ptr<Sequential> resnet_small(uint64_t seed = 0, int64_t in_channels = 3,
                                         int64_t classes = 10);

// MobileNet-style (Howard et al. 2017, v1 blocks) for 32x32 images: stem [Conv3x3 16, BN,
// ReLU]; features: five blocks [DepthwiseSeparableConv2d(3x3, norm, ReLU between), BN, ReLU]
// with 32, 64, 64, 128, 128 channels and strides 1, 2, 1, 2, 1; head [GlobalAvgPool Flatten
// Linear classes]. Any size divisible by 4 works.
std::shared_ptr<Sequential> mobilenet_small(uint64_t seed = 0, int64_t in_channels = 3,
                                            int64_t classes = 10);

}  // namespace physcnn::nn::models
