// The convolutional wavefunction of Choo, Neupert & Carleo (PRB 100, 125124, 2019), built from
// the project's nn layers and autograd engine: the spins (+-1) as a one-channel image of the
// lattice, convolutions with circular padding (the torus) and an activation, a last
// convolution to two channels, and a sum over the sites:
//   log psi(s) = sum_r out_0(s)_r + i sum_r out_1(s)_r   [+ i pi N_A(s), the Marshall sign].
// Channel 0 is the log-amplitude head, channel 1 the phase head; the parameters are real.
// Circular padding, stride 1 and the site sum make psi exactly invariant under the lattice
// translations. With `symmetrize`, psi is averaged over the point group G of the lattice (the
// 8 rotations and reflections of a square L x L torus, 4 on an Lx x Ly torus, 2 on a chain):
//   psi(s) = (1/|G|) sum_g phi(g s),
// which projects on the fully symmetric representation (translations x point group).
//
// Per-sample derivatives (the batched Jacobian). One forward runs the batch twice (rows for the
// amplitude head and rows for the phase head) and one backward is seeded with 1 on the sites
// of the row's head. Because the samples of a batch do not interact, the gradient that reaches
// the output of a convolution in row r is d(head_r)/d(output_r) alone; an identity op on each
// convolution's output (a "tap") records it. The per-sample weight gradient of that layer is
// then the correlation of the row's recorded input with that gradient,
//   dW[o,c,kh,kw] = sum_yx g[o,y,x] x[c, y+kh-p, x+kw-p] (circular),  db[o] = sum_yx g[o,y,x],
// computed row by row. So one forward and one backward give every sample's O_k, where a
// backward per sample would cost a batch's worth of passes each.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "nn/container.hpp"
#include "physics/nqs/wavefunction.hpp"

namespace physcnn::physics::nqs {

struct CnnOptions {
  std::vector<int> channels{8, 8};  // hidden convolutions (at least one)
  int kernel = 3;                   // odd; along a chain the kernel is 1 x kernel
  std::string activation = "tanh";  // tanh, elu, gelu, relu
  bool marshall = true;
  bool symmetrize = false;
  double init_scale = 0.01;  // the last convolution's initial weights are scaled by it
  // The network's arithmetic: float32 runs the fast convolution kernels, float64 the
  // reference ones (for the finite-difference checks). Sums over sites, the group average and
  // the per-sample derivatives are accumulated in double either way.
  DType dtype = DType::F32;
};

class Cnn : public Wavefunction {
 public:
  // Throws UsageError for an empty or non-positive channel list, an even or too-large kernel,
  // an unknown activation, a non-positive init_scale, or the Marshall sign on a lattice that
  // is not bipartite.
  Cnn(const ed::Lattice& lattice, const CnnOptions& o, Rng& rng);

  int64_t n_params() const override { return n_params_; }
  bool holomorphic() const override { return false; }
  std::vector<cplx> parameters() const override;
  void set_parameters(const std::vector<cplx>& p) override;
  void log_psi_batch(const Config* s, int64_t n, cplx* out) const override;
  void log_derivatives_batch(const Config* s, int64_t n, cplx* value, cplx* o) const override;

  int group_size() const { return static_cast<int>(group_.size()); }
  // The site permutation of point-group element g: site i goes to group_perm(g)[i].
  const std::vector<int>& group_perm(int g) const { return group_[static_cast<size_t>(g)]; }
  nn::Sequential& network() { return *net_; }
  static const std::vector<std::string>& activations();

 private:
  // Network output heads (rows x 2) for the configurations, no graph.
  void heads(const Config* s, int64_t n, double* out) const;
  Config transform(Config s, int g) const;
  cplx marshall_phase(Config s) const;

  int lx_, ly_, n_;
  int kh_, kw_;
  bool marshall_;
  Config sublattice_a_ = 0;
  std::vector<std::vector<int>> group_;  // identity only unless symmetrize
  std::shared_ptr<nn::Sequential> net_;
  int64_t n_params_ = 0;
  DType dtype_;
};

}  // namespace physcnn::physics::nqs
