// The channels-first LayerNorm of one spatial position, as both the CUDA
// kernels (layer_norm.cu) and their CPU twin (cpu_launchers.cpp) compute it.
// A position's C channels are read through a row (StridedRow: x[k * stride],
// stride H*W for NCHW, 1 for channels-last; InterleavedRow for the GF filter's
// two halves), so one code serves every layout.
//
//   mean = sum(x) / C, var = sum((x - mean)^2) / C, rstd = 1 / sqrt(var + eps)
//   y    = w * (x - mean) * rstd + b
//   dx   = rstd * (g - sum(g) / C - xhat * sum(g * xhat) / C),  g = dy * w
//   dw   = sum over positions of dy * xhat,  db = sum over positions of dy
//
// Acc is the accumulation type (float for float, bf16 and fp16 data; double
// for the double-precision gradient checks of the twin).
#pragma once

#include "hornet/ops/kernels/host_device.h"

#include <cstdint>

namespace hornet::ops::kernels {

/// A position's channels at p[k * stride]: NCHW (stride H*W) or channels-last (1).
template <typename T>
struct StridedRow {
  T* p;
  int64_t stride;
  template <typename Acc>
  HORNET_HD Acc load(int64_t k) const {
    return static_cast<Acc>(p[k * stride]);
  }
  template <typename Acc>
  HORNET_HD void store(int64_t k, Acc v) const {
    p[k * stride] = static_cast<T>(v);
  }
};

/// Channels 2k from `even` and 2k + 1 from `odd` (the GF filter's local and
/// global halves, interleaved), each with its own stride and type.
template <typename E, typename O>
struct InterleavedRow {
  E* even;
  O* odd;
  int64_t stride_even, stride_odd;
  template <typename Acc>
  HORNET_HD Acc load(int64_t k) const {
    return (k & 1) ? static_cast<Acc>(odd[(k >> 1) * stride_odd]) : static_cast<Acc>(even[(k >> 1) * stride_even]);
  }
  template <typename Acc>
  HORNET_HD void store(int64_t k, Acc v) const {
    if (k & 1) {
      odd[(k >> 1) * stride_odd] = static_cast<O>(v);
    } else {
      even[(k >> 1) * stride_even] = static_cast<E>(v);
    }
  }
};

template <typename Acc, typename Row>
HORNET_HD void ln_position_stats(const Row& x, int64_t c, Acc eps, Acc& mean, Acc& rstd) {
  Acc sum = 0;
  for (int64_t k = 0; k < c; ++k) sum += x.template load<Acc>(k);
  mean = sum / static_cast<Acc>(c);
  Acc var = 0;
  for (int64_t k = 0; k < c; ++k) {
    const Acc d = x.template load<Acc>(k) - mean;
    var += d * d;
  }
  rstd = hd_rsqrt(var / static_cast<Acc>(c) + eps);
}

template <typename Acc, typename XRow, typename W, typename YRow>
HORNET_HD void ln_position_forward(const XRow& x, const W* w, const W* b, const YRow& y, int64_t c, Acc mean,
                                   Acc rstd) {
  for (int64_t k = 0; k < c; ++k) {
    const Acc xhat = (x.template load<Acc>(k) - mean) * rstd;
    y.store(k, static_cast<Acc>(w[k]) * xhat + static_cast<Acc>(b[k]));
  }
}

template <typename Acc, typename XRow, typename GRow, typename W, typename DRow>
HORNET_HD void ln_position_backward(const XRow& x, const GRow& dy, const W* w, const DRow& dx, int64_t c, Acc mean,
                                    Acc rstd) {
  Acc sum_g = 0, sum_gx = 0;
  for (int64_t k = 0; k < c; ++k) {
    const Acc g = dy.template load<Acc>(k) * static_cast<Acc>(w[k]);
    sum_g += g;
    sum_gx += g * (x.template load<Acc>(k) - mean) * rstd;
  }
  const Acc inv_c = Acc(1) / static_cast<Acc>(c);
  for (int64_t k = 0; k < c; ++k) {
    const Acc g = dy.template load<Acc>(k) * static_cast<Acc>(w[k]);
    const Acc xhat = (x.template load<Acc>(k) - mean) * rstd;
    dx.store(k, rstd * (g - sum_g * inv_c - xhat * sum_gx * inv_c));
  }
}

/// One position's contribution to channel k's weight and bias gradients.
template <typename Acc>
HORNET_HD void ln_param_grad_term(Acc x, Acc dy, Acc mean, Acc rstd, Acc& dw, Acc& db) {
  dw += dy * (x - mean) * rstd;
  db += dy;
}

/// Where a tensor [N, C, H, W] keeps its elements, H and W flattened into one
/// position index (valid for NCHW and channels-last alike).
struct ChannelLayout {
  int64_t n = 0, c = 0, hw = 0;
  int64_t stride_n = 0, stride_c = 0, stride_pos = 0;
  HORNET_HD int64_t offset(int64_t ni, int64_t pos) const { return ni * stride_n + pos * stride_pos; }
};

// The weight and bias gradients sum every position of the batch per channel:
// at HorNet-T's first stage 64 channels over N * 56 * 56 positions, so one
// block per channel would leave most of a GPU idle. They are summed in two
// stages instead, in an order fixed by the shapes alone (no atomics, so a
// step's gradients do not depend on timing):
//   1. positions are cut into chunks of kParamChunk; within a chunk, lane l
//      of a channel sums positions l, l + kParamLanes, ... in order, and the
//      kParamLanes lane sums are added as a tree (ln_param_lane_tree);
//   2. each channel adds its chunks' partial sums in chunk order.
// A CUDA block covers one chunk of kParamChannels channels; the CPU twin runs
// the same chunks, lanes and tree in loops.
constexpr int64_t kParamChunk = 512;
constexpr int64_t kParamLanes = 8;
constexpr int64_t kParamChannels = 32;

HORNET_HD int64_t ln_param_chunks(int64_t positions) { return (positions + kParamChunk - 1) / kParamChunk; }

/// Accumulators (weight and bias partials, each chunks * C) the two stages need.
HORNET_HD int64_t ln_param_workspace_size(int64_t positions, int64_t channels) {
  return 2 * ln_param_chunks(positions) * channels;
}

/// Stage 1 for one lane: channel k's terms at positions chunk * kParamChunk + lane + j * kParamLanes.
/// `source.load(i, k, x, dy)` gives position i's input and output gradient of channel k.
template <typename Acc, typename Source>
HORNET_HD void ln_param_lane_sum(const Source& source, const Acc* mean, const Acc* rstd, int64_t positions,
                                 int64_t chunk, int64_t lane, int64_t k, Acc& dw, Acc& db) {
  const int64_t end = (chunk + 1) * kParamChunk < positions ? (chunk + 1) * kParamChunk : positions;
  for (int64_t i = chunk * kParamChunk + lane; i < end; i += kParamLanes) {
    Acc x, dy;
    source.load(i, k, x, dy);
    ln_param_grad_term<Acc>(x, dy, mean[i], rstd[i], dw, db);
  }
}

/// Stage 1's tree over the lanes: after the step for `half`, lane l < half holds lanes l and l + half.
template <typename Acc>
HORNET_HD void ln_param_tree_step(Acc* dw, Acc* db, int64_t lane, int64_t half) {
  dw[lane] += dw[lane + half];
  db[lane] += db[lane + half];
}

/// A LayerNorm's input and output gradient at position i, channel k (both laid out as `l`).
template <typename T>
struct LayerNormParamSource {
  const T* x;
  const T* dy;
  ChannelLayout l;
  template <typename Acc>
  HORNET_HD void load(int64_t i, int64_t k, Acc& xv, Acc& dyv) const {
    const int64_t at = l.offset(i / l.hw, i % l.hw) + k * l.stride_c;
    xv = static_cast<Acc>(x[at]);
    dyv = static_cast<Acc>(dy[at]);
  }
};

/// The GF post-norm's input (local and global interleaved) and output gradient (laid out as `ly`).
template <typename T>
struct InterleavedParamSource {
  const T* local;
  const T* global;
  const T* dy;
  ChannelLayout l, g, ly;
  template <typename Acc>
  HORNET_HD void load(int64_t i, int64_t k, Acc& xv, Acc& dyv) const {
    const int64_t n = i / ly.hw, pos = i % ly.hw;
    const InterleavedRow<const T, const T> row{local + l.offset(n, pos), global + g.offset(n, pos), l.stride_c,
                                               g.stride_c};
    xv = row.template load<Acc>(k);
    dyv = static_cast<Acc>(dy[ly.offset(n, pos) + k * ly.stride_c]);
  }
};

}  // namespace hornet::ops::kernels
