#!/usr/bin/python3
"""Writes the Fashion-MNIST test images turned by a random multiple of 90 degrees (numpy.rot90,
seed 0) as an .npz for `physcnn eval --data`: x (10000, 1, 28, 28) float32 in [0, 1] as the IDX
reader scales them, y the labels, k the quarter turns. Usage:
    /usr/bin/python3 examples/symmetry/rotated_test_set.py [OUT.npz] [DATA_DIR]
"""
import gzip
import sys

import numpy as np


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fmnist_test_rot90.npz"
    root = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    x = read_idx(f"{root}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = read_idx(f"{root}/t10k-labels-idx1-ubyte.gz").astype(np.int64)
    k = np.random.RandomState(0).randint(0, 4, size=len(x))
    turned = np.stack([np.rot90(img, int(q)) for img, q in zip(x, k)])
    np.savez(out, x=turned[:, None].astype(np.float32), y=y, k=k.astype(np.int64))
    print(f"{out}: {len(x)} images, quarter turns 0/1/2/3: {np.bincount(k, minlength=4).tolist()}")


if __name__ == "__main__":
    main()
