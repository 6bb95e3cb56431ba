#!/usr/bin/env python3
"""One training epoch end to end on a real image folder (read and decode the
JPEGs, augment, train step): hornet-train against a Python loop assembled
from timm's pieces on PyPI's torch 2.11, with the same model, recipe, data,
batch, loader workers and threads.

Data: --images ImageNet-like JPEGs (about 500x375, quality 90) made by
data_pipeline.make_images, spread over --classes class folders; the model's
classes = the folder's, on both sides. One epoch = images // batch steps
(default 320 // 16 = 20).

The recipe: configs/hornet/hornet-tiny_8xb128_in1k.yaml (HorNet-T 7x7 at 224,
the official ImageNet-1k recipe), read by this script (its _base_ files
merged) to set the Python side, and checked after every hornet run against
the config.yaml hornet resolved. Overrides, the same on both sides:
  batch --batch-size with total_batch = batch (no accumulation), so the LR is
    the recipe's linear rule lr * batch / base_batch_size (4e-3 * 16 / 4096);
  schedule.epochs = 1, warmup_epochs = 0.25 (hornet has no "stop after one
    epoch"; the recipe's warm-up + per-step cosine is compressed into the one
    epoch: 5 warm-up steps, then cosine to min_lr; the LR's values change,
    the work does not);
  float32 (--amp off), no validation (runtime.val_interval = 0), no
    checkpoint inside the epoch (checkpoint_every_iters = 0), data.train.
    prefetch = 2 x workers (PyTorch's DataLoader default, prefetch_factor 2
    per worker).

hornet: hornet-train RECIPE --device cpu --threads T --set ... with
  data.train.workers = W loader threads. Its data pipeline: RandomResizedCrop
  (JPEG DCT-domain downscaling when the crop allows, never for 500x375
  files), flip, RandAugment, RandomErasing on the uint8 image in the loader
  threads; normalisation, Mixup/CutMix in the training thread.

Python: timm 1.0.31's pieces, as timm's train.py assembles them on a CPU:
  model    tests/reference/hornet_ref.py (the official model's structure),
           tiny, drop path 0.2 linearly over the blocks (its DropPath), the
           recipe's init (trunc-normal std 0.02 on convs and linears, zero
           biases, layer scale 1e-6);
  data     timm.data.ImageDataset(folder) + create_loader(is_training=True,
           use_prefetcher=False): RandomResizedCrop(224, scale (0.08, 1),
           ratio (3/4, 4/3), bicubic), flip 0.5, rand-m9-n2-p0.5-mstd0.5-inc1,
           ToTensor + Normalize, RandomErasing(0.25, mode 'pixel') in W
           DataLoader worker processes (shuffle, drop_last);
  step     timm Mixup(0.8, CutMix 1.0, prob 1, switch 0.5, mode 'batch',
           label smoothing 0.1) in the training process, forward,
           SoftTargetCrossEntropy, backward, dispatch_clip_grad(100, 'norm'),
           AdamW from create_optimizer_v2 (weight decay 0.05, none on 1-D
           parameters and biases), ModelEmaV3(0.9999) every step,
           CosineLRScheduler stepped per update (t_in_epochs=False);
  torch.set_num_threads(T); one checkpoint after the epoch (EMA weights,
  raw weights, optimizer), as hornet writes its epoch_1.pth.

What cannot match exactly (the cost of a step is the same either way):
  - the warm-up's LR values: hornet follows the official cosine_scheduler
    (numpy.linspace over the warm-up steps, both ends included: lr * i / (w-1)),
    timm's CosineLRScheduler ramps lr * i / w; the cosine after it is the
    same, so both sides' last LR agree (printed);
  - RandomErasing: hornet erases the uint8 sample with N(mean, std) noise
    rounded to pixels, timm the normalised float tensor with N(0, 1) noise
    (the same distribution in pixel units, not rounded);
  - JPEG decoding: timm decodes every file at full size (Pillow); hornet may
    decode at 1/2, 1/4 or 1/8 when the crop is large enough (never happens
    with these files: a crop would need >= 448 pixels both ways);
  - random streams (order, augmentations, Mixup, drop path) differ, so the
    losses differ by noise, not by work.

Threads: LibTorch's intra-op threads T on both sides (--threads T;
torch.set_num_threads(T)); OMP_NUM_THREADS, MKL_NUM_THREADS and
OPENBLAS_NUM_THREADS = T in both processes' environments; OPENCV_FOR_THREADS_NUM
= 1 on both sides (OpenCV runs only in hornet's loader threads, each of which
then works single-threaded like the peer's worker processes, where PyTorch
sets torch's threads to 1 and Pillow has none). W loader threads (hornet) =
W DataLoader worker processes (Python).

Timer, the same on both sides: from the start of the epoch's data loading to
the end of the epoch's last optimizer step (EMA update included), so the wait
for the first batch is in it, and process start-up, imports, model building
and the checkpoint after the epoch are not. hornet: the metrics.jsonl line it
writes at the epoch's end (log_interval = the epoch's steps, so one window:
from just after its loader's start_epoch to the end of the last step;
images / that time). Python: time.perf_counter() from just before
iter(loader) (which starts the worker processes: PyTorch's loader starts
them for every epoch unless persistent, timm's default persistence only
saving that from the second epoch on) to after the last step. images/s =
steps x batch / that time. Both report the share of it spent waiting for
batches and the epoch's mean loss. The whole process's wall time (launch to
exit: start-up, model, the epoch, the checkpoint) is recorded too, not
compared.

Fresh processes for every run, the sides alternating which goes first;
--rounds rounds, medians; JSON to build/bench/epoch.json.

    /usr/bin/python3 scripts/bench/epoch.py [--images 320] [--classes 8] [--batch-size 16]
        [--workers 2] [--threads 2] [--rounds 3] [--json build/bench/epoch.json] [--check]

--check exits non-zero unless hornet's median images/s >= 1.3x Python's.
"""
import argparse
import json
import os
import shlex
import shutil
import statistics
import sys
import tempfile
import time

from bench_common import (REPO, hornet_tool, machine, peer_python, peer_versions, pool_env, run_measured,
                          write_results)

TARGET = 1.3
RECIPE = os.path.join(REPO, 'configs', 'hornet', 'hornet-tiny_8xb128_in1k.yaml')
WARMUP_EPOCHS = 0.25
RESULT_TAG = 'EPOCH_RESULT '


# ----- the recipe, as hornet resolves it ------------------------------------------

def _merge(base, over):
    """hornet's rule: maps merge key by key, lists and scalars replace; a map
    holding `_delete_: true` replaces the base's map."""
    if isinstance(over, dict):
        fresh = over.get('_delete_') is True
        out = {} if fresh or not isinstance(base, dict) else dict(base)
        for key, value in over.items():
            if key != '_delete_':
                out[key] = _merge(out.get(key), value)
        return out
    return over


def load_recipe(path):
    import yaml  # the driver's interpreter only (Debian's python3-yaml)
    with open(path) as f:
        node = yaml.safe_load(f) or {}
    bases = node.pop('_base_', [])
    merged = {}
    for base in [bases] if isinstance(bases, str) else bases:
        merged = _merge(merged, load_recipe(os.path.join(os.path.dirname(path), base)))
    return _merge(merged, node)


def with_overrides(config, overrides):
    config = json.loads(json.dumps(config))
    for key, value in overrides.items():
        node = config
        *parents, leaf = key.split('.')
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return config


def yaml_value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def peer_recipe(config):
    """What the Python loop needs from a resolved config, checking that the
    parts it does not implement keep the values it assumes."""
    model, train, optim = config['model'], config['data']['train'], config['optim']
    schedule, ema, pipeline = config['schedule'], config.get('ema', {}), train['pipeline']
    need = {'model.arch': (model['arch'], 'tiny'), 'model.init': (model.get('init', 'official'), 'official'),
            'model.layer_scale_init_value': (model.get('layer_scale_init_value', 1e-6), 1e-6),
            'optim.layer_decay': (optim.get('layer_decay', 1.0), 1.0),
            'schedule.by_epoch': (schedule.get('by_epoch', False), False),
            'data.train.pipeline.random_erasing.min_area': (pipeline['random_erasing'].get('min_area', 0.02), 0.02),
            'data.train.pipeline.random_erasing.max_area':
                (round(pipeline['random_erasing'].get('max_area', 1 / 3), 6), round(1 / 3, 6)),
            'data.train.pipeline.dct_scaling': (pipeline.get('dct_scaling', True), True)}
    for key, (got, want) in need.items():
        if got != want:
            raise SystemExit(f'{RECIPE}: {key} is {got!r}; the Python side implements only {want!r}')
    ra = pipeline['rand_augment']
    rand = f"rand-m{ra['magnitude']:g}-n{ra['num_ops']}-p{ra['probability']:g}-mstd{ra['magnitude_std']:g}-inc1"
    total = optim['total_batch']
    base = optim.get('base_batch_size', 0)
    return {'num_classes': model['num_classes'], 'drop_path_rate': model['drop_path_rate'],
            'size': pipeline['size'], 'crop_scale': pipeline['crop_scale'], 'crop_ratio': pipeline['crop_ratio'],
            'flip': pipeline['flip'], 'auto_augment': rand, 're_prob': pipeline['random_erasing']['probability'],
            'mixup': train['mixup'], 'batch_size': train['batch_size'], 'workers': train['workers'],
            'lr': optim['lr'] * total / base if base > 0 else optim['lr'], 'weight_decay': optim['weight_decay'],
            'betas': optim['betas'], 'eps': optim['eps'], 'clip_grad': optim.get('clip_grad', 0),
            'epochs': schedule['epochs'], 'warmup_epochs': schedule['warmup_epochs'],
            'warmup_start_factor': schedule['warmup_start_factor'], 'min_lr': schedule['min_lr'],
            'ema': {'enabled': ema.get('enabled', False), 'decay': ema.get('decay', 0.9999),
                    'interval': ema.get('interval', 1)},
            'seed': config.get('runtime', {}).get('seed', 0)}


# ----- data --------------------------------------------------------------------------

def make_folder(root, images, classes):
    """data_pipeline's JPEGs, moved into ROOT/train/c0 ... c{classes-1}, the k-th file (by name) into c{k % classes}."""
    from data_pipeline import make_images  # numpy and Pillow, in the driver only
    made = os.path.join(root, 'made')
    make_images(made, images)
    folder = os.path.join(root, 'train')
    for cls in range(classes):
        os.makedirs(os.path.join(folder, f'c{cls}'))
    files = sorted((name, os.path.join(dirpath, name)) for dirpath, _, names in os.walk(made) for name in names)
    for index, (name, path) in enumerate(files):
        os.replace(path, os.path.join(folder, f'c{index % classes}', name))
    shutil.rmtree(made)
    return folder


# ----- hornet ----------------------------------------------------------------------

def hornet_run(cmd, work, env, settings):
    start = time.monotonic()
    out, peak = run_measured(cmd + ['--work-dir', work], env=env)
    wall = time.monotonic() - start
    rows = [json.loads(line) for line in open(os.path.join(work, 'metrics.jsonl'))]
    train = [r for r in rows if r.get('mode') == 'train']
    if len(train) != 1 or any(r.get('mode') == 'val' for r in rows):
        raise SystemExit(f'expected one training line and no validation in {work}/metrics.jsonl:\n{rows}')
    (line,) = train
    # The recipe hornet resolved must be the one the Python side was given.
    resolved = peer_recipe(load_resolved(os.path.join(work, 'config.yaml')))
    if resolved != settings['recipe']:
        diff = {k: (v, settings['recipe'].get(k)) for k, v in resolved.items() if settings['recipe'].get(k) != v}
        raise SystemExit(f'hornet resolved another recipe than the Python side runs (hornet, python): {diff}')
    images = settings['steps'] * settings['recipe']['batch_size']
    seconds = images / line['images_per_s']
    checkpoints = sorted(n for n in os.listdir(work) if n.endswith('.pth'))
    return {'images': images, 'seconds': seconds, 'images_per_s': line['images_per_s'],
            'data_wait': line['data_wait'], 'mean_loss': line['loss'], 'last_lr': line['lr'],
            'steps': line['step'], 'process_seconds': wall, 'peak_rss_bytes': peak, 'checkpoints': checkpoints,
            'log_tail': out.strip().splitlines()[-3:]}


def load_resolved(path):
    import yaml
    with open(path) as f:
        return yaml.safe_load(f)


# ----- the Python loop (runs under the peer's interpreter) ------------------------------

def peer_main(settings_path):
    with open(settings_path) as f:
        s = json.load(f)
    r = s['recipe']
    import torch
    from torch import nn
    from timm.data import ImageDataset, Mixup, create_loader
    from timm.layers import trunc_normal_
    from timm.loss import SoftTargetCrossEntropy
    from timm.optim import create_optimizer_v2
    from timm.scheduler import CosineLRScheduler
    from timm.utils import ModelEmaV3, dispatch_clip_grad
    sys.path.insert(0, os.path.join(REPO, 'tests', 'reference'))
    import hornet_ref

    torch.set_num_threads(s['threads'])
    torch.manual_seed(r['seed'])
    model = hornet_ref.Classifier(hornet_ref.arch_spec('tiny'), num_classes=r['num_classes'],
                                  drop_path_rate=r['drop_path_rate'])
    with torch.no_grad():  # the official init; norms 1/0 and layer scales 1e-6 are the reference's own
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
    model.train()
    optimizer = create_optimizer_v2(model, opt='adamw', lr=r['lr'], weight_decay=r['weight_decay'],
                                    betas=tuple(r['betas']), eps=r['eps'])

    dataset = ImageDataset(s['data'])
    if len(dataset.reader.class_to_idx) != r['num_classes']:
        raise SystemExit(f"{s['data']}: {len(dataset.reader.class_to_idx)} classes, the model {r['num_classes']}")
    loader = create_loader(dataset, input_size=(3, r['size'], r['size']), batch_size=r['batch_size'],
                           is_training=True, use_prefetcher=False, re_prob=r['re_prob'], re_mode='pixel', re_count=1,
                           scale=tuple(r['crop_scale']), ratio=tuple(r['crop_ratio']), hflip=r['flip'],
                           auto_augment=r['auto_augment'], interpolation='bicubic', num_workers=r['workers'],
                           pin_memory=False, device=torch.device('cpu'), persistent_workers=False)
    steps = len(loader)
    if steps != s['steps']:
        raise SystemExit(f"the loader has {steps} batches per epoch, hornet's plan {s['steps']}")
    # hornet's schedule: int(warmup_epochs * steps) warm-up steps, cosine over the rest.
    total = r['epochs'] * steps
    warmup = int(r['warmup_epochs'] * steps)
    scheduler = CosineLRScheduler(optimizer, t_initial=total - warmup, lr_min=r['min_lr'], warmup_t=warmup,
                                  warmup_lr_init=r['lr'] * r['warmup_start_factor'], warmup_prefix=True,
                                  t_in_epochs=False)
    ema = ModelEmaV3(model, decay=r['ema']['decay']) if r['ema']['enabled'] else None
    mx = r['mixup']
    mixup = Mixup(mixup_alpha=mx['mixup_alpha'], cutmix_alpha=mx['cutmix_alpha'], prob=mx['probability'],
                  switch_prob=mx['switch_probability'], mode='batch', label_smoothing=mx['label_smoothing'],
                  num_classes=r['num_classes'])
    criterion = SoftTargetCrossEntropy()

    losses, wait, lr = [], 0.0, None
    start = time.perf_counter()
    batches = iter(loader)  # starts the worker processes: part of the epoch
    for step in range(steps):
        t0 = time.perf_counter()
        images, labels = next(batches)
        wait += time.perf_counter() - t0
        images, targets = mixup(images, labels)
        loss = criterion(model(images), targets)
        losses.append(loss.item())
        loss.backward()
        if r['clip_grad'] > 0:
            dispatch_clip_grad(model.parameters(), r['clip_grad'], mode='norm')
        lr = optimizer.param_groups[0]['lr']
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if ema is not None and (step + 1) % r['ema']['interval'] == 0:
            ema.update(model)
        scheduler.step_update(num_updates=step + 1)
    seconds = time.perf_counter() - start
    del batches  # the workers stop (outside the timer, as hornet's next() after its last step)
    torch.save({'state_dict': (ema.module if ema is not None else model).state_dict(),
                'ema_state_dict': model.state_dict(), 'optimizer': optimizer.state_dict()},
               os.path.join(s['work'], 'epoch_1.pth'))
    images = steps * r['batch_size']
    print(RESULT_TAG + json.dumps({'images': images, 'seconds': seconds, 'images_per_s': images / seconds,
                                   'data_wait': wait / seconds, 'mean_loss': sum(losses) / len(losses),
                                   'last_loss': losses[-1], 'last_lr': lr, 'steps': steps,
                                   'torch_threads': torch.get_num_threads()}), flush=True)


def peer_run(python, settings, env):
    os.makedirs(settings['work'])
    path = os.path.join(settings['work'], 'settings.json')
    with open(path, 'w') as f:
        json.dump(settings, f)
    start = time.monotonic()
    out, peak = run_measured([python, os.path.abspath(__file__), '--peer', path], env=env)
    wall = time.monotonic() - start
    lines = [line for line in out.splitlines() if line.startswith(RESULT_TAG)]
    if not lines:
        raise SystemExit(f'the Python loop printed no result:\n{out}')
    result = json.loads(lines[-1][len(RESULT_TAG):])
    result.update(process_seconds=wall, peak_rss_bytes=peak)
    return result


# ----- driver ---------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--images', type=int, default=320)
    parser.add_argument('--classes', type=int, default=8, help='class folders (= the model\'s classes)')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--workers', type=int, default=len(os.sched_getaffinity(0)),
                        help='loader threads (hornet) = DataLoader worker processes (Python); default: the cores')
    parser.add_argument('--threads', type=int, default=2, help='intra-op threads on both sides')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--json', default=os.path.join(REPO, 'build', 'bench', 'epoch.json'))
    parser.add_argument('--check', action='store_true', help=f'fail unless hornet >= {TARGET}x Python images/s')
    parser.add_argument('--peer', help=argparse.SUPPRESS)  # internal: run the Python loop from a settings file
    args = parser.parse_args()
    if args.peer:
        return peer_main(args.peer)
    steps = args.images // args.batch_size
    if steps < 2 or args.batch_size % 2 or args.classes < 2 or args.workers < 1 or args.threads < 1 \
            or args.rounds < 1:
        parser.error('need --images >= 2 x --batch-size, an even batch (Mixup), --classes >= 2, '
                     '--workers, --threads, --rounds >= 1')

    binary = hornet_tool('hornet-train')
    python = peer_python()
    versions = peer_versions(python)
    env, pools = pool_env(args.threads)
    env['OPENCV_FOR_THREADS_NUM'] = pools['OPENCV_FOR_THREADS_NUM'] = '1'
    cpu = machine()

    root = tempfile.mkdtemp(prefix='hornet-epoch-bench-')
    try:
        data = make_folder(root, args.images, args.classes)
        # The recipe's split is 'train': hornet reads ROOT/train, the class folders.
        overrides = {'data.train.root': root, 'data.train.expected_size': 0,
                     'data.train.batch_size': args.batch_size, 'optim.total_batch': args.batch_size,
                     'data.train.workers': args.workers, 'data.train.prefetch': 2 * args.workers,
                     'model.num_classes': args.classes, 'schedule.epochs': 1,
                     'schedule.warmup_epochs': WARMUP_EPOCHS, 'runtime.val_interval': 0,
                     'runtime.checkpoint_every_iters': 0, 'runtime.log_interval': steps}
        recipe = peer_recipe(with_overrides(load_recipe(RECIPE), overrides))
        cmd = [binary, RECIPE, '--device', 'cpu', '--amp', 'off', '--threads', str(args.threads)]
        for key, value in overrides.items():
            cmd += ['--set', f'{key}={yaml_value(value)}']
        pool_text = ', '.join(f'{k}={v}' for k, v in pools.items())
        print(f'HorNet-T one epoch: {args.images} JPEGs (~500x375, q90) in {args.classes} classes, batch '
              f'{args.batch_size} x {steps} steps; {args.workers} loader workers, {args.threads} intra-op threads; '
              f'{pool_text}')
        print(f"recipe {os.path.relpath(RECIPE, REPO)}: lr {recipe['lr']:.4g} (scaled to batch {args.batch_size}), "
              f"{int(WARMUP_EPOCHS * steps)} warm-up steps then cosine, drop path {recipe['drop_path_rate']}, "
              f"{recipe['auto_augment']}, erasing {recipe['re_prob']}, mixup {recipe['mixup']['mixup_alpha']} / "
              f"cutmix {recipe['mixup']['cutmix_alpha']}, smoothing {recipe['mixup']['label_smoothing']}, "
              f"clip {recipe['clip_grad']}, EMA {recipe['ema']['decay'] if recipe['ema']['enabled'] else 'off'}")
        print(f"python: {python} (torch {versions.get('torch')}, timm {versions.get('timm')}, torchvision "
              f"{versions.get('torchvision')}, Pillow {versions.get('pillow')}); {cpu['cpu_model']}, "
              f"{cpu['usable_cores']} usable cores", flush=True)

        result = {'command': shlex.join([os.path.basename(sys.executable)] + sys.argv),
                  'settings': {'images': args.images, 'classes': args.classes, 'batch_size': args.batch_size,
                               'steps': steps, 'workers': args.workers, 'threads': args.threads, 'pools': pools,
                               'rounds': args.rounds, 'recipe': os.path.relpath(RECIPE, REPO),
                               'overrides': {k: v for k, v in overrides.items() if k != 'data.train.root'},
                               'python_recipe': recipe,
                               'timer': 'from the start of the epoch\'s data loading to the end of its last '
                                        'optimizer step (EMA included); process start-up, model building and '
                                        'the checkpoint after the epoch excluded',
                               'peak_rss': 'largest resident set of the process; for Python, of its own and its '
                                           'loader worker processes (the largest one, not a sum)'},
                  'hornet_command': shlex.join(cmd + ['--work-dir', 'WORK']).replace(root, 'ROOT'),
                  'peer': {'interpreter': python, **versions},
                  'rounds': []}
        figures = {'hornet': [], 'python': []}
        for r in range(args.rounds):
            sides = ('hornet', 'python') if r % 2 == 0 else ('python', 'hornet')
            entry = {'round': r, 'order': list(sides)}
            for side in sides:
                work = os.path.join(root, f'work-{side}-{r}')
                if side == 'hornet':
                    run = hornet_run(cmd, work, env, {'steps': steps, 'recipe': recipe})
                else:
                    run = peer_run(python, {'data': data, 'work': work, 'steps': steps, 'threads': args.threads,
                                            'recipe': recipe}, env)
                shutil.rmtree(work, ignore_errors=True)
                entry[side] = run
                figures[side].append(run['images_per_s'])
                print(f"round {r} {side:6}: {run['images_per_s']:6.2f} images/s ({run['images']} images in "
                      f"{run['seconds']:6.1f} s, data wait {100 * run['data_wait']:4.1f}%), epoch mean loss "
                      f"{run['mean_loss']:.4f}, last lr {run['last_lr']:.4g}; process {run['process_seconds']:.1f} s, "
                      f"peak RSS {run['peak_rss_bytes'] / 2**20:.0f} MiB", flush=True)
            result['rounds'].append(entry)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    med = {side: statistics.median(v) for side, v in figures.items()}
    ratio = med['hornet'] / med['python']
    met = ratio >= TARGET
    losses = {side: statistics.median(e[side]['mean_loss'] for e in result['rounds']) for side in figures}
    result['median'] = {'images_per_s': med, 'ratio': ratio, 'target': TARGET, 'met': met, 'mean_loss': losses}
    print(f'\nmedian of {args.rounds} round(s), images/s over the epoch (start of loading to the last step\'s end)')
    print(f'{"python (timm)":>14} {"hornet":>8} {"ratio":>6} {"target":>7}')
    print(f"{med['python']:14.2f} {med['hornet']:8.2f} {ratio:6.2f} {'>= ' + str(TARGET):>7}"
          f"{'' if met else '  MISSED'}")
    print(f"epoch mean loss (median): python {losses['python']:.4f}, hornet {losses['hornet']:.4f}")
    write_results(args.json, result)
    if args.check and not met:
        raise SystemExit(f'target not met: hornet must reach {TARGET}x the Python loop\'s images/s')


if __name__ == '__main__':
    main()
