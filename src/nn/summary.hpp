// Model summary: one row per leaf layer in execution order with its output shape (without the
// batch dimension), parameter count and multiply-adds per sample, plus totals; and the
// Keras-style text table that the CLI's `summary` command prints.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/shape.hpp"

namespace physcnn::nn {

struct SummaryRow {
  std::string path;  // "features.0"; a layer used twice (a shared pool) gets two rows
  std::string type;  // "Conv2d"
  Shape output;      // without the batch dimension
  int64_t params = 0;
  int64_t macs = 0;  // multiply-adds per sample
};

struct Summary {
  Shape input;   // without the batch dimension
  Shape output;  // without the batch dimension
  std::vector<SummaryRow> rows;
  int64_t total_params = 0;  // each parameter once, even if its layer runs twice
  int64_t trainable_params = 0;
  int64_t total_macs = 0;  // summed over the rows
};

// The table: Layer (type) | Output shape | Param # | MACs, then the totals.
std::string format_summary(const Summary& s);
// "(10, 62, 62)", as Keras prints shapes.
std::string shape_tuple(const Shape& s);

namespace detail {
// Set by Module::summary for the duration of its forward; Module::operator() appends leaf rows.
std::vector<SummaryRow>*& summary_recorder();
}  // namespace detail

}  // namespace physcnn::nn
