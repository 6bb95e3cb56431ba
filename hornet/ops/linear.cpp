#include "hornet/ops/linear.h"

#include "hornet/ops/autocast.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

namespace hornet::ops {

namespace {

// x [..., W, C] seen as an NCHW tensor [B, C, 1, W] in channels-last memory,
// B = the product of the leading axes.
int64_t leading_rows(const at::Tensor& x) {
  int64_t rows = 1;
  for (int64_t d = 0; d + 2 < x.dim(); ++d) rows *= x.size(d);
  return rows;
}

}  // namespace

bool linear_uses_onednn(const at::Tensor& x, const at::Tensor& weight) {
  // LibTorch hands a 1x1 convolution to oneDNN only for a batch of 16 or more
  // when it runs on one thread (convolution's own heuristic); below that it
  // would fall back to per-sample BLAS products.
  return at::hasMKLDNN() && at::globalContext().userEnabledMkldnn() && x.device().is_cpu() &&
         x.layout() == at::kStrided && x.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat &&
         !autocast_enabled(c10::DeviceType::CPU) && x.dim() >= 3 && x.is_contiguous() && weight.dim() == 2 &&
         x.size(-1) == weight.size(1) && x.numel() > 0 && (leading_rows(x) >= 16 || at::get_num_threads() > 1);
}

at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (!linear_uses_onednn(x, weight) || (bias.defined() && bias.scalar_type() != at::kFloat)) {
    return torch::linear(x, weight, bias);
  }
  const int64_t in = x.size(-1), out = weight.size(0), width = x.size(-2), rows = leading_rows(x);
  const auto nchw = x.view({rows, 1, width, in}).permute({0, 3, 1, 2});
  const auto y = torch::conv2d(nchw, weight.view({out, in, 1, 1}), bias);
  auto shape = x.sizes().vec();
  shape.back() = out;
  // y is [B, out, 1, W] in channels-last memory, i.e. [B, 1, W, out] contiguous.
  return y.permute({0, 2, 3, 1}).reshape(shape);
}

}  // namespace hornet::ops
