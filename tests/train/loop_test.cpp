// The DataLoader trainer: exact resume, atomic checkpoints, the NaN stop, early stopping.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nn/models/models.hpp"
#include "nn/nn.hpp"
#include "optim/optim.hpp"
#include "support/throws.hpp"
#include "train/checkpoint.hpp"
#include "train/loop.hpp"
#include "train/step.hpp"

namespace physcnn::train {
namespace {

namespace fs = std::filesystem;

// A fresh empty folder under the test temp dir.
fs::path temp_dir(const std::string& name) {
  const fs::path p =
      fs::temp_directory_path() / ("physcnn_train_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// n samples 1×8×8: class 1 images are shifted up by `shift`, plus noise.
data::DatasetPtr blobs(int64_t n, uint64_t seed, bool flip_labels = false, double shift = 0.6) {
  Rng rng(seed);
  Tensor x = Tensor::normal(Shape{n, 1, 8, 8}, 0.0, 1.0, rng);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  float* px = x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % 2;
    for (int64_t k = 0; k < 64; ++k) px[i * 64 + k] += float(c ? shift : -shift);
    labels[size_t(i)] = flip_labels ? 1 - c : c;
  }
  return std::make_shared<data::TensorDataset>(x, labels);
}

// Conv-BN-ReLU-pool-linear-dropout-linear: every kind of state a checkpoint must carry.
nn::ModulePtr small_net() {
  auto m = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 1, .out = 4, .kernel = 3, .padding = 1},
                                   Rng(11)),
      std::make_shared<nn::BatchNorm2d>(), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::MaxPool2d>(), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.out = 16}, Rng(12)),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(nn::DropoutOptions{.p = 0.3}),
      std::make_shared<nn::Linear>(nn::LinearOptions{.out = 2}, Rng(13))});
  m->build(Shape{1, 8, 8});
  return m;
}

struct Rig {
  nn::ModulePtr model = small_net();
  optim::Adam adam{model->named_parameters(), {.lr = 3e-3}};
  optim::StepLr schedule{adam, {.step_size = 2, .gamma = 0.5}};
  data::DatasetPtr train_set = blobs(96, 1), val_set = blobs(32, 2);
  data::DataLoader train{
      train_set, {.batch_size = 16, .seed = 5}, data::random_flip({.horizontal = 0.5})};
  data::DataLoader val{val_set, {.batch_size = 32, .shuffle = false}};
  TrainerOptions options_;

  Trainer trainer(int epochs, const fs::path& dir) { return trainer(epochs, dir, options_); }
  Trainer trainer(int epochs, const fs::path& dir, const TrainerOptions& given) {
    TrainerOptions o = given;
    o.epochs = epochs;
    o.seed = 7;
    o.quiet = true;
    o.checkpoint_dir = dir.empty() ? "" : (dir / "checkpoints").string();
    return Trainer(*model, adam, &schedule, o);
  }
};

bool same_state(const nn::StateDict& a, const nn::StateDict& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, t] : a) {
    const auto it = b.find(k);
    if (it == b.end() || it->second.to_vector() != t.to_vector()) return false;
  }
  return true;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Loop, ResumeEqualsAnUninterruptedRunBitForBit) {
  const fs::path da = temp_dir("resume_a"), db = temp_dir("resume_b");
  Rig a;
  Trainer ta = a.trainer(4, da);
  const auto full = ta.fit(a.train, &a.val);
  ASSERT_EQ(full.size(), 4u);

  {
    Rig b;
    Trainer tb = b.trainer(2, db);
    EXPECT_EQ(tb.fit(b.train, &b.val).size(), 2u);
  }
  Rig c;  // a fresh process: new model, optimizer, schedule and loaders
  Trainer tc = c.trainer(4, db);
  tc.resume(find_checkpoint(db.string()));
  EXPECT_EQ(tc.epochs_done(), 2);
  EXPECT_EQ(tc.steps_done(), 12);
  const auto resumed = tc.fit(c.train, &c.val);
  ASSERT_EQ(resumed.size(), 4u);
  for (size_t e = 0; e < 4; ++e) {
    SCOPED_TRACE("epoch " + std::to_string(e + 1));
    EXPECT_EQ(resumed[e].values.at("train_loss"), full[e].values.at("train_loss"));
    EXPECT_EQ(resumed[e].values.at("val_loss"), full[e].values.at("val_loss"));
    EXPECT_EQ(resumed[e].values.at("train_accuracy"), full[e].values.at("train_accuracy"));
    EXPECT_EQ(resumed[e].lr, full[e].lr);
  }
  EXPECT_NE(full[0].lr, full[3].lr);  // the schedule really moved
  EXPECT_TRUE(same_state(c.model->state_dict(), a.model->state_dict()));
  fs::remove_all(da);
  fs::remove_all(db);
}

TEST(Loop, FailedCheckpointWriteKeepsThePreviousOne) {
  const fs::path dir = temp_dir("atomic");
  Rig s;
  Trainer t = s.trainer(2, dir);
  t.fit(s.train, &s.val);
  const fs::path last = dir / "checkpoints" / "last.safetensors";
  const std::string before = file_bytes(last);
  ASSERT_FALSE(before.empty());
  // The writer's temporary file is a link to /dev/full: every write fails as on a full disk.
  const fs::path tmp = last.string() + ".tmp." + std::to_string(::getpid());
  fs::create_symlink("/dev/full", tmp);
  EXPECT_THROW(t.save_checkpoint(last.string()), IoError);
  EXPECT_FALSE(fs::exists(fs::symlink_status(tmp)));  // the temporary is cleaned up
  EXPECT_EQ(file_bytes(last), before);
  Rig r;
  Trainer tr = r.trainer(2, dir);
  tr.resume(last.string());
  EXPECT_EQ(tr.epochs_done(), 2);
  fs::remove_all(dir);
}

TEST(Loop, NonFiniteLossStopsNamingStepAndParameter) {
  const fs::path dir = temp_dir("nan");
  Rig s;
  Trainer t = s.trainer(3, dir);
  // After step 8 (epoch 2 of 6 batches each) a weight becomes NaN: step 9 must stop.
  t.on_step = [&](int64_t step) {
    if (step == 8) s.model->named_parameters().at(0).second.value().data<float>()[0] = NAN;
  };
  test::expect_error<NumericalError>(
      [&] { t.fit(s.train, &s.val); },
      {"epoch 2", "step 9", "0.weight", "last good checkpoint", "(epoch 1)"});
  // The last good checkpoint (epoch 1) is on disk and finite.
  const CheckpointData ck = read_checkpoint((dir / "checkpoints" / "last.safetensors").string());
  for (const auto& [k, v] : ck.model) EXPECT_TRUE(all_finite(v)) << k;
  EXPECT_NE(ck.trainer.find("\"epoch\":1"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Loop, StopRequestIsAnInterruptionThatKeepsTheCheckpoint) {
  const fs::path dir = temp_dir("stop");
  Rig s;
  Trainer t = s.trainer(3, dir);
  t.should_stop = [&] { return t.steps_done() == 9; };
  try {
    t.fit(s.train, &s.val);
    ADD_FAILURE() << "no interruption";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.exit_code(), 130);
    EXPECT_NE(std::string(e.what()).find("epoch 2, step 9"), std::string::npos) << e.what();
  }
  Rig r;
  Trainer resumed = r.trainer(3, dir);
  resumed.resume((dir / "checkpoints" / "last.safetensors").string());
  EXPECT_EQ(resumed.epochs_done(), 1);
  fs::remove_all(dir);
}

TEST(Loop, EarlyStoppingRestoresTheBestWeights) {
  const fs::path dir = temp_dir("early");
  Rig s;
  // Validation labels are the opposite of the training rule: the better the fit, the worse the
  // validation loss, so the best epoch is the first one.
  s.val_set = blobs(32, 2, /*flip_labels=*/true);
  data::DataLoader val{s.val_set, {.batch_size = 32, .shuffle = false}};
  TrainerOptions o;
  o.early_stopping = {.enabled = true, .monitor = "val_loss", .patience = 2, .restore_best = true};
  Trainer t = s.trainer(10, dir, o);
  const auto h = t.fit(s.train, &val);
  EXPECT_TRUE(t.stopped_early());
  EXPECT_EQ(t.best_epoch(), 1);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_GT(h[2].values.at("val_loss"), h[0].values.at("val_loss"));
  const CheckpointData best = read_checkpoint((dir / "checkpoints" / "best.safetensors").string());
  EXPECT_TRUE(same_state(s.model->state_dict(), best.model));
  fs::remove_all(dir);
}

TEST(Loop, OvertrainingIsMarked) {
  Rig s;
  s.val_set = blobs(32, 2, true);
  data::DataLoader val{s.val_set, {.batch_size = 32, .shuffle = false}};
  Trainer t = s.trainer(3, {});
  const auto h = t.fit(s.train, &val);
  bool marked = false;
  for (size_t e = 1; e < h.size(); ++e) {
    const bool expect = h[e].values.at("val_loss") > h[e - 1].values.at("val_loss") &&
                        h[e].values.at("train_loss") < h[e - 1].values.at("train_loss");
    EXPECT_EQ(h[e].overfitting, expect);
    marked |= h[e].overfitting;
  }
  EXPECT_TRUE(marked);
}

// Regression (mse), binary (bce) and per-pixel classification train and log their metrics.
TEST(Loop, EveryLossTrainsAndLogsItsMetrics) {
  Rng rng(3);
  const Tensor x = Tensor::normal(Shape{48, 1, 4, 4}, 0.0, 1.0, rng);
  const std::vector<double> xv = x.to_vector();
  std::vector<float> mean(48), pixels(48 * 16);
  std::vector<int64_t> binary(48);
  for (size_t i = 0; i < 48; ++i) {
    for (size_t k = 0; k < 16; ++k) {
      mean[i] += float(xv[i * 16 + k] / 16);
      pixels[i * 16 + k] = xv[i * 16 + k] > 0 ? 1.0f : 0.0f;  // class of each pixel
    }
    binary[i] = mean[i] > 0;
  }
  struct Case {
    LossKind loss;
    data::DatasetPtr set;
    nn::ModulePtr model;
    std::vector<std::string> logged;
  };
  auto linear = [](int64_t out) {
    auto m = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
        std::make_shared<nn::Flatten>(),
        std::make_shared<nn::Linear>(nn::LinearOptions{.out = out}, Rng(5))});
    m->build(Shape{1, 4, 4});
    return m;
  };
  auto pixel_net = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 1, .out = 2, .kernel = 1}, Rng(6))});
  pixel_net->build(Shape{1, 4, 4});
  auto summed_net = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 1, .out = 2, .kernel = 1}, Rng(6))});
  summed_net->build(Shape{1, 4, 4});
  const std::vector<Case> cases{
      {LossKind::Mse,
       std::make_shared<data::TensorDataset>(x, Tensor::from_vector(mean, Shape{48})),
       linear(1),
       {"train_mse", "train_mae", "train_r2", "val_r2"}},
      {LossKind::Bce,
       std::make_shared<data::TensorDataset>(x, binary),
       linear(1),
       {"train_accuracy", "val_accuracy"}},
      {LossKind::PixelCrossEntropy,
       std::make_shared<data::TensorDataset>(x, Tensor::from_vector(pixels, Shape{48, 16})),
       pixel_net,
       {"train_accuracy", "val_accuracy", "val_mean_iou", "val_efficiency", "val_purity"}},
      {parse_loss("pixel_cross_entropy + 0.5*dice + focal"),
       std::make_shared<data::TensorDataset>(x, Tensor::from_vector(pixels, Shape{48, 16})),
       summed_net,
       {"train_accuracy", "train_mean_iou", "val_mean_iou", "val_efficiency", "val_purity"}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(loss_name(c.loss));
    optim::Adam adam(c.model->named_parameters(), {.lr = 0.05});
    data::DataLoader train(c.set, {.batch_size = 12, .seed = 1});
    data::DataLoader val(c.set, {.batch_size = 48, .shuffle = false});
    TrainerOptions o;
    o.epochs = 6;
    o.loss = c.loss;
    o.quiet = true;
    Trainer t(*c.model, adam, nullptr, o);
    const auto h = t.fit(train, &val);
    for (const auto& k : c.logged) EXPECT_TRUE(h.back().values.count(k)) << k;
    EXPECT_LT(h.back().values.at("val_loss"), h.front().values.at("val_loss"));
  }
}

TEST(Loop, BadSetupsAreUsageErrors) {
  Rig s;
  TrainerOptions o;
  o.early_stopping = {.enabled = true, .monitor = "val_acuracy"};
  Trainer t = s.trainer(1, {}, o);
  test::expect_error<UsageError>([&] { t.fit(s.train, &s.val); }, {"val_acuracy", "val_accuracy"});
  Trainer no_val = s.trainer(1, {}, o);
  test::expect_error<UsageError>([&] { no_val.fit(s.train, nullptr); }, {"validation"});
  test::expect_error<UsageError>([] { parse_loss("crossentropy"); }, {"cross_entropy"});
}

TEST(Loop, ResumeFromAnotherModelsOrATruncatedCheckpointIsAClearError) {
  const fs::path dir = temp_dir("resume_other");
  {
    Rig a;
    Trainer t = a.trainer(1, dir);
    t.fit(a.train, &a.val);
  }
  const std::string last = (dir / "checkpoints" / "last.safetensors").string();
  // Same optimizer, schedule and seed, another architecture (a wider first conv).
  auto other = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 1, .out = 6, .kernel = 3}, Rng(1)),
      std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.out = 2}, Rng(2))});
  other->build(Shape{1, 8, 8});
  optim::Adam adam{other->named_parameters(), {.lr = 3e-3}};
  optim::StepLr schedule{adam, {.step_size = 2, .gamma = 0.5}};
  TrainerOptions o;  // (a designated-initializer temporary trips GCC 12's maybe-uninitialized)
  o.epochs = 2;
  o.seed = 7;
  o.quiet = true;
  Trainer t(*other, adam, &schedule, o);
  test::expect_error<UsageError>(
      [&] { t.resume(last); },
      {"resume: ", "last.safetensors", "a different model", "[4,1,3,3]", "[6,1,3,3]"});
  // A checkpoint cut short (as by a copy that stopped): an IoError naming the file.
  const std::string bytes = file_bytes(last);
  std::ofstream(last, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
  Rig b;
  Trainer tb = b.trainer(2, dir);
  test::expect_error<IoError>([&] { tb.resume(last); }, {"last.safetensors"});
  fs::remove_all(dir);
}

// Issue 18, item 10: epoch = 10^15 in a checkpoint was narrowed to int ("negative epoch
// -1530494976"); counts are checked before narrowing.
TEST(Loop, HugeCountsInACheckpointAreNamed) {
  const fs::path dir = temp_dir("huge_epoch");
  {
    Rig a;
    Trainer t = a.trainer(1, dir);
    t.fit(a.train, &a.val);
  }
  const std::string last = (dir / "checkpoints" / "last.safetensors").string();
  CheckpointData d = read_checkpoint(last);
  auto j = nlohmann::json::parse(d.trainer);
  j["epoch"] = int64_t{1'000'000'000'000'000};
  d.trainer = j.dump();
  write_checkpoint(last, d);
  Rig b;
  Trainer tb = b.trainer(2, dir);
  test::expect_error<IoError>(
      [&] { tb.resume(last); },
      {"last.safetensors: damaged trainer state: 'epoch' = 1000000000000000 is not a count"});
  fs::remove_all(dir);
}

// --- micro-batching inside the trainer --------------------------------------------------------

data::DatasetPtr lattices(int64_t n, uint64_t seed) {
  Rng rng(seed);
  Tensor x = Tensor::normal(Shape{n, 1, 16, 16}, 0.0, 1.0, rng);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  float* px = x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    labels[size_t(i)] = i % 2;
    for (int64_t k = 0; k < 256; ++k) px[i * 256 + k] += labels[size_t(i)] ? 0.5f : -0.5f;
  }
  return std::make_shared<data::TensorDataset>(x, labels);
}

std::vector<double> train_losses(int64_t chunk) {
  set_microbatch_chunk(chunk);
  auto model = nn::models::ising_cnn(9);
  model->build(Shape{1, 16, 16});
  optim::Sgd sgd(model->parameters(), {.lr = 0.05, .momentum = 0.9});
  data::DataLoader loader(lattices(40, 3), {.batch_size = 12, .seed = 2});
  TrainerOptions options;  // assigned, not designated: GCC 12 warns on the nested strings
  options.epochs = 3;
  options.quiet = true;
  Trainer trainer(*model, sgd, nullptr, options);
  std::vector<double> losses;
  for (const auto& rec : trainer.fit(loader, nullptr)) {
    losses.push_back(rec.value("train_loss"));
    losses.push_back(rec.value("train_accuracy"));
  }
  set_microbatch_chunk(StepOptions::kAuto);
  return losses;
}

TEST(Loop, LossesAgreeWithAndWithoutMicrobatching) {
  const std::vector<double> whole = train_losses(StepOptions::kWholeBatch);
  const std::vector<double> chunked = train_losses(5);  // batches of 12: chunks 5, 5, 2
  ASSERT_EQ(whole.size(), chunked.size());
  for (size_t i = 0; i < whole.size(); ++i) EXPECT_NEAR(chunked[i], whole[i], 1e-5) << i;
  EXPECT_LT(whole[4], whole[0]);  // it learns: the comparison is not of constants
}

}  // namespace
}  // namespace physcnn::train
