#!/usr/bin/env python3
"""CPU training-step speed: hornet against the same step in Python (Debian's
python3-torch, the same LibTorch 1.13), same arch, batch, input and threads.

The step: forward, soft-target cross-entropy, backward, AdamW with the recipe's
parameter groups (no weight decay on 1-D parameters and biases). Inputs are
synthetic. Each side runs in fresh processes, alternating, warm-up steps
excluded; a round's figure is its median step, the result the median of the
rounds.

Every thread pool is set equally on both sides and reported: LibTorch's
intra-op threads (which oneDNN's OpenMP follows), OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS; there are no loader workers (the
data are synthetic).

OpenBLAS chooses its kernels by CPU model. When it does not know this CPU it
falls back to generic SSE3 kernels, which slows Python's matrix products (hornet
routes its large ones through oneDNN, see hornet/ops/linear.h). The script then
also times Python with OPENBLAS_CORETYPE forced to the core this CPU's
instruction set supports, so the comparison shows both.

    /usr/bin/python3 scripts/bench/train_step.py [--arch tiny] [--batch 16] [--size 224]
        [--threads 1,2] [--steps 5] [--rounds 3] [--json build/bench/train_step.json] [--check]

--check exits non-zero unless hornet's step takes at most 0.90x every Python
variant's, at every thread count.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

from bench_common import REPO, machine, pool_env, write_results

TARGET = 0.90

PYTHON_STEP = r"""
import sys, time, statistics, torch
sys.path.insert(0, sys.argv[1])
import hornet_ref
arch, batch, size, threads, steps, warmup = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = hornet_ref.Classifier(hornet_ref.arch_spec(arch)).train()
decay, no_decay = [], []
for n, p in model.named_parameters():
    (no_decay if p.dim() == 1 or n.endswith('.bias') else decay).append(p)
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': no_decay, 'weight_decay': 0.0}], lr=4e-3)
x = torch.randn(batch, 3, size, size)
t = torch.full((batch, 1000), 0.1 / 1000)
t[torch.arange(batch), torch.randint(1000, (batch,))] += 0.9
times = []
for k in range(warmup + steps):
    start = time.perf_counter()
    loss = torch.sum(-t * torch.log_softmax(model(x), dim=-1), dim=-1).mean()
    loss.backward()
    opt.step()
    opt.zero_grad()
    if k >= warmup:
        times.append(time.perf_counter() - start)
print(statistics.median(times))
"""

WARMUP = 2  # hornet-eval --benchmark-train's warm-up steps


def openblas_core(env):
    """The kernel set OpenBLAS picks in a Python process with `env`."""
    out = subprocess.run([sys.executable, '-c', 'import torch; torch.mm(torch.ones(8, 8), torch.ones(8, 8))'],
                         env=dict(env, OPENBLAS_VERBOSE='2'), capture_output=True, text=True)
    m = re.search(r'Core: (\S+)', out.stdout + out.stderr)
    return m.group(1) if m else 'unknown'


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--arch', default='tiny')
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--threads', default='1,2', help='comma-separated thread counts (default 1,2)')
    parser.add_argument('--steps', type=int, default=5, help='timed steps per process')
    parser.add_argument('--rounds', type=int, default=3, help='fresh processes per side (median taken)')
    parser.add_argument('--hornet-eval', default=os.path.join(REPO, 'build', 'bin', 'hornet-eval'))
    parser.add_argument('--json', default=os.path.join(REPO, 'build', 'bench', 'train_step.json'))
    parser.add_argument('--check', action='store_true', help=f'fail unless hornet <= {TARGET}x every Python variant')
    args = parser.parse_args()
    thread_counts = [int(t) for t in args.threads.split(',')]

    base_env = {k: v for k, v in os.environ.items() if k != 'OPENBLAS_CORETYPE'}
    default_core = openblas_core(base_env)
    cpu = machine()
    forced_core = 'SkylakeX' if cpu['avx512f'] else 'Haswell' if cpu['avx2'] else None
    variants = [('python', {})]
    # Only when OpenBLAS settled for less than the instruction set allows.
    if forced_core and default_core not in (forced_core, 'SkylakeX', 'Cooperlake', 'SapphireRapids'):
        variants.append((f'python, OpenBLAS {forced_core}', {'OPENBLAS_CORETYPE': forced_core}))
    print(f'{args.arch} training step, batch {args.batch} at {args.size}; {args.rounds} rounds x {args.steps} steps '
          f'after {WARMUP} warm-up; {cpu["cpu_model"]}, {os.cpu_count()} CPUs; OpenBLAS picks {default_core} here')

    results = {'command': ' '.join([os.path.basename(sys.executable)] + sys.argv), 'openblas_core': default_core,
               'arch': args.arch, 'batch': args.batch, 'size': args.size, 'steps': args.steps,
               'rounds': args.rounds, 'warmup': WARMUP, 'runs': []}
    ok = True
    for threads in thread_counts:
        env, pools = pool_env(threads, base_env)
        times = {name: [] for name, _ in variants}
        times['hornet'] = []
        for r in range(args.rounds):
            # Alternate who goes first, so neither side always runs on a warmer machine.
            order = ['hornet'] + [name for name, _ in variants]
            if r % 2:
                order.reverse()
            for name in order:
                if name == 'hornet':
                    out = subprocess.run([args.hornet_eval, '--arch', args.arch, '--benchmark-train', '--batch-size',
                                          str(args.batch), '--image-size', str(args.size), '--threads', str(threads),
                                          '--steps', str(args.steps)], env=env, capture_output=True, text=True,
                                         check=True).stdout
                    times[name].append(float(re.search(r'median ([0-9.]+) s', out).group(1)))
                else:
                    extra = dict(variants)[name]
                    out = subprocess.run([sys.executable, '-c', PYTHON_STEP, os.path.join(REPO, 'tests', 'reference'),
                                          args.arch, str(args.batch), str(args.size), str(threads), str(args.steps),
                                          str(WARMUP)], env=dict(env, **extra), capture_output=True, text=True,
                                         check=True).stdout
                    times[name].append(float(out.strip().splitlines()[-1]))
        med = {name: statistics.median(v) for name, v in times.items()}
        pool_text = ', '.join(f'{k}={v}' for k, v in pools.items())
        print(f'\n{threads} intra-op thread(s); {pool_text}')
        print(f'  {"":34} {"s/step":>8} {"images/s":>9}  rounds')
        for name in [n for n, _ in variants] + ['hornet']:
            print(f'  {name:34} {med[name]:8.3f} {args.batch / med[name]:9.2f}  '
                  + ' '.join(f'{t:.3f}' for t in times[name]))
        run = {'threads': threads, 'pools': pools, 'seconds_per_step': times, 'median': med, 'ratios': {}}
        for name, _ in variants:
            ratio = med['hornet'] / med[name]
            run['ratios'][name] = ratio
            met = ratio <= TARGET
            ok &= met
            print(f'  ratio hornet / {name:24} {ratio:.3f}  (target <= {TARGET}: {"met" if met else "MISSED"})')
        results['runs'].append(run)
    write_results(args.json, results)
    if args.check and not ok:
        raise SystemExit('target not met')


if __name__ == '__main__':
    main()
