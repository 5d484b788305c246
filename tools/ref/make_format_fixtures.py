"""Writes tests/fixtures/formats/*: small .npy/.npz/IDX/PNG/HDF5 files made by numpy, PIL and
h5py (independent writers) for tests/data/formats. Values follow simple formulas that the C++ tests
recompute. Deterministic; run with Debian's interpreter:
    /usr/bin/python3 tools/ref/make_format_fixtures.py
"""
import gzip
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "fixtures", "formats"))


def path(name):
    return os.path.join(OUT, name)


def ramp(n):
    """(i - 5) / 4: exact in float32 and float64."""
    return (np.arange(n) - 5) * 0.25


def npy_files():
    np.save(path("f4_2x3x4.npy"), ramp(24).astype("<f4").reshape(2, 3, 4))
    np.save(path("f8_be_2x3.npy"), ramp(6).astype(">f8").reshape(2, 3))
    np.save(path("i4_be_5.npy"), (np.arange(5) * 1000003 - 7).astype(">i4"))
    np.save(path("i8_extremes.npy"), np.array([-2**63, -1, 0, 2**53 + 1, 2**63 - 1], dtype="<i8"))
    np.save(path("u8_3x3.npy"), (np.arange(9) * 28).astype("u1").reshape(3, 3))
    i = np.arange(16)
    np.save(path("i1_spins_4x4.npy"), np.where((i * 7) % 3 == 0, 1, -1).astype("i1").reshape(4, 4))
    np.save(path("i2_4.npy"), np.array([-32768, -1, 0, 32767], dtype="<i2"))
    np.save(path("u2_be_3.npy"), np.array([0, 1, 65535], dtype=">u2"))
    np.save(path("bool_2x3.npy"), (np.arange(6) % 2 == 0).reshape(2, 3))
    np.save(path("fortran_f8_2x3x4.npy"), np.asfortranarray((np.arange(24) * 1.5).reshape(2, 3, 4)))
    np.save(path("fortran_i2_3x2.npy"), np.asfortranarray(np.arange(6, dtype="<i2").reshape(3, 2)))
    np.save(path("scalar_f8.npy"), np.float64(3.25))
    np.save(path("empty_f4_0x3.npy"), np.zeros((0, 3), dtype="<f4"))
    for major in (2, 3):
        with open(path(f"v{major}_f4.npy"), "wb") as f:
            np.lib.format.write_array(f, ramp(6).astype("<f4").reshape(3, 2), version=(major, 0))
    np.save(path("object.npy"), np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.save(path("unicode.npy"), np.array(["ab", "c"]))
    np.save(path("f2.npy"), np.zeros(3, dtype="<f2"))


def npz_files():
    arrays = {
        "images": (np.arange(18) * 14).astype("u1").reshape(2, 3, 3),
        "labels": np.array([3, 0, 9, 2**40], dtype="<i8"),
        "spins": np.where((np.arange(16) * 7) % 3 == 0, 1, -1).astype("i1").reshape(4, 4),
        "x": ramp(24).astype("<f4").reshape(2, 3, 4),
        "mask": np.arange(6) % 2 == 0,
    }
    np.savez(path("savez.npz"), **arrays)
    np.savez_compressed(path("savez_compressed.npz"), **arrays)


def idx_files():
    def idx(code, fmt, shape, values):
        head = struct.pack(">BBBB", 0, 0, code, len(shape)) + struct.pack(">%dI" % len(shape), *shape)
        return head + struct.pack(">%d%s" % (len(values), fmt), *values)

    with open(path("i2_2x3.idx"), "wb") as f:
        f.write(idx(0x0B, "h", (2, 3), [-300, -1, 0, 1, 300, 32767]))
    with open(path("u8_2x2x2.idx"), "wb") as f:
        f.write(idx(0x08, "B", (2, 2, 2), [0, 1, 2, 3, 252, 253, 254, 255]))
    # mtime=0 keeps the gzip bytes reproducible.
    with open(path("f8_4.idx.gz"), "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(idx(0x0E, "d", (4,), list(ramp(4))))
    with open(path("i4_3.idx.gz"), "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(idx(0x0C, "i", (3,), [-2**31, 0, 2**31 - 1]))


def png_files():
    from PIL import Image
    y, x = np.mgrid[0:3, 0:4]
    Image.fromarray(((y * 4 + x) * 20).astype(np.uint8), mode="L").save(path("gray8_3x4.png"))
    y, x = np.mgrid[0:2, 0:3]
    rgb = np.stack([(y * 3 + x) * 10 + c * 50 for c in range(3)], axis=-1).astype(np.uint8)
    Image.fromarray(rgb, mode="RGB").save(path("rgb8_2x3.png"))
    rgba = np.concatenate([rgb, np.full((2, 3, 1), 128, np.uint8)], axis=-1)
    Image.fromarray(rgba, mode="RGBA").save(path("rgba8_2x3.png"))
    g16 = np.array([[0, 1000], [40000, 65535]], dtype=np.uint16)
    Image.fromarray(g16.astype(np.int32), mode="I").convert("I;16").save(path("gray16_2x2.png"))


def hdf5_files():
    import h5py
    with h5py.File(path("h5py.h5"), "w") as f:
        f["images"] = (np.arange(18) * 14).astype("u1").reshape(2, 3, 3)
        g = f.create_group("group")
        g["labels"] = np.array([3, 0, 9, 2**40], dtype="<i8")
        g.create_dataset("sub/spins", data=np.where((np.arange(16) * 7) % 3 == 0, 1, -1)
                         .astype("i1").reshape(4, 4), compression="gzip", chunks=(2, 4))
        f["flags"] = np.arange(6) % 2 == 0
        f["x_be"] = ramp(24).astype(">f4").reshape(2, 3, 4)
        f["scalar"] = np.float64(3.25)
        f["names"] = np.array([b"ab", b"c"])


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    npy_files()
    npz_files()
    idx_files()
    png_files()
    hdf5_files()
    print("wrote", len(os.listdir(OUT)), "files to", OUT)
