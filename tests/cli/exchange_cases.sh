# Models and data exchanged with PyTorch (issue 19), sourced by cli_test.sh (case `exchange`); uses
# its $bin, $tmp, fail and expect_exit. Fixtures: tests/fixtures/exchange_1d (tools/ref/exchange_ref.py).
# close_numbers A B: every number of file A within 1e-5 relative (+1e-6) of the same one in B.
close_numbers() {
  paste -d' ' <(tr ',' '\n' <"$1") <(tr ',' '\n' <"$2") | awk '
    NF != 2 { bad = 1 }
    { d = $1 - $2; if (d < 0) d = -d; m = $2 < 0 ? -$2 : $2; if (d > 1e-6 + 1e-5 * m) bad = 1; n++ }
    END { exit (bad || n == 0) }'
}

exchange_cases() {
  local fx
  fx="$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/exchange_1d" && pwd)"
  # (N, C, L) samples of a 1-d model are read as 1-d: PyTorch's logits and loss.
  expect_exit 0 "$bin" predict --model "$fx/model.toml" --weights "$fx/weights.safetensors" \
    --input "$fx/x.npy" --out "$tmp/p.csv" --quiet
  tail -n +2 "$tmp/p.csv" | cut -d, -f3- >"$tmp/logits.csv"
  close_numbers "$tmp/logits.csv" "$fx/logits.csv" || fail "predict: 1-d logits differ from PyTorch's"
  expect_exit 0 "$bin" eval --model "$fx/model.toml" --weights "$fx/weights.safetensors" \
    --data "$fx/x.npy" --labels "$fx/y.npy" --out "$tmp/e.json"
  grep '^loss ' "$tmp/out" | cut -d' ' -f2 >"$tmp/loss.txt"
  close_numbers "$tmp/loss.txt" "$fx/loss.txt" || fail "eval: 1-d loss differs from PyTorch's"
  # The issue's smallest case: log_softmax over the channels of (N, 2, 5) samples keeps the shape.
  printf 'input = [2, 5]\nlayer = [{ type = "log_softmax", dim = 1 }]\n' >"$tmp/ls.toml"
  printf 'input = [2, 2]\nlayer = [{ type = "log_softmax", dim = 1 }]\n' >"$tmp/ls22.toml"
  printf '\x08\x00\x00\x00\x00\x00\x00\x00{}      ' >"$tmp/none.safetensors"  # no tensors
  expect_exit 0 "$bin" predict --model "$tmp/ls.toml" --weights "$tmp/none.safetensors" \
    --input "$fx/x.npy" --out "$tmp/ls.npy"
  head -c 128 "$tmp/ls.npy" | grep -qF "'shape': (6, 2, 5)" || fail "predict: log_softmax output shape"
  # A sample shape other than the declared input: refused (exit 2) by every command, both named.
  expect_exit 2 "$bin" predict --model "$tmp/ls22.toml" --weights "$tmp/none.safetensors" \
    --input "$fx/x.npy" --out "$tmp/bad.npy"
  grep -qF "shape [2,5]" "$tmp/err" && grep -qF "[2,2]" "$tmp/err" || fail "predict names both shapes"
  [[ -e "$tmp/bad.npy" ]] && fail "a refused predict writes no output"
  expect_exit 2 "$bin" eval --model "$tmp/ls22.toml" --weights "$tmp/none.safetensors" \
    --data "$fx/x.npy" --labels "$fx/y.npy"
  grep -qF "shape [2,5]" "$tmp/err" && grep -qF "[2,2]" "$tmp/err" || fail "eval names both shapes"

  # Training on 1-d data; --init starts from given weights; --epochs 0 evaluates them as they are.
  printf '%s\n' "model = \"$fx/model.toml\"" 'epochs = 1' 'batch_size = 2' '[data]' 'format = "npy"' \
    "train_x = \"$fx/x.npy\"" "train_y = \"$fx/y.npy\"" 'validation = 0.0' 'test_fraction = 0.0' \
    >"$tmp/exp.toml"
  expect_exit 0 "$bin" train "$tmp/exp.toml" --out "$tmp/run1" --quiet --no-report
  printf 'model = "%s"\n' "$tmp/ls22.toml" >"$tmp/exp22.toml"
  tail -n +2 "$tmp/exp.toml" >>"$tmp/exp22.toml"
  expect_exit 2 "$bin" train "$tmp/exp22.toml" --out "$tmp/run22" --quiet --no-report
  grep -qF "shape [2,5]" "$tmp/err" && grep -qF "[2,2]" "$tmp/err" || fail "train names both shapes"
  expect_exit 0 "$bin" train "$tmp/exp.toml" --init "$fx/weights.safetensors" --epochs 0 \
    --out "$tmp/run0" --quiet --no-report
  expect_exit 0 "$bin" eval --model "$fx/model.toml" --weights "$tmp/run0/model.safetensors" \
    --data "$fx/x.npy" --labels "$fx/y.npy" --out "$tmp/e0.json"
  grep '^loss ' "$tmp/out" | cut -d' ' -f2 >"$tmp/loss0.txt"
  close_numbers "$tmp/loss0.txt" "$fx/loss.txt" || fail "--init + --epochs 0 keeps the given weights"
  expect_exit 0 "$bin" train "$tmp/exp.toml" --init "$fx/weights.safetensors" --out "$tmp/run_i" \
    --quiet --no-report
  [[ -s "$tmp/run_i/model.safetensors" ]] || fail "--init: no model.safetensors"
  # Weights of another shape: each mismatched parameter named; --init and --resume exclude each other.
  sed 's/out = 3, kernel = 3/out = 4, kernel = 3/' "$fx/model.toml" >"$tmp/m4.toml"
  printf 'model = "%s"\n' "$tmp/m4.toml" >"$tmp/exp4.toml"
  tail -n +2 "$tmp/exp.toml" >>"$tmp/exp4.toml"
  expect_exit 2 "$bin" train "$tmp/exp4.toml" --init "$fx/weights.safetensors" --out "$tmp/run4" \
    --quiet --no-report
  grep -qF "0.weight: checkpoint has [3,2,3], model has [4,2,3]" "$tmp/err" &&
    grep -qF "3.weight" "$tmp/err" || fail "--init names every mismatched parameter"
  expect_exit 2 "$bin" train "$tmp/exp.toml" --init "$fx/weights.safetensors" --resume "$tmp/run1" \
    --quiet --no-report
}
