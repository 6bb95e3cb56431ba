#!/usr/bin/env bash
# Runs CTest in a build directory, then checks that every Catch2 case has a
# CTest entry and that each selected entry really executed its case (see
# tests/support/check_cases_ran.py). Both test scripts go through here.
# Entries labelled `gpu` (a CUDA build's hornet-cuda-tests) need a GPU: without
# one they are left out, and the count says so.
#   scripts/run_ctest.sh BUILD_DIR [ctest args...]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$(cd "$1" && pwd)
shift
args=("$@")
gpu_entries=$(cd "$build_dir" && ctest --show-only -L '^gpu$' 2>/dev/null | grep -c '^  *Test *#' || true)
if ((gpu_entries > 0)) && ! nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
  echo "run_ctest: no GPU on this machine: the $gpu_entries GPU test entries are left out (scripts/gpu_check.sh runs them)"
  # Several -LE options exclude only what matches them all: fold into one.
  merged=0
  for i in "${!args[@]}"; do
    if [[ ${args[$i]} == -LE && $((i + 1)) -lt ${#args[@]} ]]; then
      args[i + 1]="${args[i + 1]}|^gpu\$"
      merged=1
    fi
  done
  ((merged)) || args+=(-LE '^gpu$')
fi
rm -f "$build_dir/tests/catch_cases_run.log"
status=0
(cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" "${args[@]}") || status=$?
/usr/bin/python3 "$repo/tests/support/check_cases_ran.py" "$build_dir" "${args[@]}" || status=1
exit "$status"
