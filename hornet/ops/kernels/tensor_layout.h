// Describing a tensor to the kernels: its ChannelLayout, for the CPU twins
// here and the CUDA glue alike.
#pragma once

#include "hornet/ops/kernels/layer_norm_math.h"

#include <ATen/core/Tensor.h>

namespace hornet::ops::kernels {

/// Whether H and W of `t` [N, C, H, W] flatten into one position index with a
/// single stride (NCHW, channels-last, and channel slices of either).
inline bool has_channel_layout(const at::Tensor& t) { return t.dim() == 4 && t.stride(2) == t.size(3) * t.stride(3); }

/// `t` if it has a channel layout, else a copy in its suggested memory format.
inline at::Tensor with_channel_layout(const at::Tensor& t) {
  return has_channel_layout(t) ? t : t.contiguous(t.suggest_memory_format());
}

inline ChannelLayout channel_layout(const at::Tensor& t) {
  ChannelLayout l;
  l.n = t.size(0);
  l.c = t.size(1);
  l.hw = t.size(2) * t.size(3);
  l.stride_n = t.stride(0);
  l.stride_c = t.stride(1);
  l.stride_pos = t.stride(3);
  return l;
}

/// A new tensor shaped as `t`, in `t`'s memory format (without the gaps of a slice).
inline at::Tensor empty_like_format(const at::Tensor& t) {
  return at::empty(t.sizes(), t.options().memory_format(t.suggest_memory_format()));
}

}  // namespace hornet::ops::kernels
