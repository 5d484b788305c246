"""Reference p4 / p4m lifting and group convolutions in PyTorch, written independently of the C++
index arithmetic: filter banks from torch.rot90 and torch.flip, group elements as 2x2 integer
matrices. Writes tests/fixtures/group_conv.safetensors (float64): per row the input x, weight w,
bias b, an output direction g, and PyTorch's output y and gradients dx, dw, db of sum(g * y).
Read by tests/nn/group_parity_test.cpp. Run: /usr/bin/python3 tools/ref/group_ref.py
"""
import numpy as np
import torch
import torch.nn.functional as F

from common import save_fixture, seeded

R = np.array([[0, -1], [1, 0]])  # a quarter turn
M = np.array([[-1, 0], [0, 1]])  # a mirror


def elements(order):
    """Element e = 4 m + k is r^k f^m, as a matrix (first the mirror, then the turns)."""
    return [np.linalg.matrix_power(R, e % 4) @ np.linalg.matrix_power(M, e // 4) for e in range(order)]


def index_of(mats, a):
    return next(i for i, m in enumerate(mats) if (m == a).all())


def transform(w, e):
    """T_e on the last two dims: numpy.fliplr if mirrored, then e % 4 turns (numpy.rot90)."""
    if e >= 4:
        w = torch.flip(w, dims=[-1])
    return torch.rot90(w, e % 4, dims=[-2, -1])


def lift_bank(w, order):
    # bank[c, r] = T_r w[c]  ->  (OC * G, IC, K, K), channel c * G + r
    return torch.stack([transform(w, r) for r in range(order)], dim=1).flatten(0, 1)


def group_bank(w, order):
    # bank[c, r, i, h] = T_r w[c, i, r^-1 h]  ->  (OC * G, IC * G, K, K)
    mats = elements(order)
    rows = []
    for r in range(order):
        inv = np.round(np.linalg.inv(mats[r])).astype(int)
        perm = [index_of(mats, inv @ mats[h]) for h in range(order)]
        rows.append(transform(w[:, :, perm], r))  # (OC, IC, G, K, K)
    return torch.stack(rows, dim=1).flatten(0, 1).flatten(1, 2)


ROWS = [
    # name, lifting, order, in fields, out fields, size, kernel, stride, padding, groups, bias
    ("lift_p4m", True, 8, 2, 3, 6, 3, 1, 1, 1, True),
    ("lift_p4_even", True, 4, 1, 2, 5, 2, 1, 1, 1, True),
    ("gconv_p4_stride2", False, 4, 2, 2, 7, 3, 2, 1, 1, True),
    ("gconv_p4m_groups2", False, 8, 4, 2, 5, 3, 1, 1, 2, False),
]


def main():
    seeded(0)
    tensors = {}
    for name, lifting, order, fin, fout, size, k, stride, pad, groups, bias in ROWS:
        cin = fin if lifting else fin * order
        x = torch.randn(2, cin, size, size, dtype=torch.float64, requires_grad=True)
        wshape = (fout, fin // groups, k, k) if lifting else (fout, fin // groups, order, k, k)
        w = torch.randn(*wshape, dtype=torch.float64, requires_grad=True)
        b = torch.randn(fout, dtype=torch.float64, requires_grad=True) if bias else None
        bank = lift_bank(w, order) if lifting else group_bank(w, order)
        bb = b.repeat_interleave(order) if bias else None
        y = F.conv2d(x, bank, bb, stride=stride, padding=pad, groups=groups)
        g = torch.randn_like(y)
        (y * g).sum().backward()
        tensors.update({f"{name}.x": x, f"{name}.w": w, f"{name}.g": g, f"{name}.y": y,
                        f"{name}.dx": x.grad, f"{name}.dw": w.grad})
        if bias:
            tensors.update({f"{name}.b": b, f"{name}.db": b.grad})
    print(save_fixture("group_conv", tensors))


if __name__ == "__main__":
    main()
