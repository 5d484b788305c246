// Binning, jackknife and Sokal-windowed autocorrelation times.
#include "physics/ising/stats.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace physcnn::physics::ising {

namespace {
double mean_of(const std::vector<double>& x, size_t begin, size_t end) {
  double s = 0.0;
  for (size_t i = begin; i < end; ++i) s += x[i];
  return s / double(end - begin);
}

Estimate naive_mean(const std::vector<double>& x) {
  const double m = mean_of(x, 0, x.size());
  if (x.size() < 2) return {m, 0.0};
  double v = 0.0;
  for (double xi : x) v += (xi - m) * (xi - m);
  return {m, std::sqrt(v / double(x.size() - 1) / double(x.size()))};
}
}  // namespace

Estimate binned_mean(const std::vector<double>& x, int64_t min_bins) {
  PHYSCNN_CHECK_ARG(!x.empty(), "binned_mean: empty series");
  PHYSCNN_CHECK_ARG(min_bins >= 2, "binned_mean: min_bins must be >= 2, got ", min_bins);
  const int64_t n = int64_t(x.size());
  if (n < min_bins) return naive_mean(x);
  int64_t bin = 1;
  while (n / (bin * 2) >= min_bins) bin *= 2;
  const int64_t bins = n / bin;
  std::vector<double> means(static_cast<size_t>(bins));
  for (int64_t b = 0; b < bins; ++b)
    means[size_t(b)] = mean_of(x, size_t(b * bin), size_t((b + 1) * bin));
  Estimate e = naive_mean(means);
  e.mean = mean_of(x, 0, x.size());  // use every sample for the mean, bins only for the error
  return e;
}

Estimate binned_jackknife(const std::vector<std::vector<double>>& series,
                          const std::function<double(const std::vector<double>&)>& f,
                          int64_t bins) {
  PHYSCNN_CHECK_ARG(!series.empty(), "binned_jackknife: no series");
  const size_t n = series[0].size();
  for (const auto& s : series) {
    PHYSCNN_CHECK_ARG(s.size() == n, "binned_jackknife: series lengths differ (", s.size(), " vs ",
                      n, ")");
  }
  PHYSCNN_CHECK_ARG(bins >= 2 && int64_t(n) >= bins, "binned_jackknife: need >= ", bins,
                    " samples for ", bins, " bins, got ", n);
  const size_t k = series.size(), bin = n / size_t(bins), used = bin * size_t(bins);
  std::vector<std::vector<double>> bin_sum(k, std::vector<double>(size_t(bins)));
  std::vector<double> total(k, 0.0), full(k);
  for (size_t s = 0; s < k; ++s) {
    for (size_t b = 0; b < size_t(bins); ++b) {
      double acc = 0.0;
      for (size_t i = b * bin; i < (b + 1) * bin; ++i) acc += series[s][i];
      bin_sum[s][b] = acc;
      total[s] += acc;
    }
    full[s] = total[s] / double(used);
  }
  const double f_full = f(full);
  std::vector<double> leave_out(k);
  double sum = 0.0, sum2 = 0.0;
  for (size_t b = 0; b < size_t(bins); ++b) {
    for (size_t s = 0; s < k; ++s) leave_out[s] = (total[s] - bin_sum[s][b]) / double(used - bin);
    const double fb = f(leave_out);
    sum += fb;
    sum2 += fb * fb;
  }
  const double nb = double(bins), mean_b = sum / nb;
  const double var = std::max(0.0, (nb - 1.0) / nb * (sum2 - nb * mean_b * mean_b));
  return {f_full, std::sqrt(var)};
}

AutocorrelationTime integrated_autocorrelation_time(const std::vector<std::vector<double>>& chains,
                                                    double c) {
  PHYSCNN_CHECK_ARG(!chains.empty() && chains[0].size() >= 8,
                    "integrated_autocorrelation_time: need >= 1 chain of >= 8 samples");
  PHYSCNN_CHECK_ARG(c > 0.0, "integrated_autocorrelation_time: window factor c must be > 0, got ",
                    c);
  const size_t n = chains[0].size();
  double mu = 0.0;
  for (const auto& ch : chains) {
    PHYSCNN_CHECK_ARG(ch.size() == n, "integrated_autocorrelation_time: chain lengths differ (",
                      ch.size(), " vs ", n, ")");
    mu += mean_of(ch, 0, n);
  }
  mu /= double(chains.size());
  // Autocovariance at lag t, averaged over chains (normalised per pair, as in Sokal eq. 3.18).
  auto cov = [&](size_t t) {
    double s = 0.0;
    for (const auto& ch : chains) {
      for (size_t i = 0; i + t < n; ++i) s += (ch[i] - mu) * (ch[i + t] - mu);
    }
    return s / double(chains.size() * (n - t));
  };
  const double c0 = cov(0);
  AutocorrelationTime result;
  if (!(c0 > 1e-300)) return result;  // constant series: no correlation to speak of
  double tau = 0.5;
  const size_t max_window = n / 4;
  for (size_t w = 1; w <= max_window; ++w) {
    tau += cov(w) / c0;
    if (double(w) >= c * tau) {
      result.tau = std::max(tau, 0.5);
      result.window = int64_t(w);
      result.error =
          result.tau * std::sqrt(2.0 * (2.0 * double(w) + 1.0) / double(n * chains.size()));
      return result;
    }
  }
  result.tau = std::max(tau, 0.5);
  result.window = int64_t(max_window);
  result.error =
      result.tau * std::sqrt(2.0 * (2.0 * double(max_window) + 1.0) / double(n * chains.size()));
  result.reliable = false;
  return result;
}

}  // namespace physcnn::physics::ising
