// toml_util: parse errors, unknown keys with suggestions, typed getters with file:line.
#include "io/toml_util.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "support/throws.hpp"

namespace physcnn::io {
namespace {

using physcnn::test::expect_error;

TEST(TomlUtil, ParseErrorNamesFileLineAndColumn) {
  expect_error<UsageError>([] { parse_toml("a = 1\nb = = 2\n", "bad.toml"); }, {"bad.toml:2:"});
}

TEST(TomlUtil, MissingFileIsIoError) {
  expect_error<IoError>([] { parse_toml_file("/nonexistent/model.toml"); },
                        {"/nonexistent/model.toml", "cannot open"});
}

TEST(TomlUtil, NearestName) {
  std::vector<std::string> keys{"kernel", "stride", "padding", "out"};
  EXPECT_EQ(nearest_name("kernal", keys), "kernel");
  EXPECT_EQ(nearest_name("strdie", keys), "stride");  // a transposition is one edit
  EXPECT_EQ(nearest_name("Padding", keys), "padding");
  EXPECT_EQ(nearest_name("xyz", keys), "");
  EXPECT_EQ(nearest_name("bias", keys), "");
  EXPECT_EQ(did_you_mean("ot", keys), "; did you mean 'out'?");
}

TEST(TomlUtil, UnknownKeySuggestsAndNamesLine) {
  auto t = parse_toml("type = \"conv2d\"\nout = 3\n\nkernal = 3\n", "m.toml");
  expect_error<UsageError>(
      [&] {
        check_keys(t, {"type", "out", "kernel"}, "[[layer]] 3 (conv2d)");
      },
      {"m.toml:4: unknown key 'kernal' in [[layer]] 3 (conv2d); did you mean 'kernel'?"});
  // Nothing close: the valid keys are listed instead.
  auto u = parse_toml("zzzzzz = 1\n", "m.toml");
  expect_error<UsageError>(
      [&] {
        check_keys(u, {"type", "out"}, "the top level");
      },
      {"m.toml:1:", "'zzzzzz'", "valid keys: type out"});
  EXPECT_NO_THROW(check_keys(t, {"type", "out", "kernal"}, ""));
}

TEST(TomlUtil, TypedGetters) {
  auto t = parse_toml(
      "i = 3\nf = 0.5\ns = \"same\"\nb = true\nl = [1, 2]\nsl = [\"a\", \"b\"]\nbad = [1, \"x\"]\n",
      "g.toml");
  EXPECT_EQ(get_int(t, "i", ""), 3);
  EXPECT_EQ(get_int(t, "missing", ""), std::nullopt);
  EXPECT_DOUBLE_EQ(*get_double(t, "f", ""), 0.5);
  EXPECT_DOUBLE_EQ(*get_double(t, "i", ""), 3.0);  // integers are numbers too
  EXPECT_EQ(require_string(t, "s", ""), "same");
  EXPECT_TRUE(require_bool(t, "b", ""));
  EXPECT_EQ(require_int_list(t, "l", ""), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(*get_string_list(t, "sl", ""), (std::vector<std::string>{"a", "b"}));
  expect_error<UsageError>(
      [&] { get_int(t, "f", "[[layer]] 0 (conv2d)"); },
      {"g.toml:2:", "[[layer]] 0 (conv2d)", "'f' must be an integer", "found a float"});
  expect_error<UsageError>([&] { get_bool(t, "s", "ctx"); },
                           {"g.toml:3:", "'s' must be true or false", "found a string", "same"});
  expect_error<UsageError>([&] { get_int_list(t, "bad", "ctx"); },
                           {"g.toml:7:", "array of integers"});
  expect_error<UsageError>([&] { require_int(t, "out", "[[layer]] 1 (linear)"); },
                           {"g.toml", "[[layer]] 1 (linear)", "missing required key 'out'"});
}

}  // namespace
}  // namespace physcnn::io
