// The in-step profile: module calls and backward nodes are charged to the module that ran them,
// self times exclude nested modules, and nothing is recorded without a session.
#include "autograd/profile.hpp"

#include <gtest/gtest.h>

#include <map>

#include "autograd/functional.hpp"
#include "core/parallel.hpp"
#include "nn/nn.hpp"

namespace physcnn {
namespace {

namespace prof = autograd::profile;
using autograd::Var;

std::map<std::string, prof::Row> by_name(const prof::Session& s) {
  std::map<std::string, prof::Row> m;
  for (const auto& r : s.rows()) m[r.name] = r;
  return m;
}

// A chain whose Linear layers dominate: 256 x 512 x 512 multiply-adds each way.
std::shared_ptr<nn::Sequential> model() {
  auto m = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 512, .out = 512}),
      std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Linear>(nn::LinearOptions{.in = 512, .out = 4})});
  m->build(Shape{512});
  return m;
}

TEST(Profile, ModulesAndTheirBackwardsGetRows) {
  // One thread: with several, OpenMP workers spinning after a big op would charge their
  // process CPU time to whichever small op runs next, and the comparisons below would be noise.
  const int threads = num_threads();
  set_num_threads(1);
  struct Restore {
    int n;
    ~Restore() { set_num_threads(n); }
  } restore{threads};
  auto m = model();
  Rng rng(1, 0);
  const Tensor x = Tensor::normal(Shape{256, 512}, 0, 1, rng);
  prof::Session session;
  for (int i = 0; i < 3; ++i) {
    Var y = (*m)(Var(x));
    Var l;
    {
      const prof::Scope s("loss");
      l = autograd::mean(autograd::mul(y, y));
    }
    l.backward();
  }
  auto rows = by_name(session);
  ASSERT_TRUE(rows.count("0 (Linear)")) << session.rows().size();
  ASSERT_TRUE(rows.count("1 (Tanh)"));
  ASSERT_TRUE(rows.count("2 (Linear)"));
  ASSERT_TRUE(rows.count("Sequential"));
  ASSERT_TRUE(rows.count("loss"));
  EXPECT_EQ(rows["0 (Linear)"].calls, 3);
  EXPECT_EQ(rows["Sequential"].calls, 3);
  EXPECT_GT(rows["0 (Linear)"].forward_s, 0);
  // Backward of the big Linear (two 256x512x512 products) lands on its row, not elsewhere.
  EXPECT_GT(rows["0 (Linear)"].backward_s, rows["Sequential"].backward_s);
  EXPECT_GT(rows["0 (Linear)"].backward_s, rows["2 (Linear)"].backward_s);
  EXPECT_GT(rows["loss"].backward_s, 0);
  // Self time: the container's own forward is bookkeeping, far below its children's.
  EXPECT_LT(rows["Sequential"].forward_s, rows["0 (Linear)"].forward_s);
  EXPECT_EQ(rows.count("(outside any module)"), 0u);

  session.clear();
  for (const auto& r : session.rows()) {
    EXPECT_EQ(r.forward_s, 0);
    EXPECT_EQ(r.backward_s, 0);
    EXPECT_EQ(r.calls, 0);
  }
  EXPECT_THROW(prof::Session second, UsageError);
}

TEST(Profile, NothingIsRecordedWithoutASession) {
  EXPECT_FALSE(prof::active());
  EXPECT_EQ(prof::current_row(), -1);
  {
    const prof::Scope s("ignored");
    EXPECT_EQ(prof::current_row(), -1);
  }
  auto m = model();
  Var y = (*m)(Var(Tensor::ones(Shape{2, 512})));
  autograd::mean(y).backward();  // the hooks are no-ops
  prof::Session session;
  EXPECT_TRUE(session.rows().empty());
  {
    const prof::Scope s("outer");
    const int32_t outer = prof::current_row();
    {
      const prof::Scope t("inner");
      EXPECT_NE(prof::current_row(), outer);
    }
    EXPECT_EQ(prof::current_row(), outer);
  }
  EXPECT_EQ(prof::current_row(), -1);
  EXPECT_EQ(session.rows().size(), 2u);
}

}  // namespace
}  // namespace physcnn
