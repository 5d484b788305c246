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

}  // namespace physcnn
