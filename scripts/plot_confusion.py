#!/usr/bin/env python3
"""Draws the confusion matrix of a hornet-eval result file (hornet-eval validate CONFIG
--checkpoint F --out result.json) as a PNG: rows are the true classes, columns
the predicted ones, each row normalised to the share of its class's images
(--counts keeps the raw counts).

    /usr/bin/python3 scripts/plot_confusion.py result.json [-o confusion.png] [--counts]
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# Above this many classes the tick labels would overlap into a black band.
MAX_LABELLED = 40


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('result', help='JSON written by hornet-eval validate --out')
    parser.add_argument('-o', '--out', help='PNG to write (default: confusion.png next to the result)')
    parser.add_argument('--counts', action='store_true', help='show image counts instead of row shares')
    args = parser.parse_args()
    try:
        with open(args.result) as f:
            result = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f'plot_confusion: {args.result}: {e}')
    matrix = result.get('confusion_matrix')
    if matrix is None:
        sys.exit(f'plot_confusion: {args.result} holds no confusion matrix '
                 f'({result.get("confusion_matrix_note", "not a hornet-eval validation result")})')
    counts = np.array(matrix, dtype=np.float64)
    names = [c.get('name', str(k)) for k, c in enumerate(result.get('per_class', []))]
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        sys.exit(f'plot_confusion: {args.result}: the confusion matrix is not square')
    shown = counts if args.counts else counts / np.maximum(counts.sum(1, keepdims=True), 1)
    n = counts.shape[0]
    side = min(20.0, max(5.0, 0.35 * n + 2))
    fig, ax = plt.subplots(figsize=(side, side))
    image = ax.imshow(shown, cmap='Blues', interpolation='nearest')
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label='images' if args.counts else 'share of the true class')
    if n <= MAX_LABELLED and len(names) == n:
        ax.set_xticks(range(n), names, rotation=90)
        ax.set_yticks(range(n), names)
        if n <= 15:
            for i in range(n):
                for j in range(n):
                    text = f'{int(counts[i, j])}' if args.counts else f'{shown[i, j]:.2f}'
                    ax.text(j, i, text, ha='center', va='center',
                            color='white' if shown[i, j] > 0.5 * shown.max() else 'black', fontsize=8)
    ax.set_xlabel('predicted class')
    ax.set_ylabel('true class')
    ax.set_title(f'top-1 {result.get("top1", float("nan")):.2f}% on {int(counts.sum())} images')
    fig.tight_layout()
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.result)), 'confusion.png')
    fig.savefig(out, dpi=100)
    print(f'plot_confusion: wrote {out}')


if __name__ == '__main__':
    main()
