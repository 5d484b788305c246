// Experiment files: fields, overrides, and the errors of bad files (file, line, nearest name).
#include <gtest/gtest.h>

#include "data/dataset.hpp"
#include "io/model_file.hpp"
#include "support/throws.hpp"
#include "train/experiment.hpp"

namespace physcnn::train {
namespace {

const char* kGood = R"(name = "demo"
model = "lenet5"
seed = 4
epochs = 3
batch_size = 32
loss = "cross_entropy"

[data]
format = "npz"
train = "d.npz"
x = "spins"
y = "label"
validation = 0.2

[transforms]
d4 = true
sign_flip = 0.5

[optimizer]
name = "adam"
lr = 0.002
betas = [0.8, 0.99]

[schedule]
name = "plateau"
patience = 2

[early_stopping]
patience = 3
monitor = "val_accuracy"
)";

TEST(Experiment, ReadsEveryFieldAndResolvesPaths) {
  const Experiment e = parse_experiment(kGood, "exp.toml", "/data/exp");
  EXPECT_EQ(e.name, "demo");
  EXPECT_EQ(e.model, "lenet5");
  EXPECT_FALSE(e.model_is_file);
  EXPECT_EQ(e.seed, 4u);
  EXPECT_EQ(e.epochs, 3);
  EXPECT_EQ(e.batch_size, 32);
  EXPECT_EQ(e.data.train, "/data/exp/d.npz");
  EXPECT_EQ(e.data.x, "spins");
  EXPECT_DOUBLE_EQ(e.data.validation, 0.2);
  EXPECT_TRUE(e.transforms.d4);
  EXPECT_DOUBLE_EQ(e.optimizer.lr, 0.002);
  EXPECT_DOUBLE_EQ(e.optimizer.betas[0], 0.8);
  EXPECT_EQ(e.schedule.name, "plateau");
  EXPECT_EQ(e.schedule.patience, 2);
  EXPECT_TRUE(e.early_stopping.enabled);
  EXPECT_EQ(e.early_stopping.monitor, "val_accuracy");
  EXPECT_EQ(e.out, "runs/demo");
  // The resolved file is itself a valid experiment with the absolute path.
  EXPECT_NE(e.resolved_toml.find("/data/exp/d.npz"), std::string::npos);
  const Experiment again = parse_experiment(e.resolved_toml, "resolved.toml", "/elsewhere");
  EXPECT_EQ(again.data.train, "/data/exp/d.npz");
  EXPECT_DOUBLE_EQ(again.optimizer.lr, 0.002);
}

TEST(Experiment, OverridesSetAnyField) {
  const Experiment e = parse_experiment(
      kGood, "exp.toml", "/d",
      {parse_override("optimizer.lr=0.01"), parse_override("epochs=7"),
       parse_override("model=models/w2.toml"), parse_override("transforms.noise=0.1")});
  EXPECT_DOUBLE_EQ(e.optimizer.lr, 0.01);
  EXPECT_EQ(e.epochs, 7);
  EXPECT_TRUE(e.model_is_file);
  EXPECT_EQ(e.model, "/d/models/w2.toml");
  EXPECT_DOUBLE_EQ(e.transforms.noise, 0.1);
  test::expect_error<UsageError>([] { parse_override("epochs"); }, {"key=value"});
  test::expect_error<UsageError>(
      [] { parse_experiment(kGood, "exp.toml", "/d", {parse_override("optimizer.lrr=1")}); },
      {"lrr", "did you mean 'lr'"});
}

TEST(Experiment, UnknownKeysNameFileLineAndNearestName) {
  const std::string top = "optimiser = 3\n" + std::string(kGood);
  test::expect_error<UsageError>([&] { parse_experiment(top, "exp.toml", "/d"); },
                                 {"exp.toml:1:", "optimiser", "did you mean 'optimizer'"});
  std::string in_section = kGood;
  in_section.replace(in_section.find("validation = 0.2"), 16, "validaton = 0.2");
  test::expect_error<UsageError>([&] { parse_experiment(in_section, "exp.toml", "/d"); },
                                 {"exp.toml:13", "validaton", "did you mean 'validation'"});
  // A key of another optimizer is unknown for this one.
  std::string momentum = kGood;
  momentum.replace(momentum.find("betas = [0.8, 0.99]"), 19, "momentum = 0.9");
  test::expect_error<UsageError>([&] { parse_experiment(momentum, "exp.toml", "/d"); },
                                 {"exp.toml:22", "momentum", "adam"});
  std::string format = kGood;
  format.replace(format.find("\"npz\""), 5, "\"npzz\"");
  test::expect_error<UsageError>([&] { parse_experiment(format, "exp.toml", "/d"); },
                                 {"exp.toml:9", "npzz", "did you mean 'npz'"});
}

TEST(Experiment, BadTypesAndValues) {
  std::string epochs = kGood;
  epochs.replace(epochs.find("epochs = 3"), 10, "epochs = \"ten\"");
  test::expect_error<UsageError>([&] { parse_experiment(epochs, "exp.toml", "/d"); },
                                 {"exp.toml:4", "epochs", "string"});
  std::string lr = kGood;
  lr.replace(lr.find("lr = 0.002"), 10, "lr = -1.0");
  test::expect_error<UsageError>([&] { parse_experiment(lr, "exp.toml", "/d"); },
                                 {"lr must be positive"});
  test::expect_error<UsageError>([] { parse_experiment("epochs = 2\n", "e.toml", "/d"); },
                                 {"model"});
  test::expect_error<UsageError>(
      [] { parse_experiment("model = \"lenet5\"\nloss = \"hinge\"\n", "e.toml", "/d"); },
      {"hinge", "cross_entropy"});
  test::expect_error<UsageError>([] { parse_experiment("model = \"x\"\n[data\n", "e.toml", "/d"); },
                                 {"e.toml:2"});
}

// Issue 18, items 8 and 9: a name that would put the run folder elsewhere, and numbers that
// are not numbers, are refused with the field named.
TEST(Experiment, NamesThatEscapeAndNonFiniteNumbersAreRefused) {
  for (const char* name : {"../../../escaped", "a/b", "..", "bad\\u001bname"}) {
    const std::string text = std::string("model = \"lenet5\"\nname = \"") + name + "\"\n";
    test::expect_error<UsageError>([&] { parse_experiment(text, "e.toml", "/d"); },
                                   {"e.toml", "plain file name", "runs/<name>"});
  }
  EXPECT_EQ(parse_experiment(kGood, "e.toml", "/d", {{"name", "ok-run_1"}}).name, "ok-run_1");
  for (const char* v : {"nan", "-1.0", "inf"})
    test::expect_error<UsageError>(
        [&] {
          parse_experiment(std::string("model = \"lenet5\"\nclip_grad_norm = ") + v + "\n",
                           "e.toml", "/d");
        },
        {"e.toml", "clip_grad_norm", "must be a finite number"});
  // Issue 18, item 9: nan and inf are no setting's value (a NaN rotate or noise used to switch
  // the transform off without a word).
  const std::string data = "model = \"lenet5\"\n[data]\nformat = \"npz\"\ntrain = \"a.npz\"\n";
  for (const char* key : {"rotate", "noise", "flip", "sign_flip"})
    for (const char* v : {"nan", "inf", "-inf"})
      test::expect_error<UsageError>(
          [&] {
            parse_experiment(data + "[transforms]\n" + key + " = " + v + "\n", "e.toml", "/d");
          },
          {"e.toml:6", "[transforms]", std::string("'") + key + "' must be a finite number"});
  test::expect_error<UsageError>(
      [&] { parse_experiment(data + "[optimizer]\nlr = nan\n", "e.toml", "/d"); },
      {"e.toml:6", "'lr' must be a finite number"});
  test::expect_error<UsageError>(
      [] { parse_experiment("model = \"lenet5\"\ntop_k = -1\n", "e.toml", "/d"); },
      {"top_k must be >= 1, got -1"});
  // Issue 18, item 10: the missing table's error names the file (was "<toml>: [data]: ...").
  test::expect_error<UsageError>([] { parse_experiment("model = \"lenet5\"\n", "e.toml", "/d"); },
                                 {"e.toml: missing the [data] table"});
}

TEST(Experiment, TestFractionOnlyCountsWithoutATestFile) {
  const std::string files =
      "model = \"lenet5\"\n[data]\nformat = \"idx\"\ntrain_x = \"a\"\ntrain_y = \"b\"\n"
      "test_x = \"c\"\ntest_y = \"d\"\nvalidation = 0.95\n";
  EXPECT_DOUBLE_EQ(parse_experiment(files, "e.toml", "/d").data.validation, 0.95);
  const std::string one_file =
      "model = \"lenet5\"\n[data]\nformat = \"npz\"\ntrain = \"a.npz\"\nvalidation = 0.95\n";
  test::expect_error<UsageError>([&] { parse_experiment(one_file, "e.toml", "/d"); },
                                 {"validation (0.95)", "test_fraction", "sum below 1"});
}

TEST(Experiment, MissingFileIsAnIoError) {
  test::expect_error<IoError>([] { load_experiment("/no/such/experiment.toml"); },
                              {"/no/such/experiment.toml"});
}

TEST(Experiment, DevicesAndDirectoriesAreRefusedBeforeReading) {
  // /dev/zero used to be read forever (growing memory); a directory said "does not exist".
  test::expect_error<IoError>([] { load_experiment("/dev/zero"); },
                              {"/dev/zero", "not a regular file"});
  test::expect_error<IoError>([] { load_experiment("/tmp"); }, {"/tmp", "is a directory"});
}

// A 3-class model on (1, 8, 8) inputs and data sets around it.
struct Fit {
  io::ModelFile mf = io::parse_model_file(
      "input = [1, 8, 8]\nlayer = [{ type = \"flatten\" }, { type = \"linear\", out = 3 }]\n",
      "m.toml");
  ExperimentData data(Shape x, std::vector<int64_t> labels) {
    ExperimentData d;
    d.train = std::make_shared<data::TensorDataset>(Tensor::zeros(x), std::move(labels));
    d.sample_shape = d.train->sample_shape();
    return d;
  }
};

TEST(Experiment, DataThatFitsTheModelPasses) {
  Fit f;
  EXPECT_NO_THROW(check_model_fits_data(*f.mf.model, f.mf.input, "m.toml",
                                        f.data(Shape{3, 1, 8, 8}, {0, 1, 2}),
                                        LossKind::CrossEntropy));
}

TEST(Experiment, TopKAtOrBeyondTheClassCountIsDropped) {
  // A top-5 accuracy of a 3-class model counts every sample as correct: no such column.
  Fit f;
  const Shape out =
      check_model_fits_data(*f.mf.model, f.mf.input, "m.toml", f.data(Shape{3, 1, 8, 8}, {0, 1, 2}),
                            LossKind::CrossEntropy);
  ASSERT_EQ(out.rank(), 1);
  EXPECT_EQ(effective_top_k(5, out), 1);
  EXPECT_EQ(effective_top_k(out[0], out), 1);
  EXPECT_EQ(effective_top_k(out[0] - 1, out), out[0] - 1);
  EXPECT_EQ(effective_top_k(5, Shape{10}), 5);
  EXPECT_EQ(effective_top_k(3, Shape{2, 64, 64}), 1);  // per-pixel: classes first
}

TEST(Experiment, LabelsBeyondTheModelsOutputsAreNamedBeforeTraining) {
  // Used to fail inside cross_entropy at the first batch holding the label, after the run
  // folder was written.
  Fit f;
  const ExperimentData d = f.data(Shape{4, 1, 8, 8}, {0, 1, 5, 2});
  test::expect_error<UsageError>(
      [&] { check_model_fits_data(*f.mf.model, f.mf.input, "m.toml", d, LossKind::CrossEntropy); },
      {"training data holds label 5 (its sample 2)", "3 outputs", "[0, 3)"});
  ExperimentData split = f.data(Shape{2, 1, 8, 8}, {0, 1});
  split.test = std::make_shared<data::TensorDataset>(Tensor::zeros(Shape{2, 1, 8, 8}),
                                                     std::vector<int64_t>{0, 3});
  test::expect_error<UsageError>(
      [&] {
        check_model_fits_data(*f.mf.model, f.mf.input, "m.toml", split, LossKind::CrossEntropy);
      },
      {"test data holds label 3 (its sample 1)"});
}

TEST(Experiment, ASampleShapeTheModelCannotTakeNamesBothShapes) {
  Fit f;
  const ExperimentData d = f.data(Shape{2, 1, 6, 6}, {0, 1});
  test::expect_error<ShapeError>(
      [&] { check_model_fits_data(*f.mf.model, f.mf.input, "m.toml", d, LossKind::CrossEntropy); },
      {"samples have shape [1,6,6]", "model m.toml takes inputs [1,8,8]"});
}

TEST(Experiment, LossAndTargetKindMustAgreeBeforeTraining) {
  Fit f;
  ExperimentData floats;
  floats.train = std::make_shared<data::TensorDataset>(Tensor::zeros(Shape{2, 1, 8, 8}),
                                                       Tensor::zeros(Shape{2, 3}));
  floats.sample_shape = floats.train->sample_shape();
  test::expect_error<UsageError>(
      [&] {
        check_model_fits_data(*f.mf.model, f.mf.input, "m.toml", floats, LossKind::CrossEntropy);
      },
      {"loss cross_entropy needs integer class labels", "training data has float targets"});
  test::expect_error<UsageError>(
      [&] {
        check_model_fits_data(*f.mf.model, f.mf.input, "m.toml", f.data(Shape{2, 1, 8, 8}, {0, 1}),
                              LossKind::Mse);
      },
      {"loss mse needs float targets", "integer class labels"});
}

TEST(Experiment, RegressionTargetsMustMatchTheOutputSize) {
  Fit f;
  ExperimentData d;
  d.train = std::make_shared<data::TensorDataset>(Tensor::zeros(Shape{2, 1, 8, 8}),
                                                  Tensor::zeros(Shape{2, 2}));
  d.sample_shape = d.train->sample_shape();
  test::expect_error<ShapeError>(
      [&] { check_model_fits_data(*f.mf.model, f.mf.input, "m.toml", d, LossKind::Mse); },
      {"loss mse", "2 target values per sample", "outputs [3]"});
}

TEST(Experiment, WarmupCosinePerStepTakesTMax) {
  // The error for a per-step warmup_cosine asked for t_max, which was then an unknown key.
  const Experiment e = parse_experiment(
      "model = \"lenet5\"\n[data]\nformat = \"npz\"\ntrain = \"a.npz\"\n"
      "[schedule]\nname = \"warmup_cosine\"\nper = \"step\"\nwarmup = 10\nt_max = 90\n",
      "e.toml", "/d");
  EXPECT_EQ(e.schedule.t_max, 90);
  EXPECT_EQ(e.schedule.warmup, 10);
}

TEST(Experiment, BadOverrideValuesNameTheOverride) {
  // Used to print "<toml>: ..." (the parsed value had no source).
  test::expect_error<UsageError>(
      [] {
        parse_experiment(kGood, "e.toml", "/d", {{"epochs", "abc"}});
      },
      {"--set epochs=abc:", "'epochs' must be an integer", "('abc')"});
  test::expect_error<UsageError>(
      [] {
        parse_experiment(kGood, "e.toml", "/d", {{"data.stratify", "maybe"}});
      },
      {"--set data.stratify=maybe:", "true or false"});
  // Strings with quotes and backslashes arrive unchanged.
  const Experiment e = parse_experiment(kGood, "e.toml", "/d", {{"name", "a\"b\\c"}});
  EXPECT_EQ(e.name, "a\"b\\c");
}

TEST(Experiment, HugeCountsAreRefusedBeforeNarrowing) {
  // epochs = 10^12 used to wrap to -727379968 ("epochs must be >= 1, got -727379968").
  test::expect_error<UsageError>(
      [] {
        parse_experiment(kGood, "e.toml", "/d", {{"epochs", "1000000000000"}});
      },
      {"e.toml", "epochs = 1000000000000 is out of range"});
  test::expect_error<UsageError>(
      [] {
        parse_experiment(kGood, "e.toml", "/d", {{"threads", "100000"}});
      },
      {"threads = 100000 is out of range (at most 1024)"});
  test::expect_error<UsageError>(
      [] {
        parse_experiment(kGood, "e.toml", "/d", {{"data.workers", "4294967297"}});
      },
      {"[data] workers = 4294967297"});
}

}  // namespace
}  // namespace physcnn::train
