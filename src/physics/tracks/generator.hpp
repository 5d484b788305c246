// A toy 2D tracker for segmentation: charged particles from near the origin bend on circles in a
// uniform magnetic field along z, cosmic-like tracks cross straight, and the detector adds noise
// hits and loses some hits (inefficiency). Images and per-pixel labels, reproducible per seed.
#pragma once

#include <cstdint>
#include <vector>

namespace physcnn::physics::tracks {

struct TrackOptions {
  int64_t size = 64;                   // image side in pixels (64 and 128 are the documented sizes)
  int64_t events = 1000;               // images
  uint64_t seed = 0;                   // event i uses Rng(seed).fork(i), so any subset repeats
  double half_width = 1.0;             // the image covers [-half_width, half_width]^2 metres
  double field = 2.0;                  // B in tesla; radius R [m] = p_T [GeV] / (0.3 B [T])
  double pt_min = 0.1, pt_max = 10.0;  // GeV, drawn log-uniformly
  int64_t min_tracks = 1, max_tracks = 5;  // charged tracks per event, uniform
  double vertex_spread = 0.02;             // m, Gaussian sigma of the vertex around the origin
  double cosmic_probability = 0.3;         // chance of one straight track crossing the image
  double noise = 0.02;                     // probability that a pixel holds a noise hit
  double inefficiency = 0.05;              // probability that a track's pixel records no hit
  double max_turns = 1.0;                  // a curler is followed for at most this many full turns
  // Labels: false = 0 background, 1 track; true = 0 background, 1 high-momentum track (leaves
  // the image, and cosmics), 2 low-momentum curler (2R < half_width: it turns inside).
  bool curler_classes = false;
};

// One true track. Helices: centre (cx, cy), radius, charge, p_T; cosmics: a point (x0, y0)
// and direction (dx, dy), radius 0.
struct Track {
  int64_t event = 0;
  bool cosmic = false;
  int charge = 0;
  double pt = 0;  // GeV (0 for cosmics)
  double cx = 0, cy = 0, radius = 0;
  double x0 = 0, y0 = 0, dx = 0, dy = 0;
  int64_t label = 1;  // its pixels' class
  // Exact points on the track (metres) whose pixels recorded a hit, one per hit pixel.
  std::vector<double> hit_x, hit_y;
};

struct TrackDataset {
  int64_t size = 0;
  std::vector<float> images;  // events x size x size, deposited charge (0 = no hit)
  std::vector<float> labels;  // events x size x size, class per pixel
  std::vector<Track> tracks;  // all events' tracks, event-major
  int64_t count() const { return size ? int64_t(images.size()) / (size * size) : 0; }
};

// Pixel (row, column) of a point: columns run with x, rows downwards from y = +half_width.
// -1 when the point is outside the image.
int64_t pixel_of(double x, double y, int64_t size, double half_width);
// The centre of pixel index (row * size + column), in metres.
void pixel_centre(int64_t index, int64_t size, double half_width, double& x, double& y);

// Draws the events (in parallel; the result does not depend on the thread count). UsageError
// naming the option when one is out of range.
TrackDataset generate(const TrackOptions& options);

}  // namespace physcnn::physics::tracks
