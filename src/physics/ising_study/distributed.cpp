// Sharing the Monte Carlo over MPI ranks: a static plan by estimated cost, each rank's subsets
// from generate_subset, and one gather per lattice size to the root, which puts every
// temperature back in its place.
#include "physics/ising_study/distributed.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <type_traits>

#include "core/error.hpp"
#include "physics/ising/lattice.hpp"

namespace physcnn::physics::ising {

double estimated_cost(const GeneratorOptions& o, std::size_t i) {
  const double T = o.temperatures.at(i), L = double(o.lattice_size);
  const double distance = std::fabs(T - kCriticalTemperature);
  // Near T_c the pilot run grows with tau; the window's Wolff clusters cost more than the
  // multi-spin Metropolis sweep they join, most below T_c where a cluster is the whole lattice.
  double factor = 1.0 + 2.0 * std::exp(-distance / 0.15);
  if (o.field == 0.0 && o.wolff_clusters > 0 && distance <= o.wolff_window)
    factor += T < kCriticalTemperature ? 2.0 : 1.0;
  return L * L * double(o.configs_per_temperature + 64) * factor;
}

std::vector<std::vector<int>> plan_tasks(const std::vector<GeneratorOptions>& per_size, int ranks) {
  PHYSCNN_CHECK_ARG(ranks >= 1, "plan_tasks: ", ranks, " ranks");
  struct Task {
    double cost;
    std::size_t size, index;
  };
  std::vector<Task> tasks;
  std::vector<std::vector<int>> plan(per_size.size());
  for (std::size_t k = 0; k < per_size.size(); ++k) {
    plan[k].assign(per_size[k].temperatures.size(), 0);
    for (std::size_t i = 0; i < per_size[k].temperatures.size(); ++i)
      tasks.push_back({estimated_cost(per_size[k], i), k, i});
  }
  // Longest first; ties in (size, index) order so that every rank sorts identically.
  std::stable_sort(tasks.begin(), tasks.end(),
                   [](const Task& a, const Task& b) { return a.cost > b.cost; });
  std::vector<double> load(std::size_t(ranks), 0.0);
  for (const Task& t : tasks) {
    const auto r = std::size_t(std::min_element(load.begin(), load.end()) - load.begin());
    load[r] += t.cost;
    plan[t.size][t.index] = int(r);
  }
  return plan;
}

namespace {

static_assert(std::is_trivially_copyable_v<TemperatureSummary>);

template <class T>
void put(std::vector<std::byte>& out, const std::vector<T>& v) {
  const auto* p = reinterpret_cast<const std::byte*>(v.data());
  out.insert(out.end(), p, p + v.size() * sizeof(T));
}

template <class T>
void take(const std::vector<std::byte>& in, std::size_t& at, std::vector<T>& v, std::size_t n) {
  PHYSCNN_CHECK(at + n * sizeof(T) <= in.size(), Error, "ising Monte Carlo: a rank sent ",
                in.size(), " bytes, fewer than its tasks need");
  v.resize(n);
  if (n > 0) std::memcpy(v.data(), in.data() + at, n * sizeof(T));
  at += n * sizeof(T);
}

std::vector<std::byte> serialise(const IsingDataset& d) {
  std::vector<std::byte> out;
  put(out, d.spins);
  put(out, d.temperature);
  put(out, d.label);
  put(out, d.energy);
  put(out, d.magnetisation);
  put(out, d.summary);
  return out;
}

IsingDataset deserialise(const std::vector<std::byte>& in, int64_t L, std::size_t temperatures,
                         int64_t per_temperature) {
  IsingDataset d;
  d.lattice_size = L;
  const std::size_t n = temperatures * std::size_t(per_temperature);
  std::size_t at = 0;
  take(in, at, d.spins, n * std::size_t(L * L));
  take(in, at, d.temperature, n);
  take(in, at, d.label, n);
  take(in, at, d.energy, n);
  take(in, at, d.magnetisation, n);
  take(in, at, d.summary, temperatures);
  PHYSCNN_CHECK(at == in.size(), Error, "ising Monte Carlo: a rank sent ", in.size(),
                " bytes, its tasks make ", at);
  return d;
}

// Temperature `from` of `part` into slot `to` of `whole`.
void place(const IsingDataset& part, std::size_t from, IsingDataset& whole, std::size_t to,
           int64_t per_temperature) {
  const std::size_t n = std::size_t(per_temperature),
                    cfg = std::size_t(whole.lattice_size) * std::size_t(whole.lattice_size);
  std::copy_n(part.spins.begin() + std::ptrdiff_t(from * n * cfg), n * cfg,
              whole.spins.begin() + std::ptrdiff_t(to * n * cfg));
  const auto a = std::ptrdiff_t(from * n), b = std::ptrdiff_t(to * n), m = std::ptrdiff_t(n);
  std::copy_n(part.temperature.begin() + a, m, whole.temperature.begin() + b);
  std::copy_n(part.label.begin() + a, m, whole.label.begin() + b);
  std::copy_n(part.energy.begin() + a, m, whole.energy.begin() + b);
  std::copy_n(part.magnetisation.begin() + a, m, whole.magnetisation.begin() + b);
  whole.summary[to] = part.summary[from];
}

}  // namespace

std::vector<IsingDataset> generate_on_ranks(const std::vector<GeneratorOptions>& per_size,
                                            const dist::Comm& comm, double* seconds) {
  const auto t0 = std::chrono::steady_clock::now();
  const int ranks = comm.size(), me = comm.rank();
  const auto plan = plan_tasks(per_size, ranks);
  const auto mine = [&](std::size_t k, int r) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < plan[k].size(); ++i)
      if (plan[k][i] == r) idx.push_back(i);
    return idx;
  };
  // This rank's tasks, size by size (the threads share a size's temperatures).
  std::vector<std::vector<std::byte>> sent(per_size.size());
  for (std::size_t k = 0; k < per_size.size(); ++k) {
    const auto idx = mine(k, me);
    if (!idx.empty()) sent[k] = serialise(generate_subset(per_size[k], idx));
  }
  if (seconds)
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<IsingDataset> out(per_size.size());
  for (std::size_t k = 0; k < per_size.size(); ++k) {
    const GeneratorOptions& o = per_size[k];
    out[k].lattice_size = o.lattice_size;
    const auto parts = comm.gather(sent[k], 0);
    sent[k] = {};
    if (!comm.is_root()) continue;
    const std::size_t n_t = o.temperatures.size(), n = std::size_t(o.configs_per_temperature);
    const std::size_t cfg = std::size_t(o.lattice_size * o.lattice_size);
    IsingDataset& d = out[k];
    d.spins.resize(n_t * n * cfg);
    d.temperature.resize(n_t * n);
    d.label.resize(n_t * n);
    d.energy.resize(n_t * n);
    d.magnetisation.resize(n_t * n);
    d.summary.resize(n_t);
    for (int r = 0; r < ranks; ++r) {
      const auto idx = mine(k, r);
      const IsingDataset part =
          deserialise(parts[std::size_t(r)], o.lattice_size, idx.size(), o.configs_per_temperature);
      for (std::size_t j = 0; j < idx.size(); ++j)
        place(part, j, d, idx[j], o.configs_per_temperature);
    }
  }
  return out;
}

std::vector<IsingDataset> generate_for_study(const std::vector<GeneratorOptions>& per_size,
                                             double& seconds) {
  const dist::Comm& comm = dist::Comm::world();
  if (!comm.distributed()) return {};
  const auto t0 = std::chrono::steady_clock::now();
  auto out = generate_on_ranks(per_size, comm);
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace physcnn::physics::ising
