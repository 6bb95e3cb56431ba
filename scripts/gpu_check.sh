#!/usr/bin/env bash
# Everything about hornet's CUDA path that needs a GPU, as one command that
# fits a GPU host's 10-minute limit (docs/cuda.md): the host's facts, a build
# of the targets the checks need against pip torch's CUDA LibTorch and the
# carried dependency bundle, the GPU tests, the toy recipe trained in bf16 on
# the GPU beside float32 on the CPU, and the speed of hornet against PyTorch
# eager and torch.compile on the same GPU.
#
#   scripts/bundle_deps.sh                    # where apt works: writes deps/, carried to the GPU host
#   scripts/gpu_check.sh [--plan] [STAGE...]  # on the GPU host
#
# Stages (default: facts build cuda toy bench, in this order; `suite` only when named):
#   facts   OS, glibc, compiler, CMake, nvcc, GPU, torch, the bundle, torch's fmt and nccl.h, the folders
#   build   configure (HORNET_CUDA=ON, TORCH_CUDA_ARCH_LIST, default 9.0) and build the four targets
#           the checks run, keeping on after a failure (-k 0) so the log lists every failing file
#   cuda    hornet-cuda-tests: kernels vs the composite path and the CPU twin, zoo logits vs the CPU, ...
#   toy     the toy recipe in bf16 on the GPU and in float32 on the CPU, compared by their loss
#           curves and top-1 on 1,200 validation images (the CPU side alone without a GPU)
#   bench   scripts/bench/gpu_train.py --quick: hornet, eager and torch.compile images/s and memory,
#           reported (a slower figure is a result, not a failure)
#   suite   the CTest suite (labels slow, distributed, cuda and gpu left out; builds everything first)
# Without a GPU the GPU stages say "no GPU" and are skipped; the rest runs. The exit status is
# non-zero only when a stage that could run failed.
#
# Files: the build and every work file under GPU_WORK (default /tmp/hornet-gpu-check); at most 8
# result files in OUT (default GPU_WORK/out): summary.txt, facts.txt, results.json and one log per stage.
# Time: each stage has a budget (--plan prints them; GPU_CHECK_LIMITS="build=400 toy=900" changes
# them, e.g. on a machine with fewer cores); the sum plus a reserve for writing the results is at
# most GPU_CHECK_SECONDS (default 540, inside one 10-minute command).
# Other settings: HORNET_DEPS (the bundle, default deps/), PYTHON (with torch; default python3),
# CUDACXX (nvcc; else PATH, else /usr/local/cuda/bin), GPU_CHECK_TOY_EPOCHS (default 20).
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
work=${GPU_WORK:-/tmp/hornet-gpu-check}
out=${OUT:-$work/out}
build=${GPU_BUILD_DIR:-$work/build}
deps=$(realpath -m "${HORNET_DEPS:-$repo/deps}")
arch_list=${TORCH_CUDA_ARCH_LIST:-9.0}
python=${PYTHON:-python3}
toy_epochs=${GPU_CHECK_TOY_EPOCHS:-20}
total=${GPU_CHECK_SECONDS:-540}
targets=(hornet-train hornet-eval hornet-data hornet-cuda-tests)

# Budgets in seconds; docs/cuda.md gives the measurements behind them. build: the four targets
# from scratch took 750 CPU-seconds on the 2-vCPU development VM (47 s of compilation spread over 16 cores), plus the
# configure step, the longest translation units, which cannot be split, and the links.
all_stages=(facts build cuda toy bench suite)
declare -A budget=([facts]=15 [build]=210 [cuda]=75 [toy]=120 [bench]=95 [suite]=300)
reserve=25
for kv in ${GPU_CHECK_LIMITS:-}; do budget[${kv%%=*}]=${kv#*=}; done

plan=0
stages=()
for arg in "$@"; do
  case $arg in
    --plan) plan=1 ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gpu_check: unknown option '$arg' (see --help)" >&2; exit 2 ;;
    *)
      if [[ -z ${budget[$arg]+x} ]]; then
        echo "gpu_check: unknown stage '$arg' (stages: ${all_stages[*]})" >&2
        exit 2
      fi
      stages+=("$arg") ;;
  esac
done
((${#stages[@]})) || stages=(facts build cuda toy bench)

if ((plan)); then
  sum=0
  printf '%-8s %6s\n' stage budget
  for s in "${stages[@]}"; do
    printf '%-8s %5ss\n' "$s" "${budget[$s]}"
    sum=$((sum + budget[$s]))
  done
  printf '%-8s %5ss\n' reserve "$reserve" total $((sum + reserve))
  echo "limit: GPU_CHECK_SECONDS=$total"
  ((sum + reserve <= total)) || { echo "gpu_check: the budgets exceed the limit" >&2; exit 1; }
  exit 0
fi

mkdir -p "$work/logs" "$out" || exit 2
summary=$out/summary.txt
: >"$summary"
deadline=$(($(date +%s) + total - reserve))
note() { echo "gpu_check: $*" | tee -a "$summary"; }

nvcc_path() {
  if [[ -n ${CUDACXX:-} ]]; then echo "$CUDACXX"; return; fi
  command -v nvcc 2>/dev/null && return
  [[ -x /usr/local/cuda/bin/nvcc ]] && echo /usr/local/cuda/bin/nvcc
}
nvcc=$(nvcc_path)
torch_dir=$("$python" -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null)
has_gpu=0
nvidia-smi -L 2>/dev/null | grep -q '^GPU' && has_gpu=1

# Runs stage NAME (function stage_NAME) within its budget and what is left before the reserve;
# its output goes to GPU_WORK/logs/NAME.log. Returns 0 passed, 1 failed, 2 skipped.
stage() {
  local name=$1 start rc seconds verdict
  start=$(date +%s)
  seconds=$((deadline - start))
  ((seconds > budget[$name])) && seconds=${budget[$name]}
  if ((seconds < 10)); then
    note "$name: skipped, no time left"
    return 2
  fi
  echo "== $name (budget $seconds s) =="
  timeout --kill-after=5 "$seconds" bash -c "set -o pipefail; $(declare -f "stage_$name"); \
$(declare -p repo work out build deps arch_list python toy_epochs nvcc torch_dir has_gpu targets); stage_$name" \
    >"$work/logs/$name.log" 2>&1
  rc=$?
  tail -n 20 "$work/logs/$name.log"
  case $rc in
    0) verdict=passed ;;
    3) verdict="skipped: no GPU" ;;
    124 | 137) verdict="STOPPED at its budget ($seconds s)" ;;
    *) verdict="FAILED (exit $rc)" ;;
  esac
  note "$name: $verdict in $(($(date +%s) - start)) s"
  ((rc == 0)) && return 0
  ((rc == 3)) && return 2
  return 1
}

stage_facts() {
  local missing=0
  fact() { printf '%-18s %s\n' "$1" "$2"; }
  fact "date" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  fact "hornet" "$(git -C "$repo" log -1 --format='%h %s' 2>/dev/null || echo 'not a git checkout')"
  fact "OS" "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
  fact "glibc" "$(getconf GNU_LIBC_VERSION 2>/dev/null)"
  fact "cores, memory" "$(nproc), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  fact "compiler" "$(c++ --version 2>/dev/null | head -n 1 || echo MISSING)"
  fact "cmake" "$(cmake --version 2>/dev/null | head -n 1 || echo MISSING)"
  fact "ninja" "$(ninja --version 2>/dev/null || echo MISSING)"
  if [[ -n $nvcc && -x $nvcc ]]; then
    fact "nvcc" "$nvcc: $("$nvcc" --version | tail -n 1)"
  else
    fact "nvcc" "MISSING (set CUDACXX, or put nvcc on PATH)"
    missing=1
  fi
  if ((has_gpu)); then
    fact "GPU" "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -n 1)"
  else
    fact "GPU" "no GPU ($(command -v nvidia-smi >/dev/null && echo 'nvidia-smi lists none' || echo 'no nvidia-smi'))"
  fi
  if [[ -n $torch_dir ]]; then
    fact "python" "$python: $("$python" --version 2>&1)"
    fact "torch" "$("$python" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version())' 2>&1)"
    fact "torch folder" "$torch_dir"
    fact "torch's fmt" "$([[ -d $torch_dir/include/fmt ]] && echo "yes ($torch_dir/include/fmt; the build puts the bundle's first)" || echo no)"
    local nccl
    nccl=$(realpath -e "$torch_dir"/../nvidia/*/include/nccl.h "${nvcc%/bin/nvcc}/include/nccl.h" 2>/dev/null | head -n 1)
    fact "nccl.h" "${nccl:-not found (the build goes without the NCCL process group)}"
  else
    fact "torch" "MISSING: $python cannot import torch (set PYTHON)"
    missing=1
  fi
  if [[ -f $deps/env.sh ]]; then
    fact "bundle" "$deps, $(du -sm "$deps" | cut -f1) MiB"
  else
    fact "bundle" "MISSING at $deps: run scripts/bundle_deps.sh where apt works and carry deps/ (or set HORNET_DEPS)"
    missing=1
  fi
  fact "repository" "$repo"
  fact "work folder" "$work ($(df -h --output=avail "$work" | tail -n 1 | tr -d ' ') free)"
  fact "results" "$out"
  return "$missing"
}

stage_build() {
  # shellcheck disable=SC1091
  source "$deps/env.sh" || return 1
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHORNET_CUDA=ON \
    -DTORCH_CUDA_ARCH_LIST="$arch_list" -DCMAKE_PREFIX_PATH="$torch_dir;$deps/usr" \
    -DCMAKE_CUDA_COMPILER="$nvcc" -DHORNET_PYTHON="$(command -v "$python")" \
    -DHORNET_TORCH_PYTHON="$(command -v "$python")" || return 1
  local started=$SECONDS rc
  cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" -- -k 0 2>&1 | tee "$work/logs/ninja.txt"
  rc=$?
  echo "build: $((SECONDS - started)) s for ${targets[*]}"
  if ((rc)); then
    echo "build: these failed:"
    grep '^FAILED: ' "$work/logs/ninja.txt"
    return 1
  fi
}

stage_cuda() {
  ((has_gpu)) || { echo "no GPU: the GPU tests need one"; return 3; }
  source "$deps/env.sh"
  "$build/bin/hornet-cuda-tests" -r console -d yes
}

stage_toy() {
  source "$deps/env.sh"
  local toy=$work/toy config=configs/toy/hornet-toy_1xb32_shapes.yaml gpu=
  rm -rf "$toy"
  # 1,200 validation images: one image is 0.08 points of top-1.
  "$build/bin/hornet-data" make-toy "$toy/data" --val-per-class 200 || return 1
  local common=(--set "data.train.root=$toy/data/train" --set "data.val.root=$toy/data/val"
                --set "schedule.epochs=$toy_epochs" --set runtime.keep_checkpoints=1)
  if ((has_gpu)); then
    # Both runs at once: the GPU run's loader needs few cores.
    "$build/bin/hornet-train" "$config" "${common[@]}" --device cuda --amp bf16 --work-dir "$toy/cuda" \
      >"$toy/cuda.log" 2>&1 &
    gpu=$!
  else
    echo "no GPU: the CPU side alone"
  fi
  local threads=$(($(nproc) > 5 ? $(nproc) - 4 : $(nproc)))
  "$build/bin/hornet-train" "$config" "${common[@]}" --device cpu --threads "$threads" --work-dir "$toy/cpu" \
    >"$toy/cpu.log" 2>&1
  local cpu_rc=$? gpu_rc=0
  [[ -n $gpu ]] && { wait "$gpu"; gpu_rc=$?; }
  tail -n 3 "$toy/cpu.log" ${gpu:+"$toy/cuda.log"}
  ((cpu_rc == 0 && gpu_rc == 0)) || return 1
  "$python" "$repo/scripts/compare_toy_runs.py" "$toy" --json "$work/toy.json"
}

stage_bench() {
  ((has_gpu)) || { echo "no GPU: the speed comparison needs one"; return 3; }
  source "$deps/env.sh"
  "$python" scripts/bench/gpu_train.py --bin "$build/bin" --quick --steps 10 --json "$work/bench.json"
}

stage_suite() {
  source "$deps/env.sh"
  cmake --build "$build" -j "$(nproc)" -- -k 0 || return 1
  if ! "$python" -c 'import cv2, skimage' 2>/dev/null; then
    echo "note: $python lacks cv2 or skimage: reference_fixtures fails, and the Catch2 cases that read fixtures with it"
  fi
  ctest --test-dir "$build" -j "$(nproc)" --timeout 300 --output-on-failure -LE "slow|distributed|cuda|gpu"
}

failed=0
declare -A outcome
for s in "${stages[@]}"; do
  if [[ $s != facts && ${outcome[facts]:-0} == 1 ]]; then
    note "$s: skipped, the facts stage found something missing"
    outcome[$s]=2
    continue
  fi
  if [[ $s != facts && $s != build && ${outcome[build]:-0} == 1 ]]; then
    note "$s: skipped, the build failed"
    outcome[$s]=2
    continue
  fi
  stage "$s"
  outcome[$s]=$?
  ((outcome[$s] == 1)) && failed=1
done

# Results: at most 8 files (summary, facts, results.json, the stages' logs).
[[ -f $work/logs/facts.log ]] && cp "$work/logs/facts.log" "$out/facts.txt"
for s in "${stages[@]}"; do
  [[ $s != facts && -f $work/logs/$s.log ]] && tail -c 4M "$work/logs/$s.log" >"$out/$s.log"
done
"$python" - "$work" "$summary" "$out/results.json" <<'PY' || note "results.json: not written"
import json, os, sys
work, summary, path = sys.argv[1:]
results = {'summary': open(summary).read().splitlines()}
for name in ('toy', 'bench'):
    f = os.path.join(work, f'{name}.json')
    if os.path.exists(f):
        results[name] = json.load(open(f))
json.dump(results, open(path, 'w'), indent=1)
PY
echo "== summary ($out) =="
cat "$summary"
exit "$failed"
