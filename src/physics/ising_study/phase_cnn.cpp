// The square-lattice study's network (declared in study.hpp; the triangular one is in
// triangular.cpp).
#include <memory>

#include "core/rng.hpp"
#include "nn/nn.hpp"
#include "physics/ising_study/study.hpp"

namespace physcnn::physics::ising {

std::shared_ptr<nn::Sequential> ising_phase_cnn(uint64_t seed) {
  Rng rng(seed, 0x50484153ull);  // "PHAS"
  auto conv = [&](int64_t in, int64_t out) {
    return std::make_shared<nn::Conv2d>(
        nn::Conv2dOptions{
            .in = in, .out = out, .kernel = 3, .padding = 1, .padding_mode = nn::Padding::Circular},
        rng.fork(uint64_t(in * 1000 + out)));
  };
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      conv(1, 16), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(), conv(16, 32),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::GlobalAvgPool2d>(),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 32, .out = 32}, rng.fork(1)),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 32, .out = 2}, rng.fork(2))});
}

}  // namespace physcnn::physics::ising
