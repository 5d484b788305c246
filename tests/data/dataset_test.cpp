// Datasets from memory and files: value conversion (int8 spins kept, uint8 scaled only when
// asked), targets, npz/HDF5/npy (read whole and memory-mapped), PNG folders, Fashion-MNIST IDX.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/dataset.hpp"
#include "data/formats/hdf5.hpp"
#include "data/formats/idx.hpp"
#include "data/formats/npy.hpp"
#include "data/formats/npz.hpp"
#include "data/formats/png.hpp"
#include "helpers.hpp"

using namespace physcnn;
using namespace physcnn::data;
using physcnn::test::ScratchDir;
using physcnn::test::throws_with;

namespace {
// 5 spin lattices 3×3 of ±1 as int8, sample n has spin (-1)^(n+i+j).
Array spins() {
  std::vector<int8_t> v;
  for (int n = 0; n < 5; ++n)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) v.push_back((n + i + j) % 2 ? -1 : 1);
  return Array::from_vector(v, Shape{5, 3, 3});
}
Array phase_labels() {
  return Array::from_vector(std::vector<int64_t>{0, 1, 1, 0, 1}, Shape{5});
}
}  // namespace

TEST(Dataset, TensorDataset) {
  Rng rng(1);
  const Tensor x = Tensor::uniform(Shape{4, 2, 3, 3}, 0, 1, rng, DType::F64);
  TensorDataset ds(x, {2, 0, 1, 2}, {"a", "b", "c"});
  EXPECT_EQ(ds.size(), 4);
  EXPECT_EQ(ds.sample_shape(), (Shape{2, 3, 3}));
  const Sample s = ds.get(2);
  EXPECT_EQ(s.input.dtype(), DType::F32);
  EXPECT_EQ(s.label, 1);
  EXPECT_NEAR(s.input.at({1, 2, 0}), x.at({2, 1, 2, 0}), 1e-7);
  EXPECT_EQ(ds.labels(), (std::vector<int64_t>{2, 0, 1, 2}));
  EXPECT_EQ(ds.class_names()[2], "c");
  EXPECT_TRUE(throws_with<UsageError>([&] { ds.get(4); }, {"get", "index 4", "[0, 4)"}));
  EXPECT_TRUE(throws_with<ShapeError>(
      [&] {
        TensorDataset(x, {0, 1});
      },
      {"TensorDataset", "2 labels", "[4,2,3,3]"}));
  EXPECT_TRUE(throws_with<UsageError>(
      [&] {
        TensorDataset(x, {0, 1, 5, 0}, {"a", "b"});
      },
      {"label 5", "2 class names"}));
}

TEST(Dataset, ArrayConversionAndTargets) {
  ArrayDataset ds(spins(), phase_labels());
  EXPECT_EQ(ds.sample_shape(), (Shape{1, 3, 3}));  // channel axis added
  EXPECT_EQ(ds.target_kind(), TargetKind::Class);
  const Sample s = ds.get(1);
  EXPECT_EQ(s.input.at({0, 0, 0}), -1.0);  // spins stay ±1
  EXPECT_EQ(s.input.at({0, 0, 1}), 1.0);
  EXPECT_EQ(s.label, 1);

  const Array img = Array::from_vector(std::vector<uint8_t>{0, 51, 255, 7}, Shape{2, 2});
  const Array y = Array::from_vector(std::vector<float>{0.5f, -1.0f}, Shape{2});
  const ArrayDataset raw(img, y), scaled(img, y, {.scale_uint8 = true});
  EXPECT_EQ(raw.sample_shape(), (Shape{2}));  // (N, F): no channel axis for vectors
  EXPECT_EQ(raw.get(0).input.at({1}), 51.0);  // counts are not rescaled unless asked
  EXPECT_FLOAT_EQ(float(scaled.get(0).input.at({1})), 0.2f);
  EXPECT_EQ(raw.target_kind(), TargetKind::Regression);  // float y
  EXPECT_EQ(raw.get(1).target, (std::vector<float>{-1.0f}));
  EXPECT_THROW(raw.labels(), UsageError);
  // float labels with integral values can be classes; with fractions they cannot
  const Array fy = Array::from_vector(std::vector<double>{1.0, 0.0}, Shape{2});
  EXPECT_EQ(ArrayDataset(img, fy, {.force_class = true}).get(0).label, 1);
  EXPECT_THROW(ArrayDataset(img, y, {.force_class = true}), UsageError);
  EXPECT_TRUE(throws_with<ShapeError>([&] { ArrayDataset(spins(), y, {}, "probe.npz:x"); },
                                      {"probe.npz:x", "5 inputs", "[2]"}));
  const Array negative = Array::from_vector(std::vector<int32_t>{0, -1}, Shape{2});
  EXPECT_TRUE(throws_with<IoError>([&] { ArrayDataset(img, negative); }, {"-1", "negative"}));
}

TEST(Dataset, FilesNpzHdf5Npy) {
  ScratchDir dir;
  write_npz(dir.file("ising.npz"), {{"spins", spins()}, {"label", phase_labels()}});
  const auto npz = open_npz(dir.file("ising.npz"), "spins", "label");
  EXPECT_EQ(npz->size(), 5);
  EXPECT_EQ(npz->get(3).input.at({0, 1, 1}), -1.0);
  EXPECT_EQ(npz->get(3).label, 0);
  EXPECT_TRUE(throws_with<UsageError>([&] { open_npz(dir.file("ising.npz"), "x", "label"); },
                                      {"'x'", "spins, label"}));

  write_hdf5(dir.file("ising.h5"), {{"/train/spins", spins()}, {"/train/label", phase_labels()}});
  const auto h5 = open_hdf5(dir.file("ising.h5"), "/train/spins", "/train/label");
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(physcnn::test::same_values(h5->get(i).input, npz->get(i).input));
    EXPECT_EQ(h5->get(i).label, npz->get(i).label);
  }

  // The same rows through a memory map and read whole.
  Rng rng(4);
  const Tensor x = Tensor::uniform(Shape{64, 2, 5, 5}, -3, 3, rng);
  write_npy(dir.file("x.npy"), Array::from_tensor(x));
  std::vector<int64_t> y;
  for (int64_t i = 0; i < 64; ++i) y.push_back(i % 7);
  write_npy(dir.file("y.npy"), Array::from_vector(y, Shape{64}));
  const auto mapped = open_npy(dir.file("x.npy"), dir.file("y.npy"), {}, true);
  const auto whole = open_npy(dir.file("x.npy"), dir.file("y.npy"));
  EXPECT_NE(dynamic_cast<const MappedNpyDataset*>(mapped.get()), nullptr);
  EXPECT_EQ(mapped->sample_shape(), (Shape{2, 5, 5}));
  for (int64_t i : {0, 17, 63}) {
    EXPECT_TRUE(physcnn::test::same_values(mapped->get(i).input, x.select(0, i)));
    EXPECT_TRUE(physcnn::test::same_values(mapped->get(i).input, whole->get(i).input));
    EXPECT_EQ(mapped->get(i).label, i % 7);
  }
  EXPECT_EQ(mapped->labels(), y);
  EXPECT_THROW(mapped->get(64), UsageError);
}

TEST(Dataset, PngFolder) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.file("root/ordered"));
  std::filesystem::create_directories(dir.file("root/disordered"));
  for (int i = 0; i < 3; ++i) {
    write_png(dir.file("root/ordered/" + std::to_string(i) + ".png"),
              Tensor::full(Shape{1, 4, 4}, 1.0));
    write_png(dir.file("root/disordered/" + std::to_string(i) + ".png"),
              Tensor::full(Shape{1, 4, 4}, 0.2 * i));
  }
  const auto ds = open_image_folder(dir.file("root"));
  EXPECT_EQ(ds->size(), 6);
  EXPECT_EQ(ds->class_names(), (std::vector<std::string>{"disordered", "ordered"}));
  EXPECT_EQ(ds->sample_shape(), (Shape{1, 4, 4}));
  int64_t ordered = 0;
  for (int64_t i = 0; i < 6; ++i) {
    const Sample s = ds->get(i);
    if (s.label == 1) {
      ++ordered;
      EXPECT_EQ(s.input.at({0, 2, 2}), 1.0);
    }
  }
  EXPECT_EQ(ordered, 3);
}

TEST(Dataset, FashionMnistIdx) {
  const std::string root = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(root + "train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST not installed at " << root;
  const auto ds =
      open_idx(root + "train-images-idx3-ubyte.gz", root + "train-labels-idx1-ubyte.gz");
  ASSERT_EQ(ds->size(), 60000);
  EXPECT_EQ(ds->sample_shape(), (Shape{1, 28, 28}));
  const Array raw = read_idx(root + "train-images-idx3-ubyte.gz");
  const auto pixels = raw.values<uint8_t>();
  for (int64_t i : {0, 1, 31337, 59999}) {
    const Sample s = ds->get(i);
    ASSERT_EQ(s.input.shape(), (Shape{1, 28, 28}));
    const auto v = s.input.to_vector();
    double hi = 0.0;
    for (size_t k = 0; k < v.size(); ++k) {
      ASSERT_GE(v[k], 0.0);
      ASSERT_LE(v[k], 1.0);
      ASSERT_FLOAT_EQ(float(v[k]), float(pixels[size_t(i) * 784 + k] / 255.0));
      hi = std::max(hi, v[k]);
    }
    EXPECT_GT(hi, 0.5);  // scaled, not all dark
    EXPECT_GE(s.label, 0);
    EXPECT_LE(s.label, 9);
  }
  EXPECT_EQ(ds->get(0).label, 9);  // the first training item is an ankle boot
  EXPECT_TRUE(throws_with<UsageError>(
      [&] { open_idx(root + "train-labels-idx1-ubyte.gz", root + "train-labels-idx1-ubyte.gz"); },
      {"open_idx", "uint8", "[60000]"}));
}

// A negative label is an error of the labels file and field, never of the inputs file (it was
// "x.npy: class label -1 of sample 2 is negative" for a fault in y.npy).
TEST(Dataset, NegativeLabelNamesTheLabelsFile) {
  ScratchDir dir;
  const Array labels = Array::from_vector(std::vector<int64_t>{0, 1, -1, 0, 1}, Shape{5});
  const auto blames_labels = [](const auto& open, const std::string& labels_name,
                                const std::string& inputs_name) {
    try {
      open();
    } catch (const IoError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(labels_name + ": class label -1 of sample 2 is negative"),
                std::string::npos)
          << msg;
      EXPECT_EQ(msg.find(inputs_name), std::string::npos) << msg;
      return;
    }
    ADD_FAILURE() << "a negative label in " << labels_name << " was accepted";
  };
  write_npy(dir.file("x.npy"), spins());
  write_npy(dir.file("y.npy"), labels);
  blames_labels([&] { open_npy(dir.file("x.npy"), dir.file("y.npy")); }, dir.file("y.npy"),
                "x.npy");
  blames_labels([&] { open_npy(dir.file("x.npy"), dir.file("y.npy"), {}, true); },
                dir.file("y.npy"), "x.npy");
  write_npz(dir.file("d.npz"), {{"spins", spins()}, {"label", labels}});
  blames_labels([&] { open_npz(dir.file("d.npz"), "spins", "label"); },
                dir.file("d.npz") + ":label", ":spins");
  write_hdf5(dir.file("d.h5"), {{"/spins", spins()}, {"/label", labels}});
  blames_labels([&] { open_hdf5(dir.file("d.h5"), "/spins", "/label"); },
                dir.file("d.h5") + ":/label", ":/spins");
  std::vector<uint8_t> images(5 * 2 * 2, 7);
  write_idx(dir.file("images-idx3-ubyte"), Array::from_vector(images, Shape{5, 2, 2}));
  write_idx(dir.file("labels-idx1-ubyte"),
            Array::from_vector(std::vector<int8_t>{0, 1, -1, 0, 1}, Shape{5}));
  blames_labels([&] { open_idx(dir.file("images-idx3-ubyte"), dir.file("labels-idx1-ubyte")); },
                dir.file("labels-idx1-ubyte"), "images-idx3-ubyte");
}
