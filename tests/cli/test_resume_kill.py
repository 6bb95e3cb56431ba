#!/usr/bin/env python3
"""Exact resume under SIGKILL: a small CPU run is killed at random moments,
some of them while a checkpoint is being written, and resumed with
--resume auto until it completes. Its final weights, EMA and optimizer state
must equal, bit for bit, those of an uninterrupted run of the same length, and
after every kill each checkpoint under its final name must load in Python.

    test_resume_kill.py BIN_DIR WORK_DIR [shards]

With `shards`, the run reads WebDataset shards of the same images
(hornet-data shard), through shuffle buffers.
"""
import glob
import os
import random
import shutil
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_common import TINY_MODEL, make_toy  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
data = os.path.join(WORK, 'data')
make_toy(BIN, data, per_class=16, val_per_class=4)
train_root, shard_keys = f'{data}/train', ''
if len(sys.argv) > 3 and sys.argv[3] == 'shards':
    train_root, shard_keys = f'{data}/shards', ', shuffle_buffer: 7, shard_streams: 2'
    subprocess.run([os.path.join(BIN, 'hornet-data'), 'shard', f'{data}/train', train_root, '--shard-size', '6'],
                   check=True, capture_output=True)
config = os.path.join(WORK, 'resume.yaml')
with open(config, 'w') as f:
    f.write(f"""model:
  {TINY_MODEL}
  num_classes: 3
  drop_path_rate: 0.1
data:
  train: {{root: {train_root}, batch_size: 5, workers: 2{shard_keys},
          pipeline: {{size: 32, crop_scale: [0.5, 1.0], rand_augment: {{magnitude: 5}}}}}}
  val: {{root: {data}/val, batch_size: 8, workers: 2, pipeline: {{resize: 36, crop: 32}}}}
optim: {{lr: 2.0e-3, clip_grad: 1.0, total_batch: 10}}   # 9 batches of 5: 4 steps an epoch, one batch left over
schedule: {{epochs: 10, warmup_epochs: 1}}
ema: {{enabled: true, decay: 0.9}}
runtime: {{threads: 1, log_interval: 2, checkpoint_every_iters: 1, keep_checkpoints: 2, seed: 3}}
""")


def train(work_dir, resume=True):
    cmd = [os.path.join(BIN, 'hornet-train'), config, '--work-dir', work_dir]
    return subprocess.Popen(cmd + (['--resume', 'auto'] if resume else []), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


start = time.time()
reference = os.path.join(WORK, 'uninterrupted')
p = train(reference, resume=False)
if p.wait() != 0:
    sys.exit('uninterrupted run failed: ' + p.stderr.read().decode())
duration = time.time() - start

killed = os.path.join(WORK, 'killed')
rng = random.Random(1)
kills, during_write, failures = 0, 0, []
for attempt in range(200):
    p = train(killed)
    if attempt % 2:
        # Kill while a checkpoint is being written (a temporary exists).
        deadline = time.time() + duration
        while p.poll() is None and time.time() < deadline:
            if glob.glob(os.path.join(killed, '.*.tmp.*')):
                break
            time.sleep(0.001)
        writing = bool(glob.glob(os.path.join(killed, '.*.tmp.*')))
    else:
        time.sleep(rng.uniform(0.3, 0.5 * duration))
        writing = False
    if p.poll() is not None:
        if p.returncode != 0:
            sys.exit('resumed run failed: ' + p.stderr.read().decode())
        break
    p.kill()
    p.wait()
    kills += 1
    during_write += writing
    # Whatever stands under a checkpoint's final name is whole.
    for path in glob.glob(os.path.join(killed, '*.pth')):
        try:
            torch.load(path)
        except Exception as e:  # noqa: BLE001
            failures.append(f'after kill {kills}: {path} does not load: {e}')
else:
    sys.exit('the run never finished')

a = torch.load(os.path.join(reference, 'last.pth'))
b = torch.load(os.path.join(killed, 'last.pth'))
# Both ways round: a key only one run has is a difference too.
for key in ('state_dict', 'ema_state_dict'):
    if set(a[key]) != set(b[key]):
        failures.append(f'{key}: keys differ: {sorted(set(a[key]) ^ set(b[key]))[:5]}')
    for name in set(a[key]) & set(b[key]):
        t = a[key][name]
        if not torch.equal(t, b[key][name]):
            failures.append(f'{key}.{name} differs (max {(t.float() - b[key][name].float()).abs().max()})')
state_a, state_b = a['optimizer']['state'], b['optimizer']['state']
if set(state_a) != set(state_b):
    failures.append(f'optimizer state: parameter indices differ: {sorted(set(state_a) ^ set(state_b))[:5]}')
for idx in set(state_a) & set(state_b):
    if set(state_a[idx]) != set(state_b[idx]):
        failures.append(f'optimizer state {idx}: entries differ: {set(state_a[idx]) ^ set(state_b[idx])}')
    for name in set(state_a[idx]) & set(state_b[idx]):
        if not torch.equal(state_a[idx][name], state_b[idx][name]):
            failures.append(f'optimizer state {idx}.{name} differs')
for key in ('epoch', 'step', 'iter'):
    if a['meta'][key] != b['meta'][key]:
        failures.append(f'meta.{key}: {a["meta"][key]} vs {b["meta"][key]}')
print(f'{kills} kills ({during_write} during a checkpoint write); uninterrupted run {duration:.1f} s; '
      f'{a["meta"]["step"]} steps; {len(a["state_dict"])} weights, EMA and optimizer state compared')
if kills < 5 or during_write < 1:
    failures.append(f'too few interruptions to mean anything: {kills} kills, {during_write} during writes')
if failures:
    print('\n'.join('FAIL: ' + f for f in failures[:20]))
    sys.exit(1)
print('resume after SIGKILL: bit-identical')
