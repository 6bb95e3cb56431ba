#!/usr/bin/env bash
# Everything about hornet's CUDA path that needs a GPU, as one command for a
# GPU host (docs/cuda.md): build against pip torch's CUDA LibTorch and the
# carried dependency bundle, run the GPU tests, train the toy recipe in bf16
# on the GPU and on the CPU, benchmark against PyTorch eager and
# torch.compile, then run the rest of the test suite. Logs and results go to
# $OUT (default build-gpu/out); summary.txt lists each stage's outcome and time.
#
#   scripts/bundle_deps.sh                      # on a machine with apt: writes deps/
#   scripts/gpu_check.sh [STAGE...]             # on the GPU host, with deps/ carried
#
# Stages (default: build cuda toy bench, in this order; a later stage needs `build`):
#   build   configure build-gpu/ (HORNET_CUDA=ON, TORCH_CUDA_ARCH_LIST, default 9.0) and build
#   cuda    hornet-cuda-tests: kernels vs composite and CPU twin, zoo logits vs CPU, ...
#   toy     the toy recipe on CUDA (bf16) and on the CPU: the GPU run must reach the CPU's top-1
#   bench   scripts/bench/gpu_train.py --check (hornet vs eager vs torch.compile, data loader)
#   suite   the CTest suite (CPU tests and CLI checks; labels `slow` and `distributed` left out; only when named)
# The whole run ends within GPU_CHECK_SECONDS (default 570: one 10-minute job); each stage
# gets its own limit (GPU_CHECK_LIMITS, e.g. "cuda=180 bench=300") or what is left, whichever is less,
# and the benchmark writes its results after every case, so a run cut short keeps what it measured.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
out=${OUT:-$repo/build-gpu/out}
build=${GPU_BUILD_DIR:-$repo/build-gpu}
deps=${HORNET_DEPS:-$repo/deps}
arch_list=${TORCH_CUDA_ARCH_LIST:-9.0}
python=${PYTHON:-python3}
stages=("$@")
((${#stages[@]})) || stages=(build cuda toy bench)
deadline=$(($(date +%s) + ${GPU_CHECK_SECONDS:-570}))
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"
declare -A limit=([build]=300 [cuda]=120 [toy]=150 [bench]=600 [suite]=600)
for kv in ${GPU_CHECK_LIMITS:-}; do limit[${kv%%=*}]=${kv#*=}; done

note() { echo "gpu_check: $*" | tee -a "$summary"; }

# Runs stage NAME (a function) with its time limit, output in OUT/NAME.log.
stage() {
  local name=$1 start rc seconds
  start=$(date +%s)
  seconds=$((deadline - start - 5))
  ((seconds > limit[$name])) && seconds=${limit[$name]}
  if ((seconds < 20)); then
    note "$name: skipped, no time left (GPU_CHECK_SECONDS)"
    return 1
  fi
  echo "== $name (limit $seconds s) =="
  timeout --kill-after=5 "$seconds" bash -c "set -o pipefail; $(declare -f "stage_$name"); $(declare -p repo out build deps arch_list python); stage_$name" \
    >"$out/$name.log" 2>&1
  rc=$?
  tail -n 25 "$out/$name.log"
  local verdict=passed
  ((rc == 124 || rc == 137)) && verdict="stopped at its time limit"
  ((rc != 0 && rc != 124 && rc != 137)) && verdict="FAILED (exit $rc)"
  note "$name: $verdict in $(($(date +%s) - start)) s (log: $out/$name.log)"
  return "$rc"
}

stage_build() {
  if [[ ! -f $deps/env.sh ]]; then
    echo "no dependency bundle at $deps: run scripts/bundle_deps.sh where apt works and carry deps/" >&2
    return 2
  fi
  # shellcheck disable=SC1091
  source "$deps/env.sh"
  # The torch package folder (not its share/cmake): TorchConfig then finds its own libraries.
  local torch_dir
  torch_dir=$("$python" -c 'import os, torch; print(os.path.dirname(torch.__file__))') || return 2
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHORNET_CUDA=ON \
    -DTORCH_CUDA_ARCH_LIST="$arch_list" -DCMAKE_PREFIX_PATH="$torch_dir;$deps/usr" \
    -DHORNET_PYTHON="$(command -v "$python")" -DCMAKE_CUDA_COMPILER="${CUDACXX:-/usr/local/cuda/bin/nvcc}" &&
    cmake --build "$build" -j "$(nproc)"
}

stage_cuda() {
  source "$deps/env.sh"
  "$build/bin/hornet-cuda-tests" -r console -d yes
}

stage_toy() {
  source "$deps/env.sh"
  local work=$out/toy config=configs/toy/hornet-toy_1xb32_shapes.yaml
  rm -rf "$work"
  "$build/bin/hornet-data" make-toy "$work/data" || return 1
  local common=(--set "data.train.root=$work/data/train" --set "data.val.root=$work/data/val")
  # Both runs at once: the GPU run's loader needs few cores.
  "$build/bin/hornet-train" "$config" "${common[@]}" --device cuda --amp bf16 --work-dir "$work/cuda" \
    >"$work/cuda.log" 2>&1 &
  local gpu=$!
  local threads=$(($(nproc) > 5 ? $(nproc) - 4 : 1))
  "$build/bin/hornet-train" "$config" "${common[@]}" --device cpu --threads "$threads" \
    --work-dir "$work/cpu" >"$work/cpu.log" 2>&1
  local cpu_rc=$?
  wait "$gpu"
  local gpu_rc=$?
  tail -n 3 "$work/cuda.log" "$work/cpu.log"
  ((cpu_rc == 0 && gpu_rc == 0)) || return 1
  "$python" - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def best(run):
    rows = [json.loads(l) for l in open(f'{work}/{run}/metrics.jsonl')]
    return max(r['top1'] for r in rows if r.get('mode') == 'val')
cuda, cpu = best('cuda'), best('cpu')
ok = cuda >= cpu - 2.0
print(f'toy recipe best top-1: CUDA bf16 {cuda:.2f}%, CPU float32 {cpu:.2f}% -> '
      f'{"reaches" if ok else "FALLS SHORT OF"} the CPU run (tolerance 2 points)')
json.dump({'cuda_bf16_top1': cuda, 'cpu_top1': cpu, 'ok': ok}, open(f'{work}/toy.json', 'w'))
sys.exit(0 if ok else 1)
PY
}

stage_bench() {
  source "$deps/env.sh"
  "$python" scripts/bench/gpu_train.py --bin "$build/bin" --json "$out/gpu_train.json" --check
}

stage_suite() {
  source "$deps/env.sh"
  # The reference fixtures (tests/reference/make_fixtures.py) decode with OpenCV and read scikit-image's photographs.
  if ! "$python" -c 'import cv2, skimage' 2>/dev/null; then
    echo "note: $python lacks cv2 or skimage: reference_fixtures fails, and the Catch2 cases that read fixtures with it"
  fi
  ctest --test-dir "$build" -j "$(nproc)" --timeout 300 --output-on-failure -LE "slow|distributed|cuda|gpu"
}

{
  date -u
  nvidia-smi 2>&1 | head -n 15
  "$python" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda)' 2>&1
  "${CUDACXX:-/usr/local/cuda/bin/nvcc}" --version 2>&1 | tail -n 2
  git -C "$repo" log -1 --format='hornet %h %s' 2>/dev/null
} >"$out/env.txt"
cat "$out/env.txt"

failed=0
for s in "${stages[@]}"; do
  if [[ -z ${limit[$s]+x} ]]; then
    note "unknown stage '$s' (build, cuda, toy, bench, suite)"
    failed=1
    continue
  fi
  stage "$s" || failed=1
  if [[ $s == build && $failed -ne 0 ]]; then
    note "the build failed: later stages skipped"
    break
  fi
done
echo "== summary =="
cat "$summary"
exit "$failed"
