#!/bin/sh
# Tracker-hit segmentation from one command: generate the training and held-out sets, train the
# U-Net, evaluate it, and score the thresholding baseline on the same held-out set.
#   examples/tracks/run.sh [physcnn binary]      (default: build/src/physcnn, else physcnn on PATH)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-}
if [ -z "$bin" ]; then
  for b in "$here/../../build/src/physcnn" "$(command -v physcnn || true)"; do
    if [ -n "$b" ] && [ -x "$b" ]; then bin=$b; break; fi
  done
fi
[ -n "$bin" ] || { echo "run.sh: give the physcnn binary as the first argument" >&2; exit 2; }
"$bin" generate tracks --size 64 --events 2000 --seed 1 --out "$here/train.npz"
"$bin" generate tracks --size 64 --events 500 --seed 2 --out "$here/test.npz"
"$bin" train "$here/tracks.toml"
/usr/bin/python3 "$here/baseline.py" "$here/train.npz" "$here/test.npz"
