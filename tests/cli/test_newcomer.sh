#!/usr/bin/env bash
# A new user's first day, from a fresh clone: make data, train, be stopped from
# overwriting a run, resume, validate and predict, read what a checkpoint
# holds, convert it, and hit the usual mistakes. Every step asserts its exit
# code, the files it leaves and what it says.
#   tests/cli/test_newcomer.sh BIN_DIR WORK_DIR
set -uo pipefail
bin=$(cd "$1" && pwd)
work=$2
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rm -rf "$work"
mkdir -p "$work"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok   $*"; }
# expect CODE MESSAGE COMMAND...: the exit code and a line of the output.
expect() {
  local code=$1 message=$2 out rc
  shift 2
  out=$("$@" 2>&1); rc=$?
  if [[ $rc -ne $code ]]; then
    fail "$*: exit $rc, expected $code: ${out: -600}"
  elif [[ -n $message ]] && ! grep -qF -- "$message" <<<"$out"; then
    fail "$*: expected '$message' in: ${out: -600}"
  else
    pass "$* -> $code${message:+ ($message)}"
  fi
}

# The clone holds everything the walk-through reads (configs, scripts): only
# tracked files count.
clone="$work/hornet"
if git -C "$source_dir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git clone -q "$source_dir" "$clone" || fail "git clone"
  # Uncommitted edits to the files read below are part of what is tested.
  for f in configs scripts; do cp -r "$source_dir/$f" "$clone/"; done
else
  cp -r "$source_dir" "$clone"
fi
cd "$clone" || exit 1
export PATH="$bin:$PATH"
py=/usr/bin/python3

# 1. Data and a short run of the toy recipe.
expect 0 "" hornet-data make-toy work_dirs/toy_data --classes 3 --train-per-class 12 --val-per-class 4 --size 64
config=configs/toy/hornet-toy_1xb32_shapes.yaml
short=(--set schedule.epochs=2 --set schedule.warmup_epochs=0 --set data.train.workers=1 --set data.val.workers=1
       --set model.num_classes=3 --threads 1)
expect 0 "total batch 32" hornet-train "$config" "${short[@]}" --dry-run
expect 0 "best top-1" hornet-train "$config" "${short[@]}" --work-dir work_dirs/toy
for f in last.pth best.pth metrics.jsonl config.yaml; do
  [[ -s work_dirs/toy/$f ]] && pass "the run wrote $f" || fail "the run left no work_dirs/toy/$f"
done
lines=$(wc -l <work_dirs/toy/metrics.jsonl)

# 2. The same command again must not overwrite the run.
expect 1 "--resume" hornet-train "$config" "${short[@]}" --work-dir work_dirs/toy
[[ $(wc -l <work_dirs/toy/metrics.jsonl) -eq $lines ]] && pass "metrics.jsonl untouched" ||
  fail "the refused run changed metrics.jsonl"
expect 1 "no-such.pth" hornet-train "$config" --work-dir work_dirs/toy --resume work_dirs/toy/no-such.pth
expect 1 "would change the run" hornet-train "$config" --work-dir work_dirs/toy --resume auto --set schedule.epochs=5
# Resuming the finished run takes its saved config: nothing left to train.
expect 0 "" hornet-train "$config" --work-dir work_dirs/toy --resume auto

# Ctrl-C saves at the next step; --resume auto finishes the run with its own config.
hornet-train "$config" "${short[@]}" --set schedule.epochs=8 --work-dir work_dirs/stopped >work_dirs/stopped.log 2>&1 &
pid=$!
for _ in $(seq 600); do grep -qF '"mode": "train"' work_dirs/stopped/metrics.jsonl 2>/dev/null && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
rc=$?
if [[ $rc -eq 0 ]] && grep -qF "stopped by a signal" work_dirs/stopped.log && [[ -s work_dirs/stopped/last.pth ]]; then
  pass "Ctrl-C: exit 0 with a checkpoint"
else
  fail "Ctrl-C: exit $rc: $(tail -3 work_dirs/stopped.log)"
fi
expect 0 "resumed from" hornet-train "$config" --work-dir work_dirs/stopped --resume auto
grep -qF '"epoch": 8' work_dirs/stopped/metrics.jsonl && pass "the resumed run reached epoch 8" ||
  fail "the resumed run did not finish: $(tail -2 work_dirs/stopped/metrics.jsonl)"

# 3. Validation, both weights, per-class results and their plot.
expect 0 "EMA weights" hornet-eval validate "$config" --set model.num_classes=3 --checkpoint work_dirs/toy/best.pth \
  --out work_dirs/result.json --dump-logits work_dirs/logits.npy
for f in result.json logits.npy logits.labels.npy logits.paths.txt; do
  [[ -s work_dirs/$f ]] && pass "validation wrote $f" || fail "validation left no work_dirs/$f"
done
expect 0 "wrote" "$py" scripts/plot_confusion.py work_dirs/result.json -o work_dirs/confusion.png
expect 0 "wrote" "$py" scripts/plot_log.py work_dirs/toy/metrics.jsonl -o work_dirs/curves.png

# 4. Predictions name the classes the run was trained on.
first_class=$(ls work_dirs/toy_data/val | head -1)
expect 0 "1. " hornet-eval predict work_dirs/toy_data/val --config "$config" --set model.num_classes=3 \
  --checkpoint work_dirs/toy/best.pth --out work_dirs/predictions.json
grep -qF "\"$first_class\"" work_dirs/predictions.json && pass "predictions carry class names" ||
  fail "predictions.json holds no class name"

# 5. What a checkpoint holds; conversion; the published files.
expect 0 "EMA weights" hornet-eval inspect --checkpoint work_dirs/toy/last.pth
expect 0 "official layout" hornet-convert work_dirs/toy/best.pth work_dirs/official.pth --to official
expect 0 "randomly initialised tiny" hornet-convert --init tiny work_dirs/tiny_init.pth
expect 0 "0e8eedff" hornet-eval zoo
expect 0 "22409512" hornet-eval summary --arch tiny

# 6. The usual mistakes get a clear error.
expect 1 "work_dirs/nowhere: no such dataset folder" hornet-train "$config" --set data.train.root=work_dirs/nowhere --work-dir work_dirs/x
expect 1 "did you mean 'tiny-gf'" hornet-eval summary --arch tiny_gf
expect 1 "did you mean" hornet-train "$config" --set optim.lrr=1 --dry-run
expect 2 "--batch-size: Value 0 not in range 1 to 65536" hornet-eval forward --arch tiny --batch-size 0
expect 1 "is cuda, but" hornet-eval validate "$config" --set model.num_classes=3 --checkpoint work_dirs/toy/best.pth --device cuda
for tool in hornet-train hornet-eval hornet-data hornet-convert; do expect 0 "hornet " "$tool" --version; done

((failures == 0)) && echo "newcomer walk-through: all checks passed"
exit $((failures > 0))
