"""PyTorch reference for pooling and upsampling: writes tests/fixtures/pool_parity.safetensors.

For every row of the table (the same rows, by name, as ROWS in tests/kernels/pool/cases.hpp) it stores
the float32 input `<row>.x`, an output direction `<row>.g`, the forward `<row>.out` and the
input gradient of <g, out> `<row>.grad`, all computed by PyTorch in float32.
Run: /usr/bin/python3 tools/ref/pool_ref.py
"""
import torch
import torch.nn.functional as F

from common import save_fixture, seeded


def P(k, s=None, p=0, d=1, ceil=False, cip=True):
    return dict(kernel=k, stride=s, padding=p, dilation=d, ceil=ceil, cip=cip)


# name, op, input shape, arguments. Keep in the order and spelling of tests/kernels/pool/cases.hpp.
ROWS = [
    ("max2d_k2", "max_pool2d", (2, 3, 8, 8), P((2, 2))),
    ("max2d_odd_k3s2", "max_pool2d", (2, 2, 7, 9), P((3, 3), (2, 2))),
    ("max2d_k2s3", "max_pool2d", (1, 2, 10, 11), P((2, 2), (3, 3))),
    ("max2d_k3s2p1", "max_pool2d", (2, 2, 6, 7), P((3, 3), (2, 2), (1, 1))),
    ("max2d_dil2", "max_pool2d", (1, 3, 9, 10), P((3, 3), (1, 1), (1, 1), (2, 2))),
    ("max2d_ceil", "max_pool2d", (2, 2, 7, 7), P((2, 2), (2, 2), ceil=True)),
    ("max2d_ceil_k3s2p1", "max_pool2d", (1, 2, 8, 9), P((3, 3), (2, 2), (1, 1), ceil=True)),
    ("max2d_rect", "max_pool2d", (1, 2, 7, 10), P((2, 3), (1, 2), (1, 0))),
    ("avg2d_k2", "avg_pool2d", (2, 3, 8, 8), P((2, 2))),
    ("avg2d_k3s2p1_incl", "avg_pool2d", (2, 2, 7, 9), P((3, 3), (2, 2), (1, 1))),
    ("avg2d_k3s2p1_excl", "avg_pool2d", (2, 2, 7, 9), P((3, 3), (2, 2), (1, 1), cip=False)),
    ("avg2d_ceil_incl", "avg_pool2d", (1, 2, 8, 7), P((3, 3), (2, 2), (1, 1), ceil=True)),
    ("avg2d_ceil_excl", "avg_pool2d", (1, 2, 8, 7), P((3, 3), (2, 2), (1, 1), ceil=True, cip=False)),
    ("avg2d_ceil_k2", "avg_pool2d", (2, 2, 7, 7), P((2, 2), (2, 2), ceil=True)),
    ("avg2d_rect", "avg_pool2d", (1, 2, 6, 9), P((3, 2), (2, 3))),
    ("max1d_k3s2", "max_pool1d", (2, 3, 11), P(3, 2)),
    ("max1d_p1d2_ceil", "max_pool1d", (2, 2, 12), P(3, 2, 1, 2, ceil=True)),
    ("avg1d_k2", "avg_pool1d", (2, 3, 9), P(2)),
    ("avg1d_k3s2p1_ceil_excl", "avg_pool1d", (2, 3, 10), P(3, 2, 1, ceil=True, cip=False)),
    ("global_avg", "global_avg_pool2d", (2, 3, 5, 7), None),
    ("global_max", "global_max_pool2d", (2, 3, 5, 7), None),
    ("nearest_s2", "nearest", (2, 2, 4, 5), dict(scale=(2.0, 2.0))),
    ("nearest_size_5to7", "nearest", (1, 2, 5, 5), dict(size=(7, 7))),
    ("nearest_s1_5", "nearest", (1, 2, 5, 6), dict(scale=(1.5, 2.5))),
    ("nearest_down", "nearest", (1, 2, 7, 8), dict(size=(3, 5))),
    ("nearest_s1_7", "nearest", (1, 2, 4, 5), dict(scale=(1.7, 1.3))),
    ("bilinear_s2", "bilinear", (2, 2, 4, 5), dict(scale=(2.0, 2.0), ac=False)),
    ("bilinear_s2_ac", "bilinear", (2, 2, 4, 5), dict(scale=(2.0, 2.0), ac=True)),
    ("bilinear_size", "bilinear", (1, 2, 5, 6), dict(size=(7, 11), ac=False)),
    ("bilinear_size_ac", "bilinear", (1, 2, 5, 6), dict(size=(7, 11), ac=True)),
    ("bilinear_s1_5", "bilinear", (1, 2, 5, 6), dict(scale=(1.5, 2.5), ac=False)),
    ("bilinear_s1_5_ac", "bilinear", (1, 2, 5, 6), dict(scale=(1.5, 2.5), ac=True)),
    ("bilinear_down", "bilinear", (1, 2, 7, 8), dict(size=(3, 5), ac=False)),
    ("bilinear_s0_7", "bilinear", (1, 2, 8, 9), dict(scale=(0.7, 0.6), ac=False)),
]


def run(op, x, a):
    if op == "max_pool2d":
        return F.max_pool2d(x, a["kernel"], a["stride"], a["padding"], a["dilation"], a["ceil"])
    if op == "avg_pool2d":
        return F.avg_pool2d(x, a["kernel"], a["stride"], a["padding"], a["ceil"], a["cip"])
    if op == "max_pool1d":
        return F.max_pool1d(x, a["kernel"], a["stride"], a["padding"], a["dilation"], a["ceil"])
    if op == "avg_pool1d":
        return F.avg_pool1d(x, a["kernel"], a["stride"], a["padding"], a["ceil"], a["cip"])
    if op == "global_avg_pool2d":
        return F.adaptive_avg_pool2d(x, 1)
    if op == "global_max_pool2d":
        return F.adaptive_max_pool2d(x, 1)
    ac = a.get("ac") if op == "bilinear" else None
    if "size" in a:
        return F.interpolate(x, size=a["size"], mode=op, align_corners=ac)
    return F.interpolate(x, scale_factor=a["scale"], mode=op, align_corners=ac,
                         recompute_scale_factor=None)


def main():
    seeded(20261121)
    tensors = {}
    for name, op, shape, args in ROWS:
        x = torch.randn(*shape, dtype=torch.float32, requires_grad=True)
        y = run(op, x, args)
        g = torch.randn(*y.shape, dtype=torch.float32)
        (grad,) = torch.autograd.grad(y, x, g)
        tensors[name + ".x"] = x.detach()
        tensors[name + ".g"] = g
        tensors[name + ".out"] = y.detach()
        tensors[name + ".grad"] = grad
    path = save_fixture("pool_parity", tensors, {"rows": ",".join(r[0] for r in ROWS)})
    print("wrote", path, len(ROWS), "rows")


if __name__ == "__main__":
    main()
