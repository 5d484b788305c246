// The result type of every data-file reader: an n-dimensional array of one element type kept as
// raw native-endian C-order bytes, so integer labels and int8 spins survive exactly; conversion
// to a float Tensor (images) is explicit.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "core/shape.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::data {

enum class ElemType { Bool, U8, I8, U16, I16, U32, I32, U64, I64, F32, F64 };

size_t elem_size(ElemType t);
std::string_view elem_name(ElemType t);  // NumPy names: "uint8", "int64", "float32", "bool"
bool elem_is_integer(ElemType t);        // bool counts as integer (0/1)

template <class T>
constexpr ElemType elem_type_of() {
  if constexpr (std::is_same_v<T, bool>)
    return ElemType::Bool;
  else if constexpr (std::is_same_v<T, uint8_t>)
    return ElemType::U8;
  else if constexpr (std::is_same_v<T, int8_t>)
    return ElemType::I8;
  else if constexpr (std::is_same_v<T, uint16_t>)
    return ElemType::U16;
  else if constexpr (std::is_same_v<T, int16_t>)
    return ElemType::I16;
  else if constexpr (std::is_same_v<T, uint32_t>)
    return ElemType::U32;
  else if constexpr (std::is_same_v<T, int32_t>)
    return ElemType::I32;
  else if constexpr (std::is_same_v<T, uint64_t>)
    return ElemType::U64;
  else if constexpr (std::is_same_v<T, int64_t>)
    return ElemType::I64;
  else if constexpr (std::is_same_v<T, float>)
    return ElemType::F32;
  else if constexpr (std::is_same_v<T, double>)
    return ElemType::F64;
  else
    static_assert(sizeof(T) == 0, "unsupported element type");
}

// An array read from (or to be written to) a file. `bytes` holds shape.numel() elements of
// `type` in C order and native byte order; bool is one byte, 0 or 1.
struct Array {
  ElemType type = ElemType::F32;
  Shape shape;
  std::vector<uint8_t> bytes;

  int64_t numel() const { return shape.numel(); }

  // Typed view of the elements; throws UsageError when T is not the stored type.
  template <class T>
  std::span<const T> values() const {
    check_type(elem_type_of<T>());
    return {reinterpret_cast<const T*>(bytes.data()), bytes.size() / sizeof(T)};
  }
  template <class T>
  std::span<T> values() {
    check_type(elem_type_of<T>());
    return {reinterpret_cast<T*>(bytes.data()), bytes.size() / sizeof(T)};
  }

  // Element i (flat C-order index) converted to double / int64 (any stored type).
  double value_f64(int64_t i) const;
  // Exact integers: throws UsageError for float arrays holding a non-integral value.
  std::vector<int64_t> to_int64() const;
  // Float tensor of the same shape (float32 for images, float64 keeps int32 exactly).
  Tensor to_tensor(DType dtype = DType::F32) const;

  static Array from_tensor(const Tensor& t);  // float32/float64 elements, any layout
  template <class T>
  static Array from_vector(const std::vector<T>& v, const Shape& shape) {
    Array a = zeros(elem_type_of<T>(), shape);
    PHYSCNN_CHECK_ARG(static_cast<int64_t>(v.size()) == a.numel(), "Array::from_vector: ", v.size(),
                      " values for shape ", shape.str());
    if (!v.empty()) std::memcpy(a.bytes.data(), v.data(), a.bytes.size());
    return a;
  }
  static Array zeros(ElemType type, const Shape& shape);

 private:
  void check_type(ElemType want) const;
};

// Specialised because std::vector<bool> has no data().
template <>
Array Array::from_vector<bool>(const std::vector<bool>& v, const Shape& shape);

}  // namespace physcnn::data
