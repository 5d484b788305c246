// The MPI communicator in one place: every rank-aware part of physcnn (the Trainer's gradient
// all-reduce, the Ising study's temperatures, the NQS chains, rank-0-only writing) asks this
// object, and only dist/comm.cpp includes <mpi.h>.
//
// A process started without mpirun/srun never initialises MPI: `Comm::world()` is then a
// one-rank communicator whose collectives are copies or no-ops, so a plain run pays nothing.
// Built without MPI (-DPHYSCNN_MPI=OFF) the same holds, and a launch under mpirun is refused
// with a clear error instead of running N independent copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace physcnn::dist {

// True when physcnn was built with MPI (-DPHYSCNN_MPI=ON).
bool built_with_mpi();

// True when the environment says this process is one rank of an MPI launch (Open MPI's mpirun,
// PMIx or PMI as used by srun). Reads the environment only; initialises nothing.
bool launched_under_mpi();

// A pending non-blocking collective (MPI_Request); wait() completes it. Move-only. A default or
// completed request waits for nothing.
class Request {
 public:
  Request() = default;
  Request(Request&& other) noexcept;
  Request& operator=(Request&& other) noexcept;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request();  // waits: a buffer is never released while MPI may still write it

  void wait();
  bool test();  // true when complete; drives MPI's progress engine
  bool pending() const { return pending_; }

 private:
  friend class Comm;
  std::uintptr_t handle_ = 0;  // an MPI_Request stored without including <mpi.h>
  bool pending_ = false;
};

class Comm {
 public:
  // The world communicator. The first call initialises MPI (thread level FUNNELED: only the
  // thread that called world() makes MPI calls) when launched_under_mpi(); it throws a
  // UsageError when launched under mpirun by a build without MPI.
  static Comm& world();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool distributed() const { return size_ > 1; }
  bool is_root() const { return rank_ == 0; }

  // In-place sums over all ranks (MPI_Allreduce). On one rank they do nothing.
  void allreduce_sum(std::span<float> v) const;
  void allreduce_sum(std::span<double> v) const;
  void allreduce_sum(std::span<std::int64_t> v) const;
  // The same, started now and completed by Request::wait() (MPI_Iallreduce); `v` must outlive
  // the request.
  Request iallreduce_sum(std::span<float> v) const;
  Request iallreduce_sum(std::span<double> v) const;
  // Largest value over all ranks, in place.
  void allreduce_max(std::span<double> v) const;

  // Root's bytes copied to every rank; every rank passes a buffer of the same size.
  void broadcast(std::span<std::byte> v, int root = 0) const;
  // Every rank's bytes (of any length, possibly zero) delivered to every rank, in rank order.
  std::vector<std::vector<std::byte>> allgather(std::span<const std::byte> mine) const;
  // Every rank's bytes (of any length) delivered to `root` only, in rank order (MPI_Gatherv);
  // other ranks get an empty vector. One rank's bytes and their total must stay below 2 GiB.
  std::vector<std::vector<std::byte>> gather(std::span<const std::byte> mine, int root = 0) const;
  void barrier() const;

  // Stops every rank of the job with `exit_code` (MPI_Abort) after `message` went to stderr;
  // on one rank it only exits. Used by cli/main.cpp when one rank fails, so that the others
  // never wait forever in a collective.
  [[noreturn]] void abort(int exit_code) const;

  // How many ranks of this communicator share this rank's node (MPI_COMM_TYPE_SHARED); 1 on
  // one rank. Collective: every rank calls it. Used to split a node's cores between its ranks.
  int ranks_on_node() const;

  // Finalises MPI if it was initialised (called once at the end of main).
  static void finalize();

 private:
  Comm() = default;
  int rank_ = 0;
  int size_ = 1;
  bool mpi_ = false;  // MPI was initialised by this process
};

// Range [begin, end) of `n` items owned by `rank` of `size` ranks: contiguous blocks, sizes
// differing by at most one, lower ranks taking the larger blocks.
struct Block {
  std::int64_t begin = 0, end = 0;
};
Block block_of(std::int64_t n, int rank, int size);

// Every rank's `mine` concatenated in rank order, on every rank (`mine` itself on one rank).
template <class T>
std::vector<T> allgather_concat(const Comm& comm, const std::vector<T>& mine) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (!comm.distributed()) return mine;
  const auto parts = comm.allgather(std::as_bytes(std::span(mine)));
  std::vector<T> all;
  for (const auto& part : parts) {
    const std::size_t at = all.size();
    all.resize(at + part.size() / sizeof(T));
    if (!part.empty()) std::memcpy(all.data() + at, part.data(), part.size());
  }
  return all;
}

// Sums over the ranks, then rank 0's sums copied to every rank: MPI does not promise the same
// rounding on every rank, and code that takes a step from the sums must take the same one.
inline void allreduce_sum_identical(const Comm& comm, std::span<double> v) {
  if (!comm.distributed()) return;
  comm.allreduce_sum(v);
  comm.broadcast(std::as_writable_bytes(v), 0);
}

}  // namespace physcnn::dist
