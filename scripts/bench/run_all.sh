#!/usr/bin/env bash
# Runs every benchmark of scripts/bench/ with its defaults, one after the
# other on an otherwise idle machine, and keeps the printed tables in
# build/bench/all.log beside each script's JSON results. docs/benchmarks.md is
# pasted from one such run.
#   scripts/bench/run_all.sh [--check]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$repo/build/bench"
mkdir -p "$out"
py=/usr/bin/python3
{
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs, hornet $(git -C "$repo" describe --always --dirty)"
  for bench in checkpoint_load data_pipeline train_step distributed; do
    echo
    echo "\$ $py scripts/bench/$bench.py $*"
    "$py" "$repo/scripts/bench/$bench.py" "$@"
  done
} 2>&1 | tee "$out/all.log"
