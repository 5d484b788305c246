#!/usr/bin/env bash
# Data-parallel training under mpirun (ctest label dist, tests/CMakeLists.txt):
#   equivalence2|equivalence3  the DataParallel.* gtests on 2 or 3 ranks (tests/train/)
#   resume   a 2-rank run's checkpoint continued on 1 and on 3 ranks gives the losses of one
#            uninterrupted single-process run
#   kill     SIGKILL to rank 1 mid-training stops the whole job within seconds, naming the rank;
#            its last checkpoint resumes on 3 ranks
#   throw    a rank that fails (its data file is missing) stops the job, named, with its exit code
# Usage: mpi_train_test.sh MPI(ON|OFF) PHYSCNN TEST_TRAIN CASE. Exit 77 (skip) without MPI.
set -u
mpi=$1 bin=$2 test_train=$3 case=$4
if [[ $mpi != ON ]]; then
  echo "skipped: physcnn was built without MPI (-DPHYSCNN_MPI=OFF)"
  exit 77
fi
if ! command -v mpirun >/dev/null; then
  echo "skipped: no mpirun on PATH (Debian: openmpi-bin)"
  exit 77
fi
# CI runs as root; Open MPI refuses that unless told. One machine: more ranks than cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
mpirun=(mpirun --oversubscribe --bind-to none)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
  echo "FAIL ($case): $*"
  echo "--- stdout"; cat "$tmp/out" 2>/dev/null | tail -20
  echo "--- stderr"; cat "$tmp/err" 2>/dev/null | tail -20
  exit 1
}
now() { date +%s.%N; }

# A small two-class set of Ising lattices and an experiment with no dropout and no batch norm,
# so that any number of ranks trains exactly as one process (docs/mpi.md).
setup() {
  "$bin" generate ising --L 8 --temps 1.5,3.5 --per-temp "$1" --out "$tmp/d.npz" >/dev/null 2>&1 ||
    fail "generate ising"
  cat >"$tmp/exp.toml" <<EOF
model = "ising_cnn"
seed = 3
epochs = $2
batch_size = 12
threads = 1
[data]
format = "npz"
train = "d.npz"
x = "spins"
y = "label"
validation = 0.2
test_fraction = 0.2
[optimizer]
name = "momentum"
lr = 0.05
EOF
}

# Column `name` of metrics.csv, one value per line.
column() {
  awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; ++i) if ($i == name) c = i; next }
                        { print $c }' "$1/metrics.csv"
}

# Fails unless two metrics.csv columns agree to rel. 2e-5 on every epoch (same count of rows).
same_column() {
  local a b
  a=$(column "$1" "$3") b=$(column "$2" "$3")
  [[ -n $a && $(wc -l <<<"$a") -eq $(wc -l <<<"$b") ]] || fail "$3: $1 has $(wc -l <<<"$a") epochs, $2 $(wc -l <<<"$b")"
  paste <(echo "$a") <(echo "$b") | awk -v what="$3 of $1 vs $2" '
    { d = $1 - $2; if (d < 0) d = -d; s = $2 < 0 ? -$2 : $2; if (s < 1) s = 1
      if (d > 2e-5 * s) { printf "%s differ at epoch %d: %s vs %s\n", what, NR, $1, $2; bad = 1 } }
    END { exit bad }' || fail "$3 differ"
}

case $case in
  equivalence2 | equivalence3)
    n=${case#equivalence}
    "${mpirun[@]}" -np "$n" "$test_train" --gtest_filter='DataParallel.*' --gtest_color=no >"$tmp/out" 2>"$tmp/err" ||
      fail "DataParallel tests failed on $n ranks"
    # Every rank ran them (a plain process skips them).
    [[ $(grep -c "\[  PASSED  \] 3 tests" "$tmp/out") -eq $n ]] || fail "not every rank passed 3 tests"
    grep -q "SKIPPED" "$tmp/out" && fail "skipped under mpirun"
    echo "ok: $n ranks train as one process"
    ;;
  resume)
    setup 60 4
    "$bin" train "$tmp/exp.toml" --out "$tmp/one" --quiet --no-report >"$tmp/out" 2>"$tmp/err" ||
      fail "single-process run"
    "${mpirun[@]}" -np 2 "$bin" train "$tmp/exp.toml" --epochs 2 --out "$tmp/two" --quiet \
      --no-report >"$tmp/out" 2>"$tmp/err" || fail "2-rank run"
    [[ $(column "$tmp/two" train_loss | wc -l) -eq 2 ]] || fail "the 2-rank run wrote 2 epochs"
    cp -r "$tmp/two" "$tmp/three"
    "${mpirun[@]}" -np 1 "$bin" train "$tmp/exp.toml" --resume "$tmp/two" --quiet --no-report \
      >"$tmp/out" 2>"$tmp/err" || fail "resume on 1 rank"
    "${mpirun[@]}" -np 3 "$bin" train "$tmp/exp.toml" --resume "$tmp/three" --quiet --no-report \
      >"$tmp/out" 2>"$tmp/err" || fail "resume on 3 ranks"
    for col in train_loss train_accuracy val_loss val_accuracy; do
      same_column "$tmp/two" "$tmp/one" $col
      same_column "$tmp/three" "$tmp/one" $col
    done
    grep -q "^test:" "$tmp/out" || fail "rank 0 prints the test result"
    [[ $(grep -c "^test:" "$tmp/out") -eq 1 ]] || fail "only rank 0 prints"
    [[ -e "$tmp/three/RUNNING" ]] && fail "RUNNING left behind"
    echo "ok: 2-rank checkpoint resumed on 1 and 3 ranks equals one uninterrupted process"
    ;;
  kill)
    setup 400 50
    "${mpirun[@]}" -np 2 "$bin" train "$tmp/exp.toml" --out "$tmp/run" --quiet --no-report \
      >"$tmp/out" 2>"$tmp/err" &
    job=$!
    for _ in $(seq 600); do  # until the first checkpoint exists (at most 60 s)
      [[ -s "$tmp/run/checkpoints/last.safetensors" ]] && break
      sleep 0.1
    done
    [[ -s "$tmp/run/checkpoints/last.safetensors" ]] || fail "no checkpoint after 60 s"
    victim=""
    for p in $(pgrep -P "$job" -f physcnn) $(pgrep -f "$tmp/exp.toml"); do
      if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1"; then
        victim=$p
        break
      fi
    done
    [[ -n $victim ]] || fail "rank 1 not found"
    t0=$(now)
    kill -9 "$victim"
    wait "$job"
    code=$?
    t1=$(now)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    [[ $code -ne 0 ]] || fail "the job ended with 0 after a rank was killed"
    awk -v s="$secs" 'BEGIN { exit !(s < 20) }' || fail "the job took $secs s to stop"
    grep -qi "rank 1" "$tmp/err" "$tmp/out" || fail "the message does not name rank 1"
    echo "killed rank 1: the job stopped in $secs s with exit $code"
    # The checkpoint may be one epoch ahead of metrics.csv: continue two epochs past the csv.
    target=$(($(column "$tmp/run" train_loss | wc -l) + 2))
    "${mpirun[@]}" -np 3 "$bin" train "$tmp/exp.toml" --resume "$tmp/run" --epochs $target \
      --quiet --no-report >"$tmp/out" 2>"$tmp/err" || fail "resume on 3 ranks after the kill"
    [[ $(column "$tmp/run" train_loss | wc -l) -eq $target ]] || fail "resumed to epoch $target"
    echo "ok: resumed on 3 ranks"
    ;;
  throw)
    setup 40 2
    t0=$(now)
    "${mpirun[@]}" -np 1 "$bin" train "$tmp/exp.toml" --out "$tmp/run" --quiet --no-report : \
      -np 1 "$bin" train "$tmp/exp.toml" --out "$tmp/run" --quiet --no-report \
      --set data.train=missing.npz >"$tmp/out" 2>"$tmp/err"
    code=$?
    t1=$(now)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    [[ $code -eq 3 ]] || fail "exit $code, expected 3 (rank 1's data error)"
    grep -q "rank 1 of 2 failed (exit 3)" "$tmp/err" || fail "the failing rank is not named"
    grep -q "missing.npz" "$tmp/err" || fail "the error does not name the file"
    awk -v s="$secs" 'BEGIN { exit !(s < 30) }' || fail "the job took $secs s to stop"
    echo "ok: rank 1's data error stopped the job in $secs s with exit 3"
    ;;
  *)
    echo "unknown case $case"
    exit 2
    ;;
esac
