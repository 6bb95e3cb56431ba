#!/usr/bin/env python3
"""hornet-eval and hornet-convert on checkpoints in every layout, checked with
Python: numpy for logits, torch.load for converted files.

    test_checkpoint_cli.py BIN_DIR FIXTURE_DIR WORK_DIR
"""
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'reference'))
from make_fixtures import official_key  # noqa: E402
import hornet_ref  # noqa: E402,F811

BIN, FIX, WORK = sys.argv[1], os.path.join(sys.argv[2], 'checkpoints'), sys.argv[3]
os.makedirs(WORK, exist_ok=True)
TOL = 1e-4
failures = []


def run(*args, expect=0):
    proc = subprocess.run([os.path.join(BIN, args[0]), *args[1:]], capture_output=True, text=True)
    if proc.returncode != expect:
        failures.append(f'{args}: exit {proc.returncode}, expected {expect}\n{proc.stdout}{proc.stderr}')
    return proc.stdout + proc.stderr


def check(cond, msg):
    if not cond:
        failures.append(msg)


def logits(checkpoint, name, *extra):
    out = os.path.join(WORK, name + '.npy')
    run('hornet-eval', 'load', '--arch', 'tiny-gf', '--checkpoint', checkpoint, '--threads', '2',
        '--input-npy', os.path.join(FIX, 'tiny_gf_input.npy'), '--dump-logits', out, *extra)
    return np.load(out) if os.path.exists(out) else None


ref = np.load(os.path.join(FIX, 'tiny_gf_logits.npy'))
ref_ema = np.load(os.path.join(FIX, 'tiny_gf_logits_ema.npy'))
mm = logits(os.path.join(FIX, 'tiny_gf_mmpretrain.pth'), 'mm')
of = logits(os.path.join(FIX, 'tiny_gf_official.pth'), 'of')
of_ema = logits(os.path.join(FIX, 'tiny_gf_official.pth'), 'of_ema', '--use-ema')
check(mm is not None and of is not None and np.array_equal(mm, of),
      'mmpretrain and official layouts give different logits')
# --mmap: the parameters alias the file's pages; the same logits from both formats.
of_mapped = logits(os.path.join(FIX, 'tiny_gf_official.pth'), 'of_mapped', '--mmap')
mm_mapped = logits(os.path.join(FIX, 'tiny_gf_mmpretrain.pth'), 'mm_mapped', '--mmap')
mapped_line = run('hornet-eval', 'load', '--arch', 'tiny-gf', '--checkpoint', os.path.join(FIX, 'tiny_gf_official.pth'), '--mmap')
check('(0 mapped)' not in mapped_line and ' mapped)' in mapped_line, f'--mmap maps nothing: {mapped_line}')
for got, want, what in [(mm, ref, 'mmpretrain'), (of, ref, 'official'), (of_ema, ref_ema, 'official EMA'),
                        (of_mapped, ref, 'official, --mmap'), (mm_mapped, ref, 'mmpretrain, --mmap')]:
    err = np.abs(got - want).max() if got is not None else float('inf')
    print(f'{what}: max |logits - reference| = {err:.3g}')
    check(err <= TOL, f'{what} logits differ from the reference by {err}')

# At 256 the 224 filters are resized: on every forward pass by default, once while
# loading with --image-size. Both must match the reference model run at 256.
x256 = torch.randn(1, 3, 256, 256, generator=torch.Generator().manual_seed(3))
np.save(os.path.join(WORK, 'x256.npy'), x256.numpy())
ref_model = hornet_ref.Classifier(hornet_ref.arch_spec('tiny-gf')).eval()
ref_model.load_state_dict(torch.load(os.path.join(FIX, 'tiny_gf_mmpretrain.pth')))
with torch.no_grad():
    ref256 = ref_model(x256).numpy()
for name, extra in [('on_the_fly', []), ('at_load', ['--image-size', '256'])]:
    out = os.path.join(WORK, f'l256_{name}.npy')
    run('hornet-eval', 'load', '--arch', 'tiny-gf', '--checkpoint', os.path.join(FIX, 'tiny_gf_mmpretrain.pth'),
        '--input-npy', os.path.join(WORK, 'x256.npy'), '--dump-logits', out, '--threads', '2', *extra)
    err = np.abs(np.load(out) - ref256).max() if os.path.exists(out) else float('inf')
    print(f'256 input, filters resized {name}: max |logits - reference| = {err:.3g}')
    check(err <= TOL, f'256 input ({name}) differs from the reference by {err}')
out = run('hornet-eval', 'load', '--arch', 'tiny-gf', '--checkpoint', os.path.join(FIX, 'tiny_gf_mmpretrain.pth'),
          '--input-npy', os.path.join(WORK, 'x256.npy'), '--image-size', '224', expect=1)
check('input is 256x256, but --image-size is 224' in out, f'size mismatch message: {out}')

# Conversions, checked with torch.load against the fixtures' own tensors.
mm_sd = torch.load(os.path.join(FIX, 'tiny_gf_mmpretrain.pth'))
of_ckpt = torch.load(os.path.join(FIX, 'tiny_gf_official.pth'))
to_of = os.path.join(WORK, 'to_official.pth')
run('hornet-convert', os.path.join(FIX, 'tiny_gf_mmpretrain.pth'), to_of, '--to', 'official')
got = torch.load(to_of)
check(list(got) == ['model'], f'official layout top level: {list(got)}')
check(set(got['model']) == set(of_ckpt['model']), 'official key set differs from the official checkpoint\'s')
check(all(torch.equal(got['model'][official_key(k)], v) for k, v in mm_sd.items()), 'converted tensors differ')

to_mm = os.path.join(WORK, 'to_mmpretrain.pth')
run('hornet-convert', os.path.join(FIX, 'tiny_gf_official.pth'), to_mm, '--to', 'mmpretrain', '--use-ema')
got = torch.load(to_mm)
check(set(got) == set(mm_sd), 'mmpretrain key set differs from mmpretrain\'s')
check(all(torch.equal(v, of_ckpt['model_ema'][official_key(k)]) for k, v in got.items()), 'EMA tensors differ')

to_hornet = os.path.join(WORK, 'to_hornet.pth')
run('hornet-convert', to_of, to_hornet, '--to', 'hornet')
got = torch.load(to_hornet)
check(set(got) == {'meta', 'state_dict'} and set(got['state_dict']) == set(mm_sd), 'hornet layout wrong')
back = logits(to_hornet, 'hornet')
check(back is not None and np.array_equal(back, mm), 'round-tripped weights give other logits')

# Inspection and errors.
out = run('hornet-eval', 'inspect', '--checkpoint', os.path.join(FIX, 'tiny_gf_official.pth'))
for text in ['argparse.Namespace', 'official-repository key layout', 'EMA weights: 640 tensors', 'gf14x8 gf7x4']:
    check(text in out, f'inspect output lacks {text!r}')
out = run('hornet-eval', 'load', '--arch', 'tiny', '--checkpoint', os.path.join(FIX, 'tiny_gf_mmpretrain.pth'), expect=1)
check('hornet-eval: error: checkpoint does not fit arch \'tiny\'' in out, f'wrong-arch message: {out}')
out = run('hornet-convert', to_of, os.path.join(WORK, 'x.pth'), '--to', 'bogus', expect=1)
check('unknown checkpoint layout \'bogus\'' in out, f'bad --to message: {out}')
check(not os.path.exists(os.path.join(WORK, 'x.pth')), 'failed conversion left a file')
out = run('hornet-eval', 'load', '--arch', 'tiny-gf', '--checkpoint', os.path.join(FIX, 'objects_zip_p2.pth'), expect=1)
check('not a HorNet checkpoint' in out, f'non-HorNet message: {out}')

if failures:
    print('\n'.join('FAIL: ' + f for f in failures))
    sys.exit(1)
print('checkpoint CLI: all checks passed')
