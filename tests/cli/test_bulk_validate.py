#!/usr/bin/env python3
"""hornet-eval bulk: three checkpoints in one command give the numbers three
`hornet-eval validate` runs give; ImageNet-ReaL accuracy, the flip test-time
augmentation and --crop-pct against what is computed here from hornet's own
logits and from mirrored copies of the images (PIL); without a config, the
zoo arch, classes and size come from the file.

    test_bulk_validate.py BIN_DIR WORK_DIR
"""
import csv
import json
import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from cli_common import TINY_MODEL, Checks, make_toy  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
check = Checks()


def path(*names):
    return os.path.join(WORK, *names)


def run(*args):
    proc = subprocess.run([os.path.join(BIN, args[0]), *args[1:]], capture_output=True, text=True)
    check(proc.returncode == 0, f'{" ".join(args[:2])} ... exits 0' +
          ('' if proc.returncode == 0 else f' (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}'))
    return proc


toy = make_toy(BIN, path('toy'))
# Validation images as lossless PNG under ImageNet's validation names, with mirrored copies.
for name, mirror in (('val', False), ('mirrored', True)):
    number = 0
    for cls in sorted(os.listdir(os.path.join(toy, 'val'))):
        os.makedirs(path(name, cls))
        for f in sorted(os.listdir(os.path.join(toy, 'val', cls))):
            number += 1
            img = Image.open(os.path.join(toy, 'val', cls, f)).convert('RGB')
            if mirror:
                img = img.transpose(Image.FLIP_LEFT_RIGHT)
            img.save(path(name, cls, f'ILSVRC2012_val_{number:08d}.png'))


def config(name, epochs):
    file = path(name + '.yaml')
    with open(file, 'w') as f:
        f.write(f"""model:
  {TINY_MODEL}
  num_classes: 3
data:
  train: {{root: {toy}/train, batch_size: 4, workers: 1, pipeline: {{size: 32}}}}
  val: {{root: {path('val')}, batch_size: 4, workers: 1, pipeline: {{resize: 32, crop: 32}}}}
optim: {{lr: 2.0e-3}}
schedule: {{epochs: {epochs}, warmup_epochs: 0}}
runtime: {{threads: 1, tensorboard: false}}
""")
    return file


recipe = config('one', 1)
run('hornet-train', recipe, '--work-dir', path('one'))
run('hornet-train', config('two', 2), '--work-dir', path('two'))
checkpoints = [path('one', 'last.pth'), path('two', 'epoch_1.pth'), path('two', 'epoch_2.pth')]


def bulk(*extra):
    out = path('bulk.csv')
    if os.path.exists(out):
        os.remove(out)
    proc = run('hornet-eval', 'bulk', '--csv', out, '--threads', '1', *extra)
    return list(csv.DictReader(open(out))) if proc.returncode == 0 and os.path.exists(out) else []


def validate(checkpoint, *extra):
    out, logits = path('single.json'), path('single.npy')
    run('hornet-eval', 'validate', recipe, '--checkpoint', checkpoint, '--out', out, '--dump-logits', logits,
        '--threads', '1', *extra)
    with open(path('single.paths.txt')) as f:
        paths = f.read().split('\n')[:len(np.load(logits))]
    return json.load(open(out)), np.load(logits), np.load(path('single.labels.npy')), paths


# Three checkpoints (a file and a pattern) against three single runs.
rows = bulk(checkpoints[0], path('two', 'epoch_*.pth'), '--config', recipe)
check([r['file'] for r in rows] == checkpoints, f'one row per checkpoint, in order: {[r["file"] for r in rows]}')
for row, checkpoint in zip(rows, checkpoints):
    single = validate(checkpoint)[0]
    same = row['top1'] == f'{single["top1"]:.3f}' and row['top5'] == f'{single["top5"]:.3f}' and \
        int(row['images']) == single['samples']
    check(same, f'{os.path.relpath(checkpoint, WORK)}: bulk top-1 {row["top1"]} top-5 {row["top5"]} == validate '
          f'{single["top1"]:.3f} {single["top5"]:.3f}')

# ReaL: hand-chosen label lists; the expected accuracy from validate's logits.
result, logits, labels, paths = validate(checkpoints[2])
numbers = [int(os.path.basename(p)[len('ILSVRC2012_val_'):][:8]) for p in paths]
real = [[] for _ in range(len(paths))]
for n, label in zip(numbers, labels):
    real[n - 1] = [] if n % 3 == 0 else [int(label)] if n % 3 == 1 else [int(label), (int(label) + 1) % 3]
with open(path('real.json'), 'w') as f:
    json.dump(real, f)
top1 = logits.argmax(1)
counted = [(top1[k] in real[n - 1]) for k, n in enumerate(numbers) if real[n - 1]]
want = 100.0 * sum(counted) / len(counted)
rows = bulk(checkpoints[2], '--config', recipe, '--real-labels', path('real.json'))
check(rows and rows[0]['real_top1'] == f'{want:.3f}' and rows[0]['real_top5'] == '100.000',
      f'ReaL top-1 {rows[0]["real_top1"] if rows else None} == {want:.3f} over {len(counted)} labelled images '
      '(top-5 of 3 classes: 100)')
check(rows and rows[0]['top1'] == f'{result["top1"]:.3f}', 'ReaL leaves the plain top-1 as it was')
single = validate(checkpoints[2], '--real-labels', path('real.json'))[0]
check(f'{single.get("real_top1", -1):.3f}' == f'{want:.3f}' and single.get('real_samples') == len(counted),
      f'validate --real-labels: ReaL top-1 {single.get("real_top1")} over {single.get("real_samples")} images')

# Flip: the mean of the logits of the images and of their mirrored copies.
mirrored = validate(checkpoints[2], '--data', path('mirrored'))
want = 100.0 * np.mean(((logits + mirrored[1]) / 2).argmax(1) == labels)
rows = bulk(checkpoints[2], '--config', recipe, '--flip')
check(rows and rows[0]['top1'] == f'{want:.3f}', f'--flip top-1 {rows[0]["top1"] if rows else None} == {want:.3f}')
single = validate(checkpoints[2], '--flip')[0]
check(f'{single["top1"]:.3f}' == f'{want:.3f}', f'validate --flip top-1 {single["top1"]:.3f} == {want:.3f}')

# --crop-pct 0.5: resize to 64, crop 32, as the config spelt that way.
resized = validate(checkpoints[2], '--set', 'data.val.pipeline.resize=64')[0]
rows = bulk(checkpoints[2], '--config', recipe, '--crop-pct', '0.5')
check(rows and rows[0]['top1'] == f'{resized["top1"]:.3f}',
      f'--crop-pct 0.5 top-1 {rows[0]["top1"] if rows else None} == resize 64 {resized["top1"]:.3f}')

# Without a config: the arch from the file's shapes, its head's classes, the size asked for.
run('hornet-convert', '--init', 'tiny-gf', path('tiny_gf.pth'), '--num-classes', '3')
rows = bulk(path('tiny_gf.pth'), '--data', path('val'), '--image-size', '64', '--batch-size', '8')
summary = run('hornet-eval', 'summary', '--arch', 'tiny-gf', '--num-classes', '3', '--image-size', '64').stdout
params = int(summary.splitlines()[1].split()[4])
check(rows and rows[0]['arch'] == 'tiny-gf' and rows[0]['image_size'] == '64' and
      rows[0]['params_m'] == f'{params / 1e6:.2f}' and float(rows[0]['images_per_s']) > 0,
      f'no config: {rows[0] if rows else None}')
# --zoo-dir: a file under a published name gets the published top-1 beside its own (and a hash warning:
# it is not the published file). An annotation file gives the toy images the head's 1000 classes.
os.makedirs(path('zoo'))
run('hornet-convert', '--init', 'tiny', path('zoo', 'hornet-tiny_3rdparty_in1k_20220915-0e8eedff.pth'), '--to',
    'mmpretrain')
with open(path('val.txt'), 'w') as f:
    for cls_index, cls in enumerate(sorted(os.listdir(path('val')))):
        for name in sorted(os.listdir(path('val', cls))):
            f.write(f'val/{cls}/{name} {cls_index}\n')
out = path('zoo.csv')
proc = run('hornet-eval', 'bulk', '--zoo-dir', path('zoo'), '--data', path('val.txt'), '--image-size', '64',
           '--csv', out, '--threads', '1')
rows = list(csv.DictReader(open(out))) if os.path.exists(out) else []
check(len(rows) == 1 and rows[0]['arch'] == 'tiny' and rows[0]['published_top1'] == '82.84' and
      rows[0]['top1_delta'] == f'{float(rows[0]["top1"]) - 82.84:.3f}' and 'SHA-256' in proc.stderr,
      f'--zoo-dir: the published file found, its published top-1 and the difference ({rows}), the hash warned about')
# ReaL on images without ImageNet's names, or with labels that stop short: an error naming the image.
for data, labels, message in ((os.path.join(toy, 'val'), path('real.json'), "ReaL labels go by ImageNet's"),
                              (path('val'), path('short_real.json'), 'is past the 4 entries of the ReaL labels')):
    with open(path('short_real.json'), 'w') as f:
        json.dump([[0]] * 4, f)
    proc = subprocess.run([os.path.join(BIN, 'hornet-eval'), 'validate', recipe, '--checkpoint', checkpoints[0],
                           '--data', data, '--real-labels', labels, '--threads', '1'], capture_output=True, text=True)
    check(proc.returncode != 0 and message in proc.stderr,
          f'--real-labels on {os.path.basename(data)} with {os.path.basename(labels)}: "{message}" '
          f'(exit {proc.returncode}: {proc.stderr[-300:]})')
proc = subprocess.run([os.path.join(BIN, 'hornet-eval'), 'bulk', path('nothing*.pth'), '--data', path('val')],
                      capture_output=True, text=True)
check(proc.returncode != 0 and 'no file matches this pattern' in proc.stderr, 'a pattern matching nothing: an error')
check.finish()
