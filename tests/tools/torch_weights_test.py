#!/usr/bin/python3
"""ctest torch.w2_weights (label torch): W2 (bench/torch_workloads.py FmnistBN = physcnn's zoo
fmnist_bn) trained a few steps in PyTorch, its state_dict moved with tools/torch_weights.py, and
`physcnn predict` reproduces PyTorch's outputs; then W2 trained a few steps by `physcnn train`,
its weights moved back, and PyTorch reproduces physcnn's outputs. Both within 1e-5 of the largest
output magnitude. Usage: torch_weights_test.py PHYSCNN_BINARY"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "bench"))
from torch_workloads import FmnistBN  # noqa: E402

TOOL = os.path.join(ROOT, "tools", "torch_weights.py")


def rel(a, b):
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30))


def run(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")


def main(binary):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64).astype(np.int64)
    xt = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        # PyTorch -> physcnn: a few Adam steps so that weights and running statistics move.
        model = FmnistBN()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(5):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(torch.from_numpy(xt)), torch.from_numpy(y)).backward()
            opt.step()
        model.eval()
        torch.save(model.state_dict(), os.path.join(tmp, "w2.pt"))
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()
        np.save(os.path.join(tmp, "x.npy"), x)
        run("/usr/bin/python3", TOOL, "to-physcnn", os.path.join(tmp, "w2.pt"), os.path.join(tmp, "w2.safetensors"))
        run(binary, "predict", "--model", "fmnist_bn", "--weights", os.path.join(tmp, "w2.safetensors"),
            "--input", os.path.join(tmp, "x.npy"), "--out", os.path.join(tmp, "p.npy"), "--quiet")
        d = rel(np.load(os.path.join(tmp, "p.npy")), ref)
        print(f"PyTorch-trained W2 in physcnn: relative difference {d:.2e}")
        failed |= not d <= 1e-5

        # physcnn -> PyTorch: `physcnn train` one epoch on random data, weights back to PyTorch.
        np.savez(os.path.join(tmp, "d.npz"), x=xt, y=y)
        with open(os.path.join(tmp, "exp.toml"), "w") as f:
            f.write('model = "fmnist_bn"\nseed = 1\nepochs = 1\nbatch_size = 16\n'
                    '[data]\nformat = "npz"\ntrain = "d.npz"\nx = "x"\ny = "y"\n'
                    '[optimizer]\nname = "adam"\nlr = 0.001\n')
        run(binary, "train", os.path.join(tmp, "exp.toml"), "--out", os.path.join(tmp, "run"), "--quiet",
            "--no-report")
        run(binary, "predict", os.path.join(tmp, "run"), "--input", os.path.join(tmp, "x.npy"),
            "--out", os.path.join(tmp, "q.npy"), "--quiet")
        run("/usr/bin/python3", TOOL, "to-torch", os.path.join(tmp, "run", "model.safetensors"),
            os.path.join(tmp, "back.pt"))
        back = FmnistBN()
        back.load_state_dict(torch.load(os.path.join(tmp, "back.pt")))  # strict: every key, shape
        back.eval()
        with torch.no_grad():
            got = back(torch.from_numpy(x)).numpy()
        d = rel(got, np.load(os.path.join(tmp, "q.npy")))
        print(f"physcnn-trained W2 in PyTorch: relative difference {d:.2e}")
        failed |= not d <= 1e-5
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
