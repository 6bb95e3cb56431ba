// Depthwise convolution on the CPU: forward, input gradient and weight/bias
// gradients, one H x W plane at a time.
//
// Each plane is copied into a zero-bordered buffer of width Wp = W + K - 1
// and then treated as one flat array: output element t = y * Wp + x needs
// input elements t + i * Wp + j, so every tap is one long contiguous loop
// (the Wp - W columns past each row's end are computed and dropped). On the
// 14x14 and 7x7 planes of HorNet's later stages a per-row loop would be too
// short to vectorise; the flat one is not. The input gradient is the same
// correlation of the bordered output gradient with the kernel turned by 180
// degrees, and the weight gradient a dot product per tap between the
// bordered input and the output gradient (whose dropped columns read as
// zeros in the bordered buffer). Forward work is split over planes, backward
// work over channels, so no two threads write the same weight gradient.
//
// Planes may be stored in bf16 (CPU autocast): they are widened to float when
// copied into the bordered buffers and narrowed when the results are written
// out, so the arithmetic is always float and no separate cast passes run.
#include "hornet/ops/depthwise_conv.h"

#include "hornet/ops/autocast.h"
#include "hornet/ops/cpu_clones.h"

#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace hornet::ops {

namespace {

/// A plane with K/2 zeros on every side, row width W + K - 1, and K - 1 more
/// zeros at the end so that the flat loops may read past the last row.
struct BorderedPlane {
  std::vector<float> data;
  int64_t width = 0;

  template <typename T>
  void fill(const T* plane, int64_t h, int64_t w, int64_t k) {
    const int64_t p = k / 2;
    width = w + k - 1;
    data.assign(static_cast<size_t>((h + k - 1) * width + k - 1), 0.0f);
    for (int64_t y = 0; y < h; ++y) {
      float* row = data.data() + (y + p) * width + p;
      const T* src = plane + y * w;
      if constexpr (std::is_same_v<T, float>) {
        std::memcpy(row, src, static_cast<size_t>(w) * sizeof(float));
      } else {
        for (int64_t x = 0; x < w; ++x) row[x] = static_cast<float>(src[x]);
      }
    }
  }
  /// Element (0, 0) of the unbordered plane.
  const float* origin(int64_t k) const { return data.data() + (k / 2) * width + k / 2; }
};

template <int K>
[[gnu::always_inline]] inline void correlate_fixed(const float* __restrict in, int64_t width,
                                                   const float* __restrict w, float b, float* __restrict out,
                                                   int64_t len) {
  for (int64_t t = 0; t < len; ++t) out[t] = b;
  for (int i = 0; i < K; ++i) {
    const float* __restrict row = in + i * width;
    const float* __restrict wi = w + i * K;
    for (int64_t t = 0; t < len; ++t) {
      float acc = out[t];
      for (int j = 0; j < K; ++j) acc += wi[j] * row[t + j];
      out[t] = acc;
    }
  }
}

/// out[t] = b + sum_ij w[i, j] * in[t + i * width + j] for t < len.
HORNET_CPU_CLONES void correlate(const float* in, int64_t width, const float* w, float b, float* out, int64_t len,
                                 int k) {
  switch (k) {
    case 3:
      correlate_fixed<3>(in, width, w, b, out, len);
      return;
    case 7:
      correlate_fixed<7>(in, width, w, b, out, len);
      return;
    default:
      for (int64_t t = 0; t < len; ++t) out[t] = b;
      for (int i = 0; i < k; ++i) {
        for (int j = 0; j < k; ++j) {
          const float wij = w[i * k + j];
          const float* __restrict src = in + i * width + j;
          float* __restrict o = out;
          for (int64_t t = 0; t < len; ++t) o[t] += wij * src[t];
        }
      }
  }
}

/// sums[i * k + j] += sum_t g[t] * in[t + i * width + j] and *bias_sum += sum_t g[t], t < len. The partial
/// sums are kept in kLanes independent accumulators, which the compiler turns into vector registers.
HORNET_CPU_CLONES void accumulate_weight_grad(const float* in, int64_t width, const float* g, int64_t len, int k,
                                              float* sums, float* bias_sum) {
  constexpr int kLanes = 16;
  float bias_acc[kLanes] = {};
  int64_t body = len - len % kLanes;
  for (int64_t t = 0; t < body; t += kLanes) {
    for (int l = 0; l < kLanes; ++l) bias_acc[l] += g[t + l];
  }
  float total = 0.0f;
  for (int l = 0; l < kLanes; ++l) total += bias_acc[l];
  for (int64_t t = body; t < len; ++t) total += g[t];
  *bias_sum += total;

  for (int i = 0; i < k; ++i) {
    const float* __restrict row = in + i * width;
    for (int j = 0; j < k; ++j) {
      const float* __restrict src = row + j;
      float acc[kLanes] = {};
      for (int64_t t = 0; t < body; t += kLanes) {
        for (int l = 0; l < kLanes; ++l) acc[l] += g[t + l] * src[t + l];
      }
      float s = 0.0f;
      for (int l = 0; l < kLanes; ++l) s += acc[l];
      for (int64_t t = body; t < len; ++t) s += g[t] * src[t];
      sums[i * k + j] += s;
    }
  }
}

// Planes: [N, C, H, W] with unit stride along W and W along H.
bool planes_contiguous(const at::Tensor& t) { return t.stride(3) == 1 && t.stride(2) == t.size(3); }

/// Copies the first w of every `width` floats of `flat` (h rows) into `plane`.
template <typename T>
void drop_border_columns(const float* flat, int64_t width, int64_t h, int64_t w, T* plane) {
  for (int64_t y = 0; y < h; ++y) {
    if constexpr (std::is_same_v<T, float>) {
      std::memcpy(plane + y * w, flat + y * width, static_cast<size_t>(w) * sizeof(float));
    } else {
      for (int64_t x = 0; x < w; ++x) plane[y * w + x] = static_cast<T>(flat[y * width + x]);
    }
  }
}

/// Calls f(In{}, Out{}) with the storage types of `in` and `out` (float or bf16).
template <typename F>
void dispatch_storage(at::ScalarType in, at::ScalarType out, F&& f) {
  const bool in_bf16 = in == at::kBFloat16, out_bf16 = out == at::kBFloat16;
  TORCH_CHECK((in == at::kFloat || in_bf16) && (out == at::kFloat || out_bf16),
              "depthwise_conv2d: storage types must be float32 or bf16, got ", in, " and ", out);
  if (in_bf16 && out_bf16) return f(c10::BFloat16{}, c10::BFloat16{});
  if (in_bf16) return f(c10::BFloat16{}, float{});
  if (out_bf16) return f(float{}, c10::BFloat16{});
  f(float{}, float{});
}

at::Tensor forward_cpu(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias,
                       at::ScalarType out_type) {
  const auto x = planes_contiguous(input) ? input : input.contiguous();
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), k = weight.size(3);
  auto out = at::empty({n, c, h, w}, x.options().dtype(out_type).memory_format(at::MemoryFormat::Contiguous));
  const auto wt = weight.contiguous();
  const auto bt = bias.defined() ? bias.contiguous() : at::Tensor();
  const float* wp = wt.data_ptr<float>();
  const float* bp = bt.defined() ? bt.data_ptr<float>() : nullptr;
  const int64_t sn = x.stride(0), sc = x.stride(1);
  dispatch_storage(x.scalar_type(), out_type, [&](auto in_tag, auto out_tag) {
    using In = decltype(in_tag);
    using Out = decltype(out_tag);
    const In* xp = x.data_ptr<In>();
    Out* op = out.data_ptr<Out>();
    at::parallel_for(0, n * c, 1, [&](int64_t begin, int64_t end) {
      BorderedPlane bordered;
      std::vector<float> flat;
      for (int64_t q = begin; q < end; ++q) {
        const int64_t ni = q / c, ci = q % c;
        bordered.fill(xp + ni * sn + ci * sc, h, w, k);
        flat.resize(static_cast<size_t>(h * bordered.width));
        correlate(bordered.data.data(), bordered.width, wp + ci * k * k, bp ? bp[ci] : 0.0f, flat.data(),
                  h * bordered.width, static_cast<int>(k));
        drop_border_columns(flat.data(), bordered.width, h, w, op + q * h * w);
      }
    });
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
  // The input's gradient in the input's type; the parameters' in theirs (float32).
  if (need_input) out.input = at::empty({n, c, h, w}, x.options().memory_format(at::MemoryFormat::Contiguous));
  if (need_weight) out.weight = at::zeros_like(wt);
  if (need_bias) out.bias = at::zeros({c}, wt.options());
  const float* wp = wt.data_ptr<float>();
  float* gwp = need_weight ? out.weight.data_ptr<float>() : nullptr;
  float* gbp = need_bias ? out.bias.data_ptr<float>() : nullptr;
  const int64_t sn = x.stride(0), sc = x.stride(1), taps = k * k;
  dispatch_storage(x.scalar_type(), g.scalar_type(), [&](auto x_tag, auto g_tag) {
    using X = decltype(x_tag);
    using G = decltype(g_tag);
    const X* xp = x.data_ptr<X>();
    const G* gp = g.data_ptr<G>();
    X* gip = need_input ? out.input.data_ptr<X>() : nullptr;
    at::parallel_for(0, c, 1, [&](int64_t begin, int64_t end) {
      BorderedPlane bordered_x, bordered_g;
      std::vector<float> flipped(static_cast<size_t>(taps)), sums(static_cast<size_t>(taps)), flat;
      for (int64_t ci = begin; ci < end; ++ci) {
        for (int64_t t = 0; t < taps; ++t) flipped[static_cast<size_t>(t)] = wp[ci * taps + taps - 1 - t];
        std::fill(sums.begin(), sums.end(), 0.0f);
        float bias_sum = 0.0f;
        for (int64_t ni = 0; ni < n; ++ni) {
          const int64_t plane = (ni * c + ci) * h * w;
          bordered_g.fill(gp + plane, h, w, k);
          const int64_t len = h * bordered_g.width;
          if (need_weight || need_bias) {
            bordered_x.fill(xp + ni * sn + ci * sc, h, w, k);
            accumulate_weight_grad(bordered_x.data.data(), bordered_x.width, bordered_g.origin(k), len,
                                   static_cast<int>(k), sums.data(), &bias_sum);
          }
          if (need_input) {
            flat.resize(static_cast<size_t>(len));
            correlate(bordered_g.data.data(), bordered_g.width, flipped.data(), 0.0f, flat.data(), len,
                      static_cast<int>(k));
            drop_border_columns(flat.data(), bordered_g.width, h, w, gip + plane);
          }
        }
        if (gwp) std::copy(sums.begin(), sums.end(), gwp + ci * taps);
        if (gbp) gbp[ci] = bias_sum;
      }
    });
  });
  return out;
}

class DepthwiseConv2dFunction : public torch::autograd::Function<DepthwiseConv2dFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const at::Tensor& bias_or_empty, at::ScalarType out_type) {
    const bool has_bias = bias_or_empty.numel() > 0;
    ctx->save_for_backward({x, weight});
    ctx->saved_data["has_bias"] = has_bias;
    return forward_cpu(x, weight, has_bias ? bias_or_empty : at::Tensor(), out_type);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    auto g = backward_cpu(grads[0], saved[0], saved[1], ctx->needs_input_grad(0), ctx->needs_input_grad(1),
                          has_bias && ctx->needs_input_grad(2));
    return {g.input, g.weight, g.bias, at::Tensor()};
  }
};

bool own_kernel_shape(const at::Tensor& x, const at::Tensor& weight) {
  return x.device().is_cpu() && x.layout() == at::kStrided && weight.scalar_type() == at::kFloat && x.dim() == 4 &&
         weight.dim() == 4 && weight.size(1) == 1 && weight.size(2) == weight.size(3) && weight.size(2) % 2 == 1 &&
         weight.size(0) == x.size(1);
}

// Under CPU autocast: float32 or the autocast type in (autocast's own conv
// accepts either and computes in the autocast type).
bool autocast_input(const at::Tensor& x) {
  return x.scalar_type() == at::kFloat || x.scalar_type() == autocast_dtype(c10::DeviceType::CPU);
}

}  // namespace

bool depthwise_conv2d_uses_own_kernel(const at::Tensor& x, const at::Tensor& weight) {
  if (!own_kernel_shape(x, weight)) return false;
  return autocast_enabled(c10::DeviceType::CPU) ? autocast_input(x) : x.scalar_type() == at::kFloat;
}

at::Tensor depthwise_conv2d(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (!depthwise_conv2d_uses_own_kernel(x, weight) || (bias.defined() && bias.scalar_type() != at::kFloat)) {
    const int64_t k = weight.size(-1);
    return torch::conv2d(x, weight, bias, /*stride=*/1, /*padding=*/k / 2, /*dilation=*/1, /*groups=*/x.size(1));
  }
  const auto b = bias.defined() ? bias : at::empty({0}, weight.options());
  if (!autocast_enabled(c10::DeviceType::CPU)) return DepthwiseConv2dFunction::apply(x, weight, b, at::kFloat);
  // Autocast would hand this conv to oneDNN in bf16, whose depthwise backward
  // (im2col + GEMM) took a third of a bf16 HorNet-T step. The kernel is
  // memory-bound: it reads bf16 planes, computes in float32 and writes
  // autocast's type, as autocast's conv2d would return it. Gradients come
  // back in each input's type.
  const auto type = autocast_dtype(c10::DeviceType::CPU);
  AutocastDisabledGuard no_autocast;
  if (type == at::kBFloat16) return DepthwiseConv2dFunction::apply(x, weight, b, type);
  return DepthwiseConv2dFunction::apply(x.to(at::kFloat), weight, b, at::kFloat).to(type);
}

}  // namespace hornet::ops
