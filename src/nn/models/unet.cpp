// W4: the small U-Net (two pooling levels, transposed-convolution upsampling, channel-concat
// skips). Child names match UNetSmall in tools/ref/model_ref.py.
#include <algorithm>
#include <cstring>

#include "core/parallel.hpp"
#include "nn/models/models.hpp"

namespace physcnn::nn::models {

namespace {
// For every image n: dst[n, dst_first .. dst_first+c) = src[n, src_first .. src_first+c), whole
// channel planes, images split over the threads (one block is 256 KB at W4's first level).
template <class T>
void copy_channels(int64_t N, int64_t c, int64_t plane, const T* src, int64_t src_C,
                   int64_t src_first, T* dst, int64_t dst_C, int64_t dst_first) {
  const auto block = static_cast<size_t>(c * plane);
  parallel_for(0, N, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, c * plane)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t n = lo; n < hi; ++n)
                   std::memcpy(dst + (n * dst_C + dst_first) * plane,
                               src + (n * src_C + src_first) * plane, block * sizeof(T));
               });
}

// concat_skip with the same checks and values, but a backward that hands each branch a
// contiguous gradient: autograd::concat's backward passes strided views of the output
// gradient, which the consumers (transposed conv, gradient accumulation) then copied element
// by element through Tensor::copy_'s general path, 4.7 % of a W4 training run in perf
// (bench/NOTES.md "wino"). Here one memcpy per image and branch, images over the threads.
Var concat_channels(const Var& up, const Var& skip) {
  PHYSCNN_CHECK_SHAPE(up.dim() == 4 && skip.dim() == 4 && up.size(0) == skip.size(0) &&
                          up.size(2) == skip.size(2) && up.size(3) == skip.size(3),
                      "skip connection: upsampled ", up.shape().str(), " and skip ",
                      skip.shape().str(), " differ in batch or spatial size");
  PHYSCNN_CHECK_ARG(up.dtype() == skip.dtype(), "skip connection: upsampled ",
                    dtype_name(up.dtype()), " and skip ", dtype_name(skip.dtype()), " differ");
  const int64_t N = up.size(0), cu = up.size(1), cs = skip.size(1), C = cu + cs;
  const int64_t H = up.size(2), W = up.size(3), plane = H * W;
  const Tensor a = up.value().contiguous(), b = skip.value().contiguous();
  Tensor out = Tensor::empty({N, C, H, W}, a.dtype());
  PHYSCNN_DISPATCH(a.dtype(), T, {
    copy_channels<T>(N, cu, plane, a.data<T>(), cu, 0, out.data<T>(), C, 0);
    copy_channels<T>(N, cs, plane, b.data<T>(), cs, 0, out.data<T>(), C, cu);
  });
  return autograd::make_op("concat", out, {up, skip}, [N, cu, cs, H, W](autograd::Grads& g) {
    const Tensor go = g.out.contiguous();
    PHYSCNN_DISPATCH(go.dtype(), T, {
      for (size_t i = 0; i < 2; ++i) {
        if (!g.needs(i)) continue;
        const int64_t c = i == 0 ? cu : cs;
        Tensor part = Tensor::empty({N, c, H, W}, go.dtype());
        copy_channels<T>(N, c, H * W, go.data<T>(), cu + cs, i == 0 ? 0 : cu, part.data<T>(), c, 0);
        g.in[i] = part;
      }
    });
  });
}

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
  Var s1 = (*enc1_)(x);                                 // (16,H,W)
  Var s2 = (*enc2_)((*pool_)(s1));                      // (32,H/2,W/2)
  Var b = (*bottleneck_)((*pool_)(s2));                 // (64,H/4,W/4)
  Var d2 = (*dec2_)(concat_channels((*up2_)(b), s2));   // (32,H/2,W/2)
  Var d1 = (*dec1_)(concat_channels((*up1_)(d2), s1));  // (16,H,W)
  return (*head_)(d1);                                  // (classes,H,W)
}

std::shared_ptr<UNetSmall> unet_small(uint64_t seed, int64_t in_channels, int64_t classes) {
  return std::make_shared<UNetSmall>(seed, in_channels, classes);
}

}  // namespace physcnn::nn::models
