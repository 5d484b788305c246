// Two more Ising experiments on the same machinery:
//  - Mehta et al., Phys. Rep. 810 (2019), notebook NB14: L = 40, 16 temperatures 0.25..4.0,
//    train on T < 2.0 (ordered) and T > 2.5 (disordered), report the accuracy on a held-out
//    test split and on the critical region 2.0 <= T <= 2.5 (labelled by T < T_c).
//  - Temperature regression: predict T from a configuration (MSE), error per temperature.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/loop.hpp"

namespace physcnn::physics::ising {

struct MehtaOptions {
  int64_t lattice_size = 40;
  int64_t configs_per_temperature = 400;
  double test_fraction = 0.2;
  int epochs = 8;
  int64_t batch_size = 64;
  double learning_rate = 1e-3;
  uint64_t seed = 1;
  std::string out_dir;
  bool quiet = false;
};

struct MehtaResult {
  double train_accuracy = 0, test_accuracy = 0, critical_accuracy = 0;
  std::vector<double> temperatures, accuracy_per_temperature;
  std::vector<train::EpochRecord> history;
  double seconds = 0;
};

MehtaResult run_mehta(const MehtaOptions& options);

struct RegressionOptions {
  int64_t lattice_size = 16;
  std::vector<double> temperatures;  // empty: 1.0..3.5 in 26 steps
  int64_t configs_per_temperature = 200;
  double test_fraction = 0.25;
  int epochs = 12;
  int64_t batch_size = 64;
  double learning_rate = 2e-3;
  uint64_t seed = 1;
  std::string out_dir;
  bool quiet = false;
};

struct RegressionResult {
  std::vector<double> temperatures, mean_prediction, rmse;  // per temperature, on the test split
  double overall_rmse = 0;
  std::vector<train::EpochRecord> history;
  double seconds = 0;
};

RegressionResult run_temperature_regression(const RegressionOptions& options);

}  // namespace physcnn::physics::ising
