#!/usr/bin/env python3
"""Data-parallel training on c10d (Gloo, CPU), end to end through hornet-train.

    test_distributed.py BIN_DIR WORK_DIR PART

PART is one of:
  equivalence  2 ranks x micro-batch B against 1 rank x B with accumulation 2 (and
               2 ranks x 2 micro-batches against 1 x 4), from the same weights and
               samples: per-step losses, weights, EMA and AdamW state agree within
               1e-5 (read back with torch.load); distributed validation equals a
               single-process hornet-eval of the same weights; with augmentation
               on, a rerun is bit-identical.
  faults       SIGKILL of one rank: the other stops, naming it; --resume auto then
               ends bit-identical to an uninterrupted 2-rank run. SIGTERM: both
               ranks save and exit 0, and the resumed run ends bit-identical too.
               --max-restarts 1 recovers from a killed worker on its own.
  errors       a world size that does not divide the total batch, no MASTER_ADDR,
               an unreachable store, ranks with different configs: each a clear
               error on every rank, within the timeout.
  toy          the toy recipe on 2 ranks (built-in launcher, and Debian's
               torch.distributed.run) reaches the single-process accuracy.
  two_nodes    two network namespaces joined by a veth pair, one rank in each,
               rendezvous and training over TCP (needs root and iproute2; exits 77,
               skipped, otherwise).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_common import TINY_MODEL, Checks, make_toy  # noqa: E402

BIN, WORK, PART = sys.argv[1], sys.argv[2], sys.argv[3]
TRAIN = os.path.join(BIN, 'hornet-train')
SKIP = 77
check = Checks()


def make_data(root, per_class=16):
    return make_toy(BIN, root, per_class=per_class)


def write_config(path, data, micro, total, augment=False, epochs=2, extra='', lr=2.0e-3, clip=1.0):
    if augment:
        pipeline = '{size: 32, crop_scale: [0.5, 1.0], rand_augment: {magnitude: 5}, random_erasing: {probability: 0.25}}'
        mixup = '{mixup_alpha: 0.8, cutmix_alpha: 1.0, probability: 1.0, label_smoothing: 0.1}'
        drop_path = 0.1
    else:
        pipeline = ('{size: 32, crop_scale: [1.0, 1.0], crop_ratio: [1.0, 1.0], flip: 0.0, rand_augment: {num_ops: 0},'
                    ' random_erasing: {probability: 0.0}}')
        mixup = '{probability: 0.0, label_smoothing: 0.0}'
        drop_path = 0.0
    with open(path, 'w') as f:
        f.write(f"""model:
  {TINY_MODEL}
  num_classes: 3
  drop_path_rate: {drop_path}
data:
  train: {{root: {data}/train, batch_size: {micro}, workers: 1, pipeline: {pipeline}, mixup: {mixup}}}
  val: {{root: {data}/val, batch_size: 4, workers: 1, pipeline: {{resize: 32, crop: 32}}}}
optim: {{lr: {lr}, clip_grad: {clip}, total_batch: {total}}}
schedule: {{epochs: {epochs}, warmup_epochs: 1}}
ema: {{enabled: true, decay: 0.9}}
runtime: {{threads: 1, log_interval: {total // micro}, seed: 3, checkpoint_every_iters: 1}}
distributed: {{timeout: 30}}
{extra}""")
    return path


def run(cmd, env=None, timeout=600):
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)


def train(config, work_dir, nproc=0, extra=(), timeout=600):
    cmd = [TRAIN, config, '--work-dir', work_dir, *extra]
    if nproc:
        cmd += ['--nproc-per-node', str(nproc)]
    return run(cmd, timeout=timeout)


def must(proc, what):
    if proc.returncode != 0:
        sys.exit(f'{what} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return proc


def step_losses(work_dir):
    losses = {}
    for line in open(os.path.join(work_dir, 'metrics.jsonl')):
        entry = json.loads(line)
        if entry['mode'] == 'train':
            losses[entry['step']] = entry['loss']
    return losses


def val_lines(work_dir):
    return [json.loads(line) for line in open(os.path.join(work_dir, 'metrics.jsonl'))
            if json.loads(line)['mode'] == 'val']


def load(path):
    return torch.load(path, map_location='cpu')


def tensors(ckpt):
    """Every tensor of a hornet training checkpoint that training changes, by name."""
    out = {}
    for key in ('state_dict', 'ema_state_dict'):
        for name, t in ckpt[key].items():
            out[f'{key}.{name}'] = t
    for index, state in ckpt['optimizer']['state'].items():
        for name in ('exp_avg', 'exp_avg_sq', 'step'):
            out[f'optimizer.{index}.{name}'] = state[name]
    return out


def kind(name):
    return name.split('.')[0] if not name.startswith('optimizer.') else 'optimizer ' + name.rsplit('.', 1)[1]


def worst_relative(a, b):
    """Relative error of each kind of state (weights, EMA, exp_avg, exp_avg_sq, step) as one
    vector, ||a - b|| / ||b||; returns the worst and its kind. Every tensor must also satisfy
    |a - b| <= 1e-5 |b| + 1e-6 max|kind|: parameters behind a 1e-6 layer scale have gradients
    some ten orders below the rest, where rounding noise alone is a large relative error."""
    ta, tb = tensors(a), tensors(b)
    assert ta.keys() == tb.keys(), set(ta) ^ set(tb)
    diff, norm, peak = {}, {}, {}
    for name in ta:
        x, y, k = ta[name].double(), tb[name].double(), kind(name)
        diff[k] = diff.get(k, 0.0) + (x - y).pow(2).sum().item()
        norm[k] = norm.get(k, 0.0) + y.pow(2).sum().item()
        peak[k] = max(peak.get(k, 0.0), y.abs().max().item())
    worst, where = max((diff[k] ** 0.5 / max(norm[k] ** 0.5, 1e-30), k) for k in diff)
    for name in ta:
        x, y = ta[name].double(), tb[name].double()
        if not torch.allclose(x, y, rtol=1e-5, atol=1e-6 * peak[kind(name)]):
            return max(worst, 1.0), name
    return worst, where


def identical(a, b):
    ta, tb = tensors(a), tensors(b)
    return ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta) and \
        a['meta']['step'] == b['meta']['step']


def eval_single(config, checkpoint, data, tag):
    out = os.path.join(WORK, tag + '.json')
    must(run([os.path.join(BIN, 'hornet-eval'), 'validate', config, '--checkpoint', checkpoint, '--data', data, '--use-ema',
              '--out', out, '--threads', '1']), 'hornet-eval ' + tag)
    return json.load(open(out))


# ---------------------------------------------------------------------------
def part_equivalence():
    # 42 training images: 5 optimizer steps of 8 an epoch on 1 or 2 ranks; 15 validation images.
    data = make_data(os.path.join(WORK, 'data42'), per_class=14)
    for micro, one_acc in ((4, 2), (2, 4)):
        total = 8
        # Float rounding differs with the grouping of samples into batches (as it does between two
        # micro-batch sizes on one process); Adam's first steps amplify it, the more so with a larger LR.
        # The clipping threshold is above the gradients' norm: clipping to a norm hides their scale.
        single_cfg = write_config(os.path.join(WORK, f'single_{micro}.yaml'), data, micro, total, lr=1e-3, clip=100.0)
        single = os.path.join(WORK, f'single_{micro}')
        must(train(single_cfg, single), 'single-process run')
        pair = os.path.join(WORK, f'pair_{micro}')
        # A log line (and its loss) for every optimizer step on both sides.
        must(train(single_cfg, pair, nproc=2, extra=['--set', f'runtime.log_interval={one_acc // 2}']), '2-rank run')
        a, b = load(os.path.join(single, 'epoch_2.pth')), load(os.path.join(pair, 'epoch_2.pth'))
        check(a['meta']['accumulation'] == one_acc and b['meta']['accumulation'] == one_acc // 2,
              f'micro-batch {micro}: accumulation {one_acc} on 1 rank, {one_acc // 2} on 2 '
              f'({a["meta"]["accumulation"]}, {b["meta"]["accumulation"]})')
        check(a['meta']['step'] == b['meta']['step'] == 10, f'10 optimizer steps each ({a["meta"]["step"]}, {b["meta"]["step"]})')
        la, lb = step_losses(single), step_losses(pair)
        common = sorted(set(la) & set(lb))
        loss_err = max(abs(la[s] - lb[s]) / abs(la[s]) for s in common)
        check(len(common) == 10 and loss_err <= 1e-5,
              f'micro-batch {micro}: per-step losses of {len(common)} steps agree (worst relative {loss_err:.2e})')
        err, where = worst_relative(b, a)
        check(err <= 1e-5, f'micro-batch {micro}: weights, EMA and AdamW state agree (worst relative {err:.2e} at {where})')
        # Distributed validation (15 images: the sampler pads rank 1's shard) equals one process's.
        got = val_lines(pair)[-1]
        want = eval_single(single_cfg, os.path.join(pair, 'epoch_2.pth'), os.path.join(data, 'val'), f'eval_{micro}')
        check(got['top1'] == want['top1'] and got['top5'] == want['top5'] and abs(got['loss'] - want['loss']) < 1e-5,
              f'distributed validation top-1/top-5/loss {got["top1"]:.4f}/{got["top5"]:.4f}/{got["loss"]:.6f} equal '
              f'hornet-eval\'s {want["top1"]:.4f}/{want["top5"]:.4f}/{want["loss"]:.6f}')

    # Augmentation, Mixup/CutMix and drop path on: per-rank streams, reproducible.
    aug_cfg = write_config(os.path.join(WORK, 'augment.yaml'), data, 4, 8, augment=True)
    runs = []
    for k in range(2):
        work = os.path.join(WORK, f'augment_{k}')
        must(train(aug_cfg, work, nproc=2), 'augmented 2-rank run')
        runs.append(load(os.path.join(work, 'epoch_2.pth')))
    check(identical(runs[0], runs[1]), 'augmented 2-rank run: a rerun ends bit-identical')
    states = runs[0]['rng']['torch_cpu_ranks']
    check(len(states) == 2 and not torch.equal(states[0], states[1]),
          'the checkpoint holds both ranks\' drop-path generators, and they differ')


# ---------------------------------------------------------------------------
def children(pid):
    """Processes whose parent is `pid` (from /proc/*/stat, which every Linux has)."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def rank_pids(launcher_pid):
    pids = {}
    for child in children(launcher_pid):
        try:
            env = open(f'/proc/{child}/environ', 'rb').read().split(b'\0')
        except OSError:
            continue
        for item in env:
            if item.startswith(b'RANK='):
                pids[int(item[5:])] = child
    return pids


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    sys.exit('timed out waiting for ' + what)


def metric_steps(work_dir):
    path = os.path.join(work_dir, 'metrics.jsonl')
    return sum(1 for _ in open(path)) if os.path.exists(path) else 0


def part_faults():
    data = make_data(os.path.join(WORK, 'data'), per_class=32)  # 96 images: 12 steps an epoch
    cfg = write_config(os.path.join(WORK, 'faults.yaml'), data, 4, 8, augment=True, epochs=3,
                       extra='')
    reference = os.path.join(WORK, 'reference')
    start = time.time()
    must(train(cfg, reference, nproc=2), 'uninterrupted 2-rank run')
    duration = time.time() - start
    want = load(os.path.join(reference, 'epoch_3.pth'))

    # 1. SIGKILL rank 1 mid-run, not through the launcher: torchrun's environment by hand.
    killed = os.path.join(WORK, 'killed')
    port = 29000 + os.getpid() % 1000
    procs = []
    for rank in range(2):
        env = dict(os.environ, RANK=str(rank), WORLD_SIZE='2', LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE='2',
                   MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
        procs.append(subprocess.Popen([TRAIN, cfg, '--work-dir', killed], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True))
    wait_for(lambda: metric_steps(killed) >= 8, 120, 'the run to take some steps')
    procs[1].send_signal(signal.SIGKILL)
    killed_at = time.time()
    try:
        procs[0].wait(timeout=30 + 15)
    except subprocess.TimeoutExpired:
        procs[0].kill()
    stopped_after = time.time() - killed_at
    message = procs[0].stderr.read()
    procs[1].wait()
    check(procs[0].returncode not in (0, None) and stopped_after < 30,
          f'SIGKILL of rank 1: rank 0 exits {procs[0].returncode} after {stopped_after:.1f} s (timeout 30 s)')
    check('rank 1 stopped answering' in message,
          'rank 0 names rank 1: ' + (message.strip().splitlines() or [''])[-1][:300])
    must(train(cfg, killed, nproc=2, extra=['--resume', 'auto']), 'resume after SIGKILL')
    check(identical(load(os.path.join(killed, 'epoch_3.pth')), want),
          'after SIGKILL + --resume auto: weights, EMA and optimizer state bit-identical to the uninterrupted run')

    # 2. SIGTERM (as SLURM pre-emption sends): both ranks save at the next step and exit 0.
    termed = os.path.join(WORK, 'sigterm')
    launcher = subprocess.Popen([TRAIN, cfg, '--work-dir', termed, '--nproc-per-node', '2'],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_for(lambda: metric_steps(termed) >= 6, 120, 'the run to take some steps')
    pids = rank_pids(launcher.pid)
    check(len(pids) == 2, f'the launcher runs 2 ranks ({pids})')
    for pid in pids.values():
        os.kill(pid, signal.SIGTERM)
    out, _ = launcher.communicate(timeout=120)
    check(launcher.returncode == 0, f'SIGTERM: the launcher exits {launcher.returncode}')
    check(out.count('stopped by a signal') == 1 and 'continue with --resume auto' in out,
          'SIGTERM: rank 0 reports the save')
    saved = load(os.path.join(termed, 'last.pth'))
    check(0 < saved['meta']['step'] < want['meta']['step'], f'SIGTERM: last.pth at step {saved["meta"]["step"]}')
    other_world = os.path.join(WORK, 'sigterm_one_rank')
    shutil.copytree(termed, other_world)
    must(train(cfg, termed, nproc=2, extra=['--resume', 'auto']), 'resume after SIGTERM')
    check(identical(load(os.path.join(termed, 'epoch_3.pth')), want),
          'after SIGTERM + --resume auto: bit-identical to the uninterrupted run')

    # The same checkpoint resumed by one process: accumulation 2 instead of 1, the epoch position re-derived.
    proc = must(train(cfg, other_world, extra=['--resume', 'auto']), 'resume on 1 rank')
    check('written by 2 rank(s) with accumulation 1; continuing on 1 rank(s) with accumulation 2' in proc.stderr +
          proc.stdout, 'a resume on another world size says so')
    ended = load(os.path.join(other_world, 'epoch_3.pth'))
    err, where = worst_relative(ended, want)
    check(ended['meta']['step'] == want['meta']['step'] and ended['meta']['world_size'] == 1,
          f'resumed on 1 rank: ends at step {ended["meta"]["step"]} as the 2-rank run does (relative difference '
          f'{err:.1e}: other random streams)')

    # 3. --max-restarts 1: the launcher restarts the group from its last checkpoint by itself.
    restarted = os.path.join(WORK, 'restarted')
    launcher = subprocess.Popen([TRAIN, cfg, '--work-dir', restarted, '--nproc-per-node', '2', '--max-restarts', '1'],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_for(lambda: metric_steps(restarted) >= 8, 120, 'the run to take some steps')
    pids = rank_pids(launcher.pid)
    os.kill(pids[1], signal.SIGKILL)
    out, _ = launcher.communicate(timeout=max(300, 4 * duration))
    check(launcher.returncode == 0 and 'restarting the workers' in out,
          f'--max-restarts 1: recovered from a killed worker (exit {launcher.returncode})')
    check(identical(load(os.path.join(restarted, 'epoch_3.pth')), want),
          '--max-restarts 1: the recovered run ends bit-identical to the uninterrupted run')


# ---------------------------------------------------------------------------
def launch_by_hand(cfg, work, ranks, env_extra, timeout=60, per_rank_args=None):
    port = 29000 + (os.getpid() * 7) % 1000
    procs = []
    for rank in range(ranks):
        env = dict(os.environ, RANK=str(rank), WORLD_SIZE=str(ranks), MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
        env.update(env_extra)
        env = {k: v for k, v in env.items() if v is not None}
        args = per_rank_args[rank] if per_rank_args else []
        procs.append(subprocess.Popen([TRAIN, cfg, '--work-dir', work, *args], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    results = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            err += '\n<killed: still running after the timeout>'
        results.append((p.returncode, err))
    return results


def part_errors():
    data = make_data(os.path.join(WORK, 'data'))
    cfg = write_config(os.path.join(WORK, 'errors.yaml'), data, 4, 8, extra='')
    work = os.path.join(WORK, 'errors')

    results = launch_by_hand(cfg, work, 3, {})
    check(all(rc == 1 and 'optim.total_batch 8' in err and 'world size 3' in err and 'cannot be split evenly' in err
              for rc, err in results),
          'world size 3 does not divide the total batch 8: every rank says so: ' + results[0][1].strip()[-200:])

    results = launch_by_hand(cfg, work, 2, {'MASTER_ADDR': None})
    check(all(rc == 1 and 'MASTER_ADDR is not set' in err for rc, err in results),
          'no MASTER_ADDR: every rank says so: ' + results[0][1].strip()[-200:])

    # Rank 1 alone, with nobody holding the store.
    start = time.time()
    env = dict(os.environ, RANK='1', WORLD_SIZE='2', MASTER_ADDR='127.0.0.1', MASTER_PORT='9')
    proc = run([TRAIN, cfg, '--work-dir', work, '--set', 'distributed.timeout=3'], env=env, timeout=60)
    check(proc.returncode == 1 and 'could not reach the rendezvous store at 127.0.0.1:9' in proc.stderr
          and time.time() - start < 30,
          f'unreachable store: an error after {time.time() - start:.1f} s: ' + proc.stderr.strip()[-200:])

    # Rank 0 alone: the other rank never arrives.
    start = time.time()
    env = dict(os.environ, RANK='0', WORLD_SIZE='2', MASTER_ADDR='127.0.0.1', MASTER_PORT=str(29000 + os.getpid() % 997))
    proc = run([TRAIN, cfg, '--work-dir', work, '--set', 'distributed.timeout=3'], env=env, timeout=60)
    check(proc.returncode == 1 and 'rank 1 never joined' in proc.stderr and time.time() - start < 30,
          f'a rank that never arrives: rank 0 stops after {time.time() - start:.1f} s: ' + proc.stderr.strip()[-200:])

    results = launch_by_hand(cfg, work, 2, {}, per_rank_args=[[], ['--set', 'optim.lr=0.1']])
    check(all(rc == 1 and 'different configs' in err and 'rank(s) 1' in err for rc, err in results),
          'different configs on the ranks: every rank says so: ' + results[1][1].strip()[-200:])
    check(not os.path.exists(os.path.join(work, 'config.yaml')), 'no failed start wrote into the work dir')


# ---------------------------------------------------------------------------
def final_top1(work_dir):
    return val_lines(work_dir)[-1]['top1']


def part_toy():
    data = os.path.join(WORK, 'toy_data')
    if not os.path.isdir(data):
        subprocess.run([os.path.join(BIN, 'hornet-data'), 'make-toy', data], check=True, capture_output=True)
    recipe = os.path.join(os.path.dirname(__file__), '..', '..', 'configs', 'toy', 'hornet-toy_1xb32_shapes.yaml')
    sets = ['--set', f'data.train.root={data}/train', '--set', f'data.val.root={data}/val']
    single = os.path.join(WORK, 'toy_single')
    must(train(recipe, single, extra=sets), 'single-process toy run')
    pair = os.path.join(WORK, 'toy_pair')
    out = must(train(recipe, pair, nproc=2, extra=sets), '2-rank toy run')
    plan = [l for l in out.stdout.splitlines() + out.stderr.splitlines() if 'plan: total batch' in l]
    check(any('world size 2 x micro-batch 16 x accumulation 1' in l for l in plan), 'the 2-rank plan: ' + str(plan[:1]))
    torchrun = os.path.join(WORK, 'toy_torchrun')
    # Debian's torch 1.13 on Python 3.11 cannot parse its own default "--redirects 0 --tee 0" (IntFlag
    # iteration skips 0); teeing stdout is a value it parses.
    proc = run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2',
                '--redirects', '1', '--tee', '1', '--log_dir', os.path.join(WORK, 'torchrun_logs'), '--no_python',
                TRAIN, recipe, '--work-dir', torchrun, *sets])
    must(proc, 'torch.distributed.run')
    a, b, c = final_top1(single), final_top1(pair), final_top1(torchrun)
    check(a >= 90 and b >= 90 and c >= 90,
          f'toy top-1: 1 process {a:.2f}%, --nproc-per-node 2 {b:.2f}%, torch.distributed.run {c:.2f}%')
    check(identical(load(os.path.join(pair, 'last.pth')), load(os.path.join(torchrun, 'last.pth'))),
          'the same 2-rank run under hornet\'s launcher and under torch.distributed.run ends bit-identical')


# ---------------------------------------------------------------------------
def part_two_nodes():
    if os.geteuid() != 0 or not shutil.which('ip'):
        print('skipped: two network namespaces need root and iproute2 (ip)')
        sys.exit(SKIP)
    tag = f'hn{os.getpid() % 10000}'
    spaces, veth = (f'{tag}a', f'{tag}b'), (f'{tag}x', f'{tag}y')
    addresses = ('10.213.0.1', '10.213.0.2')

    def ip(*args, check_rc=True):
        return subprocess.run(['ip', *args], check=check_rc, capture_output=True, text=True)

    try:
        for ns in spaces:
            ip('netns', 'add', ns)
        ip('link', 'add', veth[0], 'type', 'veth', 'peer', 'name', veth[1])
        for ns, dev, address in zip(spaces, veth, addresses):
            ip('link', 'set', dev, 'netns', ns)
            ip('-n', ns, 'addr', 'add', address + '/24', 'dev', dev)
            ip('-n', ns, 'link', 'set', dev, 'up')
            ip('-n', ns, 'link', 'set', 'lo', 'up')
        for ns in spaces:  # entering a namespace also needs the right to mount (containers may lack it)
            ip('netns', 'exec', ns, 'true')
    except subprocess.CalledProcessError as e:
        for ns in spaces:
            ip('netns', 'del', ns, check_rc=False)
        print(f'skipped: cannot create or enter network namespaces here ({e.stderr.strip()})')
        sys.exit(SKIP)
    try:
        data = make_data(os.path.join(WORK, 'data'))
        cfg = write_config(os.path.join(WORK, 'nodes.yaml'), data, 4, 8)
        nodes = os.path.join(WORK, 'two_nodes')
        procs = []
        for rank, ns in enumerate(spaces):
            env = dict(os.environ, RANK=str(rank), WORLD_SIZE='2', LOCAL_RANK='0', LOCAL_WORLD_SIZE='1',
                       MASTER_ADDR=addresses[0], MASTER_PORT='29400')
            procs.append(subprocess.Popen(['ip', 'netns', 'exec', ns, TRAIN, cfg, '--work-dir', nodes], env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        outs = [p.communicate(timeout=300)[0] for p in procs]
        check(all(p.returncode == 0 for p in procs), 'two namespaces: both ranks finish: ' + outs[0][-300:])
        check('rendezvous 10.213.0.1:29400' in outs[0], 'rank 0 joined through 10.213.0.1')
        single = os.path.join(WORK, 'one_node')
        must(train(cfg, single, nproc=2), 'the same run on one node')
        err, where = worst_relative(load(os.path.join(nodes, 'epoch_2.pth')), load(os.path.join(single, 'epoch_2.pth')))
        check(err == 0.0, f'over TCP between namespaces the run equals the single-node 2-rank run (worst {err:.1e})')
    finally:
        for ns in spaces:
            ip('netns', 'del', ns, check_rc=False)


if __name__ == '__main__':
    os.makedirs(WORK, exist_ok=True)
    for d in os.listdir(WORK):
        if d not in ('data', 'toy_data'):
            shutil.rmtree(os.path.join(WORK, d), ignore_errors=True) if os.path.isdir(os.path.join(WORK, d)) \
                else os.remove(os.path.join(WORK, d))
    parts = {'equivalence': part_equivalence, 'faults': part_faults, 'errors': part_errors, 'toy': part_toy,
             'two_nodes': part_two_nodes}
    if PART not in parts:
        sys.exit(f'unknown part {PART!r}; one of {", ".join(parts)}')
    parts[PART]()
    check.finish()
