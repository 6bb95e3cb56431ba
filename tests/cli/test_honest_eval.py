#!/usr/bin/env python3
"""Evaluation does not mislead: no accuracy over nothing, no silently shifted labels.

6. a validation set none of whose images can be read is an error naming why;
7. an annotation label outside the model's classes names the file, line and class
   count; a dataset with another class count than the model is an error in
   evaluation and a warning naming both counts in training;
8. by default hornet-eval scores the weights the checkpoint's framework evaluates
   (for hornet's: those its training log reported, here EMA) and, when the file
   holds both, the other ones too; --weights raw|ema (and --use-ema) choose.

    test_honest_eval.py BIN_DIR WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_common import Checks, make_toy, train_tiny_ema_run  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
check = Checks()

shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
data = make_toy(BIN, os.path.join(WORK, 'data'), per_class=8, val_per_class=2)
config, checkpoint = train_tiny_ema_run(BIN, WORK, data)
run = os.path.dirname(checkpoint)


def evaluate(data_path):
    return subprocess.run([os.path.join(BIN, 'hornet-eval'), 'validate', config, '--checkpoint', checkpoint, '--data', data_path],
                          capture_output=True, text=True)


# 6. Every image unreadable.
broken = os.path.join(WORK, 'broken')
shutil.copytree(os.path.join(data, 'val'), broken)
for folder, _, files in os.walk(broken):
    for name in files:
        with open(os.path.join(folder, name), 'wb') as f:
            f.write(b'not an image')
proc = evaluate(broken)
check(proc.returncode == 1 and 'no image could be evaluated' in proc.stderr and '6 skipped' in proc.stderr
      and 'top-1' not in proc.stdout, 'no readable image: an error, no accuracy: ' + proc.stderr.strip()[-200:])

# 7. A label beyond the model's 3 classes, on line 2 of an annotation file.
images = sorted(os.path.join(c, f) for c in os.listdir(os.path.join(data, 'val'))
                for f in os.listdir(os.path.join(data, 'val', c)))
annotation = os.path.join(WORK, 'ann.txt')
with open(annotation, 'w') as f:
    f.write(f'data/val/{images[0]} 0\ndata/val/{images[1]} 7\n')  # relative to the file's folder
proc = evaluate(annotation)
check(proc.returncode == 1 and f'{annotation}:2: label 7 is out of range for 3 classes' in proc.stderr,
      'an out-of-range label names the file, line and class count: ' + proc.stderr.strip()[-200:])

# A 2-class folder for a 3-class model: an error when evaluating, a warning when training.
two = os.path.join(WORK, 'two_classes')
for split in ('train', 'val'):
    for c in sorted(os.listdir(os.path.join(data, split)))[:2]:
        shutil.copytree(os.path.join(data, split, c), os.path.join(two, split, c))
proc = evaluate(os.path.join(two, 'val'))
check(proc.returncode == 1 and 'has 2 classes but the model has 3 outputs' in proc.stderr,
      'another class count is an error in evaluation: ' + proc.stderr.strip()[-200:])
proc = subprocess.run([os.path.join(BIN, 'hornet-train'), config, '--work-dir', os.path.join(WORK, 'two'),
                       '--set', f'data.train.root={two}/train', '--set', f'data.val.root={two}/val'],
                      capture_output=True, text=True)
check(proc.returncode == 0 and 'has 2 classes, the model 3 outputs' in proc.stdout + proc.stderr,
      'and a warning naming both counts in training')

# 8. Which weights.
logged = [json.loads(l) for l in open(os.path.join(run, 'metrics.jsonl')) if '"val"' in l][-1]
out = os.path.join(WORK, 'result.json')
proc = subprocess.run([os.path.join(BIN, 'hornet-eval'), 'validate', config, '--checkpoint', checkpoint, '--out', out],
                      capture_output=True, text=True)
lines = [l for l in proc.stdout.splitlines() if 'top-1' in l]
result = json.load(open(out)) if proc.returncode == 0 else {}
check(proc.returncode == 0 and len(lines) == 2 and 'EMA weights' in lines[0] and 'raw weights' in lines[1],
      'a hornet checkpoint with both weights: EMA (as its log reported) first, then raw: ' + ' | '.join(lines))
check(result.get('weights') == 'ema' and abs(result.get('top1', -1) - logged['top1']) < 1e-6 and
      result.get('other', {}).get('weights') == 'raw',
      f'the default result equals the top-1 the training log reported ({result.get("top1")} vs {logged["top1"]})')
for flags, want in ((['--weights', 'raw'], 'raw weights'), (['--use-ema'], 'EMA weights')):
    proc = subprocess.run([os.path.join(BIN, 'hornet-eval'), 'validate', config, '--checkpoint', checkpoint, *flags],
                          capture_output=True, text=True)
    lines = [l for l in proc.stdout.splitlines() if 'top-1' in l]
    check(proc.returncode == 0 and len(lines) == 1 and want in lines[0], f'{" ".join(flags)}: only the {want}')
proc = subprocess.run([os.path.join(BIN, 'hornet-eval'), 'validate', config, '--checkpoint', checkpoint, '--use-ema',
                       '--weights', 'raw'], capture_output=True, text=True)
check(proc.returncode != 0 and 'contradicts' in proc.stderr, '--use-ema with --weights raw is an error')

check.finish()
