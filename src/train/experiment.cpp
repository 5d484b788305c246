// Reading experiment files: TOML with overrides, checked keys and types, resolved paths.
#include "train/experiment.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "io/toml_util.hpp"
#include "train/metric_sets.hpp"

namespace physcnn::train {

namespace fs = std::filesystem;
using io::get_bool;
using io::get_double;
using io::get_int;
using io::get_string;

namespace {

// The [data] keys that name files, with the fields they fill (made absolute when read, written
// back resolved into the run's experiment.toml).
std::vector<std::pair<const char*, std::string*>> data_paths(DataConfig& d) {
  return {{"train", &d.train},     {"test", &d.test},     {"train_x", &d.train_x},
          {"train_y", &d.train_y}, {"test_x", &d.test_x}, {"test_y", &d.test_y}};
}

const std::vector<std::string> kTopKeys{"name",
                                        "model",
                                        "seed",
                                        "threads",
                                        "epochs",
                                        "batch_size",
                                        "out",
                                        "loss",
                                        "top_k",
                                        "clip_grad_norm",
                                        "data",
                                        "transforms",
                                        "optimizer",
                                        "schedule",
                                        "early_stopping",
                                        "checkpoint",
                                        "sync_batch_norm",
                                        "metrics"};
const std::vector<std::string> kDataKeys{
    "format",     "root",          "train",    "test",    "train_x",    "train_y",
    "test_x",     "test_y",        "x",        "y",       "mmap",       "scale_uint8",
    "validation", "test_fraction", "stratify", "workers", "class_names"};
const std::vector<std::string> kTransformKeys{"normalize", "flip",      "flip_vertical",  "d4",
                                              "rot90",     "translate", "translate_fill", "rotate",
                                              "crop",      "noise",     "sign_flip"};
const std::vector<std::string> kEarlyKeys{"monitor", "patience", "min_delta", "restore_best"};
const std::vector<std::string> kCheckpointKeys{"every", "best", "monitor"};

// The sub-table `key` of root (an empty one when absent); a wrong type is a located error.
const toml::table& section(const toml::table& root, const std::string& key) {
  static const toml::table empty;
  const toml::node* n = root.get(key);
  if (!n) return empty;
  if (!n->is_table()) io::throw_type_error(*n, key, "a table", "the experiment");
  return *n->as_table();
}

template <class T>
void read(std::optional<T> v, T& out) {
  if (v) out = *v;
}

void apply_override(toml::table& root, const Override& o) {
  std::vector<std::string> parts;
  std::stringstream ss(o.first);
  for (std::string p; std::getline(ss, p, '.');) {
    PHYSCNN_CHECK_ARG(!p.empty(), "--set ", o.first, ": empty name in the key");
    parts.push_back(p);
  }
  PHYSCNN_CHECK_ARG(!parts.empty(), "--set: empty key");
  toml::table* t = &root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    toml::node* n = t->get(parts[i]);
    if (!n) {
      t->insert(parts[i], toml::table{});
      n = t->get(parts[i]);
    }
    PHYSCNN_CHECK_ARG(n->is_table(), "--set ", o.first, ": '", parts[i], "' is not a table");
    t = n->as_table();
  }
  // Parsed with the override as its source, so a bad value's message names "--set key=value".
  const std::string source = "--set " + o.first + "=" + o.second;
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + o.second, source);
  } catch (const toml::parse_error&) {
    std::string quoted = "\"";
    for (unsigned char c : o.second) {
      char buf[8];
      if (c == '"' || c == '\\') {
        quoted += '\\';
        quoted += char(c);
      } else if (c < 0x20 || c == 0x7f) {
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        quoted += buf;
      } else {
        quoted += char(c);
      }
    }
    try {
      parsed = toml::parse("v = " + quoted + "\"", source);
    } catch (const toml::parse_error&) {  // not UTF-8: TOML cannot hold it
      throw UsageError(source + ": the value is not valid UTF-8 (TOML strings are UTF-8)");
    }
  }
  // Moved, not copied: a toml++ copy drops the source (the "--set ..." name in messages).
  parsed.get("v")->visit([&](auto&& n) { t->insert_or_assign(parts.back(), std::move(n)); });
}

std::string absolute(const std::string& base, const std::string& p) {
  if (p.empty()) return p;
  return fs::absolute(fs::path(base) / p).lexically_normal().string();
}

}  // namespace

Override parse_override(const std::string& text) {
  const size_t eq = text.find('=');
  PHYSCNN_CHECK_ARG(eq != std::string::npos && eq > 0, "--set '", text,
                    "' should be key=value (e.g. optimizer.lr=0.01)");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

Experiment load_experiment(const std::string& path, const std::vector<Override>& overrides) {
  if (!fs::exists(path)) throw IoError("experiment file " + path + " does not exist");
  return parse_experiment(io::read_toml_text(path), path, fs::absolute(path).parent_path().string(),
                          overrides);
}

Experiment parse_experiment(const std::string& text, const std::string& source_name,
                            const std::string& base_dir, const std::vector<Override>& overrides) {
  toml::table root = io::parse_toml(text, source_name);
  for (const auto& o : overrides) apply_override(root, o);
  // Counts held as int: checked before narrowing (epochs = 10^12 used to wrap to -727379968).
  auto bounded_int = [&](const char* key, int64_t v, int64_t max) {
    PHYSCNN_CHECK_ARG(v >= -max && v <= max, source_name, ": ", key, " = ", v,
                      " is out of range (at most ", max, ")");
    return int(v);
  };
  Experiment e;
  e.source = source_name;
  e.base_dir = base_dir;
  const std::string top = "the experiment";
  io::check_keys(root, kTopKeys, top);
  read(get_string(root, "name", top), e.name);
  if (e.name.empty()) e.name = fs::path(source_name).stem().string();
  // The name becomes the default run folder runs/<name>: a plain file name, so that a file
  // from elsewhere cannot place its run outside runs/ ("../../x") or in an odd name.
  const bool plain_name = !e.name.empty() && e.name.size() <= 255 && e.name != "." &&
                          e.name != ".." && std::none_of(e.name.begin(), e.name.end(), [](char c) {
                            return c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
                          });
  PHYSCNN_CHECK_ARG(plain_name, source_name, ": name '", e.name,
                    "' must be a plain file name (no '/', control characters, '.' or '..'; "
                    "at most 255 bytes): it names the run folder runs/<name>");
  e.model = io::require_string(root, "model", top);
  if (e.model.size() > 5 && e.model.substr(e.model.size() - 5) == ".toml") {
    e.model_is_file = true;
    e.model = absolute(base_dir, e.model);
    root.insert_or_assign("model", e.model);
  }
  if (auto v = get_int(root, "seed", top)) {
    PHYSCNN_CHECK_ARG(*v >= 0, source_name, ": seed must be >= 0, got ", *v);
    e.seed = uint64_t(*v);
  }
  if (auto v = get_int(root, "threads", top)) e.threads = bounded_int("threads", *v, 1024);
  if (auto v = get_int(root, "epochs", top)) e.epochs = bounded_int("epochs", *v, 10'000'000);
  read(get_int(root, "batch_size", top), e.batch_size);
  read(get_string(root, "out", top), e.out);
  if (e.out.empty()) e.out = "runs/" + e.name;
  if (auto v = get_string(root, "loss", top)) e.loss = parse_loss(*v);
  read(get_int(root, "top_k", top), e.top_k);
  if (auto v = get_string(root, "metrics", top)) {
    e.metrics = *v;
    (void)metric_set(e.metrics);  // an unknown name fails here, listing the known sets
  }
  read(get_double(root, "clip_grad_norm", top), e.clip_grad_norm);
  read(get_bool(root, "sync_batch_norm", top), e.sync_batch_norm);
  // 0: no training; the run folder holds the initial (or --init) weights and their evaluation.
  PHYSCNN_CHECK_ARG(e.epochs >= 0, source_name, ": epochs must be >= 0, got ", e.epochs);
  PHYSCNN_CHECK_ARG(e.batch_size >= 1, source_name, ": batch_size must be >= 1, got ",
                    e.batch_size);
  PHYSCNN_CHECK_ARG(e.threads >= 0, source_name, ": threads must be >= 0, got ", e.threads);
  PHYSCNN_CHECK_ARG(std::isfinite(e.clip_grad_norm) && e.clip_grad_norm >= 0, source_name,
                    ": clip_grad_norm must be a finite number >= 0 (0: off), got ",
                    e.clip_grad_norm);
  PHYSCNN_CHECK_ARG(e.top_k >= 1, source_name, ": top_k must be >= 1, got ", e.top_k);

  // [data]
  {
    // Required: without it the key errors below would have no file to name.
    PHYSCNN_CHECK_ARG(root.get("data") != nullptr, source_name,
                      ": missing the [data] table (format and files of the data set; "
                      "docs/training.md)");
    const toml::table& t = section(root, "data");
    const std::string ctx = "[data]";
    io::check_keys(t, kDataKeys, ctx);
    DataConfig& d = e.data;
    d.format = io::require_string(t, "format", ctx);
    const std::vector<std::string> formats{"idx", "npy", "npz", "hdf5", "png"};
    if (std::find(formats.begin(), formats.end(), d.format) == formats.end())
      io::throw_at(*t.get("format"), ctx,
                   "unknown format '" + d.format + "' (known: idx, npy, npz, hdf5, png)" +
                       io::did_you_mean(d.format, formats));
    std::string root_dir = base_dir;
    if (auto r = get_string(t, "root", ctx)) root_dir = absolute(base_dir, *r);
    for (auto [key, slot] : data_paths(d))
      if (auto v = get_string(t, key, ctx)) *slot = absolute(root_dir, *v);
    read(get_string(t, "x", ctx), d.x);
    read(get_string(t, "y", ctx), d.y);
    read(get_bool(t, "mmap", ctx), d.mmap);
    read(get_bool(t, "scale_uint8", ctx), d.scale_uint8);
    read(get_double(t, "validation", ctx), d.validation);
    read(get_double(t, "test_fraction", ctx), d.test_fraction);
    read(get_bool(t, "stratify", ctx), d.stratify);
    if (auto v = get_int(t, "workers", ctx)) d.workers = bounded_int("[data] workers", *v, 256);
    read(io::get_string_list(t, "class_names", ctx), d.class_names);
    const bool pairs = d.format == "idx" || d.format == "npy";
    if (pairs) {
      PHYSCNN_CHECK_ARG(!d.train_x.empty() && !d.train_y.empty(), source_name, ": [data] format ",
                        d.format, " needs train_x and train_y");
      PHYSCNN_CHECK_ARG(d.test_x.empty() == d.test_y.empty(), source_name,
                        ": [data] give both test_x and test_y, or neither");
    } else {
      PHYSCNN_CHECK_ARG(!d.train.empty(), source_name, ": [data] format ", d.format,
                        " needs 'train' (a file, or a folder for png)");
    }
    // With a separate test file, test_fraction does not apply: the test file is used whole.
    const bool test_file = !d.test.empty() || !d.test_x.empty();
    const double held_out = d.validation + (test_file ? 0.0 : d.test_fraction);
    PHYSCNN_CHECK_ARG(
        d.validation >= 0 && d.validation < 1 && d.test_fraction >= 0 && d.test_fraction < 1 &&
            held_out < 1,
        source_name, ": [data] validation (", d.validation, ")",
        test_file ? "" : " and test_fraction (" + std::to_string(d.test_fraction) + ")",
        " must be fractions in [0, 1)", test_file ? "" : " with a sum below 1");
    PHYSCNN_CHECK_ARG(d.workers >= 0, source_name, ": [data] workers must be >= 0");
    auto& dt = *root["data"].as_table();
    for (auto [key, slot] : data_paths(d))
      if (!slot->empty()) dt.insert_or_assign(key, *slot);
    dt.erase("root");
  }
  // [transforms]
  {
    const toml::table& t = section(root, "transforms");
    const std::string ctx = "[transforms]";
    io::check_keys(t, kTransformKeys, ctx);
    TransformConfig& c = e.transforms;
    read(get_bool(t, "normalize", ctx), c.normalize);
    read(get_double(t, "flip", ctx), c.flip);
    read(get_double(t, "flip_vertical", ctx), c.flip_vertical);
    read(get_bool(t, "d4", ctx), c.d4);
    read(get_bool(t, "rot90", ctx), c.rot90);
    read(get_int(t, "translate", ctx), c.translate);
    read(get_string(t, "translate_fill", ctx), c.translate_fill);
    read(get_double(t, "rotate", ctx), c.rotate);
    read(get_int(t, "crop", ctx), c.crop);
    read(get_double(t, "noise", ctx), c.noise);
    read(get_double(t, "sign_flip", ctx), c.sign_flip);
    if (c.translate_fill != "zeros" && c.translate_fill != "periodic")
      io::throw_at(*t.get("translate_fill"), ctx,
                   "translate_fill must be 'zeros' or 'periodic', got '" + c.translate_fill + "'");
  }
  // [optimizer]
  {
    const toml::table& t = section(root, "optimizer");
    const std::string ctx = "[optimizer]";
    OptimizerConfig& o = e.optimizer;
    read(get_string(t, "name", ctx), o.name);
    std::vector<std::string> keys{"name", "lr", "weight_decay"};
    if (o.name == "sgd" || o.name == "momentum" || o.name == "nesterov") {
      keys.push_back("momentum");
      o.momentum = o.name == "sgd" ? 0.0 : 0.9;
    } else if (o.name == "rmsprop") {
      keys.insert(keys.end(), {"alpha", "eps", "momentum", "centered"});
      o.momentum = 0.0;
      o.lr = 1e-2;
    } else if (o.name == "adam" || o.name == "adamw") {
      keys.insert(keys.end(), {"betas", "eps", "amsgrad"});
      if (o.name == "adamw") o.weight_decay = 1e-2;
    } else {
      const std::vector<std::string> names{"sgd",     "momentum", "nesterov",
                                           "rmsprop", "adam",     "adamw"};
      io::throw_at(*t.get("name"), ctx,
                   "unknown optimizer '" + o.name +
                       "' (known: sgd, momentum, nesterov, rmsprop, adam, adamw)" +
                       io::did_you_mean(o.name, names));
    }
    io::check_keys(t, keys, ctx + " (" + o.name + ")");
    read(get_double(t, "lr", ctx), o.lr);
    read(get_double(t, "momentum", ctx), o.momentum);
    read(get_double(t, "weight_decay", ctx), o.weight_decay);
    read(get_double(t, "eps", ctx), o.eps);
    read(get_double(t, "alpha", ctx), o.alpha);
    read(get_bool(t, "centered", ctx), o.centered);
    read(get_bool(t, "amsgrad", ctx), o.amsgrad);
    if (const toml::node* b = t.get("betas")) {
      const toml::array* a = b->as_array();
      if (!a || a->size() != 2 || !(*a)[0].is_number() || !(*a)[1].is_number())
        io::throw_type_error(*b, "betas", "an array of two numbers", ctx);
      o.betas = {(*a)[0].value<double>().value(), (*a)[1].value<double>().value()};
    }
    PHYSCNN_CHECK_ARG(o.lr > 0, source_name, ": [optimizer] lr must be positive, got ", o.lr);
  }
  // [schedule]
  {
    const toml::table& t = section(root, "schedule");
    const std::string ctx = "[schedule]";
    ScheduleConfig& s = e.schedule;
    read(get_string(t, "name", ctx), s.name);
    const std::vector<std::pair<std::string, std::vector<std::string>>> kinds{
        {"none", {}},
        {"step", {"step_size", "gamma"}},
        {"multistep", {"milestones", "gamma"}},
        {"exponential", {"gamma"}},
        {"cosine", {"t_max", "eta_min"}},
        {"warmup_cosine", {"warmup", "t_max", "eta_min", "start_factor"}},
        {"plateau", {"factor", "patience", "threshold", "cooldown", "min_lr", "mode"}}};
    std::vector<std::string> names, keys{"name", "per"};
    for (const auto& [n, k] : kinds) {
      names.push_back(n);
      if (n == s.name) keys.insert(keys.end(), k.begin(), k.end());
    }
    if (std::find(names.begin(), names.end(), s.name) == names.end())
      io::throw_at(*t.get("name"), ctx,
                   "unknown schedule '" + s.name +
                       "' (known: none, step, multistep, exponential, cosine, warmup_cosine, "
                       "plateau)" +
                       io::did_you_mean(s.name, names));
    io::check_keys(t, keys, ctx + " (" + s.name + ")");
    read(get_string(t, "per", ctx), s.per);
    if (s.per != "epoch" && s.per != "step")
      io::throw_at(*t.get("per"), ctx, "per must be 'epoch' or 'step', got '" + s.per + "'");
    read(get_int(t, "step_size", ctx), s.step_size);
    read(get_double(t, "gamma", ctx), s.gamma);
    read(io::get_int_list(t, "milestones", ctx), s.milestones);
    read(get_int(t, "t_max", ctx), s.t_max);
    read(get_double(t, "eta_min", ctx), s.eta_min);
    read(get_int(t, "warmup", ctx), s.warmup);
    read(get_double(t, "start_factor", ctx), s.start_factor);
    read(get_double(t, "factor", ctx), s.factor);
    read(get_int(t, "patience", ctx), s.patience);
    read(get_double(t, "threshold", ctx), s.threshold);
    read(get_int(t, "cooldown", ctx), s.cooldown);
    read(get_double(t, "min_lr", ctx), s.min_lr);
    read(get_string(t, "mode", ctx), s.mode);
    PHYSCNN_CHECK_ARG(s.name != "plateau" || s.per == "epoch", source_name,
                      ": [schedule] plateau is judged once per epoch (per = \"epoch\")");
  }
  // [early_stopping]
  if (root.get("early_stopping")) {
    const toml::table& t = section(root, "early_stopping");
    const std::string ctx = "[early_stopping]";
    io::check_keys(t, kEarlyKeys, ctx);
    auto& s = e.early_stopping;
    s.enabled = true;
    read(get_string(t, "monitor", ctx), s.monitor);
    if (auto v = get_int(t, "patience", ctx))
      s.patience = bounded_int("[early_stopping] patience", *v, 10'000'000);
    read(get_double(t, "min_delta", ctx), s.min_delta);
    read(get_bool(t, "restore_best", ctx), s.restore_best);
    PHYSCNN_CHECK_ARG(s.patience >= 0, source_name, ": [early_stopping] patience must be >= 0");
  }
  // [checkpoint]
  {
    const toml::table& t = section(root, "checkpoint");
    const std::string ctx = "[checkpoint]";
    io::check_keys(t, kCheckpointKeys, ctx);
    if (auto v = get_int(t, "every", ctx))
      e.checkpoint_every = bounded_int("[checkpoint] every", *v, 10'000'000);
    read(get_bool(t, "best", ctx), e.checkpoint_best);
    read(get_string(t, "monitor", ctx), e.monitor);
    PHYSCNN_CHECK_ARG(e.checkpoint_every >= 0, source_name,
                      ": [checkpoint] every must be >= 0 (0: only the last epoch)");
  }
  std::ostringstream os;
  os << "# The experiment as run (overrides applied, paths absolute).\n" << root << "\n";
  e.resolved_toml = os.str();
  return e;
}

}  // namespace physcnn::train
