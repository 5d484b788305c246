"""Does the tagger sculpt the jet mass? For each run: the network's P(W) on the held-out jets
against their true jet mass, and the QCD mass distribution before and after the cut that keeps
50 % of the W jets. numpy only. Usage:
    /usr/bin/python3 examples/jets/sculpt.py NAME TEST.npz PRED.npy [NAME TEST.npz PRED.npy ...]
PRED.npy: `physcnn predict RUN --input TEST.npz --out PRED.npy --probabilities` (N, 2).
"""
import sys

import numpy as np

EDGES = np.array([0, 20, 40, 60, 70, 80, 90, 100, 120, 160, 1e9])


def table(name, test, pred):
    d = np.load(test)
    mass, y = d["mass"], d["y"]
    p = np.load(pred)[:, 1]
    cut = np.quantile(p[y == 1], 0.5)  # keeps half of the W jets
    passed = p > cut
    qcd = y == 0
    print(f"== {name}: {len(y)} jets; cut P(W) > {cut:.3f} keeps "
          f"{passed[y == 1].mean():.3f} of W, {passed[qcd].mean():.4f} of QCD")
    print(f"{'mass (GeV)':<12} {'QCD jets':>8} {'<P(W)> QCD':>11} {'<P(W)> W':>9} "
          f"{'QCD kept':>9} {'QCD frac before':>16} {'after cut':>10}")
    n_qcd, n_pass = qcd.sum(), (qcd & passed).sum()
    for lo, hi in zip(EDGES[:-1], EDGES[1:]):
        b = (mass >= lo) & (mass < hi)
        q, w = b & qcd, b & (y == 1)
        label = f"{lo:.0f}-{hi:.0f}" if hi < 1e8 else f">{lo:.0f}"
        mean_q = p[q].mean() if q.any() else float("nan")
        mean_w = p[w].mean() if w.any() else float("nan")
        kept = passed[q].mean() if q.any() else float("nan")
        print(f"{label:<12} {q.sum():>8} {mean_q:>11.3f} {mean_w:>9.3f} {kept:>9.3f} "
              f"{q.sum() / n_qcd:>16.3f} {(q & passed).sum() / max(n_pass, 1):>10.3f}")
    before = mass[qcd].mean()
    after = mass[qcd & passed].mean() if n_pass else float("nan")
    print(f"QCD mean mass {before:.1f} GeV before the cut, {after:.1f} GeV after it")


def main(argv):
    if len(argv) < 3 or len(argv) % 3:
        sys.exit(__doc__)
    for i in range(0, len(argv), 3):
        table(*argv[i:i + 3])


if __name__ == "__main__":
    main(sys.argv[1:])
