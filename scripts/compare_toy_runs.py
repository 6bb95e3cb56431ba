#!/usr/bin/env python3
"""Compares two runs of the toy recipe: the GPU run (bf16) must learn as the
CPU run (float32) does. Used by scripts/gpu_check.sh.

    python3 scripts/compare_toy_runs.py WORK [--json OUT.json]

WORK holds cpu/metrics.jsonl and, when a GPU ran, cuda/metrics.jsonl. Each
run's curve is its per-epoch mean training loss; its accuracy the last
epoch's top-1 on the validation set (1,200 images in gpu_check).

The bounds come from the spread between float32 CPU runs of the same recipe
that differ only in their seed (docs/cuda.md has the measurement): a correct
bf16 run differs from a float32 one about as another seed does, while a
broken kernel leaves the loss near ln(6) = 1.79 or makes it NaN. Both bounds
are over twice the largest measured spread, so a correct GPU path does not
fail them by chance, and far below what a broken one gives:
  - the curves: the mean absolute difference of the epoch losses over the
    second half of training at most LOSS_BOUND;
  - top-1: the GPU run within TOP1_BOUND points of the CPU run.
A run alone (no GPU) must learn: its last epoch's loss below LEARNED of its
first's, and top-1 at least twice chance.
"""
import argparse
import json
import math
import os
import sys

LOSS_BOUND = 0.2
TOP1_BOUND = 12.0
LEARNED = 0.8


def read_run(path):
    rows = [json.loads(line) for line in open(os.path.join(path, 'metrics.jsonl'))]
    epochs = {}
    for r in rows:
        if r.get('mode') == 'train':
            epochs.setdefault(int(r['epoch']), []).append(float(r['loss']))
    curve = [sum(v) / len(v) for _, v in sorted(epochs.items())]
    val = [r for r in rows if r.get('mode') == 'val']
    if not curve or not val:
        raise SystemExit(f'{path}: no training or validation rows in metrics.jsonl')
    return {'loss_curve': curve, 'top1': float(val[-1]['top1'])}


def learned(run):
    c = run['loss_curve']
    return all(math.isfinite(v) for v in c) and c[-1] < LEARNED * c[0] and run['top1'] >= 2 * 100 / 6


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('work')
    parser.add_argument('--json')
    args = parser.parse_args()
    cpu = read_run(os.path.join(args.work, 'cpu'))
    result = {'cpu_float32': cpu, 'bounds': {'loss': LOSS_BOUND, 'top1': TOP1_BOUND}}
    ok = learned(cpu)
    print(f"CPU float32: loss {cpu['loss_curve'][0]:.3f} -> {cpu['loss_curve'][-1]:.3f}, top-1 {cpu['top1']:.2f}% "
          f"({'learns' if ok else 'DOES NOT LEARN'})")
    if os.path.exists(os.path.join(args.work, 'cuda', 'metrics.jsonl')):
        gpu = read_run(os.path.join(args.work, 'cuda'))
        half = len(cpu['loss_curve']) // 2
        pairs = list(zip(gpu['loss_curve'], cpu['loss_curve']))[half:]
        loss_gap = sum(abs(g - c) for g, c in pairs) / max(len(pairs), 1)
        top1_gap = cpu['top1'] - gpu['top1']
        agree = learned(gpu) and loss_gap <= LOSS_BOUND and top1_gap <= TOP1_BOUND
        print(f"CUDA bf16:   loss {gpu['loss_curve'][0]:.3f} -> {gpu['loss_curve'][-1]:.3f}, top-1 {gpu['top1']:.2f}%; "
              f"curves {loss_gap:.3f} apart (bound {LOSS_BOUND}), top-1 {top1_gap:+.2f} points behind "
              f"(bound {TOP1_BOUND}) -> {'AGREE' if agree else 'DISAGREE'}")
        result.update({'cuda_bf16': gpu, 'loss_gap': loss_gap, 'top1_gap': top1_gap, 'agree': agree})
        ok = ok and agree
    result['ok'] = ok
    if args.json:
        json.dump(result, open(args.json, 'w'), indent=1)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
