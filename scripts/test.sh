#!/usr/bin/env bash
# Runs hornet's whole test suite on a fresh Debian 12 machine or an existing
# checkout: installs the Debian packages, builds (Release) and runs CTest,
# which first writes the Python reference fixtures.
#
#   scripts/test.sh                 everything
#   scripts/test.sh -L python|cli   extra arguments go to ctest
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
"$repo/scripts/setup.sh"
"$repo/scripts/run_ctest.sh" "$build_dir" "$@"
