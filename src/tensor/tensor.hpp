// The tensor: float32 or float64 elements in NCHW order, owned through a shared storage so that
// reshape, permute, slice and select return views. Most kernels want contiguous memory; call
// contiguous() (a no-op when already contiguous) before taking data<T>().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/shape.hpp"

namespace physcnn {

// A 64-byte aligned buffer shared by a tensor and its views, from the caching allocator
// (tensor/allocator.hpp).
class Storage {
 public:
  Storage(size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

// The largest storage one tensor may ask for (1 TiB): beyond any machine this runs on, and far
// below where size arithmetic wraps; larger shapes are a ShapeError naming the shape.
inline constexpr uint64_t kMaxTensorBytes = uint64_t{1} << 40;

class Tensor {
 public:
  Tensor() = default;  // undefined: defined() is false

  // --- creation -------------------------------------------------------------------------
  static Tensor empty(const Shape& shape, DType dtype = DType::F32);  // uninitialised
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32);
  static Tensor ones(const Shape& shape, DType dtype = DType::F32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::F32);
  static Tensor scalar(double value, DType dtype = DType::F32);  // rank 0
  static Tensor from_vector(const std::vector<float>& v, const Shape& shape);
  static Tensor from_vector(const std::vector<double>& v, const Shape& shape);
  static Tensor arange(int64_t n, DType dtype = DType::F32);
  static Tensor uniform(const Shape& shape, double lo, double hi, Rng& rng,
                        DType dtype = DType::F32);
  static Tensor normal(const Shape& shape, double mean, double stddev, Rng& rng,
                       DType dtype = DType::F32);
  static Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
  static Tensor empty_like(const Tensor& t) { return empty(t.shape(), t.dtype()); }

  // --- properties -----------------------------------------------------------------------
  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int64_t dim() const { return shape_.rank(); }
  int64_t size(int64_t d) const { return shape_[d]; }
  int64_t numel() const { return shape_.numel(); }
  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  bool is_contiguous() const;
  // True when both tensors view the same storage.
  bool shares_storage(const Tensor& o) const { return storage_ == o.storage_; }
  // True when no other tensor or view holds this storage: writing into it in place cannot
  // change anything another holder sees (the autograd engine accumulates in place then).
  bool sole_owner() const { return storage_ != nullptr && storage_.use_count() == 1; }

  // Pointer to the first element. Requires the matching dtype; contiguity is the caller's
  // business (use contiguous() first unless the kernel honours strides()).
  template <class T>
  T* data();
  template <class T>
  const T* data() const;

  // --- copies and views -----------------------------------------------------------------
  Tensor contiguous() const;  // this if already contiguous, else a packed copy
  Tensor clone() const;       // always a new packed copy
  Tensor to(DType dtype) const;
  Tensor reshape(const Shape& shape) const;  // view when contiguous; one -1 extent allowed
  Tensor flatten(int64_t start_dim = 1) const;
  Tensor permute(const std::vector<int64_t>& dims) const;       // view
  Tensor transpose(int64_t a, int64_t b) const;                 // view
  Tensor slice(int64_t dim, int64_t start, int64_t end) const;  // view [start, end)
  Tensor select(int64_t dim, int64_t index) const;              // view, drops dim
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;

  // --- element access (slow; for tests, small tensors and printing) -------------------------
  double item() const;  // the single element
  double at(const std::vector<int64_t>& index) const;
  void set(const std::vector<int64_t>& index, double value);
  std::vector<double> to_vector() const;  // all elements in logical order

  // --- in place -------------------------------------------------------------------------
  Tensor& fill_(double value);
  Tensor& copy_(const Tensor& src);  // same numel; converts dtype
  Tensor& zero_() { return fill_(0.0); }

  std::string str(int64_t max_elements = 32) const;

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_;
  std::vector<int64_t> strides_;
  int64_t offset_ = 0;  // in elements
  DType dtype_ = DType::F32;
};

template <class T>
T* Tensor::data() {
  PHYSCNN_CHECK(defined(), Error, "data() of an undefined tensor");
  PHYSCNN_CHECK(dtype_ == dtype_of<T>(), Error, "tensor holds ", dtype_name(dtype_),
                ", accessed as ", dtype_name(dtype_of<T>()));
  return static_cast<T*>(storage_->data()) + offset_;
}

template <class T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}

}  // namespace physcnn
