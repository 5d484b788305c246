// Micro-batched training steps (train/step.hpp): the chunked step's loss, output and parameter
// gradients equal the whole batch's, models that couple samples are refused, and the trainer's
// losses do not change with micro-batching.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>

#include "autograd/functional.hpp"
#include "core/parallel.hpp"
#include "kernels/backend.hpp"
#include "nn/models/models.hpp"
#include "nn/nn.hpp"
#include "optim/optim.hpp"
#include "support/throws.hpp"
#include "train/loop.hpp"
#include "train/step.hpp"

namespace physcnn::train {
namespace {

namespace ag = physcnn::autograd;
using ag::Var;
using Grads = std::map<std::string, Tensor>;

Var mean_ce(const Var& out, const Tensor& y) {
  return ag::cross_entropy(out, y);
}

Grads gradients(nn::Module& m) {
  Grads g;
  for (const auto& [name, p] : m.named_parameters()) g[name] = p.grad().clone();
  return g;
}

// The step without this library: one forward, the mean loss, one backward.
struct Plain {
  Grads grads;
  Tensor output;
  double loss = 0;
};
Plain plain_step(nn::Module& m, const Tensor& x, const Tensor& y) {
  m.zero_grad();
  Var out = m(Var(x));
  Var l = mean_ce(out, y);
  l.backward();
  return {gradients(m), out.value(), l.item()};
}

StepResult chunked_step(nn::Module& m, const Tensor& x, const Tensor& y, int64_t chunk) {
  m.zero_grad();
  return forward_backward(m, x, y, mean_ce, {.chunk = chunk});
}

// Largest |a - b| relative to the largest |b| of the tensor.
double rel_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const std::vector<double> va = a.contiguous().to_vector(), vb = b.contiguous().to_vector();
  double diff = 0, scale = 1e-300;
  for (size_t i = 0; i < va.size(); ++i) {
    diff = std::max(diff, std::abs(va[i] - vb[i]));
    scale = std::max(scale, std::abs(vb[i]));
  }
  return diff / scale;
}

double max_grad_diff(const Grads& a, const Grads& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (const auto& [name, t] : b) {
    EXPECT_TRUE(a.count(name) && a.at(name).defined() && t.defined()) << name;
    if (a.count(name) && a.at(name).defined() && t.defined())
      d = std::max(d, rel_diff(a.at(name), t));
  }
  return d;
}

struct Case {
  std::string name;
  std::function<nn::ModulePtr()> make;
  Shape sample;
  int64_t classes;
  bool per_pixel = false;
};

std::vector<Case> zoo_cases() {
  namespace m = nn::models;
  return {
      {"ising_cnn (W3)", [] { return m::ising_cnn(3); }, Shape{1, 16, 16}, 2},
      {"tinyvgg (W5)", [] { return m::tinyvgg(3); }, Shape{3, 64, 64}, 10},
      {"unet_small (W4)", [] { return m::unet_small(3); }, Shape{1, 16, 16}, 2, true},
      {"lenet5 (W1)", [] { return m::lenet5(3); }, Shape{1, 28, 28}, 10},
  };
}

void make_data(const Case& c, int64_t n, DType dtype, Tensor& x, Tensor& y) {
  Rng rng(17, uint64_t(n));
  std::vector<int64_t> dims{n};
  dims.insert(dims.end(), c.sample.begin(), c.sample.end());
  x = Tensor::normal(Shape(dims), 0.0, 1.0, rng, dtype);
  y = Tensor::empty(c.per_pixel ? Shape{n, c.sample[1], c.sample[2]} : Shape{n});
  float* t = y.data<float>();
  for (int64_t i = 0; i < y.numel(); ++i) t[i] = float(rng.below(uint64_t(c.classes)));
}

// The small Ising CNN (seed 4, 16x16 lattices) and n float32 samples of the zoo's first case.
nn::ModulePtr small_ising(int64_t n, Tensor& x, Tensor& y) {
  nn::ModulePtr model = nn::models::ising_cnn(4);
  model->build(Shape{1, 16, 16});
  make_data(zoo_cases()[0], n, DType::F32, x, y);
  return model;
}

// For each zoo model built in `dtype` (training mode) and each (batch, chunk) pair: data, the
// plain whole-batch step, then check(model, x, y, whole, n, chunk).
using ZooCheck = std::function<void(nn::Module&, const Tensor&, const Tensor&, const Plain&,
                                    int64_t n, int64_t chunk)>;
void for_each_zoo_step(DType dtype, std::initializer_list<std::pair<int64_t, int64_t>> sizes,
                       const ZooCheck& check) {
  for (const Case& c : zoo_cases()) {
    nn::ModulePtr model = c.make();
    model->build(c.sample);
    if (dtype == DType::F64) model->to(DType::F64);
    model->train();
    for (auto [n, chunk] : sizes) {
      SCOPED_TRACE(c.name + ", batch " + std::to_string(n) + ", chunk " + std::to_string(chunk));
      Tensor x, y;
      make_data(c, n, dtype, x, y);
      check(*model, x, y, plain_step(*model, x, y), n, chunk);
    }
  }
}

// Chunked against whole for each zoo model, for a batch that the chunk divides and one it does
// not, in the given dtype; tol bounds the relative gradient, loss and output differences.
void check_zoo(DType dtype, double tol) {
  for_each_zoo_step(dtype, {{6, 3}, {5, 2}},
                    [tol](nn::Module& model, const Tensor& x, const Tensor& y, const Plain& whole,
                          int64_t n, int64_t chunk) {
                      const StepResult r = chunked_step(model, x, y, chunk);
                      EXPECT_EQ(r.refusal, "");
                      EXPECT_EQ(r.chunks, (n + chunk - 1) / chunk);
                      EXPECT_EQ(r.chunk_size, chunk);
                      EXPECT_LE(max_grad_diff(gradients(model), whole.grads), tol);
                      EXPECT_NEAR(r.loss, whole.loss, tol * std::abs(whole.loss));
                      EXPECT_LE(rel_diff(r.output, whole.output), tol);
                    });
}

TEST(MicrobatchStep, ChunkedGradientsEqualWholeBatchFloat64) {
  check_zoo(DType::F64, 1e-12);
}

TEST(MicrobatchStep, ChunkedGradientsEqualWholeBatchFloat32) {
  // Float32 sums in another order (per chunk, then over chunks): rounding of ~1e-7 relative
  // per sum, amplified where gradients cancel; 2e-5 of the largest entry of each tensor.
  check_zoo(DType::F32, 2e-5);
}

TEST(MicrobatchStep, ChunkEqualToBatchRunsWholeAndBitIdentical) {
  Tensor x, y;
  const nn::ModulePtr model = small_ising(6, x, y);
  const Plain whole = plain_step(*model, x, y);
  for (int64_t chunk : {int64_t(6), int64_t(50), StepOptions::kWholeBatch}) {
    const StepResult r = chunked_step(*model, x, y, chunk);
    EXPECT_EQ(r.chunks, 1);
    EXPECT_EQ(r.loss, whole.loss);
    EXPECT_EQ(max_grad_diff(gradients(*model), whole.grads), 0.0);
  }
}

TEST(MicrobatchStep, BatchNormInTrainingIsRefusedAndRunsWhole) {
  auto model = nn::models::fmnist_bn(5);
  model->build(Shape{1, 28, 28});
  model->train();
  EXPECT_NE(microbatch_refusal(*model).find("BatchNorm2d"), std::string::npos)
      << microbatch_refusal(*model);
  Tensor x, y;
  const Case c{"fmnist_bn", nullptr, Shape{1, 28, 28}, 10};
  make_data(c, 8, DType::F32, x, y);
  // Training mode: refused, the batch runs whole, the result is the plain step's. Dropout in
  // evaluation mode for a deterministic comparison; the BatchNorm layers stay in training.
  for (auto& [_, m] : model->named_modules())
    if (m->type_name() == "Dropout") m->eval();
  const Plain whole = plain_step(*model, x, y);
  const StepResult r = chunked_step(*model, x, y, 2);
  EXPECT_EQ(r.chunks, 1);
  EXPECT_NE(r.refusal.find("batch statistics"), std::string::npos) << r.refusal;
  EXPECT_EQ(r.loss, whole.loss);
  EXPECT_EQ(max_grad_diff(gradients(*model), whole.grads), 0.0);
}

TEST(MicrobatchStep, BatchNormInEvalModeChunks) {
  auto model = nn::models::fmnist_bn(5);
  model->build(Shape{1, 28, 28});
  model->eval();  // running statistics: every sample on its own (fine-tuning with frozen BN)
  Tensor x, y;
  make_data({"fmnist_bn", nullptr, Shape{1, 28, 28}, 10}, 6, DType::F32, x, y);
  const Plain whole = plain_step(*model, x, y);
  const StepResult r = chunked_step(*model, x, y, 4);
  EXPECT_EQ(r.chunks, 2);
  EXPECT_LE(max_grad_diff(gradients(*model), whole.grads), 2e-5);
}

// A layer this library does not know: it might couple samples, so the batch runs whole.
class BatchMean : public nn::Module {
 public:
  Var forward(const Var& x) override { return x; }
  std::string type_name() const override { return "BatchMean"; }
};

TEST(MicrobatchStep, UnknownLayersAndBatchMixingOptionsAreRefused) {
  auto with = [](nn::ModulePtr layer) {
    auto m = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
        std::make_shared<nn::Linear>(nn::LinearOptions{.in = 4, .out = 3}, Rng(1)), layer});
    return m;
  };
  auto unknown = with(std::make_shared<BatchMean>());
  EXPECT_NE(microbatch_refusal(*unknown).find("1 (BatchMean) is not a layer kind"),
            std::string::npos)
      << microbatch_refusal(*unknown);

  Rng rng(3);
  const Tensor x = Tensor::normal(Shape{6, 4}, 0.0, 1.0, rng);
  const Tensor y = Tensor::from_vector(std::vector<float>{0, 1, 2, 0, 1, 2}, Shape{6});
  // Softmax over the batch dimension: a known kind, but the probe sees the samples mix.
  auto softmax0 = with(std::make_shared<nn::LogSoftmax>(nn::SoftmaxOptions{.dim = 0}));
  EXPECT_EQ(microbatch_refusal(*softmax0), "");
  StepResult r = chunked_step(*softmax0, x, y, 2);
  EXPECT_EQ(r.chunks, 1);
  EXPECT_NE(r.refusal.find("1 (LogSoftmax) mixes the samples"), std::string::npos) << r.refusal;
  // Over the classes it is per sample: chunks run.
  auto softmax1 = with(std::make_shared<nn::LogSoftmax>(nn::SoftmaxOptions{.dim = 1}));
  r = chunked_step(*softmax1, x, y, 2);
  EXPECT_EQ(r.chunks, 3);
  EXPECT_EQ(r.refusal, "");
  // Flatten from dimension 0 merges the samples into one row.
  auto flat0 = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Flatten>(nn::FlattenOptions{.start_dim = 0})});
  const ChunkPlan plan = chunk_plan(*flat0, Shape{3}, DType::F32);
  EXPECT_NE(plan.refusal.find("does not keep the batch dimension"), std::string::npos)
      << plan.refusal;
}

TEST(MicrobatchStep, DropoutModelsChunk) {
  // Chunks draw their own masks (same distribution): allowed, and with p = 0 exact.
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 5, .out = 8}, Rng(1)),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(nn::DropoutOptions{.p = 0.0}),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 8, .out = 3}, Rng(2))});
  model->to(DType::F64);
  Rng rng(4);
  const Tensor x = Tensor::normal(Shape{9, 5}, 0.0, 1.0, rng, DType::F64);
  const Tensor y = Tensor::from_vector(std::vector<float>{0, 1, 2, 2, 1, 0, 0, 1, 2}, Shape{9});
  const Plain whole = plain_step(*model, x, y);
  const int threads = num_threads();
  set_num_threads(2);
  const StepResult r = chunked_step(*model, x, y, 4);
  set_num_threads(threads);
  EXPECT_EQ(r.chunks, 3);
  EXPECT_EQ(r.threads, 1);  // one generator: the chunks run one after another
  EXPECT_LE(max_grad_diff(gradients(*model), whole.grads), 1e-12);
}

// Sets the thread count and the chunk_threads switch for a scope.
class ThreadsGuard {
 public:
  ThreadsGuard(int threads, bool chunk_threads)
      : threads_(num_threads()), switches_(step_switches()) {
    set_num_threads(threads);
    StepSwitches s = switches_;
    s.chunk_threads = chunk_threads;
    set_step_switches(s);
  }
  ~ThreadsGuard() {
    set_num_threads(threads_);
    set_step_switches(switches_);
  }

 private:
  int threads_;
  StepSwitches switches_;
};

// Two threads each run their chunks with their own parameter-gradient sums (fused Conv2d+ReLU
// included: its fusion mark is per thread), added in worker order afterwards. Float64 runs the
// reference kernels; float32 the fast ones (oneDNN plans, direct and im2col kernels) on both
// threads at once.
void check_zoo_on_threads(DType dtype, double tol) {
  for_each_zoo_step(dtype, {{6, 3}, {7, 2}},
                    [tol](nn::Module& model, const Tensor& x, const Tensor& y, const Plain& whole,
                          int64_t n, int64_t chunk) {
                      StepResult serial;
                      Grads serial_grads;
                      {
                        ThreadsGuard one(2, false);
                        serial = chunked_step(model, x, y, chunk);
                        serial_grads = gradients(model);
                      }
                      ThreadsGuard two(2, true);
                      const StepResult first = chunked_step(model, x, y, chunk);
                      const Grads first_grads = gradients(model);
                      const StepResult again = chunked_step(model, x, y, chunk);
                      EXPECT_EQ(serial.threads, 1);
                      EXPECT_EQ(first.threads, 2);
                      EXPECT_EQ(first.chunks, (n + chunk - 1) / chunk);
                      EXPECT_LE(max_grad_diff(first_grads, whole.grads), tol);
                      EXPECT_LE(max_grad_diff(first_grads, serial_grads), tol);
                      EXPECT_NEAR(first.loss, whole.loss, tol * std::abs(whole.loss));
                      EXPECT_LE(rel_diff(first.output, whole.output), tol);
                      // Same sums in the same order: bit for bit.
                      EXPECT_EQ(max_grad_diff(gradients(model), first_grads), 0.0);
                      EXPECT_EQ(again.loss, first.loss);
                    });
}

TEST(MicrobatchStep, ChunksOnThreadsEqualWholeBatchAndRepeatBitForBitFloat64) {
  check_zoo_on_threads(DType::F64, 1e-12);
}

TEST(MicrobatchStep, ChunksOnThreadsEqualWholeBatchAndRepeatBitForBitFloat32) {
  check_zoo_on_threads(DType::F32, 2e-5);  // as ChunkedGradientsEqualWholeBatchFloat32
}

TEST(MicrobatchStep, AnErrorOnAWorkerThreadReachesTheCallerAndLeavesNoGradient) {
  Tensor x, y;
  const nn::ModulePtr model = small_ising(8, x, y);
  ThreadsGuard two(2, true);
  model->zero_grad();
  const auto loss = [&](const Var& out, int64_t lo, int64_t hi) -> Var {
    if (lo >= 4)
      throw ShapeError("test: the loss of samples " + std::to_string(lo) + "-" +
                       std::to_string(hi) + " fails");
    return ag::cross_entropy(out, y.slice(0, lo, hi));
  };
  test::expect_error<ShapeError>([&] { forward_backward(*model, x, loss, {.chunk = 2}); },
                                 {"test: the loss of samples 4-6 fails"});
  for (const auto& [name, p] : model->named_parameters()) EXPECT_FALSE(p.grad().defined()) << name;
}

TEST(MicrobatchStep, WorkerChunksFitOneCoreAndShareTheBatchEvenly) {
  const int64_t l2 = l2_cache_bytes();
  const ChunkPlan small{.largest_bytes = l2 / 64};   // 64 samples fit one core's L2
  EXPECT_EQ(choose_worker_chunk(small, 32, 2), 16);  // at least one chunk per worker
  EXPECT_EQ(choose_worker_chunk(small, 256, 2), 64);
  EXPECT_EQ(choose_worker_chunk(small, 200, 2), 50);  // 4 chunks, not 64, 64, 64, 8
  const ChunkPlan big{.largest_bytes = l2};           // one sample fills L2: chunks of at least 8
  EXPECT_EQ(choose_worker_chunk(big, 32, 2), 8);
  EXPECT_EQ(choose_worker_chunk(big, 40, 2), 7);  // 6 chunks (a multiple of 2) of at most 7
  EXPECT_EQ(choose_worker_chunk(big, 6, 2), 0);   // 3 per worker: not worth a second thread
  EXPECT_EQ(choose_worker_chunk(big, 8, 2), 4);
  EXPECT_EQ(choose_worker_chunk(big, 32, 1), 0);
  EXPECT_EQ(choose_worker_chunk(ChunkPlan{.refusal = "x"}, 128, 2), 0);
}

TEST(MicrobatchStep, IgnoredTargetsKeepTheBatchMean) {
  // cross_entropy's mean skips targets equal to ignore_index: each chunk's share is its count
  // of kept targets, and a chunk with none contributes nothing.
  auto model = nn::models::ising_cnn(6);
  model->build(Shape{1, 8, 8});
  model->to(DType::F64);
  Rng rng(8);
  const Tensor x = Tensor::normal(Shape{7, 1, 8, 8}, 0.0, 1.0, rng, DType::F64);
  const Tensor y = Tensor::from_vector(std::vector<float>{0, -100, -100, -100, 1, -100, 0}, {7});
  const Plain whole = plain_step(*model, x, y);
  model->zero_grad();
  const StepResult r =
      forward_backward(*model, x, y, mean_ce, {.chunk = 2, .count = ignore_aware_count(y)});
  EXPECT_EQ(r.chunks, 4);
  EXPECT_NEAR(r.loss, whole.loss, 1e-12 * std::abs(whole.loss));
  EXPECT_LE(max_grad_diff(gradients(*model), whole.grads), 1e-12);
  EXPECT_EQ(ignore_aware_count(Tensor::zeros(Shape{3})), nullptr);
}

TEST(MicrobatchStep, RegressionLossAndChunkedOutputs) {
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 3, .out = 6}, Rng(1)),
      std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 6, .out = 2}, Rng(2))});
  model->to(DType::F64);
  Rng rng(5);
  const Tensor x = Tensor::normal(Shape{10, 3}, 0.0, 1.0, rng, DType::F64);
  const Tensor t = Tensor::normal(Shape{10, 2}, 0.0, 1.0, rng, DType::F64);
  auto mse = [](const Var& o, const Tensor& target) { return ag::mse_loss(o, Var(target)); };
  model->zero_grad();
  Var out = (*model)(Var(x));
  Var l = mse(out, t);
  l.backward();
  const Grads whole = gradients(*model);
  model->zero_grad();
  const StepResult r = forward_backward(*model, x, t, mse, {.chunk = 4});
  EXPECT_EQ(r.chunks, 3);
  EXPECT_NEAR(r.loss, l.item(), 1e-13);
  EXPECT_LE(rel_diff(r.output, out.value()), 1e-15);
  EXPECT_LE(max_grad_diff(gradients(*model), whole), 1e-12);
  // keep_output off: no concatenated output.
  model->zero_grad();
  EXPECT_FALSE(
      forward_backward(*model, x, t, mse, {.chunk = 4, .keep_output = false}).output.defined());
}

TEST(MicrobatchStep, AutoChunkFollowsTheSwitchAndTheCache) {
  auto model = nn::models::ising_cnn(7);
  model->build(Shape{1, 32, 32});
  const ChunkPlan plan = chunk_plan(*model, Shape{1, 32, 32}, DType::F32);
  EXPECT_EQ(plan.refusal, "");
  // The largest layer pair: ReLU on 16x32x32 floats in and out = 128 KiB per sample.
  EXPECT_EQ(plan.largest_bytes, 2 * 16 * 32 * 32 * 4);
  EXPECT_GT(plan.activation_bytes, plan.largest_bytes);
  const int64_t c1 = choose_chunk(plan, 128, 1);
  EXPECT_GE(c1, 8);
  EXPECT_LE(c1, 128);
  EXPECT_EQ(choose_chunk(plan, 8, 1), 8);  // small batches run whole
  EXPECT_EQ(choose_chunk(ChunkPlan{.refusal = "x"}, 128, 2), 128);
  // A huge layer gives the minimum (8 per thread), balanced over the batch.
  const ChunkPlan huge{.largest_bytes = int64_t(1) << 40};
  EXPECT_EQ(choose_chunk(huge, 100, 1), 8);   // 13 chunks of at most 8
  EXPECT_EQ(choose_chunk(huge, 100, 2), 15);  // at most 16 -> 7 chunks of at most 15
  // The switch: with microbatch off, kAuto runs the whole batch.
  Tensor x, y;
  make_data(zoo_cases()[0], 64, DType::F32, x, y);
  const StepSwitches saved = step_switches();
  set_step_switches({.microbatch = false, .chunk_threads = saved.chunk_threads});
  model->zero_grad();
  const StepResult r = forward_backward(*model, x, y, mean_ce);
  set_step_switches(saved);
  EXPECT_EQ(r.chunks, 1);
}

TEST(MicrobatchStep, ChunkedInferenceEqualsOneForward) {
  for (const Case& c : zoo_cases()) {
    SCOPED_TRACE(c.name);
    nn::ModulePtr model = c.make();
    model->build(c.sample);
    model->to(DType::F64);
    model->eval();
    Tensor x, y;
    make_data(c, 5, DType::F64, x, y);
    ag::NoGradGuard no_grad;
    const Tensor whole = (*model)(Var(x)).value();
    EXPECT_LE(rel_diff(forward_chunked(*model, x, {.chunk = 2}), whole), 1e-15);
  }
}

TEST(MicrobatchStep, BadArgumentsThrow) {
  auto model = nn::models::ising_cnn(1);
  model->build(Shape{1, 8, 8});
  const Tensor x = Tensor::zeros(Shape{4, 1, 8, 8});
  test::expect_error<UsageError>(
      [&] { forward_backward(*model, x, Tensor::zeros(Shape{4}), mean_ce, {.chunk = -3}); },
      {"forward_backward", "chunk -3"});
  test::expect_error<ShapeError>(
      [&] { forward_backward(*model, x, Tensor::zeros(Shape{3}), mean_ce); },
      {"forward_backward", "[3]", "[4,1,8,8]"});
  test::expect_error<UsageError>([] { set_microbatch_chunk(-2); }, {"chunk -2"});
  test::expect_error<ShapeError>(
      [&] {
        forward_chunked(*model, Tensor::zeros(Shape{0, 1, 8, 8}));
      },
      {"forward_chunked", "[0,1,8,8]"});
}

}  // namespace
}  // namespace physcnn::train
