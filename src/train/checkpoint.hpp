// Checkpoint files: one safetensors file holding the model's state_dict under its own keys
// (readable by any safetensors tool), the optimizer and schedule tensors under "optimizer/" and
// "scheduler/", and the scalars and trainer state in the metadata. Written atomically.
#pragma once

#include <map>
#include <string>

#include "nn/module.hpp"
#include "optim/optimizer.hpp"

namespace physcnn::train {

struct CheckpointData {
  nn::StateDict model;
  optim::State optimizer, scheduler;
  std::string optimizer_name, scheduler_name;  // checked on load ("" for no schedule)
  std::string trainer;                         // the trainer's JSON state
};

// Writes to a temporary file next to `path` and renames it into place; a failure leaves the
// previous file untouched and throws IoError. Creates the parent folder.
void write_checkpoint(const std::string& path, const CheckpointData& data);
// IoError for a missing or damaged file, UsageError for a safetensors file that is not a
// physcnn checkpoint (plain weights).
CheckpointData read_checkpoint(const std::string& path);
// A checkpoint file as given, or RUN/checkpoints/last.safetensors for a run folder.
std::string find_checkpoint(const std::string& run_dir_or_file);

// Doubles as exact text ("%a" hex floats; inf and nan included) for the JSON metadata, so
// resumed state is bit-identical.
std::string exact_double(double v);
double parse_exact_double(const std::string& s, const std::string& what);

}  // namespace physcnn::train
