#!/usr/bin/env python3
"""hornet-eval validate CONFIG --checkpoint --data: its top-1/top-5 against the accuracy
computed in Python from the same logits and from labels read off the folder
layout, for a checkpoint hornet-train wrote and for one Python wrote. For the
Python checkpoint the logits themselves are checked against the reference
model fed by mmpretrain's evaluation pipeline reproduced in Python, and so are
those of a run trained with channels-last weights and activation
checkpointing, loaded into the reference model by torch.load.

    test_eval_accuracy.py BIN_DIR WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'reference'))
import hornet_ref  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
data = os.path.join(WORK, 'data')
# 8 classes, so that top-5 is not 100% by construction.
CLASSES = 8
subprocess.run([os.path.join(BIN, 'hornet-data'), 'make-toy', data, '--classes', str(CLASSES), '--train-per-class',
                '12', '--val-per-class', '6', '--size', '48'], check=True, capture_output=True)
arch = dict(base_dim=8, depths=[1, 1, 1, 1], orders=[2, 3, 4, 5], mixers=[('dw', 7), ('dw', 7), ('gf', 3, 2), ('gf', 2, 1)])
config = os.path.join(WORK, 'eval.yaml')
with open(config, 'w') as f:
    f.write(f"""model:
  arch: {{base_dim: 8, depths: [1, 1, 1, 1], mixers: [dw7, dw7, gf3x2, gf2x1], image_size: 48}}
  num_classes: {CLASSES}
data:
  train: {{root: {data}/train, batch_size: 16, workers: 2, pipeline: {{size: 48}}}}
  val: {{root: {data}/val, batch_size: 7, workers: 2, pipeline: {{resize: 54, crop: 48}}}}
optim: {{lr: 3.0e-3}}
schedule: {{epochs: 2, warmup_epochs: 0}}
ema: {{enabled: true, decay: 0.9}}
runtime: {{threads: 2, log_interval: 100}}
""")
failures = []
# hornet-eval's JSON holds six decimals: a different count of correct images
# moves top-1 by 100/48 points, rounding by at most 5e-7.
TOL = 1e-6

# Labels from the layout: sorted class folders, sorted files (torchvision's ImageFolder).
classes = sorted(os.listdir(os.path.join(data, 'val')))
files, labels = [], []
for c, name in enumerate(classes):
    for f in sorted(os.listdir(os.path.join(data, 'val', name))):
        files.append(os.path.join(data, 'val', name, f))
        labels.append(c)
labels = np.array(labels)


def accuracy(logits):
    order = np.argsort(-logits, axis=1)
    top1 = 100.0 * np.mean(order[:, 0] == labels)
    top5 = 100.0 * np.mean([labels[i] in order[i, :5] for i in range(len(labels))])
    return top1, top5


def hornet_eval(checkpoint, tag, *extra):
    out, logits = os.path.join(WORK, tag + '.json'), os.path.join(WORK, tag + '.npy')
    proc = subprocess.run([os.path.join(BIN, 'hornet-eval'), 'validate', config, '--checkpoint', checkpoint, '--data',
                           os.path.join(data, 'val'), '--out', out, '--dump-logits', logits, *extra],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        failures.append(f'hornet-eval {tag}: {proc.stderr}')
        return None, None
    return json.load(open(out)), np.load(logits)


# 1. A checkpoint hornet-train wrote (raw and EMA weights).
run = subprocess.run([os.path.join(BIN, 'hornet-train'), config, '--work-dir', os.path.join(WORK, 'run')],
                     capture_output=True, text=True)
if run.returncode != 0:
    sys.exit('training failed: ' + run.stderr)
for tag, extra in [('hornet_raw', ['--weights', 'raw']), ('hornet_ema', ['--use-ema'])]:
    result, logits = hornet_eval(os.path.join(WORK, 'run', 'last.pth'), tag, *extra)
    if result is None:
        continue
    top1, top5 = accuracy(logits)
    print(f'{tag}: hornet-eval top-1 {result["top1"]:.4f} top-5 {result["top5"]:.4f}; '
          f'Python from the logits {top1:.4f} / {top5:.4f}')
    if abs(top1 - result['top1']) > TOL or abs(top5 - result['top5']) > TOL or result['samples'] != len(labels):
        failures.append(f'{tag}: accuracies differ')

# 2. A checkpoint Python wrote, from the reference model.
torch.manual_seed(0)
model = hornet_ref.Classifier(arch, CLASSES)
hornet_ref.randomize_(model, torch.Generator().manual_seed(4))
model.eval()
python_ckpt = os.path.join(WORK, 'python.pth')
torch.save({'state_dict': model.state_dict(), 'meta': {'epoch': 1}}, python_ckpt)
result, logits = hornet_eval(python_ckpt, 'python')
if result is not None:
    from make_fixtures import MEAN, STD  # noqa: E402
    import cv2
    from PIL import Image
    inputs = []
    for path in files:  # mmpretrain's pipeline: cv2 decode, ResizeEdge(54, PIL bicubic), CenterCrop(48)
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        h, w = bgr.shape[:2]
        width, height = (54, int(54 * h / w)) if w < h else (int(54 * w / h), 54)
        img = np.array(Image.fromarray(bgr).resize((width, height), Image.BICUBIC))
        y, x = int(round((height - 48) / 2.)), int(round((width - 48) / 2.))
        rgb = img[y:y + 48, x:x + 48, ::-1].astype(np.float32)
        inputs.append(((rgb - MEAN) / STD).transpose(2, 0, 1))
    with torch.no_grad():
        reference = model(torch.from_numpy(np.stack(inputs))).numpy()
    err = np.abs(reference - logits).max()
    top1, top5 = accuracy(logits)
    print(f'python checkpoint: hornet-eval top-1 {result["top1"]:.4f}, Python {top1:.4f}; '
          f'max |logits - reference| = {err:.3g}')
    if err > 1e-4:
        failures.append(f'python checkpoint: logits differ from the reference by {err}')
    if abs(top1 - result['top1']) > TOL or abs(top5 - result['top5']) > TOL:
        failures.append('python checkpoint: accuracies differ')
    if not 0 < top5 < 100:
        failures.append(f'python checkpoint: top-5 {top5} says nothing (the model is random over {CLASSES} classes)')

    # The same model and test pipeline classifying files: hornet-eval predict --config CONFIG.
    pred = os.path.join(WORK, 'predict.npy')
    proc = subprocess.run([os.path.join(BIN, 'hornet-eval'), 'predict', files[0], files[-1], '--config', config,
                           '--checkpoint', python_ckpt, '--dump-logits', pred], capture_output=True, text=True)
    if proc.returncode != 0 or len(proc.stdout.strip().splitlines()) != 2:
        failures.append(f'predict --config: {proc.returncode} {proc.stdout} {proc.stderr}')
    else:
        err = np.abs(np.load(pred) - reference[[0, -1]]).max()
        print(f'predict --config: max |logits - reference| = {err:.3g}')
        if err > 1e-4:
            failures.append(f'predict --config logits differ by {err}')

    # 3. Channels-last weights and activation checkpointing (CUDA settings, here on the CPU): the run trains and
    #    says so, its convolution weights are saved with channels-last strides, and PyTorch loads the file into
    #    the reference model, which gives hornet-eval's logits.
    work_cl = os.path.join(WORK, 'run_cl')
    cl = subprocess.run([os.path.join(BIN, 'hornet-train'), config, '--work-dir', work_cl, '--set', 'schedule.epochs=1',
                         '--set', 'ema.enabled=false', '--set', 'runtime.channels_last=true',
                         '--set', 'runtime.activation_checkpointing=true'], capture_output=True, text=True)
    if cl.returncode != 0:
        failures.append(f'channels-last training failed: {cl.stderr[-2000:]}')
    else:
        if 'amp off, channels-last, activation checkpointing' not in cl.stdout + cl.stderr:
            failures.append('the channels-last run did not report its settings: ' + (cl.stdout + cl.stderr)[-1500:])
        state = torch.load(os.path.join(work_cl, 'last.pth'), map_location='cpu')['state_dict']
        stem = state['backbone.downsample_layers.0.0.weight']
        if stem.is_contiguous() or not stem.is_contiguous(memory_format=torch.channels_last):
            failures.append(f'the stem convolution was not saved channels-last: strides {stem.stride()}')
        trained = hornet_ref.Classifier(arch, CLASSES)
        trained.load_state_dict(state)
        trained.eval()
        result_cl, logits_cl = hornet_eval(os.path.join(work_cl, 'last.pth'), 'channels_last')
        if result_cl is not None:
            with torch.no_grad():
                want = trained(torch.from_numpy(np.stack(inputs))).numpy()
            err = np.abs(want - logits_cl).max()
            print(f'channels-last run: max |hornet-eval logits - PyTorch on the saved weights| = {err:.3g}')
            if err > 1e-4:
                failures.append(f'channels-last checkpoint: logits differ from PyTorch by {err}')

bad = subprocess.run([os.path.join(BIN, 'hornet-eval'), 'validate', config, '--checkpoint', os.path.join(WORK, 'nope.pth')],
                     capture_output=True, text=True)
if bad.returncode == 0 or 'nope.pth' not in bad.stderr:
    failures.append(f'missing checkpoint: {bad.returncode} {bad.stderr}')
if failures:
    print('\n'.join('FAIL: ' + f for f in failures))
    sys.exit(1)
print('hornet-eval accuracy: equal to Python')
