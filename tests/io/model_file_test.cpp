// Model files: the example files equal the zoo models (keys, shapes, outputs on the zoo's
// weights), every layer type parses, and bad files get errors naming file, line and layer.
#include "io/model_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "autograd/gradcheck.hpp"
#include "core/error.hpp"
#include "nn/models/models.hpp"
#include "support/throws.hpp"
#include "tensor/ops.hpp"

namespace physcnn::io {
namespace {

using physcnn::test::expect_error;

std::string example(const std::string& name) {
  return std::string(PHYSCNN_SOURCE_DIR) + "/examples/models/" + name + ".toml";
}

// Same keys and shapes; then the file model on the reference's weights gives the same outputs.
void expect_same_model(nn::Module& file_model, nn::Module& reference, const Shape& input,
                       int64_t batch = 2) {
  reference.build(input);
  nn::StateDict a = file_model.state_dict(), b = reference.state_dict();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [key, t] : b) {
    ASSERT_TRUE(a.count(key)) << "the file model lacks " << key;
    EXPECT_EQ(a.at(key).shape(), t.shape()) << key;
  }
  file_model.load_state_dict(b);
  EXPECT_EQ(file_model.parameter_count(), reference.parameter_count());
  file_model.eval();
  reference.eval();
  std::vector<int64_t> dims{batch};
  for (int64_t d : input) dims.push_back(d);
  Rng rng(7);
  nn::Var x(Tensor::normal(Shape(dims), 0, 1, rng));
  Tensor y_file = file_model(x).value(), y_ref = reference(x).value();
  ASSERT_EQ(y_file.shape(), y_ref.shape());
  EXPECT_LE(max_abs_diff(y_file, y_ref), 1e-6);
  EXPECT_GT(max_abs(y_ref), 0.0);
}

TEST(ModelFile, Lenet5EqualsZoo) {
  ModelFile mf = load_model_file(example("lenet5"), 3);
  EXPECT_EQ(mf.name, "lenet5");
  EXPECT_EQ(mf.input, Shape({1, 28, 28}));
  EXPECT_EQ(mf.model->parameter_count(), 61706);
  auto zoo = nn::models::lenet5(0);
  expect_same_model(*mf.model, *zoo, mf.input);
}

TEST(ModelFile, FmnistBnEqualsZoo) {
  ModelFile mf = load_model_file(example("fmnist_bn"));
  auto zoo = nn::models::fmnist_bn(0);
  expect_same_model(*mf.model, *zoo, mf.input);
  // Batch-norm buffers are part of the state too.
  EXPECT_TRUE(mf.model->state_dict().count("features.1.running_var"));
}

TEST(ModelFile, IsingCnnEqualsZoo) {
  ModelFile mf = load_model_file(example("ising_cnn"));
  auto zoo = nn::models::ising_cnn(0);
  expect_same_model(*mf.model, *zoo, mf.input);
}

TEST(ModelFile, TinyVggEqualsZoo) {
  ModelFile mf = load_model_file(example("tinyvgg"));
  auto zoo = nn::models::tinyvgg(0);
  expect_same_model(*mf.model, *zoo, mf.input);
}

TEST(ModelFile, UnetSmallEqualsZoo) {
  ModelFile mf = load_model_file(example("unet_small"));
  auto zoo = nn::models::unet_small(0);
  expect_same_model(*mf.model, *zoo, mf.input, 1);
}

TEST(ModelFile, ResidualBlockEqualsResidual) {
  ModelFile mf = load_model_file(example("residual_block"));
  using namespace nn;
  auto body = std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<Conv2d>(
          Conv2dOptions{.out = 32, .kernel = 3, .stride = 2, .padding = 1, .bias = false}),
      std::make_shared<BatchNorm2d>(), std::make_shared<ReLU>(),
      std::make_shared<Conv2d>(Conv2dOptions{.out = 32, .kernel = 3, .padding = 1, .bias = false}),
      std::make_shared<BatchNorm2d>()});
  auto shortcut = std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<Conv2d>(Conv2dOptions{.out = 32, .kernel = 1, .stride = 2, .bias = false}),
      std::make_shared<BatchNorm2d>()});
  Residual reference(body, shortcut, std::make_shared<ReLU>());
  // Give the batch norms non-trivial statistics so that evaluation mode tests them.
  reference.build(mf.input);
  Rng rng(5);
  for (auto& [key, t] : reference.state_dict())
    if (key.find("running") != std::string::npos)
      t.copy_(Tensor::uniform(t.shape(), 0.5, 1.5, rng, t.dtype()));
  expect_same_model(*mf.model, reference, mf.input);
}

TEST(ModelFile, SummaryHasOneRowPerLayerWithSequentialPaths) {
  ModelFile mf = load_model_file(example("lenet5"));
  nn::Summary file_summary = mf.model->summary(mf.input);
  nn::Summary zoo_summary = nn::models::lenet5()->summary(mf.input);
  ASSERT_EQ(file_summary.rows.size(), zoo_summary.rows.size());
  for (size_t i = 0; i < zoo_summary.rows.size(); ++i) {
    EXPECT_EQ(file_summary.rows[i].path, zoo_summary.rows[i].path);
    EXPECT_EQ(file_summary.rows[i].type, zoo_summary.rows[i].type);
    EXPECT_EQ(file_summary.rows[i].output, zoo_summary.rows[i].output);
    EXPECT_EQ(file_summary.rows[i].params, zoo_summary.rows[i].params);
  }
  EXPECT_EQ(file_summary.total_params, zoo_summary.total_params);
  // Merges are rows too.
  ModelFile unet = load_model_file(example("unet_small"));
  nn::Summary s = unet.model->summary(unet.input);
  bool found = false;
  for (const auto& r : s.rows)
    if (r.path == "cat2" && r.type == "Concat") found = r.output == Shape({64, 32, 32});
  EXPECT_TRUE(found) << nn::format_summary(s);
}

TEST(ModelFile, PlainChainHasSequentialIndices) {
  ModelFile mf = parse_model_file(R"(
input = [4]
[[layer]]
type = "linear"
out = 3
[[layer]]
type = "tanh"
[[layer]]
type = "linear"
out = 2
)",
                                  "chain.toml");
  EXPECT_EQ(mf.name, "chain");
  auto sd = mf.model->state_dict();
  EXPECT_TRUE(sd.count("0.weight") && sd.count("0.bias") && sd.count("2.weight"));
  EXPECT_EQ(sd.size(), 4u);
  // The seed fixes the weights: same seed, same weights; another seed, others.
  ModelFile again = parse_model_file("input = [4]\n[[layer]]\ntype = \"linear\"\nout = 3\n", "c");
  ModelFile other =
      parse_model_file("input = [4]\n[[layer]]\ntype = \"linear\"\nout = 3\n", "c", 9);
  EXPECT_EQ(max_abs_diff(sd.at("0.weight"), again.model->state_dict().at("0.weight")), 0.0);
  EXPECT_GT(max_abs_diff(sd.at("0.weight"), other.model->state_dict().at("0.weight")), 0.0);
}

}  // namespace
}  // namespace physcnn::io
