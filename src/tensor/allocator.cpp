// Caching allocator for tensor storage: size-class free lists under one mutex; blocks not reused
// within a step's worth of allocations go back to the system (see Cache).
#include "tensor/allocator.hpp"

#include <algorithm>
#include <cstdlib>
#include <list>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"

namespace physcnn::allocator {

namespace {

constexpr size_t kAlign = 64;
constexpr size_t kSmall = 4096;
constexpr size_t kDefaultLimit = size_t{2} << 30;
constexpr uint64_t kMinHorizon = 1024;  // allocations a cached block survives at least

struct Block {
  void* p;
  size_t size;        // class size
  uint64_t freed_at;  // the allocation count when it was cached
};

// Which blocks to keep. A training step frees and re-allocates the same sizes every step, so a
// block in the step's working set is reused within one step's worth of allocations. Ages are
// counted in allocations: a cached block idle for longer than twice the longest reuse age seen
// (at least kMinHorizon) is stale -- it belonged to an earlier batch size or phase -- and goes
// back to the system. Until blocks are stale (the first steps after a change of batch size),
// a miss may grow live + cached to 1.5x the largest live size seen; beyond that the least
// recently freed blocks are evicted. A steady-state step then reuses its own blocks only and
// allocates nothing new, and old phases do not pile up.
class Cache {
 public:
  void* allocate(size_t bytes) {
    const size_t size = block_size(bytes);
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.allocations;
      evict_stale(evicted);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        const auto node = it->second.back();
        it->second.pop_back();
        void* p = node->p;
        max_reuse_age_ = std::max(max_reuse_age_, stats_.allocations - node->freed_at);
        lru_.erase(node);
        stats_.cached_bytes -= size;
        ++stats_.cache_hits;
        note_live(size);
        if (!evicted.empty()) free_all(evicted);
        return p;
      }
      const size_t need = std::max(demand_peak_, stats_.live_bytes + size);
      const size_t allowed = need + need / 2;
      while (!lru_.empty() && stats_.live_bytes + stats_.cached_bytes + size > allowed)
        evicted.push_back(evict_oldest());
      ++stats_.os_allocations;
      note_live(size);
    }
    free_all(evicted);
    void* p = std::aligned_alloc(kAlign, size);
    if (p == nullptr) {
      // The cache may hold what the system lacks: give it all back and try once more.
      release_cached();
      p = std::aligned_alloc(kAlign, size);
    }
    if (p == nullptr) {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.live_bytes -= size;
      --stats_.os_allocations;
    }
    PHYSCNN_CHECK(p != nullptr, Error, "out of memory allocating ", bytes,
                  " bytes of tensor storage");
    return p;
  }

  void deallocate(void* p, size_t bytes) {
    if (p == nullptr) return;
    const size_t size = block_size(bytes);
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.live_bytes -= size;
      evict_stale(evicted);
      if (stats_.cached_bytes + size <= stats_.cache_limit) {
        const auto node = lru_.insert(lru_.end(), Block{p, size, stats_.allocations});
        free_[size].push_back(node);
        stats_.cached_bytes += size;
      } else {
        ++stats_.os_frees;
        evicted.push_back(p);
      }
    }
    free_all(evicted);
  }

  void release_cached() {
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (!lru_.empty()) evicted.push_back(evict_oldest());
      demand_peak_ = stats_.live_bytes;
      max_reuse_age_ = 0;
    }
    free_all(evicted);
  }

  void set_limit(size_t bytes) {
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.cache_limit = bytes;
      while (!lru_.empty() && stats_.cached_bytes > bytes) evicted.push_back(evict_oldest());
    }
    free_all(evicted);
  }

  Stats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  void reset_peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak_live_bytes = stats_.live_bytes;
  }

 private:
  using Lru = std::list<Block>;

  static void free_all(const std::vector<void*>& blocks) {
    for (void* p : blocks) std::free(p);
  }

  void note_live(size_t size) {
    stats_.live_bytes += size;
    stats_.peak_live_bytes = std::max(stats_.peak_live_bytes, stats_.live_bytes);
    demand_peak_ = std::max(demand_peak_, stats_.live_bytes);
  }

  // Caller holds the mutex. At most a few blocks per call in steady use: the oldest first.
  void evict_stale(std::vector<void*>& out) {
    const uint64_t horizon = std::max(kMinHorizon, 2 * max_reuse_age_);
    while (!lru_.empty() && stats_.allocations - lru_.front().freed_at > horizon)
      out.push_back(evict_oldest());
  }

  // Caller holds the mutex and frees the returned pointer after releasing it.
  void* evict_oldest() {
    const Lru::iterator node = lru_.begin();
    std::vector<Lru::iterator>& list = free_[node->size];
    list.erase(std::find(list.begin(), list.end(), node));
    void* p = node->p;
    stats_.cached_bytes -= node->size;
    ++stats_.os_frees;
    lru_.erase(node);
    return p;
  }

  std::mutex mutex_;
  Lru lru_;  // cached blocks, least recently freed first
  std::unordered_map<size_t, std::vector<Lru::iterator>> free_;  // by class size, newest last
  size_t demand_peak_ = 0;      // largest live_bytes since the last release_cached()
  uint64_t max_reuse_age_ = 0;  // longest idle age (in allocations) of a block reused
  Stats stats_{.cache_limit = kDefaultLimit};
};

// Never destroyed: tensors in static objects may be freed after any static destructor ran.
Cache& cache() {
  static Cache* c = new Cache();
  return *c;
}

}  // namespace

size_t block_size(size_t bytes) {
  // Past 2^62 the doubling below would wrap and never end.
  PHYSCNN_CHECK(bytes <= (size_t{1} << 62), Error, "out of memory: ", bytes,
                " bytes of tensor storage asked for");
  if (bytes <= kSmall) return std::max(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
  size_t top = kSmall;  // the largest power of two below bytes
  while (top * 2 < bytes) top *= 2;
  const size_t step = top / 4;
  return (bytes + step - 1) / step * step;
}

void* allocate(size_t bytes) {
  return cache().allocate(bytes);
}
void deallocate(void* p, size_t bytes) {
  cache().deallocate(p, bytes);
}
Stats stats() {
  return cache().stats();
}
void release_cached() {
  cache().release_cached();
}
void set_cache_limit(size_t bytes) {
  cache().set_limit(bytes);
}
void reset_peak() {
  cache().reset_peak();
}

}  // namespace physcnn::allocator
