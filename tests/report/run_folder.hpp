// Test support: a small real run folder (a tiny CNN trained a few epochs on ordered vs
// disordered 8x8 spin lattices with train::Trainer) laid out as `physcnn train` writes it.
#pragma once

#include <string>

#include "nn/module.hpp"

namespace physcnn::test {

struct RunFolderOptions {
  bool gap_head = true;  // ising_cnn (GAP + Linear: CAM); false: conv + flatten + linear (Grad-CAM)
  bool running = false;  // leave RUN/RUNNING in place
  int epochs = 3;
};

// Creates dir (removing an old one) and fills it; returns the trained model.
nn::ModulePtr make_run_folder(const std::string& dir, const RunFolderOptions& options = {});
// A fresh model of the same architecture (initial weights) to hand to write_run_report.
nn::ModulePtr make_run_model(bool gap_head);
// A fresh empty folder under the build's temporary directory.
std::string fresh_dir(const std::string& name);

}  // namespace physcnn::test
