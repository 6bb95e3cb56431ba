// gnConv's gating, per element, as both the CUDA kernels (gating.cu) and
// their CPU twin (cpu_launchers.cpp) compute it. The depthwise (or GF) output
// `mixed` is scaled and split along channels into gates; each step multiplies
// a projection's output by its gate:
//   y_0 = pwa * (s * mixed[:, 0:d0]),  y_i = proj_i(y_{i-1}) * (s * mixed[:, o_i:o_i + d_i])
// and backward  da = dy * (s * g),  dg = (dy * a) * s, in the composite
// path's operation order.
#pragma once

#include "hornet/ops/kernels/host_device.h"
#include "hornet/ops/kernels/layer_norm_math.h"

#include <cstdint>

namespace hornet::ops::kernels {

template <typename Acc>
HORNET_HD Acc gate_of(Acc mixed, Acc scale) {
  return mixed * scale;
}

template <typename Acc>
HORNET_HD Acc gated(Acc a, Acc mixed, Acc scale) {
  return a * gate_of(mixed, scale);
}

template <typename Acc>
HORNET_HD void gated_backward(Acc a, Acc mixed, Acc scale, Acc dy, Acc& da, Acc& dmixed) {
  da = dy * gate_of(mixed, scale);
  dmixed = (dy * a) * scale;
}

/// Element i of a gating step in logical NCHW order (n, channel k < d, position):
/// its offsets in a/y (layout `l`, d channels) and in mixed (`m`, channels from `first`).
struct GateIndex {
  int64_t in_a, in_mixed;
  HORNET_HD GateIndex(int64_t i, const ChannelLayout& l, const ChannelLayout& m, int64_t first) {
    const int64_t pos = i % l.hw, k = (i / l.hw) % l.c, n = i / (l.hw * l.c);
    in_a = l.offset(n, pos) + k * l.stride_c;
    in_mixed = m.offset(n, pos) + (first + k) * m.stride_c;
  }
};

}  // namespace hornet::ops::kernels
