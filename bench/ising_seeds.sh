#!/usr/bin/env bash
# The seed table of the Ising study (issue 14): `physcnn ising` once per seed with the default
# options, then T_c ± error, deviation from Onsager, |deviation|/σ and nu per seed, and the
# coverage (within 0.5 %, within 1/2 σ, beyond 3 σ, mean |deviation|). Takes ~65 s per seed
# on an idle 2-core machine; each run folder is kept in OUT/seed<N>.
#   bench/ising_seeds.sh [PHYSCNN] [SEEDS] [OUT]     e.g. bench/ising_seeds.sh build/src/physcnn 1-20
# Re-analyse finished folders without rerunning them (after a change to the analysis):
#   PHYSCNN ising --seeds SEEDS --analyse OUT
set -euo pipefail
bin=${1:-build/src/physcnn}
seeds=${2:-1-20}
out=${3:-runs/ising-seeds}
mkdir -p "$out"
echo "# $(date -u +%FT%TZ) $(uname -m) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "# %e s wall, %U s user CPU, %S s system" "$bin" ising --seeds "$seeds" --out "$out"
