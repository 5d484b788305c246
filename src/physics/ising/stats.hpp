// Monte Carlo statistics: means with binning error bars, jackknife over bins, and the integrated
// autocorrelation time with Sokal's automatic window.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace physcnn::physics::ising {

struct Estimate {
  double mean = 0.0;
  double error = 0.0;  // one standard error
};

// Mean and standard error of a correlated series by binning (Flyvbjerg & Petersen, J. Chem.
// Phys. 91, 461 (1989)): bins of 1, 2, 4, ... samples; the error is taken at the largest bin
// size that still leaves >= min_bins bins (bins much longer than tau_int are independent, and
// min_bins = 32 keeps the error-of-the-error near 13 %). Series shorter than min_bins get the
// naive (uncorrelated) error.
Estimate binned_mean(const std::vector<double>& x, int64_t min_bins = 32);

// f of the means of several equally long series (e.g. <e> and <e^2> -> specific heat), with a
// jackknife error over `bins` contiguous bins (the same binning argument as above).
Estimate binned_jackknife(const std::vector<std::vector<double>>& series,
                          const std::function<double(const std::vector<double>&)>& f,
                          int64_t bins = 32);

struct AutocorrelationTime {
  double tau = 0.5;      // tau_int = 1/2 + sum_{t=1}^{W} rho(t), in units of the sampling step
  double error = 0.0;    // Madras-Sokal: tau * sqrt(2 (2W + 1) / n)
  int64_t window = 0;    // W
  bool reliable = true;  // false when no window W <= n/4 satisfied W >= c tau(W)
};

// Integrated autocorrelation time of independent chains of the same process (rho(t) is averaged
// over chains, centred on the common mean). Sokal's automatic windowing (A. Sokal, "Monte Carlo
// methods in statistical mechanics", Cargese lectures 1996, sec. 3): W is the smallest lag with
// W >= c * tau(W); c = 6 balances the bias of a short window against the noise of a long one for
// roughly exponential decay. A constant series has tau = 1/2.
AutocorrelationTime integrated_autocorrelation_time(const std::vector<std::vector<double>>& chains,
                                                    double c = 6.0);

}  // namespace physcnn::physics::ising
