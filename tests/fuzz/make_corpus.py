#!/usr/bin/env python3
"""Seed corpora for the libFuzzer targets, written with Debian's python3-torch.

    make_corpus.py OUT_DIR   ->  OUT_DIR/{pickle,zip,torch_file,npy,safetensors,tar}/

The corpus in tests/fuzz/corpus/, which scripts/fuzz.sh seeds the
targets from, was written by this script; regenerate it with

    rm -rf tests/fuzz/corpus && /usr/bin/python3 tests/fuzz/make_corpus.py tests/fuzz/corpus

Identical seeds of one target are written once and seeds over MAX_SEED bytes are
left out, so the corpus stays small. The legacy-format torch.save files are not
byte-for-byte reproducible (their storage keys vary between runs).
"""

import argparse
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch

MAX_SEED = 64 * 1024


def objects():
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    return [
        None, True, 7, -300, 2 ** 40, 2 ** 70, -(2 ** 80), 1.5, 'text', 'h\u00e9', b'\x00\xff', bytearray(b'ab'),
        (1, 2, 3), [1, [2, [3]]], {'a': 1, 2: 'b'}, {1, 2}, frozenset({3}),
        collections.OrderedDict(a=1), argparse.Namespace(lr=0.1, name='x'),
        {'state_dict': collections.OrderedDict(w=base, v=base[:, 1:3], t=base.t()),
         'meta': {'epoch': 3, 'classes': ('a', 'b')}},
        {'half': torch.ones(2, dtype=torch.float16), 'bf16': torch.ones(2, dtype=torch.bfloat16),
         'i64': torch.arange(3), 'bool': torch.tensor([True, False]), 'scalar': torch.tensor(2.5)},
        {'np': np.arange(3.0), 'np_scalar': np.float64(1.0)},
    ]


def safetensors_files():
    """(header, data) pairs laid out by the format's rules: dtypes, shapes
    (scalar, empty), metadata, and the padding the reference writer adds."""
    f32 = np.arange(6, dtype='<f4').tobytes()
    i64 = np.array([7, -1], '<i8').tobytes()
    f16 = np.ones(3, '<f2').tobytes()
    return [
        ({'w': {'dtype': 'F32', 'shape': [2, 3], 'data_offsets': [0, 24]}}, f32),
        ({'__metadata__': {'format': 'pt'}, 'w': {'dtype': 'F32', 'shape': [6], 'data_offsets': [0, 24]},
          'i': {'dtype': 'I64', 'shape': [2], 'data_offsets': [24, 40]}}, f32 + i64),
        ({'s': {'dtype': 'F16', 'shape': [], 'data_offsets': [0, 2]},
          'e': {'dtype': 'BF16', 'shape': [0, 4], 'data_offsets': [2, 2]},
          'h': {'dtype': 'F16', 'shape': [2], 'data_offsets': [2, 6]}}, f16),
        ({'b': {'dtype': 'BOOL', 'shape': [2], 'data_offsets': [0, 2]},
          'u': {'dtype': 'U8', 'shape': [1, 2], 'data_offsets': [2, 4]}}, b'\x01\x00\x05\x06'),
    ]


def safetensors_bytes(header, data, pad):
    text = json.dumps(header, separators=(',', ':')).encode()
    if pad:
        text += b' ' * (-len(text) % 8)
    return struct.pack('<Q', len(text)) + text + data


def tar_files():
    """Small shards in tarfile's three formats: key.jpg + key.cls samples, a long
    name, a directory and a link."""
    import tarfile
    for fmt in (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode='w', format=fmt) as tar:
            def add(name, data=None, kind=tarfile.REGTYPE, link=''):
                info = tarfile.TarInfo(name)
                info.type, info.linkname, info.mtime = kind, link, 1700000000
                info.size = len(data) if data is not None else 0
                tar.addfile(info, io.BytesIO(data) if data is not None else None)
            add('d', kind=tarfile.DIRTYPE)
            add('d/00000001.jpg', b'\xff\xd8\xff\xe0' + b'j' * 40)
            add('d/00000001.cls', b'2')
            add('d/l', kind=tarfile.SYMTYPE, link='00000001.jpg')
            if fmt != tarfile.USTAR_FORMAT:
                add('k' * 120 + '.png', b'\x89PNG\r\n\x1a\n' + b'p' * 20)
                add('k' * 120 + '.cls', b'0')
        yield buf.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('out')
    out = parser.parse_args().out
    for sub in ('pickle', 'zip', 'torch_file', 'npy', 'safetensors', 'tar'):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    seen = set()

    def write(sub, name, data):
        if len(data) > MAX_SEED or (sub, data) in seen:
            return 0
        seen.add((sub, data))
        with open(os.path.join(out, sub, name), 'wb') as f:
            f.write(data)
        return 1

    n = 0
    for i, obj in enumerate(objects()):
        tensors = isinstance(obj, dict) and any(isinstance(v, torch.Tensor) or isinstance(v, dict) for v in obj.values())
        for proto in range(0, 6):
            if not tensors:
                try:
                    data = pickle.dumps(obj, protocol=proto)
                except Exception:
                    continue
                n += write('pickle', f'{i}_p{proto}.pkl', data)
        for proto in (2, 4, 5):
            buf = io.BytesIO()
            torch.save(obj, buf, pickle_protocol=proto)
            data = buf.getvalue()
            n += write('torch_file', f'{i}_zip_p{proto}.pth', data)
            n += write('zip', f'{i}_p{proto}.zip', data)
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                pkl = [name for name in z.namelist() if name.endswith('data.pkl')][0]
                n += write('pickle', f'{i}_torch_p{proto}.pkl', z.read(pkl))
            buf = io.BytesIO()
            torch.save(obj, buf, pickle_protocol=proto, _use_new_zipfile_serialization=False)
            n += write('torch_file', f'{i}_legacy_p{proto}.pth', buf.getvalue())
    for i, arr in enumerate([np.arange(6, dtype='<f4').reshape(2, 3), np.array(3.0), np.zeros((0, 2), '>i8'),
                             np.asfortranarray(np.ones((2, 2), 'u1')), np.array([True])]):
        buf = io.BytesIO()
        np.save(buf, arr)
        n += write('npy', f'{i}.npy', buf.getvalue())
    # fuzz_safetensors reads a 2-byte data size, then the header text; whole
    # files seed the torch_file target, which opens either format.
    for i, (header, data) in enumerate(safetensors_files()):
        text = json.dumps(header, separators=(',', ':')).encode()
        n += write('safetensors', f'{i}.bin', struct.pack('<H', len(data)) + text)
        for pad in (False, True):
            n += write('torch_file', f'{i}_pad{int(pad)}.safetensors', safetensors_bytes(header, data, pad))
    for i, data in enumerate(tar_files()):
        n += write('tar', f'{i}.tar', data)
    print(f'make_corpus: {n} seeds in {out}')


if __name__ == '__main__':
    main()
