#!/usr/bin/env python3
"""Data pipeline throughput: hornet's loader against the Python pipeline of the
official recipe, on the same JPEGs, in the same run.

Makes ImageNet-like JPEGs at benchmark time (about 500x375, quality 90, cut
from scikit-image's photographs with random crops, scales and colour shifts),
then measures images/s per core:

  Python peer, one process per core: PIL decode + torchvision transforms
    train: RandomResizedCrop(224, bicubic), RandomHorizontalFlip,
           RandAugment(2 ops, magnitude 9, bicubic, mean fill), ToTensor,
           Normalize, RandomErasing(0.25, per-pixel random)
    eval:  Resize(256, bicubic), CenterCrop(224), ToTensor, Normalize
  hornet: `hornet-data bench` with one worker thread per core (the same steps;
    its batches stay uint8 until normalised on the training device)
  ceiling: TurboJPEG's plain full-size decode of the same files.

    /usr/bin/python3 scripts/bench/data_pipeline.py [--images 384] [--workers N] [--check]

--check exits non-zero unless train >= 2x and eval >= 1.5x the peer.
"""
import argparse
import io
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data'
PHOTOS = ['astronaut.png', 'chelsea.png', 'coffee.png', 'motorcycle_left.png', 'rocket.jpg',
          'hubble_deep_field.jpg', 'retina.jpg', 'motorcycle_right.png', 'ihc.png', 'color.png']


def make_images(root, count, seed=0):
    import numpy as np
    from PIL import Image, ImageEnhance
    rng = np.random.default_rng(seed)
    sources = [Image.open(os.path.join(SKIMAGE, p)).convert('RGB') for p in PHOTOS]
    for cls in ('a', 'b'):
        os.makedirs(os.path.join(root, cls), exist_ok=True)
    for i in range(count):
        src = sources[i % len(sources)]
        w, h = (500, 375) if rng.random() < 0.8 else (375, 500)
        scale = rng.uniform(1.0, 2.5)
        big = src.resize((max(w, int(src.width * scale)), max(h, int(src.height * scale))), Image.BICUBIC)
        x = int(rng.integers(0, big.width - w + 1))
        y = int(rng.integers(0, big.height - h + 1))
        im = big.crop((x, y, x + w, y + h))
        im = ImageEnhance.Color(im).enhance(rng.uniform(0.6, 1.4))
        im = ImageEnhance.Brightness(im).enhance(rng.uniform(0.8, 1.2))
        im.save(os.path.join(root, 'ab'[i % 2], f'{i:05d}.jpg'), quality=90)


def peer_worker(args):
    files, pipeline = args
    import torch
    from PIL import Image
    from torchvision import transforms as T
    torch.set_num_threads(1)
    norm = T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    if pipeline == 'train':
        tf = T.Compose([T.RandomResizedCrop(224, interpolation=T.InterpolationMode.BICUBIC),
                        T.RandomHorizontalFlip(),
                        T.RandAugment(2, 9, interpolation=T.InterpolationMode.BICUBIC, fill=[124, 116, 104]),
                        T.ToTensor(), norm, T.RandomErasing(0.25, value='random')])
    else:
        tf = T.Compose([T.Resize(256, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(224),
                        T.ToTensor(), norm])
    data = [open(f, 'rb').read() for f in files]
    for b in data[:8]:  # warm-up
        tf(Image.open(io.BytesIO(b)).convert('RGB'))
    start = time.perf_counter()
    for b in data:
        tf(Image.open(io.BytesIO(b)).convert('RGB'))
    return len(data) / (time.perf_counter() - start)


def peer_rate(files, pipeline, workers):
    """Images/s per core: each process times its own share."""
    shares = [(files[k::workers], pipeline) for k in range(workers)]
    with mp.get_context('spawn').Pool(workers) as pool:
        rates = pool.map(peer_worker, shares)
    return sum(rates) / workers


def hornet_rate(bin_dir, root, pipeline, workers, images):
    batch = 32
    out = subprocess.run([os.path.join(bin_dir, 'hornet-data'), 'bench', root, '--pipeline', pipeline,
                          '--workers', str(workers), '--batch-size', str(batch),
                          '--batches', str(max(1, images // batch - 1))],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r'([0-9.]+) per worker', out).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--images', type=int, default=384)
    parser.add_argument('--workers', type=int, default=os.cpu_count())
    parser.add_argument('--bin-dir', default=os.path.join(REPO, 'build', 'bin'))
    parser.add_argument('--check', action='store_true')
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix='hornet-data-bench-')
    try:
        make_images(root, args.images)
        files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs)
        print(f'{len(files)} JPEGs (~500x375, q90) in {root}; {args.workers} workers/processes; images/s per core')
        ceiling = hornet_rate(args.bin_dir, root, 'decode', args.workers, args.images)
        print(f'{"pipeline":8} {"python peer":>12} {"hornet":>8} {"ratio":>6}   (TurboJPEG full decode: {ceiling:.1f})')
        ok = True
        for pipeline, target in (('train', 2.0), ('eval', 1.5)):
            peer = peer_rate(files, pipeline, args.workers)
            ours = hornet_rate(args.bin_dir, root, pipeline, args.workers, args.images)
            print(f'{pipeline:8} {peer:12.1f} {ours:8.1f} {ours / peer:6.2f}   (target >= {target})')
            ok &= ours >= target * peer
    finally:
        shutil.rmtree(root)
    if args.check and not ok:
        raise SystemExit('targets not met')


if __name__ == '__main__':
    main()
