"""Writes tests/fixtures/roc.safetensors: scores (with ties) and labels of a binary classifier,
with the AUC from counting every (signal, background) pair (ties count 1/2, the Mann-Whitney U
statistic) and the background efficiency at 50 % signal efficiency from a direct threshold scan,
both with numpy only (no sklearn). Read by tests/train/roc_test.cpp. Deterministic; run with
    /usr/bin/python3 tools/ref/roc_ref.py
"""
import numpy as np

from common import save_fixture


def main():
    rng = np.random.default_rng(17)
    n = 301
    labels = (rng.random(n) < 0.4).astype(np.int64)
    # Signal scores higher on average; rounded to 0.05 so that many scores tie across classes.
    scores = np.round((rng.normal(size=n) + 1.2 * labels) * 20) / 20
    sig, bkg = scores[labels == 1], scores[labels == 0]
    greater = (sig[:, None] > bkg[None, :]).sum()
    ties = (sig[:, None] == bkg[None, :]).sum()
    auc = (greater + 0.5 * ties) / (len(sig) * len(bkg))
    # The curve: one point per distinct threshold, from the highest score down.
    tpr, fpr = [0.0], [0.0]
    for t in np.unique(scores)[::-1]:
        tpr.append((sig >= t).mean())
        fpr.append((bkg >= t).mean())
    # Background efficiency where the signal efficiency first reaches 0.5, linear in between.
    for i in range(1, len(tpr)):
        if tpr[i] >= 0.5:
            if tpr[i] == tpr[i - 1]:
                eps_b = fpr[i - 1]
            else:
                eps_b = fpr[i - 1] + (fpr[i] - fpr[i - 1]) * (0.5 - tpr[i - 1]) / (tpr[i] - tpr[i - 1])
            break
    save_fixture("roc", {
        "scores": scores.astype(np.float64),
        "labels": labels,
        "auc": np.array([auc], dtype=np.float64),
        "background_efficiency_at_50": np.array([eps_b], dtype=np.float64),
        "points": np.array([len(tpr)], dtype=np.int64),
    })
    print(f"auc {auc:.6f}, eps_B(0.5) {eps_b:.6f}, {len(tpr)} points, {n} samples")


if __name__ == "__main__":
    main()
