// Depthwise convolution on the CPU: forward, input gradient and weight/bias
// gradients, one H x W plane at a time.
//
// Each plane is copied into a zero-bordered buffer so that every tap reads a
// full row; the row loops then vectorise (the taps are unrolled for K = 3 and
// 7). The input gradient is the same correlation with the kernel turned by 180
// degrees. The weight gradient keeps one partial sum per tap and column, so
// its inner loop vectorises too, and reduces them once per channel. Forward
// work is split over planes, backward work over channels (a channel's weight
// gradient gathers all its planes, so no two threads write the same sums).
#include "hornet/ops/depthwise_conv.h"

#include "hornet/ops/autocast.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/nn/functional/conv.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace hornet::ops {

namespace {

// Built for AVX-512, AVX2 + FMA and the baseline; the loader picks one. (GCC
// only: the clang builds are the sanitizer and fuzzing ones.)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define HORNET_CPU_CLONES __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))
#else
#define HORNET_CPU_CLONES
#endif

/// A plane with K/2 zeros on every side.
struct PaddedPlane {
  std::vector<float> data;
  int64_t width = 0;  ///< W + K - 1

  void fill(const float* plane, int64_t h, int64_t w, int64_t k) {
    const int64_t p = k / 2;
    width = w + k - 1;
    data.assign(static_cast<size_t>((h + k - 1) * width), 0.0f);
    for (int64_t y = 0; y < h; ++y) {
      std::memcpy(data.data() + (y + p) * width + p, plane + y * w, static_cast<size_t>(w) * sizeof(float));
    }
  }
};

template <int K>
[[gnu::always_inline]] inline void correlate_fixed(const float* __restrict in, int64_t in_width,
                                                   const float* __restrict w, float b, float* __restrict out,
                                                   int64_t h, int64_t width) {
  for (int64_t y = 0; y < h; ++y) {
    float* __restrict o = out + y * width;
    for (int64_t x = 0; x < width; ++x) o[x] = b;
    for (int i = 0; i < K; ++i) {
      const float* __restrict r = in + (y + i) * in_width;
      const float* __restrict wi = w + i * K;
      for (int64_t x = 0; x < width; ++x) {
        float acc = o[x];
        for (int j = 0; j < K; ++j) acc += wi[j] * r[x + j];
        o[x] = acc;
      }
    }
  }
}

[[gnu::always_inline]] inline void correlate_any(const float* __restrict in, int64_t in_width,
                                                 const float* __restrict w, float b, float* __restrict out,
                                                 int64_t h, int64_t width, int k) {
  for (int64_t y = 0; y < h; ++y) {
    float* __restrict o = out + y * width;
    for (int64_t x = 0; x < width; ++x) o[x] = b;
    for (int i = 0; i < k; ++i) {
      const float* __restrict r = in + (y + i) * in_width;
      for (int j = 0; j < k; ++j) {
        const float wij = w[i * k + j];
        for (int64_t x = 0; x < width; ++x) o[x] += wij * r[x + j];
      }
    }
  }
}

/// out[y, x] = b + sum_ij w[i, j] * in[y + i, x + j], `in` padded by k - 1.
HORNET_CPU_CLONES void correlate(const float* in, int64_t in_width, const float* w, float b, float* out, int64_t h,
                                 int64_t width, int k) {
  switch (k) {
    case 3:
      correlate_fixed<3>(in, in_width, w, b, out, h, width);
      break;
    case 7:
      correlate_fixed<7>(in, in_width, w, b, out, h, width);
      break;
    default:
      correlate_any(in, in_width, w, b, out, h, width, k);
  }
}

/// sums[(i * k + j) * width + x] += sum_y g[y, x] * in[y + i, x + j]; bias_sums[x] += sum_y g[y, x].
HORNET_CPU_CLONES void accumulate_weight_grad(const float* in, int64_t in_width, const float* g, int64_t h,
                                              int64_t width, int k, float* sums, float* bias_sums) {
  for (int64_t y = 0; y < h; ++y) {
    const float* __restrict gr = g + y * width;
    float* __restrict bs = bias_sums;
    for (int64_t x = 0; x < width; ++x) bs[x] += gr[x];
    for (int i = 0; i < k; ++i) {
      const float* __restrict r = in + (y + i) * in_width;
      for (int j = 0; j < k; ++j) {
        float* __restrict s = sums + (i * k + j) * width;
        for (int64_t x = 0; x < width; ++x) s[x] += gr[x] * r[x + j];
      }
    }
  }
}

// Planes: [N, C, H, W] with unit stride along W and W along H.
bool planes_contiguous(const at::Tensor& t) { return t.stride(3) == 1 && t.stride(2) == t.size(3); }

at::Tensor forward_cpu(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias) {
  const auto x = planes_contiguous(input) ? input : input.contiguous();
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), k = weight.size(3);
  auto out = at::empty({n, c, h, w}, x.options().memory_format(at::MemoryFormat::Contiguous));
  const auto wt = weight.contiguous();
  const float* wp = wt.data_ptr<float>();
  const float* bp = bias.defined() ? bias.contiguous().data_ptr<float>() : nullptr;
  const float* xp = x.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const int64_t sn = x.stride(0), sc = x.stride(1);
  at::parallel_for(0, n * c, 1, [&](int64_t begin, int64_t end) {
    PaddedPlane padded;
    for (int64_t q = begin; q < end; ++q) {
      const int64_t ni = q / c, ci = q % c;
      padded.fill(xp + ni * sn + ci * sc, h, w, k);
      correlate(padded.data.data(), padded.width, wp + ci * k * k, bp ? bp[ci] : 0.0f, op + q * h * w, h, w,
                static_cast<int>(k));
    }
  });
  return out;
}

struct Grads {
  at::Tensor input, weight, bias;
};

Grads backward_cpu(const at::Tensor& grad_out, const at::Tensor& input, const at::Tensor& weight, bool need_input,
                   bool need_weight, bool need_bias) {
  const auto g = grad_out.contiguous();
  const auto x = planes_contiguous(input) ? input : input.contiguous();
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), k = weight.size(3);
  const auto wt = weight.contiguous();
  Grads out;
  if (need_input) out.input = at::empty({n, c, h, w}, g.options());
  if (need_weight) out.weight = at::empty_like(wt);
  if (need_bias) out.bias = at::empty({c}, g.options());
  const float* xp = x.data_ptr<float>();
  const float* gp = g.data_ptr<float>();
  const float* wp = wt.data_ptr<float>();
  float* gip = need_input ? out.input.data_ptr<float>() : nullptr;
  float* gwp = need_weight ? out.weight.data_ptr<float>() : nullptr;
  float* gbp = need_bias ? out.bias.data_ptr<float>() : nullptr;
  const int64_t sn = x.stride(0), sc = x.stride(1), taps = k * k;
  at::parallel_for(0, c, 1, [&](int64_t begin, int64_t end) {
    PaddedPlane padded;
    std::vector<float> flipped(static_cast<size_t>(taps));
    std::vector<float> sums, bias_sums;
    for (int64_t ci = begin; ci < end; ++ci) {
      if (need_weight || need_bias) {
        sums.assign(static_cast<size_t>(taps * w), 0.0f);
        bias_sums.assign(static_cast<size_t>(w), 0.0f);
        for (int64_t ni = 0; ni < n; ++ni) {
          padded.fill(xp + ni * sn + ci * sc, h, w, k);
          accumulate_weight_grad(padded.data.data(), padded.width, gp + (ni * c + ci) * h * w, h, w,
                                 static_cast<int>(k), sums.data(), bias_sums.data());
        }
        for (int64_t t = 0; t < taps && gwp; ++t) {
          float s = 0.0f;
          for (int64_t xi = 0; xi < w; ++xi) s += sums[static_cast<size_t>(t * w + xi)];
          gwp[ci * taps + t] = s;
        }
        if (gbp) {
          float s = 0.0f;
          for (float v : bias_sums) s += v;
          gbp[ci] = s;
        }
      }
      if (need_input) {
        for (int64_t t = 0; t < taps; ++t) flipped[static_cast<size_t>(t)] = wp[ci * taps + taps - 1 - t];
        for (int64_t ni = 0; ni < n; ++ni) {
          const int64_t plane = (ni * c + ci) * h * w;
          padded.fill(gp + plane, h, w, k);
          correlate(padded.data.data(), padded.width, flipped.data(), 0.0f, gip + plane, h, w, static_cast<int>(k));
        }
      }
    }
  });
  return out;
}

// Autograd's apply() cannot take an undefined tensor: no bias travels as an
// empty one.
class DepthwiseConv2dFunction : public torch::autograd::Function<DepthwiseConv2dFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const at::Tensor& bias_or_empty) {
    const bool has_bias = bias_or_empty.numel() > 0;
    ctx->save_for_backward({x, weight});
    ctx->saved_data["has_bias"] = has_bias;
    return forward_cpu(x, weight, has_bias ? bias_or_empty : at::Tensor());
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    auto g = backward_cpu(grads[0], saved[0], saved[1], ctx->needs_input_grad(0), ctx->needs_input_grad(1),
                          has_bias && ctx->needs_input_grad(2));
    return {g.input, g.weight, g.bias};
  }
};

}  // namespace

bool depthwise_conv2d_uses_own_kernel(const at::Tensor& x, const at::Tensor& weight) {
  // Under autocast conv2d changes dtype; leave that to LibTorch.
  return x.device().is_cpu() && x.layout() == at::kStrided && x.scalar_type() == at::kFloat &&
         weight.scalar_type() == at::kFloat && !autocast_enabled(c10::DeviceType::CPU) && x.dim() == 4 &&
         weight.dim() == 4 && weight.size(1) == 1 && weight.size(2) == weight.size(3) && weight.size(2) % 2 == 1 &&
         weight.size(0) == x.size(1);
}

at::Tensor depthwise_conv2d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (!depthwise_conv2d_uses_own_kernel(x, weight) || (bias.defined() && bias.scalar_type() != at::kFloat)) {
    const int64_t k = weight.size(-1);
    return torch::conv2d(x, weight, bias, /*stride=*/1, /*padding=*/k / 2, /*dilation=*/1, /*groups=*/x.size(1));
  }
  return DepthwiseConv2dFunction::apply(x, weight, bias.defined() ? bias : at::empty({0}, weight.options()));
}

}  // namespace hornet::ops
