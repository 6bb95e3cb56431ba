#!/usr/bin/env python3
"""The hand-off to detection and segmentation, against mmpretrain's HorNet
backbone class (tests/ecosystem/requirements.txt), which mmdet and mmseg
configs build: hornet-convert --backbone-only writes a file that loads into it
with strict=True once its `backbone.` prefix is taken off (as mmengine's
Pretrained init with prefix='backbone.' does), and hornet-eval features gives
the maps that class computes, to 1e-5. Also: model.backbone.frozen_stages in
training keeps stages 0..N fixed while the rest learns.

    test_backbone.py BIN_DIR WORK_DIR
"""
import collections
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import torch

warnings.filterwarnings('ignore')
from mmpretrain.models.backbones import HorNet  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'reference'))
sys.path.insert(0, os.path.join(here, '..', 'cli'))
import hornet_ref  # noqa: E402
from cli_common import TINY_MODEL, Checks, make_toy  # noqa: E402
from make_fixtures import randomized  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
TOL = 1e-5
check = Checks()
torch.set_num_threads(2)


def path(name):
    return os.path.join(WORK, name)


def hornet(*args):
    proc = subprocess.run([os.path.join(BIN, args[0]), *args[1:]], capture_output=True, text=True)
    check(proc.returncode == 0, f'{" ".join(args[:3])} ... exits 0' +
          ('' if proc.returncode == 0 else f' (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}'))
    return proc


def mmpretrain_backbone(state_dict):
    """mmpretrain's HorNet as a dense-task config builds it, loaded strictly from a backbone file."""
    model = HorNet(arch='tiny-gf', out_indices=(0, 1, 2, 3), gap_before_final_norm=False)
    model.eval()  # mmpretrain's train() override returns None: no chaining
    stripped = collections.OrderedDict((k[len('backbone.'):], v) for k, v in state_dict.items())
    try:
        model.load_state_dict(stripped, strict=True)
        check(all(k.startswith('backbone.') for k in state_dict),
              f'{len(state_dict)} tensors, all backbone.*, load into mmpretrain HorNet(out_indices=(0, 1, 2, 3)) '
              'with strict=True')
    except RuntimeError as e:
        check(False, f'strict load into mmpretrain HorNet: {str(e)[:400]}')
    return model


def compare_features(checkpoint, model, x_file, what):
    out = path(os.path.basename(checkpoint) + '.features')
    hornet('hornet-eval', 'features', '--arch', 'tiny-gf', '--checkpoint', checkpoint, '--input-npy', x_file,
           '--out', out, '--threads', '2')
    with torch.no_grad():
        theirs = model(torch.from_numpy(np.load(x_file)))
    for i, want in enumerate(theirs):
        file = os.path.join(out, f'out_{i}.npy')
        got = np.load(file) if os.path.exists(file) else None
        err = float(np.abs(got - want.numpy()).max()) if got is not None and got.shape == want.shape else float('inf')
        check(err <= TOL, f'{what}: stage {i} {tuple(want.shape)}: max |hornet - mmpretrain| = {err:.3g}')


x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(3))
np.save(path('x.npy'), x.numpy())

# A classifier's weights: the backbone-only file adds fresh norms (unit weight, zero bias) for stages 0-2.
classifier = randomized(hornet_ref.arch_spec('tiny-gf'), 1000, 11)
torch.save(classifier.state_dict(), path('classifier.pth'))
if hornet('hornet-convert', path('classifier.pth'), path('backbone.pth'), '--backbone-only').returncode == 0:
    written = torch.load(path('backbone.pth'))
    check(not any(k.startswith('head.') for k in written), 'no head in the backbone-only file')
    check(torch.equal(written['backbone.norm0.weight'], torch.ones(64)) and
          torch.equal(written['backbone.norm0.bias'], torch.zeros(64)), 'norm0, absent from the input, is the identity')
    model = mmpretrain_backbone(written)
    compare_features(path('classifier.pth'), model, path('x.npy'), 'classifier file')
    compare_features(path('backbone.pth'), model, path('x.npy'), 'backbone-only file')

# A detection backbone's weights (trained output norms for every stage), as safetensors.
detection = HorNet(arch='tiny-gf', out_indices=(0, 1, 2, 3), gap_before_final_norm=False)
detection.eval()
generator = torch.Generator().manual_seed(5)
with torch.no_grad():
    for p in detection.parameters():
        p.copy_(torch.randn(p.shape, generator=generator) * 0.05 + (1.0 if p.dim() == 1 else 0.0))
save_file({'backbone.' + k: v.contiguous() for k, v in detection.state_dict().items()}, path('detection.safetensors'))
if hornet('hornet-convert', path('detection.safetensors'), path('detection_backbone.safetensors'),
          '--backbone-only', '--to', 'safetensors').returncode == 0:
    from safetensors.torch import load_file
    written = load_file(path('detection_backbone.safetensors'))
    model = mmpretrain_backbone(written)
    same = all(torch.equal(model.state_dict()[k], v) for k, v in detection.state_dict().items())
    check(same, 'the output norms and every other tensor pass through unchanged')
    compare_features(path('detection.safetensors'), detection, path('x.npy'), 'detection backbone (safetensors)')

# Features of image files: one row per image, in images.txt's order (the arch from the file's shapes).
data = make_toy(BIN, path('toy'), classes=2, per_class=2, val_per_class=1, size=64)
proc = hornet('hornet-eval', 'features', '--checkpoint', path('classifier.pth'),
              os.path.join(data, 'val'), '--out', path('image_features'), '--out-indices', '1,3', '--threads', '2')
if proc.returncode == 0:
    with open(path('image_features/images.txt')) as f:
        names = f.read().split()
    maps = [np.load(path(f'image_features/out_{i}.npy')) for i in (1, 3)]
    check(len(names) == 2 and maps[0].shape == (2, 128, 28, 28) and maps[1].shape == (2, 512, 7, 7),
          f'images: {len(names)} rows, stage 1 {maps[0].shape}, stage 3 {maps[1].shape}')

# frozen_stages: two epochs; stages 0-1 equal at both checkpoints, stages 2-3 moved.
config = path('frozen.yaml')
with open(config, 'w') as f:
    f.write(f"""model:
  {TINY_MODEL}
  num_classes: 2
  backbone: {{frozen_stages: 1}}
data:
  train: {{root: {data}/train, batch_size: 2, workers: 1, pipeline: {{size: 32}}}}
optim: {{lr: 1.0e-2}}
schedule: {{epochs: 2, warmup_epochs: 0}}
runtime: {{threads: 1, tensorboard: false}}
""")
if hornet('hornet-train', config, '--work-dir', path('frozen')).returncode == 0:
    first = torch.load(path('frozen/epoch_1.pth'))['state_dict']
    last = torch.load(path('frozen/epoch_2.pth'))['state_dict']
    frozen = [k for k in first if k.startswith(('backbone.stages.0.', 'backbone.stages.1.',
                                                 'backbone.downsample_layers.0.', 'backbone.downsample_layers.1.'))]
    moving = [k for k in first if k.startswith('backbone.stages.2.') and first[k].is_floating_point()]
    check(len(frozen) > 10 and all(torch.equal(first[k], last[k]) for k in frozen),
          f'{len(frozen)} tensors of stages 0-1 unchanged by the second epoch')
    check(any(not torch.equal(first[k], last[k]) for k in moving), 'stage 2 learned in the second epoch')
check.finish()
