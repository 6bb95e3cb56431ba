#!/usr/bin/env bash
# The tools explain themselves: --version everywhere, config errors with key
# paths and origins, hornet-data's options checked and named, grid images in
# the format their name asks for, hidden folders not taken for classes.
#   tests/cli/test_tool_options.sh BIN_DIR WORK_DIR LIBTORCH_VERSION CUDA(ON|OFF)
set -uo pipefail
bin=$1
work=$2
torch_version=$3
cuda=$4
rm -rf "$work"
mkdir -p "$work"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_error() {  # expected message, command...
  local message=$1 out rc
  shift
  out=$("$@" 2>&1); rc=$?
  [[ $rc -ne 0 ]] || fail "$*: exited 0"
  grep -qF -- "$message" <<<"$out" || fail "$*: expected '$message' in: $out"
}

version=$(sed -n 's/.*kVersion = "\([0-9.]*\)".*/\1/p' "$(dirname "$0")/../../hornet/common/version.h")
if [[ $cuda == ON ]]; then
  expected="^hornet $version \\(LibTorch $torch_version, CUDA [0-9]+\\.[0-9]+ kernels for [0-9.;]+\\)\$"
else
  expected="^hornet $version \\(LibTorch $torch_version, CPU only\\)\$"
fi
for tool in hornet-train hornet-eval hornet-data hornet-convert; do
  out=$("$bin/$tool" --version 2>&1) || fail "$tool --version exited non-zero"
  [[ $out =~ $expected ]] || fail "$tool --version printed '$out', expected /$expected/"
done

data="$work/data"
"$bin/hornet-data" make-toy "$data" --classes 2 --train-per-class 2 --val-per-class 1 --size 32 >/dev/null ||
  fail "make-toy"
expect_error "--classes: Value -1 not in range 2 to 8" "$bin/hornet-data" make-toy "$work/x" --classes -1
expect_error "--train-per-class: Value -5 not in range" "$bin/hornet-data" make-toy "$work/x" --train-per-class -5
expect_error "--columns: Value 0 not in range" "$bin/hornet-data" grid "$data/train" --out "$work/g.png" --columns 0
expect_error "--batches: Value 0 not in range" "$bin/hornet-data" bench "$data/train" --batches 0
expect_error "--pipeline: augmented not in {train,eval}" "$bin/hornet-data" grid "$data/train" --out "$work/g.png" \
  --pipeline augmented
expect_error "--pipeline: fast not in {train,eval,decode}" "$bin/hornet-data" bench "$data/train" --pipeline fast
expect_error "--out $work/g.gif: name a .png, .jpg or .jpeg file" "$bin/hornet-data" grid "$data/train" \
  --out "$work/g.gif" --count 2
[[ ! -e "$work/g.gif" ]] || fail "grid wrote a .gif it cannot encode"
for ext in png jpg; do
  "$bin/hornet-data" grid "$data/train" --out "$work/g.$ext" --count 2 >/dev/null || fail "grid --out g.$ext"
done
[[ $(head -c 4 "$work/g.png" | od -An -tx1 | tr -d ' ') == 89504e47 ]] || fail "g.png is not a PNG"
[[ $(head -c 3 "$work/g.jpg" | od -An -tx1 | tr -d ' ') == ffd8ff ]] || fail "g.jpg is not a JPEG"

# Range errors name the option and a readable bound.
expect_error "--batch-size: Value 0 not in range 1 to 65536" "$bin/hornet-eval" forward --arch tiny --batch-size 0
touch "$work/empty.yaml"
expect_error "--threads: must not be negative, got -2" "$bin/hornet-train" "$work/empty.yaml" --threads -2
expect_error "unknown HorNet arch 'tiny_gf' (did you mean 'tiny-gf'?)" "$bin/hornet-eval" summary --arch tiny_gf

# Options that do not apply to the chosen subcommand or mode are errors.
cat >"$work/tiny.yaml" <<YAML
model: {arch: {base_dim: 8, depths: [1, 1, 1, 1], mixers: [dw7, dw7, gf2x2, gf1x1], image_size: 32}, num_classes: 2}
data: {val: {root: $data/val, batch_size: 2, workers: 1, pipeline: {resize: 32, crop: 32}}}
YAML
expect_error "predict: --data is not an option of predict" "$bin/hornet-eval" predict "$work/g.png" \
  --config "$work/tiny.yaml" --checkpoint "$work/empty.yaml" --data "$data/val"
expect_error "summary: --checkpoint is not an option of summary" "$bin/hornet-eval" summary --config "$work/tiny.yaml" \
  --checkpoint "$work/empty.yaml"
expect_error "--work-dir excludes --dry-run" "$bin/hornet-train" "$work/tiny.yaml" --dry-run --work-dir "$work/w"
expect_error "--seed requires --init" "$bin/hornet-convert" "$work/empty.yaml" "$work/c.pth" --to hornet --seed 1
expect_error "--init writes one file" "$bin/hornet-convert" --init tiny "$work/a.pth" "$work/b.pth"
expect_error "validate: --arch is not an option of validate" "$bin/hornet-eval" validate "$work/tiny.yaml" \
  --checkpoint "$work/empty.yaml" --arch tiny
expect_error "load: --data is not an option of load" "$bin/hornet-eval" load --arch tiny \
  --checkpoint "$work/empty.yaml" --data "$data/val"
expect_error "--config excludes --arch" "$bin/hornet-eval" predict "$work/g.png" --config "$work/tiny.yaml" \
  --arch tiny --checkpoint "$work/empty.yaml"
expect_error "summary: --steps is not an option of summary" "$bin/hornet-eval" summary --arch tiny --steps 3

# Config errors name the key path, both values of a rule between two keys, and where each was set.
printf 'schedule: {warmup_epochs: 2}\n' >"$work/warm.yaml"
cat "$work/tiny.yaml" >>"$work/warm.yaml"
expect_error "warm.yaml: config key 'schedule.warmup_epochs' is 2, but must lie between 0 and schedule.epochs, which is 1 (from --set)" \
  "$bin/hornet-train" "$work/warm.yaml" --set schedule.epochs=1 --dry-run
expect_error "--set: config key 'model.arch.mixers' entry 2 (stage 2): mixer 'gf' is neither" "$bin/hornet-train" \
  "$work/tiny.yaml" --set "model.arch={base_dim: 8, mixers: [dw7, dw7, gf, dw7]}" --dry-run

# A notebook's checkpoint folder beside the classes is not a class.
mkdir -p "$data/train/.ipynb_checkpoints"
cp "$(find "$data/train" -name '*.jpg' -o -name '*.JPEG' | head -1)" "$data/train/.ipynb_checkpoints/" 2>/dev/null ||
  cp "$(find "$data/train" -type f | head -1)" "$data/train/.ipynb_checkpoints/"
out=$("$bin/hornet-data" bench "$data/train" --batches 1 --batch-size 2 --workers 1 2>&1) || fail "bench with a hidden folder: $out"
grep -qF "(ImageFolder: 4 images, 2 classes)" <<<"$out" || fail "the hidden folder was taken for a class: $out"
"$bin/hornet-data" grid "$data/train" --out "$work/h.png" --count 2 >/dev/null || fail "grid with a hidden folder"

# Benchmarks: the forward alone, the run's device settings, and the options that do not apply.
out=$("$bin/hornet-eval" benchmark --inference --arch tiny --batch-size 1 --image-size 64 --steps 1 --threads 1 2>&1) ||
  fail "benchmark --inference: $out"
grep -qE "eval forward tiny batch 1 at 64 on cpu \(amp off\): median [0-9.]+ s, [0-9.]+ images/s" <<<"$out" ||
  fail "benchmark --inference printed: $out"
out=$("$bin/hornet-eval" benchmark --arch tiny --batch-size 2 --image-size 64 --steps 1 --threads 1 \
  --amp bf16 --channels-last true --activation-checkpointing 2>&1) || fail "benchmark with settings: $out"
grep -qF "on cpu (amp bf16, channels-last, activation checkpointing)" <<<"$out" ||
  fail "benchmark did not report its settings: $out"
# --device cuda says why it cannot run: no CUDA in the build, or no GPU on the machine.
if [[ $cuda == ON ]]; then
  nvidia-smi -L 2>/dev/null | grep -q '^GPU' ||
    expect_error "--device is cuda, but no CUDA device is present on this machine" \
      "$bin/hornet-eval" benchmark --arch tiny --device cuda --steps 1
else
  expect_error "--device is cuda, but this build of hornet has no CUDA support" \
    "$bin/hornet-eval" benchmark --arch tiny --device cuda --steps 1
fi
expect_error "--inference excludes --activation-checkpointing" "$bin/hornet-eval" benchmark --arch tiny \
  --inference --activation-checkpointing
expect_error "--channels-last: maybe not in {auto,true,false}" "$bin/hornet-eval" benchmark --arch tiny \
  --inference --channels-last maybe

((failures == 0)) && echo "tool options: all checks passed"
exit $((failures > 0))
