#include "physics/nqs/cnn.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "nn/activation.hpp"
#include "nn/conv.hpp"

namespace physcnn::physics::nqs {

namespace {

constexpr int64_t kRowsPerChunk = 4096;  // network rows per forward (memory, cache)
// Batches smaller than this run on one thread: a parallel region costs more than such a batch
// (the Metropolis steps of a few chains), and far more on a loaded machine, where a
// descheduled thread holds up the region's barrier.
constexpr int64_t kSerialSites = 16384;  // rows x sites

class SerialBelow {
 public:
  explicit SerialBelow(int64_t work) : previous_(num_threads()) {
    if (work < kSerialSites) set_num_threads(1);
  }
  ~SerialBelow() { set_num_threads(previous_); }
  SerialBelow(const SerialBelow&) = delete;
  SerialBelow& operator=(const SerialBelow&) = delete;

 private:
  int previous_;
};

std::shared_ptr<nn::Module> make_activation(const std::string& name) {
  if (name == "tanh") return std::make_shared<nn::Tanh>();
  if (name == "elu") return std::make_shared<nn::ELU>();
  if (name == "gelu") return std::make_shared<nn::GELU>();
  return std::make_shared<nn::ReLU>();
}

// The point group of the torus as site permutations, the identity first: x -> +-x, y -> +-y
// and, on a square L x L, the exchange of x and y.
std::vector<std::vector<int>> point_group(const ed::Lattice& lat) {
  std::vector<std::vector<int>> out;
  const bool swap_ok = lat.is_square() && lat.lx() == lat.ly();
  for (int swap = 0; swap < (swap_ok ? 2 : 1); ++swap)
    for (int sy = 0; sy < (lat.ly() > 1 ? 2 : 1); ++sy)
      for (int sx = 0; sx < 2; ++sx) {
        std::vector<int> perm(static_cast<size_t>(lat.n_sites()));
        for (int i = 0; i < lat.n_sites(); ++i) {
          int x = sx ? -lat.x(i) : lat.x(i), y = sy ? -lat.y(i) : lat.y(i);
          if (swap) std::swap(x, y);
          perm[static_cast<size_t>(i)] = lat.site(x, y);
        }
        out.push_back(perm);
      }
  return out;
}

// An identity op that records the gradient reaching it (the per-row gradient of a layer's
// output; the caller's handle keeps the engine from reusing the buffer).
autograd::Var tap(const autograd::Var& x, Tensor* slot) {
  return autograd::make_op("nqs_tap", x.value(), {x}, [slot](autograd::Grads& g) {
    *slot = g.out.contiguous();
    if (g.needs(0)) g.in[0] = g.out;
  });
}

// Per-row gradient of a stride-1 circular convolution's weight and bias:
// dw[o, c, kk] = sum_yx g[o, yx] x[c, idx[kk][yx]], db[o] = sum_yx g[o, yx], into out with
// coefficient coef (out[k] += coef * d[k]).
void conv_row_gradient(const double* x, const double* g, int64_t c_in, int64_t c_out,
                       const std::vector<int>& idx, int64_t kk, int64_t hw, cplx coef, cplx* out,
                       std::vector<double>& col) {
  col.resize(static_cast<size_t>(hw));
  for (int64_t c = 0; c < c_in; ++c)
    for (int64_t k = 0; k < kk; ++k) {
      const int* ix = &idx[static_cast<size_t>(k * hw)];
      for (int64_t p = 0; p < hw; ++p) col[static_cast<size_t>(p)] = x[c * hw + ix[p]];
      for (int64_t o = 0; o < c_out; ++o) {
        const double* go = g + o * hw;
        double s = 0;
        for (int64_t p = 0; p < hw; ++p) s += go[p] * col[static_cast<size_t>(p)];
        out[(o * c_in + c) * kk + k] += coef * s;
      }
    }
  cplx* db = out + c_out * c_in * kk;
  for (int64_t o = 0; o < c_out; ++o) {
    double s = 0;
    for (int64_t p = 0; p < hw; ++p) s += g[o * hw + p];
    db[o] += coef * s;
  }
}

}  // namespace

const std::vector<std::string>& Cnn::activations() {
  static const std::vector<std::string> names{"tanh", "elu", "gelu", "relu"};
  return names;
}

Cnn::Cnn(const ed::Lattice& lattice, const CnnOptions& o, Rng& rng)
    : lx_(lattice.lx()),
      ly_(lattice.ly()),
      n_(lattice.n_sites()),
      marshall_(o.marshall),
      dtype_(o.dtype) {
  PHYSCNN_CHECK_ARG(o.dtype == DType::F32 || o.dtype == DType::F64,
                    "cnn dtype: float32 or float64");
  PHYSCNN_CHECK_ARG(!o.channels.empty(), "cnn channels: need at least one hidden layer");
  for (int c : o.channels)
    PHYSCNN_CHECK_ARG(c >= 1, "cnn channels: every layer needs at least 1 channel, found ", c);
  PHYSCNN_CHECK_ARG(o.kernel >= 1 && o.kernel % 2 == 1, "cnn kernel = ", o.kernel,
                    ": must be odd and positive (circular 'same' padding)");
  PHYSCNN_CHECK_ARG(o.kernel / 2 <= std::min(lx_, ly_ == 1 ? lx_ : ly_), "cnn kernel = ", o.kernel,
                    ": wider than the lattice allows (", lattice.describe(), "; at most ",
                    2 * std::min(lx_, ly_ == 1 ? lx_ : ly_) + 1, ")");
  PHYSCNN_CHECK_ARG(
      std::find(activations().begin(), activations().end(), o.activation) != activations().end(),
      "cnn activation '", o.activation, "' is unknown; the activations are: tanh, ",
      "elu, gelu, relu");
  PHYSCNN_CHECK_ARG(o.init_scale > 0 && std::isfinite(o.init_scale),
                    "cnn init_scale = ", o.init_scale, ": must be a positive number");
  PHYSCNN_CHECK_ARG(!o.marshall || lattice.bipartite(),
                    "the Marshall sign needs a bipartite lattice; ", lattice.describe(),
                    " is not (an odd side)");
  for (int i = 0; i < n_; ++i)
    if (lattice.parity(i) == 0) sublattice_a_ |= Config{1} << i;
  group_ = o.symmetrize ? point_group(lattice) : std::vector<std::vector<int>>{{}};
  if (!o.symmetrize)
    for (int i = 0; i < n_; ++i) group_[0].push_back(i);
  kh_ = ly_ == 1 ? 1 : o.kernel;
  kw_ = o.kernel;
  net_ = std::make_shared<nn::Sequential>();
  int64_t in = 1;
  std::vector<int> widths = o.channels;
  widths.push_back(2);
  for (size_t l = 0; l < widths.size(); ++l) {
    nn::Conv2dOptions c;
    c.in = in;
    c.out = widths[l];
    c.kernel = nn::Size2(kh_, kw_);
    c.padding = nn::PadSpec{kh_ / 2, kh_ / 2, kw_ / 2, kw_ / 2};
    c.padding_mode = nn::Padding::Circular;
    net_->add(std::make_shared<nn::Conv2d>(c, rng.fork(l)));
    if (l + 1 < widths.size()) net_->add(make_activation(o.activation));
    in = widths[l];
  }
  net_->to(DType::F64);
  for (const auto& p : net_->parameters()) n_params_ += p.numel();
  std::vector<cplx> theta = parameters();
  const auto params = net_->parameters();
  const int64_t last = params[params.size() - 2].numel() + params.back().numel();
  for (auto k = static_cast<size_t>(n_params_ - last); k < theta.size(); ++k)
    theta[k] *= o.init_scale;
  net_->to(dtype_);
  set_parameters(theta);
}

std::vector<cplx> Cnn::parameters() const {
  std::vector<cplx> out;
  out.reserve(static_cast<size_t>(n_params_));
  for (const auto& p : net_->parameters()) {
    const Tensor v = p.value().to(DType::F64).contiguous();
    const double* d = v.data<double>();
    for (int64_t k = 0; k < v.numel(); ++k) out.emplace_back(d[k], 0.0);
  }
  return out;
}

void Cnn::set_parameters(const std::vector<cplx>& p) {
  PHYSCNN_CHECK_ARG(static_cast<int64_t>(p.size()) == n_params_, "cnn: ", p.size(),
                    " parameters given, it has ", n_params_);
  size_t at = 0;
  for (auto& v : net_->parameters()) {
    if (v.dtype() == DType::F64) {
      double* d = v.value().data<double>();
      for (int64_t k = 0; k < v.numel(); ++k) d[k] = p[at++].real();
    } else {
      float* d = v.value().data<float>();
      for (int64_t k = 0; k < v.numel(); ++k) d[k] = static_cast<float>(p[at++].real());
    }
  }
}

Config Cnn::transform(Config s, int g) const {
  const std::vector<int>& perm = group_[static_cast<size_t>(g)];
  Config t = 0;
  for (int i = 0; i < n_; ++i)
    if (s >> i & 1) t |= Config{1} << perm[static_cast<size_t>(i)];
  return t;
}

cplx Cnn::marshall_phase(Config s) const {
  return marshall_ && (std::popcount(s & sublattice_a_) & 1) ? cplx(0, std::acos(-1.0)) : 0.0;
}

void Cnn::heads(const Config* s, int64_t n, double* out) const {
  autograd::NoGradGuard no_grad;
  const SerialBelow serial(n * n_);
  for (int64_t lo = 0; lo < n; lo += kRowsPerChunk) {
    const int64_t rows = std::min(kRowsPerChunk, n - lo);
    Tensor x = Tensor::empty(Shape{rows, 1, ly_, lx_}, DType::F64);
    double* xd = x.data<double>();
    for (int64_t r = 0; r < rows; ++r)
      for (int i = 0; i < n_; ++i) xd[r * n_ + i] = (s[lo + r] >> i & 1) ? 1.0 : -1.0;
    const Tensor y = (*net_)(autograd::Var(x.to(dtype_))).value().to(DType::F64).contiguous();
    const double* yd = y.data<double>();
    for (int64_t r = 0; r < rows; ++r)
      for (int c = 0; c < 2; ++c) {
        double sum = 0;
        for (int i = 0; i < n_; ++i) sum += yd[(r * 2 + c) * n_ + i];
        out[(lo + r) * 2 + c] = sum;
      }
  }
}

void Cnn::log_psi_batch(const Config* s, int64_t n, cplx* out) const {
  const int g_count = group_size();
  std::vector<Config> rows(static_cast<size_t>(n * g_count));
  for (int64_t i = 0; i < n; ++i)
    for (int g = 0; g < g_count; ++g)
      rows[static_cast<size_t>(i * g_count + g)] = transform(s[i], g);
  std::vector<double> h(rows.size() * 2);
  heads(rows.data(), static_cast<int64_t>(rows.size()), h.data());
  for (int64_t i = 0; i < n; ++i) {
    double top = -INFINITY;
    for (int g = 0; g < g_count; ++g)
      top = std::max(top, h[static_cast<size_t>(i * g_count + g) * 2]);
    cplx sum = 0;
    for (int g = 0; g < g_count; ++g) {
      const size_t r = static_cast<size_t>(i * g_count + g) * 2;
      sum += std::exp(cplx(h[r] - top, h[r + 1]));
    }
    out[i] = top + std::log(sum / double(g_count)) + marshall_phase(s[i]);
  }
}

void Cnn::log_derivatives_batch(const Config* s, int64_t n, cplx* value, cplx* o) const {
  const int64_t gc = group_size();
  const int64_t p = n_params_, hw = n_;
  const int64_t per_chunk = std::max<int64_t>(1, kRowsPerChunk / (2 * gc));
  // The index table of the circular correlation: idx[kk][yx] = input site read by kernel
  // offset kk at output site yx.
  const int64_t kk = int64_t{kh_} * kw_;
  std::vector<int> idx(static_cast<size_t>(kk * hw));
  for (int a = 0; a < kh_; ++a)
    for (int b = 0; b < kw_; ++b)
      for (int y = 0; y < ly_; ++y)
        for (int x = 0; x < lx_; ++x) {
          const int yy = ((y + a - kh_ / 2) % ly_ + ly_) % ly_;
          const int xx = ((x + b - kw_ / 2) % lx_ + lx_) % lx_;
          idx[static_cast<size_t>((a * kw_ + b) * hw + y * lx_ + x)] = yy * lx_ + xx;
        }
  std::fill(o, o + n * p, cplx(0));
  for (int64_t lo = 0; lo < n; lo += per_chunk) {
    const int64_t b = std::min(per_chunk, n - lo), half = gc * b, rows = 2 * half;
    const SerialBelow serial(rows * n_);
    // Row head * half + i * gc + g: sample lo + i under group element g, head 0 or 1.
    Tensor x = Tensor::empty(Shape{rows, 1, ly_, lx_}, DType::F64);
    double* xd = x.data<double>();
    for (int64_t i = 0; i < b; ++i)
      for (int64_t g = 0; g < gc; ++g) {
        const Config t = transform(s[lo + i], static_cast<int>(g));
        for (int64_t head = 0; head < 2; ++head)
          for (int j = 0; j < n_; ++j)
            xd[(head * half + i * gc + g) * n_ + j] = (t >> j & 1) ? 1.0 : -1.0;
      }
    std::vector<Tensor> inputs, grads(net_->size());
    std::vector<nn::Conv2d*> convs;
    autograd::Var h(x.to(dtype_));
    for (size_t l = 0; l < net_->size(); ++l) {
      auto* conv = dynamic_cast<nn::Conv2d*>((*net_)[l].get());
      if (conv) {
        inputs.push_back(h.value().to(DType::F64).contiguous());
        convs.push_back(conv);
        h = tap((*conv)(h), &grads[convs.size() - 1]);
      } else {
        h = (*(*net_)[l])(h);
      }
    }
    const Tensor y = h.value().to(DType::F64).contiguous();
    Tensor seed = Tensor::zeros(y.shape(), DType::F64);
    double* sd = seed.data<double>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < hw; ++j) sd[(r * 2 + (r < half ? 0 : 1)) * hw + j] = 1.0;
    h.backward(seed.to(dtype_));
    net_->zero_grad();
    for (Tensor& g : grads)
      if (g.defined()) g = g.to(DType::F64).contiguous();
    // Group weights w_g = phi(g s) / sum_g' phi(g' s) and the values.
    const double* yd = y.data<double>();
    std::vector<cplx> w(static_cast<size_t>(half));
    for (int64_t i = 0; i < b; ++i) {
      std::vector<cplx> logs(static_cast<size_t>(gc));
      double top = -INFINITY;
      for (int64_t g = 0; g < gc; ++g) {
        double a = 0, ph = 0;
        const int64_t r = i * gc + g;
        for (int64_t j = 0; j < hw; ++j) {
          a += yd[(r * 2) * hw + j];
          ph += yd[(r * 2 + 1) * hw + j];
        }
        logs[static_cast<size_t>(g)] = {a, ph};
        top = std::max(top, a);
      }
      cplx sum = 0;
      for (const cplx& l : logs) sum += std::exp(l - top);
      for (int64_t g = 0; g < gc; ++g)
        w[static_cast<size_t>(i * gc + g)] = std::exp(logs[static_cast<size_t>(g)] - top) / sum;
      value[lo + i] = top + std::log(sum / double(gc)) + marshall_phase(s[lo + i]);
    }
    // O_k(s) = sum_g w_g (dA(g s)/dtheta_k + i dphi(g s)/dtheta_k), layer by layer.
    parallel_for(0, b, 8, [&](int64_t ilo, int64_t ihi) {
      std::vector<double> col;
      for (int64_t i = ilo; i < ihi; ++i) {
        cplx* oi = o + (lo + i) * p;
        int64_t offset = 0;
        for (size_t l = 0; l < convs.size(); ++l) {
          const int64_t ci = inputs[l].size(1), co = grads[l].size(1);
          const double* xl = inputs[l].data<double>();
          const double* gl = grads[l].data<double>();
          for (int64_t head = 0; head < 2; ++head)
            for (int64_t g = 0; g < gc; ++g) {
              const int64_t r = head * half + i * gc + g;
              const cplx coef = w[static_cast<size_t>(i * gc + g)] * (head ? cplx(0, 1) : 1.0);
              conv_row_gradient(xl + r * ci * hw, gl + r * co * hw, ci, co, idx, kk, hw, coef,
                                oi + offset, col);
            }
          offset += co * ci * kk + co;
        }
      }
    });
  }
}

}  // namespace physcnn::physics::nqs
