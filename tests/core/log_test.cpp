// printable: what physcnn prints of a file's text carries no terminal escape sequence.
#include "core/log.hpp"

#include <gtest/gtest.h>

namespace physcnn {
namespace {

TEST(Log, PrintableEscapesControlCharacters) {
  EXPECT_EQ(printable("layer \x1b[2Jx\r\a\x7f"), "layer \\x1b[2Jx\\x0d\\x07\\x7f");
  EXPECT_EQ(printable("two\nlines\tand \xc3\xa9"), "two\nlines\tand \xc3\xa9");  // kept as is
}

}  // namespace
}  // namespace physcnn
