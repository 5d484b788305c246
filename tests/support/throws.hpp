// Test support: expect an exception of a given type whose message names every given fragment
// (the op, the numbers, the shapes), the way the project's error messages are checked.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace physcnn::test {

// Runs f; success when it throws E and e.what() contains every word.
template <class E, class F>
::testing::AssertionResult throws_with(F&& f, const std::vector<std::string>& words) {
  try {
    f();
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& w : words)
      if (msg.find(w) == std::string::npos)
        return ::testing::AssertionFailure() << "message lacks \"" << w << "\": " << msg;
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "wrong exception type: " << e.what();
  }
  return ::testing::AssertionFailure() << "no exception thrown";
}

template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& words) {
  EXPECT_TRUE(throws_with<E>(std::forward<F>(f), words));
}

}  // namespace physcnn::test
