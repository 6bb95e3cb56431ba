#!/usr/bin/env python3
"""A toy training run's TensorBoard event file read by TensorBoard's own
EventAccumulator (tests/ecosystem/requirements.txt, no TensorFlow): every
scalar of metrics.jsonl present under its tag at its step with the same value
(to float32, which TensorBoard stores), the first batch's grid decodable at
the size the event states; and no event file with runtime.tensorboard false.

    test_tensorboard.py BIN_DIR WORK_DIR
"""
import io
import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'cli'))
from cli_common import TINY_MODEL, Checks, make_toy  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
check = Checks()
data = make_toy(BIN, os.path.join(WORK, 'toy'))
TAGS = {'train': ('loss', 'lr', 'images_per_s', 'data_wait', 'memory_mib'), 'val': ('top1', 'top5', 'loss')}


def train(name, *extra):
    config = os.path.join(WORK, name + '.yaml')
    with open(config, 'w') as f:
        f.write(f"""model:
  {TINY_MODEL}
  num_classes: 3
data:
  train: {{root: {data}/train, batch_size: 4, workers: 1, pipeline: {{size: 32}}}}
  val: {{root: {data}/val, batch_size: 4, workers: 1, pipeline: {{resize: 32, crop: 32}}}}
optim: {{lr: 1.0e-3}}
schedule: {{epochs: 2, warmup_epochs: 0}}
runtime: {{threads: 1, log_interval: 3}}
""")
    run = os.path.join(WORK, name)
    proc = subprocess.run([os.path.join(BIN, 'hornet-train'), config, '--work-dir', run, *extra],
                          capture_output=True, text=True)
    check(proc.returncode == 0, f'hornet-train {name} exits 0' + ('' if proc.returncode == 0 else
                                                                 proc.stdout[-1500:] + proc.stderr[-1500:]))
    return run


run = train('run')
with open(os.path.join(run, 'metrics.jsonl')) as f:
    records = [json.loads(line) for line in f if line.strip()]
files = os.listdir(os.path.join(run, 'tensorboard'))
check(len(files) == 1 and files[0].startswith('events.out.tfevents.'), f'one event file: {files}')
acc = EventAccumulator(os.path.join(run, 'tensorboard'), size_guidance={'scalars': 0, 'images': 0})
acc.Reload()
tags = acc.Tags()
expected_tags = {f'{mode}/{name}' for mode, names in TAGS.items() for name in names}
check(expected_tags <= set(tags['scalars']), f'scalar tags {sorted(tags["scalars"])}')
compared = 0
for mode, names in TAGS.items():
    lines = [r for r in records if r['mode'] == mode]
    check(len(lines) >= 2, f'{len(lines)} {mode} lines in metrics.jsonl')
    for name in names:
        events = acc.Scalars(f'{mode}/{name}') if f'{mode}/{name}' in tags['scalars'] else []
        check(len(events) == len(lines), f'{mode}/{name}: {len(events)} events for {len(lines)} lines')
        for event, line in zip(events, lines):
            want = line[name]
            same_step = event.step == line['step']
            if want is None:
                ok = math.isnan(event.value)
            else:
                ok = event.value == float(np.float32(want)) or abs(event.value - want) <= 1e-6 * abs(want)
            compared += 1
            if not (same_step and ok):
                check(False, f'{mode}/{name} at step {event.step}: {event.value} vs metrics.jsonl {want} at step '
                      f'{line["step"]}')
check(compared > 20, f'{compared} scalars equal to metrics.jsonl in step and value')
check(any(r.get('memory_mib', 0) > 10 for r in records if r['mode'] == 'train'),
      'memory_mib is a plausible size (> 10 MiB)')
images = acc.Images('train/first_batch') if 'train/first_batch' in tags['images'] else []
check(len(images) == 1, f'one train/first_batch image ({len(images)})')
if images:
    picture = Image.open(io.BytesIO(images[0].encoded_image_string))
    check(picture.size == (images[0].width, images[0].height) and picture.mode == 'RGB',
          f'the grid decodes as RGB {picture.size} as the event states ({images[0].width}x{images[0].height})')
    pixels = np.asarray(picture)
    check(pixels.std() > 5, f'the grid holds pictures, not a blank (pixel std {pixels.std():.1f})')

quiet = train('quiet', '--set', 'runtime.tensorboard=false')
check(not os.path.exists(os.path.join(quiet, 'tensorboard')), 'runtime.tensorboard=false writes no event file')
check.finish()
