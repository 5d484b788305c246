// Element types: float32 for training and inference, float64 for gradient checks and physics.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/error.hpp"

namespace physcnn {

enum class DType { F32, F64 };

inline size_t dtype_size(DType t) {
  return t == DType::F32 ? 4 : 8;
}
inline std::string_view dtype_name(DType t) {
  return t == DType::F32 ? "float32" : "float64";
}

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::F32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::F64;
}

}  // namespace physcnn

// Runs the statements with `T` bound to the C++ type of a DType:
//   PHYSCNN_DISPATCH(x.dtype(), T, { kernel<T>(...); });
#define PHYSCNN_DISPATCH(dtype, T, ...)     \
  do {                                      \
    if ((dtype) == ::physcnn::DType::F32) { \
      using T = float;                      \
      __VA_ARGS__                           \
    } else {                                \
      using T = double;                     \
      __VA_ARGS__                           \
    }                                       \
  } while (0)
