#!/usr/bin/env python3
"""Checkpoints between hornet and the torch that runs this script (the build's
HORNET_TORCH_PYTHON: PyPI's torch 2.11 for the PyPI build, Debian's 1.13
otherwise). Files this torch.save writes load in hornet, and files hornet
writes load with torch.load(weights_only=True), the default from torch 2.6;
both give the reference model's logits.

    test_torch_interop.py BIN_DIR WORK_DIR
"""
import collections
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'reference'))
sys.path.insert(0, here)
import hornet_ref  # noqa: E402
from cli_common import Checks, make_toy, train_tiny_ema_run  # noqa: E402
from make_fixtures import official_key, randomized  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
# The reference model and hornet run the same float32 arithmetic in another
# order; over HorNet-T-GF's 29 blocks that leaves a few 1e-7 of difference.
TOL = 1e-5
check = Checks()
print(f'torch {torch.__version__} from {os.path.dirname(torch.__file__)}')


def path(name):
    return os.path.join(WORK, name)


def hornet(*args):
    proc = subprocess.run([os.path.join(BIN, args[0]), *args[1:]], capture_output=True, text=True)
    check(proc.returncode == 0, f'{" ".join(args[:3])} ... exits 0' +
          ('' if proc.returncode == 0 else f' (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}'))
    return proc.returncode == 0


def hornet_logits(checkpoint, *extra):
    out = checkpoint + '.logits.npy'
    if not hornet('hornet-eval', 'load', '--arch', 'tiny-gf', '--checkpoint', checkpoint, '--threads', '2',
                  '--input-npy', path('x.npy'), '--dump-logits', out, *extra):
        return None
    return np.load(out)


def close(got, want, what):
    err = float(np.abs(got - want).max()) if got is not None else float('inf')
    check(err <= TOL, f'{what}: max |logits - reference| = {err:.3g} (<= {TOL:g})')


spec = hornet_ref.arch_spec('tiny-gf')
model = randomized(spec, 1000, 21)
x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(22))
np.save(path('x.npy'), x.numpy())
with torch.no_grad():
    ref = model(x).numpy()
state_dict = model.state_dict()

# --- files this torch writes, read by hornet ---
torch.save(state_dict, path('zip.pth'))
torch.save(state_dict, path('legacy.pth'), _use_new_zipfile_serialization=False)
official = collections.OrderedDict((official_key(k), v) for k, v in state_dict.items())
torch.save({'model': official, 'epoch': 3}, path('official.pth'))
torch.save({'meta': {'epoch': 3, 'dataset_meta': {'classes': [str(i) for i in range(1000)]}},
            'state_dict': state_dict}, path('mmengine.pth'))
for name in ('zip', 'legacy', 'official', 'mmengine'):
    close(hornet_logits(path(name + '.pth')), ref, f'torch.save ({name}) -> hornet-eval')


# --- files hornet writes, read by this torch with weights_only=True ---
def load_weights_only(file):
    try:
        return torch.load(file, map_location='cpu', weights_only=True)
    except Exception as e:  # the message says which global or record it refused
        check(False, f'torch.load({os.path.basename(file)}, weights_only=True): {type(e).__name__}: {e}')
        return None


def reference_logits(sd, spec=spec, num_classes=1000, input=x):
    m = hornet_ref.Classifier(spec, num_classes).eval()
    missing, unexpected = m.load_state_dict(sd, strict=False)
    check(not missing and not unexpected, f'state dict fits the reference model (missing {missing[:3]}, '
          f'unexpected {unexpected[:3]})')
    with torch.no_grad():
        return m(input).numpy()


if hornet('hornet-convert', path('zip.pth'), path('to_mmpretrain.pth'), '--to', 'mmpretrain'):
    loaded = load_weights_only(path('to_mmpretrain.pth'))
    if loaded is not None:
        close(reference_logits(loaded), ref, 'hornet-convert --to mmpretrain -> torch.load(weights_only)')
if hornet('hornet-convert', path('zip.pth'), path('to_official.pth'), '--to', 'official'):
    loaded = load_weights_only(path('to_official.pth'))
    if loaded is not None:
        back = {official_key(k): k for k in state_dict}
        renamed = collections.OrderedDict((back[k], v) for k, v in loaded['model'].items() if k in back)
        check(len(renamed) == len(loaded['model']), 'official layout: every key maps back to mmpretrain\'s')
        close(reference_logits(renamed), ref, 'hornet-convert --to official -> torch.load(weights_only)')
# A model hornet initialised itself: the reference model fed its weights gives hornet's logits.
if hornet('hornet-convert', '--init', 'tiny-gf', path('init.pth'), '--seed', '5'):
    loaded = load_weights_only(path('init.pth'))
    mine = hornet_logits(path('init.pth'))
    if loaded is not None and mine is not None:
        check(set(loaded) == {'meta', 'state_dict'}, f'hornet layout: meta and state_dict ({sorted(loaded)})')
        close(mine, reference_logits(loaded['state_dict']),
              'hornet-convert --init -> hornet-eval vs torch.load(weights_only)')

# A training checkpoint (model, EMA, optimizer, scheduler, RNG states, meta).
# torch 1.x's weights_only unpickler knows no float opcode (BINFLOAT), which
# any checkpoint with a learning rate holds, Python's own included: there the
# file is loaded the ordinary way.
data = make_toy(BIN, path('toy'))
os.makedirs(path('train'))
_, last = train_tiny_ema_run(BIN, path('train'), data)
if int(torch.__version__.split('.')[0]) >= 2:
    loaded = load_weights_only(last)
else:
    print(f'torch {torch.__version__}: the training checkpoint is read without weights_only')
    loaded = torch.load(last, map_location='cpu')
if loaded is not None:
    check({'state_dict', 'optimizer', 'meta'} <= set(loaded), f'training checkpoint sections: {sorted(loaded)}')
    check(all(torch.isfinite(v).all() for v in loaded['state_dict'].values() if v.is_floating_point()),
          'training checkpoint weights are finite')
    print('training checkpoint sections:', ', '.join(sorted(loaded)))

check.finish()
