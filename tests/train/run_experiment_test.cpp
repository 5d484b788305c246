// run_experiment, the C++ API behind `physcnn train`: the run folder it writes, the refusal to
// overwrite a run, and a resume that continues the history exactly.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "data/formats/npz.hpp"
#include "nn/models/models.hpp"
#include "support/throws.hpp"
#include "train/checkpoint.hpp"
#include "train/run_experiment.hpp"

namespace physcnn::train {
namespace {

namespace fs = std::filesystem;

// 8x8 lattices: ordered (all +1, a few flipped) labelled 1, random spins labelled 0.
void write_lattices(const std::string& path, int64_t n) {
  Rng rng(2);
  std::vector<float> spins;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    const bool ordered = i % 2 == 1;
    for (int k = 0; k < 64; ++k)
      spins.push_back(ordered ? (rng.uniform() < 0.1 ? -1.f : 1.f)
                              : (rng.uniform() < 0.5 ? -1.f : 1.f));
    labels.push_back(ordered);
  }
  data::write_npz(path, {{"spins", data::Array::from_vector(spins, Shape{n, 8, 8})},
                         {"label", data::Array::from_vector(labels, Shape{n})}});
}

struct Folder {
  fs::path dir = fs::temp_directory_path() / ("physcnn_run_experiment_" + std::to_string(getpid()));
  Folder() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    write_lattices((dir / "d.npz").string(), 96);
  }
  ~Folder() { fs::remove_all(dir); }
  Experiment experiment(int epochs, const std::string& extra = "") const {
    const std::string text = "model = \"ising_cnn\"\nepochs = " + std::to_string(epochs) +
                             "\nbatch_size = 16\nseed = 1\nout = \"" + (dir / "run").string() +
                             "\"\n[data]\nformat = "
                             "\"npz\"\ntrain = \"d.npz\"\nx = \"spins\"\ny = \"label\"\n" +
                             extra;
    return parse_experiment(text, (dir / "exp.toml").string(), dir.string());
  }
  RunOptions options(const std::string& resume = "") const {
    RunOptions o;
    o.model = nn::models::ising_cnn(1);
    o.model_input = Shape{1, 8, 8};
    o.resume = resume;
    o.quiet = true;
    return o;
  }
};

TEST(RunExperiment, WritesTheRunFolderAndResumesExactly) {
  Folder r;
  int epochs_seen = 0;
  RunOptions o = r.options();
  o.on_epoch = [&](const std::string&) { ++epochs_seen; };
  const ExperimentResult first = run_experiment(r.experiment(2), o);
  EXPECT_EQ(epochs_seen, 2);
  ASSERT_EQ(first.history.size(), 2u);
  ASSERT_TRUE(first.test.has_value());
  EXPECT_GT(first.test->samples, 0);
  for (const char* f :
       {"experiment.toml", "model.toml", "summary.txt", "metrics.csv", "metrics.json",
        "model.safetensors", "eval.json", "samples.npz", "checkpoints/last.safetensors"})
    EXPECT_TRUE(fs::is_regular_file(fs::path(first.run_dir) / f)) << f;
  EXPECT_FALSE(fs::exists(fs::path(first.run_dir) / "RUNNING"));

  test::expect_error<UsageError>([&] { run_experiment(r.experiment(2), r.options()); },
                                 {"already holds a run", "--resume"});

  // Two more epochs from the checkpoint: the first two records are the first run's.
  const ExperimentResult resumed =
      run_experiment(r.experiment(4), r.options(find_checkpoint(first.run_dir)));
  ASSERT_EQ(resumed.history.size(), 4u);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_EQ(resumed.history[i].values, first.history[i].values) << "epoch " << i + 1;
  EXPECT_EQ(resumed.epochs_done, 4);
}

TEST(RunExperiment, AStopRequestIsAnInterruption) {
  Folder r;
  RunOptions o = r.options();
  o.should_stop = [] { return true; };
  // A request while the data loads stops before the run folder exists.
  test::expect_error<Interrupted>([&] { run_experiment(r.experiment(2), o); },
                                  {"before training started"});
  EXPECT_FALSE(fs::exists(r.dir / "run"));
  int polls = 0;
  o.should_stop = [&] { return ++polls > 1; };
  test::expect_error<Interrupted>([&] { run_experiment(r.experiment(2), o); },
                                  {"interrupted at epoch 1, step 1"});
}

// Issue 18, item 4: a crop padding past the samples is refused before anything is written (4e8
// padded each 8x8 lattice to 8e8 x 8e8).
TEST(RunExperiment, CropLargerThanTheSamplesIsRefused) {
  Folder r;
  test::expect_error<UsageError>(
      [&] { run_experiment(r.experiment(1, "[transforms]\ncrop = 400000000\n"), r.options()); },
      {"exp.toml: [transforms] crop = 400000000 pads each side by more than", "[1,8,8]",
       "at most 8"});
  EXPECT_FALSE(fs::exists(r.dir / "run"));
}

}  // namespace
}  // namespace physcnn::train
