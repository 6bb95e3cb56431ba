#!/usr/bin/env python3
"""Writes the fixtures the C++ tests compare against, using Debian's python3-torch.

    /usr/bin/python3 tests/reference/make_fixtures.py --out build/tests/fixtures

The build runs this as the CTest fixture `reference_fixtures` before the C++
tests. Layout:

    models/<case>/case.json        arch spec, input size, class count
    models/<case>/input.npy        float32 [N, 3, H, W] (row 0 ~ N(0,1), row 1 ~ 0.01 N(0,1))
    models/<case>/logits.npy       the reference model's logits
    models/<case>/params/<key>.npy randomised weights (mmpretrain keys)
    models/<case>/grad_output.npy  d loss / d logits (cases with gradients)
    models/<case>/grads/<key>.npy  parameter gradients of loss = sum(logits * grad_output)
    npy/*.npy                      arrays in every dtype and layout the .npy reader handles
    training/*                     20 recipe steps (AdamW groups, layer decay, warmup + cosine,
                                   clipping, accumulation, EMA) computed in Python
    images/*                       photographs as JPEGs of odd sizes (and gray, CMYK, EXIF,
                                   PNG-named-JPEG, broken files) with OpenCV's decode and
                                   mmpretrain's evaluation crop; images/resize/* Pillow resizes
    checkpoints/*                  HorNet weights in every layout with reference logits
                                   (see make_checkpoint_models), and
    checkpoints/objects_<fmt>.pth  one object tree (all dtypes, views, shared storages,
                                   mmengine / official-repository objects) saved as
                                   zip and legacy torch.save files, pickle protocols 2, 4, 5
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hornet_ref  # noqa: E402

TOLERANCE = 1e-4  # the C++ tests' logit tolerance

DW7 = ('dw', 7)


def custom(base_dim, depths, mixers):
    return dict(base_dim=base_dim, depths=depths, orders=[2, 3, 4, 5], mixers=mixers)


# name -> (spec, zoo name or None, input [N, C, H, W], classes, checks); checks:
#   'grads' also writes gradients, 'mutations' proves planted bugs move the logits
CASES = {
    'custom_dw': (custom(16, [1, 1, 2, 1], [DW7] * 4), None, (2, 3, 64, 64), 10, {'grads', 'mutations'}),
    # Filters sized for the 64x64 input except stage 3, which is resized (3,2) -> (2,2).
    'custom_gf': (custom(16, [1, 1, 2, 1], [DW7, ('gf', 8, 5), ('gf', 4, 3), ('gf', 3, 2)]),
                  None, (2, 3, 64, 64), 10, {'grads', 'mutations'}),
    # Odd widths (irfft2 needs the explicit size), a 3x3 depthwise mixer, and a resize.
    'custom_gf_odd': (custom(16, [1, 2, 1, 1], [('dw', 3), ('gf', 8, 6), ('gf', 5, 3), ('gf', 2, 2)]),
                      None, (2, 3, 70, 90), 7, {'grads', 'mutations'}),
    'tiny_224': (hornet_ref.arch_spec('tiny'), 'tiny', (2, 3, 224, 224), 1000, {'mutations'}),
    'tiny_gf_224': (hornet_ref.arch_spec('tiny-gf'), 'tiny-gf', (2, 3, 224, 224), 1000, {'mutations'}),
    # 224 filters on a 256 input: (14,8)/(7,4) resized to (16,9)/(8,5) on every forward.
    'tiny_gf_256': (hornet_ref.arch_spec('tiny-gf'), 'tiny-gf', (2, 3, 256, 256), 1000, set()),
    # The official 384 filter sizes (24,13)/(12,7) on a tiny-width model.
    'gf_384': (custom(64, [2, 3, 18, 2], [DW7, DW7, ('gf', 24, 13), ('gf', 12, 7)]),
               None, (1, 3, 384, 384), 1000, set()),
}


def save(path, tensor):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, tensor.detach().cpu().numpy())


def make_input(shape, gen):
    x = torch.randn(shape, generator=gen)
    if shape[0] > 1:
        x[1] *= 0.01  # near-flat: makes a wrong LayerNorm eps visible (docs/model.md §12)
    return x


def mutation_checks(name, model, x, logits):
    """Plants known porting bugs into the reference and requires each to move the
    logits by more than the C++ tolerance, so the parity test would catch it."""
    def delta():
        with torch.no_grad():
            return (model(x) - logits).abs().max().item()

    results = {}
    norms = [m for m in model.modules() if isinstance(m, hornet_ref.Norm)]
    for m in norms:
        m.eps = 1e-5
    results['layernorm eps 1e-5'] = delta()
    for m in norms:
        m.eps = hornet_ref.EPS
    for b in model.blocks():
        b.gelu = 'tanh'
    results['tanh GELU'] = delta()
    for b in model.blocks():
        b.gelu = 'none'
    gfs = [m for m in model.modules() if isinstance(m, hornet_ref.GlobalLocal)]
    if gfs:
        for m in gfs:
            m.interleave = False
        results['GF concat instead of interleave'] = delta()
        for m in gfs:
            m.interleave = True
    gn = [m for m in model.modules() if isinstance(m, hornet_ref.GnConv)]
    for m in gn:
        m.scale = 1.0
    results['gnConv scale 1.0'] = delta()
    for m in gn:
        m.scale = 1.0 / 3.0
    removal = []
    for b in model.blocks():
        b.enabled = False
        removal.append(delta())
        b.enabled = True
    results['smallest block removal'] = min(removal)
    for what, d in results.items():
        print(f'  {name}: {what}: max |delta logits| = {d:.3g}')
        if d <= 2 * TOLERANCE:
            raise SystemExit(f'{name}: fixture too weak: "{what}" moves logits by only {d:.3g}')
    assert delta() == 0.0, 'mutation checks did not restore the model'


def make_model_case(out_dir, name, spec, zoo, shape, num_classes, checks, seed):
    gen = torch.Generator().manual_seed(seed)
    model = hornet_ref.Classifier(spec, num_classes)
    hornet_ref.randomize_(model, gen)
    model.eval()
    x = make_input(shape, gen)
    case_dir = os.path.join(out_dir, name)
    with torch.no_grad():
        logits = model(x)
    if 'grads' in checks:
        grad_output = torch.randn(logits.shape, generator=gen)
        model.zero_grad()
        (model(x) * grad_output).sum().backward()
        for key, p in model.named_parameters():
            save(os.path.join(case_dir, 'grads', key + '.npy'), p.grad)
        save(os.path.join(case_dir, 'grad_output.npy'), grad_output)
    if 'mutations' in checks:
        mutation_checks(name, model, x, logits)
    for key, tensor in model.state_dict().items():
        save(os.path.join(case_dir, 'params', key + '.npy'), tensor)
    save(os.path.join(case_dir, 'input.npy'), x)
    save(os.path.join(case_dir, 'logits.npy'), logits)
    meta = dict(name=name, zoo=zoo, num_classes=num_classes, input_shape=list(shape),
                arch=dict(base_dim=spec['base_dim'], depths=spec['depths'], orders=spec['orders'],
                          mixers=[list(m) for m in spec['mixers']]))
    with open(os.path.join(case_dir, 'case.json'), 'w') as f:
        json.dump(meta, f, indent=1)


def make_npy_cases(out_dir):
    """arange(24) reshaped to (2, 3, 4) in every supported dtype and layout; the
    C++ test checks the values against its own arange."""
    os.makedirs(out_dir, exist_ok=True)
    base = np.arange(24).reshape(2, 3, 4)
    for dt in ['<f2', '<f4', '<f8', '|i1', '<i2', '<i4', '<i8', '|u1', '<c8', '<c16', '>f4', '>i8', '>c8']:
        np.save(os.path.join(out_dir, f'arange_{dt[1:]}_{"be" if dt[0] == ">" else "le"}.npy'),
                base.astype(np.dtype(dt)))
    np.save(os.path.join(out_dir, 'arange_f4_fortran.npy'), np.asfortranarray(base.astype('<f4')))
    np.save(os.path.join(out_dir, 'bool.npy'), (base % 3 == 0))
    np.save(os.path.join(out_dir, 'scalar_f8.npy'), np.array(2.5))
    np.save(os.path.join(out_dir, 'empty_f4.npy'), np.zeros((0, 5), dtype='<f4'))
    np.save(os.path.join(out_dir, 'vector_i8.npy'), np.arange(7, dtype='<i8'))
    # Format version 2.0 (4-byte header length).
    with open(os.path.join(out_dir, 'arange_f4_v2.npy'), 'wb') as f:
        np.lib.format.write_array(f, base.astype('<f4'), version=(2, 0))


def make_tar_cases(out_dir):
    """Archives as Python's tarfile writes them in its three formats (GNU long
    names and link names, pax names and a global header, ustar name prefixes,
    directories, links), each with tarfile's own listing of its regular files:
    name, data offset and size. pax_size.tar holds a member whose ustar size
    field is zero and whose size is in a pax record, as writers store members of
    8 GiB or more."""
    import io
    import tarfile
    os.makedirs(out_dir, exist_ok=True)
    long_path = 'd' * 60 + '/' + 'e' * 60 + '/b.cls'  # fits ustar's prefix and name fields
    long_name = 'n' * 150 + '.jpg'  # needs a GNU name record or a pax path
    entries = [('dir', None, tarfile.DIRTYPE, ''), ('dir/a.jpg', b'x' * 700, tarfile.REGTYPE, ''),
               (long_path, b'7', tarfile.REGTYPE, ''), ('dir/link', None, tarfile.SYMTYPE, 'a.jpg'),
               ('dir/far', None, tarfile.SYMTYPE, 'l' * 120), (long_name, b'y' * 1000, tarfile.REGTYPE, ''),
               ('caf\u00e9.jpg', b'z' * 3, tarfile.REGTYPE, ''), ('empty.cls', b'', tarfile.REGTYPE, '')]

    def write(name, fmt, members, **kw):
        with tarfile.open(os.path.join(out_dir, name + '.tar'), 'w', format=fmt, **kw) as tar:
            for path, data, kind, link in members:
                info = tarfile.TarInfo(path)
                info.type, info.linkname, info.mtime = kind, link, 1700000000
                info.size = len(data) if data is not None else 0
                tar.addfile(info, io.BytesIO(data) if data is not None else None)

    def listing(name):
        with tarfile.open(os.path.join(out_dir, name + '.tar')) as tar:
            rows = [{'name': m.name, 'offset': m.offset_data, 'size': m.size} for m in tar.getmembers() if m.isreg()]
        with open(os.path.join(out_dir, name + '.json'), 'w') as f:
            json.dump(rows, f)

    write('gnu', tarfile.GNU_FORMAT, entries)
    write('pax', tarfile.PAX_FORMAT, entries, pax_headers={'comment': 'a global header'})
    write('ustar', tarfile.USTAR_FORMAT, [e for e in entries if e[0] != long_name and len(e[3]) <= 100])
    for name in ('gnu', 'pax', 'ustar'):
        listing(name)
    # The size in a pax record, the ustar field zeroed and the header's checksum made good again.
    path = os.path.join(out_dir, 'pax_size.tar')
    with tarfile.open(path, 'w', format=tarfile.PAX_FORMAT) as tar:
        for k, data in enumerate((b'p' * 600, b'q' * 10)):
            info = tarfile.TarInfo(f'big{k}.jpg')
            info.size, info.mtime = len(data), 1700000000
            info.pax_headers = {'size': str(len(data))}
            tar.addfile(info, io.BytesIO(data))
    with tarfile.open(path) as tar:
        header = tar.getmembers()[0].offset_data - 512
    raw = bytearray(open(path, 'rb').read())
    raw[header + 124:header + 136] = b'00000000000\0'
    raw[header + 148:header + 156] = b' ' * 8
    raw[header + 148:header + 156] = b'%06o\0 ' % sum(raw[header:header + 512])
    open(path, 'wb').write(bytes(raw))
    listing('pax_size')


class HistoryBuffer:
    """Stands in for mmengine's HistoryBuffer: an object holding numpy values."""

    def __init__(self):
        self._log_history = np.array([0.5, 0.25, 0.125])
        self._count_history = np.array([1, 1, 1])
        self.max_length = 1000000
        self.last = np.float64(0.125)


def _register_as_mmengine():
    """Pickles HistoryBuffer under mmengine's module path, as real training
    checkpoints name it, without mmengine installed."""
    import types
    path = 'mmengine.logging.history_buffer'
    parts = path.split('.')
    for i in range(1, len(parts) + 1):
        sys.modules.setdefault('.'.join(parts[:i]), types.ModuleType('.'.join(parts[:i])))
    sys.modules[path].HistoryBuffer = HistoryBuffer
    HistoryBuffer.__module__ = path


_register_as_mmengine()


def checkpoint_objects():
    """The object tree every checkpoint fixture holds. Tensors are arange(24)
    in (2, 3, 4) in each dtype (complex ones with imaginary part -a/2 - 1), so
    the C++ side can rebuild them by hand."""
    import argparse
    import collections
    arange = torch.arange(24).reshape(2, 3, 4)
    tensors = {name: arange.to(dtype) for name, dtype in [
        ('float32', torch.float32), ('float64', torch.float64), ('float16', torch.float16),
        ('bfloat16', torch.bfloat16), ('int8', torch.int8), ('int16', torch.int16),
        ('int32', torch.int32), ('int64', torch.int64), ('uint8', torch.uint8)]}
    for name, dtype in [('complex64', torch.float32), ('complex128', torch.float64)]:
        tensors[name] = torch.complex(arange.to(dtype), -0.5 * arange.to(dtype) - 1)
    tensors['bool'] = arange % 3 == 0
    base = arange.float()
    views = {
        'base': base,
        'slice': base[:, 1:3],         # non-contiguous, offset into base's storage
        'transposed': base.transpose(0, 2),
        'row': base[1, 2],             # 1-D view with an offset
        'scalar': torch.tensor(7.5),
        'empty': torch.zeros(0, 3),
    }
    module = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2))
    with torch.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_(torch.arange(p.numel()).reshape(p.shape) + i)
    state_dict = module.state_dict()  # OrderedDict with _metadata
    meta = {'epoch': 12, 'iter': 34567, 'cfg': "model = dict(type='ImageClassifier')\n", 'seed': 1234,
            'experiment_name': 'hornet-tiny_8xb128_in1k', 'time': '20220915_120000',
            'mmengine_version': '0.10.4', 'dataset_meta': {'classes': ('cat', 'dog')}}
    args = argparse.Namespace(model='hornet_tiny_gf', lr=4e-3, drop_path=0.2, model_ema=True,
                              input_size=224)
    return {
        'tensors': tensors,
        'views': views,
        'param': torch.nn.Parameter(torch.ones(2, 2)),
        'state_dict': state_dict,
        'meta': meta,
        'args': args,
        'message_hub': {'log_scalars': {'train/loss': HistoryBuffer()}},
        'scalars': {'big': 2 ** 70, 'neg_big': -(2 ** 70), 'int64_max': 2 ** 63 - 1, 'negative': -5,
                    'float': 1.5, 'text': 'h\u00e9llo', 'bytes': b'\x00\xff', 'none': None,
                    'true': True, 'tuple': (1, 'a'), 'set': {3}, 'frozenset': frozenset({4}),
                    'ordered': collections.OrderedDict([('z', 1), ('a', 2)])},
        'nested': [[[[[['deep']]]]]],
    }


def make_checkpoint_cases(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    obj = checkpoint_objects()
    for name, kwargs in [('zip_p2', {}), ('zip_p4', {'pickle_protocol': 4}),
                         ('zip_p5', {'pickle_protocol': 5}),
                         ('legacy_p2', {'_use_new_zipfile_serialization': False}),
                         ('legacy_p4', {'_use_new_zipfile_serialization': False, 'pickle_protocol': 4})]:
        torch.save(obj, os.path.join(out_dir, f'objects_{name}.pth'), **kwargs)


def official_key(key):
    """mmpretrain name -> official repository name (docs/model.md §10.3)."""
    if key.startswith('head.fc.'):
        return 'head.' + key[len('head.fc.'):]
    key = key[len('backbone.'):]
    if key.startswith('norm3.'):
        return 'norm.' + key[len('norm3.'):]
    key = key.replace('gnconv.projs.', 'gnconv.pws.')
    for g in ('gamma1', 'gamma2'):
        if key.endswith(f'.{g}.weight'):
            key = key[:-len('.weight')]
    return key


def randomized(spec, num_classes, seed):
    model = hornet_ref.Classifier(spec, num_classes)
    hornet_ref.randomize_(model, torch.Generator().manual_seed(seed))
    return model.eval()


@torch.no_grad()
def make_checkpoint_models(out_dir):
    """HorNet weights in every layout the loader accepts, with reference logits.

    tiny_gf_mmpretrain.pth   legacy format, flat OrderedDict (mmpretrain's published files)
    tiny_gf_official.pth     zip, official training checkpoint: model, model_ema, optimizer,
                             scaler, epoch, argparse args
    small_mmengine.pth       zip, mmengine training checkpoint with EMAHook's swap
    small_22k.pth            30-class head; small_class_map.pth picks 10 of its rows
    """
    import argparse
    import collections
    os.makedirs(out_dir, exist_ok=True)

    def sd_of(model, rename=None, prefix=''):
        return collections.OrderedDict(
            (prefix + (rename(k) if rename else k), v.clone()) for k, v in model.state_dict().items())

    spec = hornet_ref.arch_spec('tiny-gf')
    raw, ema = randomized(spec, 1000, 7), randomized(spec, 1000, 8)
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(9))
    save(os.path.join(out_dir, 'tiny_gf_input.npy'), x)
    save(os.path.join(out_dir, 'tiny_gf_logits.npy'), raw(x))
    save(os.path.join(out_dir, 'tiny_gf_logits_ema.npy'), ema(x))
    torch.save(sd_of(raw), os.path.join(out_dir, 'tiny_gf_mmpretrain.pth'), _use_new_zipfile_serialization=False)
    first = next(iter(raw.parameters()))
    official = {
        'model': sd_of(raw, official_key),
        'model_ema': sd_of(ema, official_key),
        'optimizer': {'state': {0: {'step': torch.tensor(10.0), 'exp_avg': torch.zeros_like(first)}},
                      'param_groups': [{'lr': 4e-3, 'weight_decay': 0.05, 'params': [0]}]},
        'epoch': 'best',
        'scaler': {'scale': 65536.0, 'growth_factor': 2.0, '_growth_tracker': 0},
        'args': argparse.Namespace(model='hornet_tiny_gf', lr=4e-3, drop_path=0.2, model_ema=True),
    }
    torch.save(official, os.path.join(out_dir, 'tiny_gf_official.pth'))

    small = custom(16, [1, 1, 2, 1], [DW7, DW7, ('gf', 4, 3), ('gf', 2, 2)])
    with open(os.path.join(out_dir, 'small_arch.json'), 'w') as f:
        json.dump({k: (list(map(list, v)) if k == 'mixers' else v) for k, v in small.items()}, f)
    xs = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(10))
    save(os.path.join(out_dir, 'small_input.npy'), xs)
    s_raw, s_ema = randomized(small, 10, 11), randomized(small, 10, 12)
    save(os.path.join(out_dir, 'small_logits.npy'), s_raw(xs))
    save(os.path.join(out_dir, 'small_logits_ema.npy'), s_ema(xs))
    ema_state = sd_of(s_raw, prefix='module.')
    ema_state['steps'] = torch.tensor(1234)
    torch.save({'meta': {'epoch': 3, 'iter': 300, 'mmengine_version': '0.10.4'},
                'state_dict': sd_of(s_ema),  # EMAHook swaps the EMA weights in before saving
                'ema_state_dict': ema_state,
                'message_hub': {'log_scalars': {'train/loss': HistoryBuffer()}},
                'optimizer': {'state': {}, 'param_groups': [{'lr': 1e-3}]}},
               os.path.join(out_dir, 'small_mmengine.pth'))

    # A 30-class head sliced to 10 classes through an index map.
    big = randomized(small, 30, 13)
    class_map = torch.tensor([29, 0, 7, 3, 15, 22, 8, 1, 27, 11], dtype=torch.int64)
    torch.save(class_map, os.path.join(out_dir, 'small_class_map.pth'))
    torch.save(sd_of(big), os.path.join(out_dir, 'small_22k.pth'))
    save(os.path.join(out_dir, 'small_logits_mapped.npy'), big(xs)[:, class_map])

    # GF filters made for another size: the reference resizes them itself.
    resized = randomized(small, 10, 14)
    sd = resized.state_dict()
    other = {k: torch.randn(v.shape[0], v.shape[1] + 3, v.shape[2] + 2, 2, generator=torch.Generator().manual_seed(15))
             if k.endswith('complex_weight') else v.clone() for k, v in sd.items()}
    torch.save(other, os.path.join(out_dir, 'small_other_filters.pth'))
    for k, v in other.items():
        if k.endswith('complex_weight'):
            planes = torch.nn.functional.interpolate(v.permute(3, 0, 1, 2), size=sd[k].shape[1:3],
                                                     mode='bilinear', align_corners=True)
            sd[k].copy_(planes.permute(1, 2, 3, 0))
    save(os.path.join(out_dir, 'small_logits_resized.npy'), resized(xs))


SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data'
MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)
STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)


def mmpretrain_eval(data):
    """mmpretrain's test pipeline in Python: cv2 decode (BGR), ResizeEdge(256,
    pillow bicubic), CenterCrop(224), then the data preprocessor's to_rgb and
    normalisation. Returns (decoded RGB, crop RGB uint8, normalised CHW float32)."""
    import cv2
    from PIL import Image
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    h, w = bgr.shape[:2]
    if w < h:
        width, height = 256, int(256 * h / w)
    else:
        height, width = 256, int(256 * w / h)
    resized = np.array(Image.fromarray(bgr).resize((width, height), Image.BICUBIC))
    y1 = max(0, int(round((height - 224) / 2.)))
    x1 = max(0, int(round((width - 224) / 2.)))
    crop = resized[y1:y1 + 224, x1:x1 + 224]
    rgb = np.ascontiguousarray(crop[..., ::-1])
    chw = torch.from_numpy(rgb.copy()).permute(2, 0, 1).float()
    normed = (chw - torch.from_numpy(MEAN).view(3, 1, 1)) / torch.from_numpy(STD).view(3, 1, 1)
    return np.ascontiguousarray(bgr[..., ::-1]), rgb, normed.numpy()


def square_eval(data, size=384):
    """The official protocol at 384 and above: the whole image resized to a
    square with Pillow's bicubic filter, no crop. Returns RGB uint8 HWC."""
    import cv2
    from PIL import Image
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    resized = np.array(Image.fromarray(bgr).resize((size, size), Image.BICUBIC))
    return np.ascontiguousarray(resized[..., ::-1])


def make_png_cases(out_dir, rgb):
    """PNG files of every colour type and depth libpng reads (written by Pillow
    and OpenCV), with what OpenCV's imdecode(IMREAD_COLOR) makes of each, RGB
    order; one with a damaged ancillary chunk, which decodes with a warning."""
    import io
    import zlib

    import cv2
    from PIL import Image, PngImagePlugin
    os.makedirs(out_dir, exist_ok=True)
    # scikit-image's photographs carry the "known incorrect" sRGB profile that
    # libpng warns about: one case keeps it, the others are written without.
    profiled = rgb
    rgb = Image.fromarray(np.asarray(rgb))

    def pil(im, **kw):
        buf = io.BytesIO()
        im.save(buf, 'PNG', **kw)
        return buf.getvalue()

    def cv(array):
        ok, buf = cv2.imencode('.png', array)
        assert ok
        return buf.tobytes()

    pixels = np.asarray(rgb)
    wide = pixels.astype(np.uint16) * 257 + np.arange(pixels.size, dtype=np.uint16).reshape(pixels.shape) % 251
    info = PngImagePlugin.PngInfo()
    info.add_text('Comment', 'a text chunk whose checksum is broken below')
    text = bytearray(pil(rgb, pnginfo=info))
    at = text.index(b'tEXt') + 8  # a byte of the chunk's data: its CRC no longer matches
    text[at] ^= 0x20
    palette = rgb.convert('P', palette=Image.ADAPTIVE, colors=17)
    cases = {
        'rgb8.png': pil(rgb),
        'rgb16.png': cv(wide[..., ::-1].copy()),
        'gray1.png': pil(rgb.convert('1')),
        'gray8.png': pil(rgb.convert('L')),
        'gray16.png': cv(wide[..., 1].copy()),
        'palette_trns.png': pil(palette, transparency=3),
        'rgba.png': pil(rgb.convert('RGBA').point(lambda v: v // 2 + 10)),
        'gray_alpha.png': pil(rgb.convert('LA')),
        'bad_text_crc.png': bytes(text),
        'bad_iccp.png': pil(profiled, icc_profile=profiled.info['icc_profile']),
    }
    assert zlib.crc32(bytes(text)) != zlib.crc32(pil(rgb, pnginfo=info))
    for name, data in cases.items():
        with open(os.path.join(out_dir, name), 'wb') as f:
            f.write(data)
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        np.save(os.path.join(out_dir, name[:-4] + '.decoded.npy'), np.ascontiguousarray(bgr[..., ::-1]))


def make_image_cases(out_dir):
    """Photographs (scikit-image's data set) as JPEGs of varied and odd sizes, a
    grayscale one, a CMYK one, EXIF-rotated ones and a PNG named .JPEG, each with
    what OpenCV decodes and what mmpretrain's evaluation pipeline makes of it;
    plus random images resized by Pillow."""
    import io
    from PIL import Image
    os.makedirs(out_dir, exist_ok=True)

    def photo(name):
        return Image.open(os.path.join(SKIMAGE_DATA, name))

    def jpeg(im, **kw):
        buf = io.BytesIO()
        im.save(buf, 'JPEG', quality=90, **kw)
        return buf.getvalue()

    def exif(orientation):
        e = Image.Exif()
        e[0x0112] = orientation
        return e

    cases = {
        'astronaut_511x383.jpg': jpeg(photo('astronaut.png').crop((0, 60, 511, 443))),
        'chelsea_451x300.jpg': jpeg(photo('chelsea.png')),
        'coffee_600x400.jpg': jpeg(photo('coffee.png')),
        'motorcycle_301x497.jpg': jpeg(photo('motorcycle_left.png').crop((200, 1, 501, 498))),
        'camera_gray_333x257.jpg': jpeg(photo('camera.png').crop((50, 100, 383, 357))),
        'chelsea_small_203x151.jpg': jpeg(photo('chelsea.png').resize((203, 151), Image.BICUBIC)),
        'chelsea_cmyk.jpg': jpeg(photo('chelsea.png').convert('CMYK')),
        'coffee_exif6.jpg': jpeg(photo('coffee.png').crop((0, 0, 389, 265)), exif=exif(6)),
        'coffee_exif3.jpg': jpeg(photo('coffee.png').crop((10, 10, 410, 310)), exif=exif(3)),
        'coffee_exif8.jpg': jpeg(photo('coffee.png').crop((10, 10, 310, 410)), exif=exif(8)),
        'coffee_png.JPEG': (lambda b: (photo('coffee.png').save(b, 'PNG'), b.getvalue())[1])(io.BytesIO()),
        'rocket_640x427.jpg': open(os.path.join(SKIMAGE_DATA, 'rocket.jpg'), 'rb').read(),
        'hubble_1000x872.jpg': open(os.path.join(SKIMAGE_DATA, 'hubble_deep_field.jpg'), 'rb').read(),
    }
    for name, data in cases.items():
        with open(os.path.join(out_dir, name), 'wb') as f:
            f.write(data)
        decoded, crop, normed = mmpretrain_eval(data)
        stem = name.rsplit('.', 1)[0]
        np.save(os.path.join(out_dir, stem + '.decoded.npy'), decoded)
        np.save(os.path.join(out_dir, stem + '.crop.npy'), crop)
        np.save(os.path.join(out_dir, stem + '.normalized.npy'), normed)
        np.save(os.path.join(out_dir, stem + '.square384.npy'), square_eval(data))
    make_png_cases(os.path.join(out_dir, 'png'), photo('chelsea.png').crop((0, 0, 97, 61)))
    # Broken files, as real datasets hold them.
    broken = os.path.join(out_dir, 'broken')
    os.makedirs(broken, exist_ok=True)
    good = cases['chelsea_451x300.jpg']
    for name, data in {'zero_bytes.jpg': b'', 'garbage.jpg': b'this is not an image' * 10,
                       'truncated_header.jpg': good[:40], 'truncated_half.jpg': good[:len(good) // 2],
                       'skimage_truncated.jpg': open(os.path.join(SKIMAGE_DATA, 'truncated.jpg'), 'rb').read()
                       }.items():
        with open(os.path.join(broken, name), 'wb') as f:
            f.write(data)

    # RandAugment's pixel ops, by Pillow itself (ImageOps, ImageEnhance) on a photo crop.
    from PIL import ImageEnhance, ImageOps
    aug = os.path.join(out_dir, 'augment')
    os.makedirs(aug, exist_ok=True)
    src = photo('astronaut.png').crop((100, 40, 324, 264)).convert('RGB')
    low = src.point(lambda i: 40 + i // 3)  # a narrow range, so autocontrast has work to do
    np.save(os.path.join(aug, 'input.npy'), np.array(src))
    np.save(os.path.join(aug, 'input_low.npy'), np.array(low))
    ops = {
        'autocontrast_low': ImageOps.autocontrast(low), 'equalize': ImageOps.equalize(src),
        'equalize_low': ImageOps.equalize(low), 'invert': ImageOps.invert(src),
        'posterize_1': ImageOps.posterize(src, 1), 'posterize_4': ImageOps.posterize(src, 4),
        'solarize_26': ImageOps.solarize(src, 26), 'solarize_128': ImageOps.solarize(src, 128),
        'solarize_add_99': src.point([min(255, i + 99) if i < 128 else i for i in range(256)] * 3),
        'gray': src.convert('L'),
    }
    for name, cls in [('color', ImageEnhance.Color), ('contrast', ImageEnhance.Contrast),
                      ('brightness', ImageEnhance.Brightness), ('sharpness', ImageEnhance.Sharpness)]:
        for factor in (0.1, 0.55, 1.9):
            ops[f'{name}_{factor}'] = cls(src).enhance(factor)
    for name, im in ops.items():
        np.save(os.path.join(aug, name + '.npy'), np.array(im))

    # Pillow resampling on random images, both filters, up and down, odd sizes.
    rng = np.random.default_rng(5)
    resize = os.path.join(out_dir, 'resize')
    os.makedirs(resize, exist_ok=True)
    for i, ((w, h), (ow, oh), channels) in enumerate([
            ((37, 23), (224, 224), 3), ((500, 375), (341, 256), 3), ((13, 1000), (7, 301), 3),
            ((451, 300), (256, 170), 3), ((640, 427), (1, 1), 3), ((101, 99), (101, 50), 3),
            ((64, 64), (64, 200), 1), ((333, 257), (224, 224), 3)]):
        img = rng.integers(0, 256, size=(h, w, channels) if channels > 1 else (h, w), dtype=np.uint8)
        np.save(os.path.join(resize, f'{i}_in.npy'), img)
        for filt, tag in [(Image.BICUBIC, 'bicubic'), (Image.BILINEAR, 'bilinear')]:
            out = np.array(Image.fromarray(img).resize((ow, oh), filt))
            np.save(os.path.join(resize, f'{i}_{tag}.npy'), out)


def official_layer_id(name):
    """The official get_num_layer_for_hornet on an mmpretrain name (docs/training.md)."""
    name = name[len('backbone.'):] if name.startswith('backbone.') else name
    parts = name.split('.')
    if parts[0] == 'downsample_layers':
        stage = int(parts[1])
        return 0 if stage == 0 else (12 if stage == 3 else stage + 1)
    if parts[0] == 'stages':
        stage, block = int(parts[1]), int(parts[2])
        if stage <= 1:
            return stage + 1
        return min(3 + block // 2, 11) if stage == 2 else 12
    return 13


def cosine_schedule(base, final, epochs, steps_per_epoch, warmup_epochs, start_warmup=0.0):
    """The official utils.cosine_scheduler."""
    warmup_iters = int(warmup_epochs * steps_per_epoch)
    warmup = np.linspace(start_warmup, base, warmup_iters) if warmup_epochs > 0 else np.array([])
    iters = np.arange(epochs * steps_per_epoch - warmup_iters)
    rest = np.array([final + 0.5 * (base - final) * (1 + np.cos(np.pi * i / len(iters))) for i in iters])
    return np.concatenate((warmup, rest))


def make_training_case(out_dir):
    """40 micro-batches (accumulation 2: 20 AdamW steps) of the recipe's step,
    computed with torch.optim.AdamW and the official schedule, groups, clipping
    and EMA; the C++ TrainStep must reproduce the losses, LRs and weights."""
    import copy
    os.makedirs(out_dir, exist_ok=True)
    spec = custom(8, [1, 1, 2, 1], [DW7, DW7, ('gf', 4, 3), ('gf', 2, 2)])
    cfg = dict(lr=1e-3, weight_decay=0.05, eps=1e-8, betas=[0.9, 0.999], layer_decay=0.8, clip_grad=1.0,
               accumulation=2, epochs=4, warmup_epochs=1, min_lr=1e-5, ema_decay=0.9, steps_per_epoch=5)
    yaml = f"""model:
  arch: {{base_dim: 8, depths: [1, 1, 2, 1], mixers: [dw7, dw7, gf4x3, gf2x2], image_size: 64}}
  num_classes: 5
  drop_path_rate: 0.0
optim: {{lr: {cfg['lr']}, weight_decay: {cfg['weight_decay']}, eps: {cfg['eps']}, layer_decay: {cfg['layer_decay']},
        clip_grad: {cfg['clip_grad']}, total_batch: {4 * cfg['accumulation']}}}
data: {{train: {{batch_size: 4}}}}
schedule: {{epochs: {cfg['epochs']}, warmup_epochs: {cfg['warmup_epochs']}, min_lr: {cfg['min_lr']}}}
ema: {{enabled: true, decay: {cfg['ema_decay']}}}
"""
    with open(os.path.join(out_dir, 'config.yaml'), 'w') as f:
        f.write(yaml)
    gen = torch.Generator().manual_seed(21)
    model = hornet_ref.Classifier(spec, 5)
    hornet_ref.randomize_(model, gen)
    model.train()
    for key, tensor in model.state_dict().items():
        save(os.path.join(out_dir, 'initial', key + '.npy'), tensor)
    ema = copy.deepcopy(model)
    groups = {}
    for name, p in model.named_parameters():
        no_decay = p.dim() == 1 or name.endswith('.bias')
        lid = official_layer_id(name)
        key = (lid, no_decay)
        if key not in groups:
            groups[key] = dict(params=[], weight_decay=0.0 if no_decay else cfg['weight_decay'],
                               lr_scale=cfg['layer_decay'] ** (13 - lid))
        groups[key]['params'].append(p)
    opt = torch.optim.AdamW(list(groups.values()), lr=cfg['lr'], betas=tuple(cfg['betas']), eps=cfg['eps'])
    schedule = cosine_schedule(cfg['lr'], cfg['min_lr'], cfg['epochs'], cfg['steps_per_epoch'], cfg['warmup_epochs'])
    losses, lrs = [], []
    step = 0
    for micro in range(40):
        x = torch.randn(4, 3, 64, 64, generator=gen)
        t = torch.softmax(3 * torch.randn(4, 5, generator=gen), dim=1)
        save(os.path.join(out_dir, 'batches', f'{micro:02d}_x.npy'), x)
        save(os.path.join(out_dir, 'batches', f'{micro:02d}_t.npy'), t)
        if micro % cfg['accumulation'] == 0:
            for g in opt.param_groups:
                g['lr'] = schedule[step] * g['lr_scale']
            lrs.append(schedule[step])
        loss = torch.sum(-t * torch.log_softmax(model(x), dim=-1), dim=-1).mean()
        losses.append(loss.item())
        (loss / cfg['accumulation']).backward()
        if (micro + 1) % cfg['accumulation'] == 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg['clip_grad'])
            opt.step()
            opt.zero_grad()
            with torch.no_grad():
                msd = model.state_dict()
                for k, v in ema.state_dict().items():
                    v.copy_(v * cfg['ema_decay'] + (1. - cfg['ema_decay']) * msd[k].detach())
            step += 1
    np.save(os.path.join(out_dir, 'losses.npy'), np.array(losses))
    np.save(os.path.join(out_dir, 'lrs.npy'), np.array(lrs))
    for key, tensor in model.state_dict().items():
        save(os.path.join(out_dir, 'final', key + '.npy'), tensor)
    for key, tensor in ema.state_dict().items():
        save(os.path.join(out_dir, 'final_ema', key + '.npy'), tensor)


def generator_key():
    """What the fixtures depend on: this folder's sources and the versions of
    the libraries that compute them."""
    import hashlib
    import PIL
    import cv2
    import skimage
    digest = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    for name in sorted(os.listdir(here)):
        if name.endswith('.py'):
            with open(os.path.join(here, name), 'rb') as f:
                digest.update(name.encode() + b'\0' + f.read())
    for module in (torch, np, cv2, skimage, PIL):
        digest.update(f'{module.__name__} {module.__version__}\n'.encode())
    return digest.hexdigest()[:16]


def from_cache(out, cache):
    """Fills `out` from `cache` (hard links) when the cache holds this
    generator's fixtures; otherwise returns a function that stores them there."""
    import shutil
    entry = os.path.join(cache, generator_key())
    if os.path.exists(os.path.join(entry, '.complete')):
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(entry, out, copy_function=os.link)
        print(f'fixtures: reused {entry} (same generator sources and library versions)')
        return None
    # Generate afresh: files linked from another cache entry must not be rewritten in place.
    shutil.rmtree(out, ignore_errors=True)

    def store():
        staging = f'{entry}.{os.getpid()}'
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(out, staging, copy_function=os.link)
        open(os.path.join(staging, '.complete'), 'w').close()
        try:
            os.rename(staging, entry)
            print(f'fixtures: cached in {entry}')
        except OSError:  # another run stored the same fixtures first
            shutil.rmtree(staging, ignore_errors=True)
    return store


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True, help='output directory')
    parser.add_argument('--cases', nargs='*', default=None, help='model cases to write (default: all)')
    parser.add_argument('--threads', type=int, default=os.cpu_count())
    parser.add_argument('--cache', default=os.environ.get('HORNET_FIXTURE_CACHE'),
                        help='folder of fixture sets keyed by the hash of this generator and its libraries '
                             '(default: $HORNET_FIXTURE_CACHE; none: always generate)')
    args = parser.parse_args()
    store = None
    if args.cache and args.cases is None:
        store = from_cache(args.out, args.cache)
        if store is None:
            return
    torch.set_num_threads(args.threads)
    make_npy_cases(os.path.join(args.out, 'npy'))
    make_tar_cases(os.path.join(args.out, 'tar'))
    make_checkpoint_cases(os.path.join(args.out, 'checkpoints'))
    make_checkpoint_models(os.path.join(args.out, 'checkpoints'))
    make_image_cases(os.path.join(args.out, 'images'))
    make_training_case(os.path.join(args.out, 'training'))
    for i, (name, (spec, zoo, shape, classes, checks)) in enumerate(CASES.items()):
        if args.cases is not None and name not in args.cases:
            continue
        start = time.time()
        make_model_case(os.path.join(args.out, 'models'), name, spec, zoo, shape, classes, checks, seed=1000 + i)
        print(f'fixture {name}: {time.time() - start:.1f} s', flush=True)
    if store:
        store()


if __name__ == '__main__':
    main()
