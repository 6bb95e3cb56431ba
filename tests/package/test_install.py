#!/usr/bin/env python3
"""Installs the build with `cmake --install`, builds examples/classify as a
separate project against it (find_package(hornet), hornet::hornet), and checks
the example's top-5 for photographs against the Python reference model fed by
mmpretrain's evaluation pipeline (the .normalized.npy fixtures).

    test_install.py BUILD_DIR FIXTURE_DIR WORK_DIR LIBTORCH_PREFIX
"""
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
source = os.path.normpath(os.path.join(here, '..', '..'))
sys.path.insert(0, os.path.join(source, 'tests', 'reference'))
sys.path.insert(0, os.path.join(source, 'tests', 'cli'))
import hornet_ref  # noqa: E402
from cli_common import Checks  # noqa: E402

BUILD, FIX, WORK, TORCH_PREFIX = sys.argv[1:5]
PHOTOS = ['chelsea_451x300.jpg', 'motorcycle_301x497.jpg']
check = Checks()
shutil.rmtree(WORK, ignore_errors=True)
prefix, example = os.path.join(WORK, 'prefix'), os.path.join(WORK, 'classify')


def run(*cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f'{" ".join(cmd)}: exit {proc.returncode}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}')
    return proc.stdout


run('cmake', '--install', BUILD, '--prefix', prefix)
for installed in ('bin/hornet-eval', 'bin/hornet-train', 'include/hornet/models/classifier.h',
                  'lib/cmake/hornet/hornetConfig.cmake'):
    check(os.path.exists(os.path.join(prefix, installed)), f'installed {installed}')
run('cmake', '-S', os.path.join(source, 'examples', 'classify'), '-B', example, '-G', 'Ninja',
    '-DCMAKE_BUILD_TYPE=Release', f'-DCMAKE_PREFIX_PATH={prefix};{TORCH_PREFIX}')
run('cmake', '--build', example)
print('examples/classify built against the installed package')

checkpoint = os.path.join(FIX, 'checkpoints', 'tiny_gf_mmpretrain.pth')
out = run(os.path.join(example, 'classify'), 'tiny-gf', checkpoint, *[os.path.join(FIX, 'images', p) for p in PHOTOS])
print(out, end='')

model = hornet_ref.Classifier(hornet_ref.arch_spec('tiny-gf')).eval()
model.load_state_dict(torch.load(checkpoint))
inputs = torch.stack([torch.from_numpy(np.load(os.path.join(FIX, 'images', p.rsplit('.', 1)[0] + '.normalized.npy')))
                      for p in PHOTOS])
with torch.no_grad():
    probabilities = torch.softmax(model(inputs), dim=1)
lines = out.splitlines()
check(len(lines) == len(PHOTOS), f'one line per photo ({len(lines)} lines)')
for photo, line, row in zip(PHOTOS, lines, probabilities):
    got = [(int(c), float(p)) for c, p in re.findall(r'\d+\. (\d+) ([0-9.]+)', line)]
    want_p, want_c = row.topk(5)
    check([c for c, _ in got] == want_c.tolist(),
          f'{photo}: top-5 classes {[c for c, _ in got]} (reference {want_c.tolist()})')
    err = max((abs(p - w) for (_, p), w in zip(got, want_p.tolist())), default=float('inf'))
    check(len(got) == 5 and err <= 1e-4, f'{photo}: top-5 probabilities within {err:.2g} of the reference')
check.finish()
