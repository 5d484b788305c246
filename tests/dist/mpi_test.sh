#!/usr/bin/env bash
# MPI jobs of the physics commands (docs/mpi.md): 2 and 3 ranks give a single process's Monte
# Carlo byte for byte, the NQS energies to rounding, and a killed rank stops the job.
# Usage: mpi_test.sh PHYSCNN_BINARY CASE
set -u
bin=$1
case_name=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v mpirun >/dev/null || { echo "SKIP: no mpirun"; exit 77; }
# One machine: more ranks than cores, no core binding, root allowed in CI containers, and no
# single-copy shared memory (ptrace is often forbidden there).
mpi=(mpirun --oversubscribe --bind-to none --mca btl_vader_single_copy_mechanism none)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)
run() {  # run NAME cmd...: stdout and stderr to $tmp/NAME.{out,err}, fail on a non-zero exit
  local name=$1; shift
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  local code=$?
  [[ $code -eq 0 ]] || { cat "$tmp/$name.out" "$tmp/$name.err"; fail "'$*' exited $code"; }
}

case $case_name in
  ising_ranks)
    # generate ising: the temperatures shared by 2 and 3 ranks, the file of one process.
    gen=(generate ising --L 8 --temps 1.5:3.5:7 --per-temp 70 --seed 3)
    run g1 "$bin" --threads 1 "${gen[@]}" --out "$tmp/g1.npz"
    run g2 "${mpi[@]}" -np 2 "$bin" --threads 1 "${gen[@]}" --out "$tmp/g2.npz"
    run g3 "${mpi[@]}" -np 3 "$bin" --threads 2 "${gen[@]}" --out "$tmp/g3.npz"
    cmp "$tmp/g1.npz" "$tmp/g2.npz" || fail "2 ranks generate other configurations"
    cmp "$tmp/g1.npz" "$tmp/g3.npz" || fail "3 ranks generate other configurations"
    cmp <(grep -v "^wrote" "$tmp/g1.out") <(grep -v "^wrote" "$tmp/g2.out") ||
      fail "2 ranks print another summary"
    # The study: every (size, temperature) on some rank, training on rank 0, the same results.
    study=(ising --quick --quiet --sizes 8,12 --per-temp 24 --epochs 3 --ensemble 1 --seed 3)
    run s1 "$bin" --threads 1 "${study[@]}" --out "$tmp/s1"
    run s3 "${mpi[@]}" -np 3 "$bin" --threads 1 "${study[@]}" --out "$tmp/s3"
    for f in L8/configurations.npz L12/configurations.npz p_ordered.csv; do
      cmp "$tmp/s1/$f" "$tmp/s3/$f" || fail "3 ranks: $f differs from one process's"
    done
    grep -q "^T_c = " "$tmp/s3.out" || { cat "$tmp/s3.out"; fail "rank 0 prints the result"; }
    [[ $(grep -c "^T_c = " "$tmp/s3.out") -eq 1 ]] || fail "only rank 0 prints"
    # The protocols that are not shared are refused, not run once per rank.
    "${mpi[@]}" -np 2 "$bin" ising --protocol mehta --quick --out "$tmp/m" >"$tmp/m.out" 2>"$tmp/m.err"
    [[ $? -eq 2 ]] || { cat "$tmp/m.err"; fail "--protocol mehta under mpirun is a usage error"; }
    grep -q "run in one process" "$tmp/m.err" || fail "the refusal says to run without mpirun"
    ;;
  nqs_ranks)
    # compare A B ROWS TOL: the first ROWS iterations of two energy.csv files: iteration, E/N
    # (relative TOL), its error and the variance (2e-5 relative: printed to 6 digits) and the
    # acceptance (4 decimals): the ranks' sums differ from one process's only by rounding.
    compare() {
      paste -d, "$1" "$2" | awk -F, -v f="$2" -v rows="$3" -v etol="$4" '
        NR == 1 || NR > rows + 1 { next }
        { for (i = 1; i <= 5; i++) { a = $i; b = $(i + 6); d = a - b; if (d < 0) d = -d;
            s = (a < 0 ? -a : a); tol = i == 2 ? etol * s : i == 5 ? 1.01e-4 : 2e-5 * s + 1e-12;
            if (i == 1) tol = 0;
            if (d > tol) { printf "%s line %d column %d: %s vs %s\n", f, NR, i, a, b; bad = 1 } } }
        END { if (NR < rows + 1) { print f " has " NR " lines"; bad = 1 } exit bad }' ||
        fail "ranks change the energy trajectory ($2)"
    }
    # The RBM (double precision) with the direct SR solve: the whole trajectory.
    cat >"$tmp/s.toml" <<'TOML'
iterations = 8
checkpoint_every = 4
eval_samples = 40
[lattice]
kind = "chain"
L = 8
[sampler]
chains = 6
samples = 20
TOML
    run n1 "$bin" --threads 1 nqs "$tmp/s.toml" --out "$tmp/n1"
    run n2 "${mpi[@]}" -np 2 "$bin" --threads 1 nqs "$tmp/s.toml" --out "$tmp/n2"
    # Stopped after 4 iterations on 3 ranks, resumed on 2: the chains move between ranks.
    run r3 "${mpi[@]}" -np 3 "$bin" --threads 1 nqs "$tmp/s.toml" --out "$tmp/r" --iterations 4
    run r2 "${mpi[@]}" -np 2 "$bin" --threads 1 nqs "$tmp/s.toml" --out "$tmp/r" --resume
    compare "$tmp/n1/energy.csv" "$tmp/n2/energy.csv" 8 1e-9
    compare "$tmp/n1/energy.csv" "$tmp/r/energy.csv" 8 1e-9
    grep "^E/N" "$tmp/n1.out" >"$tmp/e1"
    grep "^E/N" "$tmp/n2.out" >"$tmp/e2"
    [[ -s "$tmp/e1" && $(wc -l <"$tmp/e2") -eq 1 ]] || fail "rank 0 alone prints the estimate"
    # The CNN (float32) with conjugate-gradient SR, whose S v products are summed over the ranks.
    # A rounding difference eventually flips one Metropolis decision and the chains part, so
    # only the first iterations are compared (measured: equal to the last digit for 5 of 6).
    cat >"$tmp/c.toml" <<'TOML'
iterations = 4
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
type = "sr"
solver = "cg"
learning_rate = 0.02
TOML
    run c1 "$bin" --threads 1 nqs "$tmp/c.toml" --out "$tmp/c1"
    run c2 "${mpi[@]}" -np 2 "$bin" --threads 1 nqs "$tmp/c.toml" --out "$tmp/c2"
    compare "$tmp/c1/energy.csv" "$tmp/c2/energy.csv" 3 1e-6
    # More ranks than chains is a usage error that names the cause.
    printf 'iterations = 1\n[lattice]\nkind = "chain"\nL = 8\n[sampler]\nchains = 2\n' >"$tmp/f.toml"
    "${mpi[@]}" -np 3 "$bin" --threads 1 nqs "$tmp/f.toml" --out "$tmp/f" >"$tmp/f.out" 2>"$tmp/f.err"
    [[ $? -eq 2 ]] || { cat "$tmp/f.err"; fail "fewer chains than ranks is a usage error"; }
    grep -q "every rank needs at least one chain" "$tmp/f.err" || fail "the refusal names the cause"
    ;;
  rank_killed)
    # A rank killed mid-run: mpirun stops the whole job within seconds and names the rank.
    "${mpi[@]}" -np 2 "$bin" --threads 1 ising --sizes 16,32 --per-temp 2000 --epochs 1 \
      --ensemble 1 --quiet --out "$tmp/k" >"$tmp/k.out" 2>"$tmp/k.err" &
    job=$!
    victim=""
    for _ in $(seq 100); do  # the rank-1 process of this job: its run folder, its MPI rank
      for d in /proc/[0-9]*; do
        tr '\0' ' ' 2>/dev/null <"$d/cmdline" | grep -q -- "--out $tmp/k" || continue
        tr '\0' '\n' 2>/dev/null <"$d/environ" | grep -qx "OMPI_COMM_WORLD_RANK=1" && victim=${d#/proc/}
      done
      [[ -n $victim ]] && break
      sleep 0.1
    done
    [[ -n $victim ]] || { kill "$job"; fail "no rank-1 process found"; }
    sleep 1
    kill -0 "$job" 2>/dev/null || { cat "$tmp/k.out" "$tmp/k.err"; fail "the job ended before the kill"; }
    start=$(date +%s.%N)
    kill -KILL "$victim"
    for _ in $(seq 200); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$job" 2>/dev/null; then kill -KILL "$job"; fail "the job still runs 20 s after rank 1 died"; fi
    wait "$job"
    code=$?
    took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    [[ $code -ne 0 ]] || fail "the job exited 0 after a rank was killed"
    grep -q "rank 1" "$tmp/k.err" "$tmp/k.out" || { cat "$tmp/k.err"; fail "the message names rank 1"; }
    echo "job stopped $took s after rank 1 was killed (exit $code)"
    awk -v t="$took" 'BEGIN { exit !(t < 10) }' || fail "the job took $took s to stop"
    ;;
  *)
    fail "unknown case $case_name"
    ;;
esac
echo "ok $case_name"
