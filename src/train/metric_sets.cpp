// The metric sets by name (train/metric_sets.hpp): air-shower resolutions.
#include "train/metric_sets.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "core/error.hpp"
#include "io/toml_util.hpp"

namespace physcnn::train {

namespace {

std::map<std::string, double> airshower(const std::vector<double>& out,
                                        const std::vector<double>& target, int64_t n) {
  const size_t count = static_cast<size_t>(n);
  std::vector<double> rel(count), angle(count), core(count);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double* p = &out[size_t(i * 6)];
    const double* t = &target[size_t(i * 6)];
    rel[size_t(i)] = std::pow(10.0, p[0] - t[0]) - 1.0;
    sum += rel[size_t(i)];
    // The opening angle from atan2(|p x t|, p . t): accurate for small angles, where acos of a
    // dot product near 1 loses half its digits. A zero prediction counts as pointing away.
    const double cx = p[2] * t[3] - p[3] * t[2], cy = p[3] * t[1] - p[1] * t[3],
                 cz = p[1] * t[2] - p[2] * t[1];
    const double dot = p[1] * t[1] + p[2] * t[2] + p[3] * t[3];
    const double cross = std::sqrt(cx * cx + cy * cy + cz * cz);
    angle[size_t(i)] =
        cross == 0 && dot == 0 ? 180.0 : std::atan2(cross, dot) * 180.0 / std::numbers::pi;
    core[size_t(i)] = 1000.0 * std::hypot(p[4] - t[4], p[5] - t[5]);
  }
  const double mean = n ? sum / double(n) : std::numeric_limits<double>::quiet_NaN();
  double var = 0;
  for (double r : rel) var += (r - mean) * (r - mean);
  return {{"energy_resolution", n > 1 ? std::sqrt(var / double(n - 1)) : std::nan("")},
          {"energy_bias", mean},
          {"angular_resolution_deg", quantile(angle, 0.68)},
          {"core_resolution_m", quantile(core, 0.68)}};
}

}  // namespace

const std::vector<MetricSet>& metric_sets() {
  static const std::vector<MetricSet> sets{
      {.name = "airshower",
       .help = "outputs (lg(E/10 EeV), u_x, u_y, u_z, core_x/km, core_y/km): sigma(dE/E), "
               "mean dE/E, 68% opening angle (deg), 68% core distance (m)",
       .outputs = 6,
       .names = {"energy_resolution", "energy_bias", "angular_resolution_deg", "core_resolution_m"},
       .compute = airshower}};
  return sets;
}

const MetricSet& metric_set(const std::string& name) {
  std::vector<std::string> known;
  for (const auto& s : metric_sets()) {
    if (s.name == name) return s;
    known.push_back(s.name);
  }
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  throw UsageError("unknown metric set '" + name + "' (known: " + list + ")" +
                   io::did_you_mean(name, known));
}

void check_metric_set(const std::string& name, const Shape& output, bool regression) {
  const MetricSet& s = metric_set(name);
  PHYSCNN_CHECK_ARG(regression, "metric set ", name,
                    " reads regression outputs: use the mse loss with float targets");
  PHYSCNN_CHECK_SHAPE(output.numel() == s.outputs, "metric set ", name, " reads ", s.outputs,
                      " outputs per sample (", s.help, "), the model gives ", output.str());
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

}  // namespace physcnn::train
