// Data-parallel training (TrainerOptions::comm) against one process: under mpirun every rank
// trains its blocks of each global batch and also, alone, the whole batches; the losses, metrics
// and weights must agree to float rounding. In a plain process these tests skip; ctest runs them
// as dist.mpi2 and dist.mpi3 (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "dist/comm.hpp"
#include "nn/nn.hpp"
#include "optim/optim.hpp"
#include "train/grad_sync.hpp"
#include "train/loop.hpp"
#include "train/step.hpp"

namespace physcnn::train {
namespace {

// n samples 1×8×8 of three classes, each shifted by its class, plus noise.
data::DatasetPtr blobs(int64_t n, uint64_t seed) {
  Rng rng(seed);
  Tensor x = Tensor::normal(Shape{n, 1, 8, 8}, 0.0, 1.0, rng);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  float* px = x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    labels[size_t(i)] = i % 3;
    for (int64_t k = 0; k < 64; ++k) px[i * 64 + k] += 0.5f * float(i % 3 - 1) * float(k % 2);
  }
  return std::make_shared<data::TensorDataset>(x, labels);
}

nn::ModulePtr net(bool batch_norm) {
  std::vector<nn::ModulePtr> layers{std::make_shared<nn::Conv2d>(
      nn::Conv2dOptions{.in = 1, .out = 4, .kernel = 3, .padding = 1}, Rng(11))};
  if (batch_norm) layers.push_back(std::make_shared<nn::BatchNorm2d>());
  for (nn::ModulePtr m : std::initializer_list<nn::ModulePtr>{
           std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(),
           std::make_shared<nn::Flatten>(),
           std::make_shared<nn::Linear>(nn::LinearOptions{.out = 16}, Rng(12)),
           std::make_shared<nn::ReLU>(),
           std::make_shared<nn::Linear>(nn::LinearOptions{.out = 3}, Rng(13))})
    layers.push_back(m);
  auto model = std::make_shared<nn::Sequential>(layers);
  model->build(Shape{1, 8, 8});
  return model;
}

struct Outcome {
  std::vector<EpochRecord> history;
  nn::StateDict state;
  GradSyncStats sync;
};

// Three epochs of momentum SGD with a global batch of `batch`, over the ranks of `comm` (null:
// this process alone with whole batches).
Outcome train(const dist::Comm* comm, int64_t batch, int64_t samples, bool batch_norm) {
  nn::ModulePtr model = net(batch_norm);
  optim::Sgd sgd(model->named_parameters(), {.lr = 0.05, .momentum = 0.9});
  const int rank = comm ? comm->rank() : 0, ranks = comm ? comm->size() : 1;
  data::DataLoader train_loader(blobs(samples, 1),
                                {.batch_size = batch, .seed = 5, .rank = rank, .ranks = ranks},
                                data::random_flip({.horizontal = 0.5}));
  data::DataLoader val_loader(blobs(19, 2),
                              {.batch_size = 8, .shuffle = false, .rank = rank, .ranks = ranks});
  TrainerOptions o;
  o.epochs = 3;
  o.seed = 7;
  o.quiet = true;
  o.comm = comm;
  o.sync_batch_norm = batch_norm;
  o.grad_sync.bucket_bytes = 256;  // several buckets for this small model
  Trainer trainer(*model, sgd, nullptr, o);
  Outcome out;
  out.history = trainer.fit(train_loader, &val_loader);
  out.state = model->state_dict();
  if (trainer.gradient_sync()) out.sync = trainer.gradient_sync()->stats();
  return out;
}

void expect_same_training(const Outcome& ranks, const Outcome& one, const std::string& what) {
  ASSERT_EQ(ranks.history.size(), one.history.size());
  for (size_t e = 0; e < one.history.size(); ++e)
    for (const auto& [key, value] : one.history[e].values)
      EXPECT_NEAR(ranks.history[e].value(key), value, 2e-5 * std::max(1.0, std::abs(value)))
          << what << ": epoch " << e + 1 << " " << key;
  // It learns: the comparison is not of constants.
  EXPECT_LT(one.history.back().value("train_loss"), one.history.front().value("train_loss"));
  ASSERT_EQ(ranks.state.size(), one.state.size());
  for (const auto& [name, t] : one.state) {
    const std::vector<double> a = ranks.state.at(name).to_vector(), b = t.to_vector();
    ASSERT_EQ(a.size(), b.size()) << name;
    double diff = 0, scale = 1e-12;
    for (size_t i = 0; i < a.size(); ++i) {
      diff = std::max(diff, std::abs(a[i] - b[i]));
      scale = std::max(scale, std::abs(b[i]));
    }
    EXPECT_LE(diff, 2e-5 * std::max(1.0, scale)) << what << ": " << name;
  }
}

// Under mpirun every rank must finalise MPI before it exits, or mpirun calls the exit abnormal.
class FinalizeMpi : public ::testing::Environment {
 public:
  void TearDown() override { dist::Comm::finalize(); }
};
[[maybe_unused]] ::testing::Environment* const finalize_mpi =
    ::testing::AddGlobalTestEnvironment(new FinalizeMpi);

const dist::Comm* world_or_skip() {
  const dist::Comm& world = dist::Comm::world();
  return world.distributed() ? &world : nullptr;
}

TEST(DataParallel, RanksWithBlocksTrainAsOneProcessWithTheGlobalBatch) {
  const dist::Comm* comm = world_or_skip();
  if (!comm) GTEST_SKIP() << "needs mpirun: ctest -L dist runs it on 2 and 3 ranks";
  const int64_t per_rank = 4, global = per_rank * comm->size();
  // 37 samples: the last global batch is 5 (2 ranks: 3 + 2) or 1 (3 ranks: two empty blocks).
  for (int64_t chunk : {StepOptions::kWholeBatch, int64_t(3)}) {
    set_microbatch_chunk(chunk);  // chunk 3: the all-reduce starts in the last chunk's backward
    const Outcome ranks = train(comm, global, 37, false);
    const Outcome one = train(nullptr, global, 37, false);
    set_microbatch_chunk(StepOptions::kAuto);
    expect_same_training(ranks, one, "chunk " + std::to_string(chunk));
    EXPECT_EQ(ranks.sync.steps, 3 * ((37 + global - 1) / global));
    EXPECT_GT(ranks.sync.buckets, 1);
    // Rank 0 has samples in every batch: each of its buckets but possibly the last started
    // during the backward pass (a rank with an empty block starts them all afterwards).
    if (comm->is_root()) {
      EXPECT_GE(ranks.sync.started_early, ranks.sync.steps * (ranks.sync.buckets - 1));
    }
  }
}

TEST(DataParallel, SynchronisedBatchNormTrainsAsOneProcess) {
  const dist::Comm* comm = world_or_skip();
  if (!comm) GTEST_SKIP() << "needs mpirun: ctest -L dist runs it on 2 and 3 ranks";
  const int64_t global = 4 * comm->size();
  // 36 samples: every rank has a block of every batch (batch norm needs samples on each).
  const Outcome ranks = train(comm, global, 36, true);
  const Outcome one = train(nullptr, global, 36, true);
  expect_same_training(ranks, one, "sync batch norm");  // running statistics included
}

TEST(DataParallel, LoaderBlocksFollowDistBlockOf) {
  // The loader splits each global batch as dist::block_of does (data/ cannot use dist/).
  const auto set = blobs(23, 3);
  for (int ranks : {1, 2, 3, 5})
    for (int64_t batch : {1, 4, 7}) {
      std::vector<int64_t> seen;
      for (int r = 0; r < ranks; ++r) {
        data::DataLoader loader(
            set, {.batch_size = batch, .seed = 9, .workers = 0, .rank = r, .ranks = ranks});
        data::DataLoader whole(set, {.batch_size = batch, .seed = 9, .workers = 0});
        loader.start_epoch(1);
        whole.start_epoch(1);
        while (auto b = loader.next()) {
          const auto w = whole.next();
          ASSERT_TRUE(w.has_value());
          const dist::Block blk = dist::block_of(w->size(), r, ranks);
          ASSERT_EQ(b->size(), blk.end - blk.begin);
          EXPECT_EQ(b->global_size, w->size());
          for (int64_t i = 0; i < b->size(); ++i)
            EXPECT_EQ(b->indices[size_t(i)], w->indices[size_t(blk.begin + i)]);
          seen.insert(seen.end(), b->indices.begin(), b->indices.end());
        }
      }
      std::sort(seen.begin(), seen.end());
      ASSERT_EQ(seen.size(), 23u) << ranks << " ranks, batch " << batch;
      for (int64_t i = 0; i < 23; ++i) EXPECT_EQ(seen[size_t(i)], i);
    }
}

}  // namespace
}  // namespace physcnn::train
