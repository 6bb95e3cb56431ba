#!/usr/bin/env bash
# Installs what hornet's build, tests and demo need on Debian 12, then configures
# and builds hornet in Release. Ends with how long it took and how much it
# downloaded.
#
# Two LibTorch builds, one code base (docs/building.md):
#   HORNET_TORCH=debian (default)  Debian's libtorch-dev 1.13, CPU only, in build/
#   HORNET_TORCH=pypi              PyPI's torch 2.11.0 (the CUDA 13.0 build) in a
#                                  venv, CUDA kernels, GPU tests and NCCL compiled
#                                  in; in build-pypi/
#
# Idempotent and non-interactive: packages already present are skipped, the venv
# is reused, an existing build directory is rebuilt incrementally (ccache).
#
#   scripts/setup.sh              install + build
#   scripts/setup.sh --deps-only  install only
#   BUILD_DIR=... CMAKE_ARGS="-DHORNET_SANITIZE=ON" scripts/setup.sh
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/torch_env.sh
source "$repo/scripts/torch_env.sh"
deps_only=0
[[ "${1:-}" == "--deps-only" ]] && deps_only=1

started=$(date +%s)
received_before=$(hornet_bytes_received)

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # LibTorch 1.13 (CPU) and a fast BLAS: without libopenblas0-pthread matrix
  # products fall back to the reference BLAS, about 30x slower. Installed for
  # the PyPI build too: python3-torch (the fixtures' reference) depends on it.
  libtorch-dev libopenblas0-pthread
  # image decoding and processing
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libturbojpeg0-dev libpng-dev
  # configuration, logging, command lines, tests, distributed headers
  zlib1g-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev catch2 libgloo-dev
  # Python is a test and benchmark tool only: fixtures, the reference model, peers
  python3 python3-venv python3-torch python3-torchvision python3-numpy python3-pil python3-matplotlib
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

hornet_install_ecosystem
cmake_torch_args=()
if [[ $HORNET_TORCH == pypi ]]; then
  hornet_install_pypi_torch
  cmake_torch_args=(-DCMAKE_PREFIX_PATH="$(hornet_pypi_torch_dir)" -DHORNET_TORCH_PYTHON="$HORNET_TORCH_VENV/bin/python"
                    -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-8.0;9.0}")
fi

report() {
  local mib=$(( ($(hornet_bytes_received) - received_before) / 1048576 ))
  echo "setup: LibTorch '$HORNET_TORCH', $1 in $(( $(date +%s) - started )) s, ${mib} MiB downloaded"
}
if ((deps_only)); then
  report "packages ready"
  exit 0
fi

echo "setup: configuring $HORNET_BUILD_DIR (Release, LibTorch '$HORNET_TORCH')"
# shellcheck disable=SC2086
cmake -S "$repo" -B "$HORNET_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cmake_torch_args[@]}" \
  -DHORNET_ECOSYSTEM_PYTHON="$HORNET_ECOSYSTEM_VENV/bin/python" ${CMAKE_ARGS:-}
echo "setup: building"
cmake --build "$HORNET_BUILD_DIR"
report "built"
