#!/usr/bin/env python3
"""CPU training-step speed: hornet against the same step in Python (Debian's
python3-torch, the same LibTorch), same arch, batch, threads, in the same run.

The step: forward, soft-target cross-entropy, backward, AdamW with the recipe's
parameter groups (no weight decay on 1-D parameters and biases). Inputs are
synthetic; each side runs in its own process, alternating, and reports the
median step time.

    /usr/bin/python3 scripts/bench/train_step.py [--arch tiny] [--batch 16] [--size 224]
                                                  [--threads 2] [--steps 10] [--rounds 3] [--check]

--check exits non-zero unless hornet's step takes at most 1.05x Python's.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

PYTHON_STEP = r"""
import sys, time, statistics, torch
sys.path.insert(0, sys.argv[1])
import hornet_ref
arch, batch, size, threads, steps = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
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
for k in range(2 + steps):
    start = time.perf_counter()
    loss = torch.sum(-t * torch.log_softmax(model(x), dim=-1), dim=-1).mean()
    loss.backward()
    opt.step()
    opt.zero_grad()
    if k >= 2:
        times.append(time.perf_counter() - start)
print(statistics.median(times))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--arch', default='tiny')
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--threads', type=int, default=os.cpu_count())
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--hornet-eval', default=os.path.join(REPO, 'build', 'bin', 'hornet-eval'))
    parser.add_argument('--check', action='store_true')
    args = parser.parse_args()
    ours, theirs = [], []
    for _ in range(args.rounds):
        out = subprocess.run([sys.executable, '-c', PYTHON_STEP, os.path.join(REPO, 'tests', 'reference'), args.arch,
                              str(args.batch), str(args.size), str(args.threads), str(args.steps)],
                             capture_output=True, text=True, check=True).stdout
        theirs.append(float(out.strip().splitlines()[-1]))
        out = subprocess.run([args.hornet_eval, '--arch', args.arch, '--benchmark-train', '--batch-size',
                              str(args.batch), '--image-size', str(args.size), '--threads', str(args.threads),
                              '--steps', str(args.steps)], capture_output=True, text=True, check=True).stdout
        ours.append(float(re.search(r'median ([0-9.]+) s', out).group(1)))
    py, hn = statistics.median(theirs), statistics.median(ours)
    print(f'{args.arch} training step, batch {args.batch} at {args.size}, {args.threads} threads, '
          f'median of {args.rounds} x {args.steps} steps')
    print(f'  Python (python3-torch): {py:.3f} s/step  {args.batch / py:6.2f} images/s')
    print(f'  hornet:                 {hn:.3f} s/step  {args.batch / hn:6.2f} images/s')
    print(f'  ratio hornet / Python:  {hn / py:.3f}  (target <= 1.05)')
    if args.check and hn > 1.05 * py:
        raise SystemExit('target not met')


if __name__ == '__main__':
    main()
