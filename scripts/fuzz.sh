#!/usr/bin/env bash
# Runs each libFuzzer target (pickle, zip, torch.save files, .npy, safetensors, tar) for a bounded
# time, seeded from the committed corpus in tests/fuzz/corpus/<target>/ (written
# by tests/fuzz/make_corpus.py), which is only read: new inputs go to
# build-sanitize/fuzz/corpus_<target>/. Any crash, leak, timeout or sanitizer report
# fails the run; libFuzzer leaves the input in build-sanitize/fuzz/.
#   scripts/fuzz.sh [seconds per target, default 15]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${SANITIZE_BUILD_DIR:-$repo/build-sanitize}
seconds=${1:-15}
if [[ ! -x "$build_dir/bin/fuzz_pickle" ]]; then
  echo "fuzz: $build_dir has no fuzz targets; run scripts/test_sanitizers.sh first" >&2
  exit 2
fi
seeds="$repo/tests/fuzz/corpus"
work="$build_dir/fuzz"
mkdir -p "$work"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_container_overflow=0:detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$repo/tests/fuzz/lsan.supp}
for target in pickle zip torch_file npy safetensors tar; do
  corpus="$work/corpus_$target"
  mkdir -p "$corpus"
  if [[ -z $(ls -A "$seeds/$target" 2>/dev/null) ]]; then
    echo "fuzz: no seeds in $seeds/$target (tests/fuzz/make_corpus.py writes them)" >&2
    exit 2
  fi
  echo "fuzz: $target for ${seconds}s"
  log="$work/$target.log"
  # libFuzzer writes new inputs only to the first corpus directory.
  if ! (cd "$work" && "$build_dir/bin/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
          -print_final_stats=1 "$corpus" "$seeds/$target" >"$log" 2>&1); then
    echo "fuzz: $target failed; the failing input is in $work (crash-*, leak-*, timeout-*):"
    tail -n 60 "$log"
    exit 1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$log" | sed "s/^/  /"
done
echo "fuzz: no crash, leak or sanitizer report"
