// Loss and metrics of a model over a data::DataLoader (evaluation mode, no gradients), the
// running tally the Trainer keeps of its training batches, and predictions batch by batch.
// In-memory tensors go through the same loader as a data::TensorDataset.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "data/loader.hpp"
#include "nn/module.hpp"
#include "train/losses.hpp"
#include "train/metrics.hpp"
#include "train/roc.hpp"

namespace physcnn::train {

struct Evaluation {
  double loss = 0;
  int64_t samples = 0;
  std::optional<ClassificationMetrics> classification;
  std::optional<RegressionMetrics> regression;
  bool segmentation = false;  // per-pixel classes: values() adds mean_iou, efficiency, purity
  // Binary classifiers (two logits, or one BCE logit per sample) with both classes present: the
  // ROC curve of the signal score (class 1); eval.json and `physcnn eval` report it.
  std::optional<Roc> roc;
  std::map<std::string, double> task;            // the metric set's values (train/metric_sets.hpp)
  std::map<std::string, double> values() const;  // loss and the metrics
};

// Running loss and metrics of one pass over batches.
struct Tally {
  LossKind loss;
  int64_t top_k;
  double loss_sum = 0;
  int64_t samples = 0;
  std::optional<ClassificationMetrics> cls;
  std::optional<RegressionMetrics> reg;
  std::vector<double> scores;  // binary classifiers: logit(class 1) - logit(class 0), or the logit
  std::vector<int64_t> score_labels;
  std::string metric_set;                        // "" or a train/metric_sets.hpp name
  std::vector<double> set_outputs, set_targets;  // every sample's, for the metric set

  // out: the model's output for a batch; target: loss_target's; batch_loss: its mean loss.
  void add(const Tensor& out, const Tensor& target, double batch_loss);
  // Data parallel: the tallies of every rank of `comm` summed (collective; a rank that saw no
  // samples takes part too).
  void sum_over(const dist::Comm& comm);
  Evaluation result() const;
};

// Loss and metrics of `model` in evaluation mode over every batch of `loader` (epoch 0).
// metric_set: "" or a train/metric_sets.hpp name whose values join the metrics. With a
// distributed `comm`, `loader` builds this rank's blocks (LoaderOptions::rank) and the result is
// the whole set's, on every rank.
Evaluation evaluate(nn::Module& model, data::DataLoader& loader, LossKind loss, int64_t top_k = 5,
                    const std::string& metric_set = "", const dist::Comm* comm = nullptr);
// Model outputs for every sample of `loader` in its order (a loader without shuffling keeps the
// dataset's order).
Tensor predict(nn::Module& model, data::DataLoader& loader);
// The same for in-memory inputs (N, ...), through a TensorDataset in batches of batch_size.
Tensor predict(nn::Module& model, const Tensor& inputs, int64_t batch_size = 256);

}  // namespace physcnn::train
