#include "onnx/cases.hpp"

#include "nn/models/models.hpp"
#include "nn/nn.hpp"

namespace physcnn::test {

namespace {

using namespace physcnn::nn;

template <class M, class O>
ModulePtr make(const O& o, uint64_t seed) {
  return std::make_shared<M>(o, Rng(seed));
}

// Random running statistics, so that a batch norm does more than scale by 1/sqrt(1 + eps).
ModulePtr bn2d(int64_t c, uint64_t seed) {
  auto bn = std::make_shared<BatchNorm2d>(BatchNormOptions{.features = c});
  Rng rng(seed);
  bn->running_mean() = Tensor::uniform(Shape{c}, -0.5, 0.5, rng);
  bn->running_var() = Tensor::uniform(Shape{c}, 0.5, 2.0, rng);
  bn->weight().value() = Tensor::uniform(Shape{c}, 0.5, 1.5, rng);
  bn->bias().value() = Tensor::uniform(Shape{c}, -0.5, 0.5, rng);
  return bn;
}

ModulePtr bn1d(int64_t c, uint64_t seed) {
  auto bn = std::make_shared<BatchNorm1d>(BatchNormOptions{.features = c, .affine = false});
  Rng rng(seed);
  bn->running_mean() = Tensor::uniform(Shape{c}, -0.5, 0.5, rng);
  bn->running_var() = Tensor::uniform(Shape{c}, 0.5, 2.0, rng);
  return bn;
}

ModulePtr seq(std::vector<ModulePtr> layers) {
  return std::make_shared<Sequential>(layers);
}

}  // namespace

std::vector<OnnxCase> onnx_cases() {
  std::vector<OnnxCase> c;
  const auto relu = [] { return std::make_shared<ReLU>(); };
  c.push_back(
      {"conv2d_options",
       seq({make<Conv2d>(Conv2dOptions{.in = 3, .out = 4, .kernel = 3, .stride = 2, .padding = 1},
                         1),
            relu(),
            make<Conv2d>(Conv2dOptions{.in = 4,
                                       .out = 6,
                                       .kernel = {3, 2},
                                       .padding = {1, 0, 2, 1},
                                       .dilation = {2, 1},
                                       .groups = 2,
                                       .bias = false},
                         2),
            make<Conv2d>(
                Conv2dOptions{.in = 6, .out = 4, .kernel = 3, .padding = "same", .dilation = 2}, 3),
            make<Conv2d>(
                Conv2dOptions{.in = 4, .out = 2, .kernel = 2, .stride = {1, 2}, .padding = "valid"},
                4)}),
       Shape{3, 11, 10}});
  c.push_back({"conv2d_padding_modes",
               seq({make<Conv2d>(Conv2dOptions{.in = 2,
                                               .out = 3,
                                               .kernel = 3,
                                               .padding = 1,
                                               .padding_mode = Padding::Circular},
                                 5),
                    make<Conv2d>(Conv2dOptions{.in = 3,
                                               .out = 3,
                                               .kernel = 3,
                                               .padding = {2, 1},
                                               .padding_mode = Padding::Reflect},
                                 6),
                    make<Conv2d>(Conv2dOptions{.in = 3,
                                               .out = 2,
                                               .kernel = 3,
                                               .padding = 1,
                                               .padding_mode = Padding::Replicate},
                                 7)}),
               Shape{2, 8, 9}});
  c.push_back(
      {"conv1d",
       seq({make<Conv1d>(Conv1dOptions{.in = 2, .out = 4, .kernel = 3, .padding = {2, 1}}, 8),
            bn1d(4, 9), std::make_shared<ELU>(ELUOptions{.alpha = 0.7}),
            make<Conv1d>(Conv1dOptions{.in = 4, .out = 3, .kernel = 2, .stride = 2}, 10)}),
       Shape{2, 20}, false,
       "OpenCV 4.6 fails on a 1-d convolution after a 1-d batch norm (assertion in "
       "convolution_layer.cpp:146 on the 3-d input)"});
  c.push_back(
      {"conv1d_dilated_grouped_circular",
       seq({make<Conv1d>(Conv1dOptions{.in = 2, .out = 4, .kernel = 3, .padding = 2, .dilation = 2},
                         11),
            make<Conv1d>(Conv1dOptions{.in = 4,
                                       .out = 4,
                                       .kernel = 3,
                                       .padding = "same",
                                       .padding_mode = Padding::Circular,
                                       .groups = 2},
                         12)}),
       Shape{2, 20}, false,
       "OpenCV 4.6 cannot slice the 3-d tensor for circular padding (assertion "
       "in slice_layer.cpp:220)"});
  // linear on (N, C, L) acts on the last dimension, as PyTorch's: MatMul + Add.
  c.push_back({"linear_last_dim",
               seq({make<Linear>(LinearOptions{.in = 5, .out = 3}, 40), std::make_shared<ReLU>(),
                    make<Linear>(LinearOptions{.in = 3, .out = 2, .bias = false}, 41)}),
               Shape{4, 5}, false,
               "OpenCV 4.6 imports MatMul on a 3-d input as InnerProduct and fails "
               "(normalize_axis: 'axis' is 2)"});
  c.push_back({"pool1d",
               seq({std::make_shared<MaxPool1d>(
                        Pool1dOptions{.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true}),
                    std::make_shared<AvgPool1d>(
                        Pool1dOptions{.kernel = 2, .padding = 1, .count_include_pad = false}),
                    std::make_shared<Flatten>(), make<Linear>(LinearOptions{.out = 3}, 13),
                    std::make_shared<LogSoftmax>()}),
               Shape{2, 20}, false,
               "OpenCV 4.6 runs no 1-d pooling (empty input shape in its pooling layer)"});
  c.push_back(
      {"conv_transpose2d",
       seq({make<ConvTranspose2d>(ConvTranspose2dOptions{.in = 4,
                                                         .out = 6,
                                                         .kernel = 3,
                                                         .stride = 2,
                                                         .padding = 1,
                                                         .output_padding = 1,
                                                         .groups = 2},
                                  12),
            make<ConvTranspose2d>(
                ConvTranspose2dOptions{.in = 6, .out = 2, .kernel = {2, 3}, .bias = false}, 13)}),
       Shape{4, 5, 6}});
  c.push_back({"conv_transpose2d_dilated",
               seq({make<ConvTranspose2d>(
                   ConvTranspose2dOptions{
                       .in = 3, .out = 2, .kernel = {2, 3}, .stride = 2, .dilation = {1, 2}},
                   14)}),
               Shape{3, 5, 6}, false,
               "OpenCV 4.6 ignores ConvTranspose's dilations (output 10x13, not 10x15)"});
  c.push_back(
      {"depthwise_separable",
       seq({make<DepthwiseSeparableConv2d>(
           DepthwiseSeparableConv2dOptions{.in = 3, .out = 5, .kernel = 3, .padding = 1}, 14)}),
       Shape{3, 7, 7}});
  c.push_back({"depthwise_separable_norm_relu",
               seq({make<DepthwiseSeparableConv2d>(
                   DepthwiseSeparableConv2dOptions{.in = 3,
                                                   .out = 4,
                                                   .kernel = 3,
                                                   .padding = 1,
                                                   .norm = true,
                                                   .activation = BetweenActivation::ReLU},
                   15)}),
               Shape{3, 6, 6}});
  c.push_back(
      {"pool2d_ceil",
       seq({std::make_shared<MaxPool2d>(
                Pool2dOptions{.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true}),
            std::make_shared<AvgPool2d>(Pool2dOptions{.kernel = 2, .stride = 2, .ceil_mode = true}),
            std::make_shared<AvgPool2d>(Pool2dOptions{
                .kernel = 3, .stride = 1, .padding = 1, .count_include_pad = false})}),
       Shape{2, 11, 12}});
  c.push_back(
      {"maxpool2d_dilated",
       seq({std::make_shared<MaxPool2d>(Pool2dOptions{.kernel = 2, .stride = 1, .dilation = 2})}),
       Shape{3, 8, 9}, false, "OpenCV 4.6 ignores MaxPool's dilations (output 7x8, not 6x7)"});
  c.push_back(
      {"global_pools",
       seq({std::make_shared<Concat>(std::vector<ModulePtr>{std::make_shared<GlobalAvgPool2d>(),
                                                            std::make_shared<GlobalMaxPool2d>()},
                                     1)}),
       Shape{3, 8, 9}});
  c.push_back({"upsample",
               seq({std::make_shared<Upsample>(UpsampleOptions{}),
                    std::make_shared<Upsample>(
                        UpsampleOptions{.scale = {1.5, 2.0}, .mode = UpsampleMode::Bilinear}),
                    std::make_shared<Upsample>(UpsampleOptions{
                        .size = {7, 5}, .mode = UpsampleMode::Bilinear, .align_corners = true}),
                    std::make_shared<Upsample>(UpsampleOptions{.size = {9, 11}})}),
               Shape{2, 4, 3}});
  c.push_back(
      {"activations",
       seq({std::make_shared<LeakyReLU>(LeakyReLUOptions{.negative_slope = 0.2}),
            make<Conv2d>(Conv2dOptions{.in = 2, .out = 3, .kernel = 1}, 15),
            std::make_shared<GELU>(), std::make_shared<Dropout2d>(),
            make<Conv2d>(Conv2dOptions{.in = 3, .out = 3, .kernel = 1}, 16),
            std::make_shared<GELU>(GELUOptions{.approximate = autograd::GeluApprox::Tanh}),
            std::make_shared<Sigmoid>(), std::make_shared<Tanh>(),
            std::make_shared<Softmax>(SoftmaxOptions{.dim = 2}),
            std::make_shared<Flatten>(FlattenOptions{.start_dim = 2}),
            std::make_shared<Softmax>(SoftmaxOptions{.dim = -1}), std::make_shared<Identity>()}),
       Shape{2, 5, 4}});
  for (bool fold : {false, true})
    c.push_back(
        {fold ? "batchnorm2d_folded" : "batchnorm2d",
         seq({make<Conv2d>(Conv2dOptions{.in = 3, .out = 4, .kernel = 3, .padding = 1}, 17),
              bn2d(4, 18), relu(),
              make<Conv2d>(Conv2dOptions{.in = 4, .out = 4, .kernel = 3, .bias = false}, 19),
              bn2d(4, 20), std::make_shared<Dropout>(), std::make_shared<Flatten>(),
              make<Linear>(LinearOptions{.in = 64, .out = 5}, 21), std::make_shared<Softmax>()}),
         Shape{3, 6, 6}, fold});
  {
    auto g = std::make_shared<Graph>();
    g->add(make<Conv2d>(Conv2dOptions{.in = 2, .out = 4, .kernel = 3, .padding = 1}, 22), "stem");
    g->add(bn2d(4, 23), "bn");
    g->add(relu(), "act");
    g->add(make<Conv2d>(Conv2dOptions{.in = 4, .out = 4, .kernel = 3, .padding = 1}, 24), "a");
    g->add(make<Conv2d>(Conv2dOptions{.in = 4, .out = 4, .kernel = 1}, 25), "b", "act");
    g->add_merge(Merge::Add, {"a", "b", "act"}, "sum");
    g->add_merge(Merge::Concat, {"sum", "stem"}, "cat");
    g->add(std::make_shared<GlobalAvgPool2d>(), "pool");
    g->add(std::make_shared<Flatten>(), "flat");
    c.push_back({"graph_merges", g, Shape{2, 6, 6}, true});
  }
  c.push_back(
      {"residual",
       seq({std::make_shared<Residual>(
           seq({make<Conv2d>(Conv2dOptions{.in = 3, .out = 3, .kernel = 3, .padding = 1}, 26),
                relu()}),
           nullptr, relu())}),
       Shape{3, 5, 5}});
  c.push_back({"normalised_input",
               seq({make<Conv2d>(Conv2dOptions{.in = 2, .out = 3, .kernel = 3}, 27)}),
               Shape{2, 5, 5},
               false,
               "",
               {0.5, -1.0},
               {2.0, 0.25}});
  // Hexagonal layers (odd-q grids): zero and periodic boundaries, radius 1 and 2, stride 1-3.
  c.push_back(
      {"hexconv2d",
       seq({make<HexConv2d>(HexConv2dOptions{.in = 2, .out = 3, .radius = 1}, 40), relu(),
            make<HexConv2d>(HexConv2dOptions{.in = 3, .out = 4, .radius = 2, .stride = 2}, 41),
            make<HexConv2d>(HexConv2dOptions{.in = 4, .out = 2, .stride = 3, .bias = false}, 42)}),
       Shape{2, 9, 11}});
  // Stride 1 first: a strided layer samples even columns only, so it alone would not reach the
  // odd-column kernels.
  c.push_back(
      {"hexconv2d_periodic",
       seq({make<HexConv2d>(
                HexConv2dOptions{.in = 2, .out = 3, .radius = 1, .boundary = HexBoundary::Periodic},
                43),
            make<HexConv2d>(
                HexConv2dOptions{
                    .in = 3, .out = 3, .radius = 2, .stride = 2, .boundary = HexBoundary::Periodic},
                46)}),
       Shape{2, 8, 12}});
  c.push_back({"hexpool2d",
               seq({std::make_shared<HexPool2d>(HexPool2dOptions{.radius = 1, .stride = 1}),
                    std::make_shared<HexPool2d>(HexPool2dOptions{.radius = 2, .stride = 2}),
                    std::make_shared<HexPool2d>(HexPool2dOptions{.radius = 0, .stride = 2})}),
               Shape{2, 10, 11}});
  c.push_back({"hexpool2d_periodic",
               seq({std::make_shared<HexPool2d>(HexPool2dOptions{
                        .radius = 1, .stride = 1, .boundary = HexBoundary::Periodic}),
                    std::make_shared<HexPool2d>(HexPool2dOptions{
                        .radius = 1, .stride = 2, .boundary = HexBoundary::Periodic})}),
               Shape{3, 6, 8}});
  c.push_back(
      {"hexconv2d_p6",
       seq({make<HexConv2dP6>(HexConv2dOptions{.in = 2, .out = 2, .radius = 1}, 44),
            make<HexConv2dP6>(
                HexConv2dOptions{
                    .in = 12, .out = 1, .radius = 1, .stride = 2, .boundary = HexBoundary::Zeros},
                45)}),
       Shape{2, 7, 8}});
  // p4 / p4m layers: lifting and group convolutions (padding modes, stride, dilation, groups),
  // group batch norm with random running statistics, max and mean group pooling.
  {
    auto gbn = [](int64_t fields, SymmetryGroup grp, uint64_t seed) {
      auto bn = std::make_shared<GroupBatchNorm2d>(BatchNormOptions{.features = fields}, grp);
      Rng rng(seed);
      bn->running_mean() = Tensor::uniform(Shape{fields}, -0.5, 0.5, rng);
      bn->running_var() = Tensor::uniform(Shape{fields}, 0.5, 2.0, rng);
      bn->weight().value() = Tensor::uniform(Shape{fields}, 0.5, 1.5, rng);
      bn->bias().value() = Tensor::uniform(Shape{fields}, -0.5, 0.5, rng);
      return bn;
    };
    const auto P4 = SymmetryGroup::P4, P4M = SymmetryGroup::P4M;
    for (bool fold : {false, true})
      c.push_back(
          {fold ? "group_p4_folded" : "group_p4",
           seq({make<GroupLiftConv2d>(
                    GroupConv2dOptions{.group = P4, .in = 2, .out = 3, .kernel = 3, .padding = 1},
                    50),
                gbn(3, P4, 51), relu(),
                make<GroupConv2d>(
                    GroupConv2dOptions{
                        .group = P4, .in = 3, .out = 2, .kernel = 3, .stride = 2, .bias = false},
                    52),
                std::make_shared<GroupPool>(GroupPoolOptions{.group = P4})}),
           Shape{2, 9, 9}, fold});
    c.push_back({"group_p4m",
                 seq({make<GroupLiftConv2d>(GroupConv2dOptions{.group = P4M,
                                                               .in = 2,
                                                               .out = 2,
                                                               .kernel = 3,
                                                               .padding = 1,
                                                               .padding_mode = Padding::Circular},
                                            53),
                      gbn(2, P4M, 54),
                      make<GroupConv2d>(GroupConv2dOptions{.group = P4M,
                                                           .in = 2,
                                                           .out = 4,
                                                           .kernel = 3,
                                                           .padding = "same",
                                                           .dilation = 2,
                                                           .groups = 2},
                                        55),
                      std::make_shared<GroupPool>(
                          GroupPoolOptions{.group = P4M, .mode = GroupPoolMode::Mean}),
                      std::make_shared<GlobalAvgPool2d>(), std::make_shared<Flatten>()}),
                 Shape{2, 8, 8}});
  }
  c.push_back({"w1_lenet5", models::lenet5(31), Shape{1, 28, 28}});
  c.push_back({"w2_fmnist_bn", models::fmnist_bn(32), Shape{1, 28, 28}});
  c.push_back({"w3_ising_cnn", models::ising_cnn(33), Shape{1, 16, 16}});
  c.push_back({"w4_unet_small", models::unet_small(34), Shape{1, 16, 16}});
  c.push_back({"w5_tinyvgg", models::tinyvgg(35), Shape{3, 64, 64}});
  c.push_back({"resnet_small", models::resnet_small(36), Shape{3, 16, 16}, true});
  return c;
}

}  // namespace physcnn::test
