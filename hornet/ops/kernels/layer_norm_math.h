// The channels-first LayerNorm of one spatial position, as both the CUDA
// kernels (layer_norm.cu) and their CPU twin (layer_norm_twin.cpp) compute it.
// A position's C channels sit at x[k * stride], k < C: stride H*W for NCHW,
// 1 for channels-last, so one code serves both memory formats.
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

template <typename Acc, typename T>
HORNET_HD void ln_position_stats(const T* x, int64_t c, int64_t stride, Acc eps, Acc& mean, Acc& rstd) {
  Acc sum = 0;
  for (int64_t k = 0; k < c; ++k) sum += static_cast<Acc>(x[k * stride]);
  mean = sum / static_cast<Acc>(c);
  Acc var = 0;
  for (int64_t k = 0; k < c; ++k) {
    const Acc d = static_cast<Acc>(x[k * stride]) - mean;
    var += d * d;
  }
  rstd = hd_rsqrt(var / static_cast<Acc>(c) + eps);
}

template <typename Acc, typename T, typename W>
HORNET_HD void ln_position_forward(const T* x, const W* w, const W* b, T* y, int64_t c, int64_t stride, Acc mean,
                                   Acc rstd) {
  for (int64_t k = 0; k < c; ++k) {
    const Acc xhat = (static_cast<Acc>(x[k * stride]) - mean) * rstd;
    y[k * stride] = static_cast<T>(static_cast<Acc>(w[k]) * xhat + static_cast<Acc>(b[k]));
  }
}

template <typename Acc, typename T, typename W>
HORNET_HD void ln_position_backward(const T* x, const T* dy, const W* w, T* dx, int64_t c, int64_t stride, Acc mean,
                                    Acc rstd) {
  Acc sum_g = 0, sum_gx = 0;
  for (int64_t k = 0; k < c; ++k) {
    const Acc g = static_cast<Acc>(dy[k * stride]) * static_cast<Acc>(w[k]);
    sum_g += g;
    sum_gx += g * (static_cast<Acc>(x[k * stride]) - mean) * rstd;
  }
  const Acc inv_c = Acc(1) / static_cast<Acc>(c);
  for (int64_t k = 0; k < c; ++k) {
    const Acc g = static_cast<Acc>(dy[k * stride]) * static_cast<Acc>(w[k]);
    const Acc xhat = (static_cast<Acc>(x[k * stride]) - mean) * rstd;
    dx[k * stride] = static_cast<T>(rstd * (g - sum_g * inv_c - xhat * sum_gx * inv_c));
  }
}

/// One position's contribution to channel k's weight and bias gradients.
template <typename Acc, typename T>
HORNET_HD void ln_param_grad_term(T x, T dy, Acc mean, Acc rstd, Acc& dw, Acc& db) {
  const Acc g = static_cast<Acc>(dy);
  dw += g * (static_cast<Acc>(x) - mean) * rstd;
  db += g;
}

/// Where a tensor [N, C, H, W] keeps its elements, H and W flattened into one
/// position index (valid for NCHW and channels-last alike).
struct ChannelLayout {
  int64_t n = 0, c = 0, hw = 0;
  int64_t stride_n = 0, stride_c = 0, stride_pos = 0;
  HORNET_HD int64_t offset(int64_t ni, int64_t pos) const { return ni * stride_n + pos * stride_pos; }
};

}  // namespace hornet::ops::kernels
