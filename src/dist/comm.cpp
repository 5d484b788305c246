#include "dist/comm.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>

#include "core/error.hpp"

#ifdef PHYSCNN_HAVE_MPI
// The C API only: Open MPI's deprecated C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace physcnn::dist {

bool built_with_mpi() {
#ifdef PHYSCNN_HAVE_MPI
  return true;
#else
  return false;
#endif
}

bool launched_under_mpi() {
  // Open MPI's mpirun, PMIx launchers (Open MPI >= 4, srun --mpi=pmix) and PMI-1/2 (srun
  // --mpi=pmi2, MPICH's hydra). SLURM_PROCID alone is not enough: srun also starts non-MPI jobs.
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(var) != nullptr) return true;
  return false;
}

Block block_of(std::int64_t n, int rank, int size) {
  PHYSCNN_CHECK(size > 0 && rank >= 0 && rank < size && n >= 0, UsageError, "block_of: rank ", rank,
                " of ", size, " ranks, ", n, " items");
  const std::int64_t base = n / size, extra = n % size;
  const std::int64_t begin = rank * base + std::min<std::int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

#ifdef PHYSCNN_HAVE_MPI
namespace {
static_assert(sizeof(MPI_Request) <= sizeof(std::uintptr_t));

MPI_Request to_mpi(std::uintptr_t h) {
  MPI_Request r;
  std::memcpy(&r, &h, sizeof r);
  return r;
}
std::uintptr_t from_mpi(MPI_Request r) {
  std::uintptr_t h = 0;
  std::memcpy(&h, &r, sizeof r);
  return h;
}
int count_of(std::size_t n) {
  PHYSCNN_CHECK(n <= static_cast<std::size_t>(std::numeric_limits<int>::max()), UsageError,
                "MPI message of ", n, " elements is larger than one MPI call takes");
  return static_cast<int>(n);
}
}  // namespace
#endif

Request::Request(Request&& other) noexcept : handle_(other.handle_), pending_(other.pending_) {
  other.pending_ = false;
}

Request& Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    if (pending_) wait();
    handle_ = other.handle_;
    pending_ = other.pending_;
    other.pending_ = false;
  }
  return *this;
}

Request::~Request() {
  if (pending_) wait();
}

void Request::wait() {
  if (!pending_) return;
#ifdef PHYSCNN_HAVE_MPI
  MPI_Request r = to_mpi(handle_);
  MPI_Wait(&r, MPI_STATUS_IGNORE);
#endif
  pending_ = false;
}

bool Request::test() {
  if (!pending_) return true;
#ifdef PHYSCNN_HAVE_MPI
  MPI_Request r = to_mpi(handle_);
  int done = 0;
  MPI_Test(&r, &done, MPI_STATUS_IGNORE);
  handle_ = from_mpi(r);
  if (done) pending_ = false;
#else
  pending_ = false;
#endif
  return !pending_;
}

Comm& Comm::world() {
  static Comm comm = [] {
    Comm c;
    if (!launched_under_mpi()) return c;
#ifdef PHYSCNN_HAVE_MPI
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    PHYSCNN_CHECK(provided >= MPI_THREAD_FUNNELED, UsageError,
                  "the MPI library provides thread level ", provided,
                  "; physcnn needs MPI_THREAD_FUNNELED");
    MPI_Comm_rank(MPI_COMM_WORLD, &c.rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &c.size_);
    c.mpi_ = true;
#else
    throw UsageError(
        "started under mpirun, but this physcnn was built without MPI (-DPHYSCNN_MPI=OFF): "
        "every rank would run the whole job on its own; rebuild with -DPHYSCNN_MPI=ON "
        "(Debian: libopenmpi-dev) or run without mpirun");
#endif
    return c;
  }();
  return comm;
}

void Comm::finalize() {
#ifdef PHYSCNN_HAVE_MPI
  int initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  if (initialised && !finalised) MPI_Finalize();
#endif
}

namespace {
enum class Op { sum, max };

#ifdef PHYSCNN_HAVE_MPI
template <class T>
MPI_Datatype mpi_type() {
  if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
  if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
  if constexpr (std::is_same_v<T, std::int64_t>) return MPI_INT64_T;
}
MPI_Op mpi_op(Op op) {
  return op == Op::sum ? MPI_SUM : MPI_MAX;
}
#endif

// In place over MPI_COMM_WORLD when `active` (MPI up, more than one rank); else nothing.
template <class T>
void allreduce_in_place(bool active, std::span<T> v, Op op) {
#ifdef PHYSCNN_HAVE_MPI
  if (active)
    MPI_Allreduce(MPI_IN_PLACE, v.data(), count_of(v.size()), mpi_type<T>(), mpi_op(op),
                  MPI_COMM_WORLD);
#else
  (void)active, (void)v, (void)op;
#endif
}

// The same, started now: the MPI_Request as stored by Request, or nothing when not active.
template <class T>
std::optional<std::uintptr_t> iallreduce_in_place(bool active, std::span<T> v) {
#ifdef PHYSCNN_HAVE_MPI
  if (active) {
    MPI_Request r;
    MPI_Iallreduce(MPI_IN_PLACE, v.data(), count_of(v.size()), mpi_type<T>(), MPI_SUM,
                   MPI_COMM_WORLD, &r);
    return from_mpi(r);
  }
#else
  (void)active, (void)v;
#endif
  return std::nullopt;
}
}  // namespace

void Comm::allreduce_sum(std::span<float> v) const {
  allreduce_in_place(mpi_ && size_ > 1, v, Op::sum);
}
void Comm::allreduce_sum(std::span<double> v) const {
  allreduce_in_place(mpi_ && size_ > 1, v, Op::sum);
}
void Comm::allreduce_sum(std::span<std::int64_t> v) const {
  allreduce_in_place(mpi_ && size_ > 1, v, Op::sum);
}
void Comm::allreduce_max(std::span<double> v) const {
  allreduce_in_place(mpi_ && size_ > 1, v, Op::max);
}

Request Comm::iallreduce_sum(std::span<float> v) const {
  Request req;
  if (const auto h = iallreduce_in_place(mpi_ && size_ > 1, v))
    req.handle_ = *h, req.pending_ = true;
  return req;
}
Request Comm::iallreduce_sum(std::span<double> v) const {
  Request req;
  if (const auto h = iallreduce_in_place(mpi_ && size_ > 1, v))
    req.handle_ = *h, req.pending_ = true;
  return req;
}

void Comm::broadcast(std::span<std::byte> v, int root) const {
#ifdef PHYSCNN_HAVE_MPI
  if (mpi_ && size_ > 1) MPI_Bcast(v.data(), count_of(v.size()), MPI_BYTE, root, MPI_COMM_WORLD);
#else
  (void)v;
  (void)root;
#endif
}

std::vector<std::vector<std::byte>> Comm::allgather(std::span<const std::byte> mine) const {
  std::vector<std::vector<std::byte>> out(static_cast<std::size_t>(size_));
#ifdef PHYSCNN_HAVE_MPI
  if (mpi_ && size_ > 1) {
    const int n = count_of(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(size_)), displs(counts.size());
    MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
    std::size_t total = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      displs[r] = count_of(total);
      total += static_cast<std::size_t>(counts[r]);
    }
    std::vector<std::byte> all(total);
    MPI_Allgatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE,
                   MPI_COMM_WORLD);
    for (std::size_t r = 0; r < counts.size(); ++r)
      out[r].assign(all.begin() + displs[r], all.begin() + displs[r] + counts[r]);
    return out;
  }
#endif
  out[0].assign(mine.begin(), mine.end());
  return out;
}

std::vector<std::vector<std::byte>> Comm::gather(std::span<const std::byte> mine, int root) const {
  PHYSCNN_CHECK(root >= 0 && root < size_, UsageError, "gather: root ", root, " of ", size_,
                " ranks");
  std::vector<std::vector<std::byte>> out;
#ifdef PHYSCNN_HAVE_MPI
  if (mpi_ && size_ > 1) {
    const int n = count_of(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(size_)), displs(counts.size());
    MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, root, MPI_COMM_WORLD);
    std::size_t total = 0;
    for (std::size_t r = 0; rank_ == root && r < counts.size(); ++r) {
      displs[r] = count_of(total);
      total += static_cast<std::size_t>(counts[r]);
    }
    if (rank_ == root) count_of(total);  // the displacements are ints
    std::vector<std::byte> all(total);
    MPI_Gatherv(mine.data(), n, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, root,
                MPI_COMM_WORLD);
    if (rank_ == root) {
      out.resize(counts.size());
      for (std::size_t r = 0; r < counts.size(); ++r)
        out[r].assign(all.begin() + displs[r], all.begin() + displs[r] + counts[r]);
    }
    return out;
  }
#endif
  out.emplace_back(mine.begin(), mine.end());
  return out;
}

void Comm::barrier() const {
#ifdef PHYSCNN_HAVE_MPI
  if (mpi_ && size_ > 1) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

int Comm::ranks_on_node() const {
#ifdef PHYSCNN_HAVE_MPI
  if (mpi_ && size_ > 1) {
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
    int n = 1;
    MPI_Comm_size(node, &n);
    MPI_Comm_free(&node);
    return n;
  }
#endif
  return 1;
}

void Comm::abort(int exit_code) const {
  std::fflush(stdout);
  std::fflush(stderr);
#ifdef PHYSCNN_HAVE_MPI
  if (mpi_ && size_ > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
#endif
  std::_Exit(exit_code);
}

}  // namespace physcnn::dist
