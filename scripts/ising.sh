#!/usr/bin/env bash
# Installs what is missing, builds physcnn (Release) and runs the main job: the Ising
# phase-transition study. Extra arguments go to `physcnn ising` (e.g. --quick, --seed 2).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target physcnn
exec build/src/physcnn ising "$@"
