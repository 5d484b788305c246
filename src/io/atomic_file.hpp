// Writing files so that a crash never leaves a half-written one: write a temporary file in the
// same directory, flush it to disk, then rename it over the target.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace physcnn::io {

// Calls write(stream) on a temporary file next to `path` and renames it into place on success.
// On any failure the temporary is removed, the old file (if any) is untouched, and IoError is
// thrown naming the path.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace physcnn::io
