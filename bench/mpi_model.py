#!/usr/bin/env python3
"""Cost model of data-parallel training with MPI (docs/mpi.md, "Cost model").

Reads the single-rank step times measured by `physcnn bench --json FILE` (default:
bench/mpi_steps.json, committed with the figures quoted in docs/mpi.md) and prints, for every
workload W1-W5, the bytes all-reduced per step, the ring all-reduce time on 100 Gb/s InfiniBand
and the predicted weak-scaling efficiency on 8, 64 and 512 nodes (one rank per node, the
per-rank batch fixed), without and with overlap of the all-reduce and the backward pass, and the
per-rank batch below which communication takes longer than the computation.

Model (every input is a flag):
  bytes per step     n = 4 * parameters (float32 gradients, one all-reduce per step)
  ring all-reduce    t_comm(p) = 2 (p-1)/p * n / B + 2 (p-1) * alpha
  compute            t_step(b) = t0 + b * c, fitted through the two measured batches
                     (wall seconds per step of one rank; --cpu-time: CPU seconds)
  overlap            buckets all-reduced during the backward pass, which takes `backward`
                     (2/3) of the step: exposed = max(0, t_comm - overlap * backward * t_step)
  efficiency         t_step / (t_step + exposed)
  break-even batch   smallest b with t_step(b) >= t_comm(p) (no overlap)

Plain Python 3 (no numpy, no torch).
"""
import argparse
import json
import math
import os
import sys


def step_model(workload, use_cpu_time):
    """(t0, c): seconds per step = t0 + batch * c, through the measured training batches."""
    key = "images_per_cpu_s" if use_cpu_time else "images_per_s"
    points = []
    for f in workload["train"]:
        rate = f[key]["median"]
        if rate > 0:
            points.append((f["batch"], f["batch"] / rate))
    if not points:
        sys.exit(f"{workload['id']}: no training figures in the input")
    points.sort()
    if len(points) == 1:
        b, t = points[0]
        return 0.0, t / b
    (b1, t1), (b2, t2) = points[0], points[-1]
    c = (t2 - t1) / (b2 - b1)
    if c <= 0:  # noise: fall back to proportional time
        c, t0 = t2 / b2, 0.0
    else:
        t0 = max(0.0, t1 - b1 * c)
    return t0, c


def ring_allreduce(n_bytes, p, bandwidth, alpha, log_latency=False):
    if p <= 1:
        return 0.0
    steps = 2.0 * math.ceil(math.log2(p)) if log_latency else 2.0 * (p - 1)
    return 2.0 * (p - 1) / p * n_bytes / bandwidth + steps * alpha


def fmt_time(s):
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.0f} µs"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("steps", nargs="?", default=os.path.join(here, "mpi_steps.json"),
                    help="output of `physcnn bench --json` (default: bench/mpi_steps.json)")
    ap.add_argument("--nodes", default="8,64,512", help="node counts (one rank per node)")
    ap.add_argument("--batch", type=int, default=32, help="per-rank batch of the table")
    ap.add_argument("--gbit", type=float, default=100.0, help="link speed in Gb/s (100: EDR IB)")
    ap.add_argument("--efficiency-of-link", type=float, default=0.9,
                    help="fraction of the link MPI reaches for large messages (0.9)")
    ap.add_argument("--alpha", type=float, default=2e-6,
                    help="latency per ring step in seconds (2 µs: MPI over InfiniBand)")
    ap.add_argument("--backward", type=float, default=2.0 / 3.0,
                    help="share of the step spent in the backward pass")
    ap.add_argument("--overlap", type=float, default=1.0,
                    help="share of the backward pass the all-reduce can hide behind (1: all)")
    ap.add_argument("--node-speedup", type=float, default=1.0,
                    help="a node computes this many times faster than the measured rank")
    ap.add_argument("--log-latency", action="store_true",
                    help="latency 2 log2(p) alpha (Rabenseifner: reduce-scatter and all-gather by "
                         "recursive halving and doubling) instead of the ring's 2 (p-1) alpha")
    ap.add_argument("--cpu-time", action="store_true",
                    help="use images per CPU second (one thread's work, robust on a loaded "
                         "machine) instead of the wall-clock images/s")
    a = ap.parse_args()

    with open(a.steps) as f:
        doc = json.load(f)
    nodes = [int(x) for x in a.nodes.split(",")]
    bandwidth = a.gbit * 1e9 / 8 * a.efficiency_of_link  # bytes/s
    if "source" in doc:
        print(f"# measured: {doc['source']}")
    print(f"# input: {os.path.relpath(a.steps)} (physcnn bench, {doc.get('threads', '?')} "
          f"thread(s) per rank; {'CPU' if a.cpu_time else 'wall'} seconds per step)")
    print(f"# link {a.gbit:g} Gb/s at {a.efficiency_of_link:g} -> B = {bandwidth / 1e9:.2f} GB/s, "
          f"alpha = {a.alpha * 1e6:g} µs, backward = {a.backward:.2f} of the step, overlap "
          f"{a.overlap:g}, node speed-up {a.node_speedup:g}, latency "
          f"{'2 log2(p)' if a.log_latency else '2 (p-1)'} alpha")
    print(f"# per-rank batch {a.batch}; efficiency = compute / (compute + exposed communication)")
    print()
    head = ["workload", "params", "MB/step", f"step (b={a.batch})", "nodes", "all-reduce",
            "efficiency", "with overlap", "b*"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for w in doc["workloads"]:
        t0, c = step_model(w, a.cpu_time)
        t0 /= a.node_speedup
        c /= a.node_speedup
        n = 4.0 * w["params"]
        t_step = t0 + a.batch * c
        for k, p in enumerate(nodes):
            t_comm = ring_allreduce(n, p, bandwidth, a.alpha, a.log_latency)
            eff = t_step / (t_step + t_comm)
            hidden = a.overlap * a.backward * t_step
            eff_ovl = t_step / (t_step + max(0.0, t_comm - hidden))
            # "-": even one sample per rank computes longer than the all-reduce takes.
            b_star = str(math.ceil((t_comm - t0) / c)) if t_comm > t0 + c else "-"
            first = [f"{w['id']} {w['model']}", f"{w['params']:,}", f"{n / 1e6:.3f}",
                     fmt_time(t_step)] if k == 0 else ["", "", "", ""]
            print("| " + " | ".join(first + [str(p), fmt_time(t_comm), f"{eff:.1%}",
                                             f"{eff_ovl:.1%}", b_star]) + " |")
    print()
    print("b*: per-rank batch below which one all-reduce takes longer than the step's computation "
          "(communication dominates without overlap); -: not even at batch 1.")


if __name__ == "__main__":
    main()
