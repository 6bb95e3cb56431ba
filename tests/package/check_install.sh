#!/usr/bin/env bash
# Installs the built hornet into a scratch prefix and builds a separate project
# against it with find_package(hornet).
#   tests/package/check_install.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1
work=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -x "$work/prefix/bin/hornet-eval"
test -x "$work/prefix/bin/hornet-train"
test -f "$work/prefix/include/hornet/models/classifier.h"
cmake -S "$here" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
out=$("$work/consumer/consumer")
# tiny with a 10-class head: 22,409,512 - 990 * 512 - 990 = 21,901,642
[[ "$out" == "params 21901642" ]] || { echo "unexpected consumer output: $out"; exit 1; }
echo "find_package(hornet): ok ($out)"
