// Metric sets: the figures of merit of a task whose model outputs have a fixed physical meaning,
// computed from every sample's outputs and targets at the end of a pass (resolutions are
// quantiles and need them all). Chosen with `metrics = "NAME"` in an experiment file or
// `physcnn eval --metrics NAME`; logged per epoch (train_/val_) and written to eval.json.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/shape.hpp"

namespace physcnn::train {

struct MetricSet {
  std::string name, help;
  int64_t outputs = 0;             // values per sample the set reads
  std::vector<std::string> names;  // the metrics, in column order
  // outputs and targets: n x `outputs` values, sample-major.
  std::function<std::map<std::string, double>(const std::vector<double>& outputs,
                                              const std::vector<double>& targets, int64_t n)>
      compute;
};

// airshower: outputs and targets (N, 6) = log10(E / 10 EeV), u_x, u_y, u_z, core_x / km,
// core_y / km (physcnn generate airshower). energy_resolution: the standard deviation of
// dE/E = 10^(lg E_pred - lg E_true) - 1; energy_bias: its mean; angular_resolution_deg: the 68 %
// quantile of the opening angle between the predicted (normalised) and true directions;
// core_resolution_m: the 68 % quantile of the distance between predicted and true cores.
const std::vector<MetricSet>& metric_sets();
// UsageError naming the known sets (with the nearest name) when there is none called `name`.
const MetricSet& metric_set(const std::string& name);
// UsageError unless the set reads a regression output of `output` (per sample) shape.
void check_metric_set(const std::string& name, const Shape& output, bool regression);
// The q-quantile of values by linear interpolation between order statistics (numpy's default:
// position q (n - 1) of the sorted values); NaN for no values.
double quantile(std::vector<double> values, double q);

}  // namespace physcnn::train
