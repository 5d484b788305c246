// The jet mass against hand-computed cases, FastJet's anti-k_T on a hand-made event, and the
// generator against its own physics: the stored mass is the constituents' mass, a W decays to
// two prongs of the W mass at dR ~ m / (p_T sqrt(z (1 - z))).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "physics/jets/cluster.hpp"
#include "physics/jets/generator.hpp"

using namespace physcnn;
using namespace physcnn::physics::jets;

TEST(JetMass, TwoParticlesByHand) {
  // m^2 = 2 p_T1 p_T2 (cosh d_eta - cos d_phi) = 2 * 100 * 50 * (cosh 0.6 - cos 0.3).
  const std::vector<Particle> ps{{100, 0.3, 0.1}, {50, -0.3, -0.2}};
  const double expected = std::sqrt(2 * 100 * 50 * (std::cosh(0.6) - std::cos(0.3)));
  EXPECT_NEAR(jet_mass_pairwise(ps), expected, 1e-12 * expected);
  EXPECT_NEAR(jet_mass(ps), expected, 1e-10 * expected);
  // Across phi = pi the difference wraps: 3.1 and -3.1 are 0.0832 apart.
  const std::vector<Particle> wrap{{10, 0, 3.1}, {10, 0, -3.1}};
  const double dphi = 2 * std::numbers::pi - 6.2;
  EXPECT_NEAR(jet_mass_pairwise(wrap), std::sqrt(2 * 100 * (1 - std::cos(dphi))), 1e-12);
  EXPECT_NEAR(jet_mass(wrap), jet_mass_pairwise(wrap), 1e-9);
}

TEST(JetMass, FourVectorSumEqualsPairwiseFormula) {
  Rng rng(3);
  std::vector<Particle> ps;
  for (int i = 0; i < 40; ++i)
    ps.push_back({rng.uniform(0.5, 80), rng.uniform(-1.5, 1.5), rng.uniform(-3.14, 3.14)});
  const double m = jet_mass_pairwise(ps);
  EXPECT_GT(m, 100.0);
  EXPECT_NEAR(jet_mass(ps), m, 1e-10 * m);
}

TEST(AntiKt, HandMadeEventClustersAroundTheHardParticle) {
  // A (100 GeV) at eta 0, B (50 GeV) at eta 1.5, a soft s (1 GeV) at eta 0.9: s is closer to B
  // (0.6) than to A (0.9), but anti-k_T's d_ij = min(1/p_T^2) dR^2 / R^2 is smaller with A
  // (0.81 / 100^2 < 0.36 / 50^2), so s joins A; C (20 GeV) far away at phi 2.5 is its own jet.
  const std::vector<Particle> ps{{50, 1.5, 0}, {1, 0.9, 0}, {100, 0, 0}, {20, 0, 2.5}};
  const auto jets = cluster_antikt(ps, 1.0);
  ASSERT_EQ(jets.size(), 3u);
  EXPECT_EQ(jets[0].indices, (std::vector<int>{1, 2}));
  EXPECT_EQ(jets[1].indices, (std::vector<int>{0}));
  EXPECT_EQ(jets[2].indices, (std::vector<int>{3}));
  const double m_as = std::sqrt(2 * 100 * 1 * (std::cosh(0.9) - 1));
  EXPECT_NEAR(jets[0].mass, m_as, 1e-9 * m_as);
  EXPECT_NEAR(jets[0].pt, 101.0, 1e-9);
  EXPECT_NEAR(jets[1].mass, 0.0, 1e-6);
  EXPECT_NEAR(jets[1].eta, 1.5, 1e-12);
  EXPECT_NEAR(jets[2].phi, 2.5, 1e-12);
  // With R = 2 B is within reach of A and the whole event but C is one jet.
  const auto wide = cluster_antikt(ps, 2.0);
  ASSERT_EQ(wide.size(), 2u);
  EXPECT_EQ(wide[0].indices, (std::vector<int>{0, 1, 2}));
  EXPECT_NEAR(wide[0].mass, jet_mass_pairwise({ps[0], ps[1], ps[2]}), 1e-9 * wide[0].mass);
  EXPECT_THROW(cluster_antikt(ps, 0.0), UsageError);
}

TEST(JetGenerator, StoredMassIsTheConstituentsMass) {
  const JetDataset d = generate({.events = 60, .seed = 5});
  ASSERT_EQ(d.count(), 60);
  for (int64_t i = 0; i < d.count(); ++i) {
    EXPECT_EQ(d.labels[size_t(i)], i % 2);
    const std::vector<Particle> c(d.constituents.begin() + d.first[size_t(i)],
                                  d.constituents.begin() + d.first[size_t(i) + 1]);
    const double m = jet_mass_pairwise(c);
    EXPECT_NEAR(d.mass[size_t(i)], m, 1e-9 * m + 1e-9) << "jet " << i;
    // The image holds the constituents within its window: its total is their p_T there.
    double image_total = 0;
    for (int64_t p = 0; p < d.size * d.size; ++p)
      image_total += d.images[size_t((i * d.size * d.size) + p)];
    EXPECT_LE(image_total, scalar_pt(c) * (1 + 1e-6));
    EXPECT_GT(image_total, 0.8 * scalar_pt(c));
  }
}

TEST(JetGenerator, WDecaysToTwoProngsOfTheWMass) {
  // No shower, no soft particles, zero width: exactly the two quarks of a W of 80.379 GeV.
  const JetOptions o{.w_width = 0, .alpha_s = 0, .soft_density = 0};
  int narrow = 0;
  for (int64_t e = 1; e < 41; e += 2) {
    const auto ps = draw_particles(1, 9, e, o);
    ASSERT_EQ(ps.size(), 2u);
    EXPECT_NEAR(jet_mass_pairwise(ps), o.w_mass, 1e-9 * o.w_mass);
    FourVector w = four_vector(ps[0]);
    w += four_vector(ps[1]);
    const double pt = std::hypot(w.px, w.py);
    EXPECT_GE(pt, o.pt_min - 1e-9);
    EXPECT_LE(pt, o.pt_max + 1e-9);
    // Small-angle two-body kinematics: m^2 ~ z (1 - z) p_T^2 dR^2, to O(dR^2) (asymmetric decays
    // open wide; those are left out).
    const double z = ps[0].pt / (ps[0].pt + ps[1].pt);
    const double dr = std::hypot(ps[0].eta - ps[1].eta, delta_phi(ps[0].phi, ps[1].phi));
    if (dr < 0.8) {
      EXPECT_NEAR(std::sqrt(z * (1 - z)) * pt * dr / o.w_mass, 1.0, 0.06) << "event " << e;
      ++narrow;
    }
    EXPECT_GE(dr, 2 * o.w_mass / pt * 0.95);
  }
  EXPECT_GT(narrow, 10);
  // A QCD event without shower is one parton: mass 0.
  EXPECT_EQ(draw_particles(0, 9, 0, o).size(), 1u);
}

TEST(JetGenerator, RepeatsPerSeedWhateverTheThreadCount) {
  const int threads = num_threads();
  set_num_threads(1);
  const JetDataset a = generate({.events = 40, .seed = 2});
  set_num_threads(2);
  const JetDataset b = generate({.events = 40, .seed = 2});
  set_num_threads(threads);
  EXPECT_EQ(a.images, b.images);
  EXPECT_EQ(a.mass, b.mass);
  const JetDataset c = generate({.events = 40, .seed = 3});
  EXPECT_NE(a.mass, c.mass);
}

TEST(JetGenerator, RefusesBadOptions) {
  EXPECT_THROW(generate({.events = 0}), UsageError);
  EXPECT_THROW(generate({.pt_min = 300, .pt_max = 200}), UsageError);
  EXPECT_THROW(generate({.radius = -1}), UsageError);
  EXPECT_THROW(parse_preprocess("rotate"), UsageError);
}
