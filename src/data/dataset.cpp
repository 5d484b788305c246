// Dataset implementations: element conversion to float32 per sample, targets from arrays, and
// the file openers.
#include "data/dataset.hpp"

#include <cstring>
#include <utility>

#include "data/formats/hdf5.hpp"
#include "data/formats/idx.hpp"
#include "data/formats/npz.hpp"
#include "data/formats/png.hpp"

namespace physcnn::data {

namespace {

// count elements of `type` at `src` (native order) → float32, times `scale`.
template <class T>
void convert_as(const uint8_t* src, int64_t count, double scale, float* out) {
  const T* v = reinterpret_cast<const T*>(src);
  if (scale == 1.0)
    for (int64_t i = 0; i < count; ++i) out[i] = static_cast<float>(v[i]);
  else
    for (int64_t i = 0; i < count; ++i) out[i] = static_cast<float>(double(v[i]) * scale);
}

void convert(ElemType type, const uint8_t* src, int64_t count, double scale, float* out) {
  switch (type) {
    case ElemType::Bool:
    case ElemType::U8:
      return convert_as<uint8_t>(src, count, scale, out);
    case ElemType::I8:
      return convert_as<int8_t>(src, count, scale, out);
    case ElemType::U16:
      return convert_as<uint16_t>(src, count, scale, out);
    case ElemType::I16:
      return convert_as<int16_t>(src, count, scale, out);
    case ElemType::U32:
      return convert_as<uint32_t>(src, count, scale, out);
    case ElemType::I32:
      return convert_as<int32_t>(src, count, scale, out);
    case ElemType::U64:
      return convert_as<uint64_t>(src, count, scale, out);
    case ElemType::I64:
      return convert_as<int64_t>(src, count, scale, out);
    case ElemType::F32:
      return convert_as<float>(src, count, scale, out);
    case ElemType::F64:
      return convert_as<double>(src, count, scale, out);
  }
}

// Per-sample shape of inputs x (N, ...): (N, H, W) becomes 1×H×W when add_channel is set.
Shape input_sample_shape(const Shape& x, const ArrayOptions& opt, const std::string& source) {
  PHYSCNN_CHECK_SHAPE(x.rank() >= 2, source, ": inputs need a sample axis and at least one more (",
                      "N, ...), got ", x.str());
  std::vector<int64_t> dims(x.dims().begin() + 1, x.dims().end());
  if (opt.add_channel && dims.size() == 2) dims.insert(dims.begin(), 1);
  return Shape(std::move(dims));
}

double input_scale(ElemType type, const ArrayOptions& opt) {
  return opt.scale_uint8 && type == ElemType::U8 ? 1.0 / 255.0 : 1.0;
}

}  // namespace

// --- Dataset ---------------------------------------------------------------------------------

std::vector<int64_t> Dataset::labels() const {
  PHYSCNN_CHECK_ARG(target_kind() == TargetKind::Class,
                    "Dataset::labels: a regression dataset has no class labels");
  std::vector<int64_t> out(static_cast<size_t>(size()));
  for (int64_t i = 0; i < size(); ++i) out[size_t(i)] = get(i).label;
  return out;
}

void Dataset::check_index(int64_t index, const char* op) const {
  PHYSCNN_CHECK_ARG(index >= 0 && index < size(), op, ": sample index ", index, " is outside [0, ",
                    size(), ")");
}

// --- targets ---------------------------------------------------------------------------------

namespace detail {

Targets Targets::from_array(const Array& y, int64_t n, const ArrayOptions& opt,
                            const std::string& source, const std::string& y_source) {
  PHYSCNN_CHECK_ARG(!(opt.force_class && opt.force_regression), source,
                    ": force_class and force_regression both set");
  PHYSCNN_CHECK_SHAPE(y.shape.rank() >= 1 && y.shape[0] == n, y_source, ": targets of shape ",
                      y.shape.str(), " for ", n, " inputs in ", source, " (first axes differ)");
  Targets t;
  const bool as_class = opt.force_class || (!opt.force_regression && elem_is_integer(y.type));
  if (as_class) {
    PHYSCNN_CHECK_SHAPE(y.shape.rank() == 1 || (y.shape.rank() == 2 && y.shape[1] == 1), y_source,
                        ": class labels must be (N) or (N, 1), got ", y.shape.str());
    t.kind = TargetKind::Class;
    t.labels = y.to_int64();
    for (size_t i = 0; i < t.labels.size(); ++i)
      PHYSCNN_CHECK(t.labels[i] >= 0, IoError, y_source, ": class label ", t.labels[i],
                    " of sample ", i, " is negative (labels are 0, 1, 2, ...)");
  } else {
    PHYSCNN_CHECK_SHAPE(y.shape.rank() <= 2, y_source,
                        ": regression targets must be (N) or (N, K), got ", y.shape.str());
    t.kind = TargetKind::Regression;
    t.size = y.shape.rank() == 2 ? y.shape[1] : 1;
    t.values.resize(size_t(y.numel()));
    for (int64_t i = 0; i < y.numel(); ++i) t.values[size_t(i)] = float(y.value_f64(i));
  }
  return t;
}

void Targets::fill(Sample& s, int64_t index) const {
  if (kind == TargetKind::Class) {
    s.label = labels[size_t(index)];
  } else {
    const auto* v = values.data() + index * size;
    s.target.assign(v, v + size);
  }
}

std::vector<int64_t> Targets::all_labels(const std::string& source) const {
  PHYSCNN_CHECK_ARG(kind == TargetKind::Class, source,
                    ": labels() of a regression dataset (targets are float vectors)");
  return labels;
}

}  // namespace detail

// --- TensorDataset ---------------------------------------------------------------------------

TensorDataset::TensorDataset(Tensor inputs, std::vector<int64_t> labels,
                             std::vector<std::string> class_names)
    : class_names_(std::move(class_names)) {
  PHYSCNN_CHECK_SHAPE(inputs.defined() && inputs.dim() >= 2,
                      "TensorDataset: inputs must be (N, ...), got ",
                      inputs.defined() ? inputs.shape().str() : "undefined");
  PHYSCNN_CHECK_SHAPE(static_cast<int64_t>(labels.size()) == inputs.size(0),
                      "TensorDataset: ", labels.size(), " labels for inputs ",
                      inputs.shape().str());
  for (size_t i = 0; i < labels.size(); ++i) {
    PHYSCNN_CHECK_ARG(labels[i] >= 0, "TensorDataset: label ", labels[i], " of sample ", i,
                      " is negative");
    PHYSCNN_CHECK_ARG(class_names_.empty() || labels[i] < int64_t(class_names_.size()),
                      "TensorDataset: label ", labels[i], " of sample ", i, " but only ",
                      class_names_.size(), " class names");
  }
  inputs_ = inputs.to(DType::F32).contiguous();
  y_.kind = TargetKind::Class;
  y_.labels = std::move(labels);
}

TensorDataset::TensorDataset(Tensor inputs, Tensor targets) {
  PHYSCNN_CHECK_SHAPE(inputs.defined() && inputs.dim() >= 2 && targets.defined() &&
                          targets.dim() >= 1 && targets.dim() <= 2 &&
                          targets.size(0) == inputs.size(0),
                      "TensorDataset: need inputs (N, ...) and targets (N) or (N, K), got ",
                      inputs.defined() ? inputs.shape().str() : "undefined", " and ",
                      targets.defined() ? targets.shape().str() : "undefined");
  inputs_ = inputs.to(DType::F32).contiguous();
  y_.kind = TargetKind::Regression;
  y_.size = targets.dim() == 2 ? targets.size(1) : 1;
  for (double v : targets.to_vector()) y_.values.push_back(float(v));
}

Shape TensorDataset::sample_shape() const {
  return Shape(
      std::vector<int64_t>(inputs_.shape().dims().begin() + 1, inputs_.shape().dims().end()));
}

Sample TensorDataset::get(int64_t index) const {
  check_index(index, "TensorDataset::get");
  Sample s;
  s.input = inputs_.select(0, index).clone();
  y_.fill(s, index);
  return s;
}

// --- ArrayDataset ----------------------------------------------------------------------------

ArrayDataset::ArrayDataset(Array x, const Array& y, const ArrayOptions& options, std::string source,
                           std::string y_source)
    : x_(std::move(x)), source_(std::move(source)) {
  if (y_source.empty()) y_source = source_;
  sample_shape_ = input_sample_shape(x_.shape, options, source_);
  scale_ = input_scale(x_.type, options);
  y_ = detail::Targets::from_array(y, x_.shape[0], options, source_, y_source);
}

Sample ArrayDataset::get(int64_t index) const {
  check_index(index, "ArrayDataset::get");
  Sample s;
  s.input = Tensor::empty(sample_shape_);
  const int64_t per = sample_shape_.numel();
  convert(x_.type, x_.bytes.data() + size_t(index * per) * elem_size(x_.type), per, scale_,
          s.input.data<float>());
  y_.fill(s, index);
  return s;
}

// --- MappedNpyDataset ------------------------------------------------------------------------

MappedNpyDataset::MappedNpyDataset(const std::string& x_path, const std::string& y_path,
                                   const ArrayOptions& options)
    : x_(std::make_unique<MappedNpy>(x_path)), path_(x_path) {
  sample_shape_ = input_sample_shape(x_->shape(), options, path_);
  scale_ = input_scale(x_->type(), options);
  y_ = detail::Targets::from_array(read_npy(y_path), x_->shape()[0], options, x_path, y_path);
}

MappedNpyDataset::~MappedNpyDataset() = default;

int64_t MappedNpyDataset::size() const {
  return x_->shape()[0];
}

Sample MappedNpyDataset::get(int64_t index) const {
  check_index(index, "MappedNpyDataset::get");
  // read_rows copies one row out of the map (fixing byte order), so only its pages are touched.
  const Array row = x_->read_rows(index, 1);
  Sample s;
  s.input = Tensor::empty(sample_shape_);
  convert(row.type, row.bytes.data(), sample_shape_.numel(), scale_, s.input.data<float>());
  y_.fill(s, index);
  return s;
}

// --- Subset ----------------------------------------------------------------------------------

Subset::Subset(DatasetPtr base, std::vector<int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  PHYSCNN_CHECK_ARG(base_ != nullptr, "Subset: no base dataset");
  const int64_t n = base_->size();
  for (size_t i = 0; i < indices_.size(); ++i)
    PHYSCNN_CHECK_ARG(indices_[i] >= 0 && indices_[i] < n, "Subset: index ", indices_[i],
                      " at position ", i, " is outside the base dataset [0, ", n, ")");
}

Sample Subset::get(int64_t index) const {
  check_index(index, "Subset::get");
  return base_->get(indices_[size_t(index)]);
}

std::vector<int64_t> Subset::labels() const {
  const auto all = base_->labels();
  std::vector<int64_t> out;
  out.reserve(indices_.size());
  for (int64_t i : indices_) out.push_back(all[size_t(i)]);
  return out;
}

// --- opening files ---------------------------------------------------------------------------

DatasetPtr open_idx(const std::string& images_path, const std::string& labels_path) {
  Array x = read_idx(images_path);
  PHYSCNN_CHECK_ARG(x.type == ElemType::U8 && x.shape.rank() == 3, "open_idx: ", images_path,
                    " holds ", elem_name(x.type), " ", x.shape.str(),
                    ", expected uint8 images (N, H, W)");
  const Array y = read_idx(labels_path);
  return std::make_shared<ArrayDataset>(std::move(x), y,
                                        ArrayOptions{.scale_uint8 = true, .force_class = true},
                                        images_path, labels_path);
}

DatasetPtr open_npz(const std::string& path, const std::string& x_key, const std::string& y_key,
                    const ArrayOptions& options) {
  NpzReader npz(path);
  for (const auto& key : {x_key, y_key})
    if (!npz.contains(key)) {
      std::string names;
      for (const auto& n : npz.names()) names += (names.empty() ? "" : ", ") + n;
      throw UsageError(physcnn::detail::cat("open_npz: ", path, " has no array '", key,
                                            "' (it has: ", names, ")"));
    }
  return std::make_shared<ArrayDataset>(npz.read(x_key), npz.read(y_key), options,
                                        path + ":" + x_key, path + ":" + y_key);
}

DatasetPtr open_hdf5(const std::string& path, const std::string& x_dataset,
                     const std::string& y_dataset, const ArrayOptions& options) {
  return std::make_shared<ArrayDataset>(read_hdf5(path, x_dataset), read_hdf5(path, y_dataset),
                                        options, path + ":" + x_dataset, path + ":" + y_dataset);
}

DatasetPtr open_npy(const std::string& x_path, const std::string& y_path,
                    const ArrayOptions& options, bool mapped) {
  if (mapped) return std::make_shared<MappedNpyDataset>(x_path, y_path, options);
  return std::make_shared<ArrayDataset>(read_npy(x_path), read_npy(y_path), options, x_path,
                                        y_path);
}

DatasetPtr open_image_folder(const std::string& root) {
  ImageFolder f = read_image_folder(root);
  return std::make_shared<TensorDataset>(std::move(f.images), std::move(f.labels),
                                         std::move(f.class_names));
}

}  // namespace physcnn::data
