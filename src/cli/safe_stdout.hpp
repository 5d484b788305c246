// Everything the command prints on stdout passes through printable() (core/log.hpp): layer
// names, TOML keys, dtype strings, file and class names come from files a user may not trust,
// and a summary, inspect or eval table must not carry their escape sequences to the terminal.
#pragma once

namespace physcnn::cli {

// Replaces stdout by a stream that escapes control characters, C1 controls and bytes that are
// not UTF-8 as \xNN before writing to file descriptor 1. Call once, first in main(). Text that
// is already printable passes unchanged, so escaping twice does no harm.
void escape_stdout();

}  // namespace physcnn::cli
