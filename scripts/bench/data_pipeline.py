#!/usr/bin/env python3
"""Data pipeline throughput: hornet's loader against a Python peer that does the
same work with Pillow, on the same JPEGs, in the same run.

Test data: ImageNet-like JPEGs made at benchmark time (about 500x375, quality
90, cut from scikit-image's photographs with random crops, scales and colour
shifts), in two class folders.

hornet: `hornet-data bench DATA --pipeline train|eval --workers W`, W loader
  threads; one warm-up batch, then `--batches` timed batches. Each sample is
  read from its file, decoded and transformed inside the timer, and written
  into a preallocated uint8 [B, 3, 224, 224] batch buffer. Normalisation and
  Mixup/CutMix happen later on the training device and are not part of it.

Python peer: W processes (one per hornet worker thread), each single-threaded,
  pulling sample positions from a shared counter as hornet's threads do. Per
  sample, inside the timer: open + read the file, Pillow decode, the transform
  below, and a copy into the process's preallocated uint8 [B, 3, 224, 224]
  torch batch buffer (no float conversion, no normalisation: hornet's batches
  stay uint8 too). The op set, probabilities, magnitudes and interpolation
  mirror hornet's implementation (hornet/data/pipeline.cpp, transforms.cpp,
  rand_augment.cpp, docs/data.md), which is timm's official recipe:

  train: RandomResizedCrop(224): area U(0.08, 1), aspect exp(U(log 3/4, log 4/3)),
           10 attempts, else a centre crop at the nearest allowed aspect;
           JPEGs decoded at 1/2, 1/4 or 1/8 in the DCT domain (Pillow's
           draft()) when the crop so reduced is still >= 224 both ways, as
           hornet does; Pillow bicubic resize of the crop.
         horizontal flip, p = 0.5.
         RandAugment rand-m9-mstd0.5-inc1: 2 ops drawn uniformly with
           replacement from timm's 15 "increasing" ops (AutoContrast, Equalize,
           Invert, Rotate, PosterizeIncreasing, SolarizeIncreasing,
           SolarizeAdd, Color/Contrast/Brightness/SharpnessIncreasing, ShearX,
           ShearY, TranslateXRel, TranslateYRel); each applied with p = 0.5 at
           magnitude N(9, 0.5) clipped to [0, 10]; signed ops negated with
           p = 0.5; geometric ops bicubic with fill (124, 116, 104).
         RandomErasing: p = 0.25, area U(0.02, 1/3), aspect log-uniform in
           [0.3, 1/0.3], 10 attempts, per-pixel fill N(mean, std) per channel
           on the uint8 image (timm's mode 'pixel' before normalisation).
  eval:  full-size decode, ResizeEdge(256) + CenterCrop(224) with Pillow
           bicubic, computing only the crop window (Image.resize with a box),
           as hornet computes only the window.

Measurement: every pool pinned to one thread per worker (OMP_NUM_THREADS,
MKL_NUM_THREADS, OPENBLAS_NUM_THREADS, OPENCV_FOR_THREADS_NUM = 1 on both
sides; torch intra- and inter-op threads 1 in the peer's processes), the
largest thread count seen in each process recorded; each run in fresh
processes, the two sides alternating which goes first; --rounds rounds, median
images/s per worker (= per core with the default one worker per core).

    /usr/bin/python3 scripts/bench/data_pipeline.py [--images 1024] [--batch-size 32]
        [--workers N] [--rounds 5] [--json PATH] [--decode-ceiling] [--check]

--check exits non-zero unless hornet reaches 2x the peer on train and 1.5x on eval.
"""
import argparse
import io
import math
import multiprocessing as mp
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from bench_common import REPO, machine, pool_env, write_results

SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data'
PHOTOS = ['astronaut.png', 'chelsea.png', 'coffee.png', 'motorcycle_left.png', 'rocket.jpg',
          'hubble_deep_field.jpg', 'retina.jpg', 'motorcycle_right.png', 'ihc.png', 'color.png']

TARGETS = {'train': 2.0, 'eval': 1.5}

# One thread per worker everywhere: LibTorch/OpenMP, BLAS, and OpenCV's
# parallel_for_ (which hornet's warpAffine would otherwise spread over a TBB
# pool). Set for hornet's process and the peer's processes alike.
THREAD_ENV = pool_env(1, {})[1]

# hornet's defaults (TrainPipelineOptions, RandAugmentOptions, RandomErasingOptions,
# the bench's EvalPipelineOptions).
SIZE = 224
EVAL_RESIZE = 256
CROP_SCALE = (0.08, 1.0)
CROP_LOG_RATIO = (math.log(3 / 4), math.log(4 / 3))
FLIP_P = 0.5
RA_NUM_OPS, RA_P, RA_MAGNITUDE, RA_STD, RA_MAX = 2, 0.5, 9.0, 0.5, 10.0
FILL = (124, 116, 104)  # the ImageNet mean in RGB, round(255 * (0.485, 0.456, 0.406))
ERASE_P, ERASE_AREA, ERASE_LOG_ASPECT = 0.25, (0.02, 1 / 3), (math.log(0.3), math.log(1 / 0.3))
MEAN = np.array([123.675, 116.28, 103.53]).reshape(3, 1, 1)
STD = np.array([58.395, 57.12, 57.375]).reshape(3, 1, 1)

BICUBIC = Image.Resampling.BICUBIC
# Pillow's ImageOps.exif_transpose mapping; hornet applies the same orientations.
EXIF_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
                  4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
                  6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}


# ----- test images ------------------------------------------------------------

def make_images(root, count, seed=0):
    rng = np.random.default_rng(seed)
    sources = [Image.open(os.path.join(SKIMAGE, p)).convert('RGB') for p in PHOTOS]
    for cls in ('a', 'b'):
        os.makedirs(os.path.join(root, cls), exist_ok=True)
    for i in range(count):
        src = sources[i % len(sources)]
        w, h = (500, 375) if rng.random() < 0.8 else (375, 500)
        scale = rng.uniform(1.0, 2.5)
        big = src.resize((max(w, int(src.width * scale)), max(h, int(src.height * scale))), BICUBIC)
        x = int(rng.integers(0, big.width - w + 1))
        y = int(rng.integers(0, big.height - h + 1))
        im = big.crop((x, y, x + w, y + h))
        im = ImageEnhance.Color(im).enhance(rng.uniform(0.6, 1.4))
        im = ImageEnhance.Brightness(im).enhance(rng.uniform(0.8, 1.2))
        im.save(os.path.join(root, 'ab'[i % 2], f'{i:05d}.jpg'), quality=90)


def image_folder(root):
    """(paths, labels) as hornet's ImageFolder: sorted class folders -> 0..C-1."""
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    paths, labels = [], []
    for label, cls in enumerate(classes):
        for dirpath, _, names in sorted(os.walk(os.path.join(root, cls))):
            for name in sorted(names):
                paths.append(os.path.join(dirpath, name))
                labels.append(label)
    return paths, labels


# ----- the peer's transforms (hornet's semantics, Pillow operations) -------------

def open_image(data):
    """Pillow image of encoded bytes (header read, pixels not yet decoded) and
    its EXIF orientation (1 when none)."""
    im = Image.open(io.BytesIO(data))
    return im, im.getexif().get(0x0112, 1)


def finish_decode(im, orientation):
    """Decodes and turns the image upright in RGB, as hornet's decode does.
    RGB JPEGs are not copied (Pillow's convert('RGB') would copy them)."""
    if im.mode != 'RGB':
        im = im.convert('RGB')
    else:
        im.load()
    if orientation in EXIF_TRANSPOSE:
        im = im.transpose(EXIF_TRANSPOSE[orientation])
    return im


def random_resized_crop_box(width, height, rng):
    """(left, top, w, h): torchvision's / timm's RandomResizedCrop parameters."""
    area = width * height
    for _ in range(10):
        target = area * rng.uniform(*CROP_SCALE)
        aspect = math.exp(rng.uniform(*CROP_LOG_RATIO))
        w = round(math.sqrt(target * aspect))  # Python's round: half to even, as hornet's py_round
        h = round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            top = int(rng.integers(0, height - h, endpoint=True))
            left = int(rng.integers(0, width - w, endpoint=True))
            return left, top, w, h
    ratio = width / height  # fallback: a centre crop at the nearest allowed aspect
    w, h = width, height
    if ratio < 3 / 4:
        h = round(w / (3 / 4))
    elif ratio > 4 / 3:
        w = round(h * (4 / 3))
    return (width - w) // 2, (height - h) // 2, w, h


def dct_scale_for_crop(crop_w, crop_h):
    """hornet's dct_scale_for_crop: the largest s in {8, 4, 2} with crop / s >= 224 both ways."""
    for s in (8, 4, 2):
        if crop_w // s >= SIZE and crop_h // s >= SIZE:
            return s
    return 1


def _sign(v, rng):
    return -v if rng.random() > 0.5 else v  # timm's _randomly_negate


def _affine(img, matrix):
    return img.transform(img.size, Image.Transform.AFFINE, matrix, resample=BICUBIC, fillcolor=FILL)


def _solarize_add(img, add, threshold=128):
    lut = [min(255, i + add) if i < threshold else i for i in range(256)]
    return img.point(lut * 3)


def _posterize(img, bits):
    return img if bits >= 8 else ImageOps.posterize(img, bits)


# timm's _RAND_INCREASING_TRANSFORMS, in its order (= hornet's all_aug_ops()).
# `level` is the magnitude / 10 (timm's _LEVEL_DENOM).
RAND_AUGMENT_OPS = [
    ('AutoContrast', lambda img, level, rng: ImageOps.autocontrast(img)),
    ('Equalize', lambda img, level, rng: ImageOps.equalize(img)),
    ('Invert', lambda img, level, rng: ImageOps.invert(img)),
    ('Rotate', lambda img, level, rng: img.rotate(_sign(level * 30.0, rng), resample=BICUBIC, fillcolor=FILL)),
    ('PosterizeIncreasing', lambda img, level, rng: _posterize(img, 4 - int(level * 4))),
    ('SolarizeIncreasing', lambda img, level, rng: ImageOps.solarize(img, 256 - int(level * 256))),
    ('SolarizeAdd', lambda img, level, rng: _solarize_add(img, int(level * 110))),
    ('ColorIncreasing', lambda img, level, rng: ImageEnhance.Color(img).enhance(1.0 + _sign(level * 0.9, rng))),
    ('ContrastIncreasing',
     lambda img, level, rng: ImageEnhance.Contrast(img).enhance(1.0 + _sign(level * 0.9, rng))),
    ('BrightnessIncreasing',
     lambda img, level, rng: ImageEnhance.Brightness(img).enhance(1.0 + _sign(level * 0.9, rng))),
    ('SharpnessIncreasing',
     lambda img, level, rng: ImageEnhance.Sharpness(img).enhance(1.0 + _sign(level * 0.9, rng))),
    ('ShearX', lambda img, level, rng: _affine(img, (1, _sign(level * 0.3, rng), 0, 0, 1, 0))),
    ('ShearY', lambda img, level, rng: _affine(img, (1, 0, 0, _sign(level * 0.3, rng), 1, 0))),
    ('TranslateXRel', lambda img, level, rng: _affine(img, (1, 0, _sign(level * 0.45, rng) * img.size[0], 0, 1, 0))),
    ('TranslateYRel', lambda img, level, rng: _affine(img, (1, 0, 0, 0, 1, _sign(level * 0.45, rng) * img.size[1]))),
]


def rand_augment(img, rng):
    for _ in range(RA_NUM_OPS):
        _, op = RAND_AUGMENT_OPS[int(rng.integers(len(RAND_AUGMENT_OPS)))]
        if rng.random() > RA_P:  # each chosen op is skipped half the time
            continue
        magnitude = min(max(rng.normal(RA_MAGNITUDE, RA_STD), 0.0), RA_MAX)
        img = op(img, magnitude / 10.0, rng)
    return img


def random_erasing(chw, rng):
    """timm's RandomErasing (mode 'pixel') on a uint8 [3, H, W] view, in place."""
    if rng.random() >= ERASE_P:
        return
    _, height, width = chw.shape
    for _ in range(10):
        target = rng.uniform(*ERASE_AREA) * height * width
        aspect = math.exp(rng.uniform(*ERASE_LOG_ASPECT))
        h = round(math.sqrt(target * aspect))
        w = round(math.sqrt(target / aspect))
        if w < width and h < height:
            top = int(rng.integers(0, height - h, endpoint=True))
            left = int(rng.integers(0, width - w, endpoint=True))
            noise = MEAN + STD * rng.standard_normal((3, h, w))
            chw[:, top:top + h, left:left + w] = np.clip(np.rint(noise), 0, 255)
            return


def train_sample(data, rng, out):
    """hornet's TrainTransform into `out` (uint8 [3, 224, 224])."""
    im, orientation = open_image(data)
    width, height = im.size
    if orientation >= 5:  # hornet crops the upright image
        width, height = height, width
    left, top, w, h = random_resized_crop_box(width, height, rng)
    scale = dct_scale_for_crop(w, h) if im.format == 'JPEG' else 1
    if scale > 1:
        # Asking for (W // s, H // s) makes Pillow pick exactly 1/s (libjpeg's
        # scaled IDCT, the same as TurboJPEG's); the size is ceil(W / s) as hornet's.
        im.draft('RGB', (im.size[0] // scale, im.size[1] // scale))
    img = finish_decode(im, orientation)
    if img.size != (-(-width // scale), -(-height // scale)):
        raise RuntimeError(f'draft gave {img.size} for 1/{scale} of {width}x{height}')
    # Every reduced pixel the full-size box covers, as hornet's pipeline.cpp; crop
    # then resize, so the filter sees only the crop (hornet resizes the ROI).
    box = (left // scale, top // scale, min(img.size[0], -(-(left + w) // scale)),
           min(img.size[1], -(-(top + h) // scale)))
    img = img.crop(box).resize((SIZE, SIZE), BICUBIC)
    if rng.random() < FLIP_P:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    img = rand_augment(img, rng)
    out[...] = np.asarray(img).transpose(2, 0, 1)
    random_erasing(out, rng)  # on the uint8 sample in the batch, like hornet on its image


def eval_sample(data, rng, out):
    """hornet's EvalTransform into `out`: ResizeEdge(256) + CenterCrop(224), bicubic."""
    im, orientation = open_image(data)
    img = finish_decode(im, orientation)
    width, height = img.size
    if width < height:  # mmpretrain's ResizeEdge(256, edge='short')
        rw, rh = EVAL_RESIZE, int(EVAL_RESIZE * height / width)
    else:
        rw, rh = int(EVAL_RESIZE * width / height), EVAL_RESIZE
    x, y = round((rw - SIZE) / 2), round((rh - SIZE) / 2)  # mmcv's CenterCrop offsets
    sx, sy = width / rw, height / rh
    # The crop window of the rw x rh resize only: same filter scale and support,
    # as hornet's pillow_resize_crop (equal to resizing then cropping up to a
    # rounding step from the box's floating-point coordinates).
    img = img.resize((SIZE, SIZE), BICUBIC, box=(x * sx, y * sy, (x + SIZE) * sx, (y + SIZE) * sy))
    out[...] = np.asarray(img).transpose(2, 0, 1)


SAMPLE = {'train': train_sample, 'eval': eval_sample}


# ----- the peer's loader ----------------------------------------------------------

def thread_count(pid='self'):
    try:
        return len(os.listdir(f'/proc/{pid}/task'))
    except OSError:
        return 0


def peer_worker(rank, job, counter, barrier, conn):
    """One single-threaded peer process: its share of the warm-up positions,
    then timed positions claimed from `counter` until the end."""
    import torch
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    paths, labels, order, pipeline = job['paths'], job['labels'], job['order'], job['pipeline']
    batch, warmup, end, workers = job['batch'], job['warmup'], job['end'], job['workers']
    sample = SAMPLE[pipeline]
    # A preallocated uint8 batch as hornet's loader slots; written through a NumPy view.
    images = torch.empty((batch, 3, SIZE, SIZE), dtype=torch.uint8)
    batch_labels = torch.empty(batch, dtype=torch.int64)
    view, label_view = images.numpy(), batch_labels.numpy()
    filled = 0

    def load(p):
        nonlocal filled
        index = order[p]
        with open(paths[index], 'rb') as f:  # reading is part of the work, as in hornet's workers
            data = f.read()
        # A generator per sample keyed like hornet's Rng (seed, epoch, index, rank, position).
        rng = np.random.default_rng([0, 0, index, 0, p])
        sample(data, rng, view[filled % batch])
        label_view[filled % batch] = labels[index]
        filled += 1

    for p in range(rank, warmup, workers):
        load(p)
    barrier.wait()
    start = time.monotonic()  # CLOCK_MONOTONIC: comparable across processes
    done = 0
    while True:
        with counter.get_lock():
            p = counter.value
            counter.value += 1
        if p >= end:
            break
        load(p)
        done += 1
    stop = time.monotonic()
    conn.send({'rank': rank, 'images': done, 'start': start, 'stop': stop, 'threads': thread_count(),
               'torch_threads': torch.get_num_threads(), 'torch_interop_threads': torch.get_num_interop_threads()})


def peer_run(paths, labels, pipeline, workers, batch, batches):
    """Fresh processes; wall time from the barrier to the last process's end."""
    order = [int(i) for i in np.random.default_rng(0).permutation(len(paths))]
    job = {'paths': paths, 'labels': labels, 'order': order, 'pipeline': pipeline, 'batch': batch,
           'warmup': batch, 'end': batch * (batches + 1), 'workers': workers}
    ctx = mp.get_context('spawn')
    counter = ctx.Value('q', batch)
    barrier = ctx.Barrier(workers)
    # One pipe per process rather than a Queue: a Queue's feeder thread would
    # show up in the thread counts.
    pipes = [ctx.Pipe(duplex=False) for _ in range(workers)]
    saved = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update(THREAD_ENV)  # spawned children inherit it
    try:
        # daemon: if one fails, the others (maybe waiting at the barrier) go with the driver.
        procs = [ctx.Process(target=peer_worker, args=(k, job, counter, barrier, pipes[k][1]), daemon=True)
                 for k in range(workers)]
        for proc in procs:
            proc.start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    max_threads = 0
    reports = {}
    while len(reports) < workers:
        # Threads are counted once the timed loop has begun: torch.set_num_threads
        # briefly starts a helper thread before it.
        if counter.value > batch:
            max_threads = max([max_threads] + [thread_count(proc.pid) for proc in procs])
        for k, (receiver, _) in enumerate(pipes):
            if k not in reports and receiver.poll():
                reports[k] = receiver.recv()
        if any(proc.exitcode not in (None, 0) for proc in procs):
            for proc in procs:
                proc.terminate()
            raise SystemExit(f'a peer process failed: exit codes {[proc.exitcode for proc in procs]}')
        time.sleep(0.05)
    for proc in procs:
        proc.join()
    reports = [reports[k] for k in range(workers)]
    seconds = max(r['stop'] for r in reports) - min(r['start'] for r in reports)
    images = sum(r['images'] for r in reports)
    return {'images': images, 'seconds': seconds, 'workers': workers, 'per_worker': images / seconds / workers,
            'images_by_process': [r['images'] for r in reports],
            'max_threads_per_process': max([max_threads] + [r['threads'] for r in reports]),
            'torch_threads': sorted({r['torch_threads'] for r in reports}),
            'torch_interop_threads': sorted({r['torch_interop_threads'] for r in reports})}


# ----- hornet ----------------------------------------------------------------------

BENCH_LINE = re.compile(r'pipeline (\w+), (\d+) workers, (\d+) images in ([0-9.]+) s: ([0-9.]+) images/s, '
                        r'([0-9.]+) per worker')


def hornet_run(binary, root, pipeline, workers, batch, batches):
    """A fresh `hornet-data bench` process; its own timing (after one warm-up batch)."""
    cmd = [binary, 'bench', root, '--pipeline', pipeline, '--workers', str(workers), '--batch-size', str(batch),
           '--batches', str(batches)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **THREAD_ENV})
    max_threads = 0
    while proc.poll() is None:
        max_threads = max(max_threads, thread_count(proc.pid))
        time.sleep(0.05)
    out = proc.stdout.read()
    match = BENCH_LINE.search(out)
    if proc.returncode != 0 or not match:
        raise SystemExit(f'{shlex.join(cmd)} failed ({proc.returncode}):\n{out}')
    stats = re.search(r'hornet-data bench: (\d+ loaded.*)', out)
    return {'images': int(match.group(3)), 'seconds': float(match.group(4)), 'workers': int(match.group(2)),
            'per_worker': float(match.group(6)), 'max_threads_per_process': max_threads,
            'loader_stats': stats.group(1) if stats else None, 'command': shlex.join(cmd)}


# ----- reporting ----------------------------------------------------------------------

def software():
    import importlib.metadata
    import PIL
    from PIL import features
    try:  # the driver never imports torch itself (only the peer's processes do)
        torch_version = importlib.metadata.version('torch')
    except importlib.metadata.PackageNotFoundError:
        torch_version = None
    return {'python': platform.python_version(), 'pillow': PIL.__version__, 'numpy': np.__version__,
            'torch': torch_version, 'libjpeg_turbo': features.check_feature('libjpeg_turbo')}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--images', type=int, default=1024, help='JPEGs to make (>= 2 batches)')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--workers', type=int, default=len(os.sched_getaffinity(0)),
                        help='hornet loader threads = peer processes (default: one per usable core)')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--bin-dir', default=os.path.join(REPO, 'build', 'bin'))
    parser.add_argument('--json', default=os.path.join(REPO, 'build', 'bench', 'data_pipeline.json'),
                        help='results file')
    parser.add_argument('--decode-ceiling', action='store_true',
                        help="also run hornet's plain full-size decode (files read outside its timer; not compared)")
    parser.add_argument('--check', action='store_true', help='exit non-zero when a target is missed')
    args = parser.parse_args()
    batches = args.images // args.batch_size - 1  # timed batches after the warm-up batch
    if batches < 1 or args.workers < 1 or args.rounds < 1:
        parser.error('need --images >= 2 * --batch-size, --workers >= 1, --rounds >= 1')
    binary = os.path.join(args.bin_dir, 'hornet-data')
    if not os.access(binary, os.X_OK):
        raise SystemExit(f'{binary} not found: build hornet first (scripts/setup.sh)')

    result = {'command': shlex.join([sys.executable] + sys.argv),
              'machine': machine(), 'software': software(),
              'settings': {'images': args.images, 'batch_size': args.batch_size, 'warmup_images': args.batch_size,
                           'timed_images': batches * args.batch_size, 'workers': args.workers,
                           'rounds': args.rounds,
                           'thread_counts': 'max_threads_per_process: the most threads seen in one process, '
                                            'sampled every 50 ms; hornet over its whole run, the peer while '
                                            'its processes run the timed loop',
                           'threads': {'hornet': {'loader_threads': args.workers, 'env': THREAD_ENV},
                                       'peer': {'processes': args.workers, 'env': THREAD_ENV,
                                                'torch_set_num_threads': 1, 'torch_set_num_interop_threads': 1}}},
              'rounds': []}
    root = tempfile.mkdtemp(prefix='hornet-data-bench-')
    try:
        make_images(root, args.images)
        paths, labels = image_folder(root)
        print(f'{len(paths)} JPEGs (~500x375, q90); {batches} x {args.batch_size} timed images after '
              f'{args.batch_size} warm-up; hornet: {args.workers} loader threads, peer: {args.workers} processes; '
              f'{" ".join(f"{k}={v}" for k, v in THREAD_ENV.items())}; {result["machine"]["cpu_model"]}, '
              f'{result["machine"]["usable_cores"]} cores')
        print(f'(threads seen per process: hornet main + {args.workers} loader threads expected, peer 1)')
        if args.decode_ceiling:
            ceiling = hornet_run(binary, root, 'decode', args.workers, args.batch_size, batches)
            result['decode_ceiling'] = ceiling
            print(f"hornet plain full-size decode (reads untimed): {ceiling['per_worker']:.1f} images/s per worker")
        runs = {p: {'hornet': [], 'peer': []} for p in TARGETS}
        for r in range(args.rounds):
            # Alternate which side runs first, so drift (clocks, caches) hits both alike.
            sides = ('hornet', 'peer') if r % 2 == 0 else ('peer', 'hornet')
            entry = {'round': r, 'order': list(sides)}
            for pipeline in TARGETS:
                entry[pipeline] = {}
                for side in sides:
                    if side == 'hornet':
                        run = hornet_run(binary, root, pipeline, args.workers, args.batch_size, batches)
                    else:
                        run = peer_run(paths, labels, pipeline, args.workers, args.batch_size, batches)
                    entry[pipeline][side] = run
                    runs[pipeline][side].append(run['per_worker'])
                h, p = entry[pipeline]['hornet'], entry[pipeline]['peer']
                print(f'round {r} {pipeline:5}: peer {p["per_worker"]:7.1f}  hornet {h["per_worker"]:7.1f} '
                      f'images/s/worker  ({p["images"]} / {h["images"]} images; max threads per process: '
                      f'peer {p["max_threads_per_process"]}, hornet {h["max_threads_per_process"]})')
            result['rounds'].append(entry)
    finally:
        shutil.rmtree(root)

    ok = True
    result['median'] = {}
    print(f'\nmedian of {args.rounds} round(s), images/s per worker ({args.workers} workers on '
          f'{result["machine"]["usable_cores"]} cores)')
    print(f'{"pipeline":8} {"python peer":>12} {"hornet":>8} {"ratio":>6} {"target":>7}')
    for pipeline, target in TARGETS.items():
        peer, ours = statistics.median(runs[pipeline]['peer']), statistics.median(runs[pipeline]['hornet'])
        met = ours >= target * peer
        ok &= met
        result['median'][pipeline] = {'peer': peer, 'hornet': ours, 'ratio': ours / peer, 'target': target,
                                      'met': met}
        print(f'{pipeline:8} {peer:12.1f} {ours:8.1f} {ours / peer:6.2f} {">= " + str(target):>7}'
              f'{"" if met else "  MISSED"}')
    result['targets_met'] = ok
    write_results(args.json, result)
    if args.check and not ok:
        raise SystemExit('targets not met: hornet must reach 2x the peer on train and 1.5x on eval')


if __name__ == '__main__':
    main()
