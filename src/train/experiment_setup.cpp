// Turning a loaded experiment into datasets with transforms, an optimizer, a schedule and the
// trainer's options, and checking that the model fits the data before anything is written.
#include <algorithm>

#include "core/error.hpp"
#include "optim/optim.hpp"
#include "train/experiment.hpp"

namespace physcnn::train {

// --- data -----------------------------------------------------------------------------------

data::Transform eval_transform(const std::optional<data::ChannelStats>& stats) {
  if (!stats) return {};
  return data::normalize(*stats);
}

data::ArrayOptions array_options_for(const Shape& model_input, bool scale_uint8) {
  return {.scale_uint8 = scale_uint8, .add_channel = model_input.rank() != 2};
}

void check_declared_input(const Shape& sample, const Shape& declared, const std::string& model_name,
                          const std::string& data_name) {
  if (sample == declared) return;
  throw ShapeError("the samples of " + data_name + " have shape " + sample.str() +
                   " but the model " + model_name + " declares inputs " + declared.str() +
                   " (its `input`)" +
                   (sample.rank() != declared.rank()
                        ? std::string("; (N, C, L) arrays are 1-d samples for a model taking "
                                      "[C, L], images (1, H, W) for one taking [C, H, W]")
                        : std::string()));
}

ExperimentData open_data(const Experiment& e, const Shape& model_input) {
  const DataConfig& d = e.data;
  const data::ArrayOptions ao = array_options_for(model_input, d.scale_uint8);
  auto open = [&](bool test) -> data::DatasetPtr {
    const std::string& file = test ? d.test : d.train;
    const std::string& xs = test ? d.test_x : d.train_x;
    const std::string& ys = test ? d.test_y : d.train_y;
    if (d.format == "idx") return xs.empty() ? nullptr : data::open_idx(xs, ys);
    if (d.format == "npy") return xs.empty() ? nullptr : data::open_npy(xs, ys, ao, d.mmap);
    if (file.empty()) return nullptr;
    if (d.format == "npz") return data::open_npz(file, d.x, d.y, ao);
    if (d.format == "hdf5") return data::open_hdf5(file, d.x, d.y, ao);
    return data::open_image_folder(file);
  };
  const data::DatasetPtr train = open(false), test = open(true);
  data::Splits s;
  const bool stratify = d.stratify && train->target_kind() == data::TargetKind::Class;
  if (test) {
    s = data::split_from_files(train, test, d.validation, e.seed, stratify);
  } else {
    s = data::split_dataset(train, {.train = 1.0 - d.validation - d.test_fraction,
                                    .validation = d.validation,
                                    .test = d.test_fraction,
                                    .seed = e.seed,
                                    .stratify = stratify});
  }
  ExperimentData out;
  out.train = s.train;
  if (s.validation && s.validation->size() > 0) out.validation = s.validation;
  if (s.test && s.test->size() > 0) out.test = s.test;
  PHYSCNN_CHECK_ARG(out.train && out.train->size() > 0, e.source, ": the training split is empty");
  out.class_names = d.class_names.empty() ? train->class_names() : d.class_names;
  out.sample_shape = train->sample_shape();
  const TransformConfig& c = e.transforms;
  std::vector<data::Transform> augment;
  if (c.flip > 0 || c.flip_vertical > 0)
    augment.push_back(data::random_flip({.horizontal = c.flip, .vertical = c.flip_vertical}));
  if (c.d4) augment.push_back(data::random_d4());
  if (c.rot90) augment.push_back(data::random_rot90());
  if (c.translate != 0)
    augment.push_back(data::random_translate(
        {.max_shift = c.translate,
         .fill = c.translate_fill == "periodic" ? data::Fill::Periodic : data::Fill::Zeros}));
  if (c.rotate > 0) augment.push_back(data::random_rotate({.max_degrees = c.rotate}));
  if (c.crop > 0) {
    // Refused before anything runs: crop = 4e8 padded every image to 8e8 x 8e8 (12.5 GB and
    // rising), and a padding past the image gives crops that are mostly padding.
    const Shape& s = out.sample_shape;
    PHYSCNN_CHECK_ARG(s.rank() >= 2 && c.crop <= std::min(s[-2], s[-1]), e.source,
                      ": [transforms] crop = ", c.crop,
                      " pads each side by more than the samples' ", "height or width (", s.str(),
                      "); it may be at most ", s.rank() >= 2 ? std::min(s[-2], s[-1]) : 0);
    augment.push_back(data::random_crop({.padding = c.crop}));
  }
  if (c.noise > 0) augment.push_back(data::gaussian_noise({.stddev = c.noise}));
  if (c.sign_flip > 0) augment.push_back(data::random_sign_flip({.probability = c.sign_flip}));
  if (c.normalize) {
    out.stats = data::channel_stats(*out.train);
    augment.push_back(data::normalize(*out.stats));
  }
  out.eval_transform = eval_transform(out.stats);
  if (!augment.empty()) out.train_transform = data::compose(augment);
  return out;
}

// --- optimizer, schedule, options -----------------------------------------------------------

std::unique_ptr<optim::Optimizer> make_optimizer(const Experiment& e, nn::Module& model) {
  const OptimizerConfig& o = e.optimizer;
  optim::NamedParams params = model.named_parameters();
  PHYSCNN_CHECK_ARG(!params.empty(), "the model has no parameters to train");
  if (o.name == "sgd" || o.name == "momentum" || o.name == "nesterov")
    return std::make_unique<optim::Sgd>(params,
                                        optim::SgdOptions{.lr = o.lr,
                                                          .momentum = o.momentum,
                                                          .weight_decay = o.weight_decay,
                                                          .nesterov = o.name == "nesterov"});
  if (o.name == "rmsprop")
    return std::make_unique<optim::Rmsprop>(params,
                                            optim::RmspropOptions{.lr = o.lr,
                                                                  .alpha = o.alpha,
                                                                  .eps = o.eps,
                                                                  .weight_decay = o.weight_decay,
                                                                  .momentum = o.momentum,
                                                                  .centered = o.centered});
  const std::array<double, 2> betas{o.betas[0], o.betas[1]};
  if (o.name == "adamw")
    return std::make_unique<optim::AdamW>(params,
                                          optim::AdamWOptions{.lr = o.lr,
                                                              .betas = betas,
                                                              .eps = o.eps,
                                                              .weight_decay = o.weight_decay,
                                                              .amsgrad = o.amsgrad});
  return std::make_unique<optim::Adam>(params, optim::AdamOptions{.lr = o.lr,
                                                                  .betas = betas,
                                                                  .eps = o.eps,
                                                                  .weight_decay = o.weight_decay,
                                                                  .amsgrad = o.amsgrad});
}

std::unique_ptr<optim::LrScheduler> make_scheduler(const Experiment& e, optim::Optimizer& opt) {
  const ScheduleConfig& s = e.schedule;
  // Counts are in the schedule's unit; per-step cosine spans the whole run.
  const int64_t units = s.per == "step" ? 0 : e.epochs;
  if (s.name == "none") return nullptr;
  if (s.name == "step")
    return std::make_unique<optim::StepLr>(
        opt, optim::StepLrOptions{.step_size = s.step_size, .gamma = s.gamma});
  if (s.name == "multistep")
    return std::make_unique<optim::MultiStepLr>(
        opt, optim::MultiStepLrOptions{.milestones = s.milestones, .gamma = s.gamma});
  if (s.name == "exponential")
    return std::make_unique<optim::ExponentialLr>(opt,
                                                  optim::ExponentialLrOptions{.gamma = s.gamma});
  if (s.name == "cosine") {
    PHYSCNN_CHECK_ARG(s.t_max > 0 || units > 0, e.source,
                      ": [schedule] cosine per step needs t_max (steps)");
    return std::make_unique<optim::CosineAnnealingLr>(
        opt, optim::CosineAnnealingLrOptions{.t_max = s.t_max > 0 ? s.t_max : units,
                                             .eta_min = s.eta_min});
  }
  if (s.name == "warmup_cosine") {
    PHYSCNN_CHECK_ARG(s.t_max > 0 || units > 0, e.source,
                      ": [schedule] warmup_cosine per step needs t_max (total steps)");
    return std::make_unique<optim::WarmupCosineLr>(
        opt, optim::WarmupCosineLrOptions{.warmup_epochs = s.warmup,
                                          .total_epochs = s.t_max > 0 ? s.t_max : units,
                                          .start_factor = s.start_factor,
                                          .eta_min = s.eta_min});
  }
  PHYSCNN_CHECK_ARG(s.mode == "min" || s.mode == "max", e.source,
                    ": [schedule] mode must be 'min' or 'max', got '", s.mode, "'");
  return std::make_unique<optim::ReduceLrOnPlateau>(
      opt, optim::ReduceLrOnPlateauOptions{
               .mode = s.mode == "min" ? optim::PlateauMode::Min : optim::PlateauMode::Max,
               .factor = s.factor,
               .patience = s.patience,
               .threshold = s.threshold,
               .cooldown = s.cooldown,
               .min_lr = s.min_lr});
}

TrainerOptions trainer_options(const Experiment& e, const std::string& checkpoint_dir, bool quiet) {
  TrainerOptions o;
  o.epochs = e.epochs;
  o.loss = e.loss;
  o.top_k = e.top_k;
  o.metric_set = e.metrics;
  o.clip_grad_norm = e.clip_grad_norm;
  o.schedule_per_step = e.schedule.per == "step";
  o.seed = e.seed;
  o.early_stopping = e.early_stopping;
  o.checkpoint_dir = checkpoint_dir;
  o.checkpoint_every = e.checkpoint_every;
  o.checkpoint_best = e.checkpoint_best;
  o.monitor = e.monitor;
  o.quiet = quiet;
  o.label = e.name;
  o.sync_batch_norm = e.sync_batch_norm;
  return o;
}

Shape check_model_fits_data(nn::Module& model, const Shape& model_input,
                            const std::string& model_name, const ExperimentData& data,
                            LossKind loss, bool input_declared) {
  const Shape& x = data.sample_shape;
  if (input_declared) check_declared_input(x, model_input, model_name, "the data");
  nn::Summary summary;
  try {
    summary = model.summary(x);
  } catch (const UsageError& err) {
    throw ShapeError("the data's samples have shape " + x.str() + " but the model " + model_name +
                     " takes inputs " + model_input.str() + "; it does not run on them (" +
                     err.what() + ")");
  }
  const Shape& out = summary.output;
  const std::pair<const char*, data::DatasetPtr> splits[] = {
      {"training", data.train}, {"validation", data.validation}, {"test", data.test}};
  for (const auto& [split, ds] : splits) {
    if (!ds || ds->size() == 0) continue;
    const bool regression = ds->target_kind() == data::TargetKind::Regression;
    PHYSCNN_CHECK_ARG(!(regression && loss.family() == LossKind::CrossEntropy),
                      "loss cross_entropy needs integer class labels, but the ", split,
                      " data has float targets (", ds->target_size(),
                      " per sample); store the labels as integers, or use loss = \"mse\"");
    PHYSCNN_CHECK_ARG(!(!regression && loss.family() == LossKind::Mse),
                      "loss mse needs float targets, but the ", split,
                      " data has integer class labels; use loss = \"cross_entropy\"");
    if (loss.family() == LossKind::CrossEntropy && ds->target_kind() == data::TargetKind::Class) {
      PHYSCNN_CHECK_SHAPE(out.rank() == 1, "loss cross_entropy: the model's output ", out.str(),
                          " per sample should be (classes)");
      const std::vector<int64_t> labels = ds->labels();
      const std::vector<std::string> names = ds->class_names();
      for (size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] >= 0 && labels[i] < out[0]) continue;
        const std::string name = labels[i] >= 0 && size_t(labels[i]) < names.size()
                                     ? " '" + names[size_t(labels[i])] + "'"
                                     : "";
        const std::string count =
            names.empty() ? "" : "; the data names " + std::to_string(names.size()) + " classes";
        PHYSCNN_CHECK_ARG(false, "the ", split, " data holds label ", labels[i], name,
                          " (its sample ", i, ") but the model has ", out[0], " outputs ",
                          out.str(), ": class labels must lie in [0, ", out[0], ")", count);
      }
    }
    if (ds->target_kind() == data::TargetKind::Regression &&
        (loss.family() == LossKind::Mse || loss.family() == LossKind::Bce))
      PHYSCNN_CHECK_SHAPE(ds->target_size() == out.numel(), "loss ", loss_name(loss), ": the ",
                          split, " data has ", ds->target_size(),
                          " target values per sample but the model outputs ", out.str(), " (",
                          out.numel(), " values)");
  }
  return out;
}

int64_t effective_top_k(int64_t top_k, const Shape& output) {
  return output.rank() >= 1 && top_k >= output[0] ? 1 : top_k;
}

}  // namespace physcnn::train
