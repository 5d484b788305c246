// Checks that a path given by the user is what it should be, with an IoError that says which:
// missing, a folder where a file was expected, or a file where a folder was expected. And the
// names of the temporary files that atomic writes rename into place, so that those left by a
// killed process can be recognised and removed.
#pragma once

#include <string>
#include <vector>

namespace physcnn {

// `what` names the path's role in the message ("weights file", "run folder").
void require_regular_file(const std::string& path, const std::string& what);
void require_directory(const std::string& path, const std::string& what);

// The temporary file an atomic write of `path` by this process writes first: "path.tmp.PID" in
// the same folder. Every atomic writer (io::write_file_atomic, the data formats' AtomicFile)
// names them so; one process writes a given file from one thread at a time.
std::string temporary_path(const std::string& path);
// Removes the temporaries in `folder` (not recursive) whose process no longer exists; those of
// living processes (a writer at work) are kept. Returns the names removed.
std::vector<std::string> remove_stale_temporaries(const std::string& folder);

}  // namespace physcnn
