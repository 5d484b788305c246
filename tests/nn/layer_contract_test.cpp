// The layer contract of nn/module.hpp, checked for every registered layer type on its own
// example (nn/registry.cpp): gradients, reference vs fast kernels, state_dict and model-file round
// trips, the summary row, the batch-independence claim and the fused-ReLU claim. A new
// registration is tested here without a new line.
#include <gtest/gtest.h>

#include <fstream>
#include <ostream>
#include <set>
#include <sstream>

#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"
#include "io/model_file.hpp"
#include "kernels/backend.hpp"
#include "nn/nn.hpp"
#include "nn/registry.hpp"
#include "tensor/ops.hpp"

namespace physcnn::nn {
// A failing row names its layer type instead of printing the spec's bytes.
void PrintTo(const LayerSpec& spec, std::ostream* os) {
  *os << spec.type;
}
}  // namespace physcnn::nn

using namespace physcnn;
namespace ag = physcnn::autograd;
namespace k = physcnn::kernels;
using nn::Var;

namespace {

constexpr int64_t kBatch = 3;

Tensor batch_input(const nn::LayerSpec& spec, DType dt, uint64_t seed = 5) {
  std::vector<int64_t> dims{kBatch};
  for (int64_t d : spec.example_input) dims.push_back(d);
  Rng rng(seed);
  return Tensor::uniform(Shape(dims), -1, 1, rng, dt);
}

nn::ModulePtr make(const nn::LayerSpec& spec, uint64_t seed = 7) {
  return spec.build(spec.example, Rng(seed));
}

Tensor run(nn::Module& m, const Tensor& x) {
  ag::NoGradGuard no_grad;
  return m(Var(x)).value();
}

// Whether two forwards on the same input agree (a training Dropout draws new masks each time).
bool deterministic(nn::Module& m, const Tensor& x) {
  return max_abs_diff(run(m, x), run(m, x)) == 0;
}

// Training mode, or evaluation for a layer that draws random numbers in training.
void repeatable_mode(nn::Module& m, const Tensor& x) {
  m.train();
  if (!deterministic(m, x)) m.eval();
}

class LayerContract : public ::testing::TestWithParam<nn::LayerSpec> {};

std::string spec_name(const ::testing::TestParamInfo<nn::LayerSpec>& info) {
  return info.param.type;
}

}  // namespace

TEST_P(LayerContract, DeclaresItsTypeAndKeys) {
  const nn::LayerSpec& spec = GetParam();
  auto m = make(spec);
  EXPECT_EQ(m->type_name(), spec.module_type);
  ASSERT_NE(nn::find_layer_spec(*m), nullptr);
  EXPECT_EQ(nn::find_layer_spec(*m)->type, spec.type);
  // layer_args reports exactly the declared keys, so the writer loses nothing.
  std::set<std::string> declared, reported;
  for (const auto& key : spec.keys) declared.insert(key.name);
  for (const auto& [name, _] : m->layer_args()) reported.insert(name);
  EXPECT_EQ(reported, declared);
  for (const auto& [name, _] : spec.example) EXPECT_TRUE(declared.count(name)) << name;
}

TEST_P(LayerContract, GradcheckInputsAndParametersInFloat64) {
  const nn::LayerSpec& spec = GetParam();
  auto m = make(spec);
  m->to(DType::F64);
  const Tensor x = batch_input(spec, DType::F64);
  repeatable_mode(*m, x);  // also materialises lazy parameters in float64
  std::vector<Var> inputs{Var(x.clone(), true)};
  for (const auto& p : m->parameters()) inputs.push_back(p);
  const auto r = ag::gradcheck([&m](const std::vector<Var>& v) { return (*m)(v[0]); }, inputs);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_GT(r.coords_checked, 0);
}

TEST_P(LayerContract, ReferenceAndFastKernelsAgreeInFloat32) {
  const nn::LayerSpec& spec = GetParam();
  const Tensor x = batch_input(spec, DType::F32);
  Tensor y[2], dx[2];
  for (int b = 0; b < 2; ++b) {
    k::BackendGuard guard(b == 0 ? k::Backend::Reference : k::Backend::Fast);
    auto m = make(spec);
    repeatable_mode(*m, x);
    Var xv(x.clone(), true);
    const Var out = (*m)(xv);
    Rng rng(9);
    ag::sum(ag::mul(out, Var(Tensor::uniform(out.shape(), -1, 1, rng, DType::F32)))).backward();
    y[b] = out.value();
    dx[b] = xv.grad();
  }
  EXPECT_LE(max_abs_diff(y[0], y[1]), 1e-4);
  EXPECT_LE(max_abs_diff(dx[0], dx[1]), 1e-4);
}

TEST_P(LayerContract, StateDictRoundTripGivesTheSameOutputs) {
  const nn::LayerSpec& spec = GetParam();
  const Tensor x = batch_input(spec, DType::F32);
  auto a = make(spec, 7), b = make(spec, 8);  // different initial weights
  a->train();
  run(*a, x);  // moves running statistics away from their initial values
  a->eval();
  b->eval();
  run(*b, x);  // materialises lazy slots
  b->load_state_dict(a->state_dict());
  EXPECT_EQ(max_abs_diff(run(*a, x), run(*b, x)), 0);
}

TEST_P(LayerContract, SummaryRowsCountTheParameters) {
  const nn::LayerSpec& spec = GetParam();
  auto m = make(spec);
  const nn::Summary s = m->summary(spec.example_input);
  ASSERT_FALSE(s.rows.empty());
  int64_t params = 0;
  for (const auto& r : s.rows) params += r.params;
  EXPECT_EQ(params, m->parameter_count());
  EXPECT_EQ(s.total_params, m->parameter_count());
  if (m->children().empty()) {
    ASSERT_EQ(s.rows.size(), 1u);
    EXPECT_EQ(s.rows[0].type, spec.module_type);
    EXPECT_NE(nn::format_summary(s).find("(" + spec.module_type + ")"), std::string::npos);
  }
}

TEST_P(LayerContract, ModelFileRoundTripGivesTheSameLayer) {
  const nn::LayerSpec& spec = GetParam();
  auto m = make(spec);
  const std::string text = io::model_file_text(*m, spec.example_input);
  SCOPED_TRACE(text);
  const io::ModelFile mf = io::parse_model_file(text, spec.type + ".toml");
  ASSERT_EQ(mf.model->children().size(), 1u);
  const nn::ModulePtr& back = mf.model->children()[0].second;
  EXPECT_EQ(back->type_name(), m->type_name());
  EXPECT_EQ(back->layer_args(), m->layer_args());
  const Tensor x = batch_input(spec, DType::F32);
  m->eval();
  back->eval();
  run(*m, x);
  back->load_state_dict(m->state_dict());
  EXPECT_EQ(max_abs_diff(run(*m, x), run(*back, x)), 0);
}

TEST_P(LayerContract, BatchIndependenceClaimHolds) {
  const nn::LayerSpec& spec = GetParam();
  const Tensor x = batch_input(spec, DType::F64);
  auto m = make(spec);
  m->to(DType::F64);
  int checked = 0;
  for (bool training : {true, false}) {
    m->train(training);
    if (!m->batch_coupling().empty() || !deterministic(*m, x)) continue;
    const Tensor batched = run(*m, x);
    for (int64_t i = 0; i < kBatch; ++i) {
      const Tensor alone = run(*m, x.slice(0, i, i + 1).contiguous());
      EXPECT_LE(max_abs_diff(batched.slice(0, i, i + 1).contiguous(), alone), 1e-12)
          << "sample " << i << (training ? " in training" : " in evaluation");
    }
    ++checked;
  }
  // Every registered layer is independent at least in evaluation.
  EXPECT_GT(checked, 0);
}

TEST_P(LayerContract, FusedReluClaimHolds) {
  const nn::LayerSpec& spec = GetParam();
  auto m = make(spec);
  const Tensor x = batch_input(spec, DType::F32);
  if (!m->fuses_with_following_relu()) {
    EXPECT_THROW(m->call_with_relu(Var(x)), UsageError);
    return;
  }
  for (bool training : {true, false}) {
    auto a = make(spec), b = make(spec);
    a->train(training);
    b->train(training);
    const Var fused = a->call_with_relu(Var(x));
    const Var plain = ag::relu((*b)(Var(x)));
    EXPECT_LE(max_abs_diff(fused.value(), plain.value()), 1e-5);
    EXPECT_NE(fused.node()->op.find("relu"), std::string::npos) << fused.node()->op;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryRegisteredLayer, LayerContract,
                         ::testing::ValuesIn(nn::layer_specs()), spec_name);

TEST(LayerRegistry, TypesAndModuleTypesAreUnique) {
  std::set<std::string> types, modules;
  for (const auto& spec : nn::layer_specs()) {
    EXPECT_TRUE(types.insert(spec.type).second) << spec.type;
    EXPECT_TRUE(modules.insert(spec.module_type).second) << spec.module_type;
  }
}

// docs/model_files.md carries the key reference the registry generates, between two markers.
TEST(LayerRegistry, DocsListEveryKeyAsTheRegistry) {
  std::ifstream in(std::string(PHYSCNN_SOURCE_DIR) + "/docs/model_files.md");
  ASSERT_TRUE(in) << "docs/model_files.md not found";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const std::string begin = "<!-- layer keys: begin (generated by nn::layer_key_reference) -->\n";
  const std::string end = "<!-- layer keys: end -->";
  const size_t b = doc.find(begin), e = doc.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  const std::string expected = nn::layer_key_reference();
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), expected)
      << "update docs/model_files.md between the markers to:\n"
      << expected;
}
