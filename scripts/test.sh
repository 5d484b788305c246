#!/usr/bin/env bash
# Installs what is missing, builds physcnn with -Werror and runs the whole test suite.
# PHYSCNN_SANITIZE=1 builds and runs it under AddressSanitizer + UBSan instead (build-asan/).
# Then (CI; skip locally with PHYSCNN_SKIP_SANITIZE=1) a clang ASan + UBSan build (build-san/) of
# the format, io and train tests, run under the sanitizers, and of the fuzz targets (fuzz/), each
# fuzzed for 20 s from its seed corpus (ctest label fuzz); docs/safety.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [[ "${PHYSCNN_SANITIZE:-0}" == "1" ]]; then
  build=build-asan
  # fontconfig's process-lifetime caches are not our leaks.
  export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPHYSCNN_WERROR=ON \
    -DPHYSCNN_SANITIZE=ON -DPHYSCNN_BUILD_BENCH=OFF >/dev/null
else
  build=build
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPHYSCNN_WERROR=ON >/dev/null
fi
cmake --build "$build"
# Formatting is part of the suite: every C++ file must match .clang-format.
git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror
(cd "$build" && ctest --output-on-failure -j2 "$@")

if [[ "${PHYSCNN_SANITIZE:-0}" != "1" && "${PHYSCNN_SKIP_SANITIZE:-0}" != "1" ]]; then
  export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
  # -O2 with line tables only: readable stack traces at a third of -g's compile time. No
  # -Werror here: the GCC build above owns the warnings (clang warns about GCC-only pragmas).
  CC=clang CXX=clang++ cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -gline-tables-only -DNDEBUG" \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -gline-tables-only -DNDEBUG" \
    -DPHYSCNN_FUZZ=ON -DPHYSCNN_BUILD_BENCH=OFF >/dev/null
  cmake --build build-san --target test_data test_io test_train fuzz_all
  (cd build-san && ctest --output-on-failure -j2 -L '^(data|io|train|fuzz)$')
fi
