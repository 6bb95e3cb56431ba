#!/usr/bin/env bash
# Runs CTest in a build directory, then checks that every Catch2 case has a
# CTest entry and that each selected entry really executed its case (see
# tests/support/check_cases_ran.py). Both test scripts go through here.
#   scripts/run_ctest.sh BUILD_DIR [ctest args...]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$(cd "$1" && pwd)
shift
rm -f "$build_dir/tests/catch_cases_run.log"
status=0
(cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" "$@") || status=$?
/usr/bin/python3 "$repo/tests/support/check_cases_ran.py" "$build_dir" "$@" || status=1
exit "$status"
