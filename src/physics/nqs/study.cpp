// Running a `physcnn nqs` study: SR iterations, checkpoints, the final estimate and ED.
#include "physics/nqs/study.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <sstream>

#include "core/error.hpp"
#include "dist/comm.hpp"
#include "io/atomic_file.hpp"
#include "optim/adam.hpp"
#include "physics/ed/ground_state.hpp"
#include "physics/nqs/cnn.hpp"
#include "physics/nqs/rbm.hpp"
#include "physics/nqs/vmc.hpp"

namespace physcnn::physics::nqs {

namespace {

std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

// Checkpoint: a text file of hex floats, so a resumed run continues bit for bit.
void save_checkpoint(const std::string& path, int iteration, const Wavefunction& psi,
                     const MetropolisSampler& sampler, const std::vector<IterationRecord>& h,
                     const optim::Optimizer* opt) {
  const auto configs = sampler.configs();  // every rank's chains (a collective under mpirun)
  const auto rngs = sampler.rng_states();
  if (!dist::Comm::world().is_root()) return;
  io::write_file_atomic(path, [&](std::ostream& os) {
    os << "physcnn-nqs-checkpoint 2\niteration " << iteration << "\nparams " << psi.n_params()
       << "\n";
    for (const cplx& p : psi.parameters()) os << hex(p.real()) << " " << hex(p.imag()) << "\n";
    os << "chains " << rngs.size() << "\n";
    for (size_t c = 0; c < rngs.size(); ++c)
      os << configs[c] << " " << rngs[c].seed << " " << rngs[c].stream << " " << rngs[c].counter
         << "\n";
    os << "history " << h.size() << "\n";
    for (const auto& r : h)
      os << r.iteration << " " << hex(r.energy) << " " << hex(r.error) << " " << hex(r.variance)
         << " " << hex(r.acceptance) << " " << hex(r.seconds) << "\n";
    // The optimizer's state (Adam's moments and step), empty for SR.
    const optim::State st = opt ? opt->state() : optim::State{};
    os << "optimizer_tensors " << st.tensors.size() << "\n";
    for (const auto& [name, t] : st.tensors) {
      const Tensor c = t.contiguous();
      os << name << " " << c.numel();
      for (int64_t k = 0; k < c.numel(); ++k) os << " " << hex(c.data<double>()[k]);
      os << "\n";
    }
    os << "optimizer_scalars " << st.scalars.size() << "\n";
    for (const auto& [name, v] : st.scalars) os << name << " " << hex(v) << "\n";
  });
}

double read_hex(std::istream& is, const std::string& path) {
  std::string t;
  is >> t;
  PHYSCNN_CHECK(!t.empty(), IoError, path, ": checkpoint ends early");
  try {
    return std::stod(t);
  } catch (const std::exception&) {
    throw IoError(path + ": checkpoint holds '" + t + "' where a number belongs");
  }
}

int load_checkpoint(const std::string& path, Wavefunction& psi, MetropolisSampler& sampler,
                    std::vector<IterationRecord>& h, optim::Optimizer* opt) {
  std::ifstream is(path);
  PHYSCNN_CHECK(is.good(), IoError, path, ": no checkpoint to resume from");
  std::string word, version;
  int iteration = 0;
  int64_t n = 0;
  is >> word >> version;
  PHYSCNN_CHECK(word == "physcnn-nqs-checkpoint" && (version == "1" || version == "2"), IoError,
                path, ": not a physcnn nqs checkpoint");
  is >> word >> iteration >> word >> n;
  PHYSCNN_CHECK(is.good() && n == psi.n_params(), UsageError, path, ": the checkpoint has ", n,
                " parameters, the study file's ansatz ", psi.n_params(),
                " (was the file changed?)");
  std::vector<cplx> params(static_cast<size_t>(n));
  for (cplx& p : params) {
    const double re = read_hex(is, path);
    p = {re, read_hex(is, path)};
  }
  psi.set_parameters(params);
  size_t chains = 0;
  is >> word >> chains;
  PHYSCNN_CHECK(is.good() && chains == size_t(sampler.chains()), UsageError, path,
                ": the checkpoint has ", chains, " chains, the study file ", sampler.chains());
  std::vector<Config> configs(chains);
  std::vector<Rng::State> rngs(chains);
  for (size_t c = 0; c < chains; ++c)
    is >> configs[c] >> rngs[c].seed >> rngs[c].stream >> rngs[c].counter;
  sampler.set_state(configs, rngs);
  size_t records = 0;
  is >> word >> records;
  PHYSCNN_CHECK(is.good() && records <= 10000000, IoError, path, ": bad history length");
  h.resize(records);
  for (auto& r : h) {
    is >> r.iteration;
    r.energy = read_hex(is, path);
    r.error = read_hex(is, path);
    r.variance = read_hex(is, path);
    r.acceptance = read_hex(is, path);
    r.seconds = read_hex(is, path);
  }
  optim::State st;
  if (version == "2") {
    size_t count = 0;
    is >> word >> count;
    PHYSCNN_CHECK(is.good() && word == "optimizer_tensors" && count < 100, IoError, path,
                  ": bad optimizer section");
    for (size_t i = 0; i < count; ++i) {
      std::string name;
      int64_t numel = 0;
      is >> name >> numel;
      PHYSCNN_CHECK(is.good() && numel >= 0 && numel < (int64_t{1} << 31), IoError, path,
                    ": bad optimizer tensor ", name);
      std::vector<double> v(static_cast<size_t>(numel));
      for (double& x : v) x = read_hex(is, path);
      st.tensors[name] = Tensor::from_vector(v, Shape{numel});
    }
    is >> word >> count;
    PHYSCNN_CHECK(is.good() && word == "optimizer_scalars" && count < 100, IoError, path,
                  ": bad optimizer section");
    for (size_t i = 0; i < count; ++i) {
      std::string name;
      is >> name;
      st.scalars[name] = read_hex(is, path);
    }
  }
  PHYSCNN_CHECK(!opt || !st.scalars.empty() || iteration == 0, UsageError, path,
                ": the checkpoint has no Adam state (was the optimizer changed?)");
  if (opt && !st.scalars.empty()) opt->load_state(st);
  return iteration;
}

void write_history(const std::string& path, const std::vector<IterationRecord>& h, int n) {
  io::write_file_atomic(path, [&](std::ostream& os) {
    os << "iteration,energy_per_site,error_per_site,variance,acceptance,seconds\n";
    char buf[256];
    for (const auto& r : h) {
      std::snprintf(buf, sizeof buf, "%d,%.12g,%.6g,%.6g,%.4f,%.3f\n", r.iteration, r.energy / n,
                    r.error / n, r.variance, r.acceptance, r.seconds);
      os << buf;
    }
  });
}

// (1/N) |sum_i e^(i q.r_i) S^z_i|^2 at q = (pi, pi) (pi on a chain), per configuration.
double s_pipi_of(const ed::Lattice& lat, Config s) {
  double m = 0;
  for (int i = 0; i < lat.n_sites(); ++i)
    m += ((s >> i & 1) ? 0.5 : -0.5) * (lat.parity(i) ? -1.0 : 1.0);
  return m * m / lat.n_sites();
}

std::unique_ptr<Wavefunction> make_ansatz(const NqsSpec& spec, const ed::Lattice& lat, Rng& init,
                                          std::string& name) {
  if (spec.ansatz == "cnn") {
    CnnOptions o;
    o.channels = spec.channels;
    o.kernel = spec.kernel;
    o.activation = spec.activation;
    o.marshall = spec.marshall;
    o.symmetrize = spec.symmetric;
    o.init_scale = spec.init_scale;
    std::string widths;
    for (int c : spec.channels) widths += (widths.empty() ? "" : "-") + std::to_string(c);
    name = "cnn " + widths + " kernel " + std::to_string(spec.kernel) + " " + spec.activation +
           (spec.symmetric ? ", point-group average" : "");
    return std::make_unique<Cnn>(lat, o, init);
  }
  name =
      std::string(spec.symmetric ? "symmetric " : "") + "rbm alpha " + std::to_string(spec.alpha);
  return std::make_unique<Rbm>(lat, spec.alpha, spec.marshall, spec.init_scale, init,
                               spec.symmetric);
}

// The final estimate for the report page (report/nqs_report): numbers, null when unknown.
void write_result(const std::string& path, const NqsResult& r) {
  auto num = [](double v) {
    if (!std::isfinite(v)) return std::string("null");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.12g", v);
    return std::string(buf);
  };
  std::string ansatz;
  for (char c : r.ansatz)
    if (c != '"' && c != '\\') ansatz += c;
  io::write_file_atomic(path, [&](std::ostream& os) {
    os << "{\n  \"ansatz\": \"" << ansatz << "\",\n  \"parameters\": " << r.n_params
       << ",\n  \"energy_per_site\": " << num(r.energy_per_site)
       << ",\n  \"error_per_site\": " << num(r.error_per_site)
       << ",\n  \"exact_per_site\": " << num(r.exact_per_site) << ",\n  \"exact_source\": \""
       << (r.exact_from_ed ? "exact (ED)" : "reference")
       << "\",\n  \"relative_error\": " << num(r.relative_error)
       << ",\n  \"variance\": " << num(r.variance) << ",\n  \"acceptance\": " << num(r.acceptance)
       << ",\n  \"autocorrelation_sweeps\": " << num(r.tau) << ",\n  \"s_pipi\": " << num(r.s_pipi)
       << ",\n  \"s_pipi_exact\": " << num(r.s_pipi_exact) << ",\n  \"seconds\": " << num(r.seconds)
       << "\n}\n";
  });
}

// Constant, or exponential decay from learning_rate to final_learning_rate.
double learning_rate_at(const NqsSpec& spec, int it) {
  if (std::isnan(spec.final_learning_rate) || spec.iterations < 2) return spec.learning_rate;
  const double f = double(it) / double(spec.iterations - 1);
  return spec.learning_rate * std::pow(spec.final_learning_rate / spec.learning_rate, f);
}

}  // namespace

NqsResult run_nqs(const NqsSpec& spec, const std::string& out_dir, bool resume,
                  const std::function<void(const IterationRecord&)>& progress,
                  const std::function<bool()>& stop) {
  const int ly =
      spec.lattice == "square" ? (spec.ly > 0 ? spec.ly : spec.lx) : std::max(1, spec.ly);
  const ed::Lattice lat(spec.lattice, spec.lx, ly);
  const ed::SpinHamiltonian h(lat, spec.couplings);
  const int n = lat.n_sites();
  Rng init(spec.seed, 1);
  NqsResult r;
  std::unique_ptr<Wavefunction> owned = make_ansatz(spec, lat, init, r.ansatz);
  Wavefunction& psi = *owned;
  // Under mpirun each rank runs its block of the chains; the moments are summed over the ranks
  // and rank 0 alone writes (docs/mpi.md).
  const dist::Comm& world = dist::Comm::world();
  MetropolisSampler sampler(lat, h.conserves_sz(), spec.chains, spec.seed,
                            spec.exact ? nullptr : &world);
  r.n_params = psi.n_params();
  // Adam works on the real parameters: theta itself, or (Re theta, Im theta) for the RBM.
  const bool adam = spec.optimizer == "adam";
  const int64_t n_real = psi.holomorphic() ? 2 * psi.n_params() : psi.n_params();
  autograd::Var theta(Tensor::zeros(Shape{n_real}, DType::F64), true);
  std::unique_ptr<optim::Adam> opt;
  if (adam) {
    optim::AdamOptions ao;
    ao.lr = spec.learning_rate;
    ao.betas = {spec.beta1, spec.beta2};
    ao.eps = spec.eps;
    opt = std::make_unique<optim::Adam>(optim::NamedParams{{"theta", theta}}, ao);
  }
  const bool direct = spec.solver == "direct" || (spec.solver == "auto" && psi.n_params() <= 500);
  std::filesystem::create_directories(out_dir);
  const std::string ckpt = out_dir + "/checkpoint.txt";
  int start = 0;
  if (resume) start = load_checkpoint(ckpt, psi, sampler, r.history, opt.get());

  const auto t0 = std::chrono::steady_clock::now();
  const double base = r.history.empty() ? 0.0 : r.history.back().seconds;
  auto draw = [&](int per_chain, int burn_in) {
    return spec.exact ? exact_ensemble(h, psi) : sampler.sample(psi, per_chain, burn_in);
  };
  int it = start;
  for (; it < spec.iterations; ++it) {
    const Ensemble e = draw(spec.samples, it == 0 ? 10 * spec.burn_in : spec.burn_in);
    const Moments m = moments(h, psi, e, !adam && direct, !adam && !direct);
    IterationRecord rec;
    rec.iteration = it + 1;
    rec.energy = m.energy;
    rec.variance = m.variance;
    rec.acceptance = m.acceptance;
    rec.error = spec.exact ? 0.0 : estimate(m.local_energy, m.n_chains).error;
    PHYSCNN_CHECK(std::isfinite(m.energy), NumericalError, "iteration ", it + 1,
                  ": the energy is not finite; lower the learning rate");
    const double lr = learning_rate_at(spec, it);
    std::vector<cplx> p = psi.parameters();
    if (adam) {
      // dE/dRe theta = 2 Re F (and dE/dIm theta = 2 Im F for holomorphic parameters).
      std::vector<double> flat(static_cast<size_t>(n_real)), grad(flat.size());
      for (size_t k = 0; k < p.size(); ++k) {
        flat[k] = p[k].real();
        grad[k] = 2 * m.force[k].real();
        if (psi.holomorphic()) {
          flat[p.size() + k] = p[k].imag();
          grad[p.size() + k] = 2 * m.force[k].imag();
        }
      }
      theta.value() = Tensor::from_vector(flat, Shape{n_real});
      theta.grad() = Tensor::from_vector(grad, Shape{n_real});
      opt->set_lr(lr);
      opt->step();
      const double* t = theta.value().data<double>();
      for (size_t k = 0; k < p.size(); ++k)
        p[k] = {t[k], psi.holomorphic() ? t[p.size() + k] : 0.0};
    } else {
      const std::vector<cplx> d =
          direct ? sr_direction(m, spec.diag_shift) : sr_direction_cg(m, spec.diag_shift);
      for (size_t k = 0; k < d.size(); ++k) p[k] -= lr * d[k];
    }
    psi.set_parameters(p);
    rec.seconds =
        base + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.history.push_back(rec);
    if (progress) progress(rec);
    double stop_here[1] = {stop && stop() ? 1.0 : 0.0};
    world.allreduce_max(stop_here);  // every rank stops after the same iteration
    const bool stopping = stop_here[0] > 0;
    if ((it + 1) % spec.checkpoint_every == 0 || it + 1 == spec.iterations || stopping) {
      save_checkpoint(ckpt, it + 1, psi, sampler, r.history, opt.get());
      if (world.is_root()) write_history(out_dir + "/energy.csv", r.history, n);
    }
    if (stopping) {
      r.stopped = it + 1 < spec.iterations;
      ++it;
      break;
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (r.stopped) return r;  // the final estimate belongs to a finished run

  // The final estimate from a longer run of the chains (a copy: the checkpoint stays valid).
  MetropolisSampler eval = sampler;
  const Ensemble e =
      spec.exact ? exact_ensemble(h, psi) : eval.sample(psi, spec.eval_samples, spec.burn_in);
  const Moments m = moments(h, psi, e, false);
  const Estimate est = estimate(m.local_energy, m.n_chains);
  r.energy_per_site = m.energy / n;
  r.error_per_site = spec.exact ? 0.0 : est.error / n;
  r.variance = m.variance;
  r.acceptance = m.acceptance;
  r.tau = est.tau;
  for (size_t i = 0; i < e.configs.size(); ++i)
    r.s_pipi += e.weights[i] * s_pipi_of(lat, e.configs[i]);
  if (e.ranks) dist::allreduce_sum_identical(*e.ranks, std::span(&r.s_pipi, 1));
  r.exact_per_site = r.relative_error = r.s_pipi_exact = NAN;
  if (ed::estimated_states(lat, h.conserves_sz()) <= 2e5) {
    const ed::EdResult x = ed::ground_state(h);
    r.exact_per_site = x.energy_per_site;
    r.exact_from_ed = true;
    r.relative_error = std::fabs((r.energy_per_site - r.exact_per_site) / r.exact_per_site);
    r.s_pipi_exact = ed::structure_factor(lat, x.correlation, std::acos(-1.0),
                                          lat.is_square() ? std::acos(-1.0) : 0.0);
  }
  if (!r.exact_from_ed && std::isfinite(spec.reference)) {
    r.exact_per_site = spec.reference;
    r.relative_error = std::fabs((r.energy_per_site - r.exact_per_site) / r.exact_per_site);
  }
  if (world.is_root()) write_result(out_dir + "/result.json", r);
  return r;
}

}  // namespace physcnn::physics::nqs
