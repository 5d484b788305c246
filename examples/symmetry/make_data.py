#!/usr/bin/python3
"""Writes the data of the rotated Fashion-MNIST experiment (docs/symmetry.md) as .npz files with
x (N, 1, 28, 28) float32 in [0, 1] (as the IDX reader scales them) and y the labels:
  fmnist_train12k.npz  12,000 training images, 1,200 per class (seed 0), upright
  fmnist_test.npz      the 10,000 test images, upright
  fmnist_test_rot90.npz the same turned by a random multiple of 90 degrees (numpy.rot90, seed 0;
                        k holds the quarter turns)
Usage: /usr/bin/python3 examples/symmetry/make_data.py [OUT_DIR] [FASHION_MNIST_DIR]
(default OUT_DIR runs/symmetry/data, where the experiment files look).
"""
import gzip
import os
import sys

import numpy as np


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(root, split):
    x = read_idx(f"{root}/{split}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = read_idx(f"{root}/{split}-labels-idx1-ubyte.gz").astype(np.int64)
    return x[:, None], y


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "runs/symmetry/data"
    root = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    os.makedirs(out, exist_ok=True)
    x, y = load(root, "train")
    rng = np.random.RandomState(0)
    keep = np.sort(np.concatenate([rng.permutation(np.flatnonzero(y == c))[:1200] for c in range(10)]))
    np.savez(f"{out}/fmnist_train12k.npz", x=x[keep], y=y[keep])
    xt, yt = load(root, "t10k")
    np.savez(f"{out}/fmnist_test.npz", x=xt, y=yt)
    k = np.random.RandomState(0).randint(0, 4, size=len(xt))
    turned = np.stack([np.rot90(img, int(q), axes=(1, 2)) for img, q in zip(xt, k)])
    np.savez(f"{out}/fmnist_test_rot90.npz", x=turned.astype(np.float32), y=yt, k=k.astype(np.int64))
    print(f"{out}: train {len(keep)}, test {len(xt)}, quarter turns 0/1/2/3 "
          f"{np.bincount(k, minlength=4).tolist()}")


if __name__ == "__main__":
    main()
