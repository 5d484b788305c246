// The seed sweep of the Ising study: the evidence that its errors cover the exact T_c.
#include "cli/ising_seeds.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "physics/ising/lattice.hpp"

namespace physcnn::cli {

std::vector<uint64_t> parse_seeds(const std::string& text) {
  std::vector<uint64_t> seeds;
  const auto number = [&](const std::string& s) {
    PHYSCNN_CHECK_ARG(
        !s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 19,
        "--seeds: '", s, "' in '", text, "' is not a seed (want e.g. 1-20 or 1,4,7)");
    return uint64_t(std::stoull(s));
  };
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, comma - start);
    const size_t dash = part.find('-');
    if (dash == std::string::npos) {
      seeds.push_back(number(part));
    } else {
      const uint64_t a = number(part.substr(0, dash)), b = number(part.substr(dash + 1));
      PHYSCNN_CHECK_ARG(a <= b && b - a < 10000, "--seeds: range '", part, "' must be A-B with ",
                        "A <= B and fewer than 10000 seeds");
      for (uint64_t s = a; s <= b; ++s) seeds.push_back(s);
    }
    start = comma + 1;
  }
  return seeds;
}

void print_finite_size_result(const physics::ising::FiniteSizeResult& f) {
  namespace pi = physics::ising;
  const double dev = 100 * (f.tc - pi::kCriticalTemperature) / pi::kCriticalTemperature;
  std::printf("T_c = %.4f ± %.4f  (Onsager %.6f, deviation %.2f%%, %.1f σ)\n", f.tc, f.tc_error,
              pi::kCriticalTemperature, dev,
              std::abs(f.tc - pi::kCriticalTemperature) / std::max(f.tc_error, 1e-12));
  std::string over;
  for (int64_t L : f.fit_sizes) over += (over.empty() ? "" : ", ") + std::to_string(L);
  std::printf(
      "  error: bootstrap over networks and configurations %.4f, fit window %.4f; model T_c + "
      "a/L%s over L = %s (chi2 %.2f, %lld dof)\n",
      f.tc_statistical, f.tc_window, f.fit.quadratic ? " + b/L^2" : "", over.c_str(), f.fit.chi2,
      (long long)f.fit.dof);
  std::printf("nu = %.3f ± %.3f from the data collapse (exact 1; its T_c %.4f ± %.4f)\n", f.nu,
              f.nu_error, f.tc_collapse, f.tc_collapse_error);
  std::printf("  error: bootstrap %.3f, choice of sizes %.3f (neighbouring pairs:",
              f.nu_statistical, f.nu_sizes);
  for (double nu : f.nu_pairs) std::printf(" %.3f", nu);
  std::printf(")\n");
}

int print_run_analysis(const std::string& dir, const physics::ising::StudyOptions& base) {
  namespace pi = physics::ising;
  // The bootstrap's seed is the run's (from its metrics.json), so the numbers repeat the run's.
  uint64_t seed = base.seed;
  std::ifstream in(dir + "/metrics.json");
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_object() && j.contains("seed") && j["seed"].is_number_unsigned())
    seed = j["seed"].get<uint64_t>();
  const pi::FiniteSizeResult f =
      pi::analyse_run_folder(dir, {.replicates = base.bootstrap_replicates, .seed = seed});
  std::printf("%-4s %-10s %s\n", "L", "T*(L)", "error");
  for (size_t l = 0; l < f.sizes.size(); ++l)
    std::printf("%-4lld %-10.4f %.4f\n", (long long)f.sizes[l], f.crossing[l], f.crossing_error[l]);
  std::printf("\n");
  print_finite_size_result(f);
  return 0;
}

int run_seed_sweep(const physics::ising::StudyOptions& base, const std::vector<uint64_t>& seeds,
                   bool analyse_only) {
  namespace pi = physics::ising;
  const double tc = pi::kCriticalTemperature;
  std::ofstream csv(base.out_dir + "/seeds.csv");
  csv << "seed,T_c,T_c_error,deviation_percent,deviation_sigma,nu,nu_error,T_c_collapse,"
         "monte_carlo_s,training_s,analysis_s,total_s\n";
  std::printf("%-5s %-8s %-7s %-8s %-6s %-12s %-8s %s\n", "seed", "T_c", "error", "dev %", "dev/σ",
              "ν", "T_c coll.", "seconds (MC + train + analysis)");
  int within_half = 0, within1 = 0, within2 = 0, beyond3 = 0;
  double sum_abs = 0, sum_nu = 0, sum_nu2 = 0;
  for (uint64_t seed : seeds) {
    pi::StudyOptions o = base;
    o.seed = seed;
    o.out_dir = base.out_dir + "/seed" + std::to_string(seed);
    pi::StudyResult r;
    if (analyse_only) {
      const auto t0 = std::chrono::steady_clock::now();
      r.finite_size =
          pi::analyse_run_folder(o.out_dir, {.replicates = o.bootstrap_replicates, .seed = o.seed});
      r.analysis_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      r.deviation_percent = 100 * (r.finite_size.tc - tc) / tc;
      r.deviation_sigma = (r.finite_size.tc - tc) / std::max(r.finite_size.tc_error, 1e-12);
    } else {
      r = pi::run_study(o);
    }
    const auto& f = r.finite_size;
    double mc = 0, train = 0;
    for (const auto& s : r.sizes) mc += s.generate_seconds, train += s.train_seconds;
    if (analyse_only) {  // the times of the run that made the folder, from its metrics.json
      std::ifstream in(o.out_dir + "/metrics.json");
      const auto j = nlohmann::json::parse(in, nullptr, false);
      if (j.is_object() && j.contains("sizes") && j["sizes"].is_array())
        for (const auto& s : j["sizes"]) {
          mc += s.value("generate_seconds", 0.0);
          train += s.value("train_seconds", 0.0);
        }
    }
    const double dev = r.deviation_percent, sig = std::abs(r.deviation_sigma);
    within_half += std::abs(dev) <= 0.5;
    within1 += sig <= 1;
    within2 += sig <= 2;
    beyond3 += sig > 3;
    sum_abs += std::abs(dev);
    sum_nu += f.nu;
    sum_nu2 += f.nu * f.nu;
    std::printf("%-5llu %-8.4f %-7.4f %+-8.3f %-6.2f %.3f±%.3f  %-8.4f %.0f + %.0f + %.1f\n",
                (unsigned long long)seed, f.tc, f.tc_error, dev, sig, f.nu, f.nu_error,
                f.tc_collapse, mc, train, r.analysis_seconds);
    std::fflush(stdout);
    csv << seed << "," << f.tc << "," << f.tc_error << "," << dev << "," << r.deviation_sigma << ","
        << f.nu << "," << f.nu_error << "," << f.tc_collapse << "," << mc << "," << train << ","
        << r.analysis_seconds << "," << r.seconds << "\n";
    csv.flush();
  }
  const double n = double(seeds.size());
  const double nu_mean = sum_nu / n;
  std::printf(
      "\n%zu seeds (Onsager T_c = %.6f): within 0.5 %%: %d; within 1σ: %d (%.0f %%), 2σ: %d "
      "(%.0f %%), beyond 3σ: %d; mean |deviation| %.3f %%\nν: mean %.3f, spread %.3f (exact 1)\n",
      seeds.size(), tc, within_half, within1, 100 * within1 / n, within2, 100 * within2 / n,
      beyond3, sum_abs / n, nu_mean,
      std::sqrt(std::max(0.0, sum_nu2 / n - nu_mean * nu_mean) * n / std::max(1.0, n - 1)));
  return 0;
}

}  // namespace physcnn::cli
