#!/usr/bin/env bash
# Runs every benchmark of scripts/bench/ one after the other, on an otherwise
# idle machine, against the peers users pick instead: PyPI's torch 2.11 (eager
# and torch.compile) and timm. Installs the peers first (setup_peers.sh,
# pinned) and uses hornet built against the same LibTorch (build-pypi/, made
# by `HORNET_TORCH=pypi scripts/setup.sh` when missing). Keeps the printed
# tables in build/bench/all.log beside each script's JSON results;
# docs/benchmarks.md is pasted from one such run.
#   scripts/bench/run_all.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$repo/build/bench"
mkdir -p "$out"
py=/usr/bin/python3
bin=${HORNET_BENCH_BIN:-$repo/build-pypi/bin}
"$repo/scripts/bench/setup_peers.sh"
for tool in hornet-eval hornet-train hornet-data; do
  if [[ ! -x $bin/$tool ]]; then
    echo "run_all: $bin/$tool missing: building hornet against PyPI's torch 2.11"
    HORNET_TORCH=pypi "$repo/scripts/setup.sh"
    break
  fi
done
run() {
  local start=$SECONDS
  echo
  echo "\$ $py scripts/bench/$*"
  "$py" "$repo/scripts/bench/$@"
  echo "($(( SECONDS - start )) s)"
}
{
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs, hornet $(git -C "$repo" describe --always --dirty)"
  echo "# CPU flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_bf16|amx_bf16|amx_tile)$' | tr '\n' ' ')"
  run checkpoint_load.py
  run data_pipeline.py
  run model_speed.py --mode train --steps 3
  run model_speed.py --mode inference --threads 2 --steps 3
  run epoch.py
  run distributed.py
} 2>&1 | tee "$out/all.log"
