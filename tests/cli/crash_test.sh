#!/usr/bin/env bash
# Crash safety of `physcnn train` (docs/safety.md, "Crash safety"): SIGKILL at random moments, the run
# folder lock, a full disk. Usage: crash_test.sh PHYSCNN_BINARY CASE
# (CASE: kill, lock, disk_full). PHYSCNN_CRASH_SEED=N repeats one sequence of kill moments.
set -u
bin=$1
case_name=$2
tmp=$(mktemp -d)
py=/usr/bin/python3
cleanup() {
  [[ -n ${pid:-} ]] && kill -KILL "$pid" 2>/dev/null
  mountpoint -q "$tmp/disk" 2>/dev/null && umount "$tmp/disk"
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect_exit() {  # expect_exit CODE cmd...
  local want=$1; shift
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  [[ $got -eq $want ]] || { cat "$tmp/out" "$tmp/err"; fail "'$*' exited $got, expected $want"; }
}

# A tiny data set, and a model whose checkpoints (weights + Adam state, ~6 MB) take a good part
# of each short epoch to write, so that random kills often land inside a checkpoint write.
make_experiment() {  # make_experiment EPOCHS
  expect_exit 0 "$bin" generate ising --L 8 --temps 1.5,3.5 --per-temp 24 --out "$tmp/d.npz"
  printf '%s\n' 'input = [1, 8, 8]' 'layer = [' '  { type = "flatten" },' \
    '  { type = "linear", out = 8192 },' '  { type = "relu" },' '  { type = "linear", out = 2 },' \
    ']' >"$tmp/m.toml"
  printf '%s\n' 'model = "m.toml"' 'seed = 3' "epochs = $1" 'batch_size = 16' \
    '[data]' 'format = "npz"' 'train = "d.npz"' 'x = "spins"' \
    'y = "label"' 'validation = 0.25' '[optimizer]' 'name = "adam"' 'lr = 0.001' \
    '[checkpoint]' 'every = 1' >"$tmp/e.toml"
}

# Every file under a final name is whole: metrics.json/csv, the npz and the safetensors files
# parse completely (and the run resumes from last.safetensors); anything else is a temporary
# of the killed process (counted in $in_write) or of one killed before it.
check_folder() {  # check_folder RUN KILLED_PID
  local run=$1 dead=$2 f
  while IFS= read -r f; do
    case ${f#"$run"/} in
      experiment.toml | model.toml | summary.txt | metrics.csv | metrics.json | samples.npz | \
        RUNNING | eval.json | model.safetensors | checkpoints/last.safetensors | \
        checkpoints/best.safetensors) ;;
      *.tmp."$dead") in_write=$((in_write + 1)) ;;
      # An earlier killed run's, when this run was killed before it cleaned the folder up.
      *.tmp.*) [[ " $killed " == *" ${f##*.tmp.} "* ]] || fail "unexpected file $f after a kill" ;;
      *) fail "unexpected file $f after a kill" ;;
    esac
  done < <(find "$run" -type f)
  $py - "$run" <<'EOF' || fail "a final-named file in $run is damaged"
import json, sys, os, numpy
run = sys.argv[1]
p = lambda n: os.path.join(run, n)
if os.path.exists(p("metrics.json")):
    epochs = json.load(open(p("metrics.json")))["epochs"]
    rows = open(p("metrics.csv")).read().splitlines()  # written just before metrics.json
    assert len(rows) - 1 >= len(epochs) and len({r.count(",") for r in rows}) == 1, rows
    assert [int(r.split(",")[0]) for r in rows[1:]] == list(range(1, len(rows))), rows
if os.path.exists(p("samples.npz")):
    z = numpy.load(p("samples.npz"))
    assert z["x"].shape[0] == z["y"].shape[0] > 0
if os.path.exists(p("eval.json")):
    json.load(open(p("eval.json")))
for n in ("experiment.toml", "model.toml"):
    if os.path.exists(p(n)):
        assert open(p(n)).read().endswith("\n"), n
# Weights and checkpoints: a whole safetensors file (header, every tensor's bytes, nothing
# more); physcnn itself loads last.safetensors when the run is resumed.
for n in ("checkpoints/last.safetensors", "checkpoints/best.safetensors", "model.safetensors"):
    if os.path.exists(p(n)):
        b = open(p(n), "rb").read()
        size = int.from_bytes(b[:8], "little")
        header = json.loads(b[8:8 + size])
        end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
        assert 8 + size + end == len(b), (n, len(b))
        if n.startswith("checkpoints/"):
            assert header["__metadata__"]["format"] == "physcnn-checkpoint-1", n
EOF
}

# The training columns of metrics.csv (timings dropped: seconds, images_per_second).
losses() { rev "$1" | cut -d, -f3- | rev; }

case $case_name in
  kill)
    seed=${PHYSCNN_CRASH_SEED:-$$}
    RANDOM=$seed
    echo "kill moments from seed $seed (PHYSCNN_CRASH_SEED=$seed repeats them)"
    make_experiment 100
    t0=$(date +%s%N)
    expect_exit 0 "$bin" --threads 1 train "$tmp/e.toml" --out "$tmp/ref" -q --no-report
    echo "uninterrupted run: $((($(date +%s%N) - t0) / 1000000)) ms"
    in_write=0 kills=0 starts=0 killed=
    # 24 kills at random moments, each followed by the checks; the run is resumed (or started
    # anew when no checkpoint was written yet) until it ends.
    while :; do
      args=(--out "$tmp/r")
      [[ -e "$tmp/r/checkpoints/last.safetensors" ]] && args=(--resume "$tmp/r")
      "$bin" --threads 1 train "$tmp/e.toml" "${args[@]}" -q --no-report >"$tmp/out" 2>"$tmp/err" &
      pid=$!
      starts=$((starts + 1))
      if ((kills >= 24)); then
        wait "$pid"
        code=$?
        pid=
        [[ $code -eq 0 ]] || { cat "$tmp/err"; fail "the last resume exited $code"; }
        break
      fi
      # Between 30 and 700 ms: from start-up through several epochs and their checkpoints.
      sleep "0.$(printf %03d $((30 + RANDOM % 670)))"
      kill -KILL "$pid" 2>/dev/null
      wait "$pid"
      code=$?
      dead=$pid
      killed="$killed $dead"
      pid=
      if [[ $code -eq 137 ]]; then
        kills=$((kills + 1))
      elif [[ $code -ne 0 ]]; then
        cat "$tmp/err"; fail "run $starts exited $code before the kill"
      fi
      [[ -d "$tmp/r" ]] && check_folder "$tmp/r" "$dead"
      # A run that ended before its kill: start anew, or every later start would resume a
      # finished run, exit at once and rarely meet a kill (minutes under load).
      [[ $code -eq 0 ]] && rm -rf "$tmp/r"
      if [[ -e "$tmp/r/metrics.csv" ]]; then
        [[ -e "$tmp/r/checkpoints/last.safetensors" ]] || fail "metrics.csv without a checkpoint"
      fi
    done
    echo "$kills kills in $starts starts, $in_write inside a file write (a temporary was left)"
    ((in_write >= 3)) || fail "only $in_write of $kills kills landed inside a write"
    # The resumed run ends as the uninterrupted one: the same losses and metrics for every
    # epoch, the same final weights byte for byte; nothing temporary is left.
    diff <(losses "$tmp/ref/metrics.csv") <(losses "$tmp/r/metrics.csv") ||
      fail "the killed and resumed run's metrics differ from the uninterrupted run's"
    cmp "$tmp/ref/model.safetensors" "$tmp/r/model.safetensors" ||
      fail "the killed and resumed run's final weights differ from the uninterrupted run's"
    cmp "$tmp/ref/eval.json" "$tmp/r/eval.json" || fail "eval.json differs"
    [[ -z $(find "$tmp/r" -name '*.tmp.*') ]] || fail "temporaries left after the final run"
    [[ -e "$tmp/r/RUNNING" ]] && fail "RUNNING left after the final run"
    ;;
  lock)
    make_experiment 100000
    "$bin" --threads 1 train "$tmp/e.toml" --out "$tmp/r" -q --no-report >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 200); do [[ -e "$tmp/r/checkpoints/last.safetensors" ]] && break; sleep 0.05; done
    [[ -e "$tmp/r/checkpoints/last.safetensors" ]] || fail "no checkpoint within 10 s"
    # A second writer of the same folder is refused, naming the folder and the holder's PID.
    for how in "--out $tmp/r" "--resume $tmp/r" "--out $tmp/r --force"; do
      # shellcheck disable=SC2086
      expect_exit 2 "$bin" train "$tmp/e.toml" $how -q --no-report
      grep -qF "run folder $tmp/r is in use: process $pid is training into it" "$tmp/err" ||
        { cat "$tmp/err"; fail "train $how while the folder is in use: no clear refusal"; }
    done
    kill -0 "$pid" || fail "the refused runs disturbed the running one"
    # Killed: the lock goes with the process; a temporary of a dead process is removed at the
    # next start, one of a living process is kept; resume says the previous run was killed.
    kill -KILL "$pid"
    wait "$pid"
    [[ -e "$tmp/r/RUNNING" ]] || fail "a killed run leaves RUNNING (the test needs it)"
    sh -c 'exit 0' & dead=$!; wait $dead
    echo x >"$tmp/r/checkpoints/last.safetensors.tmp.$dead"
    echo x >"$tmp/r/metrics.csv.tmp.$dead"
    echo x >"$tmp/r/metrics.csv.tmp.$$"
    expect_exit 0 "$bin" --threads 1 train "$tmp/e.toml" --resume "$tmp/r" --epochs 1 --no-report
    grep -q "the previous run in $tmp/r (process $pid) did not finish: it was killed" "$tmp/err" ||
      { cat "$tmp/err"; fail "resume does not say that the previous run was killed"; }
    # The two planted, and the one of the write the kill interrupted, if it landed in one.
    grep -qE "removed [23] temporary files left by killed runs" "$tmp/err" ||
      { cat "$tmp/err"; fail "resume does not report the removed temporaries"; }
    [[ -e "$tmp/r/checkpoints/last.safetensors.tmp.$dead" || -e "$tmp/r/metrics.csv.tmp.$dead" ]] &&
      fail "a dead process's temporary is left"
    [[ -e "$tmp/r/metrics.csv.tmp.$$" ]] || fail "a living process's temporary was removed"
    [[ -e "$tmp/r/RUNNING" ]] && fail "RUNNING is left after the resumed run"
    pid=
    ;;
  disk_full)
    # A 16 MB tmpfs holds the run's first files and the first epoch's two checkpoints (6.6 MB
    # each); the next one finds the disk full. Needs root (or CAP_SYS_ADMIN) to mount.
    make_experiment 50
    mkdir "$tmp/disk"
    if ! mount -t tmpfs -o size=16m tmpfs "$tmp/disk" 2>"$tmp/mount.err"; then
      echo "SKIP: cannot mount a tmpfs to fill ($(cat "$tmp/mount.err")); the full-disk case" \
        "needs root or CAP_SYS_ADMIN"
      exit 77
    fi
    expect_exit 3 "$bin" --threads 1 train "$tmp/e.toml" --out "$tmp/disk/r" -q
    grep -q "No space left on device" "$tmp/err" || { cat "$tmp/err"; fail "no 'No space left'"; }
    grep -q "the last good checkpoint is $tmp/disk/r/checkpoints/last.safetensors (epoch 1)" \
      "$tmp/err" || { cat "$tmp/err"; fail "the full-disk error does not name the last checkpoint"; }
    grep -qE "cannot write $tmp/disk/r/[a-z/_.]+: " "$tmp/err" ||
      { cat "$tmp/err"; fail "the full-disk error does not name the file"; }
    [[ -e "$tmp/disk/r/checkpoints/last.safetensors" ]] || fail "no checkpoint fit: test too small"
    [[ -z $(find "$tmp/disk/r" -name '*.tmp.*') ]] || fail "a temporary is left on the full disk"
    [[ -e "$tmp/disk/r/RUNNING" ]] && fail "RUNNING is left after the full-disk error"
    # The last good checkpoint is whole: it loads, and resuming elsewhere from it works.
    "$bin" eval --model "$tmp/m.toml" --weights "$tmp/disk/r/checkpoints/last.safetensors" \
      --data "$tmp/d.npz" --x spins --y label -q || fail "the last checkpoint does not load"
    expect_exit 0 "$bin" --threads 1 train "$tmp/e.toml" --resume \
      "$tmp/disk/r/checkpoints/last.safetensors" --out "$tmp/r2" --epochs 3 -q --no-report
    ;;
  *) fail "unknown case $case_name" ;;
esac
echo "ok: $case_name"
