#!/usr/bin/env bash
# Installs every Debian 12 package that hornet's build, tests and demo need, then
# configures and builds hornet in Release under build/.
#
# Idempotent and non-interactive: packages already present are skipped by apt,
# and an existing build directory is reused (ccache keeps rebuilds cheap).
#
#   scripts/setup.sh              install packages + build
#   scripts/setup.sh --deps-only  install packages only
#   BUILD_DIR=build-asan CMAKE_ARGS="-DHORNET_SANITIZE=ON" scripts/setup.sh
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
deps_only=0
[[ "${1:-}" == "--deps-only" ]] && deps_only=1

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # LibTorch 1.13 (CPU) and a fast BLAS: without libopenblas0-pthread matrix
  # products fall back to the reference BLAS, about 30x slower.
  libtorch-dev libopenblas0-pthread
  # image decoding and processing
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libturbojpeg0-dev libpng-dev
  # configuration, logging, command lines, tests, distributed headers
  zlib1g-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev catch2 libgloo-dev
  # Python is a test and benchmark tool only: fixtures, the reference model, peers
  python3 python3-torch python3-torchvision python3-numpy python3-pil python3-matplotlib
  # the reference pipeline decodes with OpenCV; scikit-image ships the test photographs
  python3-opencv python3-skimage
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi
((deps_only)) && exit 0

echo "setup: configuring $build_dir (Release)"
# shellcheck disable=SC2086
cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-}
echo "setup: building"
cmake --build "$build_dir"
