// The C++ API in one page: generate Ising configurations, build a CNN with circular padding,
// train it, and report the held-out accuracy. Built as `example_ising_classifier`.
#include <cstdio>

#include "data/dataset.hpp"
#include "data/loader.hpp"
#include "nn/nn.hpp"
#include "optim/adam.hpp"
#include "physics/ising/generator.hpp"
#include "train/loop.hpp"

using namespace physcnn;

int main() {
  // 8x8 lattices deep in each phase: T = 1.5 (ordered, label 1) and T = 3.5 (disordered, 0).
  const auto data = physics::ising::generate(
      {.temperatures = {1.5, 3.5}, .lattice_size = 8, .configs_per_temperature = 128, .seed = 7});
  // In-memory tensors are a TensorDataset; the same DataLoader serves them as files.
  const data::DatasetPtr all =
      std::make_shared<data::TensorDataset>(physics::ising::to_tensor(data), data.label);
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
  data::DataLoader train_set(std::make_shared<data::Subset>(all, train_idx),
                             {.batch_size = 32, .seed = 1});
  data::DataLoader test_set(std::make_shared<data::Subset>(all, test_idx),
                            {.batch_size = 256, .shuffle = false});
  train::TrainerOptions options;
  options.epochs = 30;
  options.top_k = 1;
  options.quiet = true;
  train::Trainer trainer(*model, adam, nullptr, options);
  trainer.fit(train_set, nullptr);
  const double accuracy =
      train::evaluate(*model, test_set, train::LossKind::CrossEntropy).values().at("accuracy");
  std::printf("held-out accuracy: %.3f\n", accuracy);
  return accuracy > 0.9 ? 0 : 1;
}
