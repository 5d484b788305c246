// Deterministic splits: a seeded permutation per class (or of everything), then cut by counts.
#include "data/split.hpp"

#include <cmath>
#include <map>
#include <utility>

#include "core/rng.hpp"

namespace physcnn::data {

namespace {

// Stream ids so that the split permutation and the per-split shuffle never share draws.
constexpr uint64_t kSplitStream = 0x53504C4954ull;  // "SPLIT"

void check_options(const SplitOptions& o) {
  PHYSCNN_CHECK_ARG(o.train >= 0 && o.validation >= 0 && o.test >= 0 &&
                        o.train + o.validation + o.test <= 1.0 + 1e-9,
                    "split: fractions must be >= 0 with sum <= 1, got train ", o.train,
                    ", validation ", o.validation, ", test ", o.test);
}

// Cuts `order` (a permuted group) into the three splits by rounded counts. When the fractions
// sum to 1 the training split takes the rounding remainder so that every sample is used.
void cut(const std::vector<int64_t>& order, const SplitOptions& o, SplitIndices& out) {
  const int64_t n = static_cast<int64_t>(order.size());
  const int64_t n_val = std::llround(double(n) * o.validation);
  const int64_t n_test = std::min<int64_t>(n - n_val, std::llround(double(n) * o.test));
  const bool all = o.train + o.validation + o.test >= 1.0 - 1e-9;
  const int64_t n_train =
      all ? n - n_val - n_test
          : std::min<int64_t>(n - n_val - n_test, std::llround(double(n) * o.train));
  auto it = order.begin();
  out.validation.insert(out.validation.end(), it, it + n_val);
  it += n_val;
  out.test.insert(out.test.end(), it, it + n_test);
  it += n_test;
  out.train.insert(out.train.end(), it, it + n_train);
}

}  // namespace

std::vector<int64_t> permutation(int64_t n, uint64_t seed, uint64_t stream) {
  PHYSCNN_CHECK_ARG(n >= 0, "permutation: negative size ", n);
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[size_t(i)] = i;
  Rng rng(seed, stream);
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[size_t(i)], p[rng.below(uint64_t(i) + 1)]);
  return p;
}

SplitIndices split_indices(int64_t n, const SplitOptions& o, const std::vector<int64_t>& labels) {
  check_options(o);
  PHYSCNN_CHECK_ARG(n >= 0, "split_indices: negative size ", n);
  SplitIndices out;
  if (!o.stratify) {
    cut(permutation(n, o.seed, kSplitStream), o, out);
    return out;
  }
  PHYSCNN_CHECK_ARG(static_cast<int64_t>(labels.size()) == n, "split_indices: stratify needs ", n,
                    " labels, got ", labels.size());
  std::map<int64_t, std::vector<int64_t>> by_class;  // ordered: the result is deterministic
  for (int64_t i = 0; i < n; ++i) by_class[labels[size_t(i)]].push_back(i);
  for (auto& [label, members] : by_class) {
    const auto p = permutation(int64_t(members.size()), o.seed, kSplitStream + 1 + uint64_t(label));
    std::vector<int64_t> order(members.size());
    for (size_t i = 0; i < p.size(); ++i) order[i] = members[size_t(p[i])];
    cut(order, o, out);
  }
  // Mix the classes inside each split (otherwise they come grouped by class).
  uint64_t stream = kSplitStream ^ 0xABCDull;
  for (auto* part : {&out.train, &out.validation, &out.test}) {
    const auto p = permutation(int64_t(part->size()), o.seed, stream++);
    std::vector<int64_t> mixed(part->size());
    for (size_t i = 0; i < p.size(); ++i) mixed[i] = (*part)[size_t(p[i])];
    *part = std::move(mixed);
  }
  return out;
}

Splits split_dataset(const DatasetPtr& dataset, const SplitOptions& o) {
  PHYSCNN_CHECK_ARG(dataset != nullptr, "split_dataset: no dataset");
  PHYSCNN_CHECK_ARG(!o.stratify || dataset->target_kind() == TargetKind::Class,
                    "split_dataset: stratify needs class labels, the dataset has regression "
                    "targets");
  const auto idx =
      split_indices(dataset->size(), o, o.stratify ? dataset->labels() : std::vector<int64_t>{});
  return {std::make_shared<Subset>(dataset, idx.train),
          std::make_shared<Subset>(dataset, idx.validation),
          std::make_shared<Subset>(dataset, idx.test)};
}

Splits split_from_files(const DatasetPtr& train, const DatasetPtr& test, double validation_fraction,
                        uint64_t seed, bool stratify) {
  PHYSCNN_CHECK_ARG(train != nullptr && test != nullptr, "split_from_files: missing dataset");
  PHYSCNN_CHECK_SHAPE(train->sample_shape() == test->sample_shape(),
                      "split_from_files: train samples ", train->sample_shape().str(),
                      " but test samples ", test->sample_shape().str());
  PHYSCNN_CHECK_ARG(validation_fraction >= 0 && validation_fraction < 1,
                    "split_from_files: validation fraction ", validation_fraction,
                    " is not in [0, 1)");
  Splits s = split_dataset(train, {.train = 1.0 - validation_fraction,
                                   .validation = validation_fraction,
                                   .test = 0.0,
                                   .seed = seed,
                                   .stratify = stratify});
  std::vector<int64_t> all(static_cast<size_t>(test->size()));
  for (int64_t i = 0; i < test->size(); ++i) all[size_t(i)] = i;
  s.test = std::make_shared<Subset>(test, std::move(all));
  return s;
}

}  // namespace physcnn::data
