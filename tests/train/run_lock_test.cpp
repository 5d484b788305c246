// The run folder's crash safety: one writer at a time (RunLock), the RUNNING marker of a killed
// run recognised, temporaries of dead processes removed when the folder is opened again.
#include "train/run_lock.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/scratch_dir.hpp"
#include "support/throws.hpp"
#include "train/run_dir.hpp"

namespace physcnn::train {
namespace {

namespace fs = std::filesystem;

const std::string kPid = std::to_string(::getpid());

TEST(RunLock, SecondWriterIsRefusedNamingFolderAndPid) {
  test::ScratchDir dir;
  {
    RunLock first(dir.path().string());
    // flock locks belong to an open file, so a second one in this process conflicts too.
    test::expect_error<UsageError>([&] { RunLock second(dir.path().string()); },
                                   {"run folder " + dir.path().string() + " is in use",
                                    "process " + kPid + " is training into it", "--out"});
    test::expect_error<UsageError>([&] { RunDir run(dir.path().string()); }, {"is in use"});
  }
  EXPECT_NO_THROW(RunLock again(dir.path().string()));  // released with its owner
  test::expect_error<IoError>([&] { RunLock none(dir.file("missing")); },
                              {"cannot open run folder", "missing"});
}

TEST(RunLock, RunDirHoldsTheLockUntilItEnds) {
  test::ScratchDir dir;
  const std::string run = dir.file("run");
  {
    RunDir open(run);
    EXPECT_TRUE(fs::exists(fs::path(run) / "RUNNING"));
    test::expect_error<UsageError>([&] { RunLock other(run); }, {"is in use"});
  }
  EXPECT_FALSE(fs::exists(fs::path(run) / "RUNNING"));
  EXPECT_NO_THROW(RunLock other(run));
}

pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}

TEST(RunLock, KilledRunIsRecognisedAndItsTemporariesRemoved) {
  test::ScratchDir dir;
  const fs::path run = dir.path() / "run";
  fs::create_directories(run / "checkpoints");
  const std::string dead = std::to_string(dead_pid());
  // What `kill -9` in the middle of a checkpoint write leaves.
  std::ofstream(run / "RUNNING") << "training in progress: process " << dead
                                 << " (this file is removed at the end)\n";
  std::ofstream(run / "checkpoints" / ("last.safetensors.tmp." + dead)) << "half";
  std::ofstream(run / ("metrics.csv.tmp." + dead)) << "half";
  std::ofstream(run / ("metrics.json.tmp." + kPid)) << "a living writer's";
  {
    RunDir open(run.string());
    EXPECT_EQ(open.killed_run(), std::stol(dead));
    EXPECT_EQ(open.removed_temporaries().size(), 2u);
    EXPECT_FALSE(fs::exists(run / "checkpoints" / ("last.safetensors.tmp." + dead)));
    EXPECT_FALSE(fs::exists(run / ("metrics.csv.tmp." + dead)));
    EXPECT_TRUE(fs::exists(run / ("metrics.json.tmp." + kPid)));
    std::ifstream marker(run / "RUNNING");
    std::string line;
    std::getline(marker, line);
    EXPECT_NE(line.find("process " + kPid), std::string::npos) << line;
  }
  RunDir clean(run.string());
  EXPECT_EQ(clean.killed_run(), 0);  // the previous run ended properly
}

TEST(RunLock, FolderHoldingARunIsRefusedUnlessAllowed) {
  test::ScratchDir dir;
  fs::create_directories(dir.path() / "checkpoints");
  std::ofstream(dir.file("metrics.csv")) << "epoch\n";
  test::expect_error<UsageError>([&] { RunDir run(dir.path().string(), false); },
                                 {"already holds a run", "--resume", "--force"});
  EXPECT_FALSE(fs::exists(dir.file("RUNNING")));
  EXPECT_NO_THROW(RunDir run(dir.path().string(), true));
}

}  // namespace
}  // namespace physcnn::train
