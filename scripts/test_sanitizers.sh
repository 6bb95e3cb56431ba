#!/usr/bin/env bash
# Builds hornet with clang, AddressSanitizer and UndefinedBehaviorSanitizer
# (plus the libFuzzer targets) in build-sanitize/, and runs the test suite there.
#   scripts/test_sanitizers.sh [ctest args...]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${SANITIZE_BUILD_DIR:-$repo/build-sanitize}
# shellcheck source=scripts/torch_env.sh
source "$repo/scripts/torch_env.sh"
"$repo/scripts/setup.sh" --deps-only
if ! command -v clang++ >/dev/null || ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "ok installed"; then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
fi
CC=clang CXX=clang++ cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHORNET_SANITIZE=ON -DHORNET_FUZZ=ON -DHORNET_ECOSYSTEM_PYTHON="$HORNET_ECOSYSTEM_VENV/bin/python"
cmake --build "$build_dir"
# LibTorch itself is not instrumented: its std containers lack ASan's
# annotations, so container-overflow checks would misfire across the boundary.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_container_overflow=0:detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$repo/tests/fuzz/lsan.supp}
# The install check builds a separate project, which would inherit these flags.
# Without the install check and the slow toy trainings (test.sh runs both).
"$repo/scripts/run_ctest.sh" "$build_dir" -LE "package|slow" "$@"
