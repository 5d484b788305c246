#!/bin/sh
# Toy air-shower reconstruction from one command: generate the square and hexagonal arrays'
# training and held-out sets, train the square CNN, the hexagonal CNN and the fully connected
# baseline, and print each network's test resolutions (docs/airshower.md).
#   examples/airshower/run.sh [physcnn binary]   (default: build/src/physcnn, else physcnn on PATH)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-}
if [ -z "$bin" ]; then
  for b in "$here/../../build/src/physcnn" "$(command -v physcnn || true)"; do
    if [ -n "$b" ] && [ -x "$b" ]; then bin=$b; break; fi
  done
fi
[ -n "$bin" ] || { echo "run.sh: give the physcnn binary as the first argument" >&2; exit 2; }
for grid in square hex; do
  "$bin" generate airshower --grid $grid --n 20000 --seed 1 --out "$here/${grid}_train.npz"
  "$bin" generate airshower --grid $grid --n 5000 --seed 2 --out "$here/${grid}_test.npz"
done
for net in square_cnn hex_cnn dense; do
  "$bin" train "$here/train_$net.toml" --quiet
  echo "$net (test set):"
  "$bin" eval "runs/airshower_$net" | grep -E "resolution"
done
