// The communicator outside mpirun: one rank, collectives that leave data alone, exact blocks.
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "core/error.hpp"
#include "dist/comm.hpp"

namespace physcnn::dist {
namespace {

TEST(Comm, WithoutMpirunIsOneRankAndCollectivesKeepTheData) {
  if (launched_under_mpi()) GTEST_SKIP() << "this test is for a plain process";
  const Comm& world = Comm::world();
  EXPECT_EQ(world.rank(), 0);
  EXPECT_EQ(world.size(), 1);
  EXPECT_FALSE(world.distributed());
  std::vector<float> f{1.5f, -2.0f};
  std::vector<double> d{3.25};
  world.allreduce_sum(f);
  world.allreduce_sum(d);
  auto req = world.iallreduce_sum(std::span<float>(f));
  req.wait();
  EXPECT_EQ(f, (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(d, (std::vector<double>{3.25}));
  const std::vector<std::byte> mine{std::byte{7}, std::byte{9}};
  const auto all = world.allgather(mine);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], mine);
}

TEST(Comm, BlocksCoverTheRangeWithSizesDifferingByAtMostOne) {
  for (int size : {1, 2, 3, 7}) {
    for (std::int64_t n : {0, 1, 5, 49, 100}) {
      std::int64_t next = 0;
      for (int r = 0; r < size; ++r) {
        const Block b = block_of(n, r, size);
        EXPECT_EQ(b.begin, next) << "n " << n << " rank " << r << " of " << size;
        const std::int64_t len = b.end - b.begin;
        EXPECT_TRUE(len == n / size || len == n / size + 1);
        next = b.end;
      }
      EXPECT_EQ(next, n);
    }
  }
  EXPECT_EQ(block_of(5, 0, 2).end, 3);  // lower ranks take the larger blocks
  EXPECT_THROW(block_of(5, 2, 2), UsageError);
}

}  // namespace
}  // namespace physcnn::dist
