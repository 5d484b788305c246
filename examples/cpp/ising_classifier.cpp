// The C++ API in one page: generate Ising configurations, build a CNN with circular padding,
// train it, and report the held-out accuracy. Built as `example_ising_classifier`.
#include <cstdio>

#include "nn/nn.hpp"
#include "optim/adam.hpp"
#include "physics/ising/generator.hpp"
#include "train/trainer.hpp"

using namespace physcnn;

int main() {
  // 8x8 lattices deep in each phase: T = 1.5 (ordered, label 1) and T = 3.5 (disordered, 0).
  const auto data = physics::ising::generate(
      {.temperatures = {1.5, 3.5}, .lattice_size = 8, .configs_per_temperature = 128, .seed = 7});
  std::vector<float> labels(data.label.begin(), data.label.end());
  const train::TensorData all{physics::ising::to_tensor(data),
                              Tensor::from_vector(labels, Shape{data.count()})};
  std::vector<int64_t> train_idx, test_idx;
  for (int64_t i = 0; i < data.count(); ++i) (i % 4 == 0 ? test_idx : train_idx).push_back(i);

  auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{
          .in = 1, .out = 8, .kernel = 3, .padding = 1, .padding_mode = nn::Padding::Circular}),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::GlobalAvgPool2d>(),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 8, .out = 2})});
  std::printf("%s", nn::format_summary(model->summary(Shape{1, 8, 8})).c_str());

  optim::Adam adam(model->named_parameters(), {.lr = 2e-2});
  train::fit(*model, adam, train::take(all, train_idx), nullptr,
             {.epochs = 30, .batch_size = 32, .seed = 1, .quiet = true});
  const auto result =
      train::evaluate(*model, train::take(all, test_idx), train::Task::Classification);
  std::printf("held-out accuracy: %.3f\n", result.metric);
  return result.metric > 0.9 ? 0 : 1;
}
