"""What the Python CLI tests share: named checks that are all reported before
the script fails, the toy dataset, and the tiny HorNet every training test uses
(8 channels, one block per stage, 32x32 inputs: a step takes milliseconds)."""
import os
import subprocess
import sys

# The model section of every small training config.
TINY_MODEL = 'arch: {base_dim: 8, depths: [1, 1, 1, 1], mixers: [dw7, dw7, gf2x2, gf1x1], image_size: 32}'


class Checks:
    """Prints each check as it is made; finish() exits non-zero if any failed."""

    def __init__(self):
        self.failures = []

    def __call__(self, ok, what):
        print(('ok   ' if ok else 'FAIL ') + what, flush=True)
        if not ok:
            self.failures.append(what)

    def finish(self):
        if self.failures:
            sys.exit(f'{len(self.failures)} check(s) failed')
        print('all checks passed')


def make_toy(bin_dir, root, classes=3, per_class=16, val_per_class=5, size=32):
    """The procedural toy dataset (ImageFolder train/ and val/) under `root`, once."""
    if not os.path.isdir(root):
        subprocess.run([os.path.join(bin_dir, 'hornet-data'), 'make-toy', root, '--classes', str(classes),
                        '--train-per-class', str(per_class), '--val-per-class', str(val_per_class), '--size',
                        str(size)], check=True, capture_output=True)
    return root
