// The loader's worker threads: each claims the next batch index (never more than `prefetch`
// ahead of the consumer), builds it, and files it under its index; the consumer takes batches
// strictly in order, so the result does not depend on which worker was faster.
#include "data/loader.hpp"

#include <cmath>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace physcnn::data {

namespace {

// Stream ids keep the shuffle and the transforms on separate Philox streams.
constexpr uint64_t kShuffleStream = 0x5348554646ull;    // "SHUFF"
constexpr uint64_t kTransformStream = 0x5452414E53ull;  // "TRANS"

// The exception in flight, rethrown later as the same kind of error with `context` prepended.
std::exception_ptr with_context(const std::string& context) {
  try {
    throw;
  } catch (const ShapeError& e) {
    return std::make_exception_ptr(ShapeError(context + e.what()));
  } catch (const UsageError& e) {
    return std::make_exception_ptr(UsageError(context + e.what()));
  } catch (const IoError& e) {
    return std::make_exception_ptr(IoError(context + e.what()));
  } catch (const NumericalError& e) {
    return std::make_exception_ptr(NumericalError(context + e.what()));
  } catch (const std::exception& e) {
    return std::make_exception_ptr(Error(context + e.what()));
  } catch (...) {
    return std::make_exception_ptr(Error(context + "unknown exception"));
  }
}

}  // namespace

struct DataLoader::Epoch {
  int64_t number = 0;
  std::vector<int64_t> order;
  int64_t batches = 0;
  std::mutex m;
  std::condition_variable space;  // a worker may claim another batch
  std::condition_variable ready;  // a batch (or an error) arrived
  int64_t claimed = 0;            // batches handed to workers
  int64_t delivered = 0;          // batches handed to the consumer
  std::map<int64_t, Batch> done;
  std::exception_ptr error;
  bool stopping = false;
  std::vector<std::thread> threads;
};

DataLoader::DataLoader(DatasetPtr dataset, const LoaderOptions& options, Transform transform)
    : dataset_(std::move(dataset)), options_(options), transform_(std::move(transform)) {
  PHYSCNN_CHECK_ARG(dataset_ != nullptr, "DataLoader: no dataset");
  PHYSCNN_CHECK_ARG(options_.batch_size >= 1, "DataLoader: batch_size ", options_.batch_size,
                    " must be >= 1");
  PHYSCNN_CHECK_ARG(options_.workers >= 0, "DataLoader: workers ", options_.workers,
                    " must be >= 0");
  PHYSCNN_CHECK_ARG(options_.ranks >= 1 && options_.rank >= 0 && options_.rank < options_.ranks,
                    "DataLoader: rank ", options_.rank, " of ", options_.ranks, " ranks");
  PHYSCNN_CHECK_ARG(options_.prefetch >= 1, "DataLoader: prefetch ", options_.prefetch,
                    " must be >= 1 (batches built ahead)");
}

DataLoader::~DataLoader() {
  stop();
}

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = dataset_->size(), bs = options_.batch_size;
  return options_.last_batch == LastBatch::Drop ? n / bs : (n + bs - 1) / bs;
}

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  const int64_t n = dataset_->size();
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[size_t(i)] = i;
  if (!options_.shuffle) return p;
  Rng rng = Rng(options_.seed, kShuffleStream).fork(uint64_t(epoch));
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[size_t(i)], p[rng.below(uint64_t(i) + 1)]);
  return p;
}

Rng DataLoader::sample_rng(int64_t epoch, int64_t index) const {
  return Rng(options_.seed, kTransformStream).fork(uint64_t(epoch)).fork(uint64_t(index));
}

Batch DataLoader::make_batch(int64_t epoch, int64_t b, const std::vector<int64_t>& order) const {
  const int64_t n = static_cast<int64_t>(order.size());
  const int64_t global_start = b * options_.batch_size;
  const int64_t global_count = std::min(options_.batch_size, n - global_start);
  PHYSCNN_CHECK_ARG(global_start >= 0 && global_count > 0, "DataLoader: batch ", b,
                    " is past the end of ", n, " samples");
  // This rank's block of the global batch (dist::block_of's rule; tests/train checks they agree).
  const int64_t base = global_count / options_.ranks, extra = global_count % options_.ranks;
  const int64_t start =
      global_start + options_.rank * base + std::min<int64_t>(options_.rank, extra);
  const int64_t count = base + (options_.rank < extra ? 1 : 0);
  Batch out;
  out.epoch = epoch;
  out.index = b;
  out.global_size = global_count;
  if (count == 0) return out;
  const bool regression = dataset_->target_kind() == TargetKind::Regression;
  const int64_t K = dataset_->target_size();
  if (regression) out.targets = Tensor::empty(Shape{count, K});
  Shape first;
  int64_t per = 0;
  for (int64_t j = 0; j < count; ++j) {
    const int64_t idx = order[size_t(start + j)];
    Sample s = dataset_->get(idx);
    if (transform_) {
      Rng rng = sample_rng(epoch, idx);
      s.input = transform_(s.input, rng);
    }
    const Tensor x = s.input.to(DType::F32).contiguous();
    if (j == 0) {
      first = x.shape();
      per = x.numel();
      std::vector<int64_t> dims{count};
      dims.insert(dims.end(), first.begin(), first.end());
      out.inputs = Tensor::empty(Shape(std::move(dims)));
    }
    PHYSCNN_CHECK_SHAPE(x.shape() == first, "DataLoader: sample ", idx, " has shape ",
                        x.shape().str(), " but the batch's first sample has ", first.str());
    std::memcpy(out.inputs.data<float>() + j * per, x.data<float>(), size_t(per) * sizeof(float));
    // A NaN or infinite input is refused here, for training, evaluation and prediction alike:
    // layers such as ReLU and max pooling can swallow it and give plausible, finite outputs.
    const float* v = x.data<float>();
    for (int64_t k = 0; k < per; ++k)
      PHYSCNN_CHECK(std::isfinite(v[k]), NumericalError, "sample ", idx, ": its input holds ", v[k],
                    " (element ", k, " of ", x.shape().str(), "); inputs must be finite numbers");
    out.indices.push_back(idx);
    if (regression) {
      PHYSCNN_CHECK_SHAPE(int64_t(s.target.size()) == K, "DataLoader: sample ", idx, " has ",
                          s.target.size(), " targets, the dataset says ", K);
      std::memcpy(out.targets.data<float>() + j * K, s.target.data(), size_t(K) * sizeof(float));
    } else {
      out.labels.push_back(s.label);
    }
  }
  return out;
}

void DataLoader::worker(Epoch& e) {
  for (;;) {
    int64_t b;
    {
      std::unique_lock lk(e.m);
      e.space.wait(lk, [&] {
        return e.stopping || e.error || e.claimed >= e.batches ||
               e.claimed < e.delivered + options_.prefetch;
      });
      if (e.stopping || e.error || e.claimed >= e.batches) return;
      b = e.claimed++;
    }
    try {
      Batch batch = make_batch(e.number, b, e.order);
      std::lock_guard lk(e.m);
      e.done.emplace(b, std::move(batch));
    } catch (...) {
      auto err =
          with_context(physcnn::detail::cat("DataLoader: batch ", b, " of epoch ", e.number, ": "));
      std::lock_guard lk(e.m);
      if (!e.error) e.error = err;
      e.space.notify_all();  // the other workers stop too
    }
    e.ready.notify_all();
  }
}

void DataLoader::stop() {
  if (!epoch_) return;
  {
    std::lock_guard lk(epoch_->m);
    epoch_->stopping = true;
  }
  epoch_->space.notify_all();
  for (auto& t : epoch_->threads) t.join();
  epoch_.reset();
}

void DataLoader::start_epoch(int64_t epoch) {
  PHYSCNN_CHECK_ARG(epoch >= 0, "DataLoader::start_epoch: negative epoch ", epoch);
  stop();
  epoch_ = std::make_unique<Epoch>();
  epoch_->number = epoch;
  epoch_->order = epoch_order(epoch);
  epoch_->batches = batches_per_epoch();
  const int threads = int(std::min<int64_t>(options_.workers, epoch_->batches));
  Epoch* e = epoch_.get();
  for (int t = 0; t < threads; ++t) e->threads.emplace_back([this, e] { worker(*e); });
}

std::optional<Batch> DataLoader::next() {
  PHYSCNN_CHECK_ARG(epoch_ != nullptr, "DataLoader::next: call start_epoch(epoch) first");
  Epoch& e = *epoch_;
  if (e.delivered >= e.batches) return std::nullopt;
  if (options_.workers == 0) {
    try {
      return make_batch(e.number, e.delivered++, e.order);
    } catch (...) {
      std::rethrow_exception(with_context(physcnn::detail::cat(
          "DataLoader: batch ", e.delivered - 1, " of epoch ", e.number, ": ")));
    }
  }
  std::unique_lock lk(e.m);
  e.ready.wait(lk, [&] { return e.error || e.done.count(e.delivered) > 0; });
  if (e.error) {
    auto err = e.error;
    lk.unlock();
    stop();
    std::rethrow_exception(err);
  }
  auto node = e.done.extract(e.delivered);
  ++e.delivered;
  lk.unlock();
  e.space.notify_all();
  return std::move(node.mapped());
}

}  // namespace physcnn::data
