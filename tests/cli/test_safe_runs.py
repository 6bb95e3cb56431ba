#!/usr/bin/env python3
"""Runs never lose or mix work (hornet-train, one process):

1. a work dir that holds a run is refused (nothing in it changes) unless --resume
   or --overwrite is given; --overwrite leaves no stale file of the old run;
2. SIGINT saves a checkpoint at the next optimizer step and exits 0, and the
   resumed run ends bit-identical to an uninterrupted one (a second SIGINT exits
   at once: tests/common/test_stop_signal.cpp);
3. --resume uses the run's saved config (its --set options need not be
   repeated), refuses overrides that change the run unless
   --allow-config-changes, writes nothing when it refuses; --resume auto with no
   checkpoint starts a new run and says so; a missing --resume path and a
   corrupt last.pth are errors naming the file (and the checkpoint to use);
4. after a resume, metrics.jsonl holds every optimizer step once.

    test_safe_runs.py BIN_DIR WORK_DIR
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_common import TINY_MODEL, Checks, make_toy  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
TRAIN = os.path.join(BIN, 'hornet-train')
check = Checks()

shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
data = make_toy(BIN, os.path.join(WORK, 'data'), per_class=32, val_per_class=4)
config = os.path.join(WORK, 'run.yaml')
with open(config, 'w') as f:
    f.write(f"""model:
  {TINY_MODEL}
  num_classes: 3
  drop_path_rate: 0.1
data:
  train: {{root: {data}/train, batch_size: 4, workers: 1, pipeline: {{size: 32, rand_augment: {{magnitude: 5}}}}}}
  val: {{root: {data}/val, batch_size: 8, workers: 1, pipeline: {{resize: 36, crop: 32}}}}
optim: {{lr: 2.0e-3, clip_grad: 1.0, total_batch: 8}}
schedule: {{epochs: 4, warmup_epochs: 1}}
ema: {{enabled: true, decay: 0.9}}
runtime: {{threads: 1, log_interval: 2, keep_checkpoints: 2, seed: 3}}
""")


def train(work, *extra, wait=True):
    cmd = [TRAIN, config, '--work-dir', work, *extra]
    if not wait:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def snapshot(work):
    return {name: digest(os.path.join(work, name)) for name in sorted(os.listdir(work))
            if os.path.isfile(os.path.join(work, name))}


def tensors(path):
    ckpt = torch.load(path, map_location='cpu')
    out = {f'state_dict.{k}': v for k, v in ckpt['state_dict'].items()}
    out.update({f'ema.{k}': v for k, v in ckpt['ema_state_dict'].items()})
    for i, st in ckpt['optimizer']['state'].items():
        out.update({f'opt.{i}.{k}': v for k, v in st.items()})
    return ckpt['meta'], out


def identical(a, b):
    (ma, ta), (mb, tb) = tensors(a), tensors(b)
    return ma['step'] == mb['step'] and ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta)


def train_steps(work):
    return [json.loads(l)['step'] for l in open(os.path.join(work, 'metrics.jsonl')) if '"train"' in l]


# The uninterrupted reference: 4 epochs of 12 steps, with --set options a resume need not repeat.
sets = ['--set', 'optim.lr=1.0e-3', '--set', 'runtime.checkpoint_every_iters=2']
reference = os.path.join(WORK, 'reference')
proc = train(reference, *sets)
if proc.returncode != 0:
    sys.exit('reference run failed:\n' + proc.stdout[-2000:] + proc.stderr[-2000:])
want = os.path.join(reference, 'epoch_4.pth')

# 1. The same command again: refused, nothing touched.
before = snapshot(reference)
proc = train(reference, *sets)
check(proc.returncode == 1 and f'the work dir {reference} holds a run' in proc.stderr and '--resume auto' in proc.stderr
      and '--overwrite' in proc.stderr, 'a work dir that holds a run is refused: ' + proc.stderr.strip()[-240:])
check(snapshot(reference) == before, 'the refused run changed nothing in the work dir')
replaced = os.path.join(WORK, 'replaced')
shutil.copytree(reference, replaced)
proc = train(replaced, '--set', 'schedule.epochs=2', '--overwrite')
left = sorted(os.listdir(replaced))
check(proc.returncode == 0 and 'epoch_3.pth' not in left and 'epoch_4.pth' not in left,
      f'--overwrite replaces the old run (left: {left})')
check(max(train_steps(replaced)) == 24 and len(train_steps(replaced)) == len(set(train_steps(replaced))),
      'after --overwrite the metrics hold the new run only')

# 2. SIGINT mid-run: a checkpoint at the next step, exit 0; resume without the --set options.
interrupted = os.path.join(WORK, 'interrupted')
p = train(interrupted, *sets, wait=False)
deadline = time.time() + 120
while time.time() < deadline and not (os.path.exists(os.path.join(interrupted, 'metrics.jsonl'))
                                      and len(train_steps(interrupted)) >= 8):
    time.sleep(0.05)
p.send_signal(signal.SIGINT)
sent = time.time()
out, _ = p.communicate(timeout=60)
check(p.returncode == 0 and 'stopped by a signal' in out,
      f'SIGINT: exit {p.returncode} after {time.time() - sent:.1f} s with a checkpoint: '
      + [l for l in out.splitlines() if 'stopped' in l][-1:].__repr__())
meta, _ = tensors(os.path.join(interrupted, 'last.pth'))
check(0 < meta['step'] < 48, f'SIGINT: last.pth at step {meta["step"]} of 48')
check('M parameters' in out and 'GFLOPs at 32x32' in out, 'the run header states parameters and FLOPs')
before = snapshot(interrupted)
proc = train(interrupted, '--resume', 'auto', '--set', 'schedule.epochs=3')
check(proc.returncode == 1 and 'schedule.epochs: 4 -> 3' in proc.stderr and '--allow-config-changes' in proc.stderr,
      'a resume that would change the schedule is refused: ' + proc.stderr.strip()[-200:])
check(snapshot(interrupted) == before, 'the refused resume wrote nothing (config.yaml, metrics, checkpoints intact)')
proc = train(interrupted, '--resume', 'auto')
check(proc.returncode == 0, 'resume without repeating the --set options: exit 0')
check(identical(os.path.join(interrupted, 'epoch_4.pth'), want),
      'SIGINT + --resume auto ends bit-identical to the uninterrupted run (the saved config was used)')
steps = train_steps(interrupted)
check(steps == train_steps(reference), f'metrics.jsonl holds every step once, as the uninterrupted run '
                                       f'({len(steps)} lines, {len(set(steps))} distinct)')

# 4. SIGKILL between checkpoints (every 4 steps): the lines logged after the checkpoint are dropped on resume.
killed = os.path.join(WORK, 'killed')
p = train(killed, '--set', 'optim.lr=1.0e-3', '--set', 'runtime.checkpoint_every_iters=8', wait=False)
while p.poll() is None and not (os.path.exists(os.path.join(killed, 'metrics.jsonl')) and
                                len(train_steps(killed)) >= 11 and os.path.exists(os.path.join(killed, 'last.pth'))):
    time.sleep(0.02)
p.kill()
p.wait()
meta, _ = tensors(os.path.join(killed, 'last.pth'))
logged = max(train_steps(killed))
proc = train(killed, '--resume', 'auto')
steps = train_steps(killed)
check(proc.returncode == 0 and logged > meta['step'] and steps == train_steps(reference),
      f'SIGKILL at step {logged}, checkpoint at step {meta["step"]}: after the resume metrics.jsonl holds every step '
      f'once ({len(steps)} lines, {len(set(steps))} distinct)')

# 3. What --resume finds, or does not.
fresh = os.path.join(WORK, 'fresh')
proc = train(fresh, '--resume', 'auto', '--set', 'schedule.epochs=1')
check(proc.returncode == 0 and 'holds no checkpoint; starting a new run' in proc.stdout + proc.stderr,
      '--resume auto without a checkpoint starts a new run and says so')
missing = os.path.join(WORK, 'nowhere', 'last.pth')
proc = train(os.path.join(WORK, 'x'), '--resume', missing)
check(proc.returncode == 1 and f'--resume {missing}: no such checkpoint' in proc.stderr,
      'a --resume path that does not exist is named: ' + proc.stderr.strip()[-160:])
corrupt = os.path.join(WORK, 'corrupt')
shutil.copytree(reference, corrupt)
with open(os.path.join(corrupt, 'last.pth'), 'r+b') as f:
    f.truncate(1000)
proc = train(corrupt, '--resume', 'auto')
check(proc.returncode == 1 and 'cannot resume from' in proc.stderr and
      f'the newest readable checkpoint is {corrupt}/epoch_4.pth' in proc.stderr,
      'a corrupt last.pth points at the newest good epoch_N.pth: ' + proc.stderr.strip()[-200:])
changed = os.path.join(WORK, 'changed')
shutil.copytree(reference, changed)
proc = train(changed, '--resume', 'auto', '--set', 'schedule.epochs=5', '--allow-config-changes')
meta, _ = tensors(os.path.join(changed, 'epoch_5.pth')) if proc.returncode == 0 else ({'step': -1}, None)
check(proc.returncode == 0 and meta['step'] == 60, '--allow-config-changes extends the schedule on purpose')

# 5. load_from a file that fits nothing: refused, with a short report; load_strict: false fine-tunes anyway.
unrelated = os.path.join(WORK, 'unrelated.pth')
torch.save({'state_dict': {f'encoder.layer{k}.weight': torch.zeros(4, 4) for k in range(12)}}, unrelated)
proc = train(os.path.join(WORK, 'finetune'), '--set', f'runtime.load_from={unrelated}', '--set', 'schedule.epochs=1')
check(proc.returncode == 1 and 'does not fit this model\'s backbone' in proc.stderr and 'load_strict: false' in proc.stderr
      and '... and' in proc.stderr and len(proc.stderr.splitlines()) < 40,
      'load_from that fits nothing is refused, with a summary: ' + proc.stderr.splitlines()[0][-200:])
proc = train(os.path.join(WORK, 'finetune'), '--set', f'runtime.load_from={unrelated}', '--set', 'schedule.epochs=1',
             '--set', 'runtime.load_strict=false')
check(proc.returncode == 0 and 'loaded 0 tensors' in proc.stderr, 'runtime.load_strict: false fine-tunes from it anyway')

check.finish()
