// Every entry of the convolution implementation list (kernels/conv_dispatch.cpp) x every row of
// the shared case table (conv_cases.hpp kernel rows), every pass against the reference; entries
// whose instruction set this CPU lacks and rows an entry does not handle are skipped by name.
// Then the list itself: its order, the reference last, and what the W1-W5 layers pick.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "core/error.hpp"
#include "kernels/backend.hpp"
#include "kernels/conv/conv_cases.hpp"
#include "kernels/conv/conv_check.hpp"
#include "kernels/conv/conv_workload_layers.hpp"
#include "kernels/conv_dispatch.hpp"

using namespace physcnn;
namespace k = physcnn::kernels;

namespace {

// The oracle of the row last asked for: the parameters run row by row, entries innermost.
const test::ConvOracle& oracle_of(size_t row) {
  static size_t cached_row = SIZE_MAX;
  static std::unique_ptr<test::ConvOracle> cached;
  if (row != cached_row) {
    cached = std::make_unique<test::ConvOracle>(test::conv_kernel_cases()[row].desc);
    cached_row = row;
  }
  return *cached;
}

class EntryTimesRow : public ::testing::TestWithParam<std::tuple<size_t, size_t>> {};

TEST_P(EntryTimesRow, EveryPassMatchesReference) {
  const auto [row, entry] = GetParam();
  const k::ConvImpl& impl = k::conv2d_implementations()[entry];
  const test::ConvKernelCase& c = test::conv_kernel_cases()[row];
  if (k::cpu_isa() < impl.isa)
    GTEST_SKIP() << impl.name << ": needs " << k::isa_name(impl.isa) << ", this CPU has "
                 << k::isa_name(k::cpu_isa());
  std::vector<k::ConvPass> passes;
  for (k::ConvPass p :
       {k::ConvPass::Forward, k::ConvPass::BackwardData, k::ConvPass::BackwardWeight})
    if (impl.handles(c.desc, p)) passes.push_back(p);
  if (passes.empty())
    GTEST_SKIP() << impl.name << " does not implement row " << c.name << " (" << c.desc.str()
                 << ")";
  const std::string name(impl.name);
  oracle_of(row).check(test::entry_runner(impl), name, passes,
                       name.find("winograd") != std::string::npos);
}

std::string param_name(const ::testing::TestParamInfo<std::tuple<size_t, size_t>>& info) {
  std::string s = test::conv_kernel_cases()[std::get<0>(info.param)].name + "_" +
                  std::string(k::conv2d_implementations()[std::get<1>(info.param)].name);
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    ConvImpl, EntryTimesRow,
    ::testing::Combine(::testing::Range<size_t>(0, test::conv_kernel_cases().size()),
                       ::testing::Range<size_t>(0, k::conv2d_implementations().size())),
    param_name);

// The dispatchers as they run, over the same rows: whatever they choose matches the reference.
TEST(ConvImpl, DispatchMatchesReferenceOnEveryRow) {
  k::BackendGuard fast(k::Backend::Fast);
  for (size_t row = 0; row < test::conv_kernel_cases().size(); ++row)
    oracle_of(row).check(test::dispatch_runner(), "dispatch");
}

TEST(ConvImpl, ListOrderAndLookup) {
  const auto list = k::conv2d_implementations();
  std::vector<std::string> names;
  for (const k::ConvImpl& impl : list) names.emplace_back(impl.name);
  EXPECT_EQ(names, (std::vector<std::string>{"direct_avx512", "winograd_avx2", "direct_avx2",
                                             "gemm", "onednn_winograd", "onednn", "reference"}));
  EXPECT_EQ(&k::conv2d_implementation("gemm"), &list[3]);
  try {
    k::conv2d_implementation("mkl");
    ADD_FAILURE() << "an unknown name was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("known: direct_avx512, winograd_avx2"), std::string::npos)
        << e.what();
  }
}

TEST(ConvImpl, RunRejectsWhatAnEntryDoesNotHandle) {
  std::vector<float> buf(4096);
  k::Conv2dDesc strided{
      .N = 1, .IC = 2, .IH = 9, .IW = 9, .OC = 2, .KH = 3, .KW = 3, .SH = 2, .SW = 2};
  k::conv2d_validate(strided);
  const k::ConvBuffers b{.x = buf.data(), .w = buf.data(), .y = buf.data()};
  try {
    k::conv2d_implementation("direct_avx2").run(strided, k::ConvPass::Forward, b);
    ADD_FAILURE() << "a strided geometry was accepted";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_TRUE(what.find("direct_avx2") != std::string::npos &&
                (what.find("does not implement") != std::string::npos ||
                 what.find("needs AVX2") != std::string::npos))
        << what;
  }
  k::Conv2dDesc square3{.N = 1, .IC = 8, .IH = 9, .IW = 9, .OC = 8, .KH = 3, .KW = 3};
  k::conv2d_validate(square3);
  EXPECT_FALSE(
      k::conv2d_implementation("winograd_avx2").handles(square3, k::ConvPass::BackwardWeight));
  k::Conv2dDesc wide = square3;
  wide.KH = wide.KW = 7;
  k::conv2d_validate(wide);
  for (const char* name : {"direct_avx512", "direct_avx2", "winograd_avx2"})
    for (k::ConvPass p : {k::ConvPass::Forward, k::ConvPass::BackwardWeight})
      EXPECT_FALSE(k::conv2d_implementation(name).handles(wide, p)) << name;
}

// Sets the ISA limit for a scope.
struct IsaLimit {
  explicit IsaLimit(k::Isa isa) { k::conv2d_limit_isa(isa); }
  ~IsaLimit() { k::conv2d_limit_isa(k::Isa::Avx512); }
};
// Sets the kernel switches for a scope.
struct PathsGuard {
  explicit PathsGuard(k::FastPaths p) { k::set_fast_paths(p); }
  ~PathsGuard() { k::set_fast_paths(saved); }
  k::FastPaths saved = k::fast_paths();
};

// What each W1-W5 layer picks per pass: "fwd/bwd-data/bwd-weight".
std::map<std::string, std::string> picks(int64_t batch) {
  std::map<std::string, std::string> m;
  for (const auto& l : test::workload_conv_layers(batch)) {
    std::string s;
    for (k::ConvPass p :
         {k::ConvPass::Forward, k::ConvPass::BackwardData, k::ConvPass::BackwardWeight})
      s += (s.empty() ? "" : "/") + std::string(k::conv2d_chosen(l.desc, p).name);
    m[l.name] = s;
  }
  return m;
}

}  // namespace

TEST(ConvImpl, WorkloadLayersPickTheMeasuredEntries) {
  k::BackendGuard fast(k::Backend::Fast);
  PathsGuard defaults(k::FastPaths{});
  const std::map<std::string, std::string> avx512 = {
      {"W1 N32 1->6 @28 k5 p2", "direct_avx512/direct_avx512/direct_avx512"},
      {"W1 N32 6->16 @14 k5 p0", "onednn/onednn/onednn"},
      {"W2 N32 1->32 @28 k3 p1", "direct_avx512/gemm/direct_avx512"},
      {"W2 N32 32->64 @14 k3 p1", "onednn_winograd/onednn_winograd/onednn_winograd"},
      {"W3 N32 1->16 @34 k3 p0", "direct_avx512/gemm/direct_avx512"},
      {"W3 N32 16->32 @18 k3 p0", "onednn/onednn/onednn"},
      {"W3 N128 16->32 @18 k3 p0", "onednn/onednn/onednn_winograd"},
      {"W4 N8 1->16 @64 k3 p1", "direct_avx512/gemm/direct_avx512"},
      {"W4 N8 16->16 @64 k3 p1", "onednn/onednn/onednn_winograd"},
      {"W4 N8 16->32 @32 k3 p1", "onednn/onednn/onednn"},
      {"W4 N8 32->32 @32 k3 p1", "onednn_winograd/onednn_winograd/onednn_winograd"},
      {"W4 N8 32->64 @16 k3 p1", "onednn_winograd/onednn_winograd/onednn_winograd"},
      {"W4 N8 64->64 @16 k3 p1", "onednn_winograd/onednn_winograd/onednn_winograd"},
      {"W5 N32 3->10 @64 k3 p0", "direct_avx512/direct_avx512/direct_avx512"},
      {"W5 N32 10->10 @62 k3 p0", "direct_avx512/direct_avx512/direct_avx512"},
      {"W5 N32 10->10 @30 k3 p0", "direct_avx512/direct_avx512/direct_avx512"},
      {"W5 N32 10->10 @28 k3 p0", "direct_avx512/direct_avx512/direct_avx512"},
  };
  const std::map<std::string, std::string> avx2 = {
      {"W1 N32 1->6 @28 k5 p2", "direct_avx2/gemm/direct_avx2"},
      {"W1 N32 6->16 @14 k5 p0", "onednn/onednn/onednn"},
      {"W2 N32 1->32 @28 k3 p1", "gemm/gemm/direct_avx2"},
      {"W2 N32 32->64 @14 k3 p1", "onednn_winograd/onednn_winograd/onednn_winograd"},
      {"W3 N32 1->16 @34 k3 p0", "direct_avx2/gemm/direct_avx2"},
      {"W3 N32 16->32 @18 k3 p0", "onednn/onednn/onednn"},
      {"W3 N128 16->32 @18 k3 p0", "onednn/onednn/onednn_winograd"},
      {"W4 N8 1->16 @64 k3 p1", "direct_avx2/gemm/direct_avx2"},
      {"W4 N8 16->16 @64 k3 p1", "winograd_avx2/winograd_avx2/direct_avx2"},
      {"W4 N8 16->32 @32 k3 p1", "winograd_avx2/winograd_avx2/onednn"},
      {"W4 N8 32->32 @32 k3 p1", "winograd_avx2/winograd_avx2/onednn_winograd"},
      {"W4 N8 32->64 @16 k3 p1", "onednn_winograd/onednn_winograd/onednn_winograd"},
      {"W4 N8 64->64 @16 k3 p1", "onednn_winograd/onednn_winograd/onednn_winograd"},
      {"W5 N32 3->10 @64 k3 p0", "direct_avx2/winograd_avx2/direct_avx2"},
      {"W5 N32 10->10 @62 k3 p0", "winograd_avx2/winograd_avx2/direct_avx2"},
      {"W5 N32 10->10 @30 k3 p0", "winograd_avx2/winograd_avx2/direct_avx2"},
      {"W5 N32 10->10 @28 k3 p0", "winograd_avx2/winograd_avx2/direct_avx2"},
  };
  const std::map<std::string, std::string> none = {
      {"W1 N32 1->6 @28 k5 p2", "gemm/gemm/onednn"},
      {"W1 N32 6->16 @14 k5 p0", "onednn/onednn/onednn"},
      {"W2 N32 1->32 @28 k3 p1", "gemm/gemm/onednn"},
      {"W2 N32 32->64 @14 k3 p1", "onednn_winograd/onednn_winograd/onednn_winograd"},
      {"W3 N32 1->16 @34 k3 p0", "gemm/gemm/onednn"},
      {"W3 N32 16->32 @18 k3 p0", "onednn/onednn/onednn"},
      {"W3 N128 16->32 @18 k3 p0", "onednn/onednn/onednn_winograd"},
      {"W4 N8 1->16 @64 k3 p1", "gemm/gemm/onednn"},
      {"W4 N8 16->16 @64 k3 p1", "onednn/onednn/onednn_winograd"},
      {"W4 N8 16->32 @32 k3 p1", "onednn/onednn/onednn"},
      {"W4 N8 32->32 @32 k3 p1", "onednn_winograd/onednn_winograd/onednn_winograd"},
      {"W4 N8 32->64 @16 k3 p1", "onednn_winograd/onednn_winograd/onednn_winograd"},
      {"W4 N8 64->64 @16 k3 p1", "onednn_winograd/onednn_winograd/onednn_winograd"},
      {"W5 N32 3->10 @64 k3 p0", "gemm/gemm/onednn"},
      {"W5 N32 10->10 @62 k3 p0", "onednn/gemm/gemm"},
      {"W5 N32 10->10 @30 k3 p0", "onednn/gemm/gemm"},
      {"W5 N32 10->10 @28 k3 p0", "onednn/gemm/gemm"},
  };
  for (const auto& [isa, expected] :
       {std::pair{k::Isa::Avx512, avx512}, std::pair{k::Isa::Avx2, avx2},
        std::pair{k::Isa::None, none}}) {
    if (k::cpu_isa() < isa) continue;  // dispatch rules of a CPU this one cannot imitate
    IsaLimit limit(isa);
    SCOPED_TRACE(k::isa_name(isa));
    const auto got = picks(0);
    for (const auto& [layer, want] : expected) {
      if (got.count(layer) == 0) continue;
      EXPECT_EQ(got.at(layer), want) << layer;
    }
  }
}

TEST(ConvImpl, SwitchesAndBackendTurnEntriesOff) {
  k::Conv2dDesc w5{.N = 32, .IC = 10, .IH = 62, .IW = 62, .OC = 10, .KH = 3, .KW = 3};
  k::conv2d_validate(w5);
  k::Conv2dDesc w4{
      .N = 8, .IC = 64, .IH = 16, .IW = 16, .OC = 64, .KH = 3, .KW = 3, .PH = {1, 1}, .PW = {1, 1}};
  k::conv2d_validate(w4);
  const auto chosen = [](const k::Conv2dDesc& d, k::ConvPass p) {
    return std::string(k::conv2d_chosen(d, p).name);
  };
  {
    PathsGuard off(k::FastPaths{.conv_gemm = false, .conv_direct = false});
    EXPECT_EQ(chosen(w5, k::ConvPass::BackwardWeight), "onednn");
  }
  {
    PathsGuard off(k::FastPaths{.winograd = false});
    EXPECT_EQ(chosen(w4, k::ConvPass::Forward), "onednn");
  }
  {
    PathsGuard plain(k::FastPaths{.conv_plain = true});
    EXPECT_EQ(chosen(w4, k::ConvPass::Forward), "onednn");
  }
  {
    k::BackendGuard reference(k::Backend::Reference);
    for (k::ConvPass p :
         {k::ConvPass::Forward, k::ConvPass::BackwardData, k::ConvPass::BackwardWeight}) {
      EXPECT_EQ(chosen(w5, p), "reference");
      EXPECT_EQ(chosen(w4, p), "reference");
    }
  }
  k::Conv2dDesc negative = w5;  // the helper geometry of a transposed conv with output padding
  negative.PH = {1, -1};
  k::conv2d_validate(negative);
  EXPECT_EQ(chosen(negative, k::ConvPass::Forward), "reference");
}
