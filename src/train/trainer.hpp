// The training loop for in-memory data: shuffled mini-batches from an explicit seed, forward,
// loss, backward, optimizer step; per-epoch training and validation loss and metric; a stop
// with NumericalError at the first non-finite loss or gradient.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "nn/module.hpp"
#include "optim/optimizer.hpp"
#include "optim/scheduler.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::train {

// Samples along dimension 0: x (N, ...), y (N) class indices or (N, k) regression targets.
struct TensorData {
  Tensor x, y;
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
};
// Rows idx of t along dimension 0, as a new contiguous tensor.
Tensor take_rows(const Tensor& t, const std::vector<int64_t>& idx);
TensorData take(const TensorData& d, const std::vector<int64_t>& idx);

enum class Task { Classification, Regression };

struct EpochStats {
  int epoch = 0;
  double train_loss = 0, train_metric = 0;  // metric: accuracy, or RMSE for regression
  double val_loss = 0, val_metric = 0;
  bool has_val = false;
  double lr = 0, seconds = 0, images_per_second = 0;
};

struct FitOptions {
  int epochs = 10;
  int64_t batch_size = 64;
  uint64_t seed = 0;  // shuffling; the same seed and thread count give the same run
  Task task = Task::Classification;
  double clip_grad_norm = 0;                // 0: off
  optim::LrScheduler* scheduler = nullptr;  // stepped once per epoch
  bool quiet = false;
  std::string label = "train";
  std::function<void(const EpochStats&)> on_epoch;
};

std::vector<EpochStats> fit(nn::Module& model, optim::Optimizer& optimizer, const TensorData& train,
                            const TensorData* validation, const FitOptions& options);

struct EvalResult {
  double loss = 0, metric = 0;
  Tensor outputs;  // (N, outputs): logits or regression values
};
EvalResult evaluate(nn::Module& model, const TensorData& data, Task task, int64_t batch_size = 256);
// Model outputs for x in evaluation mode, batch by batch.
Tensor predict(nn::Module& model, const Tensor& x, int64_t batch_size = 256);

}  // namespace physcnn::train
