// Mini-batch training and evaluation over in-memory tensors.
#include "train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>

#include "autograd/functional.hpp"
#include "optim/clip.hpp"
#include "tensor/ops.hpp"
#include "train/progress.hpp"
#include "train/step.hpp"

namespace physcnn::train {

namespace ag = physcnn::autograd;

Tensor take_rows(const Tensor& t0, const std::vector<int64_t>& idx) {
  const Tensor t = t0.contiguous();
  std::vector<int64_t> dims = t.shape().dims();
  const int64_t n = t.size(0), row = n ? t.numel() / n : 0;
  dims[0] = int64_t(idx.size());
  Tensor out = Tensor::empty(Shape(dims), t.dtype());
  const size_t bytes = size_t(row) * dtype_size(t.dtype());
  PHYSCNN_DISPATCH(t.dtype(), T, {
    const T* src = t.data<T>();
    T* dst = out.data<T>();
    for (size_t i = 0; i < idx.size(); ++i) {
      PHYSCNN_CHECK_ARG(idx[i] >= 0 && idx[i] < n, "take_rows: index ", idx[i], " out of [0,", n,
                        ")");
      std::memcpy(dst + int64_t(i) * row, src + idx[i] * row, bytes);
    }
  });
  return out;
}

TensorData take(const TensorData& d, const std::vector<int64_t>& idx) {
  return {take_rows(d.x, idx), take_rows(d.y, idx)};
}

namespace {

struct BatchResult {
  double loss_sum = 0;    // loss summed over the batch's samples
  double metric_sum = 0;  // correct predictions, or squared error summed
};

ag::Var loss_of(const ag::Var& out, const Tensor& y, Task task) {
  if (task == Task::Classification) return ag::cross_entropy(out, y);
  const Tensor target = y.reshape(out.shape()).to(out.dtype());
  return ag::mse_loss(out, ag::Var(target));
}

BatchResult score(const Tensor& out, const Tensor& y, Task task, double loss_mean) {
  BatchResult r;
  const int64_t n = out.size(0);
  r.loss_sum = loss_mean * double(n);
  if (task == Task::Classification) {
    const auto pred = argmax(out, 1);
    const auto labels = y.to_vector();
    for (int64_t i = 0; i < n; ++i)
      r.metric_sum += double(pred[size_t(i)] == int64_t(labels[size_t(i)]));
  } else {
    const auto o = out.to_vector(), t = y.to_vector();
    for (size_t i = 0; i < o.size(); ++i) r.metric_sum += (o[i] - t[i]) * (o[i] - t[i]);
    r.metric_sum /= double(std::max<int64_t>(1, out.numel() / std::max<int64_t>(1, n)));
  }
  return r;
}

double finish_metric(double sum, int64_t n, Task task) {
  if (n == 0) return 0;
  return task == Task::Classification ? sum / double(n) : std::sqrt(sum / double(n));
}

// First parameter whose gradient holds NaN or Inf, for the error message.
std::string first_bad_gradient(nn::Module& model) {
  for (const auto& [name, p] : model.named_parameters())
    if (p.grad().defined() && !all_finite(p.grad())) return name;
  return "";
}

}  // namespace

std::vector<EpochStats> fit(nn::Module& model, optim::Optimizer& optimizer, const TensorData& train,
                            const TensorData* validation, const FitOptions& opt) {
  PHYSCNN_CHECK_ARG(opt.batch_size > 0, "batch_size must be positive, got ", opt.batch_size);
  PHYSCNN_CHECK_ARG(opt.epochs >= 0, "epochs must be non-negative, got ", opt.epochs);
  PHYSCNN_CHECK_ARG(train.size() > 0, "the training set is empty");
  PHYSCNN_CHECK_SHAPE(train.y.size(0) == train.size(), "training inputs have ", train.size(),
                      " samples, targets ", train.y.size(0));
  std::vector<EpochStats> history;
  Rng rng(opt.seed, 0x7261696eull);  // "rain": the shuffling stream
  std::vector<int64_t> order(size_t(train.size()));
  int64_t step = 0;
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    std::iota(order.begin(), order.end(), 0);
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    model.train();
    const int64_t batches = (train.size() + opt.batch_size - 1) / opt.batch_size;
    Progress bar(opt.label + " epoch " + std::to_string(epoch) + "/" + std::to_string(opt.epochs),
                 batches, opt.quiet);
    double loss_sum = 0, metric_sum = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const auto first = order.begin() + b * opt.batch_size;
      const auto last = order.begin() + std::min<int64_t>(train.size(), (b + 1) * opt.batch_size);
      const TensorData batch = take(train, std::vector<int64_t>(first, last));
      // Forward, loss and backward in cache-sized chunks where the model allows (train/step.hpp).
      optimizer.zero_grad();
      const StepResult result = forward_backward(
          model, batch.x, batch.y,
          [&](const ag::Var& out, const Tensor& y) { return loss_of(out, y, opt.task); });
      const double l = result.loss;
      ++step;
      if (!std::isfinite(l))
        throw NumericalError("training diverged: loss is " + std::to_string(l) + " at epoch " +
                             std::to_string(epoch) + ", step " + std::to_string(step) +
                             " (try a smaller learning rate)");
      if (const std::string bad = first_bad_gradient(model); !bad.empty())
        throw NumericalError("non-finite gradient in parameter " + bad + " at epoch " +
                             std::to_string(epoch) + ", step " + std::to_string(step));
      if (opt.clip_grad_norm > 0) optim::clip_grad_norm(model.parameters(), opt.clip_grad_norm);
      optimizer.step();
      const BatchResult r = score(result.output, batch.y, opt.task, l);
      loss_sum += r.loss_sum;
      metric_sum += r.metric_sum;
      const int64_t seen = std::min<int64_t>(train.size(), (b + 1) * opt.batch_size);
      char status[96];
      std::snprintf(status, sizeof status, "loss %.4f", loss_sum / double(seen));
      bar.update(b + 1, status);
    }
    EpochStats s;
    s.epoch = epoch;
    s.train_loss = loss_sum / double(train.size());
    s.train_metric = finish_metric(metric_sum, train.size(), opt.task);
    s.lr = optimizer.lr();
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    s.images_per_second = double(train.size()) / std::max(1e-9, s.seconds);
    if (validation && validation->size() > 0) {
      const EvalResult v =
          evaluate(model, *validation, opt.task, std::max<int64_t>(256, opt.batch_size));
      s.val_loss = v.loss;
      s.val_metric = v.metric;
      s.has_val = true;
    }
    const char* metric = opt.task == Task::Classification ? "acc" : "rmse";
    char status[160];
    int len = std::snprintf(status, sizeof status, "loss %.4f  %s %.4f", s.train_loss, metric,
                            s.train_metric);
    if (s.has_val && len > 0 && size_t(len) < sizeof status)
      std::snprintf(status + len, sizeof status - size_t(len), "  val_loss %.4f  val_%s %.4f",
                    s.val_loss, metric, s.val_metric);
    bar.finish(status);
    if (opt.scheduler) opt.scheduler->step(s.has_val ? s.val_loss : s.train_loss);
    history.push_back(s);
    if (opt.on_epoch) opt.on_epoch(s);
  }
  return history;
}

EvalResult evaluate(nn::Module& model, const TensorData& data, Task task, int64_t batch_size) {
  EvalResult r;
  r.outputs = predict(model, data.x, batch_size);
  ag::NoGradGuard no_grad;
  const double loss = loss_of(ag::Var(r.outputs), data.y, task).item();
  const BatchResult s = score(r.outputs, data.y, task, loss);
  r.loss = loss;
  r.metric = finish_metric(s.metric_sum, data.size(), task);
  return r;
}

Tensor predict(nn::Module& model, const Tensor& x, int64_t batch_size) {
  PHYSCNN_CHECK_ARG(batch_size > 0, "batch_size must be positive");
  ag::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  std::vector<Tensor> parts;
  for (int64_t lo = 0; lo < x.size(0); lo += batch_size) {
    const int64_t hi = std::min(x.size(0), lo + batch_size);
    parts.push_back(model(ag::Var(x.slice(0, lo, hi).contiguous())).value());
  }
  model.train(was_training);
  PHYSCNN_CHECK_ARG(!parts.empty(), "predict on an empty input");
  return parts.size() == 1 ? parts[0] : concat(parts, 0);
}

}  // namespace physcnn::train
