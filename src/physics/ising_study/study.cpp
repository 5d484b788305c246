// The Ising phase-transition study: generate, train per lattice size, locate the crossing,
// extrapolate to the thermodynamic limit and write the run folder.
#include "physics/ising_study/study.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "data/dataset.hpp"
#include "data/formats/npz.hpp"
#include "data/loader.hpp"
#include "data/transforms.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "nn/nn.hpp"
#include "optim/adam.hpp"
#include "physics/ising_study/distributed.hpp"
#include "physics/ising_study/triangular.hpp"
#include "tensor/ops.hpp"

namespace physcnn::physics::ising {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Split {
  std::vector<int64_t> train, validation, test;
};

// Inside the critical band every configuration is held out; outside it, per temperature, a random
// test_fraction is, and of the rest a validation_fraction validates and the others train.
Split split_dataset(const IsingDataset& d, const StudyOptions& o, Rng& rng) {
  std::map<double, std::vector<int64_t>> by_temperature;
  for (int64_t i = 0; i < d.count(); ++i) by_temperature[d.temperature[size_t(i)]].push_back(i);
  Split s;
  for (auto& [t, idx] : by_temperature) {
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng.below(i)]);
    // Inside the band nothing trains, so every configuration measures P(ordered)(T) there.
    if (t >= o.exclude_low && t <= o.exclude_high) {
      s.test.insert(s.test.end(), idx.begin(), idx.end());
      continue;
    }
    const size_t n_test = size_t(std::llround(o.test_fraction * double(idx.size())));
    s.test.insert(s.test.end(), idx.begin(), idx.begin() + long(n_test));
    const size_t rest = idx.size() - n_test;
    const size_t n_val = size_t(std::llround(o.validation_fraction * double(rest)));
    s.validation.insert(s.validation.end(), idx.begin() + long(n_test),
                        idx.begin() + long(n_test + n_val));
    s.train.insert(s.train.end(), idx.begin() + long(n_test + n_val), idx.end());
  }
  return s;
}

// Samples idx of `all` as one batch (inputs and labels), in that order.
data::Batch gather(const data::DatasetPtr& all, const std::vector<int64_t>& idx) {
  PHYSCNN_CHECK_ARG(!idx.empty(),
                    "the study's training set is empty (is the excluded band the "
                    "whole temperature range?)");
  data::DataLoader rows(std::make_shared<data::Subset>(all, idx),
                        {.batch_size = int64_t(idx.size()), .shuffle = false, .workers = 0});
  rows.start_epoch(0);
  return *rows.next();
}

// P(ordered) = softmax(logits)[:, 1] per configuration.
std::vector<double> p_ordered(const Tensor& logits) {
  const auto v = logits.to_vector();
  const int64_t n = logits.size(0), c = logits.size(1);
  std::vector<double> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double m = v[size_t(i * c)];
    for (int64_t k = 1; k < c; ++k) m = std::max(m, v[size_t(i * c + k)]);
    double z = 0;
    for (int64_t k = 0; k < c; ++k) z += std::exp(v[size_t(i * c + k)] - m);
    p[size_t(i)] = std::exp(v[size_t(i * c + 1)] - m) / z;
  }
  return p;
}

struct Curve {
  std::vector<double> t, p, err;
};

// Mean and standard error of p over the configurations idx at each temperature.
Curve mean_curve(const IsingDataset& d, const std::vector<int64_t>& idx,
                 const std::vector<double>& p) {
  std::map<double, std::vector<double>> by_t;
  for (size_t i = 0; i < idx.size(); ++i) by_t[d.temperature[size_t(idx[i])]].push_back(p[i]);
  Curve c;
  for (const auto& [t, v] : by_t) {
    double m = 0, m2 = 0;
    for (double x : v) m += x;
    m /= double(v.size());
    for (double x : v) m2 += (x - m) * (x - m);
    const double se = v.size() > 1 ? std::sqrt(m2 / double(v.size() - 1) / double(v.size())) : 1.0;
    c.t.push_back(t);
    c.p.push_back(m);
    // A floor keeps the fit from trusting points where every configuration gave 0 or 1.
    c.err.push_back(std::max(se, 1e-3));
  }
  return c;
}

void write_size_outputs(const std::string& dir, const IsingDataset& d, nn::Module& model) {
  std::filesystem::create_directories(dir);
  io::save_safetensors(
      dir + "/model.safetensors", model.state_dict(),
      {{"model", "ising_phase_cnn"}, {"lattice_size", std::to_string(d.lattice_size)}});
  const int64_t L = d.lattice_size;
  data::write_npz(dir + "/configurations.npz",
                  {{"spins", data::Array::from_vector(d.spins, Shape{d.count(), L, L})},
                   {"temperature", data::Array::from_vector(d.temperature, Shape{d.count()})},
                   {"label", data::Array::from_vector(d.label, Shape{d.count()})},
                   {"energy", data::Array::from_vector(d.energy, Shape{d.count()})},
                   {"magnetisation", data::Array::from_vector(d.magnetisation, Shape{d.count()})}},
                  {.compress = true});
}

}  // namespace

namespace {

nlohmann::json to_json(const SizeResult& r) {
  nlohmann::json j;
  j["L"] = r.size;
  j["temperatures"] = r.temperatures;
  j["p_ordered"] = r.p_ordered;
  j["p_error"] = r.p_error;
  j["crossing"] = {{"T_star", r.crossing.temperature},
                   {"error", r.crossing.error},
                   {"fit_error", r.crossing.fit_error},
                   {"chi2", r.crossing.chi2},
                   {"points", r.crossing.points}};
  j["member_crossings"] = r.member_crossings;
  j["test_accuracy_outside_band"] = r.test_accuracy;
  j["generate_seconds"] = r.generate_seconds;
  j["train_seconds"] = r.train_seconds;
  for (const auto& e : r.history) {
    const auto value = [&](const char* k) {
      const auto it = e.values.find(k);
      return it == e.values.end() ? 0.0 : it->second;
    };
    j["history"].push_back({{"epoch", e.epoch},
                            {"train_loss", value("train_loss")},
                            {"train_accuracy", value("train_accuracy")},
                            {"val_loss", value("val_loss")},
                            {"val_accuracy", value("val_accuracy")},
                            {"seconds", e.seconds}});
  }
  for (const auto& m : r.monte_carlo)
    j["monte_carlo"].push_back({{"T", m.temperature},
                                {"energy", m.energy.mean},
                                {"energy_error", m.energy.error},
                                {"abs_magnetisation", m.abs_magnetisation.mean},
                                {"abs_magnetisation_error", m.abs_magnetisation.error},
                                {"specific_heat", m.specific_heat.mean},
                                {"tau_energy", m.tau_energy.tau},
                                {"tau_abs_magnetisation", m.tau_abs_magnetisation.tau},
                                {"equilibration_sweeps", m.equilibration_sweeps},
                                {"spacing_sweeps", m.spacing_sweeps}});
  return j;
}

// `shared`: the size's configurations made by the ranks of an MPI job (nullptr: make them here).
SizeResult study_size(int64_t L, const std::vector<double>& temps, const StudyOptions& o,
                      IsingDataset* shared) {
  SizeResult r;
  r.size = L;
  auto t0 = Clock::now();
  if (!o.quiet && !shared)
    log_info("L = ", L, ": Monte Carlo at ", temps.size(), " temperatures, ",
             o.configs_per_temperature, " configurations each");
  const IsingDataset d = shared ? std::move(*shared) : generate(o.generator_options(L, temps));
  r.generate_seconds = seconds_since(t0);
  r.monte_carlo = d.summary;

  t0 = Clock::now();
  Rng rng(o.seed, 0x5354554459ull + uint64_t(L));  // "STUDY"
  const Split s = split_dataset(d, o, rng);
  const data::DatasetPtr all = std::make_shared<data::TensorDataset>(to_tensor(d), d.label);
  data::Batch tr = gather(all, s.train);
  if (o.augment) {
    // One symmetric copy of every training configuration: exact physics, twice the data.
    const Tensor aug = o.lattice == LatticeType::triangular
                           ? augment_hex_lattices(tr.inputs, rng)
                           : data::augment_lattices(tr.inputs, {}, rng);
    tr.inputs = concat({tr.inputs, aug}, 0);
    tr.labels.insert(tr.labels.end(), tr.labels.begin(), tr.labels.end());
  }
  const data::DatasetPtr train_set =
      std::make_shared<data::TensorDataset>(tr.inputs, std::move(tr.labels));
  const int64_t eval_batch = std::max<int64_t>(256, o.batch_size);
  data::DataLoader val(std::make_shared<data::Subset>(all, s.validation),
                       {.batch_size = eval_batch, .shuffle = false, .workers = 0});
  data::DataLoader test(std::make_shared<data::Subset>(all, s.test),
                        {.batch_size = 256, .shuffle = false, .workers = 0});
  // An ensemble of networks differing in initialisation and batch order: the spread of their
  // crossings measures the training's share of the error, which the bootstrap over
  // configurations alone would miss.
  std::vector<std::shared_ptr<nn::Sequential>> models;
  std::vector<double> p(s.test.size(), 0.0);
  std::vector<double> member_crossings;
  for (int k = 0; k < o.ensemble; ++k) {
    const uint64_t member_seed = o.seed + uint64_t(L) + 7919 * uint64_t(k);
    auto model = o.lattice == LatticeType::triangular ? hex_phase_cnn(member_seed)
                                                      : ising_phase_cnn(member_seed);
    model->build(Shape{1, L, L});
    optim::Adam adam(model->named_parameters(), {.lr = o.learning_rate});
    const std::string net = "net" + std::to_string(k + 1);
    const std::string checkpoints =
        o.out_dir.empty() ? "" : o.out_dir + "/L" + std::to_string(L) + "/checkpoints/" + net;
    train::TrainerOptions options;  // named, not designated: GCC 12 warns on the temporary
    options.epochs = o.epochs;
    options.top_k = 1;
    options.seed = member_seed;
    options.checkpoint_dir = checkpoints;
    options.checkpoint_best = false;
    options.quiet = o.quiet;
    options.label = "L=" + std::to_string(L) + " net " + std::to_string(k + 1) + "/" +
                    std::to_string(o.ensemble);
    train::Trainer trainer(*model, adam, nullptr, options);
    trainer.should_stop = o.should_stop;
    const std::string last = checkpoints + "/last.safetensors";
    if (o.resume && !checkpoints.empty() && std::filesystem::is_regular_file(last)) {
      trainer.resume(last);
      if (!o.quiet)
        log_info("L = ", L, " ", net, ": resumed after epoch ", trainer.epochs_done(), " of ",
                 o.epochs);
    }
    data::DataLoader train_loader(
        train_set, {.batch_size = o.batch_size, .shuffle = true, .seed = member_seed});
    trainer.fit(train_loader, s.validation.empty() ? nullptr : &val);
    if (k == 0) r.history = trainer.history();
    const std::vector<double> pk = p_ordered(train::predict(*model, test));
    r.predictions.member_p.push_back(pk);
    for (size_t i = 0; i < p.size(); ++i) p[i] += pk[i] / double(o.ensemble);
    const Curve ck = mean_curve(d, s.test, pk);
    member_crossings.push_back(
        find_crossing(ck.t, ck.p, ck.err, {.bootstrap_samples = 0, .seed = member_seed})
            .temperature);
    models.push_back(model);
  }
  r.train_seconds = seconds_since(t0);
  r.predictions.size = L;
  for (int64_t i : s.test) r.predictions.temperature.push_back(d.temperature[size_t(i)]);

  // P(ordered) of the ensemble on the held-out configurations, per temperature.
  int64_t correct = 0, outside = 0;
  for (size_t i = 0; i < s.test.size(); ++i) {
    const double t = d.temperature[size_t(s.test[i])];
    if (t < o.exclude_low || t > o.exclude_high) {
      ++outside;
      correct += (p[i] > 0.5) == (d.label[size_t(s.test[i])] == 1);
    }
  }
  r.test_accuracy = outside ? double(correct) / double(outside) : 0.0;
  const Curve c = mean_curve(d, s.test, p);
  r.temperatures = c.t;
  r.p_ordered = c.p;
  r.p_error = c.err;
  r.crossing = find_crossing(r.temperatures, r.p_ordered, r.p_error,
                             {.bootstrap_samples = 200, .seed = o.seed + uint64_t(L)});
  r.member_crossings = member_crossings;
  if (member_crossings.size() > 1) {
    double m = 0, v = 0;
    for (double x : member_crossings) m += x;
    m /= double(member_crossings.size());
    for (double x : member_crossings) v += (x - m) * (x - m);
    v /= double(member_crossings.size() - 1);
    r.crossing.error =
        std::sqrt(r.crossing.error * r.crossing.error + v / double(member_crossings.size()));
  }
  if (!o.quiet)
    log_info("L = ", L, ": T*(L) = ", r.crossing.temperature, " +- ", r.crossing.error,
             ", test accuracy outside ", o.exclude_low, "..", o.exclude_high, ": ",
             r.test_accuracy);
  if (!o.out_dir.empty()) {
    write_size_outputs(o.out_dir + "/L" + std::to_string(L), d, *models.front());
    write_predictions(o.out_dir + "/L" + std::to_string(L) + "/predictions.csv", r.predictions);
  }
  return r;
}

}  // namespace

StudyOptions quick_study_options() {
  StudyOptions o;
  o.sizes = {16, 32};
  o.grid = {.start = 1.0, .stop = 3.5, .count = 21, .extra_near_tc = 10, .extra_width = 0.3};
  o.configs_per_temperature = 160;
  o.band_step = 0;  // CI cost: the quick grid alone
  o.epochs = 5;
  o.ensemble = 3;
  return o;
}

namespace {

// T*(L), T_c and nu with the bootstrap error model (error_model.hpp); the per-size crossings
// and their errors are replaced by the bootstrap's, so that every printed number is one model's.
void extrapolate(StudyResult& result, const StudyOptions& o) {
  const auto t0 = Clock::now();
  std::vector<SizePredictions> predictions;
  for (const auto& s : result.sizes) predictions.push_back(s.predictions);
  ErrorModelOptions eo;
  eo.replicates = o.bootstrap_replicates;
  eo.seed = o.seed;
  for (double& w : eo.windows) w *= o.temperature_scale;
  eo.collapse_window *= o.temperature_scale;
  result.finite_size = analyse_finite_size(predictions, eo);
  const FiniteSizeResult& f = result.finite_size;
  for (size_t l = 0; l < result.sizes.size(); ++l) {
    result.sizes[l].crossing.temperature = f.crossing[l];
    result.sizes[l].crossing.error = f.crossing_error[l];
  }
  result.extrapolation.critical_temperature = f.tc;
  result.extrapolation.error = f.tc_error;
  result.extrapolation.slope = f.fit.a;
  result.extrapolation.chi2 = f.fit.chi2;
  result.extrapolation.dof = f.fit.dof;
  const double tc = f.tc, exact = exact_critical_temperature(o.lattice);
  result.deviation_percent = 100.0 * (tc - exact) / exact;
  result.deviation_sigma = f.tc_error > 0 ? (tc - exact) / f.tc_error : 0.0;
  result.analysis_seconds = seconds_since(t0);
}

nlohmann::json config_json(const StudyOptions& o) {
  return {{"sizes", o.sizes},
          {"configs_per_temperature", o.configs_per_temperature},
          {"measurement_sweeps", o.measurement_sweeps},
          {"test_fraction", o.test_fraction},
          {"validation_fraction", o.validation_fraction},
          {"excluded_band", {o.exclude_low, o.exclude_high}},
          {"epochs", o.epochs},
          {"ensemble", o.ensemble},
          {"batch_size", o.batch_size},
          {"learning_rate", o.learning_rate},
          {"augment", o.augment},
          {"network", o.lattice == LatticeType::triangular ? "hex_phase_cnn" : "ising_phase_cnn"},
          {"seed", o.seed}};
}

// study.json: what a resumed run must repeat (the configuration and the temperatures). A new
// run refuses a folder that holds one; a resumed run refuses a different configuration.
void claim_run_folder(const StudyOptions& o, const std::vector<double>& temps) {
  if (o.out_dir.empty()) {
    PHYSCNN_CHECK_ARG(!o.resume, "resume: the study needs its run folder (out_dir)");
    return;
  }
  const std::string path = o.out_dir + "/study.json";
  const nlohmann::json j{{"config", config_json(o)}, {"temperatures", temps}};
  if (std::filesystem::exists(path)) {
    PHYSCNN_CHECK_ARG(o.resume, "run folder ", o.out_dir,
                      " already holds a study: continue it with --resume ", o.out_dir,
                      ", or choose another --out");
    std::ifstream in(path);
    nlohmann::json old;
    try {
      old = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw IoError(path + ": damaged study description: " + e.what());
    }
    PHYSCNN_CHECK_ARG(old == j, "resume: ", o.out_dir, " was run with ", old.dump(),
                      ", this run asks for ", j.dump(), " (resume with the same options)");
    return;
  }
  PHYSCNN_CHECK_ARG(!o.resume, "resume: ", path,
                    " does not exist (not a study's run folder, or it never started)");
  std::filesystem::create_directories(o.out_dir);
  io::write_file_atomic(path, [&](std::ostream& out) { out << j.dump(2) << "\n"; });
}

// metrics.json and p_ordered.csv; T_c fields are null until two sizes are done.
void write_metrics(const StudyOptions& o, const StudyResult& result) {
  if (o.out_dir.empty()) return;
  const bool have_tc = result.sizes.size() >= 2;
  nlohmann::json j;
  j["T_c"] = have_tc ? nlohmann::json(result.extrapolation.critical_temperature) : nlohmann::json();
  j["T_c_error"] = have_tc ? nlohmann::json(result.extrapolation.error) : nlohmann::json();
  j["slope"] = have_tc ? nlohmann::json(result.extrapolation.slope) : nlohmann::json();
  j["chi2"] = have_tc ? nlohmann::json(result.extrapolation.chi2) : nlohmann::json();
  j["onsager_T_c"] = kCriticalTemperature;
  j["lattice"] = lattice_name(o.lattice);
  j["exact_T_c"] = exact_critical_temperature(o.lattice);
  j["deviation_percent"] = have_tc ? nlohmann::json(result.deviation_percent) : nlohmann::json();
  j["deviation_sigma"] = have_tc ? nlohmann::json(result.deviation_sigma) : nlohmann::json();
  if (have_tc) {
    const FiniteSizeResult& f = result.finite_size;
    j["T_c_statistical_error"] = f.tc_statistical;
    j["T_c_window_error"] = f.tc_window;
    j["fit_model"] = f.fit.quadratic ? "T_c + a/L + b/L^2" : "T_c + a/L";
    j["fit_sizes"] = f.fit_sizes;
    j["quadratic"] = f.fit.b;
    j["nu"] = f.nu;
    j["nu_error"] = f.nu_error;
    j["nu_statistical_error"] = f.nu_statistical;
    j["nu_sizes_error"] = f.nu_sizes;
    j["nu_pairs"] = f.nu_pairs;
    j["collapse"] = {{"T_c", f.tc_collapse},      {"T_c_error", f.tc_collapse_error},
                     {"nu", f.collapse.nu},       {"width", f.collapse.width},
                     {"shift", f.collapse.shift}, {"chi2", f.collapse.chi2},
                     {"dof", f.collapse.dof}};
    j["bootstrap_replicates"] = f.replicates;
    j["analysis_seconds"] = result.analysis_seconds;
  }
  j["seconds"] = result.seconds;
  j["seed"] = o.seed;
  j["complete"] = result.sizes.size() == o.sizes.size();
  j["config"] = config_json(o);
  for (const auto& s : result.sizes) j["sizes"].push_back(to_json(s));
  io::write_file_atomic(o.out_dir + "/metrics.json",
                        [&](std::ostream& out) { out << j.dump(2) << "\n"; });
  io::write_file_atomic(o.out_dir + "/p_ordered.csv", [&](std::ostream& out) {
    out << "L,T,p_ordered,p_error\n";
    for (const auto& s : result.sizes)
      for (size_t i = 0; i < s.temperatures.size(); ++i)
        out << s.size << "," << s.temperatures[i] << "," << s.p_ordered[i] << "," << s.p_error[i]
            << "\n";
  });
}

}  // namespace

StudyResult run_study(const StudyOptions& o) {
  PHYSCNN_CHECK_ARG(o.sizes.size() >= 2,
                    "the study needs at least two lattice sizes for the "
                    "finite-size extrapolation, got ",
                    o.sizes.size());
  PHYSCNN_CHECK_ARG(o.test_fraction > 0 && o.test_fraction < 1, "test_fraction must be in (0,1)");
  PHYSCNN_CHECK_ARG(o.exclude_low <= exact_critical_temperature(o.lattice) &&
                        o.exclude_high >= exact_critical_temperature(o.lattice),
                    "the excluded band [", o.exclude_low, ", ", o.exclude_high,
                    "] must contain T_c");
  const auto t0 = Clock::now();
  std::vector<double> temps = o.temperatures;
  if (temps.empty()) {
    temps = make_temperatures(o.grid);
    if (o.band_step > 0) {
      for (double t = o.band_start; t <= o.band_stop + 1e-9; t += o.band_step)
        if (t >= o.exclude_low && t <= o.exclude_high)  // never a training temperature
          temps.push_back(std::round(t * 1e6) / 1e6);
      std::sort(temps.begin(), temps.end());
      temps.erase(std::unique(temps.begin(), temps.end(),
                              [](double a, double b) { return std::fabs(a - b) < 1e-6; }),
                  temps.end());
    }
  }
  // Under mpirun the ranks share every size's Monte Carlo (distributed.hpp); rank 0 alone goes on.
  if (dist::Comm::world().is_root()) claim_run_folder(o, temps);
  std::vector<GeneratorOptions> per_size;
  for (int64_t L : o.sizes) per_size.push_back(o.generator_options(L, temps));
  double shared_seconds = 0;
  std::vector<IsingDataset> shared = generate_for_study(per_size, shared_seconds);
  if (!dist::Comm::world().is_root()) return {};
  StudyResult result;
  result.lattice = o.lattice;
  for (int64_t L : o.sizes) {
    IsingDataset* mine = shared.empty() ? nullptr : &shared[result.sizes.size()];
    result.sizes.push_back(study_size(L, temps, o, mine));
    if (mine && result.sizes.size() == 1) result.sizes.back().generate_seconds += shared_seconds;
    // Partial results after every size, so that a report can show a long run as it goes.
    if (result.sizes.size() >= 2) extrapolate(result, o);
    result.seconds = seconds_since(t0);
    write_metrics(o, result);
    if (o.on_size_done) o.on_size_done(result);
  }
  return result;
}

std::string format_result_line(const StudyResult& r) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "T_c = %.4f ± %.4f  (%s %.6f, deviation %.2f%%, %.1f σ)",
                r.extrapolation.critical_temperature, r.extrapolation.error,
                r.lattice == LatticeType::triangular ? "exact 4/ln 3 =" : "Onsager",
                exact_critical_temperature(r.lattice), r.deviation_percent,
                std::abs(r.deviation_sigma));
  return buf;
}

}  // namespace physcnn::physics::ising
