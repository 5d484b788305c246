// Jet-image preprocessing (de Oliveira et al., JHEP 07 (2016) 069) two ways. On the image:
// centring and rotation move pixel contents (bilinear splatting, total p_T kept), flipping mirrors
// rows, normalisation divides by the total intensity. On the constituents, before pixelisation,
// as Lorentz transformations: centring is a boost along z (eta shift) and a rotation about z
// (phi shift), the principal-axis rotation is a rotation about the jet axis, the flip is
// z -> -z; each keeps the jet mass exactly. tests/physics/jets shows which steps keep it.
#pragma once

#include <string>
#include <vector>

#include "physics/jets/image.hpp"
#include "physics/jets/kinematics.hpp"

namespace physcnn::physics::jets {

// --- on the image ---
// Moves the intensity-weighted centroid to the image centre.
JetImage centre_image(const JetImage& image);
// Turns the principal axis (of the second moments about the centre) onto the eta axis.
JetImage rotate_image(const JetImage& image);
// Mirrors the rows (eta -> -eta) when the eta < 0 half holds more intensity.
JetImage flip_image(const JetImage& image);
// Divides every pixel by the total intensity (left alone when that is 0).
JetImage normalise_image(const JetImage& image);

// --- on the constituents (mass-preserving) ---
// Boost along z and rotation about z taking the p_T-weighted centroid in (eta, phi) to (0, 0).
std::vector<Particle> centre_constituents(const std::vector<Particle>& particles);
// For centred constituents (jet along x): rotation of the three-momenta about the x axis that
// turns the principal axis in (phi, eta) onto eta.
std::vector<Particle> rotate_constituents(const std::vector<Particle>& particles);
// eta -> -eta (pz -> -pz) when the eta < 0 half holds more p_T.
std::vector<Particle> flip_constituents(const std::vector<Particle>& particles);

// The angle of the principal axis in the (phi, eta) plane, from the phi axis, in (-pi/2, pi/2]:
// of the weighted second moments about (0, 0).
double principal_angle(const std::vector<Particle>& particles);

enum class Preprocess {
  None,          // pixelised around the jet axis
  Image,         // then centre_image, rotate_image, flip_image
  Constituents,  // centre_, rotate_, flip_constituents, then pixelised around (0, 0)
};
Preprocess parse_preprocess(const std::string& name);  // none, image, constituents
const char* preprocess_name(Preprocess p);

struct ImageOptions {
  int64_t size = 25;
  double pixel = 0.1;
  Preprocess preprocess = Preprocess::None;
  bool normalise = false;  // normalise_image at the end
};
// The jet image of constituents of a jet whose axis is (eta0, phi0).
JetImage make_image(const std::vector<Particle>& constituents, double eta0, double phi0,
                    const ImageOptions& options);

}  // namespace physcnn::physics::jets
