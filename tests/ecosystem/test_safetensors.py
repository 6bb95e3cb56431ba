#!/usr/bin/env python3
"""safetensors files between hornet and the `safetensors` package
(tests/ecosystem/requirements.txt): what safetensors.torch.save_file writes
gives the reference model's logits in hornet, what hornet-convert writes loads
in safetensors.torch.load_file as the same tensors, and headers against the
format's rules are refused by both, hornet with an error naming the problem.

    test_safetensors.py BIN_DIR WORK_DIR
"""
import collections
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'reference'))
sys.path.insert(0, os.path.join(here, '..', 'cli'))
import hornet_ref  # noqa: E402
from cli_common import Checks, make_toy, train_tiny_ema_run  # noqa: E402
from make_fixtures import official_key, randomized  # noqa: E402

BIN, WORK = sys.argv[1], sys.argv[2]
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
TOL = 1e-5  # float32 in another order over HorNet-T-GF's blocks (see test_torch_interop.py)
check = Checks()


def path(name):
    return os.path.join(WORK, name)


def run(*args):
    return subprocess.run([os.path.join(BIN, args[0]), *args[1:]], capture_output=True, text=True)


def hornet(*args):
    proc = run(*args)
    check(proc.returncode == 0, f'{" ".join(args[:3])} ... exits 0' +
          ('' if proc.returncode == 0 else f' (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}'))
    return proc.returncode == 0


def hornet_logits(checkpoint):
    out = checkpoint + '.logits.npy'
    if not hornet('hornet-eval', 'load', '--arch', 'tiny-gf', '--checkpoint', checkpoint, '--threads', '2',
                  '--input-npy', path('x.npy'), '--dump-logits', out):
        return None
    return np.load(out)


def close(got, want, what):
    err = float(np.abs(got - want).max()) if got is not None else float('inf')
    check(err <= TOL, f'{what}: max |logits - reference| = {err:.3g} (<= {TOL:g})')


def same_tensors(got, want, what):
    ok = list(got) == list(want) or set(got) == set(want)
    bad = [k for k in want if k not in got or got[k].dtype != want[k].dtype or not torch.equal(got[k], want[k])]
    check(ok and not bad, f'{what}: {len(want)} tensors equal in name, dtype and value' +
          (f' (differ: {bad[:3]}, names {sorted(set(got) ^ set(want))[:3]})' if bad or not ok else ''))


spec = hornet_ref.arch_spec('tiny-gf')
model = randomized(spec, 1000, 21)
x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(22))
np.save(path('x.npy'), x.numpy())
with torch.no_grad():
    ref = model(x).numpy()
state_dict = collections.OrderedDict((k, v.contiguous()) for k, v in model.state_dict().items())

# --- safetensors' files in hornet ---
save_file(state_dict, path('py.safetensors'), metadata={'format': 'pt'})
close(hornet_logits(path('py.safetensors')), ref, 'safetensors.torch.save_file (mmpretrain names) -> hornet-eval')
official = collections.OrderedDict((official_key(k), v) for k, v in state_dict.items())
save_file(official, path('py_official.safetensors'))
close(hornet_logits(path('py_official.safetensors')), ref,
      'safetensors.torch.save_file (official names, no metadata) -> hornet-eval')
half = collections.OrderedDict((k, v.half()) for k, v in state_dict.items())
save_file(half, path('py_half.safetensors'))
if hornet('hornet-convert', path('py_half.safetensors'), path('half_back.pth'), '--to', 'mmpretrain'):
    same_tensors(torch.load(path('half_back.pth')), half, 'float16 safetensors -> hornet-convert -> torch.load')
proc = run('hornet-eval', 'inspect', '--checkpoint', path('py.safetensors'))
check(proc.returncode == 0 and 'safetensors format' in proc.stdout and 'metadata format: pt' in proc.stdout and
      'mmpretrain key layout' in proc.stdout, 'hornet-eval inspect names the format, metadata and key layout')

# --- hornet's files in safetensors ---
torch.save(state_dict, path('model.pth'))
if hornet('hornet-convert', path('model.pth'), path('hornet.safetensors'), '--to', 'safetensors'):
    same_tensors(load_file(path('hornet.safetensors')), state_dict,
                 'hornet-convert --to safetensors -> safetensors.torch.load_file')
    with safe_open(path('hornet.safetensors'), framework='pt') as f:
        meta = f.metadata() or {}
    check(meta.get('format') == 'pt' and meta.get('converted_from') == path('model.pth'),
          f'metadata read by safe_open: {meta}')
if hornet('hornet-convert', path('model.pth'), path('hornet_official.safetensors'), '--to', 'official'):
    same_tensors(load_file(path('hornet_official.safetensors')), official,
                 'hornet-convert --to official, OUT .safetensors -> load_file (official names)')
if hornet('hornet-convert', '--init', 'tiny-gf', path('init.safetensors'), '--seed', '5'):
    m = hornet_ref.Classifier(spec, 1000).eval()
    m.load_state_dict(load_file(path('init.safetensors')), strict=True)
    with torch.no_grad():
        close(hornet_logits(path('init.safetensors')), m(x).numpy(),
              'hornet-convert --init OUT.safetensors: load_file into the reference model (strict) vs hornet-eval')


# --- runtime.load_from: training starts from a safetensors file ---
data = make_toy(BIN, path('toy'))
os.makedirs(path('first'))
config, last = train_tiny_ema_run(BIN, path('first'), data)
trained = torch.load(last)['state_dict']
save_file({k: v.contiguous() for k, v in trained.items()}, path('start.safetensors'))
proc = run('hornet-train', config, '--work-dir', path('second'), '--set', f'runtime.load_from={path("start.safetensors")}',
           '--set', 'schedule.epochs=1')
check(proc.returncode == 0 and f'load_from {path("start.safetensors")}: loaded {len(trained)} tensors' in proc.stderr,
      f'hornet-train with runtime.load_from a .safetensors file loads all {len(trained)} tensors'
      + ('' if proc.returncode == 0 else f' ({proc.stderr[-800:]})'))


# --- headers against the rules: safetensors refuses each, and so does hornet, saying why ---
def layout(header, data):
    text = json.dumps(header, separators=(',', ':')).encode()
    return struct.pack('<Q', len(text)) + text + data


data = np.arange(4, dtype='<f4').tobytes()


def entry(dtype, shape, begin, end):
    return {'dtype': dtype, 'shape': shape, 'data_offsets': [begin, end]}


bad_files = {
    'overlap': (layout({'a': entry('F32', [4], 0, 16), 'b': entry('F32', [2], 8, 16)}, data), 'overlaps'),
    'shape_vs_length': (layout({'a': entry('F32', [3], 0, 16)}, data), 'need 12 bytes but data_offsets give 16'),
    'past_end': (layout({'a': entry('F32', [8], 0, 32)}, data), 'claim 32 bytes but the file holds 16'),
    'header_past_end': (struct.pack('<Q', 1000) + b'{"a":1}', 'header claims 1000 bytes'),
    'not_json': (struct.pack('<Q', 9) + b'{"a":1,,}' + data, 'malformed JSON'),
    'unknown_dtype': (layout({'a': entry('Q7', [4], 0, 16)}, data), "unsupported dtype 'Q7'"),
}
for name, (blob, message) in bad_files.items():
    file = path(f'bad_{name}.safetensors')
    with open(file, 'wb') as f:
        f.write(blob)
    try:
        load_file(file)
        theirs = 'loaded'
    except Exception as e:  # the package's own error type varies by cause
        theirs = f'{type(e).__name__}'
    proc = run('hornet-eval', 'inspect', '--checkpoint', file)
    check(theirs != 'loaded', f'{name}: safetensors refuses it ({theirs})')
    check(proc.returncode == 1 and message in proc.stderr and file in proc.stderr,
          f'{name}: hornet-eval exits 1 naming the file and "{message}" (exit {proc.returncode}: '
          f'{proc.stderr.strip()[-300:]})')

check.finish()
