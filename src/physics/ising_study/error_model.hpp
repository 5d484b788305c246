// The study's error model: T_c and nu with errors from one bootstrap over networks and Monte
// Carlo configurations together, refitting everything (crossings, extrapolation, collapse) in
// every replicate, plus the spread over the fit windows as a systematic error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "physics/ising/analysis.hpp"
#include "physics/ising/collapse.hpp"

namespace physcnn::physics::ising {

// One lattice size's held-out configurations: their temperatures and every network's
// P(ordered) on each of them (member_p[k][i]: network k, configuration i).
struct SizePredictions {
  int64_t size = 0;
  std::vector<double> temperature;
  std::vector<std::vector<double>> member_p;
};

struct ErrorModelOptions {
  int64_t replicates = 200;
  uint64_t seed = 1;
  // Crossing fits use the points with |T - T_0| <= window; the first is the central choice,
  // the others measure how much the answer depends on it.
  std::vector<double> windows{0.3, 0.2, 0.45};
  double collapse_window = 0.3;  // |T - T_c| for the collapse fit
  // The extrapolation of T*(L) uses the sizes L >= min_fit_size if there are two or more of
  // them, else every size; every size still enters the collapse.
  int64_t min_fit_size = 32;
};

struct FiniteSizeResult {
  std::vector<int64_t> sizes;
  std::vector<double> crossing, crossing_error;  // T*(L): central value, bootstrap error
  std::vector<int64_t> fit_sizes;                // the sizes the extrapolation uses
  CrossingFit fit;  // T_c + a/L (+ b/L^2 with >= 4 sizes when chi2 asks for it)
  double tc = 0, tc_statistical = 0, tc_window = 0, tc_error = 0;
  CollapseResult collapse;
  double nu = 0, nu_error = 0, tc_collapse = 0, tc_collapse_error = 0;
  // nu_error = hypot(nu_statistical, nu_sizes): the bootstrap's spread and the largest change of
  // nu when only two neighbouring sizes are collapsed (nu_pairs[l]: sizes l and l + 1), the
  // corrections to scaling the one-function collapse leaves out.
  double nu_statistical = 0, nu_sizes = 0;
  std::vector<double> nu_pairs;
  int64_t replicates = 0;
};

// T*(L) per size, T_c from their extrapolation (T_c + a/L, with + b/L^2 when chi2 asks for it
// and there are >= 3 sizes), nu and T_c from the collapse; all errors from the bootstrap.
FiniteSizeResult analyse_finite_size(const std::vector<SizePredictions>& sizes,
                                     const ErrorModelOptions& options = {});

// L<L>/predictions.csv of a run folder: "T,net1,...,netK", one row per held-out configuration.
void write_predictions(const std::string& path, const SizePredictions& p);
// Reads it back (IoError naming the file and line when it is damaged).
SizePredictions read_predictions(const std::string& path, int64_t size);

// analyse_finite_size on the predictions a finished run folder keeps (L<L>/predictions.csv).
FiniteSizeResult analyse_run_folder(const std::string& dir, const ErrorModelOptions& options = {});

// The ensemble's mean P(ordered) and its standard error per temperature (sorted).
struct MeanCurve {
  std::vector<double> t, p, err;
};
MeanCurve ensemble_curve(const SizePredictions& s);

}  // namespace physcnn::physics::ising
