// Experiment files (TOML): model, data and split, transforms, loss, optimizer, schedule,
// callbacks, epochs, batch size, seed, threads and run folder, every field also settable from
// the command line (`--set optimizer.lr=0.01`). Unknown keys and wrong types are UsageErrors
// "FILE:LINE: ..." with the nearest valid name. docs/training.md describes every key.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data/loader.hpp"
#include "data/split.hpp"
#include "data/transforms.hpp"
#include "nn/module.hpp"
#include "optim/optimizer.hpp"
#include "optim/scheduler.hpp"
#include "train/loop.hpp"

namespace physcnn::train {

struct DataConfig {
  std::string format;  // idx | npy | npz | hdf5 | png
  // Files (absolute after loading). idx/npy: train_x/train_y (+ test_x/test_y); npz/hdf5:
  // train (+ test) with array names x, y; png: train (+ test) folders of class folders.
  std::string train, test, train_x, train_y, test_x, test_y;
  std::string x = "x", y = "y";
  bool mmap = false;           // npy: memory-map the inputs (datasets larger than memory)
  bool scale_uint8 = false;    // npy/npz/hdf5: uint8 inputs / 255
  double validation = 0.1;     // fraction of the training data held out
  double test_fraction = 0.1;  // without a test file: fraction of the one file for testing
  bool stratify = true;
  int workers = 1;
  std::vector<std::string> class_names;
};

struct TransformConfig {
  bool normalize = false;  // per-channel mean/std from the training split
  double flip = 0.0, flip_vertical = 0.0;
  bool d4 = false, rot90 = false;
  int64_t translate = 0;  // max shift; -1 any (periodic lattices)
  std::string translate_fill = "zeros";
  double rotate = 0.0;  // max degrees
  int64_t crop = 0;     // padding of the random crop
  double noise = 0.0;   // stddev
  double sign_flip = 0.0;
};

struct OptimizerConfig {
  std::string name = "adam";  // sgd | momentum | nesterov | rmsprop | adam | adamw
  double lr = 1e-3;
  double momentum = 0.9;  // momentum/nesterov (and rmsprop when set)
  double weight_decay = 0.0;
  std::vector<double> betas{0.9, 0.999};
  double eps = 1e-8;
  double alpha = 0.99;
  bool centered = false, amsgrad = false;
  bool momentum_set = false, weight_decay_set = false;
};

struct ScheduleConfig {
  std::string name = "none";  // none | step | multistep | exponential | cosine | warmup_cosine
                              // | plateau
  std::string per = "epoch";  // epoch | step
  int64_t step_size = 10, t_max = 0, warmup = 5, patience = 5, cooldown = 0;
  double gamma = 0.1, eta_min = 0.0, start_factor = 1.0 / 3.0, factor = 0.1, threshold = 1e-4,
         min_lr = 0.0;
  std::vector<int64_t> milestones;
  std::string mode = "min";
};

struct Experiment {
  std::string source;    // the experiment file
  std::string base_dir;  // its folder: relative paths start here
  std::string name;
  std::string model;  // a zoo name, or the absolute path of a model .toml
  bool model_is_file = false;
  uint64_t seed = 0;
  int threads = 0;  // 0: all cores
  int epochs = 10;
  int64_t batch_size = 64;
  std::string out;  // run folder
  LossKind loss = LossKind::CrossEntropy;
  int64_t top_k = 5;
  std::string metrics;  // "" or a metric set of train/metric_sets.hpp (e.g. "airshower")
  double clip_grad_norm = 0.0;
  // Under mpirun: batch norm with the global batch's statistics (docs/mpi.md).
  bool sync_batch_norm = false;
  DataConfig data;
  TransformConfig transforms;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  EarlyStoppingOptions early_stopping;
  int checkpoint_every = 1;
  bool checkpoint_best = true;
  std::string monitor = "val_loss";
  // The experiment after overrides, with absolute paths: written to RUN/experiment.toml.
  std::string resolved_toml;
};

// "section.key=value": value is read as TOML (0.01, true, [1, 2], "text") or, failing that,
// as a bare string (model=lenet5).
using Override = std::pair<std::string, std::string>;
Override parse_override(const std::string& text);  // UsageError without '='

Experiment load_experiment(const std::string& path, const std::vector<Override>& overrides = {});
Experiment parse_experiment(const std::string& text, const std::string& source_name,
                            const std::string& base_dir,
                            const std::vector<Override>& overrides = {});

// The datasets of an experiment, split, with their transforms.
struct ExperimentData {
  data::DatasetPtr train, validation, test;
  data::Transform train_transform, eval_transform;
  std::optional<data::ChannelStats> stats;  // when transforms.normalize
  std::vector<std::string> class_names;
  Shape sample_shape;
};
// `model_input` decides how arrays (N, A, B) are read: as 1-d samples (C, L) = (A, B) when the
// model takes [C, L], else as images with a channel axis (1, A, B).
ExperimentData open_data(const Experiment& e, const Shape& model_input = {});
// How arrays become samples for a model taking `model_input` (see open_data).
data::ArrayOptions array_options_for(const Shape& model_input, bool scale_uint8);
// Before anything is written or trained: the model runs on the data's sample shape (ShapeError
// naming both shapes otherwise), class labels lie in [0, outputs) and regression targets have the
// output's size. `model_input` is the shape the model file or zoo entry declares; when
// `input_declared` (a model file's `input`), the samples must have exactly that shape. Returns
// the model's output shape per sample.
Shape check_model_fits_data(nn::Module& model, const Shape& model_input,
                            const std::string& model_name, const ExperimentData& data,
                            LossKind loss, bool input_declared = false);
// ShapeError (exit 2) unless `sample` equals the model's declared input, naming both shapes:
// a model that happens to run on other shapes would silently compute something else.
void check_declared_input(const Shape& sample, const Shape& declared, const std::string& model_name,
                          const std::string& data_name);
// The transforms for evaluation only (normalisation) from saved statistics.
data::Transform eval_transform(const std::optional<data::ChannelStats>& stats);

std::unique_ptr<optim::Optimizer> make_optimizer(const Experiment& e, nn::Module& model);
std::unique_ptr<optim::LrScheduler> make_scheduler(const Experiment& e, optim::Optimizer& opt);
TrainerOptions trainer_options(const Experiment& e, const std::string& checkpoint_dir, bool quiet);
// The k of the top-k accuracy for a model with `output` values per sample: 1 (no top-k column)
// when k is at least the number of classes, where every sample would count as correct.
int64_t effective_top_k(int64_t top_k, const Shape& output);

}  // namespace physcnn::train
