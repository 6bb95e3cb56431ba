"""Reference HorNet in plain PyTorch, for producing test fixtures only.

Written from docs/model.md (sections 2-11): module names produce
mmpretrain's state-dict keys (backbone.*, head.fc.*). It runs under Debian's
python3-torch and is never used by the product.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

EPS = 1e-6

# arch name -> (base_dim, mixers); a mixer is ('dw', k) or ('gf', h, w)
_DW = ('dw', 7)
_GF224 = [_DW, _DW, ('gf', 14, 8), ('gf', 7, 4)]
_GF384 = [_DW, _DW, ('gf', 24, 13), ('gf', 12, 7)]
ZOO = {
    'tiny': (64, [_DW] * 4), 'tiny-gf': (64, _GF224),
    'small': (96, [_DW] * 4), 'small-gf': (96, _GF224),
    'base': (128, [_DW] * 4), 'base-gf': (128, _GF224), 'base-gf384': (128, _GF384),
    'large': (192, [_DW] * 4), 'large-gf': (192, _GF224), 'large-gf384': (192, _GF384),
}


def arch_spec(name):
    base_dim, mixers = ZOO[name]
    return dict(base_dim=base_dim, depths=[2, 3, 18, 2], orders=[2, 3, 4, 5], mixers=mixers)


class Norm(nn.Module):
    """LayerNorm over channels; 'first' = NCHW hand-written formula, 'last' = [..., C]."""

    def __init__(self, channels, layout, eps=EPS):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.layout = layout
        self.eps = eps

    def forward(self, x):
        if self.layout == 'last':
            return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)
        mu = x.mean(dim=1, keepdim=True)
        var = (x - mu).pow(2).mean(dim=1, keepdim=True)
        y = (x - mu) / torch.sqrt(var + self.eps)
        return self.weight[:, None, None] * y + self.bias[:, None, None]


class Scale(nn.Module):
    """Per-channel layer scale with a `.weight` parameter."""

    def __init__(self, channels, layout, value=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), value))
        self.layout = layout

    def forward(self, x):
        return x * (self.weight.view(-1, 1, 1) if self.layout == 'first' else self.weight)


class GlobalLocal(nn.Module):
    def __init__(self, channels, h, w, interleave=True):
        super().__init__()
        half = channels // 2
        self.dw = nn.Conv2d(half, half, 3, padding=1, groups=half, bias=False)
        self.complex_weight = nn.Parameter(torch.randn(half, h, w, 2) * 0.02)
        self.pre_norm = Norm(channels, 'first')
        self.post_norm = Norm(channels, 'first')
        self.interleave = interleave  # False plants a known porting bug (concat)

    def forward(self, x):
        x = self.pre_norm(x)
        local, glob = x.chunk(2, dim=1)
        local = self.dw(local)
        glob = glob.float()
        n, c, hh, ww = glob.shape
        spec = torch.fft.rfft2(glob, dim=(2, 3), norm='ortho')
        wgt = self.complex_weight
        if tuple(wgt.shape[1:3]) != tuple(spec.shape[2:4]):
            planes = wgt.permute(3, 0, 1, 2)
            planes = F.interpolate(planes, size=spec.shape[2:4], mode='bilinear', align_corners=True)
            wgt = planes.permute(1, 2, 3, 0)
        spec = spec * torch.view_as_complex(wgt.contiguous())
        glob = torch.fft.irfft2(spec, s=(hh, ww), dim=(2, 3), norm='ortho')
        if self.interleave:
            out = torch.stack([local, glob], dim=2).reshape(n, 2 * c, hh, ww)
        else:
            out = torch.cat([local, glob], dim=1)
        return self.post_norm(out)


class GnConv(nn.Module):
    def __init__(self, dim, order, mixer, scale=1.0 / 3.0):
        super().__init__()
        self.dims = [dim >> i for i in range(order)][::-1]
        total = sum(self.dims)
        self.proj_in = nn.Conv2d(dim, 2 * dim, 1)
        if mixer[0] == 'dw':
            k = mixer[1]
            self.dwconv = nn.Conv2d(total, total, k, padding=k // 2, groups=total, bias=True)
        else:
            self.dwconv = GlobalLocal(total, mixer[1], mixer[2])
        self.proj_out = nn.Conv2d(dim, dim, 1)
        self.projs = nn.ModuleList(nn.Conv2d(self.dims[i], self.dims[i + 1], 1) for i in range(order - 1))
        self.scale = scale

    def forward(self, x):
        x = self.proj_in(x)
        head, rest = torch.split(x, [self.dims[0], sum(self.dims)], dim=1)
        gates = torch.split(self.dwconv(rest) * self.scale, self.dims, dim=1)
        y = head * gates[0]
        for proj, gate in zip(self.projs, gates[1:]):
            y = proj(y) * gate
        return self.proj_out(y)


class DropPath(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = 1 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * (mask / keep if keep > 0 else mask)


class Block(nn.Module):
    def __init__(self, dim, order, mixer, drop_path=0.0, gelu='none'):
        super().__init__()
        self.norm1 = Norm(dim, 'first')
        self.gnconv = GnConv(dim, order, mixer)
        self.norm2 = Norm(dim, 'last')
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma1 = Scale(dim, 'first')
        self.gamma2 = Scale(dim, 'last')
        self.drop_path = DropPath(drop_path)
        self.gelu = gelu
        self.enabled = True  # False removes the block (sensitivity checks)

    def forward(self, x):
        if not self.enabled:
            return x
        x = x + self.drop_path(self.gamma1(self.gnconv(self.norm1(x))))
        y = self.norm2(x.permute(0, 2, 3, 1))
        y = self.pwconv2(F.gelu(self.pwconv1(y), approximate=self.gelu))
        y = self.gamma2(y).permute(0, 3, 1, 2)
        return x + self.drop_path(y)


class Backbone(nn.Module):
    def __init__(self, base_dim, depths, orders, mixers, drop_path_rate=0.0):
        super().__init__()
        dims = [base_dim << i for i in range(4)]
        self.downsample_layers = nn.ModuleList()
        self.downsample_layers.append(nn.Sequential(nn.Conv2d(3, dims[0], 4, stride=4), Norm(dims[0], 'first')))
        for i in range(1, 4):
            self.downsample_layers.append(
                nn.Sequential(Norm(dims[i - 1], 'first'), nn.Conv2d(dims[i - 1], dims[i], 2, stride=2)))
        rates = torch.linspace(0, drop_path_rate, sum(depths), device='cpu').tolist()
        self.stages = nn.ModuleList()
        k = 0
        for i in range(4):
            blocks = []
            for _ in range(depths[i]):
                blocks.append(Block(dims[i], orders[i], mixers[i], rates[k]))
                k += 1
            self.stages.append(nn.Sequential(*blocks))
        self.norm3 = Norm(dims[3], 'first')

    def forward(self, x):
        for down, stage in zip(self.downsample_layers, self.stages):
            x = stage(down(x))
        return self.norm3(x.mean(dim=(2, 3), keepdim=True)).flatten(1)


class Head(nn.Module):
    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x):
        return self.fc(x)


class Classifier(nn.Module):
    def __init__(self, spec, num_classes=1000, drop_path_rate=0.0):
        super().__init__()
        self.backbone = Backbone(spec['base_dim'], spec['depths'], spec['orders'],
                                 [tuple(m) for m in spec['mixers']], drop_path_rate)
        self.head = Head(spec['base_dim'] * 8, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))

    def blocks(self):
        return [b for stage in self.backbone.stages for b in stage]


@torch.no_grad()
def randomize_(model, generator):
    """Weights at which every part of the model matters (docs/model.md §12): convs and
    linears ~ 1/sqrt(fan_in) (2.5x that on the gnConv `projs`), small non-zero
    biases, norms around 1 +- 0.1, layer scales around 0.5, GF weights ~ 0.5 randn."""
    def randn(shape):
        return torch.randn(shape, generator=generator)

    for name, p in model.named_parameters():
        leaf = name.rsplit('.', 1)[-1]
        if 'gamma' in name:
            p.copy_(0.5 + 0.1 * randn(p.shape))
        elif leaf == 'complex_weight':
            p.copy_(0.5 * randn(p.shape))
        elif p.dim() == 1 and leaf == 'weight':  # norms
            p.copy_(1.0 + 0.1 * randn(p.shape))
        elif leaf == 'bias':
            p.copy_(0.05 * randn(p.shape))
        else:
            fan_in = p[0].numel()
            gain = 2.5 if '.projs.' in name else 1.0
            p.copy_(gain * randn(p.shape) / math.sqrt(fan_in))
