// Checks that a path given by the user is what it should be, with an IoError that says which:
// missing, a folder where a file was expected, or a file where a folder was expected.
#pragma once

#include <string>

namespace physcnn {

// `what` names the path's role in the message ("weights file", "run folder").
void require_regular_file(const std::string& path, const std::string& what);
void require_directory(const std::string& path, const std::string& what);

}  // namespace physcnn
