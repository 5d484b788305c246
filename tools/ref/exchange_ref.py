"""PyTorch references for exchanging models with PyTorch (tests/nn/exchange_parity_test.cpp,
tests/cli/exchange_cases.sh).

Writes
- tests/fixtures/exchange.safetensors: `linear3d.*` (nn.Linear on an (N, C, L) input, applied to
  the last dimension: input, weight, bias, output direction g, output, gradients of <g, out>),
  `pool_ceil.*` (ceil-mode pooling whose window is larger than the padded input), `bn.*` (a
  BatchNorm2d state_dict after three training batches, num_batches_tracked int64 with shape [],
  and its evaluation output) and `bn_nostats.*` (BatchNorm1d with track_running_stats=False in
  eval mode, which normalises with the batch's statistics).
- tests/fixtures/exchange_1d/: a 1-d model (model.toml; PyTorch's nn.Sequential of Conv1d, ReLU,
  Flatten, Linear with the same state_dict keys), its weights (weights.safetensors, as PyTorch's
  state_dict), samples x.npy (N, C, L) float32 and labels y.npy int64, the logits PyTorch computes
  (logits.csv, one row per sample) and the mean cross-entropy (loss.txt).
Run: /usr/bin/python3 tools/ref/exchange_ref.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from common import FIXTURE_DIR, save_fixture, seeded


def linear3d(t):
    x = torch.randn(2, 3, 5, dtype=torch.float64, requires_grad=True)
    lin = nn.Linear(5, 4).double()
    y = lin(x)
    g = torch.randn_like(y)
    gx, gw, gb = torch.autograd.grad(y, (x, lin.weight, lin.bias), g)
    for k, v in dict(x=x, weight=lin.weight, bias=lin.bias, g=g, out=y, grad_x=gx, grad_weight=gw,
                     grad_bias=gb).items():
        t["linear3d." + k] = v.detach().float()


def pool_ceil(t):
    # PyTorch accepts these: the output has one window although it is larger than the input.
    x2 = torch.randn(2, 2, 1, 1)
    x1 = torch.randn(2, 2, 2)
    t["pool_ceil.x2"] = x2
    t["pool_ceil.x1"] = x1
    t["pool_ceil.max2d"] = F.max_pool2d(x2, 3, ceil_mode=True)
    t["pool_ceil.avg2d"] = F.avg_pool2d(x2, 3, ceil_mode=True)
    t["pool_ceil.max1d"] = F.max_pool1d(x1, 3, ceil_mode=True)
    t["pool_ceil.avg1d_excl"] = F.avg_pool1d(x1, 3, ceil_mode=True, count_include_pad=False)


def batch_norm(t):
    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
    bn.train()
    for _ in range(3):
        bn(torch.randn(4, 3, 5, 5) * 2 + 1)
    bn.eval()
    x = torch.randn(2, 3, 4, 4)
    for k, v in bn.state_dict().items():
        t["bn." + k] = v  # num_batches_tracked: int64, shape []
    t["bn.x"] = x
    t["bn.out"] = bn(x).detach()

    nostats = nn.BatchNorm1d(3, track_running_stats=False)
    with torch.no_grad():
        nostats.weight.uniform_(0.5, 1.5)
        nostats.bias.uniform_(-0.5, 0.5)
    nostats.eval()
    x = torch.randn(4, 3)
    t["bn_nostats.weight"] = nostats.weight.detach()
    t["bn_nostats.bias"] = nostats.bias.detach()
    t["bn_nostats.x"] = x
    t["bn_nostats.out"] = nostats(x).detach()


MODEL_1D = """# A 1-d model: samples (C, L) = (2, 5); written by tools/ref/exchange_ref.py.
input = [2, 5]
layer = [
  { type = "conv1d", out = 3, kernel = 3, padding = 1 },   # (3, 5)
  { type = "relu" },
  { type = "flatten" },                                     # (15)
  { type = "linear", out = 3 },                             # (3)
]
"""


def one_d():
    out = os.path.join(FIXTURE_DIR, "exchange_1d")
    os.makedirs(out, exist_ok=True)
    model = nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(15, 3))
    x = torch.randn(6, 2, 5)
    y = torch.tensor([0, 1, 2, 0, 1, 2], dtype=torch.int64)
    with torch.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits, y)
    with open(os.path.join(out, "model.toml"), "w") as f:
        f.write(MODEL_1D)
    np.save(os.path.join(out, "x.npy"), x.numpy())
    np.save(os.path.join(out, "y.npy"), y.numpy())
    with open(os.path.join(out, "logits.csv"), "w") as f:
        for row in logits.numpy():
            f.write(",".join("%.9g" % v for v in row) + "\n")
    with open(os.path.join(out, "loss.txt"), "w") as f:
        f.write("%.9g\n" % loss.item())
    path = save_fixture(os.path.join("exchange_1d", "weights"), model.state_dict(),
                        keep_scalar_shapes=True)
    print("wrote", out, "and", path)


def main():
    seeded(20261207)
    t = {}
    linear3d(t)
    pool_ceil(t)
    batch_norm(t)
    print("wrote", save_fixture("exchange", t, keep_scalar_shapes=True))
    one_d()


if __name__ == "__main__":
    main()
