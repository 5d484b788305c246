// Loss names, targets from batches and the autograd losses behind LossKind.
#include "train/losses.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "autograd/functional.hpp"
#include "core/error.hpp"
#include "train/metric_sets.hpp"
#include "train/metrics.hpp"

namespace physcnn::train {

namespace ag = physcnn::autograd;

namespace {

const std::vector<std::pair<std::string, LossTerm>>& term_names() {
  static const std::vector<std::pair<std::string, LossTerm>> names{
      {"cross_entropy", LossTerm::CrossEntropy},
      {"mse", LossTerm::Mse},
      {"bce", LossTerm::Bce},
      {"pixel_cross_entropy", LossTerm::PixelCrossEntropy},
      {"dice", LossTerm::Dice},
      {"focal", LossTerm::Focal}};
  return names;
}

std::string term_name(LossTerm t) {
  for (const auto& [name, term] : term_names())
    if (term == t) return name;
  return "?";
}

LossTerm family_of(LossTerm t) {
  return t == LossTerm::Dice || t == LossTerm::Focal ? LossTerm::PixelCrossEntropy : t;
}

std::string trimmed(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// "0.5*dice", "focal(3)", "pixel_cross_entropy".
LossKind::Part parse_part(const std::string& text, const std::string& whole) {
  LossKind::Part p;
  std::string name = trimmed(text);
  if (const size_t star = name.find('*'); star != std::string::npos) {
    const std::string w = trimmed(name.substr(0, star));
    size_t used = 0;
    try {
      p.weight = std::stod(w, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    PHYSCNN_CHECK_ARG(used == w.size() && !w.empty() && std::isfinite(p.weight) && p.weight > 0,
                      "loss '", whole, "': weight '", w, "' should be a positive number");
    name = trimmed(name.substr(star + 1));
  }
  if (name.starts_with("focal(") && name.ends_with(")")) {
    const std::string g = name.substr(6, name.size() - 7);
    PHYSCNN_CHECK_ARG(!g.empty() && g.size() <= 1 && std::isdigit(static_cast<unsigned char>(g[0])),
                      "loss '", whole, "': focal(G) needs an integer gamma in [0, 8], got '", g,
                      "'");
    p.gamma = g[0] - '0';
    PHYSCNN_CHECK_ARG(p.gamma <= 8, "loss '", whole, "': focal gamma must be in [0, 8], got ",
                      p.gamma);
    name = "focal";
  }
  for (const auto& [n, term] : term_names())
    if (n == name) {
      p.term = term;
      return p;
    }
  std::string known;
  for (const auto& [n, _] : term_names()) known += (known.empty() ? "" : ", ") + n;
  throw UsageError("unknown loss '" + name + "'" + (name == whole ? "" : " in '" + whole + "'") +
                   " (known: " + known +
                   "; focal(G) sets gamma; terms add as \"pixel_cross_entropy + 0.5*dice\")");
}

}  // namespace

LossTerm LossKind::family() const {
  return parts.empty() ? LossTerm::CrossEntropy : family_of(parts[0].term);
}

LossKind parse_loss(const std::string& text) {
  LossKind loss;
  loss.parts.clear();
  size_t from = 0;
  while (true) {
    const size_t plus = text.find('+', from);
    loss.parts.push_back(parse_part(text.substr(from, plus - from), text));
    if (plus == std::string::npos) break;
    from = plus + 1;
  }
  for (const auto& p : loss.parts)
    PHYSCNN_CHECK_ARG(family_of(p.term) == loss.family(), "loss '", text, "': ", term_name(p.term),
                      " and ", term_name(loss.parts[0].term),
                      " take different targets and cannot be added");
  PHYSCNN_CHECK_ARG(loss.parts.size() == 1 || loss.per_pixel(), "loss '", text,
                    "': only per-pixel losses (pixel_cross_entropy, dice, focal) add up");
  return loss;
}

std::string loss_name(const LossKind& loss) {
  std::string out;
  for (const auto& p : loss.parts) {
    if (!out.empty()) out += " + ";
    if (p.weight != 1.0) {
      char w[32];
      std::snprintf(w, sizeof w, "%.9g*", p.weight);
      out += w;
    }
    out += term_name(p.term);
    if (p.term == LossTerm::Focal && p.gamma != 2) out += "(" + std::to_string(p.gamma) + ")";
  }
  return out;
}

bool is_classification(const LossKind& loss) {
  return loss.family() != LossTerm::Mse;
}

std::vector<std::string> metric_names(const LossKind& loss, int64_t top_k,
                                      const std::string& metric_set) {
  if (!metric_set.empty()) {
    std::vector<std::string> names = metric_names(loss, top_k);
    for (const auto& n : train::metric_set(metric_set).names) names.push_back(n);
    return names;
  }
  if (loss.family() == LossTerm::Mse) return regression_metric_names();
  if (loss.family() == LossTerm::CrossEntropy && top_k > 1)
    return classification_metric_names(top_k);
  if (loss.per_pixel()) return segmentation_metric_names();
  return {"accuracy"};
}

Tensor labels_tensor(const std::vector<int64_t>& labels, const Shape& shape) {
  std::vector<float> v(labels.begin(), labels.end());
  return Tensor::from_vector(v, shape);
}

Tensor loss_target(const Tensor& out, const data::Batch& b, const LossKind& kind) {
  const int64_t n = out.size(0);
  const LossTerm loss = kind.family();
  switch (loss) {
    case LossKind::CrossEntropy:
      PHYSCNN_CHECK_ARG(!b.labels.empty(),
                        "loss cross_entropy needs class labels, the data has regression targets");
      PHYSCNN_CHECK_SHAPE(out.dim() == 2, "loss cross_entropy: model output ", out.shape().str(),
                          " should be (N, classes)");
      return labels_tensor(b.labels, Shape{n});
    case LossKind::Mse:
    case LossKind::Bce: {
      const Tensor t = b.labels.empty() ? b.targets : labels_tensor(b.labels, Shape{n});
      PHYSCNN_CHECK_ARG(loss != LossKind::Mse || b.labels.empty(),
                        "loss mse needs regression targets, the data has class labels (use "
                        "cross_entropy, or float targets)");
      PHYSCNN_CHECK_SHAPE(t.numel() == out.numel(), "loss ", term_name(loss), ": model output ",
                          out.shape().str(), " and targets ", t.shape().str(), " differ in size");
      return t.reshape(out.shape()).to(out.dtype());
    }
    case LossKind::PixelCrossEntropy: {
      const std::string name = loss_name(kind);
      PHYSCNN_CHECK_SHAPE(out.dim() == 4, "loss ", name, ": model output ", out.shape().str(),
                          " should be (N, classes, H, W)");
      PHYSCNN_CHECK_ARG(b.targets.defined(), "loss ", name,
                        " needs per-pixel targets "
                        "stored as (N, H*W)");
      const Shape s{n, out.size(2), out.size(3)};
      PHYSCNN_CHECK_SHAPE(b.targets.numel() == s.numel(), "loss ", name, ": output ",
                          out.shape().str(), " needs targets of ", s.numel(), " values, got ",
                          b.targets.shape().str());
      return b.targets.reshape(s);
    }
    case LossKind::Dice:
    case LossKind::Focal:
      break;  // family() never returns these
  }
  return {};
}

namespace {
ag::Var term_of(const ag::Var& out, const Tensor& target, const LossKind::Part& p) {
  switch (p.term) {
    case LossTerm::CrossEntropy:
    case LossTerm::PixelCrossEntropy:
      return ag::cross_entropy(out, target);
    case LossTerm::Mse:
      return ag::mse_loss(out, ag::Var(target));
    case LossTerm::Bce:
      return ag::bce_with_logits(out, target);
    case LossTerm::Dice:
      return ag::dice_loss(out, target);
    case LossTerm::Focal:
      return ag::focal_loss(out, target, p.gamma);
  }
  return {};
}
}  // namespace

ag::Var loss_of(const ag::Var& out, const Tensor& target, const LossKind& loss) {
  ag::Var total;
  for (const auto& p : loss.parts) {
    ag::Var term = term_of(out, target, p);
    if (p.weight != 1.0) term = ag::scale(term, p.weight);
    total = total.defined() ? ag::add(total, term) : term;
  }
  return total;
}

data::Batch batch_rows(const data::Batch& b, int64_t lo, int64_t hi) {
  data::Batch part;
  part.inputs = b.inputs.slice(0, lo, hi);
  if (!b.labels.empty()) part.labels.assign(b.labels.begin() + lo, b.labels.begin() + hi);
  if (b.targets.defined()) part.targets = b.targets.slice(0, lo, hi);
  return part;
}

}  // namespace physcnn::train
