// Per-sample transforms: the lattice symmetries (D4, periodic translations, Z2 spin flip: exact
// augmentations that keep energy and |magnetisation|), image augmentations (flips, small
// rotations, padded crops, zero-fill shifts, noise) and per-channel normalisation.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "data/dataset.hpp"
#include "tensor/ops.hpp"
#include "tensor/tensor.hpp"

namespace physcnn::data {

// Element k (0..7) of D4 applied to the last two (equal) dimensions of x (..., L, L):
// k & 3 rotations by 90 degrees counter-clockwise, then a left-right flip if k & 4.
Tensor d4(const Tensor& x, int k);
// Periodic shift of the last two dimensions by (dy, dx).
Tensor roll2d(const Tensor& x, int64_t dy, int64_t dx);

struct LatticeAugment {
  bool d4 = true;         // one of the 8 square symmetries
  bool translate = true;  // periodic translation by a random offset
  bool spin_flip = true;  // s -> -s with probability 1/2
};
// A random symmetry per sample of x (N, C, L, L), reproducible from rng.
Tensor augment_lattices(const Tensor& x, const LatticeAugment& options, Rng& rng);

// --- deterministic maps of the last two dimensions (H, W); leading dimensions are kept -------
Tensor flip2d(const Tensor& x, bool horizontal, bool vertical);  // horizontal: left-right
enum class Fill { Periodic, Zeros };
// out[i, j] = x[i - dy, j - dx]; outside the image: wrapped (Periodic) or 0 (Zeros).
Tensor translate2d(const Tensor& x, int64_t dy, int64_t dx, Fill fill);
// Rotation by `degrees` counter-clockwise about the image centre, bilinear, 0 outside; at 90
// degrees it equals d4(x, 1) on a square.
Tensor rotate2d(const Tensor& x, double degrees);
// The H×W window at (top, left) of x padded by `padding` on every side.
Tensor padded_crop2d(const Tensor& x, int64_t padding, int64_t top, int64_t left,
                     PadMode mode = PadMode::Zeros);
Tensor sign_flip(const Tensor& x);

// --- random per-sample transforms -----------------------------------------------------------
// A transform maps one sample (C×H×W, or any ≥2-d tensor for the spatial ones) to another,
// drawing its randomness from `rng` only (the loader gives each sample its own generator, so
// the result depends on (seed, epoch, index), never on timing or threads).
using Transform = std::function<Tensor(const Tensor& input, Rng& rng)>;

// Applies the transforms in order with the same generator.
Transform compose(std::vector<Transform> transforms);

struct FlipOptions {
  double horizontal = 0.5;  // probability of a left-right flip
  double vertical = 0.0;    // probability of an up-down flip
};
Transform random_flip(const FlipOptions& options = {});
// A uniformly random element of D4 (8 symmetries) / of the 4 rotations by 90 degrees (square).
Transform random_d4();
Transform random_rot90();

struct TranslateOptions {
  int64_t max_shift = -1;  // shifts in [-max_shift, max_shift]; -1: any shift (periodic lattices)
  Fill fill = Fill::Periodic;
};
Transform random_translate(const TranslateOptions& options = {});

struct RotateOptions {
  double max_degrees = 10.0;  // angle uniform in [-max_degrees, max_degrees]
};
Transform random_rotate(const RotateOptions& options = {});

struct CropOptions {
  int64_t padding = 4;  // pad every side, then crop back to H×W at a random offset
  PadMode mode = PadMode::Zeros;
};
Transform random_crop(const CropOptions& options = {});

struct NoiseOptions {
  double stddev = 0.1;  // additive N(0, stddev^2) per element
};
Transform gaussian_noise(const NoiseOptions& options = {});

struct SignFlipOptions {
  double probability = 0.5;  // s -> -s for the whole sample (Z2 of spin models)
};
Transform random_sign_flip(const SignFlipOptions& options = {});

// --- normalisation --------------------------------------------------------------------------
// Physics data is never standardised per image (that would erase the magnetisation a phase
// classifier learns from): normalisation uses one mean/std per channel computed on the training
// split only (channel_stats), and only when the user asks for it.
// One mean and (population) standard deviation per channel; channels are the sample's first
// axis when it has 3 or more (C×H×W), else the sample is one channel.
struct ChannelStats {
  std::vector<double> mean, std;
  // {"mean": [...], "std": [...]}, small enough to travel in a model file.
  std::map<std::string, std::vector<double>> to_map() const;
  static ChannelStats from_map(const std::map<std::string, std::vector<double>>& map);
};
// Over every sample of `train` (pass the TRAINING split, never validation or test data).
ChannelStats channel_stats(const Dataset& train);
// (x - mean[c]) / std[c] per channel; throws UsageError for a zero std.
Transform normalize(const ChannelStats& stats);
Tensor normalize(const Tensor& x, const ChannelStats& stats);

}  // namespace physcnn::data
