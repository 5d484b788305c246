// Looking inside a model: the output of any layer for an input (feature maps), saliency (the
// gradient of a class score with respect to the input), class-activation maps (CAM for
// GAP-headed nets, Grad-CAM for any layer) and the shift/rotation/flip invariance probe.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "nn/module.hpp"

namespace physcnn::nn {

// Every function here runs the model in evaluation mode (dropout off, batch norm on running
// statistics) and restores the model's mode afterwards; parameter gradients are cleared.

// ----- feature maps ----------------------------------------------------------------------
struct LayerOutput {
  std::string path;  // "features.3" (state_dict prefix)
  std::string type;  // "Conv2d"
  bool leaf = true;  // false for containers (Sequential, Residual, ...)
  Tensor value;      // the module's output for the whole batch, (N, ...)
};
// Runs model(x) once without gradients and returns every module's output in execution order
// (a container after its children; the root itself is left out; a module run twice appears
// twice).
std::vector<LayerOutput> layer_outputs(Module& model, const Tensor& x);
// The output of the module at `path` (its first call). UsageError listing the paths when no
// module of the model has that path.
Tensor layer_output(Module& model, const Tensor& x, const std::string& path);

// ----- attributions ----------------------------------------------------------------------
// One class per sample, or empty: each sample's predicted class (argmax of the output).
using ClassList = std::vector<int64_t>;

// d output[n, c_n] / d x[n] for every sample n: a tensor shaped like x (N, C, H, W) (Simonyan
// et al. 2014, "Deep inside convolutional networks"). The model output must be (N, classes).
Tensor saliency(Module& model, const Tensor& x, const ClassList& classes = {});

struct ActivationMap {
  std::string layer;   // path of the feature layer whose output the map weights
  std::string method;  // "CAM" or "Grad-CAM"
  ClassList classes;   // the class each sample's map explains
  Tensor map;          // (N, h, w) at the feature layer's resolution
  Tensor scores;       // (N) the explained class scores (the model output entries)
};

// CAM (Zhou et al. 2016, "Learning deep features for discriminative localization") for a model
// whose head is GlobalAvgPool2d, optionally Flatten/Dropout, then a final Linear (W, b):
//   map[n](i,j) = (sum_k W[c,k] A[n,k,i,j] + b[c]) / (h w),   A = the input of the pooling,
// i.e. each position's share of the class score: the map sums exactly to output[n, c].
// UsageError naming the layers found when the model has no such head (use grad_cam).
ActivationMap class_activation_map(Module& model, const Tensor& x, const ClassList& classes = {});

// Grad-CAM (Selvaraju et al. 2017): map[n] = ReLU(sum_k alpha[n,k] A[n,k]), alpha[n,k] the
// spatial mean of d output[n,c] / d A[n,k], for the 4-D output A of the layer at `layer`
// (empty: the last Conv2d of the model).
ActivationMap grad_cam(Module& model, const Tensor& x, const std::string& layer = "",
                       const ClassList& classes = {});

// ----- invariance probe ------------------------------------------------------------------
enum class ProbeKind { ShiftPeriodic, ShiftZero, Rotate90, FlipHorizontal, FlipVertical };

struct ProbeTransform {
  ProbeKind kind = ProbeKind::ShiftPeriodic;
  int64_t dy = 0, dx = 0;    // shifts: content moves down by dy and right by dx pixels
  int quarter_turns = 1;     // Rotate90: counter-clockwise quarter turns (as numpy.rot90)
  std::string name() const;  // "shift periodic (2,0)", "rot90 x1", "flip horizontal"
};
// Applies t to the last two dimensions of a (..., H, W) tensor.
Tensor apply_transform(const Tensor& x, const ProbeTransform& t);
// The same transform acting on a map of (h, w) computed from an input of (H, W): shifts scale
// by the layer's stride H/h. False when that is not a whole shift (not defined at this layer);
// a 1x1 map (global pooling) takes every shift as the identity.
bool transform_for_layer(const ProbeTransform& t, int64_t H, int64_t W, int64_t h, int64_t w,
                         ProbeTransform& out);

constexpr double kNotDefined = std::numeric_limits<double>::quiet_NaN();

struct ProbeLayer {
  std::string path, type;
  Shape shape;  // output shape without the batch dimension
  // ||f(T x) - T f(x)|| / ||T f(x)||: 0 for an equivariant layer; NaN where T does not act on
  // the layer's output (not spatial, or a shift that is not a multiple of its stride).
  double equivariance = kNotDefined;
  // ||f(T x) - f(x)|| / ||f(x)||: 0 for an invariant layer; NaN when the shapes differ.
  double invariance = kNotDefined;
  // |G| when the output is fields over p4 (4) or p4m (8) (nn/group_conv.hpp): the equivariance
  // then compares with the group's action, turned maps with permuted orientations; 0 otherwise.
  int64_t group_order = 0;
};
struct ProbeResult {
  ProbeTransform transform;
  std::vector<ProbeLayer>
      layers;  // execution order; a container equal to its last child is left out
  double output_change = kNotDefined;  // invariance of the model output
  double agreement = kNotDefined;      // fraction of samples whose argmax prediction is unchanged
};
// Runs x and T x for every transform; x is (N, C, H, W), the model output (N, classes) or any
// shape (agreement then compares the argmax over dimension 1).
std::vector<ProbeResult> probe_invariance(Module& model, const Tensor& x,
                                          const std::vector<ProbeTransform>& transforms);
// Periodic and zero-fill shifts by (1,0), (0,1), (s,0), (0,s) with s the given stride (when
// > 1), rot90 by 1 and 2 quarter turns (square inputs only), horizontal and vertical flips.
std::vector<ProbeTransform> default_probe_transforms(int64_t H, int64_t W, int64_t stride = 2);

// Relative L2 distance ||a - b|| / ||b|| (0 when both are zero; infinity when only b is).
double relative_change(const Tensor& a, const Tensor& b);

}  // namespace physcnn::nn
