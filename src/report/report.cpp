// write_run_report: read the run folder, draw what is there, and write index.html with one
// section per part (a note where a part is missing), live reload while the run is going.
#include "report/report.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "nn/inspect.hpp"
#include "report/html.hpp"
#include "report/nqs_report.hpp"
#include "report/pictures.hpp"
#include "tensor/ops.hpp"
#include "train/evaluation.hpp"
#include "viz/roc_plot.hpp"

namespace physcnn::report {

namespace fs = std::filesystem;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  PHYSCNN_CHECK(in.good(), IoError, "report: cannot read ", path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Builds the page while pictures are written; every picture goes to RUN/report/.
class Builder {
 public:
  Builder(std::string run_dir, ReportResult& result) : run_(std::move(run_dir)), r_(result) {}

  std::string path(const std::string& name) const { return run_ + "/" + name; }
  bool has(const std::string& name) const { return fs::exists(path(name)); }

  // Saves fig as report/<name>.png (and .svg when svg) and returns the <figure> markup.
  std::string picture(const viz::Figure& fig, const std::string& name, const std::string& caption,
                      bool svg = false) {
    const std::string png = "report/" + name + ".png";
    fig.save_png(path(png));
    r_.pictures.push_back(png);
    std::string svg_rel;
    if (svg) {
      svg_rel = "report/" + name + ".svg";
      fig.save_svg(path(svg_rel));
      r_.pictures.push_back(svg_rel);
    }
    return html::figure(png, svg_rel, caption);
  }
  std::string note(const std::string& text) {
    r_.notes.push_back(text);
    return html::note(text);
  }

 private:
  std::string run_;
  ReportResult& r_;
};

std::string fmt(double v, const char* format = "%.4g") {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string last_value(const RunMetrics& m, const std::string& key) {
  const auto* col = m.column(key);
  if (!col) return "";
  for (auto it = col->rbegin(); it != col->rend(); ++it)
    if (std::isfinite(*it)) return fmt(*it);
  return "";
}

std::string curves_section(Builder& b, const RunMetrics* m, std::string& headline) {
  std::string s = "<h2 id=\"curves\">Training curves</h2>\n";
  if (!m) return s + b.note("No metrics.json yet: the curves appear after the first epoch.");
  if (m->epoch.empty()) return s + b.note("metrics.json has no epochs yet.");
  headline = "epoch " + fmt(m->epoch.back(), "%.0f");
  for (const char* key : {"train_loss", "val_loss"})
    if (auto v = last_value(*m, key); !v.empty()) headline += ", " + std::string(key) + " " + v;
  for (const auto& metric : m->metric_names())
    if (auto v = last_value(*m, "val_" + metric); !v.empty())
      headline += ", val_" + metric + " " + v;
  s += "<div class=\"grid\">\n";
  if (auto p = loss_plot(*m)) s += b.picture(*p, "loss", "Training and validation loss", true);
  for (const auto& metric : m->metric_names())
    if (auto p = metric_plot(*m, metric))
      s += b.picture(*p, "metric_" + metric, metric + ", training and validation", true);
  if (auto p = lr_plot(*m)) s += b.picture(*p, "lr", "Learning rate", true);
  if (auto p = throughput_plot(*m)) s += b.picture(*p, "throughput", "Throughput", true);
  s += "</div>\n";
  s += html::metrics_table(*m);
  return s;
}

std::string eval_section(Builder& b, const EvalResults* e, std::string& headline) {
  std::string s = "<h2 id=\"test\">Test set</h2>\n";
  if (!e) return s + b.note("No eval.json: the run has not been evaluated on its test set yet.");
  for (const auto& [key, value] : e->scalars)
    if (key.find("accuracy") != std::string::npos && headline.find("test") == std::string::npos)
      headline += (headline.empty() ? "" : "; ") + std::string("test ") + key + " " + fmt(value);
  s += html::key_values(e->scalars);
  if (!e->roc_signal.empty()) {
    double auc = 0;
    for (const auto& [key, value] : e->scalars)
      if (key == "auc") auc = value;
    s += b.picture(viz::roc_plot({{.signal_efficiency = e->roc_signal,
                                   .background_efficiency = e->roc_background,
                                   .auc = auc}}),
                   "roc", "ROC curve of the class-1 score on the test set", true);
  }
  if (e->confusion.empty()) return s + b.note("eval.json has no confusion matrix.");
  // A heat map of thousands of classes is unreadable and took gigabytes to draw (3000 classes:
  // 9 GB); the per-class table below says what it would.
  constexpr size_t kMaxDrawnClasses = 100;
  if (e->confusion.size() > kMaxDrawnClasses)
    s += b.note("The confusion matrix (" + std::to_string(e->confusion.size()) +
                " classes) is not drawn above " + std::to_string(kMaxDrawnClasses) +
                " classes; it is in eval.json, per-class figures below.");
  else
    s += b.picture(confusion_plot(*e), "confusion",
                   "Confusion matrix: rows true, columns predicted", true);
  s += html::per_class_table(*e);
  return s;
}

// Filters of every Conv2d, then the sample-based pictures.
std::string model_sections(Builder& b, nn::Module& model, const Samples* samples,
                           const std::vector<std::string>& class_names, const ReportOptions& o) {
  std::string s = "<h2 id=\"filters\">Learned filters</h2>\n";
  int convs = 0;
  for (const auto& [name, m] : model.named_modules()) {
    if (m->type_name() != "Conv2d") continue;
    for (const auto& [pname, p] : m->named_parameters())
      if (pname == "weight" && p.value().dim() == 4) {
        s += b.picture(filter_grid(name, p.value()), "filters_" + name,
                       name + ": weights, blue negative, red positive");
        ++convs;
      }
  }
  if (convs == 0) s += b.note("The model has no Conv2d layer with weights.");

  s += "<h2 id=\"features\">Inputs, feature maps, saliency and class activation</h2>\n";
  if (!samples) return s + b.note("No samples.npz: no inputs to show feature maps for.");
  const int64_t n = std::min(samples->x.size(0), o.max_samples);
  const Tensor x = samples->x.slice(0, 0, n).contiguous();
  std::vector<int64_t> labels(samples->y.begin(),
                              samples->y.begin() + std::min<size_t>(n, samples->y.size()));
  Tensor out = train::predict(model, x);
  const bool classifier = out.dim() == 2;
  const std::vector<int64_t> predicted = classifier ? argmax(out, 1) : std::vector<int64_t>(n, -1);
  const auto captions = sample_captions(labels, predicted, class_names);
  s += b.picture(input_grid(x, captions), "inputs", "Sample inputs with true and predicted class");

  s += "<h3>Feature maps of sample #0</h3>\n";
  int shown = 0;
  for (const auto& lo : nn::layer_outputs(model, x.slice(0, 0, 1))) {
    if (!lo.leaf || lo.value.dim() != 4 || lo.value.size(2) * lo.value.size(3) <= 1) continue;
    if (lo.type.find("Dropout") != std::string::npos) continue;
    if (shown++ >= o.max_layers) break;
    s += b.picture(feature_grid(lo.path, lo.type, lo.value.select(0, 0), o.max_channels),
                   "features_" + lo.path + "_" + std::to_string(shown),
                   lo.path + " (" + lo.type + ")");
  }
  if (shown == 0) s += b.note("The model has no layer with spatial (N, C, H, W) outputs.");

  if (!classifier) return s + b.note("Saliency and CAM need a classifier output (N, classes).");
  s += "<h3>Saliency</h3>\n";
  s += b.picture(saliency_grid(nn::saliency(model, x), captions), "saliency",
                 "Gradient of the predicted class score with respect to the input");
  s += "<h3>Class activation</h3>\n";
  try {
    s += b.picture(cam_grid(nn::class_activation_map(model, x), captions), "cam",
                   "CAM: each position's share of the predicted class score");
  } catch (const UsageError&) {  // no GAP head: Grad-CAM on the last conv layer
    try {
      const auto gc = nn::grad_cam(model, x);
      s += b.picture(cam_grid(gc, captions), "cam",
                     "Grad-CAM at " + gc.layer + " for the predicted class");
    } catch (const UsageError& e) {
      s += b.note(std::string("No class-activation map: ") + e.what());
    }
  }
  return s;
}

}  // namespace

ReportResult write_run_report(const std::string& run_dir, const ReportOptions& options) {
  PHYSCNN_CHECK(fs::is_directory(run_dir), IoError, "report: run folder '", run_dir,
                "' does not exist or is not a folder");
  PHYSCNN_CHECK_ARG(options.max_samples > 0 && options.max_channels > 0 && options.max_layers > 0,
                    "write_run_report: max_samples, max_channels and max_layers must be positive");
  if (is_nqs_run(run_dir)) return write_nqs_report(run_dir, options);
  ReportResult r;
  r.index = run_dir + "/index.html";
  r.running = fs::exists(run_dir + "/RUNNING");
  fs::create_directories(run_dir + "/report");
  Builder b(run_dir, r);

  std::optional<RunMetrics> metrics;
  if (b.has("metrics.json")) metrics = read_run_metrics(b.path("metrics.json"));
  std::optional<EvalResults> eval;
  if (b.has("eval.json")) eval = read_eval(b.path("eval.json"));
  std::optional<Samples> samples;
  if (b.has("samples.npz")) samples = read_samples(b.path("samples.npz"));
  std::vector<std::string> class_names =
      metrics ? metrics->class_names : std::vector<std::string>{};
  if (class_names.empty() && eval) class_names = eval->class_names;

  std::string headline;
  std::string body = curves_section(b, metrics ? &*metrics : nullptr, headline);
  body += eval_section(b, eval ? &*eval : nullptr, headline);

  std::string summary;
  if (b.has("summary.txt")) summary = read_text(b.path("summary.txt"));
  if (options.model) {
    nn::Module& model = *options.model;
    bool weights = true;
    if (options.load_weights) {
      if (b.has("model.safetensors")) {
        const auto file = io::load_safetensors(b.path("model.safetensors"));
        try {
          model.load_state_dict(file.tensors, true);
        } catch (const ShapeError& e) {
          throw ShapeError("report: " + b.path("model.safetensors") +
                           " does not fit the model: " + e.what());
        } catch (const UsageError& e) {
          throw UsageError("report: " + b.path("model.safetensors") +
                           " does not fit the model: " + e.what());
        }
      } else {
        weights = false;
      }
    }
    if (summary.empty() && samples) {
      const auto& d = samples->x.shape().dims();
      summary =
          nn::format_summary(model.summary(Shape(std::vector<int64_t>(d.begin() + 1, d.end()))));
    }
    if (weights) try {
        body += model_sections(b, model, samples ? &*samples : nullptr, class_names, options);
      } catch (const ShapeError& e) {  // the samples do not fit the model: name the file
        throw ShapeError("report: " + b.path("samples.npz") + ": inputs " +
                         (samples ? samples->x.shape().str() : "") +
                         " do not fit the model: " + e.what());
      }
    else
      body += "<h2 id=\"filters\">Learned filters</h2>\n" +
              b.note(
                  "No model.safetensors yet: filters and feature maps appear once the run "
                  "has saved its weights.");
  } else {
    body += "<h2 id=\"filters\">Learned filters</h2>\n" +
            b.note(
                "No model given: filters, feature maps, saliency and CAM need the run's model "
                "(`physcnn report` builds it from the run's model.toml or experiment.toml).");
  }

  std::string config;
  for (const char* name : {"experiment.toml", "model.toml"})
    if (b.has(name)) config += html::preformatted(name, read_text(b.path(name)));
  if (config.empty()) config = b.note("No experiment.toml or model.toml in the run folder.");

  const html::Page page{.title = run_name(run_dir),
                        .headline = headline,
                        .running = r.running,
                        .refresh_seconds = options.refresh_seconds,
                        .summary = summary,
                        .body = body,
                        .config = config,
                        .files = [&] {
                          std::vector<std::string> files;
                          for (const char* f : {"metrics.csv", "metrics.json", "eval.json",
                                                "summary.txt", "model.safetensors", "samples.npz"})
                            if (b.has(f)) files.push_back(f);
                          return files;
                        }()};
  const std::string text = html::render(page);
  io::write_file_atomic(r.index, [&](std::ostream& out) { out << text; });
  return r;
}

}  // namespace physcnn::report
