// Train/validation/test splits: by fractions with an explicit seed (optionally stratified so
// every split keeps the class ratios), or from separate files. The same seed gives the same
// split on every machine and thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.hpp"

namespace physcnn::data {

struct SplitOptions {
  double train = 0.8;
  double validation = 0.1;
  double test = 0.1;  // fractions >= 0 with sum <= 1; samples beyond the sum are left out
  uint64_t seed = 0;
  bool stratify = false;  // split each class separately (needs class labels)
};

struct SplitIndices {
  std::vector<int64_t> train, validation, test;
};

// Indices of n samples; with `labels` (n entries) and options.stratify, per class.
SplitIndices split_indices(int64_t n, const SplitOptions& options,
                           const std::vector<int64_t>& labels = {});

struct Splits {
  std::shared_ptr<const Subset> train, validation, test;
};
Splits split_dataset(const DatasetPtr& dataset, const SplitOptions& options);

// Separate train and test files; the validation split is carved out of the training file
// (`validation_fraction` of it, stratified by class when asked). The test set is used whole.
Splits split_from_files(const DatasetPtr& train, const DatasetPtr& test, double validation_fraction,
                        uint64_t seed, bool stratify = false);

// A random permutation of 0..n-1 from (seed, stream): Fisher-Yates on Philox draws.
std::vector<int64_t> permutation(int64_t n, uint64_t seed, uint64_t stream = 0);

}  // namespace physcnn::data
