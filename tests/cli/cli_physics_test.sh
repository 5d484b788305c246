#!/usr/bin/env bash
# End-to-end checks of the physics applications' commands: jets, air showers, tracks (U-Net
# segmentation), exact diagonalisation and neural quantum states.
# Usage: cli_physics_test.sh PHYSCNN_BINARY CASE
. "$(dirname "$0")/cli_lib.sh" "$@"

case $case_name in
  jets)
    # Toy jets with the mass picture, a CNN trained one epoch, and eval's ROC figures.
    expect_exit 0 "$bin" generate jets --events 64 --size 15 --seed 3 --preprocess constituents \
      --out "$tmp/j.npz" --plot "$tmp/masses.png"
    grep -q "wrote 64 jets" "$tmp/out" || fail "generate jets reports the jets"
    [[ -s "$tmp/masses.png" ]] || fail "no mass picture written"
    expect_exit 0 "$bin" generate jets --events 4 --size 15 --preprocess image --normalise \
      --out "$tmp/j.h5"
    expect_exit 2 "$bin" generate jets --preprocess rotate --out "$tmp/x.npz"
    grep -q "none, image or constituents" "$tmp/err" || fail "a bad preprocessing is named"
    printf 'name = "tiny"\ninput = [1, 15, 15]\nlayer = [\n  { type = "conv2d", out = 4, kernel = 3 },\n  { type = "relu" },\n  { type = "flatten" },\n  { type = "linear", out = 2 },\n]\n' >"$tmp/tiny.toml"
    printf 'model = "tiny.toml"\nepochs = 1\nbatch_size = 16\n[data]\nformat = "npz"\ntrain = "j.npz"\nvalidation = 0.25\ntest_fraction = 0.25\n' >"$tmp/jets.toml"
    expect_exit 0 "$bin" train "$tmp/jets.toml" --out "$tmp/run" --quiet --no-report
    expect_exit 0 "$bin" eval "$tmp/run"
    for k in '"auc"' '"rejection_at_50"' '"signal_efficiency"'; do
      grep -qF "$k" "$tmp/run/eval.json" || fail "eval.json lacks $k"
    done
    grep -q "^auc " "$tmp/out" || fail "eval prints the AUC"
    [[ -s "$tmp/run/roc.png" ]] || fail "no roc.png beside eval.json"
    ;;
  airshower)
    # The toy air-shower array on both grids, bad options (exit 2), a dense net trained one epoch
    # with the airshower metric set, and `eval --metrics` on the same weights.
    expect_exit 0 "$bin" generate airshower --grid square --n 64 --seed 3 --out "$tmp/s.npz"
    grep -q "wrote 64 showers on a 9x9 square array" "$tmp/out" || fail "generate reports the showers"
    expect_exit 0 "$bin" generate airshower --grid hex --n 8 --rows 6 --cols 7 --out "$tmp/h.h5"
    /usr/bin/python3 -c "import numpy as n,sys; d=n.load(sys.argv[1]); assert d['x'].shape==(64,2,9,9) and d['y'].shape==(64,6) and d['direction'].shape==(64,3) and abs((d['direction']**2).sum(1)-1).max()<1e-12" \
      "$tmp/s.npz" || fail "airshower arrays have the documented shapes"
    expect_exit 2 "$bin" generate airshower --grid triangle --out "$tmp/x.npz"
    expect_exit 2 "$bin" generate airshower --zenith-max 95 --out "$tmp/x.npz"
    grep -q "zenith-max" "$tmp/err" || fail "a bad option is named"
    expect_exit 2 "$bin" generate airshower --dead 1.5 --out "$tmp/x.npz"
    expect_exit 2 "$bin" generate airshower --out "$tmp/x.txt"
    printf 'model = "%s"\nepochs = 1\nbatch_size = 16\nloss = "mse"\nmetrics = "airshower"\n[data]\nformat = "npz"\ntrain = "s.npz"\nvalidation = 0.25\ntest_fraction = 0.25\n' \
      "$(dirname "$0")/../../examples/airshower/dense.toml" >"$tmp/as.toml"
    expect_exit 0 "$bin" train "$tmp/as.toml" --out "$tmp/run" --quiet --no-report
    for k in '"angular_resolution_deg"' '"core_resolution_m"' '"energy_resolution"'; do
      grep -qF "$k" "$tmp/run/eval.json" || fail "eval.json lacks $k"
    done
    grep -q "val_angular_resolution_deg" "$tmp/run/metrics.csv" || fail "metrics.csv lacks the resolutions"
    expect_exit 0 "$bin" eval --model "$(dirname "$0")/../../examples/airshower/dense.toml" \
      --weights "$tmp/run/model.safetensors" --data "$tmp/s.npz" --loss mse --metrics airshower --out "$tmp/e.json"
    grep -q "core_resolution_m" "$tmp/e.json" || fail "eval --metrics writes the resolutions"
    expect_exit 2 "$bin" eval --model "$(dirname "$0")/../../examples/airshower/dense.toml" \
      --weights "$tmp/run/model.safetensors" --data "$tmp/s.npz" --loss mse --metrics airshowr
    grep -q "did you mean" "$tmp/err" || fail "an unknown metric set suggests the known one"
    expect_exit 2 "$bin" train "$tmp/as.toml" --out "$tmp/run2" --set metrics=nosuch
    ;;
  segmentation)
    # Tracker images, a U-Net trained one epoch with a loss sum, the segmentation metrics in
    # eval.json, masks and overlays from predict.
    expect_exit 0 "$bin" generate tracks --size 32 --events 24 --seed 3 --out "$tmp/t.npz"
    grep -q "wrote 24 events of 32x32" "$tmp/out" || fail "generate tracks reports the events"
    expect_exit 0 "$bin" generate tracks --size 32 --events 4 --curlers --out "$tmp/t.h5"
    [[ -s "$tmp/t.h5" ]] || fail "no h5 written"
    expect_exit 2 "$bin" generate tracks --noise 2 --out "$tmp/x.npz"
    grep -q "noise" "$tmp/err" || fail "a bad option is named"
    printf 'model = "unet_small"\nepochs = 1\nbatch_size = 8\nloss = "pixel_cross_entropy + 0.5*dice + focal"\n[data]\nformat = "npz"\ntrain = "t.npz"\nvalidation = 0.25\ntest_fraction = 0.25\n' >"$tmp/seg.toml"
    expect_exit 0 "$bin" train "$tmp/seg.toml" --out "$tmp/run" --quiet --no-report
    for k in '"task": "segmentation"' '"mean_iou"' '"efficiency"' '"purity"' '"iou"'; do
      grep -qF "$k" "$tmp/run/eval.json" || fail "eval.json lacks $k"
    done
    grep -q "val_mean_iou" "$tmp/run/metrics.csv" || fail "metrics.csv lacks val_mean_iou"
    expect_exit 0 "$bin" predict "$tmp/run" --input "$tmp/t.npz" --out "$tmp/p.npy" \
      --masks "$tmp/m.npy" --overlays "$tmp/ov" --truth y --overlay-count 3
    /usr/bin/python3 -c "import numpy as n,sys; m=n.load(sys.argv[1]); assert m.shape==(24,32,32) and m.dtype==n.uint8 and m.max()<=1" \
      "$tmp/m.npy" || fail "masks.npy is not (24, 32, 32) uint8 classes"
    [[ $(ls "$tmp/ov" | wc -l) -eq 3 ]] || fail "three overlays expected"
    expect_exit 3 "$bin" predict "$tmp/run" --input "$tmp/t.npz" --out "$tmp/p2.npy" \
      --overlays "$tmp/ov2" --truth nosuch
    grep -q "no array 'nosuch'" "$tmp/err" || fail "a missing truth array is named"
    [[ -e "$tmp/p2.npy" ]] && fail "a failed predict writes no output"
    expect_exit 2 "$bin" train "$tmp/seg.toml" --out "$tmp/run2" --set 'loss=mse + dice'
    grep -q "different targets" "$tmp/err" || fail "a mixed loss sum is refused"
    ;;
  ed)
    expect_exit 0 "$bin" ed --help
    expect_exit 0 "$bin" ed --lattice square --L 4 --J2 0.5
    grep -q "^E/N = -0.52862020" "$tmp/out" || { cat "$tmp/out"; fail "4x4 J2=0.5 E/N"; }
    grep -q "^S(pi,pi) = " "$tmp/out" || fail "ed prints S(pi,pi)"
    expect_exit 0 "$bin" ed --lattice chain --L 12 --model tfim --h 1
    grep -q "^E/N = -1.2768829" "$tmp/out" || { cat "$tmp/out"; fail "TFIM chain E/N"; }
    expect_exit 2 "$bin" ed --lattice hexagon --L 4
    grep -q "unknown lattice 'hexagon'" "$tmp/err" || fail "bad lattice is named"
    expect_exit 2 "$bin" ed --lattice chain --L 2 --J2 1
    expect_exit 2 "$bin" ed --lattice chain --L 8 --h 1
    grep -q "belongs to the tfim model" "$tmp/err" || fail "a field on heisenberg is refused"
    expect_exit 2 "$bin" ed --lattice square --L 6
    grep -q "max-states" "$tmp/err" || fail "6x6 names the state limit"
    expect_exit 2 "$bin" ed --lattice square --L 4 --momentum pi
    ;;
  nqs)
    expect_exit 0 "$bin" nqs --help
    cat >"$tmp/s.toml" <<'TOML'
iterations = 12
checkpoint_every = 3
eval_samples = 50
[lattice]
kind = "chain"
L = 8
[sampler]
chains = 4
samples = 25
TOML
    expect_exit 0 "$bin" nqs "$tmp/s.toml" --out "$tmp/a"
    grep -q "^exact E/N  -0.45638.*(physcnn ed)" "$tmp/out" || { cat "$tmp/out"; fail "nqs prints the exact energy"; }
    grep -q "^rel. error" "$tmp/out" || fail "nqs prints the relative error"
    [[ -s "$tmp/a/report/energy.png" && -s "$tmp/a/report/error.png" && -s "$tmp/a/checkpoint.txt" ]] || fail "run folder files"
    [[ -s "$tmp/a/study.toml" && -s "$tmp/a/result.json" ]] || fail "study copy and result"
    grep -q "E/N -0.4" "$tmp/a/index.html" || fail "the report page gives the energy"
    grep -q "exact (ED) -0.45638" "$tmp/a/index.html" || fail "the report page gives the exact energy"
    expect_exit 0 "$bin" report "$tmp/a"
    grep -q "wrote $tmp/a/index.html" "$tmp/out" || { cat "$tmp/out"; fail "physcnn report on an nqs run"; }
    [[ $(wc -l <"$tmp/a/energy.csv") -eq 13 ]] || fail "energy.csv has 12 iterations"
    # Stopped after 6 iterations and resumed: the same energies as the straight run.
    expect_exit 0 "$bin" nqs "$tmp/s.toml" --out "$tmp/b" --iterations 6
    expect_exit 0 "$bin" nqs "$tmp/s.toml" --out "$tmp/b" --resume
    cut -d, -f1-5 "$tmp/a/energy.csv" >"$tmp/a.csv"
    cut -d, -f1-5 "$tmp/b/energy.csv" >"$tmp/b.csv"
    cmp -s "$tmp/a.csv" "$tmp/b.csv" || { diff "$tmp/a.csv" "$tmp/b.csv"; fail "resume differs"; }
    expect_exit 2 "$bin" nqs "$tmp/b/energy.csv"
    printf '[lattice]\nkind = "hexagon"\n' >"$tmp/bad.toml"
    expect_exit 2 "$bin" nqs "$tmp/bad.toml" --out "$tmp/c"
    grep -q "unknown lattice 'hexagon'" "$tmp/err" || fail "nqs names the bad lattice"
    printf '[sampler]\nchians = 4\n' >"$tmp/bad.toml"
    expect_exit 2 "$bin" nqs "$tmp/bad.toml" --out "$tmp/c"
    grep -q "did you mean 'chains'" "$tmp/err" || { cat "$tmp/err"; fail "nqs suggests chains"; }
    expect_exit 3 "$bin" nqs "$tmp/none.toml"
    # The convolutional ansatz with Adam: stopped and resumed (Adam's moments are in the
    # checkpoint) repeats the straight run.
    cat >"$tmp/c.toml" <<'TOML'
iterations = 6
checkpoint_every = 2
eval_samples = 20
[lattice]
kind = "square"
L = 2
Ly = 4
[ansatz]
type = "cnn"
channels = [2]
symmetric = true
[sampler]
chains = 4
samples = 10
[optimizer]
type = "adam"
learning_rate = 0.01
TOML
    expect_exit 0 "$bin" nqs "$tmp/c.toml" --out "$tmp/d"
    grep -q "^cnn 2 kernel 3 tanh, point-group average" "$tmp/out" || { cat "$tmp/out"; fail "nqs names the cnn"; }
    expect_exit 0 "$bin" nqs "$tmp/c.toml" --out "$tmp/e" --iterations 3
    expect_exit 0 "$bin" nqs "$tmp/c.toml" --out "$tmp/e" --resume
    cut -d, -f1-5 "$tmp/d/energy.csv" >"$tmp/d.csv"
    cut -d, -f1-5 "$tmp/e/energy.csv" >"$tmp/e.csv"
    cmp -s "$tmp/d.csv" "$tmp/e.csv" || { diff "$tmp/d.csv" "$tmp/e.csv"; fail "cnn/adam resume differs"; }
    # Adam on the RBM's complex parameters (real and imaginary parts).
    printf 'iterations = 4\neval_samples = 20\n[lattice]\nkind = "chain"\nL = 8\n[sampler]\nchains = 4\nsamples = 10\n[optimizer]\ntype = "adam"\nlearning_rate = 0.01\n' >"$tmp/r.toml"
    expect_exit 0 "$bin" nqs "$tmp/r.toml" --out "$tmp/f"
    grep -q "^rel. error" "$tmp/out" || { cat "$tmp/out"; fail "nqs with adam on the rbm"; }
    printf '[ansatz]\ntype = "cnn"\nchannels = [4, 0]\n' >"$tmp/bad.toml"
    expect_exit 2 "$bin" nqs "$tmp/bad.toml" --out "$tmp/c"
    grep -q "channels" "$tmp/err" || { cat "$tmp/err"; fail "nqs names the bad channels"; }
    printf '[ansatz]\ntype = "cnn"\nkernel = 4\n' >"$tmp/bad.toml"
    expect_exit 2 "$bin" nqs "$tmp/bad.toml" --out "$tmp/c"
    grep -q "'kernel' must be odd and positive" "$tmp/err" || { cat "$tmp/err"; fail "nqs names the even kernel"; }
    printf '[optimizer]\ntype = "lbfgs"\n' >"$tmp/bad.toml"
    expect_exit 2 "$bin" nqs "$tmp/bad.toml" --out "$tmp/c"
    grep -q "the optimizers are: sr, adam" "$tmp/err" || { cat "$tmp/err"; fail "nqs lists the optimizers"; }
    ;;
  *) fail "unknown case $case_name" ;;
esac
echo "ok: $case_name"
