#!/usr/bin/env python3
"""hornet-data shows the images hornet-eval sees: its eval pipeline at 224 and
at 384 (the official square resize) is the one hornet-eval validates and
predicts with.

    test_data_tool_pipelines.py BIN_DIR FIXTURE_DIR WORK_DIR

For each size, `hornet-data grid --pipeline eval` of one photo is compared
with the Python reference's pixels for that protocol (PIL: resize and centre
crop at 224, a square bicubic resize at 384), and then run through a HorNet
with `hornet-eval load --input-npy`: its logits must equal those of `hornet-eval
predict` on the same photo."""
import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image

from cli_common import Checks

BIN, FIX, WORK = sys.argv[1:4]
PHOTO = 'astronaut_511x383'
PAD = 4  # make_grid's border around each image
MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)
STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)
check = Checks()


def run(tool, *args):
    proc = subprocess.run([os.path.join(BIN, tool), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f'{tool} {" ".join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}')
    return proc.stdout


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
shutil.copy(os.path.join(FIX, 'images', PHOTO + '.jpg'), WORK)
annotation = os.path.join(WORK, 'one.txt')
with open(annotation, 'w') as f:
    f.write(PHOTO + '.jpg 0\n')
checkpoint = os.path.join(FIX, 'checkpoints', 'tiny_gf_mmpretrain.pth')

for size, reference in [(224, '.crop.npy'), (384, '.square384.npy')]:
    grid = os.path.join(WORK, f'grid{size}.png')
    run('hornet-data', 'grid', annotation, '--pipeline', 'eval', '--size', str(size), '--count', '1', '--columns',
        '1', '--out', grid)
    sheet = np.asarray(Image.open(grid).convert('RGB'))
    check(sheet.shape == (size + 2 * PAD, size + 2 * PAD, 3), f'{size}: the grid holds one {size}x{size} image')
    pixels = sheet[PAD:PAD + size, PAD:PAD + size]
    expected = np.load(os.path.join(FIX, 'images', PHOTO + reference))
    check(expected.shape == pixels.shape and np.array_equal(pixels, expected),
          f'{size}: hornet-data\'s eval pixels equal the reference protocol ({reference[1:-4]})')

    # The same pixels through a model, beside hornet-eval's own preprocessing of the photo.
    x = ((pixels.astype(np.float32) - MEAN) / STD).transpose(2, 0, 1)[None].copy()
    np.save(os.path.join(WORK, f'x{size}.npy'), x)
    from_grid, from_predict = (os.path.join(WORK, f'{name}{size}.npy') for name in ('grid_logits', 'predict_logits'))
    common = ['--arch', 'tiny-gf', '--checkpoint', checkpoint, '--threads', '2', '--image-size', str(size)]
    run('hornet-eval', 'load', *common, '--input-npy', os.path.join(WORK, f'x{size}.npy'), '--dump-logits', from_grid)
    run('hornet-eval', 'predict', os.path.join(WORK, PHOTO + '.jpg'), *common, '--dump-logits', from_predict)
    diff = np.abs(np.load(from_grid) - np.load(from_predict)).max()
    check(diff <= 1e-4, f'{size}: logits of hornet-data\'s pixels equal hornet-eval predict\'s '
                        f'(max difference {diff:.3g})')
check.finish()
