#!/usr/bin/env python3
"""hornet-eval summary's FLOPs against fvcore's counter (tests/ecosystem/
requirements.txt) run the way the official repository's calc_flops.py runs it:
FlopCountAnalysis with its handler for aten::fft_rfft2 and aten::fft_irfft2,
which counts N * C * ceil(log2 N) after reading the input's sizes as
(B, H, W, C), so that N is channels times height of the [B, C, H, W] input.
The model counted is the Python reference model with its final norm as the
official model has it (an F.layer_norm over the pooled vector, which fvcore
counts; mmpretrain's channels-first formula is elementwise, which it does not).

    --flops official    equals fvcore's total, exactly;
    --flops mmpretrain  equals fvcore's convolutions and linear layers alone.

    test_flops.py BIN_DIR
"""
import os
import subprocess
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from fvcore.nn import FlopCountAnalysis

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'reference'))
sys.path.insert(0, os.path.join(here, '..', 'cli'))
import hornet_ref  # noqa: E402
from cli_common import Checks  # noqa: E402

BIN = sys.argv[1]
check = Checks()
warnings.filterwarnings('ignore')
torch.set_num_threads(2)


def official_fft_handler(inputs, outputs):
    batch, h, w, c = inputs[0].type().sizes()  # the official names for [B, C, H, W]
    n = h * w
    return n * c * np.ceil(np.log2(n))


class PooledLayerNorm(torch.nn.Module):
    """The official final norm: nn.LayerNorm on [N, C], here fed [N, C, 1, 1]."""

    def __init__(self, norm):
        super().__init__()
        self.norm = norm

    def forward(self, x):
        return F.layer_norm(x.flatten(1), (x.shape[1],), self.norm.weight, self.norm.bias, 1e-6)[:, :, None, None]


def fvcore_counts(arch, size):
    model = hornet_ref.Classifier(hornet_ref.arch_spec(arch), 1000).eval()
    model.backbone.norm3 = PooledLayerNorm(model.backbone.norm3)
    with torch.no_grad():
        analysis = FlopCountAnalysis(model, torch.randn(1, 3, size, size))
        analysis.set_op_handle(**{'aten::fft_rfft2': official_fft_handler, 'aten::fft_irfft2': official_fft_handler})
        analysis.unsupported_ops_warnings(False)
        analysis.uncalled_modules_warnings(False)
        return int(analysis.total()), {k: int(v) for k, v in analysis.by_operator().items()}


def hornet_flops(arch, size, convention):
    proc = subprocess.run([os.path.join(BIN, 'hornet-eval'), 'summary', '--arch', arch, '--image-size', str(size),
                           '--flops', convention, '--threads', '1'], capture_output=True, text=True)
    check(proc.returncode == 0, f'hornet-eval summary --arch {arch} --flops {convention} exits 0 {proc.stderr[-500:]}')
    lines = proc.stdout.splitlines()
    # The table's one row, then the per-stage breakdown, whose FLOPs must add up to it.
    total = int(lines[1].split()[-2])
    parts = [line.split() for line in lines[4:] if line.strip()]
    stages = sum(int(p[-2]) for p in parts)
    check(stages == total, f'{arch} at {size}, {convention}: the breakdown adds up to the total ({stages} vs {total})')
    return total


# tiny-gf and base-gf384 at their own sizes; tiny-gf at 256, where the official
# model resizes its filters (bilinear, counted by fvcore) on every forward.
for arch, size in (('tiny-gf', 224), ('base-gf384', 384), ('tiny-gf', 256)):
    total, ops = fvcore_counts(arch, size)
    print(f'fvcore {arch} at {size}: {total} ({ops})')
    official = hornet_flops(arch, size, 'official')
    check(official == total, f'{arch} at {size}: --flops official {official} == fvcore with the official FFT handler '
          f'{total}')
    mmpretrain = hornet_flops(arch, size, 'mmpretrain')
    convs_and_linears = ops.get('conv', 0) + ops.get('linear', 0)
    check(mmpretrain == convs_and_linears, f'{arch} at {size}: --flops mmpretrain {mmpretrain} == fvcore\'s conv + '
          f'linear {convs_and_linears}')
check.finish()
