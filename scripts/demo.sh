#!/usr/bin/env bash
# The hornet demo: installs what is needed and builds (scripts/setup.sh), writes
# the procedural toy dataset, trains a small HorNet on the CPU with the whole
# recipe machinery (RandomResizedCrop, RandAugment, RandomErasing,
# Mixup/CutMix, AdamW with parameter groups, warmup + cosine, clipping, EMA,
# checkpoints), validates the result with hornet-eval, and plots the curves.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/torch_env.sh
source "$repo/scripts/torch_env.sh"
build_dir=$HORNET_BUILD_DIR
cd "$repo"
"$repo/scripts/setup.sh"
bin="$build_dir/bin"
work=work_dirs/toy
echo
echo "== the model zoo =="
"$bin/hornet-eval" summary --arch tiny-gf
echo
echo "== toy dataset: 6 shape classes, 100 training and 30 validation JPEGs each =="
"$bin/hornet-data" make-toy work_dirs/toy_data
echo
echo "== training (config: configs/toy/hornet-toy_1xb32_shapes.yaml, work dir: $work) =="
rm -rf "$work"
start=$(date +%s)
"$bin/hornet-train" configs/toy/hornet-toy_1xb32_shapes.yaml --work-dir "$work"
echo "training took $(( $(date +%s) - start )) s"
echo
echo "== validation of the best checkpoint (EMA weights) =="
"$bin/hornet-eval" validate configs/toy/hornet-toy_1xb32_shapes.yaml --checkpoint "$work/best.pth" --use-ema \
  --data work_dirs/toy_data/val --out "$work/result.json"
/usr/bin/python3 "$repo/scripts/plot_log.py" "$work/metrics.jsonl" -o "$work/curves.png"
echo
echo "demo: done; checkpoints, metrics.jsonl, result.json and curves.png are in $work"
