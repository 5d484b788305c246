// Writes the seed corpora under fuzz/corpus/<target>/: small valid files of every format the
// fuzz targets read, made with physcnn's own writers (and the example model files), so that
// mutations start from inputs that get past the first header check.
//   fuzz_make_seeds fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/formats/hdf5.hpp"
#include "data/formats/idx.hpp"
#include "data/formats/npy.hpp"
#include "data/formats/npz.hpp"
#include "data/formats/png.hpp"
#include "data/loader.hpp"
#include "io/safetensors.hpp"
#include "nn/layers.hpp"
#include "optim/adam.hpp"
#include "optim/scheduler.hpp"
#include "train/loop.hpp"
#include "train/run_dir.hpp"

namespace fs = std::filesystem;
using namespace physcnn;
using namespace physcnn::data;

namespace {

fs::path root;

fs::path out(const std::string& target, const std::string& name) {
  fs::create_directories(root / target);
  return root / target / name;
}

void put(const std::string& target, const std::string& name, const std::vector<uint8_t>& bytes) {
  std::ofstream f(out(target, name), std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void put(const std::string& target, const std::string& name, const std::string& text) {
  put(target, name, std::vector<uint8_t>(text.begin(), text.end()));
}

Array ramp_f32(const Shape& shape, float step = 0.0625f) {
  std::vector<float> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = step * static_cast<float>(i);
  return Array::from_vector(v, shape);
}

// A .npy header by hand: the writer only makes little-endian C order.
std::vector<uint8_t> npy_by_hand(const std::string& dict, const std::vector<uint8_t>& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::vector<uint8_t> b{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  b.push_back(static_cast<uint8_t>(header.size() & 0xff));
  b.push_back(static_cast<uint8_t>(header.size() >> 8));
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

std::vector<uint8_t> file_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

void idx_seeds() {
  const Array u8 = Array::from_vector(
      std::vector<uint8_t>{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255}, Shape{3, 2, 2});
  put("idx", "u8_3x2x2.idx", encode_idx(u8));
  put("idx", "u8_3x2x2.idx.gz", encode_idx(u8, {.gzip = true}));
  put("idx", "f32_2x3.idx", encode_idx(ramp_f32(Shape{2, 3})));
  put("idx", "i16_4.idx",
      encode_idx(Array::from_vector(std::vector<int16_t>{-2, -1, 1, 2}, Shape{4})));
  put("idx", "f64_2.idx.gz",
      encode_idx(Array::from_vector(std::vector<double>{1.5, -2.5}, Shape{2}), {.gzip = true}));
}

void npy_seeds() {
  put("npy", "f32_2x3.npy", encode_npy(ramp_f32(Shape{2, 3})));
  put("npy", "bool_4.npy",
      encode_npy(Array::from_vector(std::vector<bool>{true, false, true, true}, Shape{4})));
  put("npy", "i64_scalar.npy", encode_npy(Array::from_vector(std::vector<int64_t>{7}, Shape{})));
  put("npy", "be_i2_fortran.npy",
      npy_by_hand("{'descr': '>i2', 'fortran_order': True, 'shape': (2, 2), }",
                  {0, 1, 0, 2, 0, 3, 0, 4}));
}

NamedArrays sample_arrays() {
  return {{"x", ramp_f32(Shape{2, 1, 2, 2})},
          {"y", Array::from_vector(std::vector<int64_t>{0, 1}, Shape{2})}};
}

void npz_seeds() {
  put("npz", "stored.npz", encode_npz(sample_arrays()));
  put("npz", "deflated.npz", encode_npz(sample_arrays(), {.compress = true}));
}

void hdf5_seeds() {
  const fs::path a = out("hdf5", "x_y.h5");
  write_hdf5(a.string(), {{"/x", ramp_f32(Shape{2, 3})},
                          {"/y", Array::from_vector(std::vector<int8_t>{-1, 1}, Shape{2})}});
  const fs::path b = out("hdf5", "gzip_chunked.h5");
  write_hdf5(b.string(), "/x", ramp_f32(Shape{4, 4}), {.compression = 4});
}

void png_seeds() {
  put("png", "gray_4x4.png", encode_png(ramp_f32(Shape{1, 4, 4}).to_tensor()));
  put("png", "rgb_3x3.png", encode_png(ramp_f32(Shape{3, 3, 3}, 0.03f).to_tensor()));
  put("png", "rgba_2x2.png", encode_png(ramp_f32(Shape{4, 2, 2}, 0.06f).to_tensor()));
}

void safetensors_seeds() {
  nn::Linear model({.in = 4, .out = 3}, Rng(1));
  const fs::path p = out("safetensors", "linear_4_3.safetensors");
  train::save_model(p.string(), model, ChannelStats{{0.5}, {0.25}});
  io::save_safetensors(out("safetensors", "f64_only.safetensors").string(),
                       {{"w", Tensor::from_vector(std::vector<double>{1, 2}, Shape{2})}});
}

void checkpoint_seeds() {
  auto model = std::make_shared<nn::Linear>(nn::LinearOptions{.in = 4, .out = 3}, Rng(1));
  optim::Adam adam(model->named_parameters(), {.lr = 1e-2});
  optim::StepLr schedule(adam, {.step_size = 2, .gamma = 0.5});
  train::Trainer trainer(*model, adam, &schedule, {.epochs = 1, .seed = 7, .quiet = true});
  Tensor x = ramp_f32(Shape{6, 4}).to_tensor();
  auto set = std::make_shared<TensorDataset>(x, std::vector<int64_t>{0, 1, 2, 0, 1, 2});
  DataLoader train(set, {.batch_size = 3, .workers = 0});
  trainer.fit(train, nullptr);
  trainer.save_checkpoint(out("checkpoint", "linear_adam_step.safetensors").string());
}

void text_seeds() {
  for (const char* m : {"lenet5", "residual_block", "unet_small"}) {
    const auto text =
        file_bytes(fs::path(PHYSCNN_SOURCE_DIR) / "examples/models" / (m + std::string(".toml")));
    put("model_file", std::string(m) + ".toml", text);
  }
  put("model_file", "concat.toml",
      "input = [2, 8, 8]\n"
      "layer = [\n"
      "  { name = \"a\", type = \"conv2d\", out = 4, kernel = 3, padding = 1 },\n"
      "  { name = \"b\", type = \"upsample\", scale = 2, input = \"input\" },\n"
      "  { type = \"maxpool2d\" },\n"
      "  { type = \"concat\", inputs = [\"a\", \"b\"] },\n"
      "  { type = \"flatten\" },\n"
      "  { type = \"linear\", out = 3 },\n"
      "]\n");
  put("experiment", "fashion_mnist.toml",
      file_bytes(fs::path(PHYSCNN_SOURCE_DIR) / "examples/fashion_mnist.toml"));
  put("experiment", "npz_sgd.toml",
      "model = \"lenet5\"\nepochs = 2\nbatch_size = 8\nloss = \"mse\"\nclip_grad_norm = 1.0\n"
      "[data]\nformat = \"npz\"\ntrain = \"d.npz\"\nvalidation = 0.2\nscale_uint8 = true\n"
      "[transforms]\nflip = 0.5\ncrop = 2\nnoise = 0.1\nrotate = 10.0\n"
      "[optimizer]\nname = \"nesterov\"\nlr = 0.1\nmomentum = 0.9\nweight_decay = 1e-4\n"
      "[schedule]\nname = \"multistep\"\nmilestones = [1, 2]\nper = \"step\"\n");
  put("experiment", "plateau.toml",
      "model = \"lenet5\"\n[data]\nformat = \"hdf5\"\ntrain = \"d.h5\"\n"
      "[optimizer]\nname = \"rmsprop\"\ncentered = true\n"
      "[schedule]\nname = \"plateau\"\npatience = 2\nfactor = 0.5\nmode = \"max\"\n");
  put("report_json", "metrics.json",
      R"({"task": "classification", "class_names": ["a", "b"], "epochs": [)"
      R"({"epoch": 1, "train_loss": 0.9, "val_loss": 1.0, "lr": 0.001, "train_accuracy": 0.5,)"
      R"( "val_accuracy": 0.4, "seconds": 1.5, "images_per_second": 100},)"
      R"({"epoch": 2, "train_loss": 0.5, "val_loss": null, "lr": 0.001}]})");
  put("report_json", "eval.json",
      R"({"accuracy": 0.75, "loss": 0.6, "class_names": ["a", "b"],)"
      R"( "confusion_matrix": [[3, 1], [0, 4]]})");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds CORPUS_DIR\n");
    return 2;
  }
  root = argv[1];
  idx_seeds();
  npy_seeds();
  npz_seeds();
  hdf5_seeds();
  png_seeds();
  safetensors_seeds();
  checkpoint_seeds();
  text_seeds();
  return 0;
}
