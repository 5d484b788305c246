#!/usr/bin/env bash
# End-to-end checks of the `physcnn` command: exit codes, files written, the main job's output.
# Usage: cli_test.sh PHYSCNN_BINARY CASE
set -u
bin=$1
case_name=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect_exit() {  # expect_exit CODE cmd...
  local want=$1; shift
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  [[ $got -eq $want ]] || { cat "$tmp/out" "$tmp/err"; fail "'$*' exited $got, expected $want"; }
}

case $case_name in
  usage)
    expect_exit 0 "$bin" --help
    expect_exit 0 "$bin" ising --help
    expect_exit 2 "$bin"
    expect_exit 2 "$bin" no-such-command
    expect_exit 2 "$bin" summary no_such_model
    grep -q "the zoo has: lenet5" "$tmp/err" || fail "unknown model message lists the zoo"
    expect_exit 2 "$bin" ising --sizes 2
    expect_exit 2 "$bin" generate ising --L 8 --out "$tmp/x.txt"
    grep -q "must end in .npz" "$tmp/err" || fail "bad --out names the allowed endings"
    expect_exit 2 "$bin" generate ising --L 8 --temps 3:1:4 --out "$tmp/x.npz"
    ;;
  summary)
    expect_exit 0 "$bin" summary tinyvgg
    for s in "(10, 62, 62)" "(10, 60, 60)" "(10, 30, 30)" "(10, 28, 28)" "(10, 26, 26)" "(10, 13, 13)" "Total params: 19,920"; do
      grep -qF "$s" "$tmp/out" || fail "tinyvgg summary lacks $s"
    done
    expect_exit 0 "$bin" summary lenet5
    grep -qF "Total params: 61,706" "$tmp/out" || fail "lenet5 has 61,706 parameters"
    source "$(dirname "$0")/model_file_cases.sh" && model_file_cases
    ;;
  gradcheck)
    expect_exit 0 "$bin" gradcheck lenet5 --coords 20
    expect_exit 0 "$bin" gradcheck ising_cnn --input 1,8,8 --coords 20
    ;;
  generate)
    expect_exit 0 "$bin" generate ising --L 8 --temps 1.5,3.0 --per-temp 16 --out "$tmp/i.npz"
    [[ -s "$tmp/i.npz" ]] || fail "no npz written"
    ls "$tmp" | grep -q tmp && fail "temporary file left behind"
    expect_exit 0 "$bin" generate ising --L 8 --temps 1.5,3.0 --per-temp 16 --out "$tmp/i.h5"
    [[ -s "$tmp/i.h5" ]] || fail "no h5 written"
    ;;
  ising_quick)
    expect_exit 0 "$bin" ising --quick --quiet --out "$tmp/run"
    grep -q "^T_c = " "$tmp/out" || { cat "$tmp/out"; fail "no T_c line"; }
    for f in metrics.json p_ordered.csv L16/model.safetensors L32/configurations.npz \
             index.html p_ordered.png p_ordered.svg crossing.png training.png monte_carlo.png; do
      [[ -s "$tmp/run/$f" ]] || fail "run folder lacks $f"
    done
    [[ -e "$tmp/run/RUNNING" ]] && fail "the live-view marker is left after the run"
    grep -q 'http-equiv="refresh"' "$tmp/run/index.html" && fail "finished report still reloads"
    expect_exit 2 "$bin" ising --quick --exclude 2.3:2.5 --out "$tmp/bad"
    grep -q "must contain T_c" "$tmp/err" || fail "a band without T_c is explained"
    ;;
  ising_protocols)
    expect_exit 0 "$bin" ising --protocol mehta --quick --quiet --out "$tmp/mehta"
    grep -q "critical region" "$tmp/out" || fail "mehta prints the critical-region accuracy"
    [[ -s "$tmp/mehta/mehta.json" ]] || fail "no mehta.json"
    expect_exit 0 "$bin" ising --task temperature --quick --quiet --out "$tmp/temp"
    grep -q "RMSE" "$tmp/out" || fail "regression prints the RMSE"
    [[ -s "$tmp/temp/temperature_regression.json" ]] || fail "no temperature_regression.json"
    ;;
  *) fail "unknown case $case_name" ;;
esac
echo "ok: $case_name"
