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
data=(--set "data.train.root=$work/data/train" --set "data.val.root=$work/data/val" --set data.train.batch_size=4)

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
expect bad_resume "$work/bad.pth: not a torch.save file" "$cfg" "${data[@]}" --resume "$work/bad.pth"
expect bad_load_from "$work/absent.pth: cannot open" "$cfg" "${data[@]}" --set "runtime.load_from=$work/absent.pth"
expect too_many_classes "model.num_classes is 1" "$cfg" "${data[@]}" --set model.num_classes=1
expect bad_amp "runtime.amp" "$cfg" "${data[@]}" --set runtime.amp=fp8
expect missing_config "nope.yaml" "$work/nope.yaml"
expect tiny_dataset "holds fewer than batch_size x accumulation images" "$cfg" "${data[@]}" --set data.train.batch_size=64
expect fp16_on_cpu "fp16 autocast needs a CUDA device" "$cfg" "${data[@]}" --amp fp16
((failures == 0)) && echo "hornet-train bad input: all checks passed"
exit $((failures > 0))
