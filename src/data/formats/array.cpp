// Element types of data files and conversions of an Array to tensors and exact integers.
#include "data/formats/array.hpp"

#include <cmath>

namespace physcnn::data {

size_t elem_size(ElemType t) {
  switch (t) {
    case ElemType::Bool:
    case ElemType::U8:
    case ElemType::I8:
      return 1;
    case ElemType::U16:
    case ElemType::I16:
      return 2;
    case ElemType::U32:
    case ElemType::I32:
    case ElemType::F32:
      return 4;
    case ElemType::U64:
    case ElemType::I64:
    case ElemType::F64:
      return 8;
  }
  return 0;
}

std::string_view elem_name(ElemType t) {
  switch (t) {
    case ElemType::Bool:
      return "bool";
    case ElemType::U8:
      return "uint8";
    case ElemType::I8:
      return "int8";
    case ElemType::U16:
      return "uint16";
    case ElemType::I16:
      return "int16";
    case ElemType::U32:
      return "uint32";
    case ElemType::I32:
      return "int32";
    case ElemType::U64:
      return "uint64";
    case ElemType::I64:
      return "int64";
    case ElemType::F32:
      return "float32";
    case ElemType::F64:
      return "float64";
  }
  return "?";
}

bool elem_is_integer(ElemType t) {
  return t != ElemType::F32 && t != ElemType::F64;
}

void Array::check_type(ElemType want) const {
  PHYSCNN_CHECK_ARG(type == want, "Array::values: array holds ", elem_name(type), " ", shape.str(),
                    ", accessed as ", elem_name(want));
}

namespace {
// Calls f(const T* p) with the stored element type; bool is read as its 0/1 byte.
template <class F>
void visit(const Array& a, F&& f) {
  const uint8_t* b = a.bytes.data();
  switch (a.type) {
    case ElemType::Bool:
    case ElemType::U8:
      f(reinterpret_cast<const uint8_t*>(b));
      break;
    case ElemType::I8:
      f(reinterpret_cast<const int8_t*>(b));
      break;
    case ElemType::U16:
      f(reinterpret_cast<const uint16_t*>(b));
      break;
    case ElemType::I16:
      f(reinterpret_cast<const int16_t*>(b));
      break;
    case ElemType::U32:
      f(reinterpret_cast<const uint32_t*>(b));
      break;
    case ElemType::I32:
      f(reinterpret_cast<const int32_t*>(b));
      break;
    case ElemType::U64:
      f(reinterpret_cast<const uint64_t*>(b));
      break;
    case ElemType::I64:
      f(reinterpret_cast<const int64_t*>(b));
      break;
    case ElemType::F32:
      f(reinterpret_cast<const float*>(b));
      break;
    case ElemType::F64:
      f(reinterpret_cast<const double*>(b));
      break;
  }
}
}  // namespace

double Array::value_f64(int64_t i) const {
  PHYSCNN_CHECK_ARG(i >= 0 && i < numel(), "Array::value_f64: index ", i,
                    " out of range for shape ", shape.str());
  double v = 0;
  visit(*this, [&](const auto* p) { v = static_cast<double>(p[i]); });
  return v;
}

std::vector<int64_t> Array::to_int64() const {
  const int64_t n = numel();
  std::vector<int64_t> out(static_cast<size_t>(n));
  visit(*this, [&](const auto* p) {
    using T = std::remove_cvref_t<decltype(*p)>;
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_floating_point_v<T>) {
        const T v = p[i];
        PHYSCNN_CHECK_ARG(std::trunc(v) == v && std::abs(v) < 9.2e18, "Array::to_int64: element ",
                          i, " of a ", elem_name(type), " array ", shape.str(), " is ", v,
                          ", not an integer");
        out[static_cast<size_t>(i)] = static_cast<int64_t>(v);
      } else if constexpr (std::is_same_v<T, uint64_t>) {
        PHYSCNN_CHECK_ARG(p[i] <= static_cast<uint64_t>(INT64_MAX), "Array::to_int64: element ", i,
                          " = ", p[i], " does not fit int64");
        out[static_cast<size_t>(i)] = static_cast<int64_t>(p[i]);
      } else {
        out[static_cast<size_t>(i)] = static_cast<int64_t>(p[i]);
      }
    }
  });
  return out;
}

Tensor Array::to_tensor(DType dtype) const {
  Tensor t = Tensor::empty(shape, dtype);
  const int64_t n = numel();
  PHYSCNN_DISPATCH(dtype, D, {
    D* dst = t.data<D>();
    visit(*this, [&](const auto* p) {
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<D>(p[i]);
    });
  });
  return t;
}

Array Array::from_tensor(const Tensor& t) {
  PHYSCNN_CHECK_ARG(t.defined(), "Array::from_tensor: undefined tensor");
  const Tensor c = t.contiguous();
  Array a = zeros(t.dtype() == DType::F32 ? ElemType::F32 : ElemType::F64, t.shape());
  if (!a.bytes.empty()) {
    PHYSCNN_DISPATCH(t.dtype(), T, { std::memcpy(a.bytes.data(), c.data<T>(), a.bytes.size()); });
  }
  return a;
}

Array Array::zeros(ElemType type, const Shape& shape) {
  uint64_t n = elem_size(type);
  for (int64_t d : shape) {
    PHYSCNN_CHECK_ARG(d >= 0, "Array::zeros: negative extent in shape ", shape.str());
    PHYSCNN_CHECK_ARG(d == 0 || n <= (uint64_t{1} << 40) / static_cast<uint64_t>(d),
                      "Array::zeros: shape ", shape.str(), " is too large");
    n *= static_cast<uint64_t>(d);
  }
  Array a;
  a.type = type;
  a.shape = shape;
  a.bytes.assign(n, 0);
  return a;
}

template <>
Array Array::from_vector<bool>(const std::vector<bool>& v, const Shape& shape) {
  Array a = zeros(ElemType::Bool, shape);
  PHYSCNN_CHECK_ARG(static_cast<int64_t>(v.size()) == a.numel(), "Array::from_vector: ", v.size(),
                    " values for shape ", shape.str());
  for (size_t i = 0; i < v.size(); ++i) a.bytes[i] = v[i] ? 1 : 0;
  return a;
}

}  // namespace physcnn::data
