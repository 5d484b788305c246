// core::switch_disabled, the one reader of PHYSCNN_FAST_DISABLE: known names answer, unknown
// ones are an error that lists the known names (the variable itself: tests/cli bench).
#include "core/switches.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/error.hpp"

namespace physcnn {
namespace {

TEST(Switches, KnownNamesAnswerFromTheEnvironment) {
  const char* env = std::getenv("PHYSCNN_FAST_DISABLE");
  const std::string listed = env ? env : "";
  for (const char* name : {"conv_gemm", "conv_direct", "winograd", "avx2", "avx512", "fusion",
                           "microbatch", "chunk_threads", "grad_overlap"})
    EXPECT_EQ(switch_disabled(name), listed.find(name) != std::string::npos) << name;
}

TEST(Switches, UnknownNameListsTheKnownOnes) {
  try {
    switch_disabled("conv_fast");
    ADD_FAILURE() << "an unknown switch was accepted";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'conv_fast'"), std::string::npos) << what;
    EXPECT_NE(
        what.find("known: conv_gemm, conv_direct, winograd, avx2, avx512, fusion, microbatch, "
                  "chunk_threads"),
        std::string::npos)
        << what;
  }
}

}  // namespace
}  // namespace physcnn
