// The Mehta NB14 protocol and temperature regression.
#include "physics/ising_study/protocols.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "data/dataset.hpp"
#include "data/loader.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "nn/models/models.hpp"
#include "optim/adam.hpp"
#include "physics/ising/generator.hpp"
#include "tensor/ops.hpp"

namespace physcnn::physics::ising {

namespace {

using Clock = std::chrono::steady_clock;

// Per temperature, a seeded random test_fraction of the candidate indices goes to test.
void split_by_temperature(const IsingDataset& d, const std::vector<int64_t>& candidates,
                          double test_fraction, Rng& rng, std::vector<int64_t>& train,
                          std::vector<int64_t>& test) {
  std::map<double, std::vector<int64_t>> by_t;
  for (int64_t i : candidates) by_t[d.temperature[size_t(i)]].push_back(i);
  for (auto& [t, idx] : by_t) {
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng.below(i)]);
    const auto n_test = long(std::llround(test_fraction * double(idx.size())));
    test.insert(test.end(), idx.begin(), idx.begin() + n_test);
    train.insert(train.end(), idx.begin() + n_test, idx.end());
  }
}

Tensor float_vector(const std::vector<double>& v) {
  return Tensor::from_vector(std::vector<float>(v.begin(), v.end()), Shape{int64_t(v.size())});
}

// Samples idx of `all` in that order, shuffled per epoch (training) or not (evaluation).
std::unique_ptr<data::DataLoader> loader(const data::DatasetPtr& all,
                                         const std::vector<int64_t>& idx, int64_t batch_size,
                                         bool shuffle, uint64_t seed) {
  return std::make_unique<data::DataLoader>(
      std::make_shared<data::Subset>(all, idx),
      data::LoaderOptions{.batch_size = batch_size, .shuffle = shuffle, .seed = seed});
}

// Trains `model` on `train` (validating on `validation`) with Adam: the study's recipe.
std::vector<train::EpochRecord> train_adam(nn::Module& model, double lr, train::LossKind loss,
                                           data::DataLoader& train, data::DataLoader& validation,
                                           int epochs, uint64_t seed, bool quiet,
                                           const std::string& label) {
  optim::Adam adam(model.named_parameters(), {.lr = lr});
  train::TrainerOptions options;  // named, not designated: GCC 12 warns on the temporary
  options.epochs = epochs;
  options.loss = loss;
  options.top_k = 1;
  options.seed = seed;
  options.quiet = quiet;
  options.label = label;
  train::Trainer trainer(model, adam, nullptr, options);
  return trainer.fit(train, &validation);
}

void write_json(const std::string& dir, const std::string& name, const nlohmann::json& j) {
  if (dir.empty()) return;
  std::filesystem::create_directories(dir);
  io::write_file_atomic(dir + "/" + name, [&](std::ostream& o) { o << j.dump(2) << "\n"; });
}

}  // namespace

MehtaResult run_mehta(const MehtaOptions& o) {
  const auto t0 = Clock::now();
  std::vector<double> temps;
  for (int i = 1; i <= 16; ++i) temps.push_back(0.25 * i);  // np.arange(0.25, 4.0001, 0.25)
  const IsingDataset d = generate({.temperatures = temps,
                                   .lattice_size = o.lattice_size,
                                   .configs_per_temperature = o.configs_per_temperature,
                                   .seed = o.seed});
  const data::DatasetPtr all = std::make_shared<data::TensorDataset>(to_tensor(d), d.label);
  // Ordered T < 2.0, disordered T > 2.5, critical in between (never trained on).
  std::vector<int64_t> outside, critical;
  for (int64_t i = 0; i < d.count(); ++i) {
    const double t = d.temperature[size_t(i)];
    (t >= 2.0 && t <= 2.5 ? critical : outside).push_back(i);
  }
  std::vector<int64_t> train_idx, test_idx;
  Rng rng(o.seed, 0x4d454854ull);  // "MEHT"
  split_by_temperature(d, outside, o.test_fraction, rng, train_idx, test_idx);
  const auto tr = loader(all, train_idx, o.batch_size, true, o.seed);
  const auto tr_eval = loader(all, train_idx, 256, false, o.seed);
  const auto te = loader(all, test_idx, 256, false, o.seed);
  const auto cr = loader(all, critical, 256, false, o.seed);
  auto model = nn::models::ising_cnn(o.seed);
  model->build(Shape{1, o.lattice_size, o.lattice_size});
  MehtaResult r;
  r.history = train_adam(*model, o.learning_rate, train::LossKind::CrossEntropy, *tr, *te, o.epochs,
                         o.seed, o.quiet, "mehta L=" + std::to_string(o.lattice_size));
  const auto accuracy = [&](data::DataLoader& l) {
    return train::evaluate(*model, l, train::LossKind::CrossEntropy, 1).values().at("accuracy");
  };
  r.train_accuracy = accuracy(*tr_eval);
  r.test_accuracy = accuracy(*te);
  r.critical_accuracy = accuracy(*cr);
  // Accuracy per temperature over test + critical configurations.
  data::DataLoader every(all, {.batch_size = 256, .shuffle = false});
  const Tensor all_logits = train::predict(*model, every);
  const auto pred = argmax(all_logits, 1);
  std::vector<bool> is_train(size_t(d.count()), false);
  for (int64_t i : train_idx) is_train[size_t(i)] = true;
  std::map<double, std::pair<int64_t, int64_t>> per_t;  // correct, total
  for (int64_t i = 0; i < d.count(); ++i) {
    if (is_train[size_t(i)]) continue;
    auto& c = per_t[d.temperature[size_t(i)]];
    c.first += pred[size_t(i)] == d.label[size_t(i)];
    ++c.second;
  }
  for (const auto& [t, c] : per_t) {
    r.temperatures.push_back(t);
    r.accuracy_per_temperature.push_back(double(c.first) / double(std::max<int64_t>(1, c.second)));
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  nlohmann::json j{{"protocol", "mehta"},
                   {"L", o.lattice_size},
                   {"train_accuracy", r.train_accuracy},
                   {"test_accuracy", r.test_accuracy},
                   {"critical_accuracy", r.critical_accuracy},
                   {"temperatures", r.temperatures},
                   {"accuracy_per_temperature", r.accuracy_per_temperature},
                   {"seconds", r.seconds}};
  write_json(o.out_dir, "mehta.json", j);
  if (!o.out_dir.empty())
    io::save_safetensors(o.out_dir + "/mehta_model.safetensors", model->state_dict(),
                         {{"model", "ising_cnn"}, {"protocol", "mehta"}});
  return r;
}

RegressionResult run_temperature_regression(const RegressionOptions& o) {
  const auto t0 = Clock::now();
  std::vector<double> temps = o.temperatures;
  if (temps.empty())
    for (int i = 0; i < 26; ++i) temps.push_back(1.0 + 0.1 * i);
  const IsingDataset d = generate({.temperatures = temps,
                                   .lattice_size = o.lattice_size,
                                   .configs_per_temperature = o.configs_per_temperature,
                                   .seed = o.seed});
  const data::DatasetPtr all =
      std::make_shared<data::TensorDataset>(to_tensor(d), float_vector(d.temperature));
  std::vector<int64_t> train_idx, test_idx;
  Rng rng(o.seed, 0x54454d50ull);  // "TEMP"
  std::vector<int64_t> every(size_t(d.count()));
  for (int64_t i = 0; i < d.count(); ++i) every[size_t(i)] = i;
  split_by_temperature(d, every, o.test_fraction, rng, train_idx, test_idx);
  const auto tr = loader(all, train_idx, o.batch_size, true, o.seed);
  const auto te = loader(all, test_idx, 256, false, o.seed);
  auto model = nn::models::ising_cnn(o.seed, 1);  // one output: T
  model->build(Shape{1, o.lattice_size, o.lattice_size});
  RegressionResult r;
  r.history = train_adam(*model, o.learning_rate, train::LossKind::Mse, *tr, *te, o.epochs, o.seed,
                         o.quiet, "T regression L=" + std::to_string(o.lattice_size));
  const auto out = train::predict(*model, *te).to_vector();
  std::map<double, std::vector<double>> by_t;
  double sq = 0;
  for (size_t i = 0; i < test_idx.size(); ++i) {
    const double t = d.temperature[size_t(test_idx[i])];
    by_t[t].push_back(out[i]);
    sq += (out[i] - t) * (out[i] - t);
  }
  r.overall_rmse = std::sqrt(sq / double(std::max<size_t>(1, test_idx.size())));
  for (const auto& [t, v] : by_t) {
    double m = 0, e = 0;
    for (double x : v) {
      m += x;
      e += (x - t) * (x - t);
    }
    r.temperatures.push_back(t);
    r.mean_prediction.push_back(m / double(v.size()));
    r.rmse.push_back(std::sqrt(e / double(v.size())));
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  write_json(o.out_dir, "temperature_regression.json",
             {{"task", "temperature"},
              {"L", o.lattice_size},
              {"overall_rmse", r.overall_rmse},
              {"temperatures", r.temperatures},
              {"mean_prediction", r.mean_prediction},
              {"rmse", r.rmse},
              {"seconds", r.seconds}});
  return r;
}

}  // namespace physcnn::physics::ising
