// Bootstrap over networks and configurations together, refitting the whole analysis per replicate.
#include "physics/ising_study/error_model.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace physcnn::physics::ising {

namespace {

// Configuration indices grouped by temperature, temperatures ascending.
std::vector<std::pair<double, std::vector<size_t>>> by_temperature(const SizePredictions& s) {
  std::map<double, std::vector<size_t>> m;
  for (size_t i = 0; i < s.temperature.size(); ++i) m[s.temperature[i]].push_back(i);
  return {m.begin(), m.end()};
}

// The mean curve over the networks `nets` (indices, repeats allowed) and, per temperature, the
// configurations `pick[t]` (positions into that temperature's group).
MeanCurve curve_of(const SizePredictions& s,
                   const std::vector<std::pair<double, std::vector<size_t>>>& groups,
                   const std::vector<size_t>& nets, const std::vector<std::vector<size_t>>& pick) {
  MeanCurve c;
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& idx = groups[g].second;
    double m = 0, m2 = 0;
    const size_t n = pick[g].size();
    for (size_t j : pick[g]) {
      double p = 0;
      for (size_t k : nets) p += s.member_p[k][idx[j]];
      p /= double(nets.size());
      m += p;
      m2 += p * p;
    }
    m /= double(n);
    const double var = n > 1 ? std::max(0.0, (m2 - double(n) * m * m) / double(n - 1)) : 0.25;
    c.t.push_back(groups[g].first);
    c.p.push_back(m);
    // A floor keeps the fit from trusting points where every configuration gave 0 or 1.
    c.err.push_back(std::max(std::sqrt(var / double(n)), 1e-3));
  }
  return c;
}

double standard_deviation(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= double(v.size());
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / double(v.size() - 1));
}

struct Replicate {
  std::vector<MeanCurve> curves;
};

// Replicate 0 is the data as measured; the others resample networks and configurations.
Replicate make_replicate(const std::vector<SizePredictions>& sizes,
                         const std::vector<std::vector<std::pair<double, std::vector<size_t>>>>& g,
                         Rng* rng) {
  Replicate r;
  for (size_t l = 0; l < sizes.size(); ++l) {
    const size_t K = sizes[l].member_p.size();
    std::vector<size_t> nets(K);
    for (size_t k = 0; k < K; ++k) nets[k] = rng ? size_t(rng->below(K)) : k;
    std::vector<std::vector<size_t>> pick(g[l].size());
    for (size_t t = 0; t < g[l].size(); ++t) {
      const size_t n = g[l][t].second.size();
      pick[t].resize(n);
      for (size_t j = 0; j < n; ++j) pick[t][j] = rng ? size_t(rng->below(n)) : j;
    }
    r.curves.push_back(curve_of(sizes[l], g[l], nets, pick));
  }
  return r;
}

std::vector<CollapsePoint> collapse_points(const std::vector<SizePredictions>& sizes,
                                           const Replicate& r, double tc, double window) {
  std::vector<CollapsePoint> pts;
  for (size_t l = 0; l < sizes.size(); ++l)
    for (size_t i = 0; i < r.curves[l].t.size(); ++i)
      if (std::fabs(r.curves[l].t[i] - tc) <= window)
        pts.push_back({sizes[l].size, r.curves[l].t[i], r.curves[l].p[i], r.curves[l].err[i]});
  return pts;
}

}  // namespace

MeanCurve ensemble_curve(const SizePredictions& s) {
  const auto groups = by_temperature(s);
  std::vector<size_t> nets(s.member_p.size());
  for (size_t k = 0; k < nets.size(); ++k) nets[k] = k;
  std::vector<std::vector<size_t>> pick(groups.size());
  for (size_t t = 0; t < groups.size(); ++t)
    for (size_t j = 0; j < groups[t].second.size(); ++j) pick[t].push_back(j);
  return curve_of(s, groups, nets, pick);
}

FiniteSizeResult analyse_finite_size(const std::vector<SizePredictions>& sizes,
                                     const ErrorModelOptions& o) {
  PHYSCNN_CHECK_ARG(sizes.size() >= 2, "analyse_finite_size: needs >= 2 lattice sizes, got ",
                    sizes.size());
  PHYSCNN_CHECK_ARG(!o.windows.empty() && o.replicates >= 2, "analyse_finite_size: needs a fit ",
                    "window and >= 2 replicates");
  std::vector<std::vector<std::pair<double, std::vector<size_t>>>> groups;
  FiniteSizeResult res;
  for (const auto& s : sizes) {
    PHYSCNN_CHECK_ARG(!s.member_p.empty(), "analyse_finite_size: L = ", s.size, " has no network");
    for (const auto& p : s.member_p)
      PHYSCNN_CHECK_ARG(p.size() == s.temperature.size(), "analyse_finite_size: L = ", s.size, ": ",
                        p.size(), " predictions for ", s.temperature.size(), " configurations");
    groups.push_back(by_temperature(s));
    res.sizes.push_back(s.size);
  }
  const size_t nL = sizes.size();
  const auto crossings = [&](const Replicate& r, double window) {
    std::vector<double> t(nL);
    for (size_t l = 0; l < nL; ++l)
      t[l] = find_crossing(r.curves[l].t, r.curves[l].p, r.curves[l].err,
                           {.window = window, .bootstrap_samples = 0})
                 .temperature;
    return t;
  };
  // The bootstrap: crossings per size (central window), then the fits on those.
  const Replicate measured = make_replicate(sizes, groups, nullptr);
  res.crossing = crossings(measured, o.windows.front());
  Rng rng(o.seed, 0x424f4f54ull);  // "BOOT"
  std::vector<Replicate> reps;
  std::vector<std::vector<double>> rep_cross;
  for (int64_t b = 0; b < o.replicates; ++b) {
    Replicate r = make_replicate(sizes, groups, &rng);
    try {
      rep_cross.push_back(crossings(r, o.windows.front()));
      reps.push_back(std::move(r));
    } catch (const UsageError&) {
      // A replicate whose curve does not cross 1/2 in the window is dropped.
    }
  }
  PHYSCNN_CHECK(reps.size() * 2 >= size_t(o.replicates), NumericalError,
                "analyse_finite_size: only ", reps.size(), " of ", o.replicates,
                " bootstrap replicates have a crossing at every size");
  res.replicates = int64_t(reps.size());
  res.crossing_error.resize(nL);
  for (size_t l = 0; l < nL; ++l) {
    std::vector<double> v;
    for (const auto& c : rep_cross) v.push_back(c[l]);
    res.crossing_error[l] = std::max(standard_deviation(v), 1e-6);
  }
  // The extrapolation uses the sizes L >= min_fit_size when there are two of them (all sizes
  // otherwise): at L = 16 the networks' crossings scatter 3-5x more than at 32 and 64 and lie
  // systematically below the line through the larger sizes (bench/NOTES.md, 2026-12-08).
  std::vector<size_t> fit_index;
  for (size_t l = 0; l < nL; ++l)
    if (res.sizes[l] >= o.min_fit_size) fit_index.push_back(l);
  if (fit_index.size() < 2) {
    fit_index.clear();
    for (size_t l = 0; l < nL; ++l) fit_index.push_back(l);
  }
  for (size_t l : fit_index) res.fit_sizes.push_back(res.sizes[l]);
  const auto fit_of = [&](const std::vector<double>& crossing, bool quadratic) {
    std::vector<double> t, e;
    for (size_t l : fit_index) {
      t.push_back(crossing[l]);
      e.push_back(res.crossing_error[l]);
    }
    return fit_crossings(res.fit_sizes, t, e, quadratic);
  };
  // The model: T_c + a/L. The b/L^2 term is added only when it can be tested, i.e. with >= 4
  // sizes and an improbable linear chi2 (chi2/dof > 2): with three sizes the quadratic passes
  // exactly through the points, so the noisiest size would set T_c (measured: bench/NOTES.md).
  const CrossingFit linear = fit_of(res.crossing, false);
  const bool quadratic = fit_index.size() >= 4 && linear.chi2 > 2.0 * double(linear.dof);
  res.fit = quadratic ? fit_of(res.crossing, true) : linear;
  res.tc = res.fit.critical_temperature;
  std::vector<double> tcs, nus, tcc;
  for (const auto& c : rep_cross) tcs.push_back(fit_of(c, quadratic).critical_temperature);
  // The bootstrap's standard error of a mean over K networks is sqrt((K - 1) / K) times the
  // usual one (Efron & Tibshirani, ch. 5); with K = 4 networks per size that is 13 % too small.
  size_t k_min = sizes.front().member_p.size();
  for (const auto& s : sizes) k_min = std::min(k_min, s.member_p.size());
  res.tc_statistical = standard_deviation(tcs);
  if (k_min > 1) res.tc_statistical *= std::sqrt(double(k_min) / double(k_min - 1));
  // Crossings that scatter more than their errors allow (chi2/dof > 1) widen the error by
  // sqrt(chi2/dof), the usual scale factor for inconsistent measurements.
  if (res.fit.dof > 0 && res.fit.chi2 > double(res.fit.dof))
    res.tc_statistical *= std::sqrt(res.fit.chi2 / double(res.fit.dof));
  // Fit windows: the largest shift of T_c when the crossings are fitted in another window.
  for (size_t w = 1; w < o.windows.size(); ++w) {
    try {
      const double t = fit_of(crossings(measured, o.windows[w]), quadratic).critical_temperature;
      res.tc_window = std::max(res.tc_window, std::fabs(t - res.tc));
    } catch (const UsageError&) {
      // Too few points in a narrow window: that window does not count.
    }
  }
  res.tc_error = std::hypot(res.tc_statistical, res.tc_window);
  // The collapse, around the extrapolated T_c, on the measured curves and on every replicate.
  res.collapse = fit_collapse(collapse_points(sizes, measured, res.tc, o.collapse_window), res.tc);
  for (const auto& r : reps) {
    const CollapseResult c =
        fit_collapse(collapse_points(sizes, r, res.tc, o.collapse_window), res.tc);
    nus.push_back(c.nu);
    tcc.push_back(c.critical_temperature);
  }
  res.nu = res.collapse.nu;
  res.nu_statistical = standard_deviation(nus);
  // Neighbouring pairs of sizes alone: how much nu depends on which sizes are collapsed.
  for (size_t l = 0; l + 1 < nL && nL > 2; ++l) {
    const std::vector<SizePredictions> pair{sizes[l], sizes[l + 1]};
    Replicate pm;
    pm.curves = {measured.curves[l], measured.curves[l + 1]};
    try {
      const double nu =
          fit_collapse(collapse_points(pair, pm, res.tc, o.collapse_window), res.tc).nu;
      res.nu_pairs.push_back(nu);
      res.nu_sizes = std::max(res.nu_sizes, std::fabs(nu - res.nu));
    } catch (const Error&) {
      res.nu_pairs.push_back(std::nan(""));  // a pair whose collapse does not converge
    }
  }
  res.nu_error = std::hypot(res.nu_statistical, res.nu_sizes);
  res.tc_collapse = res.collapse.critical_temperature;
  res.tc_collapse_error = standard_deviation(tcc);
  return res;
}

}  // namespace physcnn::physics::ising
