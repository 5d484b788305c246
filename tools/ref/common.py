"""Shared helpers for the PyTorch reference scripts: deterministic inputs and fixture files.

Fixtures are safetensors files (8-byte little-endian header length, JSON header, raw
little-endian data) so that the C++ tests read them with the same code as model files.
Run with Debian's interpreter: /usr/bin/python3 tools/ref/<script>.py
"""
import json
import os
import struct

import numpy as np
import torch

FIXTURE_VERSION = "1"
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "fixtures"))

_DTYPES = {np.float32: "F32", np.float64: "F64", np.int64: "I64"}


def save_fixture(name, tensors, meta=None, keep_scalar_shapes=False):
    """Writes tests/fixtures/<name>.safetensors from a dict of name -> tensor/ndarray.

    Scalars (shape []) are written with shape [1] unless keep_scalar_shapes (the existing
    fixtures and their tests expect [1]; a PyTorch state_dict's num_batches_tracked is [])."""
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    header, blobs, offset = {}, [], 0
    metadata = {"torch": torch.__version__, "fixture_version": FIXTURE_VERSION}
    for k, v in (meta or {}).items():
        metadata[k] = str(v)
    header["__metadata__"] = metadata
    for key in sorted(tensors):
        v = tensors[key]
        if isinstance(v, torch.Tensor):
            v = v.detach().cpu().numpy()
        shape = np.shape(v)
        v = np.ascontiguousarray(v)  # makes scalars 1-d
        if keep_scalar_shapes:
            v = v.reshape(shape)
        if v.dtype == np.float32:
            tag = "F32"
        elif v.dtype == np.float64:
            tag = "F64"
        elif v.dtype in (np.int64, np.int32):
            v = v.astype("<i8")
            tag = "I64"
        else:
            raise TypeError(f"{key}: unsupported dtype {v.dtype}")
        raw = v.astype(v.dtype.newbyteorder("<")).tobytes()
        header[key] = {"dtype": tag, "shape": list(v.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    path = os.path.join(FIXTURE_DIR, name + ".safetensors")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
    return path


def seeded(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    return torch.Generator().manual_seed(seed)
