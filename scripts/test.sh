#!/usr/bin/env bash
# Runs hornet's whole test suite on a fresh Debian 12 machine or an existing
# checkout: installs the Debian packages, builds (Release) and runs CTest,
# which first writes the Python reference fixtures.
#
#   scripts/test.sh                 everything
#   scripts/test.sh -L python|cli   extra arguments go to ctest
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/torch_env.sh
source "$repo/scripts/torch_env.sh"
build_dir=$HORNET_BUILD_DIR
"$repo/scripts/setup.sh"
"$repo/scripts/run_ctest.sh" "$build_dir" "$@"
