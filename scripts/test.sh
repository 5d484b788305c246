#!/usr/bin/env bash
# Installs what is missing, builds physcnn with -Werror and runs the whole test suite.
# PHYSCNN_SANITIZE=1 builds and runs it under AddressSanitizer + UBSan instead (build-asan/).
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
cd "$build" && ctest --output-on-failure -j2 "$@"
