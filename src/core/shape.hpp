// Shape of a tensor: a short list of extents, printed like PyTorch's sizes ([8,3,32,32]).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

namespace physcnn {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  // Extent of dimension d; negative d counts from the end (-1 is the last dimension).
  int64_t operator[](int64_t d) const { return dims_[static_cast<size_t>(normalize(d))]; }
  int64_t& operator[](int64_t d) { return dims_[static_cast<size_t>(normalize(d))]; }
  // The product of the extents; ShapeError when it does not fit in int64.
  int64_t numel() const;
  // Maps a possibly negative dimension index into [0, rank); throws ShapeError if out of range.
  int64_t normalize(int64_t d) const;

  const std::vector<int64_t>& dims() const { return dims_; }
  auto begin() const { return dims_.begin(); }
  auto end() const { return dims_.end(); }
  void push_back(int64_t d) { dims_.push_back(d); }
  bool operator==(const Shape& o) const = default;

  // Row-major (C order) strides for this shape, in elements.
  std::vector<int64_t> contiguous_strides() const;
  std::string str() const;

 private:
  std::vector<int64_t> dims_;
};

std::ostream& operator<<(std::ostream& os, const Shape& s);

// Limits on what a model may compute, so that a model file from anywhere cannot ask for
// absurd memory (a 2 KB file concatenating a layer with itself 22 times, an upsample scale of
// 1e4): every size in a model file and every channel or spatial extent of a layer's output is
// at most kMaxLayerExtent (65,536); a layer's output holds at most kMaxLayerElements
// (2^28, 1 GiB of float32) elements per sample.
constexpr int64_t kMaxLayerExtent = int64_t{1} << 16;
constexpr int64_t kMaxLayerElements = int64_t{1} << 28;

}  // namespace physcnn
