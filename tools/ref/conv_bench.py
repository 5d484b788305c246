"""PyTorch side of bench/conv_gflops.cpp: GFLOP/s of F.conv2d on the W2 and W4 conv layers,
forward alone and forward + backward (data, weight, bias), float32, 2 threads, median times.
Run: /usr/bin/python3 tools/ref/conv_bench.py
"""
import time

import torch
import torch.nn.functional as F

LAYERS = [("W2", 32, 1, 32, 28), ("W2", 32, 32, 64, 14), ("W4", 8, 1, 16, 64),
          ("W4", 8, 16, 16, 64), ("W4", 8, 16, 32, 32), ("W4", 8, 32, 32, 32),
          ("W4", 8, 32, 64, 16), ("W4", 8, 64, 64, 16)]


def time_it(f, budget=1.0):
    """Best and median seconds over >= 20 runs; the best is the speed on a shared machine."""
    for _ in range(3):
        f()
    times, start = [], time.perf_counter()
    while len(times) < 20 or (time.perf_counter() - start < budget and len(times) < 200):
        a = time.perf_counter()
        f()
        times.append(time.perf_counter() - a)
    times.sort()
    return times[0], times[len(times) // 2]


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    print("GFLOP/s from the best of >= 20 runs (median in parentheses); step = 3x forward FLOPs")
    print(f"{'':4} {'layer (3x3 pad 1)':22} {'fwd ms':>9} {'fwd GF/s':>18} {'step ms':>9} {'step GF/s':>18}")
    for wl, n, ic, oc, hw in LAYERS:
        x = torch.randn(n, ic, hw, hw, requires_grad=True)
        w = torch.randn(oc, ic, 3, 3, requires_grad=True)
        b = torch.randn(oc, requires_grad=True)
        g = torch.randn(n, oc, hw, hw)
        flops = 2.0 * n * oc * hw * hw * ic * 9

        def fwd():
            with torch.no_grad():
                F.conv2d(x, w, b, padding=1)

        def step():
            y = F.conv2d(x, w, b, padding=1)
            x.grad = w.grad = b.grad = None
            y.backward(g)

        tf, ts = time_it(fwd), time_it(step)
        name = f"N{n} {ic}->{oc} @{hw}x{hw}"
        r = lambda f, t: f / t * 1e-9
        print(f"{wl:4} {name:22} {tf[0] * 1e3:9.3f} {r(flops, tf[0]):8.1f} ({r(flops, tf[1]):7.1f}) "
              f"{ts[0] * 1e3:9.3f} {r(3 * flops, ts[0]):8.1f} ({r(3 * flops, ts[1]):7.1f})")


if __name__ == "__main__":
    main()
