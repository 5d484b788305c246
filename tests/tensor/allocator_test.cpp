// The caching allocator behind tensor storage: alignment, size classes, reuse of freed blocks,
// the cache limit, the footprint bound when sizes change, and use from several threads.
#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

#include "tensor/allocator.hpp"
#include "tensor/tensor.hpp"

using namespace physcnn;

namespace {

// Restores the default limit and an empty cache whatever a test did.
struct CacheReset {
  ~CacheReset() {
    allocator::set_cache_limit(size_t{2} << 30);
    allocator::release_cached();
  }
};

}  // namespace

TEST(Allocator, SizeClassesBoundTheWaste) {
  for (size_t bytes :
       {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{4095}, size_t{4096},
        size_t{4097}, size_t{8192}, size_t{8193}, size_t{1000000}, size_t{123456789}}) {
    const size_t b = allocator::block_size(bytes);
    EXPECT_GE(b, bytes) << bytes;
    EXPECT_EQ(b % 64, 0u) << bytes;
    EXPECT_LE(b, std::max<size_t>(64, bytes + 63) + bytes / 4) << bytes;
    EXPECT_EQ(allocator::block_size(b), b) << "a class size is its own class: " << bytes;
  }
  EXPECT_EQ(allocator::block_size(4097), 5120u);
  EXPECT_EQ(allocator::block_size(8193), 10240u);
}

TEST(Allocator, BlocksAreAlignedAndReused) {
  CacheReset reset;
  allocator::release_cached();
  for (int64_t n : {1, 3, 17, 1000, 1 << 20}) {
    Tensor t = Tensor::empty({n});
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data<float>()) % 64, 0u) << n;
  }
  const void* first = nullptr;
  {
    Tensor a = Tensor::zeros({256, 256});
    first = a.data<float>();
  }
  const allocator::Stats before = allocator::stats();
  {
    // Same size class (within 25% of 256 KiB): served from the cache, no system allocation.
    Tensor b = Tensor::zeros({250, 256});
    EXPECT_EQ(b.data<float>(), first);
    EXPECT_EQ(b.at({249, 255}), 0.0) << "zeros() must clear a reused block";
  }
  const allocator::Stats after = allocator::stats();
  EXPECT_EQ(after.os_allocations, before.os_allocations);
  EXPECT_EQ(after.cache_hits, before.cache_hits + 1);
}

TEST(Allocator, ReleaseAndLimit) {
  CacheReset reset;
  { Tensor a = Tensor::empty({1 << 16}); }
  EXPECT_GT(allocator::stats().cached_bytes, 0u);
  allocator::release_cached();
  EXPECT_EQ(allocator::stats().cached_bytes, 0u);

  // Limit 0: every freed block goes straight back to the system.
  allocator::set_cache_limit(0);
  const allocator::Stats before = allocator::stats();
  { Tensor a = Tensor::empty({1 << 16}); }
  { Tensor b = Tensor::empty({1 << 16}); }
  const allocator::Stats after = allocator::stats();
  EXPECT_EQ(after.cached_bytes, 0u);
  EXPECT_EQ(after.os_allocations, before.os_allocations + 2);
  EXPECT_EQ(after.os_frees, before.os_frees + 2);
  EXPECT_EQ(after.cache_limit, 0u);
}

TEST(Allocator, FootprintStaysWithinThePeakWhenSizesChange) {
  CacheReset reset;
  allocator::release_cached();
  const size_t base = allocator::stats().live_bytes;
  // Phase 1: 8 blocks of 1 MiB live at once, then freed into the cache.
  {
    std::vector<Tensor> phase1;
    for (int i = 0; i < 8; ++i) phase1.push_back(Tensor::empty({1 << 18}));
  }
  EXPECT_GE(allocator::stats().cached_bytes, size_t{8} << 20);
  // Phase 2: another size class (1.5 MiB), 9 MiB live. The cached 1 MiB blocks cannot serve
  // it; keeping them all would make the footprint 17 MiB, so the misses evict down to 1.5x
  // the live peak.
  {
    std::vector<Tensor> phase2;
    for (int i = 0; i < 6; ++i) phase2.push_back(Tensor::empty({(1 << 18) * 4 / 3 + 100}));
    const allocator::Stats s = allocator::stats();
    EXPECT_LE(s.live_bytes + s.cached_bytes, (s.live_bytes + s.live_bytes / 2) + 4096)
        << "live " << s.live_bytes << " cached " << s.cached_bytes;
    EXPECT_GE(s.live_bytes - base, size_t{9} << 20);
  }
  // Phase 3: small tensors only, for more allocations than a cached block may sit idle.
  // Everything from phases 1 and 2 is stale by then and back with the system.
  for (int i = 0; i < 5000; ++i) Tensor::empty({16});
  EXPECT_LT(allocator::stats().cached_bytes, size_t{1} << 20);
}

TEST(Allocator, ManyThreads) {
  CacheReset reset;
  const size_t live0 = allocator::stats().live_bytes;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      std::vector<Tensor> keep;
      for (int i = 0; i < 2000; ++i) {
        Tensor a = Tensor::full({int64_t(1 + (i * 37 + t * 11) % 3000)}, double(t));
        if (i % 3 == 0) keep.push_back(a);
        if (keep.size() > 20) keep.erase(keep.begin());
        // The block is ours alone: nobody else wrote into it meanwhile.
        if (a.data<float>()[a.numel() - 1] != float(t)) ADD_FAILURE() << "thread " << t;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(allocator::stats().live_bytes, live0);
}
