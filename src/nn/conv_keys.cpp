// The convolution layers as model-file entries: their keys, builders from LayerArgs, the values
// they write back, and the small examples the generic layer test runs.
#include <algorithm>

#include "nn/conv.hpp"

namespace physcnn::nn {

Size2 read_size2(const ArgReader& a, const std::string& key, Size2 dflt) {
  const KeyValue* v = a.find(key);
  if (!v) return dflt;
  if (const auto* i = std::get_if<int64_t>(v)) return Size2(*i);
  if (const auto* l = std::get_if<std::vector<int64_t>>(v); l && l->size() == 2)
    return Size2((*l)[0], (*l)[1]);
  a.wrong_kind(key, "an integer or [h, w]");
}

KeyValue size2_value(Size2 s) {
  if (s.h == s.w) return s.h;
  return std::vector<int64_t>{s.h, s.w};
}

PadSpec read_padding(const ArgReader& a, const std::string& key, PadSpec dflt) {
  const KeyValue* v = a.find(key);
  if (!v) return dflt;
  if (const auto* i = std::get_if<int64_t>(v)) return PadSpec(*i);
  if (const auto* s = std::get_if<std::string>(v)) return PadSpec::parse(*s);
  if (const auto* l = std::get_if<std::vector<int64_t>>(v); l && !l->empty()) {
    PadSpec p;
    p.values = *l;
    return p;
  }
  a.wrong_kind(key, "an integer, a list of integers, \"same\" or \"valid\"");
}

KeyValue padding_value(const PadSpec& p) {
  if (p.kind == PadSpec::Kind::Same) return std::string("same");
  if (p.kind == PadSpec::Kind::Valid) return std::string("valid");
  if (p.values.size() == 1) return p.values[0];
  return p.values;
}

const std::vector<std::pair<std::string, Padding>>& padding_mode_names() {
  static const std::vector<std::pair<std::string, Padding>> names{
      {"zeros", Padding::Zeros},
      {"circular", Padding::Circular},
      {"reflect", Padding::Reflect},
      {"replicate", Padding::Replicate}};
  return names;
}

namespace {

// Keys shared by the convolutions.
LayerKey in_key() {
  return {
      .name = "in", .kind = KeyKind::Int, .help = "input channels; 0 = inferred from the input"};
}
LayerKey out_key() {
  return {.name = "out", .kind = KeyKind::Int, .help = "output channels", .required = true};
}
LayerKey padding_key(bool two_d) {
  return {.name = "padding",
          .kind = KeyKind::Ints,
          .help = two_d ? "every side, [ph, pw] or [top, bottom, left, right]"
                        : "both ends, or [left, right]",
          .choices = {"same", "valid"},
          .lengths = two_d ? std::vector<size_t>{2, 4} : std::vector<size_t>{2}};
}
LayerKey padding_mode_key() {
  return {.name = "padding_mode",
          .kind = KeyKind::Choice,
          .help = "how padding fills the border (circular for periodic lattices)",
          .choices = choice_names(padding_mode_names())};
}
LayerKey groups_key() {
  return {.name = "groups", .kind = KeyKind::Int, .help = "channel groups"};
}
LayerKey bias_key() {
  return bool_key("bias", "add a learnt bias");
}

}  // namespace

// --- Conv2d -----------------------------------------------------------------------------------

LayerSpec Conv2d::spec() {
  return {
      .type = "conv2d",
      .module_type = "Conv2d",
      .help = "2-d convolution (N,C,H,W)",
      .keys = {in_key(), out_key(), extent_key("kernel", "kernel size", true, true),
               extent_key("stride", "stride", true), padding_key(true), padding_mode_key(),
               extent_key("dilation", "dilation", true), groups_key(), bias_key()},
      .build = [](const LayerArgs& args, Rng rng) -> ModulePtr {
        const ArgReader a(args, "conv2d");
        const Conv2dOptions d;
        return std::make_shared<Conv2d>(
            Conv2dOptions{
                .in = a.get_int("in", d.in),
                .out = a.get_int("out", d.out),
                .kernel = read_size2(a, "kernel", d.kernel),
                .stride = read_size2(a, "stride", d.stride),
                .padding = read_padding(a, "padding", d.padding),
                .padding_mode = a.choice("padding_mode", d.padding_mode, padding_mode_names()),
                .dilation = read_size2(a, "dilation", d.dilation),
                .groups = a.get_int("groups", d.groups),
                .bias = a.get_bool("bias", d.bias)},
            rng);
      },
      .example = {{"out", int64_t{3}},
                  {"kernel", int64_t{3}},
                  {"padding", int64_t{1}},
                  {"padding_mode", std::string("circular")}},
      .example_input = {2, 5, 5},
  };
}

LayerArgs Conv2d::layer_args() const {
  return {{"in", o_.in},
          {"out", o_.out},
          {"kernel", size2_value(o_.kernel)},
          {"stride", size2_value(o_.stride)},
          {"padding", padding_value(o_.padding)},
          {"padding_mode", choice_name(o_.padding_mode, padding_mode_names())},
          {"dilation", size2_value(o_.dilation)},
          {"groups", o_.groups},
          {"bias", o_.bias}};
}

// --- Conv1d -----------------------------------------------------------------------------------

LayerSpec Conv1d::spec() {
  return {
      .type = "conv1d",
      .module_type = "Conv1d",
      .help = "1-d convolution (N,C,L)",
      .keys = {in_key(), out_key(), extent_key("kernel", "kernel size", false, true),
               extent_key("stride", "stride", false), padding_key(false), padding_mode_key(),
               extent_key("dilation", "dilation", false), groups_key(), bias_key()},
      .build = [](const LayerArgs& args, Rng rng) -> ModulePtr {
        const ArgReader a(args, "conv1d");
        const Conv1dOptions d;
        return std::make_shared<Conv1d>(
            Conv1dOptions{
                .in = a.get_int("in", d.in),
                .out = a.get_int("out", d.out),
                .kernel = a.get_int("kernel", d.kernel),
                .stride = a.get_int("stride", d.stride),
                .padding = read_padding(a, "padding", d.padding),
                .padding_mode = a.choice("padding_mode", d.padding_mode, padding_mode_names()),
                .dilation = a.get_int("dilation", d.dilation),
                .groups = a.get_int("groups", d.groups),
                .bias = a.get_bool("bias", d.bias)},
            rng);
      },
      .example = {{"out", int64_t{4}},
                  {"kernel", int64_t{3}},
                  {"padding", std::vector<int64_t>{1, 0}},
                  {"groups", int64_t{2}}},
      .example_input = {2, 7},
  };
}

LayerArgs Conv1d::layer_args() const {
  return {{"in", o_.in},
          {"out", o_.out},
          {"kernel", o_.kernel},
          {"stride", o_.stride},
          {"padding", padding_value(o_.padding)},
          {"padding_mode", choice_name(o_.padding_mode, padding_mode_names())},
          {"dilation", o_.dilation},
          {"groups", o_.groups},
          {"bias", o_.bias}};
}

// --- ConvTranspose2d --------------------------------------------------------------------------

LayerSpec ConvTranspose2d::spec() {
  return {
      .type = "conv_transpose2d",
      .module_type = "ConvTranspose2d",
      .help = "transposed 2-d convolution (U-Net decoders)",
      .keys = {in_key(), out_key(), extent_key("kernel", "kernel size", true, true),
               extent_key("stride", "stride", true),
               extent_key("padding", "symmetric padding removed from the output", true),
               extent_key("output_padding", "extra rows and columns at the end", true),
               extent_key("dilation", "dilation", true), groups_key(), bias_key()},
      .build = [](const LayerArgs& args, Rng rng) -> ModulePtr {
        const ArgReader a(args, "conv_transpose2d");
        const ConvTranspose2dOptions d;
        return std::make_shared<ConvTranspose2d>(
            ConvTranspose2dOptions{
                .in = a.get_int("in", d.in),
                .out = a.get_int("out", d.out),
                .kernel = read_size2(a, "kernel", d.kernel),
                .stride = read_size2(a, "stride", d.stride),
                .padding = read_size2(a, "padding", d.padding),
                .output_padding = read_size2(a, "output_padding", d.output_padding),
                .dilation = read_size2(a, "dilation", d.dilation),
                .groups = a.get_int("groups", d.groups),
                .bias = a.get_bool("bias", d.bias)},
            rng);
      },
      .example = {{"out", int64_t{2}},
                  {"kernel", int64_t{3}},
                  {"stride", int64_t{2}},
                  {"padding", int64_t{1}},
                  {"output_padding", int64_t{1}}},
      .example_input = {3, 3, 4},
  };
}

LayerArgs ConvTranspose2d::layer_args() const {
  return {{"in", o_.in},
          {"out", o_.out},
          {"kernel", size2_value(o_.kernel)},
          {"stride", size2_value(o_.stride)},
          {"padding", size2_value(o_.padding)},
          {"output_padding", size2_value(o_.output_padding)},
          {"dilation", size2_value(o_.dilation)},
          {"groups", o_.groups},
          {"bias", o_.bias}};
}

// --- DepthwiseSeparableConv2d -----------------------------------------------------------------

LayerSpec DepthwiseSeparableConv2d::spec() {
  return {
      .type = "depthwise_separable_conv2d",
      .module_type = "DepthwiseSeparableConv2d",
      .help =
          "depthwise then 1x1 pointwise convolution (MobileNet); children depthwise, norm and "
          "act (when asked for), pointwise",
      .keys = {in_key(),
               out_key(),
               extent_key("kernel", "kernel size", true),
               extent_key("stride", "stride", true),
               padding_key(true),
               padding_mode_key(),
               extent_key("dilation", "dilation", true),
               bias_key(),
               bool_key("norm", "batch norm between the depthwise and the pointwise convolution"),
               {.name = "activation",
                .kind = KeyKind::Choice,
                .help = "activation between them (after the norm)",
                .choices = choice_names(between_activation_names())}},
      .build = [](const LayerArgs& args, Rng rng) -> ModulePtr {
        const ArgReader a(args, "depthwise_separable_conv2d");
        const DepthwiseSeparableConv2dOptions d;
        return std::make_shared<DepthwiseSeparableConv2d>(
            DepthwiseSeparableConv2dOptions{
                .in = a.get_int("in", d.in),
                .out = a.get_int("out", d.out),
                .kernel = read_size2(a, "kernel", d.kernel),
                .stride = read_size2(a, "stride", d.stride),
                .padding = read_padding(a, "padding", d.padding),
                .padding_mode = a.choice("padding_mode", d.padding_mode, padding_mode_names()),
                .dilation = read_size2(a, "dilation", d.dilation),
                .bias = a.get_bool("bias", d.bias),
                .norm = a.get_bool("norm", d.norm),
                .activation = a.choice("activation", d.activation, between_activation_names())},
            rng);
      },
      .example = {{"out", int64_t{4}},
                  {"padding", int64_t{1}},
                  {"activation", std::string("relu")}},
      .example_input = {3, 4, 4},
  };
}

LayerArgs DepthwiseSeparableConv2d::layer_args() const {
  return {{"in", o_.in},
          {"out", o_.out},
          {"kernel", size2_value(o_.kernel)},
          {"stride", size2_value(o_.stride)},
          {"padding", padding_value(o_.padding)},
          {"padding_mode", choice_name(o_.padding_mode, padding_mode_names())},
          {"dilation", size2_value(o_.dilation)},
          {"bias", o_.bias},
          {"norm", o_.norm},
          {"activation", choice_name(o_.activation, between_activation_names())}};
}

const std::vector<std::pair<std::string, BetweenActivation>>& between_activation_names() {
  static const std::vector<std::pair<std::string, BetweenActivation>> names{
      {"none", BetweenActivation::None}, {"relu", BetweenActivation::ReLU}};
  return names;
}

}  // namespace physcnn::nn
