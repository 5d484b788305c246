// Which preprocessing steps keep the jet mass: the mass from the constituents and from the image,
// before and after each step, over generated jets. Lorentz transformations of the constituents
// (boost, rotations, z -> -z) keep it to rounding; mirroring pixel rows keeps the image mass
// exactly; moving pixel contents (sub-pixel centring, rotation) changes it; normalisation
// divides it by the total p_T.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>

#include "physics/jets/generator.hpp"
#include "physics/jets/preprocess.hpp"

using namespace physcnn::physics::jets;

namespace {

struct Change {
  double mean = 0, max = 0;  // of |m_after - m_before| / m_before
  int64_t jets = 0;
  void add(double before, double after) {
    if (before <= 1) return;  // single-particle jets have no mass to compare
    const double r = std::abs(after - before) / before;
    mean += r, max = std::max(max, r), ++jets;
  }
  double average() const { return jets ? mean / double(jets) : 0; }
};

std::vector<std::vector<Particle>> sample_jets(int64_t n, std::vector<double>& eta,
                                               std::vector<double>& phi) {
  const JetDataset d = generate({.events = n, .seed = 11});
  std::vector<std::vector<Particle>> out;
  for (int64_t i = 0; i < n; ++i) {
    out.emplace_back(d.constituents.begin() + d.first[size_t(i)],
                     d.constituents.begin() + d.first[size_t(i) + 1]);
    eta.push_back(d.eta[size_t(i)]);
    phi.push_back(d.phi[size_t(i)]);
  }
  return out;
}

}  // namespace

TEST(JetPreprocess, WhichStepsKeepTheMass) {
  std::vector<double> eta, phi;
  const auto jets = sample_jets(120, eta, phi);
  Change boost, rotate3d, flip3d, image_centre, image_rotate, image_flip, pixelised;
  double normalised_worst = 0;
  for (size_t i = 0; i < jets.size(); ++i) {
    const auto& c = jets[i];
    const double m = jet_mass(c);
    const auto centred = centre_constituents(c);
    boost.add(m, jet_mass(centred));
    const auto rotated = rotate_constituents(centred);
    rotate3d.add(m, jet_mass(rotated));
    flip3d.add(m, jet_mass(flip_constituents(rotated)));
    const JetImage raw = pixelise(c, eta[i], phi[i], 25, 0.1);
    const double mi = image_mass(raw);
    pixelised.add(m, mi);
    const JetImage centred_image = centre_image(raw);
    image_centre.add(mi, image_mass(centred_image));
    image_rotate.add(image_mass(centred_image), image_mass(rotate_image(centred_image)));
    image_flip.add(mi, image_mass(flip_image(raw)));
    // Normalisation: the image mass becomes m / sum(p_T) exactly.
    const double expected = mi / image_sum(raw);
    normalised_worst = std::max(normalised_worst,
                                std::abs(image_mass(normalise_image(raw)) - expected) / expected);
  }
  std::printf("step                               mean |dm|/m   max |dm|/m\n");
  const auto row = [](const char* name, const Change& ch) {
    std::printf("%-34s %-13.3g %-13.3g\n", name, ch.average(), ch.max);
  };
  row("constituents: boost to centroid", boost);
  row("constituents: rotation about axis", rotate3d);
  row("constituents: flip z -> -z", flip3d);
  row("pixelisation (0.1 x 0.1)", pixelised);
  row("image: centre (sub-pixel shift)", image_centre);
  row("image: rotate principal axis", image_rotate);
  row("image: flip rows", image_flip);
  // Lorentz transformations of massless constituents: the mass to rounding.
  EXPECT_LT(boost.max, 1e-9);
  EXPECT_LT(rotate3d.max, 1e-9);
  EXPECT_LT(flip3d.max, 1e-9);
  // Mirroring rows about the centre pixel maps d_eta to -d_eta: cosh is even.
  EXPECT_LT(image_flip.max, 1e-12);
  // Moving p_T between pixels changes the image mass: per cent on average.
  EXPECT_GT(image_centre.average(), 3e-3);
  EXPECT_GT(image_rotate.average(), 1e-2);
  // Pixelisation itself costs a few per cent (pixel 0.1 against dR ~ 0.6 between W prongs).
  EXPECT_GT(pixelised.average(), 1e-3);
  EXPECT_LT(pixelised.average(), 0.1);
  EXPECT_LT(normalised_worst, 1e-12);
  EXPECT_GT(boost.jets, 100);
}

TEST(JetPreprocess, RotationsPutThePrincipalAxisOnEta) {
  // Two prongs along a line at 30 degrees to phi in (phi, eta): after the rotation the second
  // moments' axis lies along eta, for the constituents and for the image.
  const double a = std::numbers::pi / 6;
  std::vector<Particle> ps;
  for (double t : {-0.3, -0.25, 0.2, 0.3})
    ps.push_back({t < 0 ? 60.0 : 40.0, t * std::sin(a), t * std::cos(a)});
  const auto centred = centre_constituents(ps);
  EXPECT_NEAR(principal_angle(centred), a, 1e-6);
  const auto rotated = rotate_constituents(centred);
  EXPECT_NEAR(std::cos(principal_angle(rotated)), 0.0, 0.02);
  EXPECT_NEAR(jet_mass(rotated), jet_mass(ps), 1e-9 * jet_mass(ps));
  const JetImage image = rotate_image(centre_image(pixelise(ps, 0, 0, 25, 0.1)));
  EXPECT_NEAR(std::cos(principal_angle(image_particles(image))), 0.0, 0.05);
  // The flip puts the heavier prong at eta > 0.
  const auto flipped = flip_constituents(rotated);
  double up = 0, down = 0;
  for (const Particle& p : flipped) (p.eta > 0 ? up : down) += p.pt;
  EXPECT_GT(up, down);
}

TEST(JetPreprocess, MakeImageFollowsTheOptions) {
  const std::vector<Particle> ps{{100, 0.51, 1.02}, {60, 0.12, 1.33}, {5, 0.7, 0.8}};
  const JetImage none = make_image(ps, 0.4, 1.1, {.preprocess = Preprocess::None});
  EXPECT_DOUBLE_EQ(image_mass(none), image_mass(pixelise(ps, 0.4, 1.1, 25, 0.1)));
  const JetImage lorentz = make_image(ps, 0.4, 1.1, {.preprocess = Preprocess::Constituents});
  // Pixelisation of the transformed constituents: within a pixel's worth of the true mass.
  EXPECT_NEAR(image_mass(lorentz) / jet_mass(ps), 1.0, 0.1);
  const JetImage norm =
      make_image(ps, 0.4, 1.1, {.preprocess = Preprocess::Image, .normalise = true});
  EXPECT_NEAR(image_sum(norm), 1.0, 1e-12);
}
