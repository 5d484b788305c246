// Synchronised batch norm (batch_norm_replicas) with one replica equals batch_norm and
// batch_norm_relu (outputs, gradients, running statistics), and passes a float64 gradient check.
// Several replicas are checked under mpirun against one process (tests/train/data_parallel_test).
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functional.hpp"
#include "autograd/gradcheck.hpp"
#include "nn/nn.hpp"

using namespace physcnn;
namespace ag = physcnn::autograd;

namespace {

const ag::ReplicaSum kOneReplica = [](std::span<double>) {};

struct Result {
  std::vector<double> y, gx, gw, gb, rm, rv;
};

Result run(bool replicas, bool relu) {
  Rng rng(5);
  ag::Var x(Tensor::normal({3, 4, 5, 2}, 0.3, 1, rng, DType::F64), true);
  ag::Var w(Tensor::normal({4}, 1, 0.2, rng, DType::F64), true);
  ag::Var b(Tensor::normal({4}, 0, 0.2, rng, DType::F64), true);
  Tensor rm = Tensor::normal({4}, 0, 0.1, rng, DType::F64);
  Tensor rv = Tensor::uniform({4}, 0.5, 1.5, rng, DType::F64);
  const Tensor weights = Tensor::normal({3, 4, 5, 2}, 0, 1, rng, DType::F64);
  ag::Var y = replicas ? ag::batch_norm_replicas(x, w, b, rm, rv, 0.1, 1e-5, relu, kOneReplica)
              : relu   ? ag::batch_norm_relu(x, w, b, rm, rv, true)
                       : ag::batch_norm(x, w, b, rm, rv, true);
  ag::sum(ag::mul(y, ag::Var(weights))).backward();
  return {y.value().to_vector(), x.grad().to_vector(), w.grad().to_vector(),
          b.grad().to_vector(),  rm.to_vector(),       rv.to_vector()};
}

void expect_near(const std::vector<double>& a, const std::vector<double>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], 1e-10 * (1 + std::abs(b[i]))) << what << "[" << i << "]";
}

}  // namespace

TEST(BatchNormReplicas, OneReplicaEqualsBatchNorm) {
  for (bool relu : {false, true}) {
    const Result s = run(true, relu), p = run(false, relu);
    expect_near(s.y, p.y, relu ? "relu y" : "y");
    expect_near(s.gx, p.gx, "gx");
    expect_near(s.gw, p.gw, "gw");
    expect_near(s.gb, p.gb, "gb");
    expect_near(s.rm, p.rm, "running_mean");
    expect_near(s.rv, p.rv, "running_var");
  }
}

TEST(BatchNormReplicas, Gradcheck) {
  Rng rng(4);
  ag::Var x(Tensor::normal({4, 3, 3, 3}, 0, 1, rng, DType::F64), true);
  ag::Var w(Tensor::normal({3}, 1, 0.2, rng, DType::F64), true);
  ag::Var b(Tensor::normal({3}, 0.1, 0.2, rng, DType::F64), true);
  for (bool relu : {false, true}) {
    auto f = [relu](const std::vector<ag::Var>& in) {
      Tensor rm = Tensor::zeros({3}, DType::F64), rv = Tensor::ones({3}, DType::F64);
      return ag::batch_norm_replicas(in[0], in[1], in[2], rm, rv, 0.1, 1e-5, relu, kOneReplica);
    };
    const ag::GradcheckResult r = ag::gradcheck(f, {x, w, b});
    EXPECT_TRUE(r.ok) << (relu ? "relu: " : "") << r.message;
  }
}

TEST(BatchNormReplicas, ModuleUsesTheSumInTrainingOnly) {
  Rng rng(8);
  const Tensor xv = Tensor::normal({2, 3, 4, 4}, 0, 1, rng);
  nn::BatchNorm2d bn;
  int calls = 0;
  bn.set_replica_sum([&calls](std::span<double>) { ++calls; });
  EXPECT_EQ(bn(ag::Var(xv)).op(), "batch_norm_replicas");
  EXPECT_EQ(calls, 1);
  bn.eval();
  EXPECT_EQ(bn(ag::Var(xv)).op(), "batch_norm_eval");
  EXPECT_EQ(calls, 1);
}
