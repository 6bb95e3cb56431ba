#!/usr/bin/env bash
# A CUDA build holds everything its GPU runs need, checked without a GPU: the
# fused kernels compiled for each architecture of TORCH_CUDA_ARCH_LIST, the
# NCCL process group, the GPU tests, the tools linked against LibTorch's CUDA
# libraries (each one found), and --version saying so.
#   tests/cuda/check_build.sh BUILD_DIR
set -uo pipefail
build=$1
arch_list=$(sed -n 's/^TORCH_CUDA_ARCH_LIST:[A-Z]*=//p' "$build/CMakeCache.txt")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
[[ -n $arch_list ]] || fail "no TORCH_CUDA_ARCH_LIST in $build/CMakeCache.txt"

grep -q '^#define HORNET_WITH_CUDA' "$build/generated/hornet/build_config.h" && ok "HORNET_WITH_CUDA is defined" ||
  fail "build_config.h does not define HORNET_WITH_CUDA"

# Each .cu file is compiled for every listed architecture (nvcc -gencode).
for kernel in layer_norm gating global_filter; do
  command=$(python3 -c "
import json, sys
for e in json.load(open(sys.argv[1])):
    if e['file'].endswith('/hornet/ops/kernels/$kernel.cu'):
        print(e['command'])" "$build/compile_commands.json")
  [[ -n $command ]] || { fail "$kernel.cu is not in the build"; continue; }
  IFS=';' read -ra archs <<<"$arch_list"
  for arch in "${archs[@]}"; do
    sm=${arch//./}
    sm=${sm%+PTX}
    grep -q -- "arch=compute_$sm,code=sm_$sm" <<<"$command" && ok "$kernel.cu compiled for sm_$sm" ||
      fail "$kernel.cu not compiled for sm_$sm: $command"
  done
  [[ -f $build/hornet/CMakeFiles/hornet_ops.dir/ops/kernels/$kernel.cu.o ]] || fail "no object for $kernel.cu"
done

# The process group's NCCL branch: libhornet_distributed.a calls ProcessGroupNCCL's constructor.
symbols=$(nm -C "$build/lib/libhornet_distributed.a" 2>/dev/null)
if grep -q 'U c10d::ProcessGroupNCCL::ProcessGroupNCCL(' <<<"$symbols"; then
  ok "the process group constructs c10d::ProcessGroupNCCL"
else
  fail "libhornet_distributed.a does not reference c10d::ProcessGroupNCCL's constructor"
fi

# The GPU tests are linked and list their cases (this loads every CUDA library
# they need). Catch2 2's listing exits with the number of cases it listed.
cases=$("$build/bin/hornet-cuda-tests" --list-test-names-only 2>&1)
n=$(grep -c '^cuda: ' <<<"$cases")
((n > 0)) && ok "hornet-cuda-tests lists $n cases" || fail "hornet-cuda-tests lists no case: $cases"

for tool in hornet-train hornet-eval; do
  libs=$(ldd "$build/bin/$tool")
  grep -q 'libtorch_cuda.so => /' <<<"$libs" && ok "$tool links libtorch_cuda.so" ||
    fail "$tool does not link libtorch_cuda.so"
  missing=$(grep 'not found' <<<"$libs")
  [[ -z $missing ]] && ok "$tool: every shared library is found" || fail "$tool: $missing"
done
version=$("$build/bin/hornet-eval" --version)
[[ $version == *"CUDA "*" kernels for $arch_list)" ]] && ok "$version" || fail "--version: $version"

((failures == 0)) && echo "CUDA build: all checks passed" || exit 1
