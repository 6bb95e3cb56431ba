#!/usr/bin/env python3
"""Checkpoint loading, file to a model ready for a forward pass: hornet against
PyTorch 2.11's fastest idiomatic path on the same files, in the same run.

Writes a randomly initialised HorNet checkpoint (default: base, 87M
parameters) with the peer's torch.save, in the zip and the legacy formats.
Then, in fresh processes, alternating, each timing from just before the model
is built to the weights being in it:
  - Python (PyPI torch 2.11, the venv of setup_peers.sh): the reference model
    (tests/reference/hornet_ref.py) built on the meta device, then
    torch.load(file, mmap=True, weights_only=True) (mmap for the zip format
    only: the legacy format cannot be mapped) and
    model.load_state_dict(..., assign=True); torch imported first, untimed.
    A mapped file is read when its pages are first touched, which is after
    this timer; "+ touch" also times reading every parameter once (a sum),
    so that both sides have read every byte;
  - hornet, judged: `hornet-eval load --arch A --checkpoint F --mmap`, whose
    reported time covers opening the file, building the model (left
    uninitialised, since the strict load replaces every tensor) and pointing
    every parameter at its bytes in the file mapped copy-on-write (no CRC
    checks, as torch.load makes none); like Python's, its pages are read
    when first touched;
  - hornet, reported: the same without --mmap, which reads every tensor into
    its parameter and checks each zip record's CRC-32.
Both use the same number of threads (--threads, default 1) and every thread
pool is set to it. Peak memory is each process's maximum resident set size,
LibTorch's runtime included (Python's taken at the end of its load, before
the touch).

    python3 scripts/bench/checkpoint_load.py [--arch base] [--rounds 5] [--threads 1]
        [--peer-python PATH] [--json build/bench/checkpoint_load.json] [--check]

--check exits non-zero unless hornet --mmap takes at most 0.5x Python's time
(without the touch) and its peak memory stays below 1.5x the file size.
"""
import argparse
import os
import re
import statistics
import sys
import tempfile

from bench_common import REPO, hornet_tool, peer_python, peer_versions, pool_env, run_measured, write_results

TIME_TARGET, MEMORY_TARGET = 0.5, 1.5

MAKE = """
import sys, torch
sys.path.insert(0, sys.argv[1])
import hornet_ref
torch.manual_seed(0)
model = hornet_ref.Classifier(hornet_ref.arch_spec(sys.argv[2]))
torch.save(model.state_dict(), sys.argv[3])
torch.save(model.state_dict(), sys.argv[4], _use_new_zipfile_serialization=False)
print(sum(p.numel() for p in model.parameters()))
"""

PY_LOAD = """
import resource, sys, time, torch
sys.path.insert(0, sys.argv[1])
import hornet_ref
torch.set_num_threads(int(sys.argv[4]))
mmap = sys.argv[5] == 'zip'
t = time.perf_counter()
with torch.device('meta'):
    model = hornet_ref.Classifier(hornet_ref.arch_spec(sys.argv[2]))
model.load_state_dict(torch.load(sys.argv[3], map_location='cpu', mmap=mmap, weights_only=True), assign=True)
loaded = time.perf_counter() - t
load_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
with torch.no_grad():
    for p in model.state_dict().values():
        p.sum()
print(loaded, time.perf_counter() - t, load_peak)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--arch', default='base')
    parser.add_argument('--rounds', type=int, default=5, help='fresh processes per tool and format (median taken)')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--peer-python', help='the peer interpreter (default: the venv of setup_peers.sh)')
    parser.add_argument('--work-dir', default=None, help='where to write the checkpoints (default: a temp dir)')
    parser.add_argument('--json', default=os.path.join(REPO, 'build', 'bench', 'checkpoint_load.json'))
    parser.add_argument('--check', action='store_true', help='fail unless the targets are met')
    args = parser.parse_args()
    python = peer_python(args.peer_python)
    versions = peer_versions(python)
    hornet_eval = hornet_tool('hornet-eval')

    work = args.work_dir or tempfile.mkdtemp(prefix='hornet-bench-')
    os.makedirs(work, exist_ok=True)
    reference = os.path.join(REPO, 'tests', 'reference')
    files = {'zip': os.path.join(work, f'{args.arch}_zip.pth'), 'legacy': os.path.join(work, f'{args.arch}_legacy.pth')}
    out, _ = run_measured([python, '-c', MAKE, reference, args.arch, files['zip'], files['legacy']])
    params = int(out.strip().splitlines()[-1])
    env, pools = pool_env(args.threads)
    print(f'{args.arch}: {params / 1e6:.1f}M parameters; {args.rounds} fresh processes per tool and format; '
          + ', '.join(f'{k}={v}' for k, v in pools.items()) + f', --threads {args.threads}; {os.cpu_count()} CPUs')
    print(f'peer: {python}: ' + ', '.join(f'{k} {v}' for k, v in versions.items()))
    print('Python: meta-device model, torch.load(mmap=True (zip only), weights_only=True), load_state_dict(assign=True)')
    # What each runtime holds before any checkpoint: the peak memory figures include it.
    _, hornet_base = run_measured([hornet_eval, '--version'], env)
    # Python's in-process peak right after the import, as its load figure below is
    # taken in-process too (the interpreter's shutdown adds over 100 MB more).
    out, _ = run_measured([python, '-c', 'import resource, torch; '
                           'print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)'], env)
    python_base = int(out.strip().splitlines()[-1])
    print(f'runtime alone (peak RSS): hornet-eval --version {hornet_base / 1e6:.1f} MB, '
          f'Python after import torch {python_base / 1e6:.1f} MB')
    print(f'{"format":8} {"file MB":>8} {"Python s":>9} {"+ touch":>8} {"hornet s":>9} {"ratio":>6} '
          f'{"read s":>7} {"CRC s":>6} {"hornet peak MB":>15} {"x file":>7} {"read peak MB":>13} '
          f'{"Python peak MB":>15}')
    results = {'command': ' '.join([os.path.basename(sys.executable)] + sys.argv), 'arch': args.arch,
               'parameters': params, 'peer': versions, 'hornet_runtime_peak_bytes': hornet_base,
               'python_runtime_peak_bytes': python_base, 'threads': args.threads, 'pools': pools,
               'rounds': args.rounds, 'formats': {}}
    ok = True
    hornet_load = [hornet_eval, 'load', '--arch', args.arch, '--threads', str(args.threads), '--checkpoint']
    for fmt, path in files.items():
        size = os.path.getsize(path)
        runs = {'python': [], 'mapped': [], 'read': []}
        order = list(runs)
        for r in range(args.rounds):
            for side in order if r % 2 == 0 else order[::-1]:
                if side == 'python':
                    out, mem = run_measured([python, '-c', PY_LOAD, reference, args.arch, path,
                                             str(args.threads), fmt], env)
                    loaded, touched, load_peak = out.strip().splitlines()[-1].split()
                    runs[side].append({'seconds': float(loaded), 'touched_seconds': float(touched),
                                       'peak_bytes_at_load': int(load_peak), 'peak_bytes': mem})
                else:
                    out, mem = run_measured(hornet_load + [path] + (['--mmap'] if side == 'mapped' else []), env)
                    m = re.search(r'loaded (\d+) tensors \((\d+) mapped\).* in ([0-9.]+) s .*CRC-32 checks: ([0-9.]+) s', out)
                    runs[side].append({'seconds': float(m.group(3)), 'tensors': int(m.group(1)),
                                       'mapped': int(m.group(2)), 'crc_thread_seconds': float(m.group(4)),
                                       'peak_bytes': mem})
        med = {side: {key: statistics.median(run[key] for run in rows) for key in rows[0]} for side, rows in runs.items()}
        py, mapped, read = med['python'], med['mapped'], med['read']
        peak = max(run['peak_bytes'] for run in runs['mapped'])
        ratio = mapped['seconds'] / py['seconds']
        print(f'{fmt:8} {size / 1e6:8.1f} {py["seconds"]:9.3f} {py["touched_seconds"]:8.3f} {mapped["seconds"]:9.3f} '
              f'{ratio:6.2f} {read["seconds"]:7.3f} {read["crc_thread_seconds"]:6.3f} {peak / 1e6:15.1f} '
              f'{peak / size:7.2f} {max(run["peak_bytes"] for run in runs["read"]) / 1e6:13.1f} '
              f'{max(run["peak_bytes_at_load"] for run in runs["python"]) / 1e6:15.1f}')
        if mapped['mapped'] != mapped['tensors']:
            print(f'  {fmt}: {int(mapped["tensors"] - mapped["mapped"])} of {int(mapped["tensors"])} tensors could not '
                  'be mapped (not aligned to their element size) and were read')
        met = ratio <= TIME_TARGET and peak < MEMORY_TARGET * size
        ok &= met
        results['formats'][fmt] = {'file_bytes': size, 'runs': runs, 'medians': med, 'ratio': ratio,
                                   'hornet_peak_over_file': peak / size,
                                   'hornet_peak_over_runtime_bytes': peak - hornet_base, 'targets_met': met}
    print('hornet s: hornet-eval load --mmap, parameters aliasing the mapped file, as Python\'s mmap path; ratio: hornet s / Python s')
    print('+ touch: Python\'s time until every parameter has been read once (a sum over each)')
    print('read s: hornet-eval load without --mmap, reading every tensor into its parameter and checking each zip '
          'record\'s CRC-32; CRC s: the thread time of those checks (the legacy format has no checksums)')
    print('hornet peak: of the --mmap runs, the runtime included; Python peak: at the end of its load, before the touch')
    print(f'targets: time <= {TIME_TARGET}x Python, hornet peak < {MEMORY_TARGET}x the file: '
          f'{"met" if ok else "MISSED"}')
    write_results(args.json, results)
    if args.work_dir is None:
        for path in files.values():
            os.remove(path)
        os.rmdir(work)
    if args.check and not ok:
        raise SystemExit('targets not met')


if __name__ == '__main__':
    main()
