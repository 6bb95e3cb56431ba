#!/usr/bin/env python3
"""Data-parallel scaling on the CPU (c10d Gloo): how much of the gradient
all-reduce backward hides, and weak-scaling efficiency.

Both sides run hornet's training step on synthetic data (hornet-eval
benchmark): one rank with T intra-op threads, and two ranks with T
threads each, every rank with the same per-rank batch, started here with
torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). The
2-rank step all-reduces the gradients in buckets launched from backward's
gradient hooks; the step reports how long it waited for them after backward
("exposed"), and the same buckets are also timed with nothing else running
("alone"). Hidden share = 1 - exposed / alone. Weak-scaling efficiency =
1-rank step time / 2-rank step time (each rank does the single rank's work).

Rounds alternate which side runs first; a round's figure is its median step,
the result the median over rounds. Every thread pool is set and printed; on a
machine with C cores, 2 ranks x T threads need 2T cores (plus Gloo's two
threads per rank, which do the reduction) for the comparison to be fair.

    /usr/bin/python3 scripts/bench/distributed.py [--arch tiny] [--batch 16] [--size 224]
        [--threads 1] [--steps 5] [--rounds 3] [--json build/bench/distributed.json] [--check]

--check exits non-zero unless efficiency >= 0.85 and hidden share >= 0.50.
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import sys

from bench_common import REPO, hornet_tool, machine, pool_env, write_results

TARGET_EFFICIENCY = 0.85
TARGET_HIDDEN = 0.50


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_ranks(args, ranks, env):
    cmd = [args.hornet_eval or hornet_tool('hornet-eval'), 'benchmark', '--arch', args.arch, '--batch-size', str(args.batch),
           '--image-size', str(args.size), '--threads', str(args.threads), '--steps', str(args.steps)]
    port = free_port()
    procs = []
    for rank in range(ranks):
        rank_env = dict(env)
        if ranks > 1:
            rank_env.update(RANK=str(rank), WORLD_SIZE=str(ranks), LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(ranks),
                            MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
        procs.append(subprocess.Popen(cmd, env=rank_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outs = [p.communicate()[0] for p in procs]
    for p, out in zip(procs, outs):
        if p.returncode != 0:
            raise SystemExit(f'{cmd} failed ({p.returncode}):\n{out}')
    out = outs[0]
    result = {'step': float(re.search(r'median ([0-9.]+) s', out).group(1))}
    if ranks > 1:
        m = re.search(r'all-reduce: (\d+) buckets, ([0-9.]+) MB: ([0-9.]+) s alone, ([0-9.]+) s exposed after backward, '
                      r'(\d+)% of the buckets launched during backward', out)
        result.update(buckets=int(m.group(1)), megabytes=float(m.group(2)), alone=float(m.group(3)),
                      exposed=float(m.group(4)), launched_in_backward=int(m.group(5)) / 100)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--arch', default='tiny')
    parser.add_argument('--batch', type=int, default=16, help='per rank')
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--threads', type=int, default=1, help='intra-op threads per rank')
    parser.add_argument('--steps', type=int, default=5, help='timed steps per process')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--hornet-eval', default=None, help='default: hornet_tool("hornet-eval") (build-pypi/bin)')
    parser.add_argument('--json', default=os.path.join(REPO, 'build', 'bench', 'distributed.json'))
    parser.add_argument('--check', action='store_true',
                        help=f'fail unless efficiency >= {TARGET_EFFICIENCY} and hidden share >= {TARGET_HIDDEN}')
    args = parser.parse_args()
    env, pools = pool_env(args.threads)
    cpu = machine()
    print(f'{args.arch} training step, batch {args.batch} per rank at {args.size}, {args.threads} thread(s) per rank; '
          f'{args.rounds} rounds x {args.steps} steps after 2 warm-up; {cpu["cpu_model"]}, {os.cpu_count()} CPUs')
    print('pools per rank: ' + ', '.join(f'{k}={v}' for k, v in pools.items()) + '; no loader (synthetic data); '
          'Gloo: 2 threads per rank, bucket 25 MB')
    one, two = [], []
    for r in range(args.rounds):
        order = [1, 2] if r % 2 == 0 else [2, 1]
        for ranks in order:
            (one if ranks == 1 else two).append(run_ranks(args, ranks, env))
    step1 = statistics.median(x['step'] for x in one)
    step2 = statistics.median(x['step'] for x in two)
    alone = statistics.median(x['alone'] for x in two)
    exposed = statistics.median(x['exposed'] for x in two)
    hidden = max(0.0, 1.0 - exposed / alone) if alone > 0 else 0.0
    efficiency = step1 / step2
    print(f'\n  {"":30} {"s/step":>8} {"images/s":>9}  rounds')
    print(f'  {"1 rank":30} {step1:8.3f} {args.batch / step1:9.2f}  ' + ' '.join(f'{x["step"]:.3f}' for x in one))
    print(f'  {"2 ranks":30} {step2:8.3f} {2 * args.batch / step2:9.2f}  ' + ' '.join(f'{x["step"]:.3f}' for x in two))
    print(f'  all-reduce of {two[0]["buckets"]} buckets ({two[0]["megabytes"]:.1f} MB): {alone:.3f} s alone, '
          f'{exposed:.3f} s exposed after backward; {100 * two[0]["launched_in_backward"]:.0f}% of the buckets '
          f'launched during backward')
    met_h = hidden >= TARGET_HIDDEN
    met_e = efficiency >= TARGET_EFFICIENCY
    print(f'  communication hidden behind backward {100 * hidden:.0f}%  (target >= {100 * TARGET_HIDDEN:.0f}%: '
          f'{"met" if met_h else "MISSED"})')
    print(f'  weak-scaling efficiency {efficiency:.3f}  (target >= {TARGET_EFFICIENCY}: {"met" if met_e else "MISSED"})')
    write_results(args.json, {'command': ' '.join([os.path.basename(sys.executable)] + sys.argv), 'arch': args.arch,
                              'batch_per_rank': args.batch, 'size': args.size, 'threads_per_rank': args.threads,
                              'pools': pools, 'one_rank': one, 'two_ranks': two, 'step_1': step1, 'step_2': step2,
                              'allreduce_alone': alone, 'allreduce_exposed': exposed, 'hidden_share': hidden,
                              'efficiency': efficiency})
    if args.check and not (met_h and met_e):
        raise SystemExit('target not met')


if __name__ == '__main__':
    main()
