#!/usr/bin/env bash
# The hornet demo: installs what is needed, builds, prints the model zoo's
# parameter counts and FLOPs, then runs one forward pass of every arch.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
"$repo/scripts/setup.sh"
eval_bin="$build_dir/bin/hornet-eval"
echo
echo "== HorNet model zoo (FLOPs = conv + linear multiply-accumulates at the arch's input size) =="
"$eval_bin" --summary
echo
echo "== One forward pass per arch (batch 1, random input, official initialisation) =="
"$eval_bin" --forward
