#!/usr/bin/env python3
"""GPU training and evaluation speed: hornet against PyTorch on the same GPU,
in one run.

Peers (each in its own process, so peak memory is its own):
  hornet   `hornet-eval benchmark [--inference] --device cuda`
           (bf16 autocast, channels-last, fused gnConv kernels);
  eager    the Python reference model (tests/reference/hornet_ref.py, the
           official code's structure), channels-last, bf16 autocast;
  compile  torch.compile of the same model and step.
Both sides run the same step: forward, soft-target cross-entropy, backward and
AdamW (PyTorch's default CUDA implementation on the Python side), on
synthetic inputs. A figure is the median step after warm-up steps (compile's
first steps include its compilation); peak memory is the caching allocator's
peak over the timed steps (torch.cuda.max_memory_allocated on both sides).

Cases: tiny and base at 224 with batch 128, large-gf at 384 with batch 16
(training), and the forward alone without gradients (evaluation). Then the
data loader: `hornet-data bench` on generated JPEGs with 16 workers, and a
short `hornet-train` run of tiny (batch 128, bf16) on them, whose log gives
the share of each step spent waiting for data.

    python3 scripts/bench/gpu_train.py [--bin build-gpu/bin] [--steps 20] [--quick]
        [--json OUT/gpu_train.json] [--check]

--check exits non-zero unless, for tiny at batch 128: hornet >= 1.3x eager
and >= 1.0x compile images/s, hornet's peak memory <= eager's, and the data
wait <= 5% of the step.
"""
import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile

from bench_common import REPO, machine, write_results

PYTHON_STEP = r"""
import json, statistics, sys, time, torch
sys.path.insert(0, sys.argv[1])
import hornet_ref
mode, arch, batch, size, steps, warmup, compiled = (sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
                                                    int(sys.argv[6]), int(sys.argv[7]), sys.argv[8] == '1')
torch.backends.cuda.matmul.allow_tf32 = True
torch.backends.cudnn.allow_tf32 = True
torch.backends.cudnn.benchmark = True
torch.manual_seed(0)
dev = torch.device('cuda')
model = hornet_ref.Classifier(hornet_ref.arch_spec(arch)).to(dev).to(memory_format=torch.channels_last)
x = torch.randn(batch, 3, size, size, device=dev).contiguous(memory_format=torch.channels_last)
t = torch.full((batch, 1000), 0.1 / 1000, device=dev)
t[torch.arange(batch), torch.randint(1000, (batch,))] += 0.9
if mode == 'train':
    model.train()
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.dim() == 1 or n.endswith('.bias') else decay).append(p)
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=4e-3)
    def forward_backward(x, t):
        with torch.autocast('cuda', dtype=torch.bfloat16):
            logits = model(x)
        loss = torch.sum(-t * torch.log_softmax(logits.float(), dim=-1), dim=-1).mean()
        loss.backward()
        return loss
    fn = torch.compile(forward_backward) if compiled else forward_backward
    def step():
        loss = fn(x, t)
        loss.item()  # as hornet's step, which reads the loss to skip non-finite steps
        opt.step()
        opt.zero_grad(set_to_none=True)
else:
    model.eval()
    def forward(x):
        with torch.no_grad(), torch.autocast('cuda', dtype=torch.bfloat16):
            return model(x)
    fn = torch.compile(forward) if compiled else forward
    def step():
        fn(x)
times = []
for k in range(warmup + steps):
    if k == warmup:
        torch.cuda.reset_peak_memory_stats()
    torch.cuda.synchronize()
    start = time.perf_counter()
    step()
    torch.cuda.synchronize()
    if k >= warmup:
        times.append(time.perf_counter() - start)
print(json.dumps({'median': statistics.median(times), 'peak_memory': torch.cuda.max_memory_allocated()}))
"""

HORNET_LINE = re.compile(r'median ([0-9.]+) s, ([0-9.]+) images/s, peak memory (\d+) MiB')
# (mode, arch, image size, batch), in the order they run: what the targets
# need first, so that a run cut short by a time limit still has it.
CASES = [
    ('train', 'tiny', 224, 128),
    ('data',),
    ('eval', 'tiny', 224, 128),
    ('train', 'base', 224, 128),
    ('train', 'large-gf384', 384, 16),
    ('eval', 'base', 224, 128),
    ('eval', 'large-gf384', 384, 16),
]
HORNET_ARCH = {'tiny': 'tiny', 'base': 'base', 'large-gf384': 'large-gf384'}


def run(cmd, env=None, timeout=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f'{shlex.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}')
    return proc.stdout + proc.stderr


def hornet_case(bin_dir, mode, arch, size, batch, steps, warmup):
    cmd = [os.path.join(bin_dir, 'hornet-eval'), 'benchmark', '--arch', HORNET_ARCH[arch],
           *([] if mode == 'train' else ['--inference']), '--device', 'cuda', '--amp', 'bf16',
           '--channels-last', 'true', '--batch-size', str(batch), '--image-size', str(size), '--steps', str(steps)]
    out = run(cmd)
    m = HORNET_LINE.search(out)
    if not m:
        raise RuntimeError(f'unexpected output of {shlex.join(cmd)}:\n{out}')
    return {'median': float(m.group(1)), 'images_per_s': float(m.group(2)), 'peak_memory': int(m.group(3)) << 20,
            'command': shlex.join(cmd)}


def python_case(mode, arch, size, batch, steps, warmup, compiled):
    cmd = [sys.executable, '-c', PYTHON_STEP, os.path.join(REPO, 'tests', 'reference'), mode, arch, str(batch),
           str(size), str(steps), str(warmup + (3 if compiled else 0)), '1' if compiled else '0']
    out = run(cmd, timeout=600)
    r = json.loads(out.strip().splitlines()[-1])
    r['images_per_s'] = batch / r['median']
    return r


def make_jpegs(root, count, workers=16):
    """`count` 500x375 JPEGs (quality 90) in 10 class folders: smooth noise, so
    that decoding costs what a photograph's does."""
    script = r"""
import os, sys
import numpy as np
from PIL import Image
root, start, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(start)
for k in range(start, stop):
    d = os.path.join(root, f'class{k % 10}')
    os.makedirs(d, exist_ok=True)
    small = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    img = Image.fromarray(small).resize((500, 375), Image.BICUBIC)
    noise = rng.integers(-12, 13, (375, 500, 3))
    arr = np.clip(np.asarray(img, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
    Image.fromarray(arr).save(os.path.join(d, f'{k:06d}.jpg'), quality=90)
"""
    per = (count + workers - 1) // workers
    procs = [subprocess.Popen([sys.executable, '-c', script, root, str(s), str(min(count, s + per))])
             for s in range(0, count, per)]
    for p in procs:
        if p.wait() != 0:
            raise RuntimeError('generating the JPEGs failed')


def loader_cases(bin_dir, batches, out_dir):
    root = tempfile.mkdtemp(prefix='hornet-gpu-bench-', dir=out_dir)
    count = 128 * batches
    make_jpegs(os.path.join(root, 'train'), count)
    cmd = [os.path.join(bin_dir, 'hornet-data'), 'bench', os.path.join(root, 'train'), '--pipeline', 'train',
           '--workers', '16', '--batch-size', '128', '--batches', str(batches - 1)]
    out = run(cmd)
    m = re.search(r'([0-9.]+) images/s', out)
    loader = {'images_per_s': float(m.group(1)) if m else None, 'command': shlex.join(cmd), 'output': out[-500:]}
    # A short training run on the same files: the log's data-wait share.
    work = os.path.join(root, 'work')
    cmd = [os.path.join(bin_dir, 'hornet-train'), os.path.join(REPO, 'configs/hornet/hornet-tiny_8xb128_in1k.yaml'),
           '--work-dir', work, '--device', 'cuda', '--amp', 'bf16',
           '--set', f'data.train.root={os.path.join(root, "train")}', '--set', 'data.train.expected_size=0',
           '--set', 'model.num_classes=10', '--set', 'data.train.workers=16', '--set', 'optim.total_batch=0',
           '--set', 'schedule.epochs=1', '--set', 'schedule.warmup_epochs=0', '--set', 'runtime.val_interval=0',
           '--set', 'runtime.log_interval=5', '--set', 'runtime.checkpoint_every_iters=0',
           '--set', 'ema.enabled=false']
    run(cmd, timeout=600)
    rows = [json.loads(line) for line in open(os.path.join(work, 'metrics.jsonl'))]
    train = [r for r in rows if r.get('mode') == 'train']
    steady = train[1:] if len(train) > 1 else train  # the first window holds cuDNN's algorithm search
    return {'loader': loader,
            'train': {'command': shlex.join(cmd), 'windows': train,
                      'images_per_s': statistics.median(r['images_per_s'] for r in steady),
                      'data_wait': statistics.median(r['data_wait'] for r in steady)}}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--bin', default=os.path.join(REPO, 'build-gpu', 'bin'))
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--quick', action='store_true', help='tiny only (and the data cases, on fewer batches)')
    parser.add_argument('--json', default=os.path.join(REPO, 'build-gpu', 'bench', 'gpu_train.json'))
    parser.add_argument('--check', action='store_true')
    args = parser.parse_args()
    # The device's name from a child too: this process holds no CUDA context while the peers run.
    device, version = run([sys.executable, '-c', 'import torch; print(torch.cuda.get_device_name(0)); '
                           'print(torch.__version__)']).strip().splitlines()[-2:]
    print(f'GPU: {device}; torch {version}; {args.steps} timed steps after {args.warmup} warm-up', flush=True)
    results = {'command': shlex.join([os.path.basename(sys.executable)] + sys.argv), 'device': device,
               'torch': version, 'cases': []}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    cases = [c for c in CASES if not args.quick or c[0] == 'data' or c[1] == 'tiny']
    for case in cases:
        if case[0] == 'data':
            try:
                data = loader_cases(args.bin, 12 if args.quick else 30, os.path.dirname(os.path.abspath(args.json)))
                results['data'] = data
                print(f"loader: {data['loader']['images_per_s']} images/s (16 workers); tiny training on JPEGs: "
                      f"{data['train']['images_per_s']:.1f} images/s, data wait {100 * data['train']['data_wait']:.1f}% "
                      f"of the step", flush=True)
            except Exception as e:
                results['data'] = {'error': str(e)[-2000:]}
                print(f'loader benchmark failed: {e}', flush=True)
            write_results(args.json, results)
            continue
        mode, arch, size, batch = case
        row = {'mode': mode, 'arch': arch, 'size': size, 'batch': batch}
        for name, fn in [('hornet', lambda: hornet_case(args.bin, mode, arch, size, batch, args.steps, args.warmup)),
                         ('eager', lambda: python_case(mode, arch, size, batch, args.steps, args.warmup, False)),
                         ('compile', lambda: python_case(mode, arch, size, batch, args.steps, args.warmup, True))]:
            try:
                row[name] = fn()
            except Exception as e:  # one failing peer must not hide the others' figures
                row[name] = {'error': str(e)[-2000:]}
        results['cases'].append(row)
        figures = '  '.join(f"{n} {row[n]['images_per_s']:.1f} img/s, {row[n]['peak_memory'] / 2**30:.2f} GiB"
                            if 'images_per_s' in row[n] else f'{n} failed' for n in ('hornet', 'eager', 'compile'))
        ratios = '  '.join(f"hornet/{n} {row['hornet']['images_per_s'] / row[n]['images_per_s']:.2f}x"
                           for n in ('eager', 'compile') if 'images_per_s' in row[n] and 'images_per_s' in row['hornet'])
        print(f'{mode:5} {arch:12} {size} b{batch:<4} {figures}  {ratios}', flush=True)
        write_results(args.json, results)  # after every case: a run cut short keeps what it measured
    print(f'wrote {args.json}')
    if args.check:
        tiny = next((r for r in results['cases'] if r['mode'] == 'train' and r['arch'] == 'tiny'), {})
        h, e, c = tiny.get('hornet', {}), tiny.get('eager', {}), tiny.get('compile', {})
        ok = ('images_per_s' in h and 'images_per_s' in e and 'images_per_s' in c
              and h['images_per_s'] >= 1.3 * e['images_per_s'] and h['images_per_s'] >= c['images_per_s']
              and h['peak_memory'] <= e['peak_memory']
              and results.get('data', {}).get('train', {}).get('data_wait', 1.0) <= 0.05)
        print('check:', 'PASS' if ok else 'FAIL')
        return 0 if ok else 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
