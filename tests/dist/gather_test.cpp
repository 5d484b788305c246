// Comm::gather outside mpirun: the one rank's bytes come back; a bad root is a usage error.
#include <gtest/gtest.h>

#include <vector>

#include "core/error.hpp"
#include "dist/comm.hpp"

namespace physcnn::dist {
namespace {

TEST(Comm, GatherOnOneRankReturnsItsBytes) {
  if (launched_under_mpi()) GTEST_SKIP() << "this test is for a plain process";
  const std::vector<std::byte> mine{std::byte{1}, std::byte{2}, std::byte{3}};
  const auto all = Comm::world().gather(mine);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], mine);
  EXPECT_TRUE(Comm::world().gather({}).at(0).empty());
  EXPECT_THROW(Comm::world().gather(mine, 1), UsageError);
}

}  // namespace
}  // namespace physcnn::dist
