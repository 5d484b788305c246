// DataLoader: deterministic order and transforms whatever the worker count, every sample once
// per epoch, the last-batch policy, prefetch overlap, shutdown mid-epoch, and error propagation.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "data/loader.hpp"
#include "data/transforms.hpp"
#include "helpers.hpp"

using namespace physcnn;
using namespace physcnn::data;
using physcnn::test::ProbeDataset;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::vector<Batch> run_epoch(DataLoader& loader, int64_t epoch) {
  std::vector<Batch> out;
  loader.start_epoch(epoch);
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

// A dataset of random 2×6×6 images (so that transforms change something).
DatasetPtr random_images(int64_t n) {
  Rng rng(11);
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) labels.push_back(i % 4);
  return std::make_shared<TensorDataset>(Tensor::uniform(Shape{n, 2, 6, 6}, -1, 1, rng), labels);
}

void expect_same_batches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].indices, b[i].indices) << "batch " << i;
    EXPECT_EQ(a[i].labels, b[i].labels) << "batch " << i;
    EXPECT_TRUE(physcnn::test::same_values(a[i].inputs, b[i].inputs)) << "batch " << i;
  }
}

}  // namespace

TEST(Loader, SameSeedSameBatchesAnyWorkerCount) {
  const auto ds = random_images(37);
  const Transform t = compose({random_d4(), gaussian_noise({.stddev = 0.3})});
  std::vector<std::vector<Batch>> runs;
  for (int workers : {0, 1, 2, 3}) {
    DataLoader loader(ds, {.batch_size = 5, .seed = 42, .workers = workers, .prefetch = 2}, t);
    runs.push_back(run_epoch(loader, 3));
  }
  for (size_t r = 1; r < runs.size(); ++r) expect_same_batches(runs[0], runs[r]);
  // The transform changed the inputs (so the comparison above covered the per-sample RNG).
  EXPECT_FALSE(physcnn::test::same_values(runs[0][0].inputs.select(0, 0),
                                          ds->get(runs[0][0].indices[0]).input));
}

TEST(Loader, EpochsAndSeedsChangeTheOrder) {
  const auto ds = std::make_shared<ProbeDataset>(50);
  DataLoader a(ds, {.batch_size = 50, .seed = 1}), b(ds, {.batch_size = 50, .seed = 2});
  const auto e0 = run_epoch(a, 0)[0].indices, e1 = run_epoch(a, 1)[0].indices;
  EXPECT_NE(e0, e1);
  EXPECT_EQ(e0, run_epoch(a, 0)[0].indices);  // replaying an epoch gives its order again
  EXPECT_NE(e0, run_epoch(b, 0)[0].indices);
  DataLoader plain(ds, {.batch_size = 50, .shuffle = false});
  const auto p = run_epoch(plain, 5)[0].indices;
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(p[size_t(i)], i);
}

TEST(Loader, EverySampleExactlyOncePerEpoch) {
  const auto ds = std::make_shared<ProbeDataset>(103);
  DataLoader loader(ds, {.batch_size = 10, .seed = 9, .workers = 2});
  EXPECT_EQ(loader.batches_per_epoch(), 11);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    const auto batches = run_epoch(loader, epoch);
    ASSERT_EQ(batches.size(), 11u);
    std::vector<int64_t> seen;
    for (size_t b = 0; b < batches.size(); ++b) {
      const auto& batch = batches[b];
      EXPECT_EQ(batch.index, int64_t(b));
      EXPECT_EQ(batch.epoch, epoch);
      const int64_t n = b + 1 < batches.size() ? 10 : 3;  // the kept last batch is short
      ASSERT_EQ(batch.inputs.shape(), (Shape{n, 1, 2, 2}));
      for (int64_t j = 0; j < n; ++j) {
        const int64_t idx = batch.indices[size_t(j)];
        // the sample really is the one named (ProbeDataset fills sample i with i)
        EXPECT_EQ(batch.inputs.at({j, 0, 1, 1}), double(idx));
        EXPECT_EQ(batch.labels[size_t(j)], idx % 3);
        seen.push_back(idx);
      }
    }
    std::sort(seen.begin(), seen.end());
    ASSERT_EQ(seen.size(), 103u);
    for (int64_t i = 0; i < 103; ++i) EXPECT_EQ(seen[size_t(i)], i);
  }
}

TEST(Loader, DropLastBatch) {
  const auto ds = std::make_shared<ProbeDataset>(103);
  DataLoader loader(ds, {.batch_size = 10, .seed = 3, .last_batch = LastBatch::Drop});
  EXPECT_EQ(loader.batches_per_epoch(), 10);
  const auto batches = run_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 10u);
  std::vector<int64_t> seen;
  for (const auto& b : batches) {
    EXPECT_EQ(b.inputs.size(0), 10);
    seen.insert(seen.end(), b.indices.begin(), b.indices.end());
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_EQ(seen.size(), 100u);
  // The dropped three are the last three of the epoch's order.
  const auto order = loader.epoch_order(0);
  for (int64_t k = 100; k < 103; ++k)
    EXPECT_FALSE(std::binary_search(seen.begin(), seen.end(), order[size_t(k)]));
}

TEST(Loader, PrefetchOverlapsLoadingWithCompute) {
  // 8 batches of 4 samples at 20 ms each (80 ms of "I/O" per batch) and 80 ms of "compute" per
  // batch: serial would take 8 × 160 = 1.28 s, overlapped about 8 × 80 + 80 = 0.72 s.
  const auto ds = std::make_shared<ProbeDataset>(32, 3, 20);
  auto timed_epoch = [&](int workers) {
    DataLoader loader(ds, {.batch_size = 4, .seed = 1, .workers = workers, .prefetch = 2});
    const auto t0 = Clock::now();
    loader.start_epoch(0);
    int64_t n = 0;
    while (auto b = loader.next()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(80));
      ++n;
    }
    EXPECT_EQ(n, 8);
    return seconds_since(t0);
  };
  const double overlapped = timed_epoch(1), serial = timed_epoch(0);
  const double io = 8 * 0.080, sum = 8 * (0.080 + 0.080);
  EXPECT_GT(overlapped, io * 0.95);   // sanity: the sleeps did happen
  EXPECT_LT(overlapped, sum * 0.80);  // would fail without overlap (≈ 1.28 s)
  EXPECT_GT(serial, sum * 0.95);      // the control: building in the caller's thread adds up
  RecordProperty("overlapped_ms", int(overlapped * 1000));
  RecordProperty("serial_ms", int(serial * 1000));
}

TEST(Loader, EarlyDestructionDoesNotHang) {
  const auto ds = std::make_shared<ProbeDataset>(400, 3, 5);
  const auto t0 = Clock::now();
  {
    DataLoader loader(ds, {.batch_size = 8, .workers = 2, .prefetch = 3});
    loader.start_epoch(0);
    ASSERT_TRUE(loader.next().has_value());
  }  // destroyed with most of the epoch unread and workers mid-batch
  {
    DataLoader loader(ds, {.batch_size = 8, .workers = 2});
    loader.start_epoch(0);  // never read
    loader.next();
    loader.start_epoch(1);  // abandon epoch 0
    const auto b = loader.next();
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->epoch, 1);
  }
  // Each abandoned epoch costs at most one batch in flight per worker (8 × 5 ms).
  EXPECT_LT(seconds_since(t0), 2.0);
}

TEST(Loader, WorkerExceptionReachesTheConsumer) {
  const auto ds = std::make_shared<ProbeDataset>(40, 3, 0, 17);
  for (int workers : {0, 1, 2}) {
    DataLoader loader(ds, {.batch_size = 4, .shuffle = false, .workers = workers});
    loader.start_epoch(2);
    EXPECT_TRUE(physcnn::test::throws_with<IoError>(
        [&] {
          while (loader.next()) {
          }
        },
        {"DataLoader", "batch 4", "epoch 2", "probe.bin", "sample 17"}))
        << "workers " << workers;
  }
}

TEST(Loader, RegressionTargetsAndErrors) {
  Rng rng(3);
  const auto ds = std::make_shared<TensorDataset>(Tensor::uniform(Shape{9, 1, 3, 3}, 0, 1, rng),
                                                  Tensor::uniform(Shape{9, 2}, 0, 1, rng));
  DataLoader loader(ds, {.batch_size = 4, .shuffle = false});
  const auto batches = run_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[2].targets.shape(), (Shape{1, 2}));
  EXPECT_EQ(batches[0].targets.at({1, 1}), double(ds->get(1).target[1]));
  EXPECT_TRUE(batches[0].labels.empty());

  EXPECT_THROW(DataLoader(ds, {.batch_size = 0}), UsageError);
  EXPECT_THROW(DataLoader(ds, {.prefetch = 0}), UsageError);
  DataLoader idle(ds, {});
  EXPECT_TRUE(physcnn::test::throws_with<UsageError>([&] { idle.next(); }, {"start_epoch"}));
  // A transform that changes the shape of some samples cannot be batched.
  const Transform bad = [](const Tensor& x, Rng& rng) {
    return rng.below(2) ? x : x.slice(2, 0, 2).contiguous();
  };
  DataLoader mixed(ds, {.batch_size = 9, .workers = 1}, bad);
  mixed.start_epoch(0);
  EXPECT_TRUE(physcnn::test::throws_with<ShapeError>([&] { mixed.next(); },
                                                     {"DataLoader", "batch 0", "shape"}));
}

// Issue 18, item 9: NaN or infinite inputs are refused where batches are made (training,
// evaluation and prediction all read through the loader). All-NaN inputs used to give exit 0
// and finite outputs in `eval`/`predict`: ReLU and max pooling swallow NaN.
TEST(Loader, NonFiniteInputsAreANumericalErrorNamingTheSample) {
  for (const float bad : {NAN, INFINITY}) {
    Tensor x = Tensor::zeros(Shape{6, 1, 2, 2});
    x.data<float>()[4 * 3 + 2] = bad;  // sample 3, element 2
    auto set = std::make_shared<TensorDataset>(x, std::vector<int64_t>{0, 1, 0, 1, 0, 1});
    for (const int workers : {0, 2}) {
      DataLoader loader(set, {.batch_size = 4, .shuffle = false, .workers = workers});
      loader.start_epoch(0);
      try {
        while (loader.next()) {
        }
        ADD_FAILURE() << "no error for input " << bad;
      } catch (const NumericalError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("sample 3: its input holds"), std::string::npos) << msg;
        EXPECT_NE(msg.find("element 2 of [1,2,2]"), std::string::npos) << msg;
      }
    }
  }
}
