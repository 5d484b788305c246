// Builders of the sequential models of the zoo. The comment after each layer gives its output
// shape per sample for the workload's input size (checked by tests/nn/models_test.cpp).
#include "nn/models/models.hpp"

namespace physcnn::nn::models {

namespace {

// One independent initialisation stream per layer, in construction order.
class Seeder {
 public:
  explicit Seeder(uint64_t seed) : base_(seed, 0x4d4f44454cULL) {}  // stream tag "MODEL"
  Rng next() { return base_.fork(k_++); }

 private:
  Rng base_;
  uint64_t k_ = 0;
};

template <class M, class... Args>
std::shared_ptr<M> make(Args&&... args) {
  return std::make_shared<M>(std::forward<Args>(args)...);
}

std::shared_ptr<Sequential> named(std::vector<std::pair<std::string, ModulePtr>> parts) {
  return make<Sequential>(parts);
}

}  // namespace

std::shared_ptr<Sequential> lenet5(uint64_t seed, int64_t classes) {
  Seeder s(seed);
  auto features = make<Sequential>();
  features->add(make<Conv2d>(Conv2dOptions{.in = 1, .out = 6, .kernel = 5, .padding = 2},
                             s.next()));  // (6,28,28)
  features->add(make<ReLU>());
  features->add(make<MaxPool2d>());  // (6,14,14)
  features->add(make<Conv2d>(Conv2dOptions{.in = 6, .out = 16, .kernel = 5}, s.next()));
  features->add(make<ReLU>());       // (16,10,10)
  features->add(make<MaxPool2d>());  // (16,5,5)
  auto classifier = make<Sequential>();
  classifier->add(make<Flatten>());  // (400)
  classifier->add(make<Linear>(LinearOptions{.in = 400, .out = 120}, s.next()));
  classifier->add(make<ReLU>());
  classifier->add(make<Linear>(LinearOptions{.in = 120, .out = 84}, s.next()));
  classifier->add(make<ReLU>());
  classifier->add(make<Linear>(LinearOptions{.in = 84, .out = classes}, s.next()));  // (10)
  return named({{"features", features}, {"classifier", classifier}});
}

std::shared_ptr<Sequential> fmnist_bn(uint64_t seed, int64_t classes) {
  Seeder s(seed);
  auto features = make<Sequential>();
  features->add(
      make<Conv2d>(Conv2dOptions{.in = 1, .out = 32, .kernel = 3, .padding = 1}, s.next()));
  features->add(make<BatchNorm2d>(BatchNormOptions{.features = 32}));
  features->add(make<ReLU>());
  features->add(make<MaxPool2d>());  // (32,14,14)
  features->add(
      make<Conv2d>(Conv2dOptions{.in = 32, .out = 64, .kernel = 3, .padding = 1}, s.next()));
  features->add(make<BatchNorm2d>(BatchNormOptions{.features = 64}));
  features->add(make<ReLU>());
  features->add(make<MaxPool2d>());  // (64,7,7)
  auto classifier = make<Sequential>();
  classifier->add(make<Flatten>());  // (3136)
  classifier->add(make<Linear>(LinearOptions{.in = 3136, .out = 128}, s.next()));
  classifier->add(make<ReLU>());
  classifier->add(make<Dropout>(DropoutOptions{.p = 0.25}, s.next()));
  classifier->add(make<Linear>(LinearOptions{.in = 128, .out = classes}, s.next()));  // (10)
  return named({{"features", features}, {"classifier", classifier}});
}

std::shared_ptr<Sequential> ising_cnn(uint64_t seed, int64_t classes) {
  Seeder s(seed);
  auto features = make<Sequential>();
  features->add(make<Conv2d>(
      Conv2dOptions{
          .in = 1, .out = 16, .kernel = 3, .padding = 1, .padding_mode = Padding::Circular},
      s.next()));  // (16,32,32)
  features->add(make<ReLU>());
  features->add(make<MaxPool2d>());  // (16,16,16)
  features->add(make<Conv2d>(
      Conv2dOptions{
          .in = 16, .out = 32, .kernel = 3, .padding = 1, .padding_mode = Padding::Circular},
      s.next()));  // (32,16,16)
  features->add(make<ReLU>());
  auto classifier = make<Sequential>();
  classifier->add(make<GlobalAvgPool2d>());                                          // (32,1,1)
  classifier->add(make<Flatten>());                                                  // (32)
  classifier->add(make<Linear>(LinearOptions{.in = 32, .out = classes}, s.next()));  // (2)
  return named({{"features", features}, {"classifier", classifier}});
}

std::shared_ptr<Sequential> tinyvgg(uint64_t seed, int64_t in_channels, int64_t classes) {
  Seeder s(seed);
  auto block = [&s](int64_t in) {
    auto b = make<Sequential>();
    b->add(make<Conv2d>(Conv2dOptions{.in = in, .out = 10, .kernel = 3}, s.next()));
    b->add(make<ReLU>());
    b->add(make<Conv2d>(Conv2dOptions{.in = 10, .out = 10, .kernel = 3}, s.next()));
    b->add(make<ReLU>());
    b->add(make<MaxPool2d>());
    return b;
  };
  auto block1 = block(in_channels);  // (10,62,62) (10,60,60) (10,30,30)
  auto block2 = block(10);           // (10,28,28) (10,26,26) (10,13,13)
  auto classifier = make<Sequential>();
  classifier->add(make<Flatten>());                                                    // (1690)
  classifier->add(make<Linear>(LinearOptions{.in = 1690, .out = classes}, s.next()));  // (10)
  return named({{"conv_block_1", block1}, {"conv_block_2", block2}, {"classifier", classifier}});
}

std::shared_ptr<Sequential> vgg_small(uint64_t seed, int64_t in_channels, int64_t classes) {
  Seeder s(seed);
  auto features = make<Sequential>();
  int64_t in = in_channels;
  for (int64_t width : {32, 64, 128}) {
    for (int rep = 0; rep < 2; ++rep) {
      features->add(make<Conv2d>(
          Conv2dOptions{.in = in, .out = width, .kernel = 3, .padding = 1, .bias = false},
          s.next()));
      features->add(make<BatchNorm2d>(BatchNormOptions{.features = width}));
      features->add(make<ReLU>());
      in = width;
    }
    features->add(make<MaxPool2d>());  // (32,16,16), (64,8,8), (128,4,4) for 32x32
  }
  auto classifier = make<Sequential>();
  classifier->add(make<Flatten>());                                    // (2048)
  classifier->add(make<Linear>(LinearOptions{.out = 256}, s.next()));  // lazy in
  classifier->add(make<ReLU>());
  classifier->add(make<Dropout>(DropoutOptions{.p = 0.5}, s.next()));
  classifier->add(make<Linear>(LinearOptions{.in = 256, .out = classes}, s.next()));
  return named({{"features", features}, {"classifier", classifier}});
}

std::shared_ptr<Sequential> resnet_small(uint64_t seed, int64_t in_channels, int64_t classes) {
  Seeder s(seed);
  auto conv_bn = [&s](Sequential& seq, int64_t in, int64_t out, int64_t k, int64_t stride) {
    seq.add(make<Conv2d>(
        Conv2dOptions{
            .in = in, .out = out, .kernel = k, .stride = stride, .padding = k / 2, .bias = false},
        s.next()));
    seq.add(make<BatchNorm2d>(BatchNormOptions{.features = out}));
  };
  auto basic_block = [&](int64_t in, int64_t out, int64_t stride) {
    auto body = make<Sequential>();
    conv_bn(*body, in, out, 3, stride);
    body->add(make<ReLU>());
    conv_bn(*body, out, out, 3, 1);
    std::shared_ptr<Sequential> shortcut;
    if (stride != 1 || in != out) {
      shortcut = make<Sequential>();
      conv_bn(*shortcut, in, out, 1, stride);
    }
    return make<Residual>(body, shortcut, make<ReLU>());
  };
  auto stem = make<Sequential>();
  conv_bn(*stem, in_channels, 16, 3, 1);
  stem->add(make<ReLU>());  // (16,32,32)
  std::vector<std::pair<std::string, ModulePtr>> parts{{"stem", stem}};
  int64_t in = 16;
  const int64_t widths[3] = {16, 32, 64}, strides[3] = {1, 2, 2};
  for (int stage = 0; stage < 3; ++stage) {
    auto layer = make<Sequential>();
    layer->add(basic_block(in, widths[stage], strides[stage]));
    layer->add(basic_block(widths[stage], widths[stage], 1));
    in = widths[stage];
    parts.emplace_back("layer" + std::to_string(stage + 1),
                       layer);  // (16,32,32) (32,16,16) (64,8,8)
  }
  auto head = make<Sequential>();
  head->add(make<GlobalAvgPool2d>());
  head->add(make<Flatten>());  // (64)
  head->add(make<Linear>(LinearOptions{.in = 64, .out = classes}, s.next()));
  parts.emplace_back("head", head);
  return named(parts);
}

std::shared_ptr<Sequential> mobilenet_small(uint64_t seed, int64_t in_channels, int64_t classes) {
  Seeder s(seed);
  auto stem = make<Sequential>();
  stem->add(make<Conv2d>(
      Conv2dOptions{.in = in_channels, .out = 16, .kernel = 3, .padding = 1, .bias = false},
      s.next()));
  stem->add(make<BatchNorm2d>(BatchNormOptions{.features = 16}));
  stem->add(make<ReLU>());  // (16,32,32)
  auto features = make<Sequential>();
  int64_t in = 16;
  const int64_t widths[5] = {32, 64, 64, 128, 128}, strides[5] = {1, 2, 1, 2, 1};
  for (int b = 0; b < 5; ++b) {
    // MobileNet v1's block: depthwise 3x3, BN, ReLU, pointwise 1x1, BN, ReLU.
    features->add(make<DepthwiseSeparableConv2d>(
        DepthwiseSeparableConv2dOptions{.in = in,
                                        .out = widths[b],
                                        .kernel = 3,
                                        .stride = strides[b],
                                        .padding = 1,
                                        .bias = false,
                                        .norm = true,
                                        .activation = BetweenActivation::ReLU},
        s.next()));
    features->add(make<BatchNorm2d>(BatchNormOptions{.features = widths[b]}));
    features->add(make<ReLU>());  // (32,32,32) (64,16,16) (64,16,16) (128,8,8) (128,8,8)
    in = widths[b];
  }
  auto head = make<Sequential>();
  head->add(make<GlobalAvgPool2d>());
  head->add(make<Flatten>());  // (128)
  head->add(make<Linear>(LinearOptions{.in = 128, .out = classes}, s.next()));
  return named({{"stem", stem}, {"features", features}, {"head", head}});
}

}  // namespace physcnn::nn::models
