#!/usr/bin/env python3
"""Seed corpora for the libFuzzer targets, written with Debian's python3-torch.

    make_corpus.py OUT_DIR   ->  OUT_DIR/{pickle,zip,torch_file,npy}/
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
    n = 0
    for i, obj in enumerate(objects()):
        tensors = isinstance(obj, dict) and any(isinstance(v, torch.Tensor) or isinstance(v, dict) for v in obj.values())
        for proto in range(0, 6):
            if not tensors:
                try:
                    data = pickle.dumps(obj, protocol=proto)
                except Exception:
                    continue
                open(os.path.join(out, 'pickle', f'{i}_p{proto}.pkl'), 'wb').write(data)
                n += 1
        for proto in (2, 4, 5):
            buf = io.BytesIO()
            torch.save(obj, buf, pickle_protocol=proto)
            data = buf.getvalue()
            open(os.path.join(out, 'torch_file', f'{i}_zip_p{proto}.pth'), 'wb').write(data)
            open(os.path.join(out, 'zip', f'{i}_p{proto}.zip'), 'wb').write(data)
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                pkl = [name for name in z.namelist() if name.endswith('data.pkl')][0]
                open(os.path.join(out, 'pickle', f'{i}_torch_p{proto}.pkl'), 'wb').write(z.read(pkl))
            buf = io.BytesIO()
            torch.save(obj, buf, pickle_protocol=proto, _use_new_zipfile_serialization=False)
            open(os.path.join(out, 'torch_file', f'{i}_legacy_p{proto}.pth'), 'wb').write(buf.getvalue())
            n += 4
    for i, arr in enumerate([np.arange(6, dtype='<f4').reshape(2, 3), np.array(3.0), np.zeros((0, 2), '>i8'),
                             np.asfortranarray(np.ones((2, 2), 'u1')), np.array([True])]):
        np.save(os.path.join(out, 'npy', f'{i}.npy'), arr)
        n += 1
    print(f'make_corpus: {n} seeds in {out}')


if __name__ == '__main__':
    main()
