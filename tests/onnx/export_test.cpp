// The exporter on its own: every registered layer type exports and passes ONNX's checker, the
// layers that cannot be exported are refused by name, batch-norm folding removes the
// BatchNormalization nodes. The runtimes' numbers are checked in runtimes_test.cpp.
#include <gtest/gtest.h>

#include <fstream>

#include "nn/models/models.hpp"
#include "nn/nn.hpp"
#include "nn/registry.hpp"
#include "onnx/cases.hpp"
#include "onnx/export.hpp"
#include "support/scratch_dir.hpp"
#include "support/throws.hpp"

#include <onnx/onnx_pb.h>

namespace physcnn {
namespace {

TEST(OnnxExport, EveryRegisteredLayerExportsAndPassesTheChecker) {
  for (const auto& spec : nn::layer_specs()) {
    SCOPED_TRACE(spec.type);
    auto m = spec.build(spec.example, Rng(3));
    ::onnx::ModelProto proto;
    onnx_export::Report r;
    ASSERT_NO_THROW(r = onnx_export::build_model(*m, spec.example_input, {}, proto));
    EXPECT_EQ(proto.graph().output(0).name(), "output");
    std::vector<int64_t> out{1};
    for (int64_t d : m->build(spec.example_input)) out.push_back(d);
    EXPECT_EQ(r.output, Shape(out));
  }
}

TEST(OnnxExport, BatchNormWithoutRunningStatisticsIsRefusedByName) {
  nn::Sequential m{std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 1, .out = 2, .kernel = 3}),
                   std::make_shared<nn::BatchNorm2d>(
                       nn::BatchNormOptions{.features = 2, .track_running_stats = false})};
  ::onnx::ModelProto proto;
  try {
    onnx_export::build_model(m, Shape{1, 5, 5}, {}, proto);
    FAIL() << "exported a batch norm without running statistics";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("1 (BatchNorm2d)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("track_running_stats"), std::string::npos) << e.what();
  }
}

// A module without export_graph: the default refuses with its path and type.
class Custom : public nn::Module {
 public:
  nn::Var forward(const nn::Var& x) override { return x; }
  std::string type_name() const override { return "MyCustomLayer"; }
};

TEST(OnnxExport, ALayerWithoutOperatorsIsRefusedByName) {
  nn::Sequential m{std::make_shared<nn::ReLU>(), std::make_shared<Custom>()};
  ::onnx::ModelProto proto;
  try {
    onnx_export::build_model(m, Shape{2, 3}, {}, proto);
    FAIL() << "exported a layer without export_graph";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("1 (MyCustomLayer): cannot be exported"),
              std::string::npos)
        << e.what();
  }
}

TEST(OnnxExport, FoldingRemovesBatchNormalizationNodes) {
  for (auto& c : test::onnx_cases()) {
    if (c.name != "batchnorm2d") continue;
    ::onnx::ModelProto proto;
    auto plain = onnx_export::build_model(*c.model, c.input, {}, proto);
    auto folded = onnx_export::build_model(*c.model, c.input, {.fold_batch_norm = true}, proto);
    EXPECT_EQ(plain.ops["BatchNormalization"], 2);
    EXPECT_EQ(folded.ops.count("BatchNormalization"), 0u);
    EXPECT_EQ(folded.ops["Conv"], 2);
    EXPECT_EQ(plain.ops.count("Dropout"), 0u);  // removed, evaluation mode
  }
}

TEST(OnnxExport, FoldingPutsGroupBatchNormIntoTheGroupConvBank) {
  int checked = 0;
  for (auto& c : test::onnx_cases()) {
    if (c.name != "group_p4") continue;
    ::onnx::ModelProto proto;
    auto plain = onnx_export::build_model(*c.model, c.input, {}, proto);
    auto folded = onnx_export::build_model(*c.model, c.input, {.fold_batch_norm = true}, proto);
    EXPECT_EQ(plain.ops["BatchNormalization"], 1);
    EXPECT_EQ(folded.ops.count("BatchNormalization"), 0u);
    EXPECT_EQ(folded.ops["Conv"], 2);
    ++checked;
  }
  EXPECT_EQ(checked, 1);
}

TEST(OnnxExport, NormalisationStatisticsMustFitTheChannels) {
  nn::Sequential m{std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 2, .out = 1, .kernel = 1})};
  ::onnx::ModelProto proto;
  auto r = onnx_export::build_model(m, Shape{2, 3, 3}, {.mean = {0, 1}, .std = {1, 2}}, proto);
  EXPECT_EQ(r.ops["Sub"], 1);
  EXPECT_EQ(r.ops["Div"], 1);
  test::expect_error<UsageError>(
      [&] {
        onnx_export::build_model(m, Shape{2, 3, 3}, {.mean = {0}, .std = {1}}, proto);
      },
      {"statistics for 1 channels", "[2,3,3]", "has 2"});
}

TEST(OnnxExport, WritesAFileThatParsesBack) {
  test::ScratchDir dir;
  auto m = nn::models::lenet5(1);
  onnx_export::export_onnx(*m, Shape{1, 28, 28}, dir.file("m.onnx"));
  std::ifstream in(dir.file("m.onnx"), std::ios::binary);
  ::onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromIstream(&in));
  EXPECT_EQ(proto.opset_import(0).version(), onnx_export::kOpset);
  EXPECT_EQ(proto.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "N");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"m.onnx"});
}

}  // namespace
}  // namespace physcnn
