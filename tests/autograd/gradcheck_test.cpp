// Gradients of activations, softmax, batch norm, dropout and losses by the generic float64
// central-difference check: one table of op x configuration rows, each failing row named.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"
#include "tensor/ops.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

ag::Var input(const Shape& s, uint64_t seed, double lo = -2.0, double hi = 2.0) {
  Rng rng(seed);
  return ag::Var(Tensor::uniform(s, lo, hi, rng, DType::F64), true);
}

// Values in [0.1, 2] with random signs: away from the kinks of relu and friends at 0, which
// central differences with eps 1e-6 would straddle.
ag::Var away_from_zero(const Shape& s, uint64_t seed) {
  Rng rng(seed);
  Tensor mag = Tensor::uniform(s, 0.1, 2.0, rng, DType::F64);
  Tensor sgn = sign(Tensor::uniform(s, -1.0, 1.0, rng, DType::F64));
  return ag::Var(mul(mag, sgn), true);
}

// Class indices in [0, C) as float64, with every `ignore_every`-th position set to `ignore`.
Tensor targets(const Shape& s, int64_t C, uint64_t seed, int64_t ignore_every = 0,
               int64_t ignore = -100) {
  Rng rng(seed);
  Tensor t = Tensor::empty(s, DType::F64);
  double* p = t.data<double>();
  for (int64_t i = 0; i < t.numel(); ++i)
    p[i] = (ignore_every && i % ignore_every == 1) ? double(ignore) : double(rng.below(C));
  return t;
}

struct Row {
  std::string name;
  std::vector<ag::Var> inputs;
  ag::GradcheckFn f;
};

void run(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    const auto r = ag::gradcheck(row.f, row.inputs);
    EXPECT_TRUE(r.ok) << row.name << ":\n" << r.message;
    EXPECT_GT(r.coords_checked, 0) << row.name;
  }
}

const ag::Reduction kReductions[] = {ag::Reduction::Mean, ag::Reduction::Sum, ag::Reduction::None};
const char* kReductionNames[] = {"mean", "sum", "none"};

}  // namespace

// Each activation layer's example is checked by tests/nn/layer_contract_test.cpp; these are the
// other settings, on inputs away from the kinks.
TEST(LayersGrad, ActivationSettingsBesidesTheLayerExamples) {
  const auto x = away_from_zero({3, 4, 5}, 1);
  run({
      {"leaky_relu 0.01", {x}, [](auto& v) { return ag::leaky_relu(v[0], 0.01); }},
      {"elu 1", {x}, [](auto& v) { return ag::elu(v[0]); }},
      {"gelu", {x}, [](auto& v) { return ag::gelu(v[0]); }},
  });
}

TEST(LayersGrad, SoftmaxEveryDim) {
  std::vector<Row> rows;
  const auto x2 = input({4, 7}, 2), x3 = input({3, 4, 5}, 3), x4 = input({2, 3, 4, 5}, 4);
  const auto x1 = input({6}, 5);
  for (int64_t d : {0, -1}) {
    rows.push_back({"softmax rank1 dim " + std::to_string(d), {x1}, [d](auto& v) {
                      return ag::softmax(v[0], d);
                    }});
  }
  for (int64_t d : {0, 1, -1})
    for (bool log : {false, true}) {
      const std::string n =
          std::string(log ? "log_softmax" : "softmax") + " dim " + std::to_string(d);
      rows.push_back({n + " rank2", {x2}, [d, log](auto& v) {
                        return log ? ag::log_softmax(v[0], d) : ag::softmax(v[0], d);
                      }});
      rows.push_back({n + " rank3", {x3}, [d, log](auto& v) {
                        return log ? ag::log_softmax(v[0], d) : ag::softmax(v[0], d);
                      }});
    }
  for (int64_t d : {0, 1, 2, 3})
    rows.push_back({"log_softmax rank4 dim " + std::to_string(d), {x4}, [d](auto& v) {
                      return ag::log_softmax(v[0], d);
                    }});
  run(rows);
}

TEST(LayersGrad, BatchNorm) {
  std::vector<Row> rows;
  for (const Shape& s : {Shape{6, 3}, Shape{4, 3, 5}, Shape{3, 2, 4, 3}}) {
    const int64_t C = s[1];
    const auto x = input(s, 10, -1.0, 3.0);
    const auto w = input({C}, 11, 0.5, 1.5), b = input({C}, 12);
    Rng rng(13);
    const Tensor rm0 = Tensor::uniform({C}, -0.5, 0.5, rng, DType::F64);
    const Tensor rv0 = Tensor::uniform({C}, 0.5, 1.5, rng, DType::F64);
    for (bool training : {true, false})
      for (bool affine : {true, false}) {
        const std::string name = "batch_norm " + s.str() + (training ? " train" : " eval") +
                                 (affine ? " affine" : " plain");
        // Running statistics are copied per call: training updates them in place.
        auto f = [rm0, rv0, training, affine](const std::vector<ag::Var>& v) {
          Tensor rm = rm0.clone(), rv = rv0.clone();
          return ag::batch_norm(v[0], affine ? v[1] : ag::Var(), affine ? v[2] : ag::Var(), rm, rv,
                                training, 0.1, 1e-3);
        };
        rows.push_back({name, affine ? std::vector<ag::Var>{x, w, b} : std::vector<ag::Var>{x}, f});
      }
  }
  run(rows);
}

TEST(LayersGrad, DropoutWithFixedMask) {
  const auto x = input({4, 3, 2, 5}, 20);
  run({
      {"dropout 0.3",
       {x},
       [](auto& v) {
         Rng rng(7);  // the same mask on every call
         return ag::dropout(v[0], 0.3, true, rng);
       }},
      {"dropout2d 0.5",
       {x},
       [](auto& v) {
         Rng rng(8);
         return ag::dropout2d(v[0], 0.5, true, rng);
       }},
      {"dropout eval",
       {x},
       [](auto& v) {
         Rng rng(9);
         return ag::dropout(v[0], 0.5, false, rng);
       }},
  });
}

TEST(LayersGrad, MseLoss) {
  std::vector<Row> rows;
  const auto a = input({3, 4}, 30), b = input({3, 4}, 31);
  for (int r = 0; r < 3; ++r) {
    const ag::Reduction red = kReductions[r];
    rows.push_back({std::string("mse ") + kReductionNames[r], {a, b}, [red](auto& v) {
                      return ag::mse_loss(v[0], v[1], red);
                    }});
  }
  run(rows);
}

TEST(LayersGrad, CrossEntropy) {
  std::vector<Row> rows;
  const auto x2 = input({6, 5}, 40), x4 = input({2, 4, 3, 3}, 41), x3 = input({3, 4, 5}, 44);
  Rng rng(42);
  const Tensor w = Tensor::uniform({4}, 0.3, 2.0, rng, DType::F64);
  const Tensor w5 = Tensor::uniform({5}, 0.3, 2.0, rng, DType::F64);
  const Tensor t2 = targets({6}, 5, 43), t2i = targets({6}, 5, 43, 3);
  const Tensor t4 = targets({2, 3, 3}, 4, 45, 4, 2);  // ignore_index = 2, a real class
  const Tensor t3 = targets({3, 5}, 4, 46, 5);
  for (int r = 0; r < 3; ++r) {
    const ag::Reduction red = kReductions[r];
    const std::string rn = kReductionNames[r];
    rows.push_back({"ce (N,C) " + rn, {x2}, [t2, red](auto& v) {
                      return ag::cross_entropy(v[0], t2, {.reduction = red});
                    }});
    rows.push_back({"ce (N,C) weights+ignore+smoothing " + rn, {x2}, [t2i, w5, red](auto& v) {
                      return ag::cross_entropy(
                          v[0], t2i,
                          {.class_weights = w5, .label_smoothing = 0.2, .reduction = red});
                    }});
    rows.push_back(
        {"ce per-pixel weights+ignore 2+smoothing " + rn, {x4}, [t4, w, red](auto& v) {
           return ag::cross_entropy(
               v[0], t4,
               {.class_weights = w, .ignore_index = 2, .label_smoothing = 0.1, .reduction = red});
         }});
    rows.push_back({"ce (N,C,L) ignore+smoothing " + rn, {x3}, [t3, red](auto& v) {
                      return ag::cross_entropy(v[0], t3,
                                               {.label_smoothing = 0.3, .reduction = red});
                    }});
  }
  run(rows);
}

TEST(LayersGrad, BceWithLogits) {
  std::vector<Row> rows;
  const auto x = input({3, 4}, 50, -4.0, 4.0), x4 = input({2, 3, 2, 2}, 51, -4.0, 4.0);
  Rng rng(52);
  const Tensor t = Tensor::uniform({3, 4}, 0.0, 1.0, rng, DType::F64);
  const Tensor t4 = Tensor::uniform({2, 3, 2, 2}, 0.0, 1.0, rng, DType::F64);
  const Tensor pw = Tensor::uniform({4}, 0.2, 3.0, rng, DType::F64);
  const Tensor pw4 = Tensor::uniform({3, 1, 1}, 0.2, 3.0, rng, DType::F64);
  for (int r = 0; r < 3; ++r) {
    const ag::Reduction red = kReductions[r];
    const std::string rn = kReductionNames[r];
    rows.push_back(
        {"bce " + rn, {x}, [t, red](auto& v) { return ag::bce_with_logits(v[0], t, red); }});
    rows.push_back({"bce pos_weight " + rn, {x}, [t, pw, red](auto& v) {
                      return ag::bce_with_logits(v[0], t, red, pw);
                    }});
    rows.push_back({"bce (N,C,H,W) pos_weight (C,1,1) " + rn, {x4}, [t4, pw4, red](auto& v) {
                      return ag::bce_with_logits(v[0], t4, red, pw4);
                    }});
  }
  run(rows);
}
