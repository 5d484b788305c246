// The toy tracker against geometry: hits lie on their true circles and lines (exactly, and their
// pixels within the pixel quantisation), helices bend the way the charge says with R = p_T /
// (0.3 B), labels match the images, and events repeat per seed whatever the thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <set>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "physics/tracks/generator.hpp"
#include "support/throws.hpp"

using namespace physcnn;
using namespace physcnn::physics::tracks;

namespace {

TrackOptions small(int64_t size = 64) {
  return {.size = size, .events = 24, .seed = 7, .curler_classes = true};
}

// Distance of a point from a track's curve.
double off_track(const Track& t, double x, double y) {
  if (t.cosmic) return std::abs((x - t.x0) * t.dy - (y - t.y0) * t.dx);
  return std::abs(std::hypot(x - t.cx, y - t.cy) - t.radius);
}

}  // namespace

TEST(Tracks, HitsLieOnTheirCirclesAndLines) {
  for (int64_t size : {64, 128}) {
    const TrackOptions o = small(size);
    const TrackDataset d = generate(o);
    const double pitch = 2 * o.half_width / double(size);
    int64_t helices = 0, cosmics = 0, curlers = 0, hits = 0;
    for (const Track& t : d.tracks) {
      (t.cosmic ? cosmics : helices) += 1;
      curlers += t.label == 2;
      if (!t.cosmic) {
        EXPECT_NEAR(t.radius, t.pt / (0.3 * o.field), 1e-12);
        EXPECT_TRUE(t.charge == 1 || t.charge == -1);
        EXPECT_GE(t.pt, o.pt_min);
        EXPECT_LE(t.pt, o.pt_max);
        EXPECT_EQ(t.label, 2 * t.radius < o.half_width ? 2 : 1);
      }
      const float* label = &d.labels[size_t(t.event * size * size)];
      const float* image = &d.images[size_t(t.event * size * size)];
      for (size_t i = 0; i < t.hit_x.size(); ++i, ++hits) {
        EXPECT_LT(off_track(t, t.hit_x[i], t.hit_y[i]), 1e-9);
        const int64_t p = pixel_of(t.hit_x[i], t.hit_y[i], size, o.half_width);
        ASSERT_GE(p, 0);
        double px, py;
        pixel_centre(p, size, o.half_width, px, py);
        // The pixel's centre is within half a diagonal of a point on the curve.
        EXPECT_LE(off_track(t, px, py), pitch * std::numbers::sqrt2 / 2 + 1e-12);
        EXPECT_GT(image[p], 0.0f);
        EXPECT_GE(label[p], 1.0f);
        EXPECT_LE(label[p], float(t.label));  // shared pixels take the smaller class
      }
    }
    EXPECT_GT(helices, 24);
    EXPECT_GT(cosmics, 0);
    EXPECT_GT(curlers, 0);
    EXPECT_GT(hits, 1000);
  }
}

TEST(Tracks, ChargeSetsTheSenseOfRotation) {
  // B along +z: a positive charge turns clockwise around its centre (the angle decreases).
  const TrackDataset d = generate({.events = 40, .seed = 3, .inefficiency = 0.0});
  int checked = 0;
  for (const Track& t : d.tracks) {
    if (t.cosmic || t.hit_x.size() < 3) continue;
    const double a0 = std::atan2(t.hit_y[0] - t.cy, t.hit_x[0] - t.cx);
    const double a1 = std::atan2(t.hit_y[2] - t.cy, t.hit_x[2] - t.cx);
    const double turn = std::remainder(a1 - a0, 2 * std::numbers::pi);
    EXPECT_LT(turn * t.charge, 0) << "charge " << t.charge << " pt " << t.pt;
    ++checked;
  }
  EXPECT_GT(checked, 40);
}

TEST(Tracks, LabelsMatchTheImages) {
  // Without noise, a pixel is lit exactly when it is labelled; every labelled pixel is a hit of
  // one of the event's tracks and every hit's pixel is labelled.
  TrackOptions o = small();
  o.noise = 0;
  const TrackDataset d = generate(o);
  const int64_t pixels = o.size * o.size;
  std::vector<std::set<int64_t>> hit_pixels(size_t(o.events));
  for (const Track& t : d.tracks)
    for (size_t i = 0; i < t.hit_x.size(); ++i)
      hit_pixels[size_t(t.event)].insert(pixel_of(t.hit_x[i], t.hit_y[i], o.size, o.half_width));
  for (int64_t e = 0; e < o.events; ++e) {
    std::set<int64_t> labelled;
    for (int64_t p = 0; p < pixels; ++p) {
      const size_t i = size_t(e * pixels + p);
      EXPECT_EQ(d.images[i] > 0, d.labels[i] > 0) << "event " << e << " pixel " << p;
      if (d.labels[i] > 0) labelled.insert(p);
    }
    EXPECT_EQ(labelled, hit_pixels[size_t(e)]) << "event " << e;
  }
  // With noise, extra lit pixels are background; labelled pixels are still lit.
  o.noise = 0.01;
  const TrackDataset n = generate(o);
  int64_t noise_only = 0;
  for (size_t i = 0; i < n.images.size(); ++i) {
    if (n.labels[i] > 0) {
      EXPECT_GT(n.images[i], 0.0f);
    }
    noise_only += n.images[i] > 0 && n.labels[i] == 0;
  }
  EXPECT_NEAR(double(noise_only) / double(n.images.size()), 0.01, 0.003);
}

TEST(Tracks, InefficiencyLosesThatFractionOfHits) {
  TrackOptions o{.events = 60, .seed = 5, .noise = 0, .inefficiency = 0};
  int64_t all = 0, kept = 0;
  for (const Track& t : generate(o).tracks) all += int64_t(t.hit_x.size());
  o.inefficiency = 0.2;
  for (const Track& t : generate(o).tracks) kept += int64_t(t.hit_x.size());
  EXPECT_NEAR(double(kept) / double(all), 0.8, 0.02);
}

TEST(Tracks, ReproduciblePerSeedAndThreadCount) {
  const TrackOptions o = small();
  const TrackDataset a = generate(o);
  EXPECT_EQ(a.images, generate(o).images);
  TrackOptions fewer = o;
  fewer.events = 5;  // event i draws from stream i: a prefix repeats
  const TrackDataset f = generate(fewer);
  EXPECT_TRUE(std::equal(f.images.begin(), f.images.end(), a.images.begin()));
  const int threads = num_threads();
  set_num_threads(1);
  const TrackDataset one = generate(o);
  set_num_threads(threads);
  EXPECT_EQ(one.images, a.images);
  EXPECT_EQ(one.labels, a.labels);
  TrackOptions other = o;
  other.seed = 8;
  EXPECT_NE(generate(other).images, a.images);
}

TEST(Tracks, BadOptionsNameTheOption) {
  test::expect_error<UsageError>([] { generate({.size = 4}); }, {"size", "4"});
  test::expect_error<UsageError>([] { generate({.noise = 1.5}); }, {"noise", "1.5"});
  test::expect_error<UsageError>([] { generate({.pt_min = 2, .pt_max = 1}); }, {"pt_min"});
  test::expect_error<UsageError>([] { generate({.min_tracks = 3, .max_tracks = 2}); },
                                 {"max_tracks"});
}
