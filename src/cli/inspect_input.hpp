// Inputs of `physcnn report`, `show` and `probe`: sample images from .npz/.npy/IDX/PNG as a
// float32 (N, C, H, W) batch, a model with its weights, and the model of a run folder.
#pragma once

#include <string>
#include <vector>

#include "cli/zoo.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::cli {

struct InputSamples {
  Tensor x;                // float32 (N, C, H, W); uint8 data scaled to [0, 1]
  std::vector<int64_t> y;  // labels when the file has them (.npz array `y`), else empty
};
// .npz (array `array`, labels from `y`, `label` or `labels`), .npy, .png (one image), anything else
// IDX (gzip detected). Rank 2 is one (H, W) image, rank 3 is (N, H, W), rank 4 is (N, C, H, W).
InputSamples load_inputs(const std::string& path, const std::string& array = "x");
// Rows [first, first + count) of the batch; UsageError naming the file's size when outside.
InputSamples take_samples(const InputSamples& s, int64_t first, int64_t count,
                          const std::string& what);

// Loads weights (safetensors, strictly) into m.model; errors name the file and the model.
void load_weights(ResolvedModel& m, const std::string& weights);
// resolve_model, then load_weights when `weights` is not empty.
ResolvedModel load_model_with_weights(const std::string& model, const std::string& weights);

// The model of a run folder, unweighted: RUN/experiment.toml's `model` (a zoo name, else the
// copy RUN/model.toml or the path itself), or RUN/model.toml alone. model is null when the
// folder names none.
ResolvedModel run_folder_model(const std::string& run_dir);

}  // namespace physcnn::cli
