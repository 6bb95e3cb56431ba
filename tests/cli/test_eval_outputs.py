#!/usr/bin/env python3
"""What evaluation gives a user beyond one accuracy line.

9.  hornet checkpoints carry their class names (mmengine's meta.dataset_meta.classes)
    and predictions print them; --class-names with the wrong count is an error;
    predict takes folders and writes JSON (path, top-k classes, names, scores);
    an unreadable file is reported and skipped, not fatal;
10. --out writes per-class accuracy and the confusion matrix (scripts/plot_confusion.py
    draws it), --dump-logits writes the logits with their labels and image paths;
11. zoo lists the published checkpoints; a validated file named as one of them gets
    the published accuracy beside the measured one and its hash checked;
12. hornet-eval takes --device and --amp, summary --config works for a config's custom arch,
    hornet-convert --init writes a randomly initialised model.

    test_eval_outputs.py BIN_DIR WORK_DIR
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'reference'))
from cli_common import Checks, make_toy, train_tiny_ema_run  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
check = Checks()

shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
data = make_toy(BIN, os.path.join(WORK, 'data'), per_class=8, val_per_class=3)
class_folders = sorted(os.listdir(os.path.join(data, 'val')))
config, checkpoint = train_tiny_ema_run(BIN, WORK, data)


def hornet(tool, *args):
    return subprocess.run([os.path.join(BIN, tool), *map(str, args)], capture_output=True, text=True)


def tail(proc):
    return (proc.stdout + proc.stderr).strip()[-300:]


# 9. Class names in the checkpoint, as mmengine stores them.
saved = torch.load(checkpoint, map_location='cpu')
check(list(saved['meta'].get('dataset_meta', {}).get('classes', [])) == class_folders,
      f'the checkpoint carries the class folder names {class_folders} as meta.dataset_meta.classes')

val_images = sorted(os.path.join(root, name) for root, _, names in os.walk(os.path.join(data, 'val')) for name in names)
preds = os.path.join(WORK, 'predictions.json')
proc = hornet('hornet-eval', 'predict', os.path.join(data, 'val'), '--config', config, '--checkpoint', checkpoint, '--topk', 2,
              '--out', preds)
result = json.load(open(preds)) if proc.returncode == 0 else {'predictions': [], 'skipped': []}
entries = result['predictions']
check(proc.returncode == 0 and sorted(e['path'] for e in entries) == val_images,
      f'predict FOLDER classifies every image below it ({len(entries)} of {len(val_images)}): {tail(proc)}')
check(all(len(e['classes']) == 2 and e['names'] == [class_folders[c] for c in e['classes']] and
          e['scores'][0] >= e['scores'][1] and 0 <= sum(e['scores']) <= 1 + 1e-6 for e in entries) and entries != [],
      'each JSON prediction holds its top-2 classes, their names (from the checkpoint) and falling scores')
first = entries[0] if entries else {'path': '?', 'names': ['?']}
check(f"{first['path']}:  1. {first['names'][0]} " in proc.stdout, 'the printed predictions name the classes')

# The same images through the validation loader: logits, labels and paths row for row.
logits_path = os.path.join(WORK, 'val_logits.npy')
report = os.path.join(WORK, 'result.json')
proc = hornet('hornet-eval', 'validate', config, '--checkpoint', checkpoint, '--out', report, '--dump-logits', logits_path)
check(proc.returncode == 0 and os.path.exists(logits_path), '--dump-logits with a validation: ' + tail(proc))
logits = np.load(logits_path) if os.path.exists(logits_path) else np.zeros((0, 3))
labels_path, paths_path = os.path.join(WORK, 'val_logits.labels.npy'), os.path.join(WORK, 'val_logits.paths.txt')
labels = np.load(labels_path) if os.path.exists(labels_path) else np.zeros(0, dtype=np.int64)
paths = open(paths_path).read().splitlines() if os.path.exists(paths_path) else []
check(logits.shape == (len(val_images), 3) and len(labels) == len(paths) == len(val_images) and
      all(labels[k] == class_folders.index(os.path.basename(os.path.dirname(p))) for k, p in enumerate(paths)),
      f'the logits come with the label of each row ({labels_path}) and its image file ({paths_path})')
by_path = {p: k for k, p in enumerate(paths)}
check(entries != [] and all(e['classes'][0] == int(np.argmax(logits[by_path[e['path']]])) for e in entries) and
      all(abs(e['scores'][0] - float(np.max(np.exp(logits[by_path[e['path']]] - logits[by_path[e['path']]].max()) /
                                             np.exp(logits[by_path[e['path']]] - logits[by_path[e['path']]].max()).sum())))
          < 1e-5 for e in entries),
      'predict agrees with the validation logits: top class = argmax, score = softmax (numpy)')

# 10. Per-class accuracy and the confusion matrix, recomputed from the dumped logits.
rep = json.load(open(report)) if os.path.exists(report) else {}
predicted = logits.argmax(1) if len(logits) else np.zeros(0, dtype=np.int64)
confusion = np.zeros((3, 3), dtype=np.int64)
for t, p in zip(labels, predicted):
    confusion[t, p] += 1
check(rep.get('confusion_matrix') == confusion.tolist(),
      f'the confusion matrix (rows true, columns predicted) equals numpy\'s from the logits: {rep.get("confusion_matrix")}')
per_class = rep.get('per_class', [])
check([c.get('name') for c in per_class] == class_folders and
      all(c['samples'] == confusion[k].sum() and c['correct'] == confusion[k, k] and
          abs(c['top1'] - 100.0 * confusion[k, k] / confusion[k].sum()) < 1e-4 for k, c in enumerate(per_class)),
      'per-class samples, hits and accuracy with the class names')
check(abs(rep.get('top1', -1) - 100.0 * np.trace(confusion) / max(1, confusion.sum())) < 1e-4 and
      rep.get('other', {}).get('weights') == 'raw' and rep.get('weights') == 'ema',
      'the overall top-1 is the matrix\'s trace share; both weights are reported (EMA first, as the log)')
png = os.path.join(WORK, 'confusion.png')
proc = subprocess.run([sys.executable, os.path.join(REPO, 'scripts', 'plot_confusion.py'), report, '-o', png],
                      capture_output=True, text=True)
try:
    from PIL import Image
    size = Image.open(png).size if os.path.exists(png) else (0, 0)
except OSError:
    size = (0, 0)
check(proc.returncode == 0 and min(size) > 100, f'scripts/plot_confusion.py draws it as a PNG {size}: {tail(proc)}')

# An unreadable file among readable ones is skipped and reported; none readable is an error.
mixed = os.path.join(WORK, 'mixed')
shutil.copytree(os.path.join(data, 'val', class_folders[0]), mixed)
with open(os.path.join(mixed, 'broken.jpg'), 'wb') as f:
    f.write(b'\xff\xd8\xff not really a JPEG')
from PIL import Image  # noqa: E402
Image.new('RGB', (8, 8), (200, 10, 10)).save(os.path.join(mixed, 'animated.png'), format='GIF')  # a GIF, misnamed
sys.path.insert(0, os.path.join(HERE, '..', 'reference'))
from make_fixtures import SKIMAGE_DATA  # noqa: E402
profiled = Image.open(os.path.join(SKIMAGE_DATA, 'chelsea.png'))  # the "known incorrect" sRGB profile
profiled.save(os.path.join(mixed, 'profiled.png'), icc_profile=profiled.info['icc_profile'])
os.makedirs(os.path.join(mixed, '.ipynb_checkpoints'))
shutil.copy(val_images[0], os.path.join(mixed, '.ipynb_checkpoints', 'copy.png'))
mixed_json = os.path.join(WORK, 'mixed.json')
proc = hornet('hornet-eval', 'predict', mixed, '--config', config, '--checkpoint', checkpoint, '--out', mixed_json)
got = json.load(open(mixed_json)) if os.path.exists(mixed_json) else {'predictions': [], 'skipped': []}
# hornet's warnings and errors go to standard error, the predictions to standard output.
log = proc.stdout + proc.stderr
png_lines = [line for line in log.splitlines() if 'profiled.png' in line and 'warning' in line]
check(len(png_lines) == 1 and 'known incorrect sRGB profile' in png_lines[0] and
      any(p['path'].endswith('profiled.png') for p in got['predictions']),
      f'libpng\'s warning is one hornet line naming the file, and the image is classified: {png_lines}')
check(proc.returncode == 0 and len(got['predictions']) == len(os.listdir(mixed)) - 3 and
      [s['path'] for s in got['skipped']] == [os.path.join(mixed, n) for n in ('animated.png', 'broken.jpg')] and
      'broken.jpg' in log, 'unreadable files are skipped and reported, hidden folders are left out: ' +
      proc.stderr.strip()[-300:])
# `predict ... > out.txt` holds the predictions alone: one line per classified image, no warnings.
check([line.split(':', 1)[0] for line in proc.stdout.splitlines()] == [p['path'] for p in got['predictions']],
      'standard output holds the prediction lines alone: ' + proc.stdout[-300:])
gif_lines = [line for line in log.splitlines() if 'animated.png' in line]
check(len(gif_lines) == 1 and 'GIF images are not supported' in gif_lines[0] and 'WARN' not in log and
      'libpng' not in log, f'a GIF is one hornet warning line, no decoder noise: {gif_lines}')
only_broken = os.path.join(WORK, 'only_broken')
os.makedirs(only_broken)
shutil.copy(os.path.join(mixed, 'broken.jpg'), only_broken)
proc = hornet('hornet-eval', 'predict', only_broken, '--config', config, '--checkpoint', checkpoint)
check(proc.returncode == 1 and 'no image could be read' in proc.stderr, 'no readable image: an error: ' + tail(proc))
proc = hornet('hornet-eval', 'predict', os.path.join(WORK, 'nowhere'), '--config', config, '--checkpoint', checkpoint)
check(proc.returncode == 1 and 'nowhere: no such file or folder' in proc.stderr, 'a missing path is named: ' + tail(proc))

# --class-names must name every output.
two_names = os.path.join(WORK, 'two.txt')
with open(two_names, 'w') as f:
    f.write('a\nb\n')
proc = hornet('hornet-eval', 'predict', val_images[0], '--config', config, '--checkpoint', checkpoint, '--class-names', two_names)
check(proc.returncode == 1 and 'has 2 class names but the model has 3 outputs' in proc.stderr,
      '--class-names with the wrong count is an error: ' + tail(proc))
three_names = os.path.join(WORK, 'three.txt')
with open(three_names, 'w') as f:
    f.write('alpha\nbeta\ngamma\n')
proc = hornet('hornet-eval', 'predict', val_images[0], '--config', config, '--checkpoint', checkpoint, '--class-names',
              three_names, '--topk', 3)
check(proc.returncode == 0 and all(n in proc.stdout for n in ('alpha', 'beta', 'gamma')),
      '--class-names replaces the checkpoint\'s names: ' + tail(proc))

# 11. The published checkpoints, and a file named as one of them.
proc = hornet('hornet-eval', 'zoo')
check(proc.returncode == 0 and 'hornet-tiny_3rdparty_in1k_20220915-0e8eedff.pth' in proc.stdout and
      '82.84' in proc.stdout and '96.24' in proc.stdout and 'hornet_large_gf_img384_22k.pth' in proc.stdout and
      len([line for line in proc.stdout.splitlines() if '.pth' in line]) == 15,
      'zoo lists the 6 mmpretrain and 9 official checkpoints with their accuracy: ' + proc.stdout[:200])
named = os.path.join(WORK, 'hornet-tiny_3rdparty_in1k_20220915-0e8eedff.pth')
shutil.copy(checkpoint, named)
digest = hashlib.sha256(open(named, 'rb').read()).hexdigest()
named_report = os.path.join(WORK, 'named.json')
proc = hornet('hornet-eval', 'validate', config, '--checkpoint', named, '--weights', 'ema', '--out', named_report)
rep = json.load(open(named_report)) if os.path.exists(named_report) else {}
pub = rep.get('published', {})
check(proc.returncode == 0 and '0e8eedff' in proc.stdout + proc.stderr and digest in proc.stdout + proc.stderr,
      'a file whose hash does not match its published name: a warning naming both: ' + proc.stderr.strip()[-250:])
check(pub.get('top1') == 82.84 and pub.get('sha256') == digest and pub.get('sha256_matches_name') is False and
      abs(pub.get('top1_difference', 0) - (rep['top1'] - 82.84)) < 1e-6 and
      f'top-1 {rep["top1"] - 82.84:+.2f}' in proc.stdout,
      'the published top-1 is printed and stored beside the measured one, with the difference: ' +
      proc.stdout.strip()[-200:])

# 12. --device / --amp, a custom arch's summary, a randomly initialised checkpoint.
proc = hornet('hornet-eval', 'validate', config, '--checkpoint', checkpoint, '--device', 'cuda')
check(proc.returncode == 1 and 'is cuda, but ' in proc.stderr and
      ('no CUDA support' in proc.stderr or 'no CUDA device is present' in proc.stderr) or torch.cuda.is_available(),
      '--device cuda without CUDA is an error saying why: ' + tail(proc))
proc = hornet('hornet-eval', 'validate', config, '--checkpoint', checkpoint, '--amp', 'fp16')
check(proc.returncode == 1 and 'fp16 autocast needs a CUDA device' in proc.stderr, '--amp fp16 on the CPU is an error: ' + tail(proc))
proc = hornet('hornet-eval', 'validate', config, '--checkpoint', checkpoint, '--amp', 'bf16', '--weights', 'ema', '--device', 'cpu')
check(proc.returncode == 0 and 'top-1' in proc.stdout, '--amp bf16 --device cpu validates: ' + tail(proc))
params = sum(t.numel() for t in saved['state_dict'].values())
proc = hornet('hornet-eval', 'summary', '--config', config)
check(proc.returncode == 0 and f' {params} ' in proc.stdout,
      f'summary --config counts the custom arch\'s {params:,} parameters: ' + tail(proc))
init = os.path.join(WORK, 'init.pth')
proc = hornet('hornet-convert', '--init', 'tiny', init, '--num-classes', 10, '--seed', 3)
import hornet_ref  # noqa: E402
reference = hornet_ref.Classifier(hornet_ref.arch_spec('tiny'), num_classes=10).state_dict()
written = torch.load(init, map_location='cpu')['state_dict'] if proc.returncode == 0 else {}
check({k: tuple(v.shape) for k, v in written.items()} == {k: tuple(v.shape) for k, v in reference.items()},
      'hornet-convert --init tiny writes every tensor of the reference model, shaped alike: ' + tail(proc))
head = written.get('head.fc.weight', torch.zeros(1))
check(abs(float(head.std()) - 0.02) < 0.002 and abs(float(head.mean())) < 0.002 and
      float(written.get('head.fc.bias', torch.ones(1)).abs().max()) == 0.0,
      f'its head is initialised as the recipe says: normal, std 0.02 (got {float(head.std()):.4f}), bias 0')
proc = hornet('hornet-eval', 'zoo', '--arch', 'tiny')
check(proc.returncode == 2 and '--arch is not an option of zoo' in proc.stderr, 'an option of another subcommand is an error: ' + tail(proc))
check.finish()
