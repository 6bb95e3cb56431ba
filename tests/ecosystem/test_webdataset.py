#!/usr/bin/env python3
"""WebDataset shards between hornet and the `webdataset` package
(tests/ecosystem/requirements.txt): webdataset reads the shards hornet-data
shard writes (the same images, byte for byte, with the same labels), hornet
trains from shards webdataset's ShardWriter writes, and a toy run from shards
reaches the accuracy of the same run from the image folder. Loader throughput
from shards and from the folder is printed (hornet-data bench). Exact resume
from shards after SIGKILL is tests/cli/test_resume_kill.py ... shards.

    test_webdataset.py BIN_DIR WORK_DIR
"""
import collections
import glob
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import warnings

warnings.filterwarnings('ignore')
import webdataset as wds  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'cli'))
from cli_common import Checks, make_toy  # noqa: E402

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


toy = make_toy(BIN, path('toy'), classes=3, per_class=100, val_per_class=20, size=64)
classes = sorted(os.listdir(os.path.join(toy, 'train')))
folder = collections.Counter()
for label, name in enumerate(classes):
    for f in glob.glob(os.path.join(toy, 'train', name, '*')):
        folder[(hashlib.sha256(open(f, 'rb').read()).hexdigest(), label)] += 1

# hornet's shards, read by webdataset.
run('hornet-data', 'shard', os.path.join(toy, 'train'), path('hornet_shards'), '--shard-size', '25')
urls = sorted(glob.glob(path('hornet_shards', '*.tar')))
read = collections.Counter()
keys = set()
for sample in wds.WebDataset(urls, shardshuffle=False):
    keys.add(sample['__key__'])
    read[(hashlib.sha256(sample['jpg']).hexdigest(), int(sample['cls']))] += 1
check(len(urls) == 12 and read == folder and len(keys) == sum(folder.values()),
      f'webdataset reads {sum(read.values())} samples from {len(urls)} shards: the folder\'s images and labels')
with open(path('hornet_shards', 'classes.txt')) as f:
    check(f.read().split() == classes, 'classes.txt names the folder\'s classes in label order')

# webdataset's ShardWriter shards, read by hornet.
os.makedirs(path('wds_shards'))
items = [(f, label) for label, name in enumerate(classes) for f in sorted(glob.glob(os.path.join(toy, 'train', name, '*')))]
random.Random(0).shuffle(items)
with wds.ShardWriter(path('wds_shards', 'part-%04d.tar'), maxcount=30, verbose=0) as sink:
    for k, (f, label) in enumerate(items):
        sink.write({'__key__': f'sample{k:06d}', 'jpg': open(f, 'rb').read(), 'cls': label})


EPOCHS = 20


def train(name, root, epochs=EPOCHS):
    # The toy recipe's model with light augmentation: a few hundred steps learn the task.
    config = path(name + '.yaml')
    with open(config, 'w') as f:
        f.write(f"""model:
  arch: {{name: toy, base_dim: 16, depths: [1, 1, 2, 1], orders: [2, 3, 4, 5], mixers: [dw7, dw7, gf4x3, gf2x2],
         image_size: 64}}
  num_classes: 3
  init: mmpretrain
data:
  train: {{root: {root}, batch_size: 16, workers: 2, shuffle_buffer: 64,
          pipeline: {{size: 64, crop_scale: [0.5, 1.0], rand_augment: false, random_erasing: false}},
          mixup: {{probability: 0.0}}}}
  val: {{root: {toy}/val, batch_size: 20, workers: 1, pipeline: {{resize: 73, crop: 64}}}}
optim: {{lr: 2.0e-3}}
schedule: {{epochs: {epochs}, warmup_epochs: 1}}
runtime: {{threads: 2, tensorboard: false}}
""")
    run('hornet-train', config, '--work-dir', path(name))
    lines = [json.loads(line) for line in open(path(name, 'metrics.jsonl'))] if os.path.exists(
        path(name, 'metrics.jsonl')) else []
    return [line['top1'] for line in lines if line['mode'] == 'val']


folder_top1 = train('from_folder', os.path.join(toy, 'train'))
shards_top1 = train('from_shards', path('hornet_shards'))
wds_top1 = train('from_wds_shards', path('wds_shards'))
print(f'val top-1 per epoch: folder {folder_top1}, hornet shards {shards_top1}, ShardWriter shards {wds_top1}')
check(len(folder_top1) == len(shards_top1) == len(wds_top1) == EPOCHS, f'three runs of {EPOCHS} epochs each')
if folder_top1 and shards_top1 and wds_top1:
    # The last five epochs' mean: 60 validation images make one epoch's figure move in steps of 1.7%.
    def tail(top1):
        return sum(top1[-5:]) / 5

    check(tail(folder_top1) >= 45, f'the folder run learns the toy task (last five epochs {tail(folder_top1):.1f}%, '
          'chance 33%)')
    for name, top1 in (('hornet shards', shards_top1), ('ShardWriter shards', wds_top1)):
        check(tail(top1) >= tail(folder_top1) - 8, f'{name}: last five epochs {tail(top1):.1f}%, within 8 points of '
              f'the folder run\'s {tail(folder_top1):.1f}% or above')

# Loader throughput, shards against the folder (reported, not a pass mark).
rates = {}
for name, root in (('folder', os.path.join(toy, 'train')), ('shards', path('hornet_shards'))):
    proc = run('hornet-data', 'bench', root, '--pipeline', 'train', '--workers', '2', '--batch-size', '16',
               '--batches', '20')
    found = re.findall(r'([0-9.]+) (?:images|img)/s', proc.stdout + proc.stderr)
    rates[name] = float(found[-1]) if found else float('nan')
print(f'loader throughput, 2 workers, train pipeline at 224: folder {rates["folder"]:.0f} images/s, shards '
      f'{rates["shards"]:.0f} images/s (ratio {rates["shards"] / rates["folder"]:.2f})')
check.finish()
