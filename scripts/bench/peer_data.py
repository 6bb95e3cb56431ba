"""The Python side of data_pipeline.py, run by the peer's interpreter in a fresh
process: timm's own data pipeline over an image folder, as a timm user builds
it. Prints one JSON line.

  dataset:   timm.data.create_dataset('', root=DATA, split=...) (an ImageDataset
             over timm's folder reader: open, Pillow decode, convert('RGB')).
  transform: timm.data.create_transform(224, ...) with HorNet's recipe (train)
             or crop_pct 0.875 (eval), both bicubic.
  loader:    torch.utils.data.DataLoader(batch_size, num_workers=W, shuffle for
             train, drop_last for train, pin_memory=False,
             persistent_workers=False), collated as timm's create_loader does:
             timm.data.loader.fast_collate for the uint8 (prefetcher) layout, the default
             collate for the float32 layout.

--layout uint8:   create_transform(..., use_prefetcher=True): ends in uint8
  [3, 224, 224] tensors; normalisation and random erasing are left to timm's
  PrefetchLoader on the device (not run here).
--layout default: create_transform(...): ToTensor (float32) + Normalize, and in
  training RandomErasing(0.25, 'pixel'), all in the loader's workers.

Timing: the arrival time of every batch in the main process; the caller
applies the warm-up rule.

    python peer_data.py DATA --pipeline train|eval --layout uint8|default --workers W
        --batch-size 32 --batches N
"""
import argparse
import functools
import json
import multiprocessing
import time

import torch
import timm
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD, create_dataset, create_transform
from timm.data.loader import fast_collate
from torch.utils.data import DataLoader, default_collate

from bench_common import thread_count

SIZE = 224
# HorNet's recipe (the official main.py defaults, ../shared/docs/hornet-reference.md §5).
TRAIN = dict(scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), hflip=0.5, vflip=0.0,
             color_jitter=0.4,  # in the recipe; timm drops it because auto_augment is set
             auto_augment='rand-m9-mstd0.5-inc1', interpolation='bicubic',
             re_prob=0.25, re_mode='pixel', re_count=1)
EVAL = dict(interpolation='bicubic', crop_pct=0.875)


def worker_init(seen, worker_id):
    """Records the worker's torch intra-/inter-op threads as it starts (the
    DataLoader has already called torch.set_num_threads(1) there; this checks
    it rather than relying on it)."""
    torch.set_num_threads(1)
    seen[2 * worker_id] = torch.get_num_threads()
    seen[2 * worker_id + 1] = torch.get_num_interop_threads()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('data')
    p.add_argument('--pipeline', choices=['train', 'eval'], required=True)
    p.add_argument('--layout', choices=['uint8', 'default'], required=True)
    p.add_argument('--workers', type=int, required=True)
    p.add_argument('--batch-size', type=int, required=True)
    p.add_argument('--batches', type=int, required=True, help='batches to load (all of them, warm-up included)')
    a = p.parse_args()
    train = a.pipeline == 'train'
    prefetcher = a.layout == 'uint8'

    torch.set_num_threads(1)  # the main process only receives batches; OMP_NUM_THREADS=1 says the same
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    transform = create_transform(SIZE, is_training=train, mean=IMAGENET_DEFAULT_MEAN, std=IMAGENET_DEFAULT_STD,
                                 use_prefetcher=prefetcher, **(TRAIN if train else EVAL))
    dataset = create_dataset('', root=a.data, split='train' if train else 'validation', is_training=train)
    dataset.transform = transform

    seen = multiprocessing.Array('i', 2 * a.workers)
    loader = DataLoader(dataset, batch_size=a.batch_size, shuffle=train, drop_last=train, num_workers=a.workers,
                        collate_fn=fast_collate if prefetcher else default_collate, pin_memory=False,
                        persistent_workers=False, worker_init_fn=functools.partial(worker_init, seen))
    arrivals, sizes, dtype, shape = [], [], None, None
    main_threads = 0
    it = iter(loader)
    for _ in range(a.batches):
        images, _ = next(it)
        arrivals.append(time.monotonic())
        sizes.append(int(images.shape[0]))
        dtype, shape = str(images.dtype), list(images.shape)
        main_threads = max(main_threads, thread_count())
    del it
    print(json.dumps({
        'arrivals': arrivals, 'sizes': sizes, 'dtype': dtype, 'shape': shape,
        'dataset': f'{type(dataset).__name__} ({type(dataset.reader).__name__}), {len(dataset)} samples',
        'transform': repr(transform).replace('\n', ' '),
        'color_jitter_applied': 'ColorJitter' in repr(transform),
        'random_erasing_in_loader': 'RandomErasing' in repr(transform),
        'collate': 'timm.data.fast_collate' if prefetcher else 'torch default_collate',
        'mp_start_method': multiprocessing.get_start_method(),
        'main_torch_threads': torch.get_num_threads(), 'main_torch_interop_threads': torch.get_num_interop_threads(),
        'main_threads_seen': main_threads,
        'worker_torch_threads': sorted({seen[2 * k] for k in range(a.workers)}),
        'worker_torch_interop_threads': sorted({seen[2 * k + 1] for k in range(a.workers)}),
        'timm': timm.__version__, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
