#!/usr/bin/env bash
# End-to-end checks of the `physcnn` command: exit codes, files written, the main job's output.
# The physics applications' cases are in cli_physics_test.sh.
# Usage: cli_test.sh PHYSCNN_BINARY CASE
. "$(dirname "$0")/cli_lib.sh" "$@"

case $case_name in
  usage)
    expect_exit 0 "$bin" --help
    expect_exit 0 "$bin" ising --help
    expect_exit 2 "$bin"
    expect_exit 2 "$bin" no-such-command
    expect_exit 2 "$bin" nosuchcmd --help  # printed the top-level help with exit 0
    grep -q "unknown subcommand 'nosuchcmd'" "$tmp/err" || fail "an unknown subcommand is named"
    expect_exit 2 "$bin" summary no_such_model
    grep -q "the zoo has: lenet5" "$tmp/err" || fail "unknown model message lists the zoo"
    expect_exit 2 "$bin" ising --sizes 2
    expect_exit 2 "$bin" generate ising --L 8 --out "$tmp/x.txt"
    grep -q "must end in .npz" "$tmp/err" || fail "bad --out names the allowed endings"
    expect_exit 2 "$bin" generate ising --L 8 --temps 3:1:4 --out "$tmp/x.npz"
    expect_exit 2 "$bin" ising --lattice hexagonal
    grep -q "square" "$tmp/err" || fail "a bad --lattice names the choices"
    expect_exit 2 "$bin" ising --lattice triangular --protocol mehta --out "$tmp/m"
    grep -q "phase study only" "$tmp/err" || fail "--lattice triangular refuses other protocols"
    expect_exit 2 "$bin" ising --lattice triangular --quick --exclude 2.0:2.5 --out "$tmp/b"
    expect_exit 2 "$bin" ising --lattice triangular --sizes 16,18 --out "$tmp/c"
    grep -q "multiples of 4" "$tmp/err" || fail "triangular sizes must suit hexpool2d"
    expect_exit 2 "$bin" generate ising --lattice cubic --L 8 --out "$tmp/x.npz"
    expect_exit 2 "$bin" generate ising --lattice triangular --L 2 --temps 2 --out "$tmp/x.npz"
    grep -q "triangular lattice size" "$tmp/err" || fail "L = 2 is refused for triangular"
    ;;
  export)
    # ONNX export (docs/onnx.md): a zoo model with initial weights, and the refusals.
    expect_exit 0 "$bin" export --model lenet5 --untrained --onnx "$tmp/l.onnx"
    [[ -s "$tmp/l.onnx" ]] || fail "export writes the .onnx file"
    grep -q "checked" "$tmp/err" || fail "export says the file passed the checker"
    expect_exit 2 "$bin" export --model lenet5 --onnx "$tmp/l.onnx"
    grep -q "weights" "$tmp/err" || fail "export without weights names --weights"
    expect_exit 2 "$bin" export --model lenet5 --untrained --onnx "$tmp/l.txt"
    grep -q "must end in .onnx" "$tmp/err" || fail "export refuses a non-.onnx name"
    ;;
  summary)
    expect_exit 0 "$bin" summary tinyvgg
    for s in "(10, 62, 62)" "(10, 60, 60)" "(10, 30, 30)" "(10, 28, 28)" "(10, 26, 26)" "(10, 13, 13)" "Total params: 19,920"; do
      grep -qF "$s" "$tmp/out" || fail "tinyvgg summary lacks $s"
    done
    expect_exit 0 "$bin" summary lenet5
    grep -qF "Total params: 61,706" "$tmp/out" || fail "lenet5 has 61,706 parameters"
    expect_exit 0 "$bin" layers conv2d
    grep -qF '| `padding_mode` |' "$tmp/out" || fail "layers conv2d lists padding_mode"
    grep -qF 'conv1d' "$tmp/out" && fail "layers conv2d prints only conv2d"
    expect_exit 2 "$bin" layers conv2
    grep -qF "did you mean 'conv2d'?" "$tmp/err" || fail "layers suggests the nearest type"
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
    # Triangular: at T = 2 the energy per site is near the ground state's -3 (square: -2).
    expect_exit 0 "$bin" generate ising --lattice triangular --L 8 --temps 2,6 --per-temp 16 \
      --out "$tmp/t.npz"
    grep -Eq '^2\.0000 +-2\.9' "$tmp/out" || fail "triangular E/N at T = 2 is not near -3"
    ;;
  bench)
    # The benchmark runs (tiny settings) and the profile charges time to the U-Net's modules.
    # --explain names the convolution implementation of each pass (the list's entries).
    expect_exit 0 "$bin" bench --quick --workloads w3,w4 --threads 1 --profile --explain \
      --json "$tmp/b.json"
    for s in "w3 ising_cnn" "w4 unet_small" "train   batch    8" "infer   batch   32" \
             "dec1.0 (Conv2d)" "up1 (ConvTranspose2d)" "loss (cross_entropy)" "optimizer step" \
             "whole training step" "convolution implementation per pass"; do
      grep -qF "$s" "$tmp/out" || { cat "$tmp/out"; fail "bench output lacks '$s'"; }
    done
    # W3's first layer (1->16, 3x3 on the circularly padded 34x34) runs a few-channel kernel.
    grep -qE "weight \[16,1,3,3\].* forward (direct_avx512|direct_avx2|gemm) " "$tmp/out" ||
      { cat "$tmp/out"; fail "bench --explain does not name W3's first conv kernel"; }
    /usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert len(r['workloads'])==2" \
      "$tmp/b.json" || fail "bench --json is not the two workloads' JSON"
    expect_exit 2 "$bin" bench --workloads w9
    grep -q "w9" "$tmp/err" || fail "an unknown workload is named"
    # An unknown fast-path switch is a usage error that lists the known ones.
    PHYSCNN_FAST_DISABLE=conv_gemm,nosuch expect_exit 2 "$bin" bench --quick --workloads w3
    grep -q "unknown switch 'nosuch' (known: conv_gemm" "$tmp/err" ||
      { cat "$tmp/err"; fail "an unknown PHYSCNN_FAST_DISABLE name is not reported"; }
    ;;
  ising_quick)
    expect_exit 0 "$bin" ising --quick --quiet --out "$tmp/run"
    grep -q "^T_c = " "$tmp/out" || { cat "$tmp/out"; fail "no T_c line"; }
    grep -q "^nu = .* from the data collapse" "$tmp/out" || { cat "$tmp/out"; fail "no nu line"; }
    for f in metrics.json p_ordered.csv L16/model.safetensors L32/configurations.npz \
             L16/predictions.csv index.html p_ordered.png p_ordered.svg crossing.png collapse.png \
             training.png monte_carlo.png; do
      [[ -s "$tmp/run/$f" ]] || fail "run folder lacks $f"
    done
    [[ -e "$tmp/run/RUNNING" ]] && fail "the live-view marker is left after the run"
    grep -q 'http-equiv="refresh"' "$tmp/run/index.html" && fail "finished report still reloads"
    # --analyse repeats the analysis on the stored predictions: the same T_c line.
    tc=$(grep "^T_c = " "$tmp/out")
    expect_exit 0 "$bin" ising --analyse "$tmp/run"
    grep -qF "$tc" "$tmp/out" || { cat "$tmp/out"; fail "--analyse gives another T_c than the run"; }
    expect_exit 3 "$bin" ising --analyse "$tmp"
    expect_exit 2 "$bin" ising --quick --exclude 2.3:2.5 --out "$tmp/bad"
    grep -q "must contain T_c" "$tmp/err" || fail "a band without T_c is explained"
    ;;
  ising_resume)
    # A study stopped by SIGINT after its first checkpoint, then resumed, ends with the same
    # T*(L) and T_c as one run straight through (small sizes: seconds, not minutes).
    small=(--quick --quiet --sizes 8,12 --per-temp 24 --epochs 3 --seed 3)
    expect_exit 0 "$bin" ising "${small[@]}" --out "$tmp/whole"
    "$bin" ising "${small[@]}" --out "$tmp/cut" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    for _ in $(seq 1 600); do
      [[ -e "$tmp/cut/L8/checkpoints/net1/last.safetensors" ]] && break
      sleep 0.05
    done
    kill -INT "$pid"
    wait "$pid"
    got=$?
    [[ $got -eq 130 ]] || { cat "$tmp/out" "$tmp/err"; fail "interrupted study exited $got, not 130"; }
    grep -q -- "--resume" "$tmp/err" || { cat "$tmp/err"; fail "the interruption names --resume"; }
    [[ -e "$tmp/cut/RUNNING" ]] && fail "the live-view marker is left after the interruption"
    expect_exit 2 "$bin" ising "${small[@]}" --out "$tmp/cut"
    grep -q "already holds a study" "$tmp/err" || fail "a second run into the folder is refused"
    expect_exit 2 "$bin" ising "${small[@]}" --no-augment --resume "$tmp/cut"
    grep -q "same options" "$tmp/err" || fail "resuming with other options is refused"
    expect_exit 0 "$bin" ising "${small[@]}" --resume "$tmp/cut"
    /usr/bin/python3 - "$tmp/whole/metrics.json" "$tmp/cut/metrics.json" <<'PY' ||
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
key = lambda m: (m["T_c"], m["T_c_error"], [(s["L"], s["crossing"]["T_star"], s["p_ordered"])
                                          for s in m["sizes"]])
sys.exit(0 if a["complete"] and key(a) == key(b) else f"resumed {key(b)[:2]} != whole {key(a)[:2]}")
PY
      fail "the resumed study differs from the uninterrupted one"
    ;;
  ising_protocols)
    expect_exit 0 "$bin" ising --protocol mehta --quick --quiet --out "$tmp/mehta"
    grep -q "critical region" "$tmp/out" || fail "mehta prints the critical-region accuracy"
    [[ -s "$tmp/mehta/mehta.json" ]] || fail "no mehta.json"
    expect_exit 0 "$bin" ising --task temperature --quick --quiet --out "$tmp/temp"
    grep -q "RMSE" "$tmp/out" || fail "regression prints the RMSE"
    [[ -s "$tmp/temp/temperature_regression.json" ]] || fail "no temperature_regression.json"
    ;;
  train)
    # A tiny classification set written by the command itself (no Python needed).
    expect_exit 0 "$bin" generate ising --L 8 --temps 1.5,3.5 --per-temp 40 --out "$tmp/d.npz"
    cat >"$tmp/exp.toml" <<'EOF'
model = "ising_cnn"
seed = 1
epochs = 2
batch_size = 16
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
    expect_exit 0 "$bin" train "$tmp/exp.toml" --out "$tmp/run" --quiet --no-report
    grep -q "^test:.*accuracy" "$tmp/out" || fail "train prints the test accuracy"
    for f in experiment.toml model.toml summary.txt metrics.csv metrics.json eval.json \
             model.safetensors samples.npz checkpoints/last.safetensors checkpoints/best.safetensors; do
      [[ -s "$tmp/run/$f" ]] || fail "run folder lacks $f"
    done
    [[ -e "$tmp/run/RUNNING" ]] && fail "RUNNING is left after the run"
    [[ $(wc -l <"$tmp/run/metrics.csv") -eq 3 ]] || fail "metrics.csv has a header and 2 epochs"
    head -1 "$tmp/run/metrics.csv" | grep -q "^epoch,train_loss,train_accuracy" || fail "csv header"
    grep -q '"confusion_matrix"' "$tmp/run/eval.json" || fail "eval.json has the confusion matrix"
    expect_exit 2 "$bin" train "$tmp/exp.toml" --out "$tmp/run" --quiet
    grep -q "already holds a run" "$tmp/err" || fail "an existing run is not overwritten"
    expect_exit 0 "$bin" train "$tmp/exp.toml" --resume "$tmp/run" --epochs 3 --quiet --no-report
    [[ $(wc -l <"$tmp/run/metrics.csv") -eq 4 ]] || fail "resume continues to epoch 3"
    expect_exit 2 "$bin" train "$tmp/exp.toml" --set optimizer.lrr=0.1 --out "$tmp/r2"
    grep -q "did you mean 'lr'" "$tmp/err" || fail "unknown override key suggests lr"
    printf 'model = "ising_cnn"\nepocs = 3\n' >"$tmp/bad.toml"
    expect_exit 2 "$bin" train "$tmp/bad.toml"
    grep -q "bad.toml:2.*did you mean 'epochs'" "$tmp/err" || fail "bad key names file, line, nearest"
    expect_exit 3 "$bin" train "$tmp/missing.toml"
    expect_exit 3 "$bin" train /dev/zero
    grep -q "not a regular file" "$tmp/err" || fail "an experiment on /dev/zero is refused"
    expect_exit 3 "$bin" train "$tmp"
    grep -q "is a directory" "$tmp/err" || fail "a directory as experiment file is named"
    expect_exit 3 "$bin" train "$tmp/exp.toml" --set data.train=/dev/zero --out "$tmp/dz"
    # Data that does not fit the model: both shapes named, before any run folder is written.
    expect_exit 2 "$bin" train "$tmp/exp.toml" --set model=lenet5 --out "$tmp/misfit" --quiet
    grep -qF "samples have shape [1,8,8] but the model lenet5 takes inputs [1,28,28]" "$tmp/err" ||
      fail "a data/model shape misfit names both shapes"
    [[ -e "$tmp/misfit" ]] && fail "a misfit run writes no run folder"
    printf 'input = [1, 8, 8]\nlayer = [{ type = "flatten" }, { type = "linear", out = 1 }]\n' \
      >"$tmp/one.toml"
    expect_exit 2 "$bin" train "$tmp/exp.toml" --set "model=$tmp/one.toml" --out "$tmp/lab" --quiet
    grep -qF "holds label 1" "$tmp/err" && grep -qF "class labels must lie in [0, 1)" "$tmp/err" ||
      fail "labels beyond the model's outputs are named before training"
    [[ -e "$tmp/lab" ]] && fail "a label misfit writes no run folder"
    expect_exit 4 "$bin" train "$tmp/exp.toml" --lr 1e30 --out "$tmp/nan" --quiet --no-report
    grep -q "step" "$tmp/err" || fail "the NaN stop names the step"
    [[ -e "$tmp/nan/RUNNING" ]] && fail "RUNNING is removed after an error"
    "$bin" train "$tmp/exp.toml" --epochs 100000 --out "$tmp/int" --quiet --no-report \
      >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    sleep 2
    kill -TERM $pid
    wait $pid
    rc=$?
    [[ $rc -eq 130 ]] || { cat "$tmp/err"; fail "a stop request exits 130 (got $rc)"; }
    grep -q "interrupted at epoch" "$tmp/err" || fail "the interruption says where it stopped"
    [[ -e "$tmp/int/RUNNING" ]] && fail "RUNNING is removed after an interruption"
    # Resuming the interrupted run gives the per-epoch values of an uninterrupted one.
    done_epochs=$(($(wc -l <"$tmp/int/metrics.csv") - 1))
    [[ $done_epochs -ge 1 ]] || fail "the interrupted run finished an epoch in 2 s"
    expect_exit 0 "$bin" train "$tmp/exp.toml" --resume "$tmp/int" --epochs $((done_epochs + 2)) \
      --quiet --no-report
    expect_exit 0 "$bin" train "$tmp/exp.toml" --epochs $((done_epochs + 2)) --out "$tmp/full" \
      --quiet --no-report
    # Every column but the last two (seconds, images_per_second: timings).
    diff <(rev "$tmp/full/metrics.csv" | cut -d, -f3- | rev) \
      <(rev "$tmp/int/metrics.csv" | cut -d, -f3- | rev) ||
      fail "interrupted + resumed losses differ from an uninterrupted run's"
    ;;
  eval_predict)
    expect_exit 0 "$bin" generate ising --L 8 --temps 1.5,3.5 --per-temp 20 --out "$tmp/d.npz"
    printf 'model = "ising_cnn"\nepochs = 1\n[data]\nformat = "npz"\ntrain = "d.npz"\nx = "spins"\ny = "label"\nclass_names = ["ordered, cold", "disordered"]\n' >"$tmp/exp.toml"
    expect_exit 0 "$bin" train "$tmp/exp.toml" --out "$tmp/run" --quiet --no-report
    expect_exit 0 "$bin" eval "$tmp/run"
    grep -q "^accuracy " "$tmp/out" || fail "eval prints the accuracy"
    expect_exit 0 "$bin" eval --model ising_cnn --weights "$tmp/run/model.safetensors" \
      --data "$tmp/d.npz" --x spins --y label --out "$tmp/e.json"
    grep -q '"samples": 40' "$tmp/e.json" || fail "eval --data covers the 40 samples"
    expect_exit 0 "$bin" predict "$tmp/run" --input "$tmp/d.npz" --x spins --out "$tmp/p.csv" --probabilities
    [[ $(wc -l <"$tmp/p.csv") -eq 41 ]] || fail "predict writes a header and 40 rows"
    head -1 "$tmp/p.csv" | grep -q "^index,predicted," || fail "csv header"
    head -1 "$tmp/p.csv" | grep -qF 'index,predicted,"ordered, cold",disordered' ||
      fail "a class name with a comma is quoted in the CSV"
    [[ $(awk -F'"' '{print NF}' "$tmp/p.csv" | sort -u | tr '\n' ' ') =~ ^(1 |3 )+$ ]] ||
      fail "CSV quotes are balanced"
    expect_exit 0 "$bin" predict "$tmp/run" --input "$tmp/d.npz" --x spins --out "$tmp/p.npy"
    [[ -s "$tmp/p.npy" ]] || fail "no p.npy"
    expect_exit 2 "$bin" predict "$tmp/run" --input "$tmp/d.npz" --x spins --out "$tmp/p.txt"
    expect_exit 3 "$bin" eval "$tmp/no_run"
    # Inputs that do not fit: a clear shape error naming both shapes, no output file.
    expect_exit 0 "$bin" generate ising --L 6 --temps 1.5 --per-temp 4 --out "$tmp/l6.npz"
    expect_exit 2 "$bin" predict --model lenet5 --weights "$tmp/run/model.safetensors" \
      --input "$tmp/l6.npz" --x spins --out "$tmp/bad.npy"
    grep -qF "have shape [1,6,6] but the model takes inputs [1,28,28]" "$tmp/err" ||
      fail "predict names the input and model shapes"
    [[ -e "$tmp/bad.npy" ]] && fail "a failed predict writes no output"
    expect_exit 2 "$bin" eval --model lenet5 --weights "$tmp/run/model.safetensors" \
      --data "$tmp/l6.npz" --x spins --y label
    grep -qF "samples have shape [1,6,6] but the model lenet5 takes inputs [1,28,28]" "$tmp/err" ||
      fail "eval names the data and model shapes"
    expect_exit 0 "$bin" train --help
    expect_exit 0 "$bin" eval --help
    expect_exit 0 "$bin" predict --help
    ;;
  inspect)
    source "$(dirname "$0")/inspect_cases.sh" && inspect_cases
    ;;
  exchange)
    source "$(dirname "$0")/exchange_cases.sh" && exchange_cases
    ;;
  interrupt)
    # Ctrl-C or SIGTERM at a random moment of training: exit 130 with the stop message, every
    # time. An asynchronous signal handler interrupting a step used to corrupt the heap
    # (SIGABRT "corrupted size vs. prev_size") in about one try of four.
    expect_exit 0 "$bin" generate ising --L 28 --temps 1.5,3.5 --per-temp 500 --out "$tmp/d.npz"
    printf '%s\n' 'input = [1, 28, 28]' 'layer = [' \
      '  { type = "conv2d", out = 8, kernel = 3, padding = 1 },' '  { type = "relu" },' \
      '  { type = "maxpool2d", kernel = 2 },' '  { type = "flatten" },' \
      '  { type = "linear", out = 1024 },' '  { type = "relu" },' \
      '  { type = "linear", out = 2 },' ']' >"$tmp/m.toml"
    printf '%s\n' 'model = "m.toml"' 'epochs = 100' 'batch_size = 64' '[data]' 'format = "npz"' \
      'train = "d.npz"' 'x = "spins"' 'y = "label"' '[optimizer]' 'name = "adam"' >"$tmp/e.toml"
    for i in $(seq 1 20); do
      rm -rf "$tmp/r"
      signal=INT; (( i % 2 )) && signal=TERM
      "$bin" --threads $(( i % 4 == 0 ? 2 : 1 )) train "$tmp/e.toml" --out "$tmp/r" --quiet --no-report \
        >"$tmp/out" 2>"$tmp/err" &
      pid=$!
      sleep "0.$(( (i * 37) % 9 + 2 ))"
      kill -"$signal" "$pid"
      wait "$pid"
      code=$?
      [[ $code -eq 130 ]] || { cat "$tmp/err"; fail "try $i: SIG$signal gave exit $code, expected 130"; }
      grep -q "interrupted" "$tmp/err" || { cat "$tmp/err"; fail "try $i: no stop message"; }
    done
    ;;
  hostile_input)
    # Paths the system cannot follow are data errors naming the path, not "internal error".
    ln -s "$tmp/loop_b" "$tmp/loop_a" && ln -s "$tmp/loop_a" "$tmp/loop_b"
    expect_exit 3 "$bin" summary "$tmp/loop_a"
    grep -q "loop_a.*Too many levels of symbolic links" "$tmp/err" || fail "a symlink loop is named"
    # Escape sequences from a file reach the terminal only as text.
    printf 'name = "x"\ninput = [1, 4, 4]\nlayer = [{ type = "relu" }]\n"k\\u001b[2J" = 1\n' \
      >"$tmp/esc.toml"
    expect_exit 2 "$bin" summary "$tmp/esc.toml"
    grep -qF 'k\x1b[2J' "$tmp/err" || { cat "$tmp/err"; fail "the escape is shown as \\x1b"; }
    LC_ALL=C grep -q $'\x1b' "$tmp/err" && fail "a raw escape character reached the terminal"
    # ... on stdout too: a model name with an OSC title sequence and the one-byte CSI (U+009B),
    # and a file name that is not UTF-8, in the summary table (printed raw before).
    printf 'name = "m\\u001b]0;x\\u0007\\u009b"\ninput = [1, 4, 4]\nlayer = [{ type = "relu" }]\n' \
      >"$tmp/esc_name"$'\xff'.toml
    expect_exit 0 "$bin" summary "$tmp/esc_name"$'\xff'.toml
    grep -qF 'm\x1b]0;x\x07\xc2\x9b (model file' "$tmp/out" && grep -qF 'esc_name\xff.toml' "$tmp/out" ||
      { cat "$tmp/out"; fail "model and file name escaped on stdout"; }
    LC_ALL=C grep -qP '\x1b|\x07|\xc2\x9b|\xff' "$tmp/out" && fail "a raw escape reached stdout"
    # A path past PATH_MAX and a run folder name that is not UTF-8: exit 3 naming the path, not
    # "internal error" (exit 1; the second ended in "Encountered invalid utf-8 sequence").
    long=$(printf 'a/%.0s' $(seq 1 2100))m.toml
    expect_exit 3 "$bin" summary "$long"
    grep -qF 'File name too long' "$tmp/err" || fail "a 4,206-character path is named"
    expect_exit 0 "$bin" generate ising --L 4 --temps 1.5,3.5 --per-temp 4 --out "$tmp/d.npz"
    printf 'input = [1, 4, 4]\nlayer = [{ type = "flatten" }, { type = "linear", out = 2 }]\n' >"$tmp/m.toml"
    printf '%s\n' 'model = "m.toml"' 'epochs = 1' 'batch_size = 4' '[data]' 'format = "npz"' \
      'train = "d.npz"' 'x = "spins"' 'y = "label"' >"$tmp/e.toml"
    expect_exit 3 "$bin" train "$tmp/e.toml" --out "$tmp/r"$'\xff' --quiet --no-report
    grep -qF "run folder name '$tmp/r\xff' is not valid UTF-8" "$tmp/err" || { cat "$tmp/err"; fail "non-UTF-8 --out"; }
    # A class folder without read permission: exit 3 naming it. Root reads every folder, so as
    # root (CI) the command runs as the unprivileged user nobody (setpriv); chmod alone would
    # test nothing there.
    png='\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x04\x00\x00\x00\x04\x08\x00\x00\x00\x00\x8c\x9a\xc1\xa2'
    png+='\x00\x00\x00\x0eIDATx\x9cch\x00\x02\x06T\x02\x00P\x14\x08\x01p%%\xae?\x00\x00\x00\x00IEND\xaeB`\x82'
    mkdir -p "$tmp/png/a" "$tmp/png/b" "$tmp/w"
    for f in a/0 a/1 b/0 b/1; do printf "$png" >"$tmp/png/$f.png"; done
    printf '%s\n' 'model = "m.toml"' 'epochs = 1' 'batch_size = 2' '[data]' 'format = "png"' \
      'train = "png"' >"$tmp/pe.toml"
    chmod 755 "$tmp" && chmod 777 "$tmp/w" && chmod 000 "$tmp/png/b"
    as_user=()
    [[ $(id -u) -eq 0 ]] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    expect_exit 3 "${as_user[@]}" "$bin" train "$tmp/pe.toml" --out "$tmp/w/r" --quiet --no-report
    grep -q "png/b.*Permission denied" "$tmp/err" || { cat "$tmp/err"; fail "an unreadable class folder is named"; }
    chmod 755 "$tmp/png/b"
    ;;
  *) fail "unknown case $case_name" ;;
esac
echo "ok: $case_name"
