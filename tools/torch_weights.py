#!/usr/bin/python3
"""Moves weights between PyTorch and physcnn (Debian's python3-torch; run with /usr/bin/python3).

  tools/torch_weights.py to-physcnn model.pt weights.safetensors
      A PyTorch state_dict (torch.save(model.state_dict(), ...)) or a whole saved nn.Module as
      physcnn safetensors; the keys stay PyTorch's (physcnn's layer names are its state_dict keys).
  tools/torch_weights.py to-torch weights.safetensors model.pt
      physcnn safetensors as a state_dict for model.load_state_dict(torch.load("model.pt")):
      num_batches_tracked becomes PyTorch's int64 scalar.

Floating tensors are written as float32 (physcnn's dtype), integer ones as int64. Other
metadata of a physcnn file (the input normalisation) is kept in the .pt under "__metadata__"
only when --keep-metadata is given, since load_state_dict would refuse the extra key."""
import argparse
import json
import struct
import sys

import torch

DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "I64": (torch.int64, 8),
          "I32": (torch.int32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2)}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    out = {}
    for key, info in header.items():
        if info["dtype"] not in DTYPES:
            sys.exit(f"{path}: tensor {key} has dtype {info['dtype']}, which this tool does not read")
        dtype, _ = DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype) if end > begin else \
            torch.empty(0, dtype=dtype)
        out[key] = t.reshape(info["shape"]).clone()
    return out, meta


def write_safetensors(path, tensors, meta=None):
    header, chunks, offset = {}, [], 0
    for key in sorted(tensors):
        t = tensors[key].detach().cpu().contiguous()
        if t.is_floating_point():
            t, name = t.to(torch.float32), "F32"
        else:
            t, name = t.to(torch.int64), "I64"
        data = t.numpy().tobytes()
        header[key] = {"dtype": name, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if meta:
        header["__metadata__"] = meta
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for c in chunks:
            f.write(c)


def load_state_dict(path):
    obj = torch.load(path, map_location="cpu", weights_only=False)
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        sys.exit(f"{path}: expected a state_dict (name -> tensor) or an nn.Module, got {type(obj).__name__}")
    return obj


def to_physcnn(src, dst):
    write_safetensors(dst, load_state_dict(src))


def to_torch(src, dst, keep_metadata=False):
    tensors, meta = read_safetensors(src)
    state = {}
    for key, t in tensors.items():
        if key.endswith("num_batches_tracked"):
            t = t.to(torch.int64).reshape([])
        state[key] = t
    if keep_metadata and meta:
        state["__metadata__"] = meta
    torch.save(state, dst)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("direction", choices=["to-physcnn", "to-torch"])
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--keep-metadata", action="store_true")
    a = p.parse_args()
    if a.direction == "to-physcnn":
        to_physcnn(a.src, a.dst)
    else:
        to_torch(a.src, a.dst, a.keep_metadata)


if __name__ == "__main__":
    main()
