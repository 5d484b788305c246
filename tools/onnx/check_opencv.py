#!/usr/bin/python3
"""Runs every exported case of DIR (DIR/cases.tsv; DIR/<case>/{model.onnx,x.npy,y.npy}, written by
tests/onnx/runtimes_test.cpp) in OpenCV's dnn module (Debian's python3-opencv) and compares with
physcnn's output: max |opencv - physcnn| <= 1e-5 * max |physcnn|. A case whose second column
names a reason is skipped with that reason printed (OpenCV 4.6 lacks the operator or option).
Exit 1 when any case that runs fails."""
import os
import sys

import cv2
import numpy as np


def main(directory):
    failed = ran = 0
    with open(os.path.join(directory, "cases.tsv")) as f:
        cases = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    for name, skip in cases:
        if skip:
            print(f"opencv {cv2.__version__} {name}: SKIP {skip}")
            continue
        d = os.path.join(directory, name)
        x = np.load(os.path.join(d, "x.npy"))
        y = np.load(os.path.join(d, "y.npy"))
        ran += 1
        try:
            net = cv2.dnn.readNetFromONNX(os.path.join(d, "model.onnx"))
            net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
            net.setInput(x)
            got = net.forward()
            if got.size != y.size:
                status = f"FAIL shape {got.shape} vs physcnn {y.shape}"
            else:
                got = got.reshape(y.shape)
                rel = float(np.max(np.abs(got - y)) / max(float(np.max(np.abs(y))), 1e-30))
                status = ("ok   " if rel <= 1e-5 else "FAIL ") + f"relative difference {rel:.2e}"
        except cv2.error as e:
            status = "FAIL " + str(e).strip().splitlines()[-1]
        if status.startswith("FAIL"):
            failed += 1
        print(f"opencv {cv2.__version__} {name}: {status}")
    print(f"{ran - failed} of {ran} cases match in OpenCV ({len(cases) - ran} skipped)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
