// The Lanczos method for the lowest eigenpair of a large real symmetric matrix given only as a
// product y = H x. While the Krylov vectors fit in memory they are all kept and every new one is
// orthogonalised against them twice (full reorthogonalisation); past that, the three-term
// recursion runs without it and the eigenvector comes from a second pass that regenerates the
// same vectors (ghost copies of converged eigenvalues do not change the lowest one).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace physcnn::physics::ed {

using MatVec = std::function<void(const double* x, double* y)>;

struct LanczosOptions {
  int max_iterations = 500;
  double tolerance = 1e-10;   // stop when the Ritz residual |H x - E x| < tolerance * max(1,|E|)
  double memory_bytes = 2e9;  // budget for kept Krylov vectors (full reorthogonalisation)
  uint64_t seed = 1;          // of the random start vector
};

struct LanczosResult {
  double eigenvalue = 0;
  std::vector<double> vector;  // normalised
  int iterations = 0;
  double residual = 0;  // |H x - E x|, measured on the returned vector
  bool full_reorthogonalisation = false;
};

// Throws NumericalError if the residual stays above the tolerance after max_iterations.
LanczosResult lanczos_ground_state(int64_t dim, const MatVec& matvec, const LanczosOptions& o = {});

// The lowest eigenvalue of the symmetric tridiagonal matrix with diagonal a and off-diagonal b
// (b[i] couples i and i+1) by Sturm bisection, and its normalised eigenvector by inverse
// iteration.
double tridiagonal_lowest(const std::vector<double>& a, const std::vector<double>& b,
                          std::vector<double>* vector);

}  // namespace physcnn::physics::ed
