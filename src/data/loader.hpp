// DataLoader: batches (N×C×H×W float32 + targets) in a per-epoch shuffled order, built ahead on
// worker threads with a bounded queue so training does not wait on I/O; every random choice
// depends only on (seed, epoch, sample index), never on the number of workers or timing.
//
// Training from a file, in short:
//   auto all = data::open_npz("ising.npz", "spins", "label");
//   auto split = data::split_dataset(all, {.seed = 1, .stratify = true});
//   data::DataLoader train(split.train, {.batch_size = 128, .seed = 1},
//                          data::compose({data::random_d4(), data::random_translate(),
//                                         data::random_sign_flip()}));
//   for (int64_t epoch = 0; epoch < epochs; ++epoch) {
//     train.start_epoch(epoch);
//     while (auto batch = train.next()) step(batch->inputs, batch->labels);
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/rng.hpp"
#include "data/dataset.hpp"
#include "data/transforms.hpp"

namespace physcnn::data {

enum class LastBatch { Keep, Drop };

struct LoaderOptions {
  int64_t batch_size = 32;
  bool shuffle = true;
  uint64_t seed = 0;  // shuffling and transforms
  LastBatch last_batch = LastBatch::Keep;
  int workers = 1;   // threads building batches; 0 builds them in the caller's thread
  int prefetch = 2;  // batches built ahead of the one being consumed (>= 1)
  // Data parallel: batch_size is the global batch; this loader builds only rank `rank`'s block of
  // each global batch (of `ranks`): contiguous rows, sizes differing by at most one, lower ranks
  // taking the larger blocks (dist::block_of's rule). The order and each sample's augmentation
  // are those of the whole batch, so the ranks' blocks together are the single-process batch.
  int rank = 0, ranks = 1;
};

struct Batch {
  Tensor inputs;                 // float32 (N, sample shape after the transform)
  std::vector<int64_t> labels;   // N (class targets)
  Tensor targets;                // float32 (N, K) (regression targets)
  std::vector<int64_t> indices;  // dataset index of each sample
  int64_t epoch = 0;
  int64_t index = 0;        // position of this batch in the epoch
  int64_t global_size = 0;  // samples of the global batch (all ranks); this one holds a block
  // A rank's block may be empty (a last batch smaller than the number of ranks): then inputs is
  // undefined and size() is 0.
  int64_t size() const { return int64_t(indices.size()); }
};

class DataLoader {
 public:
  DataLoader(DatasetPtr dataset, const LoaderOptions& options, Transform transform = {});
  ~DataLoader();  // stops the workers and joins them, also mid-epoch
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t batches_per_epoch() const;
  // The sample order of an epoch (a permutation when shuffling, else 0..n-1).
  std::vector<int64_t> epoch_order(int64_t epoch) const;

  // Starts building the batches of `epoch` (abandoning any epoch in progress).
  void start_epoch(int64_t epoch);
  // The next batch of the current epoch, or nothing once the epoch is done. A failure while
  // building a batch is rethrown here, with the batch and epoch added to its message.
  std::optional<Batch> next();

  // Builds batch `b` of `epoch` directly (what the workers call).
  Batch make_batch(int64_t epoch, int64_t b, const std::vector<int64_t>& order) const;
  // The generator a transform gets for sample `index` in `epoch`.
  Rng sample_rng(int64_t epoch, int64_t index) const;

 private:
  struct Epoch;
  void stop();
  void worker(Epoch& e);

  DatasetPtr dataset_;
  LoaderOptions options_;
  Transform transform_;  // per sample; its rng is sample_rng(epoch, index)
  std::unique_ptr<Epoch> epoch_;
};

}  // namespace physcnn::data
