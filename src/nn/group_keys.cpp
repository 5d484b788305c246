// The group-equivariant layers as model-file entries: keys, builders, written-back values and
// the small examples the generic layer test runs.
#include "nn/group_conv.hpp"

namespace physcnn::nn {

namespace {

LayerKey group_key() {
  return {.name = "group",
          .kind = KeyKind::Choice,
          .help = "symmetry group: p4 (quarter turns) or p4m (with mirrors)",
          .choices = choice_names(symmetry_group_names())};
}

std::vector<LayerKey> group_conv_keys(bool lifting) {
  return {group_key(),
          {.name = "in",
           .kind = KeyKind::Int,
           .help = lifting ? "input channels; 0 = inferred"
                           : "input fields (channels / G, G = 4 or 8 orientations); 0 = inferred"},
          {.name = "out",
           .kind = KeyKind::Int,
           .help = "output fields (the layer emits out*G channels, G = 4 or 8)",
           .required = true},
          extent_key("kernel", "square kernel size", false, true),
          extent_key("stride", "stride", false),
          {.name = "padding",
           .kind = KeyKind::Int,
           .help = "every side (symmetric)",
           .choices = {"same", "valid"}},
          {.name = "padding_mode",
           .kind = KeyKind::Choice,
           .help = "how padding fills the border (circular for periodic lattices)",
           .choices = choice_names(padding_mode_names())},
          extent_key("dilation", "dilation", false),
          {.name = "groups", .kind = KeyKind::Int, .help = "channel groups over the fields"},
          bool_key("bias", "add a learnt bias per output field")};
}

ModulePtr build_group_conv(const LayerArgs& args, Rng rng, bool lifting) {
  const ArgReader a(args, lifting ? "group_lift_conv2d" : "group_conv2d");
  const GroupConv2dOptions d;
  const GroupConv2dOptions o{
      .group = a.choice("group", d.group, symmetry_group_names()),
      .in = a.get_int("in", d.in),
      .out = a.get_int("out", d.out),
      .kernel = a.get_int("kernel", d.kernel),
      .stride = a.get_int("stride", d.stride),
      .padding = read_padding(a, "padding", d.padding),
      .padding_mode = a.choice("padding_mode", d.padding_mode, padding_mode_names()),
      .dilation = a.get_int("dilation", d.dilation),
      .groups = a.get_int("groups", d.groups),
      .bias = a.get_bool("bias", d.bias)};
  if (lifting) return std::make_shared<GroupLiftConv2d>(o, rng);
  return std::make_shared<GroupConv2d>(o, rng);
}

}  // namespace

LayerSpec GroupLiftConv2d::spec() {
  return {.type = "group_lift_conv2d",
          .module_type = "GroupLiftConv2d",
          .help =
              "lifting convolution (N,C,H,W) -> (N,out G,H',W'), equivariant to p4 or p4m; "
              "channel f G + g holds orientation g of field f",
          .keys = group_conv_keys(true),
          .build = [](const LayerArgs& args, Rng rng) { return build_group_conv(args, rng, true); },
          .example = {{"group", std::string("p4m")},
                      {"out", int64_t{2}},
                      {"kernel", int64_t{3}},
                      {"padding", int64_t{1}}},
          .example_input = {2, 5, 5}};
}

LayerSpec GroupConv2d::spec() {
  return {
      .type = "group_conv2d",
      .module_type = "GroupConv2d",
      .help =
          "group convolution (N,in G,H,W) -> (N,out G,H',W'), equivariant to p4 or "
          "p4m",
      .keys = group_conv_keys(false),
      .build = [](const LayerArgs& args, Rng rng) { return build_group_conv(args, rng, false); },
      .example = {{"out", int64_t{2}},
                  {"kernel", int64_t{3}},
                  {"padding", int64_t{1}},
                  {"padding_mode", std::string("circular")}},
      .example_input = {8, 4, 4}};
}

LayerArgs GroupConvBase::layer_args() const {
  return {{"group", choice_name(o_.group, symmetry_group_names())},
          {"in", o_.in},
          {"out", o_.out},
          {"kernel", o_.kernel},
          {"stride", o_.stride},
          {"padding", padding_value(o_.padding)},
          {"padding_mode", choice_name(o_.padding_mode, padding_mode_names())},
          {"dilation", o_.dilation},
          {"groups", o_.groups},
          {"bias", o_.bias}};
}

namespace {
const std::vector<std::pair<std::string, GroupPoolMode>>& pool_mode_names() {
  static const std::vector<std::pair<std::string, GroupPoolMode>> names{
      {"max", GroupPoolMode::Max}, {"mean", GroupPoolMode::Mean}};
  return names;
}
}  // namespace

LayerSpec GroupPool::spec() {
  return {.type = "group_pool",
          .module_type = "GroupPool",
          .help = "max or mean over the G orientations of each field: (N,F G,H,W) -> (N,F,H,W)",
          .keys = {group_key(),
                   {.name = "mode",
                    .kind = KeyKind::Choice,
                    .help = "max or mean over the orientations",
                    .choices = choice_names(pool_mode_names())}},
          .build = [](const LayerArgs& args, Rng) -> ModulePtr {
            const ArgReader a(args, "group_pool");
            const GroupPoolOptions d;
            return std::make_shared<GroupPool>(
                GroupPoolOptions{.group = a.choice("group", d.group, symmetry_group_names()),
                                 .mode = a.choice("mode", d.mode, pool_mode_names())});
          },
          .example = {{"group", std::string("p4m")}, {"mode", std::string("mean")}},
          .example_input = {16, 3, 3}};
}

LayerArgs GroupPool::layer_args() const {
  return {{"group", choice_name(o_.group, symmetry_group_names())},
          {"mode", choice_name(o_.mode, pool_mode_names())}};
}

LayerSpec GroupBatchNorm2d::spec() {
  LayerSpec s = BatchNorm2d::spec();
  s.type = "group_batchnorm2d";
  s.module_type = "GroupBatchNorm2d";
  s.help =
      "batch normalisation of fields over p4 or p4m (N,F G,H,W): statistics, weight and "
      "bias shared by the orientations of a field; features counts fields";
  for (auto& key : s.keys)
    if (key.name == "features") key.help = "fields (channels / G); 0 = inferred from the input";
  s.keys.insert(s.keys.begin(), group_key());
  s.build = [](const LayerArgs& args, Rng) -> ModulePtr {
    const ArgReader a(args, "group_batchnorm2d");
    LayerArgs rest = args;
    rest.erase("group");
    return std::make_shared<GroupBatchNorm2d>(
        batch_norm_options(rest, "group_batchnorm2d"),
        a.choice("group", SymmetryGroup::P4, symmetry_group_names()));
  };
  s.example = {{"eps", 1e-3}, {"momentum", 0.2}};
  s.example_input = {8, 3, 2};
  return s;
}

LayerArgs GroupBatchNorm2d::layer_args() const {
  LayerArgs a = BatchNorm::layer_args();
  a["group"] = choice_name(group_, symmetry_group_names());
  return a;
}

}  // namespace physcnn::nn
