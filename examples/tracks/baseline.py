"""The thresholding baseline for examples/tracks: a pixel is called a track hit when its charge
exceeds a threshold. The threshold is chosen on the training set (best track IoU) and scored on
the held-out set with the metrics `physcnn eval` reports: pixel accuracy, IoU per class, mean
IoU, efficiency (track pixels found) and purity (found pixels that are track pixels).
Run: /usr/bin/python3 examples/tracks/baseline.py train.npz test.npz
"""
import json
import sys

import numpy as np


def scores(pred, truth):
    tp = np.sum(pred & truth)
    fp = np.sum(pred & ~truth)
    fn = np.sum(~pred & truth)
    tn = np.sum(~pred & ~truth)
    iou_track = tp / max(tp + fp + fn, 1)
    iou_background = tn / max(tn + fn + fp, 1)
    return {
        "accuracy": float((tp + tn) / truth.size),
        "iou": [float(iou_background), float(iou_track)],
        "mean_iou": float((iou_background + iou_track) / 2),
        "efficiency": float(tp / max(tp + fn, 1)),
        "purity": float(tp / max(tp + fp, 1)),
    }


def load(path):
    with np.load(path) as f:
        x = f["x"].reshape(f["x"].shape[0], -1)
        y = f["y"].reshape(x.shape) > 0
    return x, y


def main():
    train_x, train_y = load(sys.argv[1])
    test_x, test_y = load(sys.argv[2])
    thresholds = np.concatenate([[0.0], np.linspace(0.05, 3.0, 60)])
    best = max(thresholds, key=lambda t: scores(train_x > t, train_y)["iou"][1])
    result = scores(test_x > best, test_y)
    result["threshold"] = float(best)
    result["any_hit"] = scores(test_x > 0, test_y)  # the threshold at zero: every hit is a track
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
