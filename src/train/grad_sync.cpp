// Bucketed, overlapped gradient all-reduce for data-parallel training; model checks over ranks.
#include "train/grad_sync.hpp"

#include <chrono>
#include <cstring>
#include <unordered_map>

#include "core/error.hpp"
#include "nn/layers.hpp"
#include "train/step.hpp"

namespace physcnn::train {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

// One bucket: its parameters' gradients back to back, then one flag per parameter (1 when this
// rank has a gradient for it), summed over the ranks in place.
struct GradientSync::Bucket {
  DType dtype = DType::F32;
  std::vector<size_t> params;
  std::vector<float> f32;
  std::vector<double> f64;
  dist::Request request;
  bool started = false;
};

GradientSync::GradientSync(const dist::Comm& comm, const nn::Module& model, GradSyncOptions options)
    : comm_(comm), options_(options), params_(model.parameters()) {
  options_.overlap = options_.overlap && step_switches().grad_overlap;
  PHYSCNN_CHECK_ARG(options_.bucket_bytes > 0, "gradient buckets of ", options_.bucket_bytes,
                    " bytes");
  bucket_of_.assign(params_.size(), -1);
  int64_t bytes = 0;
  for (size_t k = params_.size(); k-- > 0;) {
    const Tensor& v = params_[k].value();
    PHYSCNN_CHECK_ARG(v.dtype() == DType::F32 || v.dtype() == DType::F64,
                      "data-parallel training: parameter ", k, " is ", dtype_name(v.dtype()));
    const int64_t size = v.numel() * (v.dtype() == DType::F64 ? 8 : 4);
    if (buckets_.empty() || buckets_.back()->dtype != v.dtype() ||
        bytes + size > options_.bucket_bytes) {
      buckets_.push_back(std::make_unique<Bucket>());
      buckets_.back()->dtype = v.dtype();
      bytes = 0;
    }
    if (buckets_.back()->params.empty()) bytes = 0;
    bytes += size;
    buckets_.back()->params.push_back(k);
    bucket_of_[k] = int(buckets_.size() - 1);
    stats_.bytes += size;
  }
  stats_.buckets = int(buckets_.size());
  ready_.assign(params_.size(), 0);
  missing_.assign(buckets_.size(), 0);
  hook_ = [this](const std::shared_ptr<autograd::Node>& leaf) { mark_ready(leaf.get()); };
  begin_step();
}

GradientSync::~GradientSync() = default;  // a pending bucket's Request waits for it

void GradientSync::reset_stats() {
  const int64_t bytes = stats_.bytes;
  const int buckets = stats_.buckets;
  stats_ = GradSyncStats{};
  stats_.bytes = bytes;
  stats_.buckets = buckets;
}

void GradientSync::begin_step() {
  std::fill(ready_.begin(), ready_.end(), 0);
  for (size_t b = 0; b < buckets_.size(); ++b) {
    missing_[b] = int(buckets_[b]->params.size());
    buckets_[b]->started = false;
  }
  next_ = 0;
  in_finish_ = false;
}

void GradientSync::mark_ready(const autograd::Node* leaf) {
  if (!options_.overlap) return;
  // A handful of parameters: a linear search costs less than keeping a map in sync.
  for (size_t k = 0; k < params_.size(); ++k) {
    if (params_[k].node().get() != leaf || ready_[k]) continue;
    ready_[k] = 1;
    --missing_[size_t(bucket_of_[k])];
    break;
  }
  while (next_ < buckets_.size() && missing_[next_] == 0) {
    start(*buckets_[next_]);
    ++started_early_;
    ++next_;
  }
  progress();
}

void GradientSync::start(Bucket& b) {
  size_t elements = 0;
  for (size_t k : b.params) elements += size_t(params_[k].numel());
  const size_t total = elements + b.params.size();
  size_t at = 0, flag = elements;
  const auto pack = [&](auto& buf) {
    using T = typename std::decay_t<decltype(buf)>::value_type;
    buf.assign(total, T(0));
    for (size_t k : b.params) {
      const Tensor& g = params_[k].grad();
      const auto n = size_t(params_[k].numel());
      if (g.defined()) {
        const Tensor c = g.dtype() == b.dtype ? g.contiguous() : g.to(b.dtype).contiguous();
        std::memcpy(buf.data() + at, c.data<T>(), n * sizeof(T));
        buf[flag] = T(1);
      }
      at += n;
      ++flag;
    }
  };
  if (b.dtype == DType::F64) {
    pack(b.f64);
    b.request = comm_.iallreduce_sum(std::span<double>(b.f64));
  } else {
    pack(b.f32);
    b.request = comm_.iallreduce_sum(std::span<float>(b.f32));
  }
  b.started = true;
}

void GradientSync::progress() {
  // Open MPI advances a non-blocking collective only inside MPI calls: test the oldest one.
  for (size_t b = 0; b < next_; ++b)
    if (buckets_[b]->request.pending()) {
      buckets_[b]->request.test();
      return;
    }
}

void GradientSync::finish() {
  const double t0 = now_seconds();
  in_finish_ = true;
  for (; next_ < buckets_.size(); ++next_) start(*buckets_[next_]);
  for (auto& bp : buckets_) {
    Bucket& b = *bp;
    b.request.wait();
    size_t at = 0, flag = 0;
    for (size_t k : b.params) flag += size_t(params_[k].numel());
    const auto unpack = [&](const auto& buf) {
      using T = typename std::decay_t<decltype(buf)>::value_type;
      for (size_t k : b.params) {
        const auto n = size_t(params_[k].numel());
        if (buf[flag] != T(0)) {
          Tensor g = Tensor::empty(params_[k].shape(), b.dtype);
          std::memcpy(g.data<T>(), buf.data() + at, n * sizeof(T));
          params_[k].grad() = g;
        }
        at += n;
        ++flag;
      }
    };
    if (b.dtype == DType::F64)
      unpack(b.f64);
    else
      unpack(b.f32);
  }
  stats_.exposed_seconds += now_seconds() - t0;
  stats_.started_early += started_early_;
  started_early_ = 0;
  ++stats_.steps;
}

// --- model checks over ranks ------------------------------------------------------------------

namespace {

uint64_t fnv1a(uint64_t h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

}  // namespace

void check_same_model(const dist::Comm& comm, const nn::Module& model, const std::string& when) {
  if (!comm.distributed()) return;
  uint64_t h = 0xcbf29ce484222325ull;
  for (const auto& [name, t] : model.state_dict()) {
    h = fnv1a(h, name.data(), name.size());
    for (int64_t d : t.shape()) h = fnv1a(h, &d, sizeof d);
    const std::vector<double> v = t.to_vector();  // exact for float32 and float64
    h = fnv1a(h, v.data(), v.size() * sizeof(double));
  }
  std::vector<std::byte> mine(sizeof h);
  std::memcpy(mine.data(), &h, sizeof h);
  const auto all = comm.allgather(mine);
  for (size_t r = 1; r < all.size(); ++r)
    PHYSCNN_CHECK(all[r] == all[0], NumericalError, "data-parallel training: rank ", r,
                  "'s weights and buffers differ from rank 0's ", when,
                  " (every rank must build the same model from the same seed and files)");
}

void sync_batch_norm(nn::Module& model, const dist::Comm* comm) {
  autograd::ReplicaSum sum;
  if (comm) sum = [comm](std::span<double> v) { comm->allreduce_sum(v); };
  for (const auto& [name, m] : model.named_modules())
    if (auto* bn = dynamic_cast<nn::BatchNorm*>(m.get())) bn->set_replica_sum(sum);
  if (auto* bn = dynamic_cast<nn::BatchNorm*>(&model)) bn->set_replica_sum(sum);
}

void average_buffers(const dist::Comm& comm, nn::Module& model) {
  if (!comm.distributed()) return;
  for (auto& [name, t] : model.named_buffers()) {
    if (!t.defined() || t.numel() == 0) continue;
    Tensor buf = t;  // shares storage with the module's buffer
    std::vector<double> v = buf.to_vector();
    comm.allreduce_sum(v);
    for (double& x : v) x /= double(comm.size());
    buf.copy_(Tensor::from_vector(v, buf.shape()));
  }
}

}  // namespace physcnn::train
