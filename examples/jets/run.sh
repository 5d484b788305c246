#!/bin/sh
# W against QCD jet tagging from one command: generate toy jets twice (images preprocessed
# mass-preservingly on the constituents; images preprocessed on the pixels and normalised),
# train the same CNN on each, evaluate (AUC, background rejection at 50 % W efficiency, ROC
# picture), and tabulate the network's output against the jet mass (sculpt.py).
#   examples/jets/run.sh [physcnn binary]      (default: build/src/physcnn, else physcnn on PATH)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-}
if [ -z "$bin" ]; then
  for b in "$here/../../build/src/physcnn" "$(command -v physcnn || true)"; do
    if [ -n "$b" ] && [ -x "$b" ]; then bin=$b; break; fi
  done
fi
[ -n "$bin" ] || { echo "run.sh: give the physcnn binary as the first argument" >&2; exit 2; }
runs=${PHYSCNN_RUNS:-runs}
for variant in constituents image; do
  case $variant in
    constituents) flags="--preprocess constituents" ;;
    image) flags="--preprocess image --normalise" ;;
  esac
  mkdir -p "$here/$variant"
  # shellcheck disable=SC2086  # $flags holds two or three words
  "$bin" generate jets --events 16000 --seed 1 $flags --out "$here/$variant/train.npz" \
    --plot "$here/$variant/masses.png"
  # shellcheck disable=SC2086
  "$bin" generate jets --events 6000 --seed 2 $flags --out "$here/$variant/test.npz"
  "$bin" train "$here/jets.toml" --set "data.train=$variant/train.npz" \
    --set "data.test=$variant/test.npz" --out "$runs/jets-$variant" --force --quiet
  "$bin" eval "$runs/jets-$variant"
  "$bin" predict "$runs/jets-$variant" --input "$here/$variant/test.npz" \
    --out "$runs/jets-$variant/test_predictions.npy" --probabilities --quiet
done
/usr/bin/python3 "$here/sculpt.py" \
  constituents "$here/constituents/test.npz" "$runs/jets-constituents/test_predictions.npy" \
  image "$here/image/test.npz" "$runs/jets-image/test_predictions.npy"
