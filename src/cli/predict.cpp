// `physcnn predict`: model outputs for unlabelled inputs, written atomically as .npy (the raw
// outputs) or .csv (index, predicted class, one column per class or output); for per-pixel
// models also the masks (.npy) and PNG overlays of input, truth and prediction.
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
#include "data/formats/png.hpp"
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

// Per-pixel classes of outputs (N, C, H, W): the argmax over C, as (N, H, W).
std::vector<uint8_t> argmax_masks(const Tensor& out) {
  const int64_t n = out.size(0), c = out.size(1), hw = out.size(2) * out.size(3);
  PHYSCNN_CHECK_ARG(c <= 256, "predict: masks hold at most 256 classes, the model has ", c);
  const std::vector<double> v = out.contiguous().to_vector();
  std::vector<uint8_t> m(size_t(n * hw));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < hw; ++p) {
      int64_t best = 0;
      for (int64_t k = 1; k < c; ++k)
        if (v[size_t((i * c + k) * hw + p)] > v[size_t((i * c + best) * hw + p)]) best = k;
      m[size_t(i * hw + p)] = uint8_t(best);
    }
  return m;
}

// The per-pixel truth of the first n samples from the input file's array `name` (N, H*W) or
// (N, H, W), or empty when no name is given.
std::vector<int64_t> read_truth(const std::string& path, const std::string& name, int64_t hw) {
  if (name.empty()) return {};
  const std::string ext = fs::path(path).extension().string();
  PHYSCNN_CHECK_ARG(ext == ".npz" || ext == ".h5" || ext == ".hdf5",
                    "predict: --truth reads an array of the --input file, which must be .npz or "
                    ".h5, got ",
                    path);
  const data::Array y =
      ext == ".npz" ? data::NpzReader(path).read(name) : data::read_hdf5(path, name);
  PHYSCNN_CHECK_SHAPE(y.shape.rank() >= 2 && y.numel() == y.shape[0] * hw, "predict: --truth ",
                      name, " in ", path, " has shape ", y.shape.str(), "; expected (N, ", hw,
                      ") or (N, H, W) per-pixel classes");
  return y.to_int64();
}

// One PNG per sample: input (grey, the square root of |x| / max |x|) | truth | prediction |
// comparison (green found, red false, blue missed; without truth the last two panels are left out),
// each panel enlarged `zoom` times.
void write_overlay(const std::string& path, const std::vector<double>& input, const int64_t* truth,
                   const uint8_t* pred, int64_t h, int64_t w) {
  static const float colours[6][3] = {{0, 0, 0},       {1, 0.25f, 0.1f}, {0.1f, 0.8f, 1},
                                      {1, 0.9f, 0.1f}, {0.7f, 0.3f, 1},  {0.3f, 1, 0.3f}};
  const int64_t zoom = std::max<int64_t>(1, 256 / std::max(h, w)), gap = 4;
  const int64_t panels = truth ? 4 : 2, ph = h * zoom, pw = w * zoom;
  const int64_t width = panels * pw + (panels - 1) * gap;
  Tensor img = Tensor::ones(Shape{3, ph, width});
  float* d = img.data<float>();
  double top = 0;
  for (double v : input) top = std::max(top, std::abs(v));
  const auto put = [&](int64_t panel, int64_t r, int64_t c, const float rgb[3]) {
    for (int64_t y = r * zoom; y < (r + 1) * zoom; ++y)
      for (int64_t x = c * zoom; x < (c + 1) * zoom; ++x)
        for (int ch = 0; ch < 3; ++ch) d[(ch * ph + y) * width + panel * (pw + gap) + x] = rgb[ch];
  };
  const auto colour = [&](int64_t k) { return colours[size_t(std::clamp<int64_t>(k, 0, 5))]; };
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < w; ++c) {
      const int64_t p = r * w + c;
      // sqrt: faint hits stay visible beside the brightest.
      const float g = top > 0 ? float(std::sqrt(std::abs(input[size_t(p)]) / top)) : 0.0f;
      const float grey[3] = {g, g, g};
      put(0, r, c, grey);
      if (!truth) {
        put(1, r, c, colour(pred[p]));
        continue;
      }
      put(1, r, c, colour(truth[p]));
      put(2, r, c, colour(pred[p]));
      const bool t = truth[p] > 0, q = pred[p] > 0;
      const float found[3] = {0.1f, 0.9f, 0.2f}, fake[3] = {1, 0.1f, 0.1f},
                  missed[3] = {0.2f, 0.4f, 1}, none[3] = {0, 0, 0};
      put(3, r, c, t && q ? found : q ? fake : t ? missed : none);
    }
  data::write_png(path, img);
}

}  // namespace

Run add_predict(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "predict",
      "Model outputs for inputs: `physcnn predict RUN --input X --out P.npy|P.csv`, or\n"
      "`physcnn predict --model M --weights W --input X --out P.csv`.");
  struct Args {
    std::string run, model, weights, input, x = "x", out, masks, overlays, truth;
    int64_t batch_size = 256, overlay_count = 8;
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
  cmd->add_option("--masks", a->masks,
                  "per-pixel models: the argmax classes as (N, H, W) uint8 .npy");
  cmd->add_option("--overlays", a->overlays,
                  "per-pixel models: a folder of PNGs (input | truth | prediction | comparison)");
  cmd->add_option("--truth", a->truth,
                  "array of per-pixel classes in the --input file, for the overlays (e.g. y)");
  cmd->add_option("--overlay-count", a->overlay_count, "overlays of the first K inputs (default 8)")
      ->check(CLI::PositiveNumber);
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
    if (!a->masks.empty() || !a->overlays.empty()) {
      PHYSCNN_CHECK_SHAPE(out.dim() == 4, "predict: --masks and --overlays need per-pixel outputs ",
                          "(N, classes, H, W), got ", out.shape().str());
      const int64_t n = out.size(0), h = out.size(2), w = out.size(3);
      const std::vector<uint8_t> masks = argmax_masks(out);
      if (!a->masks.empty()) {
        PHYSCNN_CHECK_ARG(a->masks.ends_with(".npy"), "predict: --masks ", a->masks,
                          " must end in .npy");
        data::write_npy(a->masks, data::Array::from_vector(masks, Shape{n, h, w}));
      }
      if (!a->overlays.empty()) {
        const std::vector<int64_t> truth = read_truth(a->input, a->truth, h * w);
        PHYSCNN_CHECK_SHAPE(truth.empty() || int64_t(truth.size()) == n * h * w,
                            "predict: --truth ", a->truth, " holds ", truth.size(),
                            " values, the predictions ", n * h * w);
        fs::create_directories(a->overlays);
        const int64_t k = std::min(n, a->overlay_count);
        for (int64_t i = 0; i < k; ++i) {
          const Tensor x = set->get(i).input;
          PHYSCNN_CHECK_SHAPE(x.numel() >= h * w, "predict: input ", x.shape().str(),
                              " is smaller than the mask (", h, ", ", w, ")");
          std::vector<double> first = x.contiguous().to_vector();
          first.resize(size_t(h * w));  // the first channel
          char name[32];
          std::snprintf(name, sizeof name, "overlay_%04lld.png", static_cast<long long>(i));
          write_overlay((fs::path(a->overlays) / name).string(), first,
                        truth.empty() ? nullptr : truth.data() + i * h * w,
                        masks.data() + i * h * w, h, w);
        }
      }
    }
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
