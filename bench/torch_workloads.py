"""The benchmark workloads W1-W5 (bench/README.md) in PyTorch, measured exactly as physcnn's runner
(src/cli/bench_workloads.cpp): same models layer for layer, same batches, optimizers, warm-up,
calibration and repetitions. Prints one JSON document in the layout of `physcnn bench --json`.

Run: /usr/bin/python3 bench/torch_workloads.py --threads 2 --workloads w1,w3 [--quick]
"""
import argparse
import json
import math
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "ref"))
from model_ref import LeNet5, UNetSmall  # noqa: E402  (W1 and W4, shared with the parity tests)


class FmnistBN(nn.Module):
    """W2: src/nn/models/zoo.cpp fmnist_bn."""

    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class IsingCNN(nn.Module):
    """W3: src/nn/models/zoo.cpp ising_cnn (circular padding keeps the periodic boundary)."""

    def __init__(self, classes=2):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, padding_mode="circular"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1, padding_mode="circular"), nn.ReLU())
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class TinyVGG(nn.Module):
    """W5: src/nn/models/zoo.cpp tinyvgg."""

    def __init__(self, cin=3, classes=10):
        super().__init__()

        def block(c):
            return nn.Sequential(nn.Conv2d(c, 10, 3), nn.ReLU(), nn.Conv2d(10, 10, 3), nn.ReLU(),
                                 nn.MaxPool2d(2))

        self.conv_block_1 = block(cin)
        self.conv_block_2 = block(10)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(1690, classes))

    def forward(self, x):
        return self.classifier(self.conv_block_2(self.conv_block_1(x)))


# id: model, input, train batches, inference batch, classes, per-pixel, spins, optimizer, lr
WORKLOADS = {
    "w1": ("lenet5", LeNet5, (1, 28, 28), (32, 128), 256, 10, False, False, "sgd_momentum", 0.01),
    "w2": ("fmnist_bn", FmnistBN, (1, 28, 28), (32, 128), 256, 10, False, False, "adam", 1e-3),
    "w3": ("ising_cnn", IsingCNN, (1, 32, 32), (32, 128), 256, 2, False, True, "sgd_momentum", 0.01),
    "w4": ("unet_small", UNetSmall, (1, 64, 64), (8, 32), 32, 2, True, False, "adam", 1e-3),
    "w5": ("tinyvgg", TinyVGG, (3, 64, 64), (32, 128), 256, 10, False, False, "sgd", 0.01),
}


def status_mib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def reset_peak_rss():
    """Resets VmHWM to the current RSS (Linux >= 4.0), as physcnn's runner does."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def time_series(step, reps, warmup, min_rep_seconds):
    """Wall and CPU seconds per call over reps repetitions; physcnn's time_series, line for line."""
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    step()
    once = max(time.perf_counter() - t0, 1e-9)
    calls = min(max(int(math.ceil(min_rep_seconds / once)), 1), 100000)
    per_call, cpu_per_call = [], []
    for _ in range(reps):
        c0 = time.process_time()  # CPU time of every thread, as CLOCK_PROCESS_CPUTIME_ID
        t0 = time.perf_counter()
        for _ in range(calls):
            step()
        per_call.append((time.perf_counter() - t0) / calls)
        cpu_per_call.append((time.process_time() - c0) / calls)
    return calls, per_call, cpu_per_call


def stat(samples):
    s = sorted(samples)
    n = len(s)
    median = s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])
    return {"median": median, "min": s[0], "max": s[-1], "samples": list(samples)}


def make_batch(w, n, g):
    _, _, shape, _, _, classes, per_pixel, spins, _, _ = w
    x = torch.randn((n,) + shape, generator=g)
    if spins:
        x = torch.where(x < 0, -1.0, 1.0)
    y = torch.randint(0, classes, (n, shape[1], shape[2]) if per_pixel else (n,), generator=g)
    return x, y


def run_workload(wid, reps, warmup, min_time, seed):
    w = WORKLOADS[wid]
    name, cls, shape, train_batches, infer_batch, _, _, _, opt_name, lr = w
    reset = reset_peak_rss()
    before = status_mib("VmRSS")
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed + 1)
    model = cls()
    if opt_name == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9 if opt_name == "sgd_momentum" else 0.0)
    loss_fn = nn.CrossEntropyLoss()
    out = {"id": wid, "model": name, "input": list(shape), "optimizer": opt_name,
           "params": sum(p.numel() for p in model.parameters()), "train": []}

    model.train()
    for n in train_batches:
        x, y = make_batch(w, n, g)
        last = [0.0]

        def step():
            opt.zero_grad(set_to_none=True)  # physcnn's zero_grad leaves gradients undefined
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            last[0] = loss.item()

        calls, per_call, cpu = time_series(step, reps, warmup, min_time)
        if not math.isfinite(last[0]):
            raise RuntimeError(f"{wid}: training loss became {last[0]} at batch {n}")
        out["train"].append({"batch": n, "steps_per_rep": calls,
                             "images_per_s": stat([n / t for t in per_call]),
                             "images_per_cpu_s": stat([n / t for t in cpu])})
    opt.zero_grad(set_to_none=True)

    model.eval()
    with torch.no_grad():
        x, _ = make_batch(w, infer_batch, g)
        calls, per_call, cpu = time_series(lambda: model(x), reps, warmup, min_time)
        out["infer"] = {"batch": infer_batch, "steps_per_rep": calls,
                        "images_per_s": stat([infer_batch / t for t in per_call]),
                        "images_per_cpu_s": stat([infer_batch / t for t in cpu])}
        x, _ = make_batch(w, 1, g)
        calls, per_call, cpu = time_series(lambda: model(x), reps, warmup, min_time)
        out["latency_ms"] = stat([1e3 * t for t in per_call])
        out["latency_cpu_ms"] = stat([1e3 * t for t in cpu])
        out["latency_steps_per_rep"] = calls
    out["rss_before_mib"] = before
    out["peak_rss_mib"] = status_mib("VmHWM")
    out["peak_reset"] = reset
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default="all", help="comma-separated w1..w5 or all")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--min-time", type=float, default=0.25)
    ap.add_argument("--quick", action="store_true", help="3 repetitions of 1 step, 1 warm-up step")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.quick:
        a.reps, a.warmup, a.min_time = 3, 1, 0.0
    torch.set_num_threads(a.threads)
    ids = list(WORKLOADS) if a.workloads == "all" else [s.strip().lower() for s in a.workloads.split(",")]
    for i in ids:
        if i not in WORKLOADS:
            ap.error(f"unknown workload {i!r}; known: {', '.join(WORKLOADS)}")
    doc = {"framework": "pytorch " + torch.__version__, "threads": torch.get_num_threads(),
           "options": {"reps": a.reps, "warmup": a.warmup, "min_rep_seconds": a.min_time, "seed": a.seed},
           "workloads": [run_workload(i, a.reps, a.warmup, a.min_time, a.seed) for i in ids]}
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
