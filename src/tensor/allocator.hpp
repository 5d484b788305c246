// The caching allocator behind tensor storage: freed blocks go to size-class free lists and are
// handed out again, so a steady-state training step reuses the previous step's buffers instead
// of asking the OS for fresh (page-faulted, zeroed) memory every time.
#pragma once

#include <cstddef>
#include <cstdint>

namespace physcnn::allocator {

// Counters since the start of the process (peak_live_bytes: since the last reset_peak()).
struct Stats {
  size_t live_bytes = 0;        // held by storages now (size-class bytes)
  size_t peak_live_bytes = 0;   // high-water mark of live_bytes
  size_t cached_bytes = 0;      // freed blocks kept for reuse
  size_t cache_limit = 0;       // the largest cached_bytes allowed
  uint64_t allocations = 0;     // allocate() calls
  uint64_t cache_hits = 0;      // ... served from the cache
  uint64_t os_allocations = 0;  // blocks obtained from the system allocator
  uint64_t os_frees = 0;        // blocks given back (evictions, over the limit, release_cached)
};

// A 64-byte aligned block of at least `bytes` bytes (never null; throws Error when out of
// memory). Its capacity is block_size(bytes); free it with deallocate(p, bytes).
void* allocate(size_t bytes);
void deallocate(void* p, size_t bytes);

// The size class a request is rounded up to: multiples of 64 bytes up to 4 KiB, then four
// classes per power of two (at most 25% waste, mostly untouched and so not resident).
size_t block_size(size_t bytes);

Stats stats();
// Returns every cached block to the system (tests, benchmarks between workloads).
void release_cached();
// Cached bytes above this are returned to the system at once (default 2 GiB); 0 disables
// caching. The limit is set here, in code, not read from the environment.
void set_cache_limit(size_t bytes);
// Restarts the high-water mark at the current live bytes.
void reset_peak();

}  // namespace physcnn::allocator
