// The threaded training step of every benchmark workload (W1-W5, bench/README.md) at the
// benchmark's own sizes, on whatever instruction set this CPU has: two chunk threads run the same
// layers (the same oneDNN primitives, the same direct kernels) at once. Each step's gradients must
// equal the one-thread whole-batch step's. At small sizes the kernels that need batch >= 8 and wide
// layers (oneDNN's Winograd on AVX-512) never run, which is how a crash there reached users first.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "autograd/functional.hpp"
#include "core/parallel.hpp"
#include "nn/models/models.hpp"
#include "nn/nn.hpp"
#include "train/step.hpp"

namespace physcnn::train {
namespace {

namespace ag = physcnn::autograd;
using Grads = std::map<std::string, Tensor>;

struct Workload {
  std::string name;
  std::function<nn::ModulePtr()> make;
  Shape sample;
  int64_t classes;
  int64_t batch;  // the benchmark's training batch (W4: 8 and 32; 32 is the larger one)
  bool per_pixel = false;
};

std::vector<Workload> workloads() {
  namespace m = nn::models;
  return {
      {"W1 lenet5", [] { return m::lenet5(5); }, Shape{1, 28, 28}, 10, 32},
      {"W2 fmnist_bn", [] { return m::fmnist_bn(5); }, Shape{1, 28, 28}, 10, 32},
      {"W3 ising_cnn", [] { return m::ising_cnn(5); }, Shape{1, 32, 32}, 2, 32},
      {"W4 unet_small", [] { return m::unet_small(5); }, Shape{1, 64, 64}, 2, 32, true},
      {"W5 tinyvgg", [] { return m::tinyvgg(5); }, Shape{3, 64, 64}, 10, 32},
  };
}

Grads step_gradients(nn::Module& m, const Tensor& x, const Tensor& y, int threads,
                     bool chunk_threads, StepResult* result) {
  const int saved_threads = num_threads();
  const StepSwitches saved = step_switches();
  StepSwitches p = saved;
  p.chunk_threads = chunk_threads;
  set_step_switches(p);
  set_num_threads(threads);
  // The same dropout masks in every step compared (W2): a fresh generator each time.
  for (const auto& [name, mod] : m.named_modules())
    if (auto* d = dynamic_cast<nn::Dropout*>(mod.get())) d->set_rng(Rng(31));
  m.zero_grad();
  StepOptions options;
  // Whole batch on one thread is the oracle; with chunk threads, the automatic chunking.
  if (!chunk_threads) options.chunk = StepOptions::kWholeBatch;
  *result = forward_backward(
      m, x, y, [](const ag::Var& out, const Tensor& t) { return ag::cross_entropy(out, t); },
      options);
  set_num_threads(saved_threads);
  set_step_switches(saved);
  Grads g;
  for (const auto& [name, v] : m.named_parameters()) g[name] = v.grad().clone();
  return g;
}

double largest_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector()) m = std::max(m, std::abs(v));
  return m;
}
// Largest |a - b| over the tensor relative to its largest |b|, or to `floor` where that is larger:
// a conv bias in front of batch norm (W2) has a gradient that is zero but for rounding.
double rel_diff(const Tensor& a, const Tensor& b, double floor = 1e-30) {
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  double diff = 0;
  for (size_t i = 0; i < va.size(); ++i) diff = std::max(diff, std::abs(va[i] - vb[i]));
  return diff / std::max(largest_abs(b), floor);
}

TEST(WorkloadThreads, EveryWorkloadTrainsOnTwoChunkThreadsAtBenchmarkSize) {
  for (const Workload& w : workloads()) {
    SCOPED_TRACE(w.name);
    nn::ModulePtr model = w.make();
    model->train();
    Rng rng(29);
    std::vector<int64_t> dims{w.batch};
    dims.insert(dims.end(), w.sample.begin(), w.sample.end());
    const Tensor x = Tensor::normal(Shape(dims), 0.0, 1.0, rng, DType::F32);
    Tensor y =
        Tensor::empty(w.per_pixel ? Shape{w.batch, w.sample[1], w.sample[2]} : Shape{w.batch});
    float* t = y.data<float>();
    for (int64_t i = 0; i < y.numel(); ++i) t[i] = float(rng.below(uint64_t(w.classes)));

    StepResult serial, threaded, again;
    const Grads want = step_gradients(*model, x, y, 1, false, &serial);
    const Grads got = step_gradients(*model, x, y, 2, true, &threaded);
    const Grads repeat = step_gradients(*model, x, y, 2, true, &again);
    // W2 has batch norm in training: it couples the samples and must run whole, on threads
    // inside each op; every other workload runs its chunks on the two threads.
    if (w.name == "W2 fmnist_bn") {
      EXPECT_EQ(threaded.chunks, 1);
      EXPECT_FALSE(threaded.refusal.empty());
    } else {
      EXPECT_EQ(threaded.threads, 2) << threaded.refusal;
      EXPECT_GE(threaded.chunks, 2);
    }
    EXPECT_NEAR(threaded.loss, serial.loss, 1e-5 * std::max(1.0, std::abs(serial.loss)));
    ASSERT_EQ(got.size(), want.size());
    double largest = 0;
    for (const auto& [name, g] : want) largest = std::max(largest, largest_abs(g));
    for (const auto& [name, g] : want) {
      ASSERT_TRUE(g.defined() && got.at(name).defined()) << name;
      EXPECT_LT(rel_diff(got.at(name), g, 1e-2 * largest), 2e-5) << name;
      // The threads' partial sums are added in a fixed order: a repeat is bit-identical.
      EXPECT_EQ(rel_diff(repeat.at(name), got.at(name)), 0.0) << name;
    }
  }
}

}  // namespace
}  // namespace physcnn::train
