// Optimizer state save/restore (a resumed run equals an uninterrupted one bit for bit), the
// option and input checks, and the rules about gradients (skipped when undefined, never
// written in place).
#include <gtest/gtest.h>

#include <cmath>

#include "core/parallel.hpp"
#include "problem.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

// Runs fn and checks it throws E with `needle` in its message.
template <class E, class F>
void expect_error(F&& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected an error mentioning '" << needle << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message '" << e.what() << "' does not mention '" << needle << "'";
  }
}

// A problem whose parameters are copies of `from`'s current values.
test::Problem copy_of(const test::Problem& from) {
  test::Problem p{from.x, from.t, {}};
  for (const auto& [n, v] : from.params) p.params.emplace_back(n, ag::Var(v.value().clone(), true));
  return p;
}

void expect_bit_equal(const test::Problem& a, const test::Problem& b, const std::string& what) {
  for (const auto& n : test::kParamNames) {
    const auto va = a.param(n).value().to_vector(), vb = b.param(n).value().to_vector();
    ASSERT_EQ(va.size(), vb.size());
    for (size_t i = 0; i < va.size(); ++i)
      ASSERT_EQ(va[i], vb[i]) << what << ": parameter " << n << "[" << i << "] differs";
  }
}

}  // namespace

class StateRoundTrip : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

// 10 steps, save, restore into a fresh optimizer over fresh parameters, 10 more steps: equal
// to 20 uninterrupted steps bit for bit (c has no gradient at steps 3, 7, 11, 15, 19, so the
// per-parameter step counts differ across the cut).
TEST_P(StateRoundTrip, ResumedRunIsBitIdentical) {
  const auto& [prefix, cfg] = GetParam();
  const auto f = test::load_fixture("optim_trajectories");
  const auto factory = test::optimizer_configs().at(cfg);

  const auto straight = test::make_problem(f, prefix);
  auto opt_straight = factory(straight.params);
  for (int k = 0; k < 20; ++k) straight.iterate(*opt_straight, k);

  const auto first = test::make_problem(f, prefix);
  auto opt_first = factory(first.params);
  for (int k = 0; k < 10; ++k) first.iterate(*opt_first, k);
  optim::State saved = opt_first->state();
  EXPECT_EQ(saved.scalars.at("W.step"), 10.0);
  EXPECT_EQ(saved.scalars.at("c.step"), 8.0);
  EXPECT_EQ(saved.scalars.count("u.step"), 0u);  // never updated: no state

  const auto resumed = copy_of(first);
  auto opt_resumed = factory(resumed.params);
  opt_resumed->load_state(saved);
  for (auto& [key, t] : saved.tensors) t.fill_(123.0);  // the optimizer holds its own copy
  for (int k = 10; k < 20; ++k) resumed.iterate(*opt_resumed, k);
  expect_bit_equal(straight, resumed, prefix + cfg);
}

INSTANTIATE_TEST_SUITE_P(
    Optim, StateRoundTrip,
    ::testing::Combine(::testing::Values("", "f32."),
                       ::testing::Values("sgd_momentum", "sgd_nesterov", "rmsprop_centered",
                                         "rmsprop_momentum", "adam", "adamw")));

TEST(OptimizerState, AmsgradAndPlainSgdRoundTrip) {
  const auto f = test::load_fixture("optim_trajectories");
  for (const std::string cfg : {"adam_amsgrad", "adamw_amsgrad", "sgd_plain", "rmsprop_plain"}) {
    const auto factory = test::optimizer_configs().at(cfg);
    const auto straight = test::make_problem(f, "");
    auto a = factory(straight.params);
    for (int k = 0; k < 20; ++k) straight.iterate(*a, k);
    const auto first = test::make_problem(f, "");
    auto b = factory(first.params);
    for (int k = 0; k < 10; ++k) first.iterate(*b, k);
    const auto resumed = copy_of(first);
    auto c = factory(resumed.params);
    c->load_state(b->state());
    for (int k = 10; k < 20; ++k) resumed.iterate(*c, k);
    expect_bit_equal(straight, resumed, cfg);
  }
}

TEST(OptimizerState, SavedStateIsASnapshotAndKeepsLr) {
  const auto f = test::load_fixture("optim_trajectories");
  const auto p = test::make_problem(f, "");
  optim::Adam opt(p.params, {.lr = 0.05});
  p.iterate(opt, 0);
  const optim::State s = opt.state();
  const double before = s.tensors.at("W.exp_avg").to_vector()[0];
  p.iterate(opt, 1);
  EXPECT_EQ(s.tensors.at("W.exp_avg").to_vector()[0], before);
  EXPECT_EQ(s.scalars.at("lr"), 0.05);
  EXPECT_EQ(s.tensors.size(), 6u);  // exp_avg and exp_avg_sq of W, b, c
  optim::Adam other(p.params, {.lr = 0.7});
  other.load_state(s);
  EXPECT_EQ(other.lr(), 0.05);
}

TEST(OptimizerState, LoadStateRejectsMismatches) {
  const auto f = test::load_fixture("optim_trajectories");
  const auto p = test::make_problem(f, "");
  optim::Adam adam(p.params, {.lr = 0.05});
  p.iterate(adam, 0);
  const optim::State good = adam.state();

  optim::Adam target(p.params, {.lr = 0.05});
  auto missing = good;
  missing.tensors.erase("b.exp_avg_sq");
  expect_error<UsageError>([&] { target.load_state(missing); }, "b.exp_avg_sq");
  auto shaped = good;
  shaped.tensors["W.exp_avg"] = Tensor::zeros({3, 4}, DType::F64);
  expect_error<ShapeError>([&] { target.load_state(shaped); }, "W.exp_avg");
  auto typed = good;
  typed.tensors["W.exp_avg"] = Tensor::zeros({4, 3}, DType::F32);
  expect_error<ShapeError>([&] { target.load_state(typed); }, "float32");
  auto unknown = good;
  unknown.tensors["nope.exp_avg"] = Tensor::zeros({1}, DType::F64);
  expect_error<UsageError>([&] { target.load_state(unknown); }, "nope.exp_avg");
  auto no_lr = good;
  no_lr.scalars.erase("lr");
  expect_error<UsageError>([&] { target.load_state(no_lr); }, "'lr'");
  auto bad_step = good;
  bad_step.scalars["W.step"] = 2.5;
  expect_error<UsageError>([&] { target.load_state(bad_step); }, "W.step");
  // Another optimizer's state: SGD has no exp_avg, and Adam's buffers are unknown to SGD.
  optim::Sgd sgd(p.params, {.lr = 0.1, .momentum = 0.9});
  expect_error<UsageError>([&] { sgd.load_state(good); }, "unexpected tensor 'W.exp_avg'");
  p.iterate(sgd, 0);
  expect_error<UsageError>([&] { target.load_state(sgd.state()); }, "momentum_buffer");
  // A failed load changed nothing: the target still continues from its fresh state.
  EXPECT_EQ(target.param_steps(0), 0);
}

TEST(OptimizerOptions, InvalidValuesNameTheField) {
  Rng rng(1);
  std::vector<ag::Var> ps{ag::Var(Tensor::uniform({3}, -1, 1, rng, DType::F64), true)};
  using namespace optim;
  expect_error<UsageError>([&] { Sgd(ps, {.lr = -0.1}); }, "lr");
  expect_error<UsageError>([&] { Sgd(ps, SgdOptions{}); }, "lr is required");
  expect_error<UsageError>([&] { Sgd(ps, {.lr = 0.1, .nesterov = true}); }, "nesterov");
  expect_error<UsageError>(
      [&] { Sgd(ps, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
      "dampening");
  expect_error<UsageError>([&] { Sgd(ps, {.lr = 0.1, .momentum = -1}); }, "momentum");
  expect_error<UsageError>([&] { Sgd(ps, {.lr = 0.1, .weight_decay = -1}); }, "weight_decay");
  expect_error<UsageError>([&] { Adam(ps, {.betas = {0.9, 1.0}}); }, "betas[1]");
  expect_error<UsageError>([&] { Adam(ps, {.betas = {-0.1, 0.9}}); }, "betas[0]");
  expect_error<UsageError>([&] { Adam(ps, {.eps = -1e-8}); }, "eps");
  expect_error<UsageError>([&] { AdamW(ps, {.lr = -1}); }, "AdamW: lr");
  expect_error<UsageError>([&] { Rmsprop(ps, {.alpha = -0.5}); }, "alpha");
  expect_error<UsageError>([&] { Rmsprop(ps, {.momentum = -0.5}); }, "momentum");
  Adam ok(ps);
  expect_error<UsageError>([&] { ok.set_lr(-1.0); }, "lr");
  expect_error<UsageError>([&] { ok.set_lr(std::nan("")); }, "lr");
}

TEST(OptimizerOptions, InvalidParameterLists) {
  Rng rng(2);
  ag::Var a(Tensor::uniform({3}, -1, 1, rng, DType::F64), true);
  using namespace optim;
  expect_error<UsageError>([&] { Adam(std::vector<ag::Var>{}); }, "empty parameter list");
  expect_error<UsageError>([&] { Adam(std::vector<ag::Var>{a, a}); }, "same Var");
  expect_error<UsageError>(
      [&] {
        Adam(NamedParams{{"w", a}, {"w", ag::Var(a.value().clone())}});
      },
      "appears twice");
  const ag::Var derived = ag::scale(a, 2.0);
  expect_error<UsageError>([&] { Adam(std::vector<ag::Var>{derived}); }, "only leaf");
  const ag::Var view(Tensor::uniform({3, 4}, -1, 1, rng).transpose(0, 1), true);
  expect_error<UsageError>([&] { Adam(std::vector<ag::Var>{view}); }, "non-contiguous");
}

TEST(OptimizerStep, BadGradientLeavesEveryParameterUnchanged) {
  Rng rng(3);
  ag::Var a(Tensor::uniform({3}, -1, 1, rng, DType::F64), true);
  ag::Var b(Tensor::uniform({2, 2}, -1, 1, rng, DType::F64), true);
  optim::Sgd opt(optim::NamedParams{{"a", a}, {"b", b}}, {.lr = 0.1});
  const auto a0 = a.value().to_vector();
  a.grad() = Tensor::ones({3}, DType::F64);
  b.grad() = Tensor::ones({4}, DType::F64);
  expect_error<ShapeError>([&] { opt.step(); }, "gradient of 'b' has shape [4]");
  EXPECT_EQ(a.value().to_vector(), a0);
  b.grad() = Tensor::ones({2, 2}, DType::F32);
  expect_error<UsageError>([&] { opt.step(); }, "float32");
  EXPECT_EQ(a.value().to_vector(), a0);
}

// Gradients are read, never written: two parameters sharing one gradient tensor (the engine
// does this for add) both see the original values, and zero_grad only drops the handles.
TEST(OptimizerStep, SharedGradientIsNotModified) {
  ag::Var a(Tensor::from_vector(std::vector<double>{1, 2, 3}, {3}), true);
  ag::Var b(Tensor::from_vector(std::vector<double>{4, 5, 6}, {3}), true);
  const Tensor g = Tensor::from_vector(std::vector<double>{0.5, -1, 2}, {3});
  a.grad() = g;
  b.grad() = g;
  optim::Sgd opt(std::vector<ag::Var>{a, b}, {.lr = 0.1, .weight_decay = 0.5, .maximize = true});
  opt.step();
  EXPECT_EQ(g.to_vector(), (std::vector<double>{0.5, -1, 2}));
  // maximize: p += lr * (g - wd * p)... as PyTorch: d = -g + wd * p, p -= lr * d
  const auto va = a.value().to_vector(), vb = b.value().to_vector();
  for (size_t i = 0; i < 3; ++i) {
    const double pa = 1.0 + double(i), pb = 4.0 + double(i), gi = g.to_vector()[i];
    EXPECT_DOUBLE_EQ(va[i], pa - 0.1 * (-gi + 0.5 * pa));
    EXPECT_DOUBLE_EQ(vb[i], pb - 0.1 * (-gi + 0.5 * pb));
  }
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  const auto before = a.value().to_vector();
  opt.step();  // no gradients: nothing happens
  EXPECT_EQ(a.value().to_vector(), before);
}

// The update loops split large tensors across threads; elementwise work must not depend on
// the split.
TEST(OptimizerStep, ThreadCountDoesNotChangeResults) {
  const int threads = num_threads();
  std::vector<std::vector<double>> results;
  for (int n : {1, 2}) {
    set_num_threads(n);
    Rng rng(4);
    ag::Var w(Tensor::uniform({300000}, -1, 1, rng), true);
    optim::Adam opt(std::vector<ag::Var>{w}, {.lr = 0.01, .weight_decay = 0.1, .amsgrad = true});
    for (int k = 0; k < 3; ++k) {
      w.grad() = Tensor::uniform({300000}, -1, 1, rng);
      opt.step();
    }
    results.push_back(w.value().to_vector());
  }
  set_num_threads(threads);
  EXPECT_EQ(results[0], results[1]);
}
