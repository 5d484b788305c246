"""physcnn vs PyTorch on the benchmark workloads W1-W5, side by side in one run.

For every workload, runs physcnn's runner and bench/torch_workloads.py, each in a fresh process
(so the peak-memory figure belongs to that workload alone) with the same thread count and
timing settings, alternating which goes first from one workload to the next; --rounds repeats
the whole sequence and pools the repetitions. Prints one Markdown table: medians with min-max,
the ratio physcnn/PyTorch of the medians (>1 means physcnn is faster for img/s, and slower or
larger for latency and memory), and GFLOP/s from physcnn's multiply-add count for both.

Run: /usr/bin/python3 bench/compare.py [build/src/physcnn] --threads 2 [--workloads w1,w3]
The binary is `physcnn` (its `bench` subcommand is used) or bench/run_bench.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
IDS = ["w1", "w2", "w3", "w4", "w5"]


def run_physcnn(binary, wid, a):
    cmd = [binary] if os.path.basename(binary).startswith("run_bench") else [binary, "bench"]
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd += ["--workloads", wid, "--threads", str(a.threads), "--json", f.name]
        cmd += ["--quick"] if a.quick else ["--reps", str(a.reps), "--warmup", str(a.warmup),
                                            "--min-time", str(a.min_time)]
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL)
        if done.returncode != 0:
            sys.exit(f"compare.py: {' '.join(cmd)} failed with exit code {done.returncode} "
                     "(an older physcnn without the bench subcommand? try build/bench/run_bench)")
        with open(f.name) as j:
            return json.load(j)["workloads"][0]


def run_torch(wid, a):
    cmd = [sys.executable, os.path.join(HERE, "torch_workloads.py"), "--workloads", wid,
           "--threads", str(a.threads)]
    cmd += ["--quick"] if a.quick else ["--reps", str(a.reps), "--warmup", str(a.warmup),
                                        "--min-time", str(a.min_time)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)["workloads"][0]


def stat(samples):
    s = sorted(samples)
    n = len(s)
    return {"median": s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2]),
            "min": s[0], "max": s[-1]}


def figures(results, cpu):
    """Pools the rounds of one framework and workload into {figure: stat}."""
    pooled = {}

    def add(key, samples):
        pooled.setdefault(key, []).extend(samples)

    for r in results:
        for t in r["train"]:
            add(f"train b{t['batch']} img/s", t["images_per_s"]["samples"])
        add(f"infer b{r['infer']['batch']} img/s", r["infer"]["images_per_s"]["samples"])
        add("latency b1 ms", r["latency_ms"]["samples"])
        if cpu:
            for t in r["train"]:
                add(f"train b{t['batch']} img/CPU-s", t["images_per_cpu_s"]["samples"])
            add(f"infer b{r['infer']['batch']} img/CPU-s", r["infer"]["images_per_cpu_s"]["samples"])
            add("latency b1 CPU-ms", r["latency_cpu_ms"]["samples"])
        add("peak RSS MiB", [r["peak_rss_mib"]])
        add("RSS growth MiB", [r["peak_rss_mib"] - r["rss_before_mib"]])
    return {k: stat(v) for k, v in pooled.items()}


def fmt(x):
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def cell(s):
    return fmt(s["median"]) + (f" [{fmt(s['min'])}–{fmt(s['max'])}]" if s["max"] > s["min"] else "")


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[:3]
    except OSError:
        return ["?"] * 3


def gemm_peak(binary, threads):
    """The machine's sgemm peak in GFLOP/s from bench/gemm_peak next to the runner (None if that
    tool was not built: physcnn without -DPHYSCNN_BUILD_BENCH=ON)."""
    here = os.path.dirname(os.path.abspath(binary))
    for cand in (os.path.join(here, "gemm_peak"), os.path.join(here, "..", "bench", "gemm_peak")):
        if os.path.exists(cand):
            out = subprocess.run([cand, str(threads)], capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                if line.startswith("peak "):
                    return float(line.split()[1])
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary", nargs="?", default="build/src/physcnn",
                    help="physcnn (its bench subcommand) or bench/run_bench")
    ap.add_argument("--workloads", default="all")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--min-time", type=float, default=0.25)
    ap.add_argument("--rounds", type=int, default=1, help="repeat the interleaved sequence")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", help="write the raw results of both frameworks here")
    ap.add_argument("--cpu-time", action="store_true",
                    help="also rows per second of process CPU time (all threads, spinning included): "
                         "robust to other processes' load, meaningful mainly at --threads 1")
    a = ap.parse_args()
    ids = IDS if a.workloads == "all" else [s.strip().lower() for s in a.workloads.split(",")]
    for i in ids:
        if i not in IDS:
            ap.error(f"unknown workload {i!r}; known: {', '.join(IDS)}")
    if not os.path.exists(a.binary):
        ap.error(f"no physcnn binary at {a.binary}")

    start = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    load_start = loadavg()
    peaks = [gemm_peak(a.binary, a.threads)]
    raw = {i: {"physcnn": [], "pytorch": []} for i in ids}
    k = 0
    for rnd in range(a.rounds):
        for i in ids:
            order = ["physcnn", "pytorch"] if k % 2 == 0 else ["pytorch", "physcnn"]
            k += 1
            for fw in order:
                print(f"round {rnd + 1}/{a.rounds}: {i} {fw} ...", file=sys.stderr, flush=True)
                raw[i][fw].append(run_physcnn(a.binary, i, a) if fw == "physcnn" else run_torch(i, a))
    load_end = loadavg()
    peaks.append(gemm_peak(a.binary, a.threads))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(raw, f, indent=1)

    timing = ("--quick: 3 repetitions of 1 step after 1 warm-up step" if a.quick else
              f"{a.reps} repetitions of >= {a.min_time} s after {a.warmup} warm-up steps")
    print(f"physcnn vs PyTorch, {start}, {a.threads} thread(s), {a.rounds} round(s) x {timing}")
    print(f"load average (1/5/15 min) at start {' '.join(load_start)}, at end {' '.join(load_end)}")
    peak = None
    if None not in peaks:
        peak = max(peaks)
        print(f"fp32 GEMM peak (bench/gemm_peak, {a.threads} thread(s)) at start {peaks[0]:.1f}, at end "
              f"{peaks[1]:.1f} GFLOP/s; % of peak below is of the higher")
    print("ratio = physcnn / PyTorch of the medians; GFLOP/s from physcnn's multiply-add count "
          "(forward 2 x MACs, training step 3 x forward)\n")
    print("| workload | figure | physcnn | PyTorch | ratio | GFLOP/s physcnn | GFLOP/s PyTorch |")
    print("|---|---|---|---|---|---|---|")
    for i in ids:
        p0 = raw[i]["physcnn"][0]
        if p0["params"] != raw[i]["pytorch"][0]["params"]:
            print(f"warning: {i} parameter counts differ: physcnn {p0['params']}, "
                  f"PyTorch {raw[i]['pytorch'][0]['params']}", file=sys.stderr)
        fwd = 2.0 * p0["macs_per_sample"]
        fp, ft = figures(raw[i]["physcnn"], a.cpu_time), figures(raw[i]["pytorch"], a.cpu_time)
        name = f"{i} {p0['model']}"
        for key in fp:
            p, t = fp[key], ft[key]
            ratio = p["median"] / t["median"] if t["median"] else float("nan")
            gp = gt = ""
            if "img/" in key:
                mult = 3.0 if key.startswith("train") else 1.0
                gp, gt = fmt(mult * fwd * p["median"] * 1e-9), fmt(mult * fwd * t["median"] * 1e-9)
                if peak and "CPU" not in key:
                    gp += f" ({100 * mult * fwd * p['median'] * 1e-9 / peak:.0f} %)"
                    gt += f" ({100 * mult * fwd * t['median'] * 1e-9 / peak:.0f} %)"
            print(f"| {name} | {key} | {cell(p)} | {cell(t)} | {ratio:.2f} | {gp} | {gt} |")
            name = ""


if __name__ == "__main__":
    main()
