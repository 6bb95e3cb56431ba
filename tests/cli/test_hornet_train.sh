#!/usr/bin/env bash
# hornet-train's bad-input paths: each must stop before training starts, with
# an error naming the key, file or path at fault, and leave no checkpoint.
#   tests/cli/test_hornet_train.sh BIN_DIR SOURCE_DIR WORK_DIR
set -uo pipefail
bin=$1
src=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
"$bin/hornet-data" make-toy "$work/data" --classes 2 --train-per-class 4 --val-per-class 2 --size 32 >/dev/null
cfg="$src/configs/toy/hornet-toy_1xb32_shapes.yaml"
data=(--set "data.train.root=$work/data/train" --set "data.val.root=$work/data/val" --set data.train.batch_size=4
      --set optim.total_batch=4)

expect() {  # name, expected message, args...
  local name=$1 message=$2
  shift 2
  local out rc
  out=$("$bin/hornet-train" "$@" --work-dir "$work/$name" 2>&1); rc=$?
  [[ $rc -ne 0 ]] || fail "$name: exited 0"
  grep -qF -- "$message" <<<"$out" || fail "$name: expected '$message' in: $out"
  if compgen -G "$work/$name/*.pth" >/dev/null; then fail "$name: wrote a checkpoint"; fi
}
expect unknown_key "unknown config key 'optim.weight_decy' (did you mean 'optim.weight_decay'?)" \
  "$cfg" "${data[@]}" --set optim.weight_decy=0.1
expect wrong_type "config key 'schedule.epochs' must be an integer, got many" "$cfg" "${data[@]}" --set schedule.epochs=many
expect missing_data "$work/nowhere: no such dataset folder or annotation file" "$cfg" --set "data.train.root=$work/nowhere"
printf 'not a checkpoint' >"$work/bad.pth"
expect bad_resume "$work/bad.pth: not a torch.save or safetensors file" "$cfg" "${data[@]}" --resume "$work/bad.pth"
expect bad_load_from "$work/absent.pth: cannot open" "$cfg" "${data[@]}" --set "runtime.load_from=$work/absent.pth"
expect too_many_classes "model.num_classes is 1" "$cfg" "${data[@]}" --set model.num_classes=1
expect bad_amp "runtime.amp" "$cfg" "${data[@]}" --set runtime.amp=fp8
expect missing_config "nope.yaml" "$work/nope.yaml"
expect tiny_dataset "the dataset's 8 images make no optimizer step of 16" "$cfg" "${data[@]}" \
  --set data.train.batch_size=16 --set optim.total_batch=16
expect set_accumulation "optim.accumulation is derived" "$cfg" "${data[@]}" --set optim.accumulation=4
out=$("$bin/hornet-train" "$cfg" "${data[@]}" --dry-run --world-size 3 2>&1) && fail "uneven_world: exited 0"
grep -qF "cannot be split evenly over 3 devices" <<<"$out" || fail "uneven_world: expected the split error in: $out"
expect dry_run_only "--world-size requires --dry-run" "$cfg" "${data[@]}" --world-size 2
expect restarts_alone "--max-restarts requires --nproc-per-node" "$cfg" "${data[@]}" --max-restarts 1
expect fp16_on_cpu "fp16 autocast needs a CUDA device" "$cfg" "${data[@]}" --amp fp16

# --dry-run: the plan of every published recipe, on 1 process and on 8, without data or a work dir.
# TRAINING.md: 4096 images per step and lr 4e-3 for the 1k and 22k recipes, 512 and 5e-5 at 384.
plan() {  # recipe, world size -> the plan's first two lines, one line
  (cd "$work" && "$bin/hornet-train" "$src/configs/hornet/$1" --dry-run --world-size "$2" 2>&1 | sed -n 2,3p | tr -s ' \n' ' ')
}
expect_plan() {  # recipe, world size, expected text
  local got
  got=$(plan "$1" "$2")
  grep -qF -- "$3" <<<"$got" || fail "dry run of $1 on $2: expected '$3' in: $got"
}
for r in tiny tiny-gf; do
  expect_plan "hornet-${r}_8xb128_in1k.yaml" 1 "total batch 4096 = world size 1 x micro-batch 128 x accumulation 32 lr 0.004"
  expect_plan "hornet-${r}_8xb128_in1k.yaml" 8 "total batch 4096 = world size 8 x micro-batch 128 x accumulation 4 lr 0.004"
done
for r in small small-gf base base-gf; do
  expect_plan "hornet-${r}_8xb64_in1k.yaml" 1 "total batch 4096 = world size 1 x micro-batch 64 x accumulation 64 lr 0.004"
  expect_plan "hornet-${r}_8xb64_in1k.yaml" 8 "total batch 4096 = world size 8 x micro-batch 64 x accumulation 8 lr 0.004"
done
for r in large large-gf; do
  expect_plan "hornet-${r}_64xb32_in22k.yaml" 64 "total batch 4096 = world size 64 x micro-batch 32 x accumulation 2 lr 0.004"
  expect_plan "hornet-${r}_64xb32_in22k.yaml" 1 "total batch 4096 = world size 1 x micro-batch 32 x accumulation 128 lr 0.004"
  expect_plan "hornet-${r}_32xb16_in22k-pre_384px_in1k.yaml" 32 "total batch 512 = world size 32 x micro-batch 16 x accumulation 1 lr 5e-05"
  expect_plan "hornet-${r}_32xb16_in22k-pre_384px_in1k.yaml" 1 "total batch 512 = world size 1 x micro-batch 16 x accumulation 32 lr 5e-05"
done
# Steps from the recipe's expected ImageNet-1k size: 1281167 / 128 = 10009 batches, 312 steps of 32.
expect_plan hornet-tiny_8xb128_in1k.yaml 1 "total batch 4096"
got=$(cd "$work" && "$bin/hornet-train" "$src/configs/hornet/hornet-tiny_8xb128_in1k.yaml" --dry-run 2>&1)
grep -qF "1281167 images: 312 steps per epoch x 300 epochs = 93600 steps, 6240 warmup steps" <<<"$got" ||
  fail "dry run step counts: $got"
got=$(cd "$work" && "$bin/hornet-train" "$src/configs/hornet/hornet-tiny_8xb128_in1k.yaml" --dry-run \
  --set optim.total_batch=1024 2>&1)
grep -qF "lr 0.001: optim.lr 0.004 is meant for a total batch of 4096 (optim.base_batch_size), scaled linearly to 1024" \
  <<<"$got" || fail "a changed total batch scales the LR and says so: $got"
[[ ! -e "$work/work_dirs" ]] || fail "--dry-run created a work dir"

((failures == 0)) && echo "hornet-train bad input: all checks passed"
exit $((failures > 0))
