#!/usr/bin/env bash
# hornet's CUDA kernels compile with nvcc alone (no LibTorch) for the GPUs the
# recipes target, sm_80 (A100) and sm_90 (H100/H200), warnings as errors, and
# ptxas compiles each kernel for each. Skipped (77) where no CUDA toolkit exists.
#   tests/ops/compile_kernels.sh SOURCE_DIR OUT_DIR
set -uo pipefail
src=$1
out=$2
nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
if [[ ! -x $nvcc ]]; then
  echo "SKIP: no nvcc on this machine (install the CUDA toolkit or set NVCC)"
  exit 77
fi
rm -rf "$out"
mkdir -p "$out"
failures=0
kernels=("$src"/hornet/ops/kernels/*.cu)
((${#kernels[@]} > 0)) && [[ -e ${kernels[0]} ]] || { echo "FAIL: no .cu file under hornet/ops/kernels"; exit 1; }
for cu in "${kernels[@]}"; do
  for arch in 80 90; do
    obj="$out/$(basename "$cu" .cu).sm_$arch.o"
    # ptxas names every kernel it compiles and for which GPU.
    if ! log=$("$nvcc" -std=c++17 -O3 -I"$src" -arch="sm_$arch" -Xcompiler -Wall,-Wextra,-Werror \
        -Werror all-warnings -Xptxas -v -c "$cu" -o "$obj" 2>&1); then
      echo "FAIL: $cu for sm_$arch:"
      echo "$log"
      failures=$((failures + 1))
      continue
    fi
    entries=$(grep -c "Compiling entry function .* for 'sm_$arch'" <<<"$log")
    if ((entries == 0)); then
      echo "FAIL: $cu produced no sm_$arch kernel"
      failures=$((failures + 1))
    else
      echo "ok   $(basename "$cu") for sm_$arch: $entries kernels"
    fi
  done
done
"$nvcc" --version | tail -1
exit $((failures > 0))
