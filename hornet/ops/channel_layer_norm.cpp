// The fused channels-first LayerNorm on the CPU.
//
// Work is cut into fixed items: one sample and a block of up to kBlock spatial
// positions. An item walks the channels (stride H*W) keeping one running value
// per position, so every inner loop runs over contiguous positions and
// vectorises. Forward saves the mean and the denominator sqrt(s + eps) per
// position. Backward computes, per position, the channel means of g = dy * w
// and of g * xhat, then dx = (g - mean(g) - xhat * mean(g * xhat)) / denom;
// the weight and bias gradients are summed per item and then over items in a
// fixed order, so they do not depend on the thread count.
#include "hornet/ops/channel_layer_norm.h"

#include "hornet/ops/autocast.h"
#include "hornet/ops/cpu_clones.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace hornet::ops {

namespace {

constexpr int64_t kBlock = 256;  // spatial positions per work item
constexpr int kLanes = 16;       // independent partial sums, one vector register's worth

struct Shape {
  int64_t n, c, hw;
  int64_t blocks() const { return (hw + kBlock - 1) / kBlock; }
};

/// One item forward: x, y point at (n, channel 0, position s0); len positions.
HORNET_CPU_CLONES void forward_item(const float* x, const float* w, const float* b, float* y, float* mean_out,
                                    float* denom_out, int64_t c, int64_t hw, int64_t len, float eps) {
  float mean[kBlock], var[kBlock];
  for (int64_t s = 0; s < len; ++s) mean[s] = 0.0f;
  for (int64_t ci = 0; ci < c; ++ci) {
    const float* __restrict row = x + ci * hw;
    for (int64_t s = 0; s < len; ++s) mean[s] += row[s];
  }
  const float count = static_cast<float>(c);
  for (int64_t s = 0; s < len; ++s) {
    mean[s] /= count;
    var[s] = 0.0f;
  }
  for (int64_t ci = 0; ci < c; ++ci) {
    const float* __restrict row = x + ci * hw;
    for (int64_t s = 0; s < len; ++s) {
      const float d = row[s] - mean[s];
      var[s] += d * d;
    }
  }
  float* __restrict denom = denom_out;
  for (int64_t s = 0; s < len; ++s) denom[s] = std::sqrt(var[s] / count + eps);
  for (int64_t ci = 0; ci < c; ++ci) {
    const float* __restrict row = x + ci * hw;
    float* __restrict out = y + ci * hw;
    const float wc = w[ci], bc = b[ci];
    for (int64_t s = 0; s < len; ++s) out[s] = wc * ((row[s] - mean[s]) / denom[s]) + bc;
  }
  for (int64_t s = 0; s < len; ++s) mean_out[s] = mean[s];
}

/// One item backward. dw_part/db_part: this item's [C] partial weight and bias gradients.
HORNET_CPU_CLONES void backward_item(const float* x, const float* dy, const float* w, const float* mean,
                                     const float* denom, float* dx, float* dw_part, float* db_part, int64_t c,
                                     int64_t hw, int64_t len) {
  float g_mean[kBlock], gx_mean[kBlock], xhat[kBlock];
  for (int64_t s = 0; s < len; ++s) g_mean[s] = gx_mean[s] = 0.0f;
  const int64_t body = len - len % kLanes;
  for (int64_t ci = 0; ci < c; ++ci) {
    const float* __restrict xr = x + ci * hw;
    const float* __restrict gr = dy + ci * hw;
    const float wc = w[ci];
    for (int64_t s = 0; s < len; ++s) {
      xhat[s] = (xr[s] - mean[s]) / denom[s];
      g_mean[s] += gr[s] * wc;
      gx_mean[s] += gr[s] * wc * xhat[s];
    }
    float dw_acc[kLanes] = {}, db_acc[kLanes] = {};
    for (int64_t s = 0; s < body; s += kLanes) {
      for (int l = 0; l < kLanes; ++l) {
        dw_acc[l] += gr[s + l] * xhat[s + l];
        db_acc[l] += gr[s + l];
      }
    }
    float dw_sum = 0.0f, db_sum = 0.0f;
    for (int l = 0; l < kLanes; ++l) {
      dw_sum += dw_acc[l];
      db_sum += db_acc[l];
    }
    for (int64_t s = body; s < len; ++s) {
      dw_sum += gr[s] * xhat[s];
      db_sum += gr[s];
    }
    dw_part[ci] = dw_sum;
    db_part[ci] = db_sum;
  }
  const float count = static_cast<float>(c);
  for (int64_t s = 0; s < len; ++s) {
    g_mean[s] /= count;
    gx_mean[s] /= count;
  }
  for (int64_t ci = 0; ci < c; ++ci) {
    const float* __restrict xr = x + ci * hw;
    const float* __restrict gr = dy + ci * hw;
    float* __restrict out = dx + ci * hw;
    const float wc = w[ci];
    for (int64_t s = 0; s < len; ++s) {
      const float xh = (xr[s] - mean[s]) / denom[s];
      out[s] = (gr[s] * wc - g_mean[s] - xh * gx_mean[s]) / denom[s];
    }
  }
}

template <typename Fn>
void for_each_item(const Shape& sh, const Fn& fn) {
  const int64_t blocks = sh.blocks();
  at::parallel_for(0, sh.n * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / blocks, s0 = (item % blocks) * kBlock;
      fn(item, n, s0, std::min(kBlock, sh.hw - s0));
    }
  });
}

class ChannelLayerNormFunction : public torch::autograd::Function<ChannelLayerNormFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input, const at::Tensor& weight,
                            const at::Tensor& bias, double eps) {
    const auto x = input.contiguous();
    const auto w = weight.contiguous(), b = bias.contiguous();
    const Shape sh{x.size(0), x.size(1), x.size(2) * x.size(3)};
    auto y = at::empty_like(x, at::MemoryFormat::Contiguous);
    auto mean = at::empty({sh.n, sh.hw}, x.options());
    auto denom = at::empty({sh.n, sh.hw}, x.options());
    const float* xp = x.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    float* mp = mean.data_ptr<float>();
    float* dp = denom.data_ptr<float>();
    const float* wp = w.data_ptr<float>();
    const float* bp = b.data_ptr<float>();
    for_each_item(sh, [&](int64_t, int64_t n, int64_t s0, int64_t len) {
      const int64_t at = n * sh.c * sh.hw + s0;
      forward_item(xp + at, wp, bp, yp + at, mp + n * sh.hw + s0, dp + n * sh.hw + s0, sh.c, sh.hw, len,
                   static_cast<float>(eps));
    });
    ctx->save_for_backward({x, w, mean, denom});
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& w = saved[1];
    const auto dy = grads[0].contiguous();
    const Shape sh{x.size(0), x.size(1), x.size(2) * x.size(3)};
    const int64_t items = sh.n * sh.blocks();
    auto dx = at::empty_like(x, at::MemoryFormat::Contiguous);
    auto dw_parts = at::empty({items, sh.c}, x.options());
    auto db_parts = at::empty({items, sh.c}, x.options());
    const float* xp = x.data_ptr<float>();
    const float* gp = dy.data_ptr<float>();
    const float* wp = w.data_ptr<float>();
    const float* mp = saved[2].data_ptr<float>();
    const float* dp = saved[3].data_ptr<float>();
    float* dxp = dx.data_ptr<float>();
    float* dwp = dw_parts.data_ptr<float>();
    float* dbp = db_parts.data_ptr<float>();
    for_each_item(sh, [&](int64_t item, int64_t n, int64_t s0, int64_t len) {
      const int64_t at = n * sh.c * sh.hw + s0;
      backward_item(xp + at, gp + at, wp, mp + n * sh.hw + s0, dp + n * sh.hw + s0, dxp + at, dwp + item * sh.c,
                    dbp + item * sh.c, sh.c, sh.hw, len);
    });
    // Items in a fixed order, whatever the threads.
    auto dw = at::zeros({sh.c}, x.options());
    auto db = at::zeros({sh.c}, x.options());
    float* dw_out = dw.data_ptr<float>();
    float* db_out = db.data_ptr<float>();
    for (int64_t item = 0; item < items; ++item) {
      for (int64_t ci = 0; ci < sh.c; ++ci) {
        dw_out[ci] += dwp[item * sh.c + ci];
        db_out[ci] += dbp[item * sh.c + ci];
      }
    }
    return {dx, dw, db, at::Tensor()};
  }
};

}  // namespace

bool layer_norm_channels_first_fused(const at::Tensor& x) {
  if (!x.device().is_cpu() || x.layout() != at::kStrided || x.dim() != 4) return false;
  if (x.scalar_type() == at::kFloat) return true;
  return autocast_enabled(c10::DeviceType::CPU) && x.scalar_type() == autocast_dtype(c10::DeviceType::CPU);
}

at::Tensor layer_norm_channels_first(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                     double eps) {
  if (layer_norm_channels_first_fused(x) && weight.scalar_type() == at::kFloat &&
      bias.scalar_type() == at::kFloat) {
    // Autocast computes layer_norm in float32 and returns float32; so does
    // this, from an input in autocast's type too (the cast is differentiable).
    AutocastDisabledGuard no_autocast;
    return ChannelLayerNormFunction::apply(x.to(at::kFloat), weight, bias, eps);
  }
  // The reference's own sequence (biased variance, division by the square
  // root), so that results match it to the last bit.
  const auto u = x.mean(1, /*keepdim=*/true);
  const auto centered = x - u;
  const auto s = centered.pow(2).mean(1, /*keepdim=*/true);
  const auto y = centered / torch::sqrt(s + eps);
  return weight.view({-1, 1, 1}) * y + bias.view({-1, 1, 1});
}

}  // namespace hornet::ops
