// Uses the installed library: a model from a model file (io), one training step (train), its
// weights written and read back (safetensors), and the zoo's LeNet-5 (nn). Prints what it found.
#include <cstdio>
#include <filesystem>

#include "autograd/functional.hpp"
#include "io/model_file.hpp"
#include "io/safetensors.hpp"
#include "nn/models/models.hpp"
#include "optim/sgd.hpp"
#include "train/losses.hpp"
#include "train/train_step.hpp"

using namespace physcnn;

int main() {
  io::ModelFile mf = io::parse_model_file(R"(input = [2, 8]
layer = [{ type = "conv1d", out = 4, kernel = 3, padding = 1 }, { type = "relu" },
         { type = "flatten" }, { type = "linear", out = 3 }])",
                                          "consumer.toml");
  Rng rng(1);
  const Tensor x = Tensor::uniform(Shape{4, 2, 8}, -1.0, 1.0, rng);
  data::Batch batch{.inputs = x, .labels = {0, 1, 2, 0}};
  optim::Sgd sgd(mf.model->named_parameters(), {.lr = 0.1});
  const double first =
      train::train_step(*mf.model, sgd, nullptr, batch, train::LossKind::CrossEntropy).pass.loss;
  const double second =
      train::train_step(*mf.model, sgd, nullptr, batch, train::LossKind::CrossEntropy).pass.loss;
  std::printf("model file: %lld parameters, loss %.4f -> %.4f\n",
              static_cast<long long>(mf.model->parameter_count()), first, second);

  const std::string path =
      (std::filesystem::temp_directory_path() / "physcnn_consumer.safetensors").string();
  io::save_safetensors(path, mf.model->state_dict());
  const io::TensorFile f = io::load_safetensors(path);
  std::filesystem::remove(path);
  std::printf("safetensors: %zu tensors\n", f.tensors.size());

  auto lenet = nn::models::lenet5();
  lenet->eval();
  const autograd::Var out = (*lenet)(autograd::Var(Tensor::zeros(Shape{2, 1, 28, 28})));
  std::printf("lenet5: %lld parameters, output %s\n",
              static_cast<long long>(lenet->parameter_count()), out.shape().str().c_str());
  return second < first ? 0 : 1;
}
