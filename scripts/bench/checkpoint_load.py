#!/usr/bin/env python3
"""Checkpoint loading: hornet against Python's torch.load, on the same files, in
the same run.

Writes a randomly initialised HorNet checkpoint (default: base, 87M parameters)
in the zip and the legacy torch.save formats, then, in fresh processes and
alternating:
  - Python: `torch.load(file)` alone (torch imported beforehand, not timed);
  - hornet: `hornet-eval --arch A --checkpoint file`, whose reported time runs
    from opening the file to the weights being in the model (building the model
    is not counted, as torch.load builds none).
Prints the median times, their ratio, and each process's peak resident memory
against the file size.

    /usr/bin/python3 scripts/bench/checkpoint_load.py [--arch base] [--repeats 5] [--check]

--check exits non-zero unless hornet is no slower than torch.load and its peak
memory stays below 1.5x the file size.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

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
import sys, time, torch
t = time.perf_counter()
sd = torch.load(sys.argv[1])
print(time.perf_counter() - t)
"""


def run(cmd):
    """Runs cmd; returns (stdout, peak RSS in bytes) of that process alone.

    Linux carries the forking parent's peak RSS into a child's, so this driver
    stays small: it never imports torch itself."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f'{cmd} failed ({proc.returncode}):\n{out}')
    return out, usage.ru_maxrss * 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--arch', default='base')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--hornet-eval', default=os.path.join(REPO, 'build', 'bin', 'hornet-eval'))
    parser.add_argument('--work-dir', default=None, help='where to write the checkpoints (default: a temp dir)')
    parser.add_argument('--check', action='store_true', help='fail unless the targets are met')
    args = parser.parse_args()

    work = args.work_dir or tempfile.mkdtemp(prefix='hornet-bench-')
    os.makedirs(work, exist_ok=True)
    files = {'zip': os.path.join(work, f'{args.arch}_zip.pth'), 'legacy': os.path.join(work, f'{args.arch}_legacy.pth')}
    out, _ = run([sys.executable, '-c', MAKE, os.path.join(REPO, 'tests', 'reference'), args.arch,
                  files['zip'], files['legacy']])
    params = int(out.strip().splitlines()[-1])
    print(f'{args.arch}: {params / 1e6:.1f}M parameters; {args.repeats} fresh processes per tool and format; '
          f'{os.cpu_count()} CPUs')
    print(f'{"format":8} {"file MB":>8} {"torch.load s":>13} {"hornet s":>9} {"ratio":>6} '
          f'{"hornet peak MB":>15} {"x file":>7} {"python peak MB":>15}')
    ok = True
    for fmt, path in files.items():
        size = os.path.getsize(path)
        py_t, hn_t, py_mem, hn_mem = [], [], [], []
        for _ in range(args.repeats):
            out, mem = run([sys.executable, '-c', PY_LOAD, path])
            py_t.append(float(out.strip().splitlines()[-1]))
            py_mem.append(mem)
            out, mem = run([args.hornet_eval, '--arch', args.arch, '--checkpoint', path, '--threads', '1'])
            hn_t.append(float(re.search(r' in ([0-9.]+) s ', out).group(1)))
            hn_mem.append(mem)
        py_s, hn_s = statistics.median(py_t), statistics.median(hn_t)
        peak = max(hn_mem)
        print(f'{fmt:8} {size / 1e6:8.1f} {py_s:13.3f} {hn_s:9.3f} {hn_s / py_s:6.2f} '
              f'{peak / 1e6:15.1f} {peak / size:7.2f} {max(py_mem) / 1e6:15.1f}')
        ok &= hn_s <= py_s and peak < 1.5 * size
    if args.work_dir is None:
        for path in files.values():
            os.remove(path)
        os.rmdir(work)
    if args.check and not ok:
        raise SystemExit('targets not met: hornet must be no slower than torch.load, peak memory < 1.5x the file')


if __name__ == '__main__':
    main()
