// Tensor storage, creation, views and element access.
#include "tensor/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <sstream>

#include "tensor/allocator.hpp"

namespace physcnn {

Storage::Storage(size_t bytes) : bytes_(bytes) {
  // 64-byte aligned (AVX-512 loads), from the caching allocator: a training step reuses the
  // previous step's buffers instead of page-faulting fresh memory in (issue 5).
  data_ = allocator::allocate(bytes);
}

Storage::~Storage() {
  allocator::deallocate(data_, bytes_);
}

namespace {

// Visits the storage offsets of all elements of a strided view in logical (row-major) order.
template <class F>
void for_each_offset(const Shape& shape, const std::vector<int64_t>& strides, int64_t offset,
                     F&& f) {
  const int64_t n = shape.numel();
  if (n == 0) return;
  const int64_t r = shape.rank();
  std::vector<int64_t> idx(static_cast<size_t>(r), 0);
  int64_t off = offset;
  for (int64_t i = 0; i < n; ++i) {
    f(off);
    for (int64_t d = r - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  // Checked before anything is computed from the extents: a hostile model or data file can
  // ask for sizes whose product wraps around (e.g. an upsample scale of 5e8), which used to
  // reach the allocator as a small or absurd byte count.
  uint64_t bytes = dtype_size(dtype);
  for (int64_t d : shape) {
    PHYSCNN_CHECK_SHAPE(d >= 0, "negative extent in shape ", shape.str());
    PHYSCNN_CHECK_SHAPE(
        !__builtin_mul_overflow(bytes, uint64_t(d), &bytes) && bytes <= kMaxTensorBytes,
        "a tensor of shape ", shape.str(), " and ", dtype_name(dtype), " would need more than ",
        kMaxTensorBytes >> 40, " TiB");
  }
  Tensor t;
  t.storage_ = std::make_shared<Storage>(static_cast<size_t>(bytes));
  t.shape_ = shape;
  t.strides_ = shape.contiguous_strides();
  t.dtype_ = dtype;
  return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.storage_->data(), 0, static_cast<size_t>(t.numel()) * dtype_size(dtype));
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype) {
  return full(shape, 1.0, dtype);
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  t.fill_(value);
  return t;
}

Tensor Tensor::scalar(double value, DType dtype) {
  return full(Shape{}, value, dtype);
}

Tensor Tensor::from_vector(const std::vector<float>& v, const Shape& shape) {
  PHYSCNN_CHECK_SHAPE(static_cast<int64_t>(v.size()) == shape.numel(), "from_vector: ", v.size(),
                      " values for shape ", shape.str());
  Tensor t = empty(shape, DType::F32);
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}

Tensor Tensor::from_vector(const std::vector<double>& v, const Shape& shape) {
  PHYSCNN_CHECK_SHAPE(static_cast<int64_t>(v.size()) == shape.numel(), "from_vector: ", v.size(),
                      " values for shape ", shape.str());
  Tensor t = empty(shape, DType::F64);
  std::copy(v.begin(), v.end(), t.data<double>());
  return t;
}

Tensor Tensor::arange(int64_t n, DType dtype) {
  Tensor t = empty(Shape{n}, dtype);
  PHYSCNN_DISPATCH(dtype, T, {
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = T(i);
  });
  return t;
}

Tensor Tensor::uniform(const Shape& shape, double lo, double hi, Rng& rng, DType dtype) {
  Tensor t = empty(shape, dtype);
  PHYSCNN_DISPATCH(dtype, T, {
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = T(rng.uniform(lo, hi));
  });
  return t;
}

Tensor Tensor::normal(const Shape& shape, double mean, double stddev, Rng& rng, DType dtype) {
  Tensor t = empty(shape, dtype);
  PHYSCNN_DISPATCH(dtype, T, {
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = T(mean + stddev * rng.normal());
  });
  return t;
}

bool Tensor::is_contiguous() const {
  int64_t expect = 1;
  for (int64_t d = dim() - 1; d >= 0; --d) {
    if (shape_[d] != 1 && strides_[d] != expect) return false;
    expect *= shape_[d];
  }
  return true;
}

Tensor Tensor::contiguous() const {
  if (!defined() || is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  PHYSCNN_CHECK(defined(), Error, "clone() of an undefined tensor");
  Tensor out = empty(shape_, dtype_);
  out.copy_(*this);
  return out;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_) return *this;
  Tensor out = empty(shape_, dtype);
  out.copy_(*this);
  return out;
}

Tensor Tensor::reshape(const Shape& shape) const {
  std::vector<int64_t> dims = shape.dims();
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      PHYSCNN_CHECK_SHAPE(infer < 0, "reshape to ", shape.str(), ": more than one -1");
      infer = static_cast<int64_t>(i);
    } else {
      known *= dims[i];
    }
  }
  if (infer >= 0) {
    PHYSCNN_CHECK_SHAPE(known > 0 && numel() % known == 0, "cannot reshape ", shape_.str(), " (",
                        numel(), " elements) to ", shape.str());
    dims[static_cast<size_t>(infer)] = numel() / known;
  }
  Shape target(dims);
  PHYSCNN_CHECK_SHAPE(target.numel() == numel(), "cannot reshape ", shape_.str(), " (", numel(),
                      " elements) to ", shape.str(), " (", target.numel(), " elements)");
  Tensor base = contiguous();
  Tensor out = base;
  out.shape_ = target;
  out.strides_ = target.contiguous_strides();
  return out;
}

Tensor Tensor::flatten(int64_t start_dim) const {
  start_dim = shape_.normalize(start_dim);
  std::vector<int64_t> dims(shape_.begin(), shape_.begin() + start_dim);
  int64_t rest = 1;
  for (int64_t d = start_dim; d < dim(); ++d) rest *= shape_[d];
  dims.push_back(rest);
  return reshape(Shape(dims));
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  PHYSCNN_CHECK_SHAPE(static_cast<int64_t>(dims.size()) == dim(), "permute: ", dims.size(),
                      " dimensions given for a tensor of shape ", shape_.str());
  std::vector<bool> seen(dims.size(), false);
  Tensor out = *this;
  std::vector<int64_t> shp(dims.size()), str(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = shape_.normalize(dims[i]);
    PHYSCNN_CHECK_SHAPE(!seen[d], "permute: dimension ", d, " repeated");
    seen[d] = true;
    shp[i] = shape_[d];
    str[i] = strides_[d];
  }
  out.shape_ = Shape(shp);
  out.strides_ = str;
  return out;
}

Tensor Tensor::transpose(int64_t a, int64_t b) const {
  std::vector<int64_t> dims(static_cast<size_t>(dim()));
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[shape_.normalize(a)], dims[shape_.normalize(b)]);
  return permute(dims);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end) const {
  d = shape_.normalize(d);
  PHYSCNN_CHECK_SHAPE(0 <= start && start <= end && end <= shape_[d], "slice [", start, ",", end,
                      ") out of range for dimension ", d, " of shape ", shape_.str());
  Tensor out = *this;
  out.offset_ += start * strides_[d];
  out.shape_[d] = end - start;
  return out;
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  d = shape_.normalize(d);
  PHYSCNN_CHECK_SHAPE(0 <= index && index < shape_[d], "index ", index,
                      " out of range for dimension ", d, " of shape ", shape_.str());
  Tensor out = *this;
  out.offset_ += index * strides_[d];
  std::vector<int64_t> shp = shape_.dims();
  shp.erase(shp.begin() + d);
  out.strides_.erase(out.strides_.begin() + d);
  out.shape_ = Shape(shp);
  return out;
}

Tensor Tensor::unsqueeze(int64_t d) const {
  PHYSCNN_CHECK_SHAPE(d >= 0 && d <= dim(), "unsqueeze(", d, ") of shape ", shape_.str());
  Tensor out = *this;
  std::vector<int64_t> shp = shape_.dims();
  shp.insert(shp.begin() + d, 1);
  const int64_t stride = d < dim() ? strides_[d] * shape_[d] : 1;
  out.strides_.insert(out.strides_.begin() + d, stride);
  out.shape_ = Shape(shp);
  return out;
}

Tensor Tensor::squeeze(int64_t d) const {
  d = shape_.normalize(d);
  PHYSCNN_CHECK_SHAPE(shape_[d] == 1, "squeeze(", d, ") of shape ", shape_.str(),
                      ": extent is not 1");
  return select(d, 0);
}

double Tensor::item() const {
  PHYSCNN_CHECK_SHAPE(numel() == 1, "item() of a tensor with ", numel(), " elements (shape ",
                      shape_.str(), ")");
  double v = 0;
  PHYSCNN_DISPATCH(dtype_, T, { v = double(*data<T>()); });
  return v;
}

double Tensor::at(const std::vector<int64_t>& index) const {
  PHYSCNN_CHECK_SHAPE(static_cast<int64_t>(index.size()) == dim(), "at(): ", index.size(),
                      " indices for shape ", shape_.str());
  int64_t off = 0;
  for (size_t i = 0; i < index.size(); ++i) {
    PHYSCNN_CHECK_SHAPE(index[i] >= 0 && index[i] < shape_[static_cast<int64_t>(i)],
                        "at(): index out of range for shape ", shape_.str());
    off += index[i] * strides_[i];
  }
  double v = 0;
  PHYSCNN_DISPATCH(dtype_, T, { v = double(data<T>()[off]); });
  return v;
}

void Tensor::set(const std::vector<int64_t>& index, double value) {
  PHYSCNN_CHECK_SHAPE(static_cast<int64_t>(index.size()) == dim(), "set(): ", index.size(),
                      " indices for shape ", shape_.str());
  int64_t off = 0;
  for (size_t i = 0; i < index.size(); ++i) {
    PHYSCNN_CHECK_SHAPE(index[i] >= 0 && index[i] < shape_[static_cast<int64_t>(i)],
                        "set(): index out of range for shape ", shape_.str());
    off += index[i] * strides_[i];
  }
  PHYSCNN_DISPATCH(dtype_, T, { data<T>()[off] = T(value); });
}

std::vector<double> Tensor::to_vector() const {
  std::vector<double> out;
  out.reserve(static_cast<size_t>(numel()));
  PHYSCNN_DISPATCH(dtype_, T, {
    const T* base = static_cast<const T*>(storage_->data());
    for_each_offset(shape_, strides_, offset_, [&](int64_t o) { out.push_back(double(base[o])); });
  });
  return out;
}

Tensor& Tensor::fill_(double value) {
  PHYSCNN_DISPATCH(dtype_, T, {
    T* base = static_cast<T*>(storage_->data());
    if (is_contiguous()) {
      std::fill(base + offset_, base + offset_ + numel(), T(value));
    } else {
      for_each_offset(shape_, strides_, offset_, [&](int64_t o) { base[o] = T(value); });
    }
  });
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  PHYSCNN_CHECK_SHAPE(src.numel() == numel(), "copy_: source has ", src.numel(),
                      " elements (shape ", src.shape().str(), "), destination ", numel(),
                      " (shape ", shape_.str(), ")");
  if (is_contiguous() && src.is_contiguous() && src.dtype_ == dtype_) {
    std::memcpy(static_cast<char*>(storage_->data()) + offset_ * dtype_size(dtype_),
                static_cast<const char*>(src.storage_->data()) + src.offset_ * dtype_size(dtype_),
                static_cast<size_t>(numel()) * dtype_size(dtype_));
    return *this;
  }
  if (is_contiguous() && src.dtype_ == dtype_ && src.shape_.rank() >= 2 &&
      src.strides_.back() == 1) {
    // A view whose innermost elements are contiguous (a slice, a crop, one part of a concat's
    // gradient): inner dimensions that follow on in memory merge into one run, copied with one
    // memcpy per run while walking the outer dimensions only.
    const auto& dims = src.shape_.dims();
    size_t inner = dims.size() - 1;
    int64_t run = dims.back();
    while (inner > 0 && src.strides_[inner - 1] == run) run *= dims[--inner];
    if (run >= 8) {
      const size_t es = dtype_size(dtype_);
      const Shape outer(std::vector<int64_t>(dims.begin(), dims.begin() + int64_t(inner)));
      const std::vector<int64_t> outer_strides(src.strides_.begin(),
                                               src.strides_.begin() + int64_t(inner));
      char* d = static_cast<char*>(storage_->data()) + offset_ * es;
      const char* base = static_cast<const char*>(src.storage_->data());
      for_each_offset(outer, outer_strides, src.offset_, [&](int64_t o) {
        std::memcpy(d, base + o * es, static_cast<size_t>(run) * es);
        d += run * es;
      });
      return *this;
    }
  }
  // General path: walk both views in logical order, converting the element type.
  PHYSCNN_DISPATCH(dtype_, T, {
    T* base = static_cast<T*>(storage_->data());
    if (is_contiguous()) {
      T* d = base + offset_;
      int64_t i = 0;
      PHYSCNN_DISPATCH(src.dtype_, S, {
        const S* s = static_cast<const S*>(src.storage_->data());
        for_each_offset(src.shape_, src.strides_, src.offset_,
                        [&](int64_t o) { d[i++] = T(s[o]); });
      });
    } else {
      const std::vector<double> vals = src.to_vector();
      size_t i = 0;
      for_each_offset(shape_, strides_, offset_, [&](int64_t o) { base[o] = T(vals[i++]); });
    }
  });
  return *this;
}

std::string Tensor::str(int64_t max_elements) const {
  if (!defined()) return "Tensor(undefined)";
  std::ostringstream os;
  os << "Tensor(" << dtype_name(dtype_) << ", " << shape_.str() << ", [";
  const auto v = to_vector();
  for (int64_t i = 0; i < std::min<int64_t>(max_elements, numel()); ++i)
    os << (i ? ", " : "") << v[static_cast<size_t>(i)];
  if (numel() > max_elements) os << ", ...";
  os << "])";
  return os.str();
}

}  // namespace physcnn
