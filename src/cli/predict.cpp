// `physcnn predict`: model outputs for unlabelled inputs, written atomically as .npy (the raw
// outputs) or .csv (index, predicted class, one column per class or output).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "autograd/functional.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "data/formats/hdf5.hpp"
#include "data/formats/idx.hpp"
#include "data/formats/npy.hpp"
#include "data/formats/npz.hpp"
#include "tensor/ops.hpp"
#include "train/experiment.hpp"
#include "train/run_dir.hpp"

namespace physcnn::cli {

namespace fs = std::filesystem;

namespace {

// Inputs without labels: every format of the data readers; IDX images are scaled to [0, 1].
data::DatasetPtr open_inputs(const std::string& path, const std::string& x_name, bool scale_uint8,
                             const Shape& model_input) {
  if (fs::is_directory(path)) return data::open_image_folder(path);
  if (!fs::exists(path)) throw IoError("input file " + path + " does not exist");
  const std::string ext = fs::path(path).extension().string();
  data::Array x;
  data::ArrayOptions options = train::array_options_for(model_input, scale_uint8);
  if (ext == ".npz") {
    data::NpzReader reader(path);
    PHYSCNN_CHECK_ARG(
        reader.contains(x_name), path, " has no array '", x_name, "' (use --x; it holds: ",
        [&] {
          std::string s;
          for (const auto& n : reader.names()) s += (s.empty() ? "" : ", ") + n;
          return s;
        }(),
        ")");
    x = reader.read(x_name);
  } else if (ext == ".h5" || ext == ".hdf5") {
    x = data::read_hdf5(path, x_name);
  } else if (ext == ".npy") {
    x = data::read_npy(path);
  } else {
    x = data::read_idx(path);
    options.scale_uint8 = true;
  }
  PHYSCNN_CHECK_SHAPE(x.shape.rank() >= 2, path, ": inputs must be (N, ...), got ", x.shape.str());
  const data::Array none = data::Array::zeros(data::ElemType::I64, Shape{x.shape[0]});
  return std::make_shared<data::ArrayDataset>(std::move(x), none, options, path);
}

// RFC 4180: a class name with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

Run add_predict(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "predict",
      "Model outputs for inputs: `physcnn predict RUN --input X --out P.npy|P.csv`, or\n"
      "`physcnn predict --model M --weights W --input X --out P.csv`.");
  struct Args {
    std::string run, model, weights, input, x = "x", out;
    int64_t batch_size = 256;
    bool probabilities = false, scale_uint8 = false, quiet = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("run", a->run, "a run folder of `physcnn train`");
  cmd->add_option("--model", a->model, "zoo name or model .toml (without a run folder)");
  cmd->add_option("--weights", a->weights, "weights (.safetensors)");
  cmd->add_option("--input", a->input, "inputs: .npz/.h5 (array --x), .npy, IDX images, PNG folder")
      ->required();
  cmd->add_option("--x", a->x, "input array name in .npz/.h5 (default x)");
  cmd->add_option("--out", a->out, "output file: .npy (raw outputs) or .csv")->required();
  cmd->add_flag("--probabilities", a->probabilities,
                "softmax over the classes (dimension 1) before writing");
  cmd->add_flag("--scale-uint8", a->scale_uint8, "divide uint8 inputs by 255 (IDX always is)");
  cmd->add_option("--batch-size", a->batch_size, "batch size")->check(CLI::PositiveNumber);
  cmd->add_flag("--quiet,-q", a->quiet, "print nothing");
  return [a] {
    const std::string ext = fs::path(a->out).extension().string();
    PHYSCNN_CHECK_ARG(ext == ".npy" || ext == ".csv", "predict: --out ", a->out,
                      " must end in .npy or .csv");
    ModelSpec spec;
    std::string weights = a->weights;
    bool scale = a->scale_uint8;
    std::vector<std::string> class_names;
    if (!a->run.empty()) {
      PHYSCNN_CHECK_ARG(a->model.empty(), "predict: give a run folder or --model, not both");
      train::Experiment e;
      spec = load_run_model(a->run, &e);
      scale = scale || e.data.scale_uint8;
      class_names = e.data.class_names;
      if (weights.empty()) weights = (fs::path(a->run) / "model.safetensors").string();
    } else {
      PHYSCNN_CHECK_ARG(!a->model.empty() && !weights.empty(),
                        "predict: give a run folder, or --model and --weights");
      spec = load_model_spec(a->model, 0);
    }
    const data::DatasetPtr set = open_inputs(a->input, a->x, scale, spec.input);
    if (!spec.file.empty())
      train::check_declared_input(set->sample_shape(), spec.input, spec.file, a->input);
    try {
      spec.model->build(set->sample_shape());
    } catch (const UsageError& err) {
      throw ShapeError("predict: the samples of " + a->input + " have shape " +
                       set->sample_shape().str() + " but the model takes inputs " +
                       spec.input.str() + "; it does not run on them (" + err.what() + ")");
    }
    const auto stats = train::load_model(weights, *spec.model);
    data::DataLoader loader(set, {.batch_size = a->batch_size, .shuffle = false},
                            train::eval_transform(stats));
    Tensor out = train::predict(*spec.model, loader);
    if (a->probabilities) {
      PHYSCNN_CHECK_SHAPE(out.dim() >= 2,
                          "predict: --probabilities needs outputs (N, classes), "
                          "got ",
                          out.shape().str());
      out = autograd::softmax(autograd::Var(out), 1).value();
    }
    out = out.contiguous().to(DType::F32);
    if (ext == ".npy") {
      data::write_npy(a->out, data::Array::from_tensor(out));
    } else {
      PHYSCNN_CHECK_SHAPE(out.dim() == 2, "predict: CSV needs outputs (N, K), got ",
                          out.shape().str(), "; write .npy instead");
      const int64_t n = out.size(0), k = out.size(1);
      const auto labels = train::class_labels(class_names, k);
      const std::vector<double> v = out.to_vector();
      std::ostringstream csv;
      csv << "index" << (k > 1 ? ",predicted" : "");
      for (int64_t j = 0; j < k; ++j)
        csv << ',' << (k > 1 ? csv_field(labels[size_t(j)]) : "output");
      csv << '\n';
      char buf[32];
      for (int64_t i = 0; i < n; ++i) {
        csv << i;
        if (k > 1) {
          int64_t best = 0;
          for (int64_t j = 1; j < k; ++j)
            if (v[size_t(i * k + j)] > v[size_t(i * k + best)]) best = j;
          csv << ',' << csv_field(labels[size_t(best)]);
        }
        for (int64_t j = 0; j < k; ++j) {
          std::snprintf(buf, sizeof buf, ",%.7g", v[size_t(i * k + j)]);
          csv << buf;
        }
        csv << '\n';
      }
      train::write_text_atomic(a->out, csv.str());
    }
    if (!a->quiet)
      std::fprintf(stderr, "wrote %s: outputs %s for %lld inputs\n", a->out.c_str(),
                   out.shape().str().c_str(), static_cast<long long>(out.size(0)));
    return 0;
  };
}

}  // namespace physcnn::cli
