// Evaluation and prediction over a DataLoader, and the running tally of losses and metrics.
#include "train/evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "autograd/functional.hpp"
#include "data/dataset.hpp"
#include "tensor/ops.hpp"
#include "train/metric_sets.hpp"

namespace physcnn::train {

namespace ag = physcnn::autograd;

void Tally::add(const Tensor& out, const Tensor& target, double batch_loss) {
  const int64_t n = out.size(0);
  loss_sum += batch_loss * double(n);
  samples += n;
  if (!metric_set.empty()) {
    for (double v : out.contiguous().to_vector()) set_outputs.push_back(v);
    for (double v : target.contiguous().to_vector()) set_targets.push_back(v);
  }
  if (loss.family() == LossKind::Mse) {
    if (!reg) reg.emplace();
    reg->add(out, target);
    return;
  }
  const std::vector<double> t = target.contiguous().to_vector();
  std::vector<int64_t> labels(t.size());
  if (loss.family() == LossKind::Bce) {
    // Binary decisions per element: logit > 0 against target > 0.5.
    const std::vector<double> o = out.contiguous().to_vector();
    std::vector<int64_t> pred(o.size());
    for (size_t i = 0; i < o.size(); ++i) {
      pred[i] = o[i] > 0;
      labels[i] = t[i] > 0.5;
    }
    if (!loss.per_pixel() && int64_t(o.size()) == n) {
      scores.insert(scores.end(), o.begin(), o.end());
      score_labels.insert(score_labels.end(), labels.begin(), labels.end());
    }
    if (!cls) cls.emplace(2, 1);
    cls->add_predictions(pred, labels);
    return;
  }
  for (size_t i = 0; i < t.size(); ++i) labels[i] = int64_t(std::llround(t[i]));
  if (!cls) cls.emplace(out.size(1), top_k);
  cls->add(out, labels);
  if (!loss.per_pixel() && out.dim() == 2 && out.size(1) == 2) {
    const std::vector<double> o = out.contiguous().to_vector();
    for (int64_t i = 0; i < n; ++i) {
      scores.push_back(o[size_t(2 * i + 1)] - o[size_t(2 * i)]);
      score_labels.push_back(labels[size_t(i)]);
    }
  }
}

void Tally::sum_over(const dist::Comm& comm) {
  if (!comm.distributed()) return;
  // A rank without samples has not created its metrics yet: agree on them first.
  std::vector<double> kind{cls ? double(cls->classes()) : 0.0, cls ? double(cls->top_k()) : 0.0,
                           reg ? 1.0 : 0.0};
  comm.allreduce_max(kind);
  if (kind[0] > 0 && !cls) cls.emplace(int64_t(kind[0]), int64_t(kind[1]));
  if (kind[2] > 0 && !reg) reg.emplace();
  std::vector<double> sum{loss_sum};
  comm.allreduce_sum(sum);
  loss_sum = sum[0];
  std::vector<int64_t> n{samples};
  comm.allreduce_sum(n);
  samples = n[0];
  if (cls) cls->sum_over(comm);
  if (reg) reg->sum_over(comm);
  // Per-sample values (ROC scores, the metric set's outputs) from every rank, in rank order: the
  // curve and the resolutions do not depend on the order of the samples.
  scores = dist::allgather_concat(comm, scores);
  score_labels = dist::allgather_concat(comm, score_labels);
  set_outputs = dist::allgather_concat(comm, set_outputs);
  set_targets = dist::allgather_concat(comm, set_targets);
}

Evaluation Tally::result() const {
  Evaluation e;
  e.loss = samples ? loss_sum / double(samples) : 0.0;
  e.samples = samples;
  e.classification = cls;
  e.regression = reg;
  e.segmentation = loss.per_pixel();
  const auto signal = std::count(score_labels.begin(), score_labels.end(), int64_t(1));
  if (signal > 0 && signal < int64_t(score_labels.size())) e.roc = roc_curve(scores, score_labels);
  if (!metric_set.empty())
    e.task = train::metric_set(metric_set).compute(set_outputs, set_targets, samples);
  return e;
}

std::map<std::string, double> Evaluation::values() const {
  std::map<std::string, double> v{{"loss", loss}};
  if (classification) {
    v["accuracy"] = classification->accuracy();
    if (classification->top_k() > 1)
      v["top" + std::to_string(classification->top_k()) + "_accuracy"] =
          classification->top_k_accuracy();
    if (segmentation)
      for (const auto& [k, x] : segmentation_metric_values(*classification)) v[k] = x;
  }
  if (regression)
    for (const auto& [k, x] : metric_values(*regression)) v[k] = x;
  for (const auto& [k, x] : task) v[k] = x;
  return v;
}

Evaluation evaluate(nn::Module& model, data::DataLoader& loader, LossKind loss, int64_t top_k,
                    const std::string& metric_set, const dist::Comm* comm) {
  ag::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  Tally tally{.loss = loss, .top_k = top_k, .metric_set = metric_set};
  loader.start_epoch(0);
  while (auto b = loader.next()) {
    if (!b->inputs.defined()) continue;  // this rank's block of a small last batch is empty
    const Tensor out = model(ag::Var(b->inputs)).value();
    const Tensor target = loss_target(out, *b, loss);
    tally.add(out, target, loss_of(ag::Var(out), target, loss).item());
  }
  model.train(was_training);
  if (comm) tally.sum_over(*comm);
  return tally.result();
}

Tensor predict(nn::Module& model, data::DataLoader& loader) {
  ag::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  std::vector<Tensor> parts;
  loader.start_epoch(0);
  while (auto b = loader.next()) parts.push_back(model(ag::Var(b->inputs)).value());
  model.train(was_training);
  PHYSCNN_CHECK_ARG(!parts.empty(), "predict: the data is empty");
  return parts.size() == 1 ? parts[0] : concat(parts, 0);
}

Tensor predict(nn::Module& model, const Tensor& inputs, int64_t batch_size) {
  PHYSCNN_CHECK_ARG(batch_size > 0, "predict: batch_size must be positive, got ", batch_size);
  PHYSCNN_CHECK_ARG(inputs.defined() && inputs.dim() >= 2 && inputs.size(0) > 0,
                    "predict: inputs must be a non-empty (N, ...) tensor");
  // Zero regression targets: the loader needs some, prediction reads only the inputs.
  const auto set =
      std::make_shared<data::TensorDataset>(inputs, Tensor::zeros(Shape{inputs.size(0)}));
  data::DataLoader loader(set, {.batch_size = batch_size, .shuffle = false, .workers = 0});
  return predict(model, loader);
}

}  // namespace physcnn::train
