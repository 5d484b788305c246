// The toy tracker: helices (circles in the transverse plane) from near the origin, straight
// cosmics, noise and inefficiency, drawn event by event from independent random streams.
#include "physics/tracks/generator.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/rng.hpp"

namespace physcnn::physics::tracks {

namespace {

constexpr double kPi = std::numbers::pi;

void check_options(const TrackOptions& o) {
  PHYSCNN_CHECK_ARG(o.size >= 8 && o.size <= 4096, "tracks: size must be in [8, 4096], got ",
                    o.size);
  PHYSCNN_CHECK_ARG(o.events >= 1, "tracks: events must be >= 1, got ", o.events);
  PHYSCNN_CHECK_ARG(o.half_width > 0 && o.field > 0, "tracks: half_width and field must be > 0");
  PHYSCNN_CHECK_ARG(o.pt_min > 0 && o.pt_max >= o.pt_min, "tracks: need 0 < pt_min <= pt_max, got ",
                    o.pt_min, " and ", o.pt_max);
  PHYSCNN_CHECK_ARG(o.min_tracks >= 0 && o.max_tracks >= o.min_tracks && o.max_tracks <= 100,
                    "tracks: need 0 <= min_tracks <= max_tracks <= 100, got ", o.min_tracks,
                    " and ", o.max_tracks);
  const auto probability = [](double p, const char* name) {
    PHYSCNN_CHECK_ARG(p >= 0 && p <= 1, "tracks: ", name, " must be a probability, got ", p);
  };
  probability(o.cosmic_probability, "cosmic_probability");
  probability(o.noise, "noise");
  probability(o.inefficiency, "inefficiency");
  PHYSCNN_CHECK_ARG(o.vertex_spread >= 0 && o.max_turns > 0,
                    "tracks: vertex_spread must be >= 0 and max_turns > 0");
}

// Walks a parametrised curve in steps of a quarter pixel and records, per new pixel, the exact
// point that entered it; `at(s)` gives the point at arc length s.
template <class Curve>
void trace(Curve at, double length, const TrackOptions& o, Track& t, std::vector<int64_t>& pixels) {
  const double step = 0.25 * 2 * o.half_width / double(o.size);
  int64_t last = -1;
  for (double s = 0; s <= length; s += step) {
    double x, y;
    at(s, x, y);
    const int64_t p = pixel_of(x, y, o.size, o.half_width);
    if (p < 0) {
      if (last >= 0) break;  // left the image
      continue;              // a cosmic still outside
    }
    if (p == last || std::find(pixels.begin(), pixels.end(), p) != pixels.end()) {
      last = p;
      continue;
    }
    last = p;
    pixels.push_back(p);
    t.hit_x.push_back(x);
    t.hit_y.push_back(y);
  }
}

std::vector<Track> draw_event(int64_t event, const TrackOptions& o, Rng rng, float* image,
                              float* label) {
  std::vector<Track> out;
  const int64_t n_helix =
      o.min_tracks + int64_t(rng.below(uint64_t(o.max_tracks - o.min_tracks + 1)));
  const bool cosmic = rng.uniform() < o.cosmic_probability;
  const double vx = o.vertex_spread * rng.normal(), vy = o.vertex_spread * rng.normal();
  for (int64_t k = 0; k < n_helix + (cosmic ? 1 : 0); ++k) {
    Track t;
    t.event = event;
    std::vector<int64_t> pixels;
    if (k < n_helix) {
      // log-uniform p_T, uniform azimuth, charge +-1. For B along +z a positive charge turns
      // clockwise: centre = vertex + q R (sin phi, -cos phi), angle around it theta0 - q s / R.
      t.pt = o.pt_min * std::exp(rng.uniform() * std::log(o.pt_max / o.pt_min));
      t.charge = rng.uniform() < 0.5 ? -1 : 1;
      const double phi = rng.uniform(-kPi, kPi);
      t.radius = t.pt / (0.3 * o.field);
      t.cx = vx + t.charge * t.radius * std::sin(phi);
      t.cy = vy - t.charge * t.radius * std::cos(phi);
      const double theta0 = phi + t.charge * kPi / 2, q = t.charge, r = t.radius;
      const double cx = t.cx, cy = t.cy;
      t.label = o.curler_classes && 2 * t.radius < o.half_width ? 2 : 1;
      trace(
          [&](double s, double& x, double& y) {
            x = cx + r * std::cos(theta0 - q * s / r);
            y = cy + r * std::sin(theta0 - q * s / r);
          },
          o.max_turns * 2 * kPi * r, o, t, pixels);
    } else {
      // A straight line through a random point of the image with a random direction, walked
      // from outside the image across it.
      t.cosmic = true;
      t.x0 = rng.uniform(-o.half_width, o.half_width);
      t.y0 = rng.uniform(-o.half_width, o.half_width);
      const double a = rng.uniform(0, kPi);
      t.dx = std::cos(a);
      t.dy = std::sin(a);
      const double reach = 3 * o.half_width;
      const double sx = t.x0 - reach * t.dx, sy = t.y0 - reach * t.dy, dx = t.dx, dy = t.dy;
      trace(
          [&](double s, double& x, double& y) {
            x = sx + s * dx;
            y = sy + s * dy;
          },
          2 * reach, o, t, pixels);
    }
    // Inefficiency: a pixel of the track records nothing.
    std::vector<double> hx, hy;
    for (size_t i = 0; i < pixels.size(); ++i) {
      if (rng.uniform() < o.inefficiency) continue;
      const int64_t p = pixels[i];
      // Deposited charge: 0.5 plus an exponential tail of mean 0.5 (a stand-in for Landau
      // fluctuations; the path length in a pixel varies too).
      image[p] += float(0.5 - 0.5 * std::log(1.0 - rng.uniform()));
      // A pixel of several tracks takes the smallest class (high momentum wins over a curler).
      label[p] = label[p] == 0 ? float(t.label) : std::min(label[p], float(t.label));
      hx.push_back(t.hit_x[i]);
      hy.push_back(t.hit_y[i]);
    }
    t.hit_x = std::move(hx);
    t.hit_y = std::move(hy);
    out.push_back(std::move(t));
  }
  // Noise hits: exponential charges of mean 0.8, overlapping the tracks' (a threshold alone
  // cannot separate them), labelled background (a track pixel stays a track's).
  const int64_t pixels = o.size * o.size;
  for (int64_t p = 0; p < pixels; ++p)
    if (rng.uniform() < o.noise) image[p] += float(-0.8 * std::log(1.0 - rng.uniform()));
  return out;
}

}  // namespace

int64_t pixel_of(double x, double y, int64_t size, double half_width) {
  const double pitch = 2 * half_width / double(size);
  const double col = std::floor((x + half_width) / pitch),
               row = std::floor((half_width - y) / pitch);
  if (!(col >= 0 && row >= 0 && col < double(size) && row < double(size))) return -1;
  return int64_t(row) * size + int64_t(col);
}

void pixel_centre(int64_t index, int64_t size, double half_width, double& x, double& y) {
  const double pitch = 2 * half_width / double(size);
  x = -half_width + (double(index % size) + 0.5) * pitch;
  y = half_width - (double(index / size) + 0.5) * pitch;
}

TrackDataset generate(const TrackOptions& o) {
  check_options(o);
  TrackDataset d;
  d.size = o.size;
  const int64_t pixels = o.size * o.size;
  d.images.assign(size_t(o.events * pixels), 0.0f);
  d.labels.assign(size_t(o.events * pixels), 0.0f);
  std::vector<std::vector<Track>> per_event(size_t(o.events));
  const Rng base(o.seed, 0x545241434bULL);  // stream tag "TRACK"
  parallel_for(0, o.events, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t e = lo; e < hi; ++e)
      per_event[size_t(e)] = draw_event(e, o, base.fork(uint64_t(e)), &d.images[size_t(e * pixels)],
                                        &d.labels[size_t(e * pixels)]);
  });
  for (auto& v : per_event)
    for (auto& t : v) d.tracks.push_back(std::move(t));
  return d;
}

}  // namespace physcnn::physics::tracks
