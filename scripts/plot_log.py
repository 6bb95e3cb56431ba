#!/usr/bin/env python3
"""Plots a hornet-train metrics log (work_dir/metrics.jsonl) as PNG curves:
training loss and learning rate by iteration, validation accuracy by epoch.
The lines are those hornet/engine/metrics_log.h defines (its writer and
reader are the C++ side of this format).

    /usr/bin/python3 scripts/plot_log.py work_dirs/toy/metrics.jsonl [-o curves.png]
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('log', help='metrics.jsonl written by hornet-train')
    parser.add_argument('-o', '--out', help='PNG to write (default: curves.png next to the log)')
    args = parser.parse_args()
    if not os.path.isfile(args.log):
        sys.exit(f'plot_log: {args.log}: no such file')
    train, val = [], []
    with open(args.log) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f'plot_log: {args.log}:{n}: not JSON ({e})')
            (train if row.get('mode') == 'train' else val).append(row)
    if not train and not val:
        sys.exit(f'plot_log: {args.log}: no metrics')
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.log)), 'curves.png')
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    it = [r['iter'] for r in train]
    axes[0].plot(it, [r['loss'] for r in train], color='tab:blue')
    axes[0].set(title='training loss', xlabel='iteration')
    axes[1].plot(it, [r['lr'] for r in train], color='tab:orange')
    axes[1].set(title='learning rate', xlabel='iteration')
    axes[1].ticklabel_format(axis='y', style='sci', scilimits=(0, 0))
    if val:
        ep = [r['epoch'] for r in val]
        axes[2].plot(ep, [r['top1'] for r in val], marker='o', label='top-1')
        axes[2].plot(ep, [r['top5'] for r in val], marker='s', label='top-5')
        axes[2].legend()
    axes[2].set(title='validation accuracy (%)', xlabel='epoch')
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f'plot_log: wrote {out}')


if __name__ == '__main__':
    main()
