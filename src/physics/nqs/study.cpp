// Running a `physcnn nqs` study: SR iterations, checkpoints, the final estimate and ED.
#include "physics/nqs/study.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>

#include "core/error.hpp"
#include "dist/comm.hpp"
#include "io/atomic_file.hpp"
#include "physics/ed/ground_state.hpp"
#include "physics/nqs/vmc.hpp"

namespace physcnn::physics::nqs {

namespace {

std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

// Checkpoint: a text file of hex floats, so a resumed run continues bit for bit.
void save_checkpoint(const std::string& path, int iteration, const Rbm& psi,
                     const MetropolisSampler& sampler, const std::vector<IterationRecord>& h) {
  const auto configs = sampler.configs();  // every rank's chains (a collective under mpirun)
  const auto rngs = sampler.rng_states();
  if (!dist::Comm::world().is_root()) return;
  io::write_file_atomic(path, [&](std::ostream& os) {
    os << "physcnn-nqs-checkpoint 1\niteration " << iteration << "\nparams " << psi.n_params()
       << "\n";
    for (const cplx& p : psi.params()) os << hex(p.real()) << " " << hex(p.imag()) << "\n";
    os << "chains " << rngs.size() << "\n";
    for (size_t c = 0; c < rngs.size(); ++c)
      os << configs[c] << " " << rngs[c].seed << " " << rngs[c].stream << " " << rngs[c].counter
         << "\n";
    os << "history " << h.size() << "\n";
    for (const auto& r : h)
      os << r.iteration << " " << hex(r.energy) << " " << hex(r.error) << " " << hex(r.variance)
         << " " << hex(r.acceptance) << " " << hex(r.seconds) << "\n";
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

int load_checkpoint(const std::string& path, Rbm& psi, MetropolisSampler& sampler,
                    std::vector<IterationRecord>& h) {
  std::ifstream is(path);
  PHYSCNN_CHECK(is.good(), IoError, path, ": no checkpoint to resume from");
  std::string word, version;
  int iteration = 0;
  int64_t n = 0;
  is >> word >> version;
  PHYSCNN_CHECK(word == "physcnn-nqs-checkpoint" && version == "1", IoError, path,
                ": not a physcnn nqs checkpoint");
  is >> word >> iteration >> word >> n;
  PHYSCNN_CHECK(is.good() && n == psi.n_params(), UsageError, path, ": the checkpoint has ", n,
                " parameters, the study file's ansatz ", psi.n_params(),
                " (was the file changed?)");
  for (cplx& p : psi.params()) {
    const double re = read_hex(is, path);
    p = {re, read_hex(is, path)};
  }
  size_t chains = 0;
  is >> word >> chains;
  const size_t expected = sampler.configs().size();
  PHYSCNN_CHECK(is.good() && chains == expected, UsageError, path, ": the checkpoint has ", chains,
                " chains, the study file ", expected);
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
  Rbm psi(lat, spec.alpha, spec.marshall, spec.init_scale, init, spec.symmetric);
  // Under mpirun each rank runs its block of the chains; moments() sums over the ranks and only
  // rank 0 writes (docs/mpi.md).
  const dist::Comm& world = dist::Comm::world();
  MetropolisSampler sampler(lat, h.conserves_sz(), spec.chains, spec.seed,
                            spec.exact ? nullptr : &world);
  NqsResult r;
  r.n_params = psi.n_params();
  std::filesystem::create_directories(out_dir);
  const std::string ckpt = out_dir + "/checkpoint.txt";
  int start = 0;
  if (resume) start = load_checkpoint(ckpt, psi, sampler, r.history);

  const auto t0 = std::chrono::steady_clock::now();
  const double base = r.history.empty() ? 0.0 : r.history.back().seconds;
  auto draw = [&](int per_chain, int burn_in) {
    return spec.exact ? exact_ensemble(h, psi) : sampler.sample(psi, per_chain, burn_in);
  };
  int it = start;
  for (; it < spec.iterations; ++it) {
    const Ensemble e = draw(spec.samples, it == 0 ? 10 * spec.burn_in : spec.burn_in);
    const Moments m = moments(h, psi, e, true);
    IterationRecord rec;
    rec.iteration = it + 1;
    rec.energy = m.energy;
    rec.variance = m.variance;
    rec.acceptance = m.acceptance;
    rec.error = spec.exact ? 0.0 : estimate(m.local_energy, m.n_chains).error;
    PHYSCNN_CHECK(std::isfinite(m.energy), NumericalError, "iteration ", it + 1,
                  ": the energy is not finite; lower the learning rate");
    const std::vector<cplx> d = sr_direction(m, spec.diag_shift);
    for (size_t k = 0; k < d.size(); ++k) psi.params()[k] -= spec.learning_rate * d[k];
    rec.seconds =
        base + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.history.push_back(rec);
    if (progress) progress(rec);
    double stop_here[1] = {stop && stop() ? 1.0 : 0.0};
    world.allreduce_max(stop_here);  // every rank stops after the same iteration
    const bool stopping = stop_here[0] > 0;
    if ((it + 1) % spec.checkpoint_every == 0 || it + 1 == spec.iterations || stopping) {
      save_checkpoint(ckpt, it + 1, psi, sampler, r.history);
      if (world.is_root()) write_history(out_dir + "/energy.csv", r.history, n);
    }
    if (stopping) {
      r.stopped = it + 1 < spec.iterations;
      ++it;
      break;
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

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
  if (e.ranks) e.ranks->allreduce_sum(std::span(&r.s_pipi, 1));
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
  return r;
}

}  // namespace physcnn::physics::nqs
