// printable: what physcnn prints of a file's text carries no terminal escape sequence.
#include "core/log.hpp"

#include <gtest/gtest.h>

namespace physcnn {
namespace {

TEST(Log, PrintableEscapesControlCharacters) {
  EXPECT_EQ(printable("layer \x1b[2Jx\r\a\x7f"), "layer \\x1b[2Jx\\x0d\\x07\\x7f");
  EXPECT_EQ(printable("two\nlines\tand \xc3\xa9"), "two\nlines\tand \xc3\xa9");  // kept as is
}

// Bytes that are not UTF-8 (a Latin-1 file name) and the C1 controls (U+009B is a one-character
// CSI for some terminals) were passed through raw.
TEST(Log, PrintableEscapesInvalidUtf8AndC1Controls) {
  EXPECT_EQ(printable("caf\xe9.png"), "caf\\xe9.png");
  EXPECT_EQ(printable("x\xc2\x9b"
                      "2J y\xc2\x85"),
            "x\\xc2\\x9b2J y\\xc2\\x85");
  EXPECT_EQ(printable("\xc2\xa0\xe2\x82\xac\xf0\x9f\x98\x80"),
            "\xc2\xa0\xe2\x82\xac\xf0\x9f\x98\x80");
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a UTF-16 surrogate
  EXPECT_EQ(printable("end \xe2\x82"), "end \\xe2\\x82");   // cut off
}

// Pieces of a stream (stdout's buffer) may cut a character in two: the cut bytes wait.
TEST(Log, AppendPrintableKeepsACutCharacterForTheNextPiece) {
  std::string out;
  EXPECT_EQ(append_printable(out, "a\xe2\x82", false), 1u);
  EXPECT_EQ(out, "a");
  EXPECT_EQ(append_printable(out, "\xe2\x82\xac\x1b", false), 4u);
  EXPECT_EQ(out, "a\xe2\x82\xac\\x1b");
  EXPECT_EQ(append_printable(out, "\xe2", true), 1u);
  EXPECT_EQ(out, "a\xe2\x82\xac\\x1b\\xe2");
}

}  // namespace
}  // namespace physcnn
