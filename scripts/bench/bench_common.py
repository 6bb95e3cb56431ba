"""What hornet's benchmark scripts share: the machine description, the thread
pools set equally on both sides, process runs with their own peak memory, and
the JSON results file written beside the printed table."""
import datetime
import json
import os
import platform
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The peers are what a user runs instead of hornet: PyPI's torch 2.11 with
# timm, in the venv scripts/bench/setup_peers.sh fills (versions pinned there).
PEER_PYTHON = os.environ.get('HORNET_BENCH_PYTHON') or os.path.join(
    os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'hornet', 'torch-2.11.0', 'bin', 'python')
# hornet built against the same LibTorch as the peer (HORNET_TORCH=pypi scripts/setup.sh).
HORNET_BIN = os.environ.get('HORNET_BENCH_BIN') or os.path.join(REPO, 'build-pypi', 'bin')


def hornet_tool(name):
    """Path of hornet's `name` binary, with a clear error when it is not built."""
    path = os.path.join(HORNET_BIN, name)
    if not os.access(path, os.X_OK):
        raise SystemExit(f'{path} not found: build it with HORNET_TORCH=pypi scripts/setup.sh '
                         '(or point HORNET_BENCH_BIN at a bin/ folder holding it)')
    return path


def peer_python(path=None):
    """The peer's interpreter, checked to run."""
    path = path or PEER_PYTHON
    if not os.access(path, os.X_OK):
        raise SystemExit(f'{path} not found: run scripts/bench/setup_peers.sh (or set HORNET_BENCH_PYTHON)')
    return path


def peer_versions(python):
    """Versions of the peer's packages, as its interpreter reports them."""
    code = ('import importlib.metadata as m, json, platform\n'
            'v = {"python": platform.python_version()}\n'
            'for p in ("torch", "timm", "torchvision", "pillow", "numpy"):\n'
            '    try: v[p] = m.version(p)\n'
            '    except m.PackageNotFoundError: pass\n'
            'print(json.dumps(v))')
    out = subprocess.run([python, '-c', code], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def machine():
    """CPU model, CPU counts and kernel of this machine."""
    model, flags = 'unknown', set()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name') and model == 'unknown':
                    model = line.split(':', 1)[1].strip()
                elif line.startswith('flags') and not flags:
                    flags = set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return {'cpu_model': model, 'cpu_count': os.cpu_count(), 'usable_cores': len(os.sched_getaffinity(0)),
            'kernel': platform.release(), 'avx2': 'avx2' in flags, 'avx512f': 'avx512f' in flags,
            'avx512_bf16': 'avx512_bf16' in flags, 'amx_bf16': 'amx_bf16' in flags}


def native_bf16(cpu=None):
    """Whether this CPU computes bf16 natively (AMX or AVX512-BF16), where
    bf16 autocast on the CPU is worth measuring."""
    cpu = cpu or machine()
    return cpu['amx_bf16'] or cpu['avx512_bf16']


def thread_count(pid='self'):
    """Threads of process `pid` now (0 when it has gone)."""
    try:
        return len(os.listdir(f'/proc/{pid}/task'))
    except OSError:
        return 0


def git_revision():
    out = subprocess.run(['git', '-C', REPO, 'describe', '--always', '--dirty'], capture_output=True, text=True)
    return out.stdout.strip() or None


def pool_env(threads, base=None):
    """The environment with every thread pool (OpenMP, OpenBLAS, MKL, OpenCV)
    set to `threads`, and the settings themselves."""
    pools = {'OMP_NUM_THREADS': str(threads), 'OPENBLAS_NUM_THREADS': str(threads), 'MKL_NUM_THREADS': str(threads),
             'OPENCV_FOR_THREADS_NUM': str(threads)}
    return dict(base if base is not None else os.environ, **pools), pools


def run_measured(cmd, env=None):
    """Runs cmd; returns (stdout+stderr, peak resident bytes of that process).

    Linux carries a forking parent's peak RSS into its child, so the calling
    script must stay small: it never imports torch itself."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f'{cmd} failed ({code}):\n{out}')
    return out, usage.ru_maxrss * 1024


def write_results(path, results):
    """Adds date, machine and revision to `results` and writes it as JSON."""
    results = dict(results)
    results.setdefault('date_utc', datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'))
    results.setdefault('machine', machine())
    results.setdefault('hornet_git', git_revision())
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(results, f, indent=1)
    print(f'results: {path}')
