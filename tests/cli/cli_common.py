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


def train_tiny_ema_run(bin_dir, work, data):
    """One epoch of the tiny model with EMA on the 3-class toy `data`: returns
    the config file and the run's last checkpoint (the evaluation tests' subject)."""
    config = os.path.join(work, 'run.yaml')
    with open(config, 'w') as f:
        f.write(f"""model:
  {TINY_MODEL}
  num_classes: 3
data:
  train: {{root: {data}/train, batch_size: 4, workers: 1, pipeline: {{size: 32}}}}
  val: {{root: {data}/val, batch_size: 4, workers: 1, pipeline: {{resize: 32, crop: 32}}}}
optim: {{lr: 1.0e-3}}
schedule: {{epochs: 1, warmup_epochs: 0}}
ema: {{enabled: true, decay: 0.5}}
runtime: {{threads: 1}}
""")
    run = os.path.join(work, 'run')
    proc = subprocess.run([os.path.join(bin_dir, 'hornet-train'), config, '--work-dir', run], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        sys.exit('training failed: ' + proc.stdout[-1500:] + proc.stderr[-1500:])
    return config, os.path.join(run, 'last.pth')
