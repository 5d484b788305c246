#!/usr/bin/env bash
# Installs the Debian 12 packages physcnn needs to build, test and benchmark; does nothing when
# they are all present. Usage: scripts/setup.sh   (as root, or with sudo available)
set -euo pipefail

# ocl-icd-opencl-dev: only a Recommends of libdnnl-dev, but oneDNN's CMake config refuses to load
# without OpenCL, so --no-install-recommends alone leaves a fresh machine unable to configure.
# clang, libclang-rt-14-dev (ASan, UBSan, libFuzzer), libomp-dev (clang's OpenMP) and llvm
# (llvm-symbolizer for readable reports): the sanitizer and fuzz build of scripts/test.sh.
packages=(
  g++ cmake ninja-build pkg-config clang-format
  libgtest-dev libgmock-dev libbenchmark-dev
  libdnnl-dev ocl-icd-opencl-dev zlib1g-dev libhdf5-dev libstb-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev
  libcairo2-dev fonts-dejavu-core
  chromium
  python3-torch python3-numpy
  clang libclang-rt-14-dev libomp-dev llvm
  dataset-fashion-mnist
  libonnx-dev libprotobuf-dev protobuf-compiler python3-onnx python3-opencv nodejs
  dpkg-dev
  libfastjet-dev
  libopenmpi-dev openmpi-bin
)
# npm for ONNX Runtime (tools/onnxruntime); a node that brings its own npm needs no Debian npm.
if ! command -v npm >/dev/null; then packages+=(npm); fi
if [[ "${PHYSCNN_SETUP_EXTRA:-}" != "" ]]; then
  read -r -a extra <<<"$PHYSCNN_SETUP_EXTRA"
  packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# ONNX Runtime's CPU build from the npm registry, pinned by tools/onnxruntime/package-lock.json
# (its install script would download extras from elsewhere: --ignore-scripts).
install_onnxruntime() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tools/onnxruntime"
  if [[ ! -d "$dir/node_modules/onnxruntime-node" ]]; then
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund >&2)
  fi
}
if [[ ${#missing[@]} -eq 0 ]]; then
  install_onnxruntime
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
install_onnxruntime
