// Model files written back (io::model_file_text): every example file, written and parsed again,
// gives the same node names, state_dict keys and outputs; blocks, names, inputs and merges
// survive; keys at their defaults are left out; a module no model file can name is refused.
#include <gtest/gtest.h>

#include "io/model_file.hpp"
#include "nn/nn.hpp"
#include "tensor/ops.hpp"

namespace physcnn::io {
namespace {

std::string example(const std::string& name) {
  return std::string(PHYSCNN_SOURCE_DIR) + "/examples/models/" + name + ".toml";
}

TEST(ModelFileWrite, EveryExampleRoundTrips) {
  for (const char* name :
       {"lenet5", "fmnist_bn", "ising_cnn", "unet_small", "tinyvgg", "residual_block"}) {
    SCOPED_TRACE(name);
    ModelFile a = load_model_file(example(name), 1);
    const std::string text = model_file_text(*a.model, a.input, a.name, a.description);
    SCOPED_TRACE(text);
    ModelFile b = parse_model_file(text, "written.toml", 2);
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.description, a.description);
    EXPECT_EQ(b.input, a.input);
    const nn::StateDict sa = a.model->state_dict(), sb = b.model->state_dict();
    ASSERT_EQ(sa.size(), sb.size());
    for (const auto& [key, t] : sa) {
      ASSERT_TRUE(sb.count(key)) << key;
      EXPECT_EQ(sb.at(key).shape(), t.shape()) << key;
    }
    b.model->load_state_dict(sa);
    a.model->eval();
    b.model->eval();
    std::vector<int64_t> dims{2};
    for (int64_t d : a.input) dims.push_back(d);
    Rng rng(3);
    const Tensor x = Tensor::uniform(Shape(dims), -1, 1, rng);
    autograd::NoGradGuard no_grad;
    EXPECT_EQ(max_abs_diff((*a.model)(nn::Var(x)).value(), (*b.model)(nn::Var(x)).value()), 0);
    // Writing the parsed model again gives the same text.
    EXPECT_EQ(model_file_text(*b.model, b.input, b.name, b.description), text);
  }
}

TEST(ModelFileWrite, LeavesOutDefaultsAndKeepsNamesBlocksAndInputs) {
  ModelFile mf = parse_model_file(R"(input = [2, 6, 6]
layer = [
  { block = "body", type = "conv2d", out = 2, kernel = 3, padding = 1, bias = false },
  { block = "body", name = "act", type = "relu" },
  { name = "skip", input = "input", type = "identity" },
  { name = "sum", type = "add", inputs = ["body", "skip"] },
  { type = "maxpool2d", kernel = [2, 3] },
]
)",
                                  "in.toml");
  const std::string text = model_file_text(*mf.model, mf.input);
  EXPECT_EQ(text, R"(input = [2, 6, 6]
layer = [
  { block = "body", type = "conv2d", out = 2, kernel = 3, padding = 1, bias = false },
  { block = "body", name = "act", type = "relu" },
  { name = "skip", input = "input", type = "identity" },
  { name = "sum", type = "add", inputs = ["body", "skip"] },
  { type = "maxpool2d", kernel = [2, 3] },
]
)");
}

TEST(ModelFileWrite, RefusesModulesWithoutAModelFileForm) {
  auto inner = std::make_shared<nn::Sequential>(
      std::initializer_list<nn::ModulePtr>{std::make_shared<nn::ReLU>()});
  nn::Sequential outer{std::make_shared<nn::Residual>(inner)};
  try {
    model_file_text(outer, Shape{4});
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("0 (Residual)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace physcnn::io
