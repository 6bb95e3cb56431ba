"""The Python side of model_speed.py, run by the peer's interpreter in a fresh
process: HorNet's training step or forward pass in PyTorch, eager or under
torch.compile, float32 or bf16 autocast. Prints one JSON line.

The model is tests/reference/hornet_ref.py, which follows the official HorNet
code operation for operation (channels-first LayerNorm as the mean/variance
formula, the GF filter's float32 rfft2/irfft2 and its interleave) and whose
outputs and state-dict keys the test suite checks against hornet.

    python peer_model.py REPO --mode train|inference --arch tiny --batch 16 --size 224
        --threads 2 --steps 5 --warmup 2 [--compile] [--amp bf16]
"""
import argparse
import contextlib
import json
import os
import statistics
import sys
import time

import torch

from bench_common import thread_count


def main():
    p = argparse.ArgumentParser()
    p.add_argument('repo')
    p.add_argument('--mode', choices=['train', 'inference'], required=True)
    p.add_argument('--arch', required=True)
    p.add_argument('--batch', type=int, required=True)
    p.add_argument('--size', type=int, required=True)
    p.add_argument('--threads', type=int, required=True)
    p.add_argument('--steps', type=int, required=True)
    p.add_argument('--warmup', type=int, required=True)
    p.add_argument('--compile', action='store_true')
    p.add_argument('--amp', choices=['off', 'bf16'], default='off')
    a = p.parse_args()

    sys.path.insert(0, os.path.join(a.repo, 'tests', 'reference'))
    import hornet_ref

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = hornet_ref.Classifier(hornet_ref.arch_spec(a.arch))
    model.train(a.mode == 'train')
    run = torch.compile(model) if a.compile else model
    amp = (lambda: torch.autocast('cpu', dtype=torch.bfloat16)) if a.amp == 'bf16' else contextlib.nullcontext
    x = torch.randn(a.batch, 3, a.size, a.size)

    if a.mode == 'train':
        decay, no_decay = [], []
        for n, q in model.named_parameters():
            (no_decay if q.dim() == 1 or n.endswith('.bias') else decay).append(q)
        opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': no_decay, 'weight_decay': 0.0}],
                                lr=4e-3)
        t = torch.full((a.batch, 1000), 0.1 / 1000)
        t[torch.arange(a.batch), torch.randint(1000, (a.batch,))] += 0.9

        def step():
            with amp():
                logits = run(x)
            loss = torch.sum(-t * torch.log_softmax(logits.float(), dim=-1), dim=-1).mean()
            loss.backward()
            opt.step()
            opt.zero_grad()
    else:
        def step():
            with torch.inference_mode(), amp():
                run(x)

    times = []
    first = None
    for k in range(a.warmup + a.steps):
        start = time.perf_counter()
        step()
        s = time.perf_counter() - start
        if k == 0:
            first = s
        if k >= a.warmup:
            times.append(s)
    print(json.dumps({'median': statistics.median(times), 'seconds': times, 'first_step': first,
                      'intra_op_threads': torch.get_num_threads(), 'threads_seen': thread_count(),
                      'torch': torch.__version__}))


if __name__ == '__main__':
    main()
