// W4: the small U-Net (two pooling levels, transposed-convolution upsampling, channel-concat
// skips). Child names match UNetSmall in tools/ref/model_ref.py.
#include "nn/models/models.hpp"

namespace physcnn::nn::models {

namespace {
// [Conv3x3 pad 1, ReLU] x 2
std::shared_ptr<Sequential> double_conv(int64_t in, int64_t out, Rng& rng) {
  auto b = std::make_shared<Sequential>();
  b->add(std::make_shared<Conv2d>(Conv2dOptions{.in = in, .out = out, .kernel = 3, .padding = 1},
                                  rng.fork(0)));
  b->add(std::make_shared<ReLU>());
  b->add(std::make_shared<Conv2d>(Conv2dOptions{.in = out, .out = out, .kernel = 3, .padding = 1},
                                  rng.fork(1)));
  b->add(std::make_shared<ReLU>());
  return b;
}
}  // namespace

UNetSmall::UNetSmall(uint64_t seed, int64_t in_channels, int64_t classes, int64_t base) {
  Rng rng(seed, 0x554e4554ULL);  // stream tag "UNET"
  std::vector<Rng> r;
  for (uint64_t i = 0; i < 8; ++i) r.push_back(rng.fork(i));
  const int64_t c1 = base, c2 = 2 * base, c3 = 4 * base;
  enc1_ = register_module("enc1", double_conv(in_channels, c1, r[0]));
  enc2_ = register_module("enc2", double_conv(c1, c2, r[1]));
  bottleneck_ = register_module("bottleneck", double_conv(c2, c3, r[2]));
  pool_ = register_module("pool", std::make_shared<MaxPool2d>());
  up2_ = register_module(
      "up2", std::make_shared<ConvTranspose2d>(
                 ConvTranspose2dOptions{.in = c3, .out = c2, .kernel = 2, .stride = 2}, r[3]));
  dec2_ = register_module("dec2", double_conv(2 * c2, c2, r[4]));
  up1_ = register_module(
      "up1", std::make_shared<ConvTranspose2d>(
                 ConvTranspose2dOptions{.in = c2, .out = c1, .kernel = 2, .stride = 2}, r[5]));
  dec1_ = register_module("dec1", double_conv(2 * c1, c1, r[6]));
  head_ = register_module(
      "head", std::make_shared<Conv2d>(Conv2dOptions{.in = c1, .out = classes, .kernel = 1}, r[7]));
}

Var UNetSmall::forward(const Var& x) {
  PHYSCNN_CHECK_SHAPE(x.dim() == 4 && x.size(2) % 4 == 0 && x.size(3) % 4 == 0,
                      "expects (N,C,H,W) with H and W divisible by 4 (two 2x2 poolings), got ",
                      x.shape().str());
  Var s1 = (*enc1_)(x);                             // (16,H,W)
  Var s2 = (*enc2_)((*pool_)(s1));                  // (32,H/2,W/2)
  Var b = (*bottleneck_)((*pool_)(s2));             // (64,H/4,W/4)
  Var d2 = (*dec2_)(concat_skip((*up2_)(b), s2));   // (32,H/2,W/2)
  Var d1 = (*dec1_)(concat_skip((*up1_)(d2), s1));  // (16,H,W)
  return (*head_)(d1);                              // (classes,H,W)
}

std::shared_ptr<UNetSmall> unet_small(uint64_t seed, int64_t in_channels, int64_t classes) {
  return std::make_shared<UNetSmall>(seed, in_channels, classes);
}

}  // namespace physcnn::nn::models
