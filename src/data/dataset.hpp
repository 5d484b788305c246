// Datasets: indexed samples (a float32 tensor plus a class index or a regression vector) from
// tensors in memory, IDX, npy/npz/HDF5 arrays, memory-mapped .npy files larger than memory, and
// PNG folders. Values are converted, never standardised: see transforms.hpp for normalisation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/formats/array.hpp"
#include "data/formats/npy.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::data {

enum class TargetKind { Class, Regression };

struct Sample {
  Tensor input;               // float32, Dataset::sample_shape()
  int64_t label = -1;         // class index (TargetKind::Class)
  std::vector<float> target;  // regression values (TargetKind::Regression)
};

// get() must be safe to call from several threads at once: the loader reads in workers.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Sample get(int64_t index) const = 0;
  virtual Shape sample_shape() const = 0;
  virtual TargetKind target_kind() const = 0;
  // Length of the regression vector (1 for class targets).
  virtual int64_t target_size() const { return 1; }
  virtual std::vector<std::string> class_names() const { return {}; }
  // Every sample's class index without reading the inputs (stratified splits); the default
  // asks get() for each sample. Throws UsageError for regression datasets.
  virtual std::vector<int64_t> labels() const;

 protected:
  // Throws UsageError naming `op` when index is outside [0, size()).
  void check_index(int64_t index, const char* op) const;
};

using DatasetPtr = std::shared_ptr<const Dataset>;

// How file arrays become samples.
struct ArrayOptions {
  // uint8 inputs divided by 255 into [0,1]; off by default for arrays (a uint8 array may hold
  // counts), always on for IDX/PNG images. int8 spins keep their values (±1).
  bool scale_uint8 = false;
  // (N, H, W) inputs get a channel axis: (N, 1, H, W).
  bool add_channel = true;
  // Integer y → Class, float y → Regression when unset; Class on a float y needs integral values.
  bool force_class = false;
  bool force_regression = false;
};

namespace detail {
// Targets read from an array y: integer (N) → class labels, float (N) or (N, K) → regression.
struct Targets {
  TargetKind kind = TargetKind::Class;
  std::vector<int64_t> labels;  // N
  std::vector<float> values;    // N × size
  int64_t size = 1;

  // `source` names the inputs (for a count mismatch), `y_source` the targets' own file and
  // field, which every message about a label or target names.
  static Targets from_array(const Array& y, int64_t n, const ArrayOptions& options,
                            const std::string& source, const std::string& y_source);
  void fill(Sample& s, int64_t index) const;
  std::vector<int64_t> all_labels(const std::string& source) const;
};
}  // namespace detail

// Samples held as one float32 tensor (N, ...) with labels (N) or regression targets (N, K).
class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor inputs, std::vector<int64_t> labels,
                std::vector<std::string> class_names = {});
  TensorDataset(Tensor inputs, Tensor targets);  // targets (N) or (N, K), any float dtype

  int64_t size() const override { return inputs_.size(0); }
  Sample get(int64_t index) const override;
  Shape sample_shape() const override;
  TargetKind target_kind() const override { return y_.kind; }
  int64_t target_size() const override { return y_.size; }
  std::vector<std::string> class_names() const override { return class_names_; }
  std::vector<int64_t> labels() const override { return y_.all_labels("TensorDataset"); }

 private:
  Tensor inputs_;  // float32, contiguous
  detail::Targets y_;
  std::vector<std::string> class_names_;
};

// Samples kept in their stored element type (uint8 images, int8 spins use 1/4 of float32
// memory) and converted to float32 one at a time.
class ArrayDataset : public Dataset {
 public:
  // `source` names the inputs (file:field), `y_source` the targets (default: `source`).
  ArrayDataset(Array x, const Array& y, const ArrayOptions& options = {},
               std::string source = "arrays", std::string y_source = {});

  int64_t size() const override { return x_.shape[0]; }
  Sample get(int64_t index) const override;
  Shape sample_shape() const override { return sample_shape_; }
  TargetKind target_kind() const override { return y_.kind; }
  int64_t target_size() const override { return y_.size; }
  std::vector<int64_t> labels() const override { return y_.all_labels(source_); }

 private:
  Array x_;
  Shape sample_shape_;
  double scale_ = 1.0;
  detail::Targets y_;
  std::string source_;
};

// Rows of a memory-mapped .npy read on demand: only the samples asked for are paged in, so the
// file may be larger than memory. Targets (small) come from a separate .npy read whole.
class MappedNpyDataset : public Dataset {
 public:
  MappedNpyDataset(const std::string& x_path, const std::string& y_path,
                   const ArrayOptions& options = {});
  ~MappedNpyDataset() override;

  int64_t size() const override;
  Sample get(int64_t index) const override;
  Shape sample_shape() const override { return sample_shape_; }
  TargetKind target_kind() const override { return y_.kind; }
  int64_t target_size() const override { return y_.size; }
  std::vector<int64_t> labels() const override { return y_.all_labels(path_); }

 private:
  std::unique_ptr<MappedNpy> x_;
  Shape sample_shape_;
  double scale_ = 1.0;
  detail::Targets y_;
  std::string path_;
};

// A view of `base` through a list of indices (a split, a class-balanced subset).
class Subset : public Dataset {
 public:
  Subset(DatasetPtr base, std::vector<int64_t> indices);

  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Sample get(int64_t index) const override;
  Shape sample_shape() const override { return base_->sample_shape(); }
  TargetKind target_kind() const override { return base_->target_kind(); }
  int64_t target_size() const override { return base_->target_size(); }
  std::vector<std::string> class_names() const override { return base_->class_names(); }
  std::vector<int64_t> labels() const override;
  const std::vector<int64_t>& indices() const { return indices_; }
  const DatasetPtr& base() const { return base_; }

 private:
  DatasetPtr base_;
  std::vector<int64_t> indices_;
};

// --- opening files -------------------------------------------------------------------------
// IDX images (N, H, W) uint8 + labels (N): images scaled to [0,1] (uint8 / 255), shape 1×H×W.
DatasetPtr open_idx(const std::string& images_path, const std::string& labels_path);
// Arrays by name in an .npz archive / dataset paths in an HDF5 file.
DatasetPtr open_npz(const std::string& path, const std::string& x_key, const std::string& y_key,
                    const ArrayOptions& options = {});
DatasetPtr open_hdf5(const std::string& path, const std::string& x_dataset,
                     const std::string& y_dataset, const ArrayOptions& options = {});
// Two .npy files read whole, or (mapped = true) x memory-mapped.
DatasetPtr open_npy(const std::string& x_path, const std::string& y_path,
                    const ArrayOptions& options = {}, bool mapped = false);
// root/<class>/*.png, classes sorted by name (data/formats/png.hpp).
DatasetPtr open_image_folder(const std::string& root);

}  // namespace physcnn::data
