// The run-file readers of `physcnn report` on hostile input (found by fuzz/report_json.cpp and
// by hand): memory stays proportional to the file, errors name the file.
#include "report/run_data.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/scratch_dir.hpp"
#include "support/throws.hpp"

using namespace physcnn;

namespace {

std::string write(const test::ScratchDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// n epochs, each with a key of its own: a column per key of n values would be n^2 doubles.
std::string one_new_key_per_epoch(int n) {
  std::string s = R"({"epochs": [)";
  for (int e = 0; e < n; ++e)
    s += (e ? "," : "") + std::string(R"({"k)") + std::to_string(e) + R"(": 1})";
  return s + "]}";
}

}  // namespace

TEST(RunData, MetricsWithAKeyPerEpochAreRefusedNotQuadratic) {
  test::ScratchDir dir;
  // 1,024 distinct keys are allowed (a run logs a dozen); one more is refused.
  const auto ok = report::read_run_metrics(write(dir, "ok.json", one_new_key_per_epoch(1024)));
  EXPECT_EQ(ok.columns.size(), 1024u);
  EXPECT_EQ(ok.epoch.size(), 1024u);
  // 50,000 epochs of about 12 bytes each: 0.6 MB of JSON that would have needed 20 GB.
  const std::string path = write(dir, "metrics.json", one_new_key_per_epoch(50000));
  test::expect_error<IoError>([&] { report::read_run_metrics(path); },
                              {path, "epochs[1024]", "'k1024'", "1024 distinct keys"});
}

TEST(RunData, RepeatedKeysStayWithinTheLimit) {
  test::ScratchDir dir;
  std::string s = R"({"epochs": [)";
  for (int e = 0; e < 5000; ++e)
    s += (e ? "," : "") + std::string(R"({"train_loss": 0.5, "val_loss": null, "lr": 0.1})");
  const auto m = report::read_run_metrics(write(dir, "metrics.json", s + "]}"));
  ASSERT_NE(m.column("train_loss"), nullptr);
  EXPECT_EQ(m.column("train_loss")->size(), 5000u);
  EXPECT_EQ(m.columns.size(), 3u);
}
