// A small real run: data, training with train::Trainer, metrics.json/csv, eval.json, weights,
// samples.npz, summary.txt, experiment.toml and model.toml, as the run-folder contract says.
#include "report/run_folder.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/dataset.hpp"
#include "data/formats/npz.hpp"
#include "data/loader.hpp"
#include "io/safetensors.hpp"
#include "nn/models/models.hpp"
#include "nn/nn.hpp"
#include "optim/sgd.hpp"
#include "tensor/ops.hpp"
#include "train/loop.hpp"

namespace physcnn::test {

namespace fs = std::filesystem;

namespace {

// Class 1: ordered lattices (all spins +1 or all -1, 10% flipped); class 0: random spins.
struct Lattices {
  Tensor x;
  std::vector<int64_t> y;
  data::DatasetPtr set() const { return std::make_shared<data::TensorDataset>(x, y); }
};
Lattices lattices(int64_t n, uint64_t seed) {
  Rng rng(seed);
  Tensor x = Tensor::uniform({n, 1, 8, 8}, 0, 1, rng);
  Tensor sign = Tensor::uniform({n}, 0, 1, rng);
  std::vector<int64_t> y(size_t(n), 0);
  float* px = x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const bool ordered = i % 2 == 1;
    const float s = sign.data<float>()[i] < 0.5f ? -1.f : 1.f;
    for (int64_t k = 0; k < 64; ++k) {
      float& v = px[i * 64 + k];
      v = ordered ? (v < 0.1f ? -s : s) : (v < 0.5f ? -1.f : 1.f);
    }
    y[size_t(i)] = ordered ? 1 : 0;
  }
  return {x, y};
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

std::string fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("physcnn_report_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

nn::ModulePtr make_run_model(bool gap_head) {
  if (gap_head) return nn::models::ising_cnn(5);
  auto m = std::make_shared<nn::Sequential>();
  m->add(std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in = 1, .out = 4, .kernel = 3}, Rng(3)));
  m->add(std::make_shared<nn::ReLU>());
  m->add(std::make_shared<nn::Flatten>());
  m->add(std::make_shared<nn::Linear>(nn::LinearOptions{.in = 4 * 6 * 6, .out = 2}, Rng(4)));
  return m;
}

nn::ModulePtr make_run_folder(const std::string& dir, const RunFolderOptions& o) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_text(dir + "/RUNNING", "");
  auto model = make_run_model(o.gap_head);
  model->build({1, 8, 8});
  const auto train_data = lattices(96, 1), val_data = lattices(32, 2), test_data = lattices(32, 3);
  optim::Sgd sgd(model->parameters(), {.lr = 0.05, .momentum = 0.9});
  data::DataLoader train_loader(train_data.set(), {.batch_size = 16, .seed = 1});
  data::DataLoader val_loader(val_data.set(), {.batch_size = 256, .shuffle = false});
  data::DataLoader test_loader(test_data.set(), {.batch_size = 256, .shuffle = false});
  train::TrainerOptions options;
  options.epochs = o.epochs;
  options.top_k = 1;
  options.seed = 1;
  options.quiet = true;
  train::Trainer trainer(*model, sgd, nullptr, options);
  const auto history = trainer.fit(train_loader, &val_loader);
  nlohmann::json metrics{{"task", "classification"}, {"class_names", {"disordered", "ordered"}}};
  metrics["epochs"] = nlohmann::json::array();
  std::string csv =
      "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds,images_per_second\n";
  for (const auto& e : history) {
    const double train_loss = e.value("train_loss"), train_accuracy = e.value("train_accuracy"),
                 val_loss = e.value("val_loss"), val_accuracy = e.value("val_accuracy");
    metrics["epochs"].push_back({{"epoch", e.epoch},
                                 {"train_loss", train_loss},
                                 {"train_accuracy", train_accuracy},
                                 {"val_loss", val_loss},
                                 {"val_accuracy", val_accuracy},
                                 {"lr", e.lr},
                                 {"seconds", e.seconds},
                                 {"images_per_second", e.images_per_second}});
    csv += std::to_string(e.epoch) + "," + std::to_string(train_loss) + "," +
           std::to_string(train_accuracy) + "," + std::to_string(val_loss) + "," +
           std::to_string(val_accuracy) + "," + std::to_string(e.lr) + "," +
           std::to_string(e.seconds) + "," + std::to_string(e.images_per_second) + "\n";
  }
  write_text(dir + "/metrics.json", metrics.dump(1));
  write_text(dir + "/metrics.csv", csv);

  const auto ev = train::evaluate(*model, test_loader, train::LossKind::CrossEntropy, 1);
  const auto predicted = argmax(train::predict(*model, test_loader), 1);
  std::vector<std::vector<int64_t>> confusion(2, std::vector<int64_t>(2, 0));
  for (size_t i = 0; i < test_data.y.size(); ++i) ++confusion[test_data.y[i]][predicted[i]];
  write_text(dir + "/eval.json", nlohmann::json{{"loss", ev.loss},
                                                {"accuracy", ev.values().at("accuracy")},
                                                {"confusion_matrix", confusion},
                                                {"class_names", {"disordered", "ordered"}}}
                                     .dump(1));
  io::save_safetensors(dir + "/model.safetensors", model->state_dict());
  const std::vector<int64_t> labels(test_data.y.begin(), test_data.y.begin() + 8);
  data::write_npz(dir + "/samples.npz",
                  {{"x", data::Array::from_tensor(test_data.x.slice(0, 0, 8).contiguous())},
                   {"y", data::Array::from_vector(labels, Shape({8}))}});
  write_text(dir + "/summary.txt", nn::format_summary(model->summary({1, 8, 8})));
  write_text(dir + "/experiment.toml",
             std::string("# tiny test run\nmodel = \"") + (o.gap_head ? "ising_cnn" : "conv_flat") +
                 "\"\nepochs = " + std::to_string(o.epochs) + "\nbatch_size = 16\nseed = 1\n");
  write_text(dir + "/model.toml", "# zoo model ising_cnn\n");
  if (!o.running) fs::remove(dir + "/RUNNING");
  return model;
}

}  // namespace physcnn::test
