// The run report: `write_run_report(RUN)` turns a training run folder into RUN/report/*.png|svg
// and a self-contained RUN/index.html (no network; inline CSS; images as relative files) that
// reloads itself while RUN/RUNNING exists, so a long run can be watched in a browser.
#pragma once

#include <string>
#include <vector>

#include "nn/module.hpp"

namespace physcnn::report {

struct ReportOptions {
  // The run's model. Null: the sections that need it (filters, feature maps, saliency, CAM)
  // say so. The caller builds it (zoo name or model file of the run; see `physcnn report`).
  nn::ModulePtr model;
  // Load RUN/model.safetensors into `model` first (strictly). false: use the model as given,
  // e.g. the live model while training.
  bool load_weights = true;
  int64_t max_samples = 4;    // inputs shown with saliency and CAM
  int64_t max_channels = 16;  // feature-map channels per layer
  int64_t max_layers = 12;    // layers with feature maps
  int refresh_seconds = 10;   // live view period while RUN/RUNNING exists
};

struct ReportResult {
  std::string index;                  // RUN/index.html
  std::vector<std::string> pictures;  // written, relative to RUN (report/loss.png, ...)
  std::vector<std::string> notes;     // why a section is empty ("no eval.json yet", ...)
  bool running = false;               // RUN/RUNNING existed: the page reloads itself
};

// Reads what the run folder holds (metrics.json, eval.json, summary.txt, experiment.toml,
// model.toml, model.safetensors, samples.npz; every one optional) and writes the pictures and
// index.html. Missing parts leave a note in their section. IoError when run_dir is not a
// folder or a file is corrupt (naming the file); the model's own errors (a weight file that
// does not fit, samples of the wrong shape) keep their type and name the file.
ReportResult write_run_report(const std::string& run_dir, const ReportOptions& options = {});

}  // namespace physcnn::report
