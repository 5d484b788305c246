// A grid of small 2-D arrays on one shared colour scale: convolution filters (diverging colour
// map centred on zero) or feature maps (sequential), titled with the layer name and shape.
#pragma once

#include <string>
#include <vector>

#include "tensor/tensor.hpp"
#include "viz/figure.hpp"

namespace physcnn::viz {

struct ImagePanel {
  std::string caption;  // e.g. "out 3, in 0"
  Tensor image;         // 2-D (H, W), float32 or float64
};

struct ImageGridOptions {
  std::string title;  // e.g. "features.0.weight [16,1,3,3]"
  ColorMap color_map = ColorMap::Diverging;
  int columns = 0;  // 0: about square
  int cell = 72;    // panel side in pixels
};

class ImageGrid : public Figure {
 public:
  // Throws ShapeError when a panel is not 2-D or there are none.
  ImageGrid(std::vector<ImagePanel> panels, ImageGridOptions options);

  // A weight (OC, IC, KH, KW): one row per output channel, one column per input channel
  // (one panel per filter in a square-ish grid when IC = 1); diverging map centred on zero.
  static ImageGrid filters(const std::string& layer_name, const Tensor& weight);
  // Activations (C, H, W) or (1, C, H, W): one panel per channel, sequential map.
  static ImageGrid feature_maps(const std::string& layer_name, const Tensor& maps);

 protected:
  void draw(_cairo* cr) const override;
  std::string title() const override { return options_.title; }
  std::vector<std::string> text() const override;

 private:
  ImageGrid(const std::vector<ImagePanel>& panels, const ImageGridOptions& options, int columns);
  std::vector<ImagePanel> panels_;
  ImageGridOptions options_;
  int columns_, rows_;
};

}  // namespace physcnn::viz
