#!/usr/bin/env python3
"""Checks, with Python's own torch.load, files that hornet wrote.

    check_saved.py written FILE            the tree tests/io/test_torch_file.cpp builds
    check_saved.py same ORIGINAL COPY      COPY holds what ORIGINAL holds (values,
                                           dtypes, strides, storage sharing)

Exits non-zero with a message on the first difference.
"""
import os
import sys
import zipfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures  # noqa: E402,F401  (registers the stand-in mmengine classes)


def fail(msg):
    raise SystemExit('check_saved: ' + msg)


def check_zip_layout(path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        if not any(n.endswith('/data.pkl') for n in names):
            fail(f'{path}: no data.pkl record: {names}')
        for info in z.infolist():
            if info.compress_type != zipfile.ZIP_STORED:
                fail(f'{info.filename} is compressed')
            # data offset = header offset + 30 + name + extra (local header)
            with open(path, 'rb') as f:
                f.seek(info.header_offset + 26)
                n, m = int.from_bytes(f.read(2), 'little'), int.from_bytes(f.read(2), 'little')
            if (info.header_offset + 30 + n + m) % 64:
                fail(f'{info.filename}: data not 64-byte aligned')
        if z.testzip() is not None:
            fail('CRC mismatch')


def arange(dtype):
    """arange(24) as (2, 3, 4); complex dtypes with imaginary part -a/2 - 1."""
    if dtype.is_complex:
        real = torch.arange(24).reshape(2, 3, 4).to(torch.float32 if dtype == torch.complex64 else torch.float64)
        return torch.complex(real, -0.5 * real - 1)
    return torch.arange(24).reshape(2, 3, 4).to(dtype)


def check_written(path):
    check_zip_layout(path)
    obj = torch.load(path)
    expect = {'float32': torch.float32, 'float64': torch.float64, 'float16': torch.float16,
              'bfloat16': torch.bfloat16, 'int8': torch.int8, 'int16': torch.int16, 'int32': torch.int32,
              'int64': torch.int64, 'uint8': torch.uint8, 'bool': torch.bool, 'complex64': torch.complex64,
              'complex128': torch.complex128}
    for name, dtype in expect.items():
        t = obj['tensors'][name]
        want = arange(torch.int64) % 3 == 0 if dtype == torch.bool else arange(dtype)
        if t.dtype != dtype or not torch.equal(t, want):
            fail(f'tensor {name}: {t.dtype} {t}')
    base, view = obj['base'], obj['view']
    if not torch.equal(view, arange(torch.float32)[:, 1:3].transpose(1, 2)):
        fail(f'view values {view}')
    if view.storage().data_ptr() != base.storage().data_ptr():
        fail('view does not share its base storage')
    base.add_(1)
    if not torch.equal(view, arange(torch.float32)[:, 1:3].transpose(1, 2) + 1):
        fail('view is not a view of base after loading')
    if obj['scalars'] != {'int': -7, 'big': 2 ** 70, 'neg_big': -(2 ** 80), 'float': 0.1, 'true': True,
                          'none': None, 'text': 'gr\u00fc\u00dfe', 'bytes': b'\x00\x80\xff'}:
        fail(f"scalars {obj['scalars']}")
    if obj['nested'] != [(1, 2, 3), [], {'k': [4.5]}, ()]:
        fail(f"nested {obj['nested']}")
    if obj['set'] != {5}:
        fail(f"set {obj['set']}")


def same(a, b, where):
    # hornet keeps tensors and dicts, not their subclasses: a Parameter comes
    # back as a Tensor, an OrderedDict without attributes as a dict.
    related = (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or \
        (isinstance(a, dict) and isinstance(b, dict))
    if type(a) is not type(b) and not related:
        fail(f'{where}: type {type(a).__name__} vs {type(b).__name__}')
    if isinstance(a, torch.Tensor):
        if a.dtype != b.dtype or a.shape != b.shape or a.stride() != b.stride() or not torch.equal(a, b):
            fail(f'{where}: tensors differ')
    elif isinstance(a, np.ndarray):
        if a.dtype != b.dtype or not np.array_equal(a, b):
            fail(f'{where}: arrays differ')
    elif isinstance(a, dict):
        if list(a.keys()) != list(b.keys()):
            fail(f'{where}: keys {list(a.keys())} vs {list(b.keys())}')
        for k in a:
            same(a[k], b[k], f'{where}.{k}')
        if getattr(a, '_metadata', None) != getattr(b, '_metadata', None):
            fail(f'{where}: _metadata differs')
    elif isinstance(a, (list, tuple)):
        if len(a) != len(b):
            fail(f'{where}: lengths differ')
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f'{where}[{i}]')
    elif hasattr(a, '__dict__') and not isinstance(a, type):
        same(vars(a), vars(b), f'{where}<{type(a).__name__}>')
    elif a != b:
        fail(f'{where}: {a!r} vs {b!r}')


def check_same(original, copy):
    check_zip_layout(copy)
    a, b = torch.load(original), torch.load(copy)
    same(a, b, 'root')
    # Views that shared a storage in the original still share it.
    va, vb = a['views'], b['views']
    if vb['slice'].storage().data_ptr() != vb['base'].storage().data_ptr():
        fail('views no longer share their storage')
    if vb['slice'].storage_offset() != va['slice'].storage_offset():
        fail('view offset changed')


def main():
    if sys.argv[1] == 'written':
        check_written(sys.argv[2])
    elif sys.argv[1] == 'same':
        check_same(sys.argv[2], sys.argv[3])
    else:
        fail('unknown mode ' + sys.argv[1])


if __name__ == '__main__':
    main()
