#!/usr/bin/env python3
"""CPU model speed: hornet's training step or forward pass against PyTorch 2.11
(PyPI) eager and torch.compile (inductor) running the same model, float32 and,
where the CPU computes bf16 natively (AMX or AVX512-BF16), bf16 autocast.

training (--mode train, default HorNet-T, batch 16 at 224, 1 and 2 threads):
  forward, soft-target cross-entropy, backward, AdamW with the recipe's
  parameter groups (no weight decay on 1-D parameters and biases).
inference (--mode inference, default tiny and base-gf, batch 64 at 224):
  the forward pass without gradients (torch.inference_mode on the peer).

hornet: `hornet-eval benchmark [--inference]` from the build
against the same LibTorch 2.11 (HORNET_BENCH_BIN, default build-pypi/bin).
Peer: scripts/bench/peer_model.py in the peer's interpreter (PyPI torch 2.11,
HORNET_BENCH_PYTHON; scripts/bench/setup_peers.sh installs it), the model of
tests/reference/ (the official HorNet's operations); torch.compile compiles
the model (forward and, in training, backward through AOTAutograd), its
compilation falls in the warm-up steps and is reported apart.

Inputs are synthetic. Each side runs in fresh processes, alternating which
goes first; warm-up steps are excluded; a round's figure is its median step and
the result the median of the rounds. Every pool is set equally on both sides
and printed: intra-op threads (--threads, which oneDNN's OpenMP follows),
OMP_NUM_THREADS, MKL_NUM_THREADS, OPENBLAS_NUM_THREADS, OPENCV_FOR_THREADS_NUM;
no loader (synthetic data).

    python3 scripts/bench/model_speed.py [--mode train|inference] [--arch tiny[,base-gf]]
        [--batch B] [--size 224] [--threads 1,2] [--amp off,bf16] [--steps 5] [--rounds 3]
        [--peer-python PATH] [--no-compile] [--json PATH]

--peer-python /usr/bin/python3 compares with Debian's python3-torch 1.13
instead (no torch.compile there); hornet must then be the Debian build
(HORNET_BENCH_BIN=build/bin).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

from bench_common import (REPO, hornet_tool, machine, native_bf16, peer_python, peer_versions, pool_env,
                          write_results)

# Targets of hornet's time over each peer's.
TARGETS = {'eager': 0.90, 'compile': 1.0}
BF16_OVER_FLOAT32 = 0.6  # hornet bf16 step over hornet float32 step (training)


def run_hornet(mode, arch, batch, size, threads, steps, amp, env):
    cmd = [hornet_tool('hornet-eval'), 'benchmark', '--arch', arch, *([] if mode == 'train' else ['--inference']),
           '--batch-size', str(batch), '--image-size', str(size), '--threads', str(threads), '--steps', str(steps),
           '--amp', amp]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f'{" ".join(cmd)} failed ({out.returncode}):\n{out.stdout}{out.stderr}')
    return {'median': float(re.search(r'median ([0-9.]+) s', out.stdout).group(1))}


def run_peer(python, mode, arch, batch, size, threads, steps, warmup, amp, compiled, env):
    cmd = [python, os.path.join(REPO, 'scripts', 'bench', 'peer_model.py'), REPO, '--mode', mode, '--arch', arch,
           '--batch', str(batch), '--size', str(size), '--threads', str(threads), '--steps', str(steps),
           '--warmup', str(warmup), '--amp', amp] + (['--compile'] if compiled else [])
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f'{" ".join(cmd)} failed ({out.returncode}):\n{out.stdout[-4000:]}{out.stderr[-4000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--mode', choices=['train', 'inference'], default='train')
    parser.add_argument('--arch', help='comma-separated (default: tiny for train, tiny,base-gf for inference)')
    parser.add_argument('--batch', type=int, help='default 16 for train, 64 for inference')
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--threads', default='1,2', help='comma-separated thread counts (default 1,2)')
    parser.add_argument('--amp', help='comma-separated: off, bf16 (default: off, and bf16 where the CPU has it)')
    parser.add_argument('--steps', type=int, default=5, help='timed steps per process')
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps first (compilation falls here)')
    parser.add_argument('--rounds', type=int, default=3, help='fresh processes per side (median taken)')
    parser.add_argument('--peer-python', help='the peer interpreter (default: the venv of setup_peers.sh)')
    parser.add_argument('--no-compile', action='store_true', help='leave out the torch.compile peer')
    parser.add_argument('--json', help='results file (default build/bench/model_speed_MODE.json)')
    args = parser.parse_args()
    train = args.mode == 'train'
    arches = (args.arch or ('tiny' if train else 'tiny,base-gf')).split(',')
    batch = args.batch or (16 if train else 64)
    thread_counts = [int(t) for t in args.threads.split(',')]
    cpu = machine()
    amps = args.amp.split(',') if args.amp else (['off', 'bf16'] if native_bf16(cpu) else ['off'])
    python = peer_python(args.peer_python)
    versions = peer_versions(python)
    compiled = not args.no_compile and int(versions['torch'].split('.')[0]) >= 2
    peers = ['eager'] + (['compile'] if compiled else [])
    if args.steps < 1 or args.rounds < 1 or args.warmup < 1:
        raise SystemExit('--steps, --rounds and --warmup must be at least 1')
    # hornet's warm-up is fixed (2 steps); the peer gets at least as many.
    warmup = max(args.warmup, 2)

    print(f'{args.mode}: {",".join(arches)}, batch {batch} at {args.size}; {args.rounds} rounds x {args.steps} steps '
          f'after {warmup} warm-up; {cpu["cpu_model"]}, {cpu["usable_cores"]} cores, AMX-BF16 '
          f'{"yes" if cpu["amx_bf16"] else "no"}, AVX512-BF16 {"yes" if cpu["avx512_bf16"] else "no"}')
    print(f'peer: {python}: ' + ', '.join(f'{k} {v}' for k, v in versions.items()))
    print(f'hornet: {hornet_tool("hornet-eval")}')

    results = {'command': ' '.join(['python3'] + sys.argv), 'mode': args.mode, 'batch': batch, 'size': args.size,
               'steps': args.steps, 'warmup': warmup, 'rounds': args.rounds, 'peer': versions, 'runs': []}
    for arch in arches:
        for threads in thread_counts:
            env, pools = pool_env(threads)
            print(f'\n{arch}, {threads} intra-op thread(s); ' + ', '.join(f'{k}={v}' for k, v in pools.items()))
            print(f'  {"":22} {"s/step":>8} {"images/s":>9}  {"hornet/x":>9}  rounds')
            medians = {}
            for amp in amps:
                names = ['hornet'] + peers
                times = {n: [] for n in names}
                first = {n: [] for n in peers}
                peer_threads = {}  # most threads seen in a peer process (compile adds its workers)
                for r in range(args.rounds):
                    # Alternate who goes first, so neither side always runs on a warmer machine.
                    for name in (names if r % 2 == 0 else names[::-1]):
                        if name == 'hornet':
                            res = run_hornet(args.mode, arch, batch, args.size, threads, args.steps, amp, env)
                        else:
                            res = run_peer(python, args.mode, arch, batch, args.size, threads, args.steps, warmup,
                                           amp, name == 'compile', env)
                            first[name].append(res['first_step'])
                            peer_threads[name] = max(peer_threads.get(name, 0), res['threads_seen'])
                        times[name].append(res['median'])
                med = {n: statistics.median(v) for n, v in times.items()}
                run = {'arch': arch, 'threads': threads, 'amp': amp, 'pools': pools, 'seconds': times,
                       'median': med, 'peer_first_step': first, 'peer_threads_seen': peer_threads,
                       'ratios': {}}
                for name in names:
                    label = f'{name}{"" if amp == "off" else " " + amp}'
                    ratio = '' if name == 'hornet' else f'{med["hornet"] / med[name]:9.3f}'
                    print(f'  {label:22} {med[name]:8.3f} {batch / med[name]:9.2f}  {ratio:>9}  '
                          + ' '.join(f'{t:.3f}' for t in times[name]))
                for name in peers:
                    ratio = med['hornet'] / med[name]
                    run['ratios'][name] = ratio
                    target = TARGETS[name]
                    print(f'    hornet / {name}{"" if amp == "off" else " " + amp}: {ratio:.3f} '
                          f'(target <= {target}: {"met" if ratio <= target else "MISSED"})')
                if compiled:
                    print(f'    torch.compile first step (compilation): '
                          + ' '.join(f'{t:.1f}' for t in first['compile']) + ' s')
                medians[amp] = med['hornet']
                results['runs'].append(run)
            if train and 'off' in medians and 'bf16' in medians:
                ratio = medians['bf16'] / medians['off']
                print(f'    hornet bf16 / hornet float32: {ratio:.3f} '
                      f'(target <= {BF16_OVER_FLOAT32}: {"met" if ratio <= BF16_OVER_FLOAT32 else "MISSED"})')
                results['runs'][-1]['hornet_bf16_over_float32'] = ratio
    write_results(args.json or os.path.join(REPO, 'build', 'bench', f'model_speed_{args.mode}.json'), results)


if __name__ == '__main__':
    main()
