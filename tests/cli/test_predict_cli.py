#!/usr/bin/env python3
"""hornet-eval predict on photographs against the Python reference model fed
by mmpretrain's evaluation pipeline reproduced in Python (the .normalized.npy
fixtures).

    test_predict_cli.py BIN_DIR FIXTURE_DIR WORK_DIR
"""
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'reference'))
import hornet_ref  # noqa: E402

BIN, FIX, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(WORK, exist_ok=True)
PHOTOS = ['astronaut_511x383.jpg', 'chelsea_451x300.jpg', 'motorcycle_301x497.jpg', 'camera_gray_333x257.jpg',
          'chelsea_cmyk.jpg', 'coffee_exif6.jpg', 'coffee_png.JPEG', 'rocket_640x427.jpg', 'hubble_1000x872.jpg']
checkpoint = os.path.join(FIX, 'checkpoints', 'tiny_gf_mmpretrain.pth')
failures = []

model = hornet_ref.Classifier(hornet_ref.arch_spec('tiny-gf')).eval()
model.load_state_dict(torch.load(checkpoint))
inputs = torch.stack([torch.from_numpy(np.load(os.path.join(FIX, 'images', p.rsplit('.', 1)[0] + '.normalized.npy')))
                      for p in PHOTOS])
with torch.no_grad():
    ref = model(inputs).numpy()

names = os.path.join(WORK, 'names.txt')
with open(names, 'w') as f:
    f.write('\n'.join(f'class_{i:04d}' for i in range(1000)) + '\n')
out = os.path.join(WORK, 'predict.npy')
proc = subprocess.run([os.path.join(BIN, 'hornet-eval'), 'predict', *[os.path.join(FIX, 'images', p) for p in PHOTOS],
                       '--arch', 'tiny-gf', '--checkpoint', checkpoint,
                       '--threads', '2', '--topk', '3', '--class-names', names, '--dump-logits', out],
                      capture_output=True, text=True)
if proc.returncode != 0:
    failures.append(f'hornet-eval predict failed:\n{proc.stdout}{proc.stderr}')
else:
    got = np.load(out)
    err = np.abs(got - ref).max()
    print(f'predict on {len(PHOTOS)} photos: max |logits - reference| = {err:.3g}')
    if err > 1e-4:
        failures.append(f'logits differ from the reference by {err}')
    lines = [line for line in proc.stdout.splitlines() if line.startswith(os.path.join(FIX, 'images'))]
    if len(lines) != len(PHOTOS):
        failures.append(f'expected one line per photo:\n{proc.stdout}')
    for line, row in zip(lines, ref):
        top = int(np.argmax(row))
        if f'1. class_{top:04d} ' not in line:
            failures.append(f'top-1 of "{line}" is not class_{top:04d}')

    if proc.stdout.splitlines() != lines:
        failures.append(f'standard output holds more than the predictions:\n{proc.stdout}')

# The spelling from before the subcommands still works: the same predictions, the new spelling on stderr.
old = subprocess.run([os.path.join(BIN, 'hornet-eval'), '--arch', 'tiny-gf', '--checkpoint', checkpoint, '--threads', '2',
                      '--topk', '3', '--class-names', names, '--predict', *[os.path.join(FIX, 'images', p) for p in PHOTOS]],
                     capture_output=True, text=True)
if old.returncode != 0 or old.stdout != proc.stdout or 'now spelt: hornet-eval predict ' not in old.stderr:
    failures.append(f'the old --predict spelling: exit {old.returncode}\n{old.stdout}{old.stderr}')

bad = subprocess.run([os.path.join(BIN, 'hornet-eval'), 'predict', os.path.join(FIX, 'images', 'broken', 'garbage.jpg'),
                      '--arch', 'tiny-gf', '--checkpoint', checkpoint], capture_output=True, text=True)
if bad.returncode != 1 or 'garbage.jpg: not an image' not in bad.stderr:
    failures.append(f'unreadable image: exit {bad.returncode}, {bad.stderr}')

if failures:
    print('\n'.join('FAIL: ' + f for f in failures))
    sys.exit(1)
print('predict CLI: all checks passed')
