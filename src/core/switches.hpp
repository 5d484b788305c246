// Start-up switches of the fast paths: PHYSCNN_FAST_DISABLE="conv_gemm,fusion" turns the named
// paths off, a diagnostic for before/after measurements in one binary (bench/NOTES.md), never
// needed for correct results. Each floor asks for its own names (kernels, nn, train).
#pragma once

#include <string_view>

namespace physcnn {

// Whether PHYSCNN_FAST_DISABLE (read once, comma-separated) lists `name`. Throws UsageError
// naming the variable and the known names when it lists a name no floor knows, or when `name`
// itself is not one of them.
bool switch_disabled(std::string_view name);

}  // namespace physcnn
