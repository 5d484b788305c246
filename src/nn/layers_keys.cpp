// Linear, batch norm, dropout, pooling and upsampling as model-file entries: their keys, builders
// from LayerArgs, the values they write back, and the small examples the generic layer test runs.
#include "nn/layers.hpp"

namespace physcnn::nn {

namespace {

template <class M, class... Args>
ModulePtr make(Args&&... args) {
  return std::make_shared<M>(std::forward<Args>(args)...);
}

// --- pooling ---

std::vector<LayerKey> pool_keys(PoolKind kind, bool two_d) {
  std::vector<LayerKey> keys{
      extent_key("kernel", "window size", two_d, true),
      extent_key("stride", "step, >= 1; unset (0): the kernel size", two_d),
      extent_key("padding", "implicit border, at most half the kernel", two_d),
      bool_key("ceil_mode", "round the output size up")};
  if (kind == PoolKind::Max)
    keys.push_back(extent_key("dilation", "spacing of the window's elements", two_d));
  else
    keys.push_back(bool_key("count_include_pad", "average over padded elements too"));
  return keys;
}

Pool2dOptions pool2d_options(const LayerArgs& args, const std::string& ctx) {
  const ArgReader a(args, ctx);
  const Pool2dOptions d;
  const Size2 stride = read_size2(a, "stride", d.stride);
  // PyTorch refuses stride 0 ("stride should be greater than zero"); unset means the kernel.
  PHYSCNN_CHECK_ARG(!a.has("stride") || (stride.h >= 1 && stride.w >= 1), ctx,
                    ": stride must be >= 1 (leave it out for the kernel size), got ", stride.h,
                    stride.h == stride.w ? "" : "x" + std::to_string(stride.w));
  return {.kernel = read_size2(a, "kernel", d.kernel),
          .stride = stride,
          .padding = read_size2(a, "padding", d.padding),
          .dilation = read_size2(a, "dilation", d.dilation),
          .ceil_mode = a.get_bool("ceil_mode", d.ceil_mode),
          .count_include_pad = a.get_bool("count_include_pad", d.count_include_pad)};
}

Pool1dOptions pool1d_options(const LayerArgs& args, const std::string& ctx) {
  const ArgReader a(args, ctx);
  const Pool1dOptions d;
  const int64_t stride = a.get_int("stride", d.stride);
  PHYSCNN_CHECK_ARG(!a.has("stride") || stride >= 1, ctx,
                    ": stride must be >= 1 (leave it out for the kernel size), got ", stride);
  return {.kernel = a.get_int("kernel", d.kernel),
          .stride = stride,
          .padding = a.get_int("padding", d.padding),
          .dilation = a.get_int("dilation", d.dilation),
          .ceil_mode = a.get_bool("ceil_mode", d.ceil_mode),
          .count_include_pad = a.get_bool("count_include_pad", d.count_include_pad)};
}

template <class M, class Options>
LayerSpec pool_spec(const std::string& type, const std::string& module_type, PoolKind kind,
                    bool two_d, Options (*options)(const LayerArgs&, const std::string&),
                    LayerArgs example, Shape example_input) {
  return {.type = type,
          .module_type = module_type,
          .help = std::string(kind == PoolKind::Max ? "max" : "average") + " pooling " +
                  (two_d ? "(N,C,H,W)" : "(N,C,L)"),
          .keys = pool_keys(kind, two_d),
          .build = [type, options](const LayerArgs& args, Rng) -> ModulePtr {
            return make<M>(options(args, type));
          },
          .example = std::move(example),
          .example_input = std::move(example_input)};
}

// --- batch norm ---

}  // namespace

BatchNormOptions batch_norm_options(const LayerArgs& args, const std::string& ctx) {
  const ArgReader a(args, ctx);
  BatchNormOptions o;
  o.features = a.get_int("features", o.features);
  o.eps = a.get_number("eps", o.eps);
  // momentum = "none" is PyTorch's momentum=None (a cumulative average).
  if (const KeyValue* m = a.find("momentum"); m && std::holds_alternative<std::string>(*m)) {
    if (std::get<std::string>(*m) != "none") a.wrong_kind("momentum", "a number or \"none\"");
    o.momentum = std::nullopt;
  } else if (m) {
    o.momentum = a.get_number("momentum", 0.1);
  }
  o.affine = a.get_bool("affine", o.affine);
  o.track_running_stats = a.get_bool("track_running_stats", o.track_running_stats);
  return o;
}

namespace {

template <class M>
LayerSpec batch_norm_spec(const std::string& type, const std::string& module_type,
                          const std::string& input, Shape example_input) {
  return {.type = type,
          .module_type = module_type,
          .help = "batch normalisation of " + input,
          .keys = {{.name = "features",
                    .kind = KeyKind::Int,
                    .help = "channels; 0 = inferred from the input"},
                   {.name = "eps", .kind = KeyKind::Number, .help = "added to the variance"},
                   {.name = "momentum",
                    .kind = KeyKind::Number,
                    .help = "running-average factor; \"none\" = cumulative average",
                    .choices = {"none"}},
                   bool_key("affine", "learnt weight and bias"),
                   bool_key("track_running_stats", "keep running statistics for evaluation")},
          .build = [type](const LayerArgs& args, Rng) -> ModulePtr {
            return make<M>(batch_norm_options(args, type));
          },
          .example = {{"eps", 1e-3}, {"momentum", 0.2}},
          .example_input = std::move(example_input)};
}

LayerSpec dropout_spec(const std::string& type, const std::string& module_type,
                       const std::string& help, bool channels, Shape example_input) {
  return {.type = type,
          .module_type = module_type,
          .help = help,
          .keys = {{.name = "p", .kind = KeyKind::Number, .help = "probability of a zero"}},
          .build = [channels, type](const LayerArgs& args, Rng rng) -> ModulePtr {
            const DropoutOptions o{.p = ArgReader(args, type).get_number("p", DropoutOptions{}.p)};
            if (channels) return make<Dropout2d>(o, rng);
            return make<Dropout>(o, rng);
          },
          .example = {{"p", 0.3}},
          .example_input = std::move(example_input)};
}

}  // namespace

// --- Linear -----------------------------------------------------------------------------------

LayerSpec Linear::spec() {
  return {
      .type = "linear",
      .module_type = "Linear",
      .help = "fully connected layer on the last dimension (N,...,features)",
      .keys = {{.name = "in",
                .kind = KeyKind::Int,
                .help = "input features; 0 = inferred from the input"},
               {.name = "out", .kind = KeyKind::Int, .help = "output features", .required = true},
               bool_key("bias", "add a learnt bias")},
      .build = [](const LayerArgs& args, Rng rng) -> ModulePtr {
        const ArgReader a(args, "linear");
        const LinearOptions d;
        return make<Linear>(LinearOptions{.in = a.get_int("in", d.in),
                                          .out = a.get_int("out", d.out),
                                          .bias = a.get_bool("bias", d.bias)},
                            rng);
      },
      .example = {{"out", int64_t{3}}},
      .example_input = {5}};
}

LayerArgs Linear::layer_args() const {
  return {{"in", o_.in}, {"out", o_.out}, {"bias", o_.bias}};
}

// --- BatchNorm --------------------------------------------------------------------------------

LayerSpec BatchNorm1d::spec() {
  return batch_norm_spec<BatchNorm1d>("batchnorm1d", "BatchNorm1d", "(N,C) or (N,C,L)", {3, 4});
}
LayerSpec BatchNorm2d::spec() {
  return batch_norm_spec<BatchNorm2d>("batchnorm2d", "BatchNorm2d", "(N,C,H,W)", {3, 3, 2});
}

LayerArgs BatchNorm::layer_args() const {
  return {{"features", o_.features},
          {"eps", o_.eps},
          {"momentum", o_.momentum ? KeyValue(*o_.momentum) : KeyValue(std::string("none"))},
          {"affine", o_.affine},
          {"track_running_stats", o_.track_running_stats}};
}

// --- Dropout ----------------------------------------------------------------------------------

LayerSpec Dropout::spec() {
  return dropout_spec("dropout", "Dropout", "zeroes elements with probability p in training", false,
                      {6});
}
LayerSpec Dropout2d::spec() {
  return dropout_spec("dropout2d", "Dropout2d", "zeroes whole channels of (N,C,H,W) in training",
                      true, {3, 2, 2});
}

LayerArgs Dropout::layer_args() const {
  return {{"p", o_.p}};
}

// --- pooling ----------------------------------------------------------------------------------

LayerSpec MaxPool2d::spec() {
  return pool_spec<MaxPool2d>("maxpool2d", "MaxPool2d", PoolKind::Max, true, pool2d_options,
                              {{"kernel", int64_t{2}}}, {2, 4, 6});
}
LayerSpec AvgPool2d::spec() {
  return pool_spec<AvgPool2d>(
      "avgpool2d", "AvgPool2d", PoolKind::Avg, true, pool2d_options,
      {{"kernel", int64_t{3}}, {"stride", int64_t{1}}, {"padding", int64_t{1}}}, {2, 4, 4});
}
LayerSpec MaxPool1d::spec() {
  return pool_spec<MaxPool1d>(
      "maxpool1d", "MaxPool1d", PoolKind::Max, false, pool1d_options,
      {{"kernel", int64_t{3}}, {"stride", int64_t{2}}, {"padding", int64_t{1}}}, {2, 9});
}
LayerSpec AvgPool1d::spec() {
  return pool_spec<AvgPool1d>("avgpool1d", "AvgPool1d", PoolKind::Avg, false, pool1d_options,
                              {{"kernel", int64_t{2}}, {"count_include_pad", false}}, {2, 8});
}

LayerArgs Pool2d::layer_args() const {
  LayerArgs args{{"kernel", size2_value(o_.kernel)},
                 {"stride", size2_value(o_.stride)},
                 {"padding", size2_value(o_.padding)},
                 {"ceil_mode", o_.ceil_mode}};
  if (kind_ == PoolKind::Max)
    args["dilation"] = size2_value(o_.dilation);
  else
    args["count_include_pad"] = o_.count_include_pad;
  return args;
}

LayerArgs Pool1d::layer_args() const {
  LayerArgs args{{"kernel", o_.kernel},
                 {"stride", o_.stride},
                 {"padding", o_.padding},
                 {"ceil_mode", o_.ceil_mode}};
  if (kind_ == PoolKind::Max)
    args["dilation"] = o_.dilation;
  else
    args["count_include_pad"] = o_.count_include_pad;
  return args;
}

LayerSpec GlobalAvgPool2d::spec() {
  return {.type = "global_avg_pool2d",
          .module_type = "GlobalAvgPool2d",
          .help = "(N,C,H,W) -> (N,C,1,1), as AdaptiveAvgPool2d(1)",
          .keys = {},
          .build = [](const LayerArgs&, Rng) -> ModulePtr { return make<GlobalAvgPool2d>(); },
          .example = {},
          .example_input = {3, 4, 5}};
}
LayerSpec GlobalMaxPool2d::spec() {
  return {.type = "global_max_pool2d",
          .module_type = "GlobalMaxPool2d",
          .help = "(N,C,H,W) -> (N,C,1,1), as AdaptiveMaxPool2d(1)",
          .keys = {},
          .build = [](const LayerArgs&, Rng) -> ModulePtr { return make<GlobalMaxPool2d>(); },
          .example = {},
          .example_input = {3, 4, 5}};
}

// --- Upsample ---------------------------------------------------------------------------------

namespace {
const std::vector<std::pair<std::string, UpsampleMode>>& upsample_mode_names() {
  static const std::vector<std::pair<std::string, UpsampleMode>> names{
      {"nearest", UpsampleMode::Nearest}, {"bilinear", UpsampleMode::Bilinear}};
  return names;
}
}  // namespace

LayerSpec Upsample::spec() {
  return {.type = "upsample",
          .module_type = "Upsample",
          .help = "resizes (N,C,H,W) to a size or by a scale",
          .keys = {extent_key("size", "output size; 0 = use scale", true),
                   {.name = "scale",
                    .kind = KeyKind::Numbers,
                    .help = "factor per dimension",
                    .lengths = {2},
                    .list_form = "[sh, sw]"},
                   {.name = "mode",
                    .kind = KeyKind::Choice,
                    .help = "interpolation",
                    .choices = choice_names(upsample_mode_names())},
                   bool_key("align_corners", "bilinear only: align the corner pixels")},
          .build = [](const LayerArgs& args, Rng) -> ModulePtr {
            const ArgReader a(args, "upsample");
            UpsampleOptions o;
            // As F.interpolate: "only one of size or scale_factor should be defined".
            PHYSCNN_CHECK_ARG(!(a.has("size") && a.has("scale")),
                              "upsample: give either size or scale, not both");
            o.size = read_size2(a, "size", o.size);
            if (const KeyValue* v = a.find("scale")) {
              if (const auto* l = std::get_if<std::vector<double>>(v); l && l->size() == 2)
                o.scale = {(*l)[0], (*l)[1]};
              else
                o.scale[0] = o.scale[1] = a.get_number("scale", 2.0);
            }
            o.mode = a.choice("mode", o.mode, upsample_mode_names());
            o.align_corners = a.get_bool("align_corners", o.align_corners);
            // As F.interpolate: align_corners only with the interpolating modes.
            PHYSCNN_CHECK_ARG(o.mode != UpsampleMode::Nearest || !a.has("align_corners"),
                              "upsample: align_corners applies to mode = \"bilinear\" only, not "
                              "\"nearest\"; leave it out");
            return make<Upsample>(o);
          },
          .example = {{"scale", 2.0}, {"mode", std::string("bilinear")}},
          .example_input = {2, 3, 4}};
}

LayerArgs Upsample::layer_args() const {
  const KeyValue scale = o_.scale[0] == o_.scale[1]
                             ? KeyValue(o_.scale[0])
                             : KeyValue(std::vector<double>{o_.scale[0], o_.scale[1]});
  return {{"size", size2_value(o_.size)},
          {"scale", scale},
          {"mode", choice_name(o_.mode, upsample_mode_names())},
          {"align_corners", o_.align_corners}};
}

}  // namespace physcnn::nn
