#!/usr/bin/env python3
"""Seed corpora for the libFuzzer targets, written with Debian's python3-torch.

    make_corpus.py OUT_DIR   ->  OUT_DIR/{pickle,zip,torch_file,npy}/

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
import os
import pickle
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('out')
    out = parser.parse_args().out
    for sub in ('pickle', 'zip', 'torch_file', 'npy'):
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
    print(f'make_corpus: {n} seeds in {out}')


if __name__ == '__main__':
    main()
