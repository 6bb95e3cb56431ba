#include "hornet/ops/kernels/fused_ops.h"

#include "hornet/build_config.h"
#include "hornet/ops/kernels/launch.h"
#include "hornet/ops/kernels/tensor_layout.h"

#include <torch/autograd.h>
#include <torch/torch.h>

#include <atomic>
#include <numeric>

namespace hornet::ops::kernels {

#ifdef HORNET_WITH_CUDA
/// The current CUDA stream of `device` (cuda_stream.cpp, CUDA builds).
void* current_cuda_stream(c10::DeviceIndex device);
#endif

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

struct Backend {
  const Launchers* launchers;
  void* stream;
};

Backend backend_for(const at::Tensor& t) {
  if (t.is_cpu()) return {&cpu_launchers(), nullptr};
#ifdef HORNET_WITH_CUDA
  if (t.is_cuda()) return {&cuda_launchers(), current_cuda_stream(t.device().index())};
#endif
  TORCH_CHECK(false, "hornet's fused kernels: none for ", t.device(), " in this build");
}

DType dtype_of(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat: return DType::kFloat32;
    case at::kBFloat16: return DType::kBFloat16;
    case at::kHalf: return DType::kFloat16;
    case at::kDouble: return DType::kFloat64;
    default: TORCH_CHECK(false, "hornet's fused kernels: unsupported type ", t.scalar_type());
  }
}

// Weights, saved statistics and sums: float, or double for double activations.
at::TensorOptions accumulation(const at::Tensor& t) {
  return t.options().dtype(t.scalar_type() == at::kDouble ? at::kDouble : at::kFloat);
}

void check(int code, const Backend& b, const char* kernel, const at::Tensor& t) {
  TORCH_CHECK(code == 0, "hornet's ", b.launchers->name, " kernel ", kernel, " failed for ", t.scalar_type(), " ",
              t.sizes(), code == kUnsupported ? " (type not supported by this backend)" : " (error " +
              std::to_string(code) + ")");
}

// Dense in its suggested memory format (NCHW or channels-last).
at::Tensor dense(const at::Tensor& t) { return t.contiguous(t.suggest_memory_format()); }

bool is_reduced(at::ScalarType t) { return t == at::kBFloat16 || t == at::kHalf; }

// The type two activations are computed in together. Autocast's pairs, a
// reduced type (bf16 or fp16) with float32, are computed in float32, as the
// composite path's product or concatenation promotes them (the GF filter
// turns autocast off, so its float32 output meets autocast's bf16 in the
// gating and the interleave). Any other mix (float64 with a lower precision,
// bf16 with fp16) is a caller's bug, refused rather than silently promoted.
at::ScalarType activation_type(const char* op, const at::Tensor& a, const at::Tensor& b) {
  const auto ta = a.scalar_type(), tb = b.scalar_type();
  if (ta == tb) return ta;
  if ((ta == at::kFloat && is_reduced(tb)) || (tb == at::kFloat && is_reduced(ta))) return at::kFloat;
  TORCH_CHECK(false, "hornet's fused ", op, ": inputs of types ", ta, " and ", tb,
              " cannot be mixed (only float32 with bfloat16 or float16, autocast's pairs, are computed together, in "
              "float32)");
}

// Every launch reads and writes its activations as one type (launch.h): the
// last guard against a kernel reading a buffer as another type.
void check_one_type(const char* kernel, std::initializer_list<at::Tensor> tensors) {
  const auto type = tensors.begin()->scalar_type();
  for (const auto& t : tensors) {
    TORCH_CHECK(t.scalar_type() == type, "hornet's fused kernel ", kernel, ": activations of types ", type, " and ",
                t.scalar_type(), " in one launch");
  }
}

// The stage-1 partial sums of a LayerNorm's parameter gradients (layer_norm_math.h).
at::Tensor param_workspace(const at::Tensor& like, int64_t positions, int64_t channels) {
  return at::empty({ln_param_workspace_size(positions, channels)}, like.options());
}

class LayerNormFunction : public torch::autograd::Function<LayerNormFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& input, const at::Tensor& weight,
                            const at::Tensor& bias, double eps) {
    const auto x = dense(input);
    const auto opts = accumulation(x);
    const auto w = weight.to(opts).contiguous(), b = bias.to(opts).contiguous();
    const auto l = channel_layout(x);
    auto y = at::empty_like(x);
    auto mean = at::empty({l.n * l.hw}, opts), rstd = at::empty({l.n * l.hw}, opts);
    const auto be = backend_for(x);
    check(be.launchers->layer_norm_forward(dtype_of(x), x.data_ptr(), w.data_ptr(), b.data_ptr(), y.data_ptr(),
                                           mean.data_ptr(), rstd.data_ptr(), l, eps, be.stream),
          be, "layer_norm_forward", x);
    ctx->save_for_backward({x, w, mean, rstd});
    ctx->saved_data["types"] = std::vector<int64_t>{static_cast<int64_t>(weight.scalar_type()),
                                                    static_cast<int64_t>(bias.scalar_type())};
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1], &mean = saved[2], &rstd = saved[3];
    const auto dy = at::empty_like(x).copy_(grads[0]);  // laid out as x
    auto dx = at::empty_like(x);
    auto dw = at::empty({x.size(1)}, w.options()), db = at::empty({x.size(1)}, w.options());
    const auto l = channel_layout(x);
    auto workspace = param_workspace(w, l.n * l.hw, l.c);
    const auto be = backend_for(x);
    check(be.launchers->layer_norm_backward(dtype_of(x), x.data_ptr(), dy.data_ptr(), w.data_ptr(), mean.data_ptr(),
                                            rstd.data_ptr(), dx.data_ptr(), dw.data_ptr(), db.data_ptr(),
                                            workspace.data_ptr(), l, be.stream),
          be, "layer_norm_backward", x);
    const auto types = ctx->saved_data["types"].toIntVector();
    return {dx, dw.to(static_cast<at::ScalarType>(types[0])), db.to(static_cast<at::ScalarType>(types[1])),
            at::Tensor()};
  }
};

// One gating step forward: y = a * (scale * mixed[:, first:first+d]).
at::Tensor gate_forward(const at::Tensor& a_in, const at::Tensor& mixed, int64_t first, double scale) {
  const auto a = with_channel_layout(a_in);
  check_one_type("gate_forward", {a, mixed});
  auto y = empty_like_format(a);
  const auto be = backend_for(a);
  check(be.launchers->gate_forward(dtype_of(a), a.data_ptr(), mixed.data_ptr(), y.data_ptr(), channel_layout(a),
                                   channel_layout(mixed), channel_layout(y), first, scale, be.stream),
        be, "gate_forward", a);
  return y;
}

// One gating step backward: returns da; writes the step's channels of dmixed (laid out as mixed).
at::Tensor gate_backward(const at::Tensor& a_in, const at::Tensor& mixed, const at::Tensor& dy_in, at::Tensor& dmixed,
                         int64_t first, double scale) {
  const auto a = with_channel_layout(a_in);
  const auto dy = dense(dy_in);
  check_one_type("gate_backward", {a, mixed, dy, dmixed});
  auto da = at::empty_like(dy);
  const auto be = backend_for(a);
  check(be.launchers->gate_backward(dtype_of(a), a.data_ptr(), mixed.data_ptr(), dy.data_ptr(), da.data_ptr(),
                                    dmixed.data_ptr(), channel_layout(a), channel_layout(mixed), channel_layout(dy),
                                    first, scale, be.stream),
        be, "gate_backward", a);
  return da;
}

// The chain runs in one type, activation_type(pwa, mixed); under autocast each
// projection runs in autocast's type and its output joins the chain's type,
// as the composite path's product promotes it. Backward takes each
// projection's gradients in the type it ran in, as autograd would have.
class GatingFunction : public torch::autograd::Function<GatingFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& pwa_in, const at::Tensor& mixed_in,
                            at::TensorList weights, at::TensorList biases, const std::vector<int64_t>& dims,
                            double scale) {
    const auto type = activation_type("gnConv gating", pwa_in, mixed_in);
    const auto pwa = pwa_in.to(type);
    const auto mixed = dense(mixed_in.to(type));  // dmixed is laid out as it
    std::vector<at::Tensor> saved{pwa, mixed};
    std::vector<int64_t> types{static_cast<int64_t>(pwa_in.scalar_type()),
                               static_cast<int64_t>(mixed_in.scalar_type())};
    auto y = gate_forward(pwa, mixed, 0, scale);
    int64_t first = dims[0];
    for (size_t i = 0; i < weights.size(); ++i) {
      const auto a = at::conv2d(y, weights[i], biases[i]);
      TORCH_CHECK(at::promote_types(a.scalar_type(), type) == type, "hornet's fused gnConv gating: projection ", i,
                  " gives ", a.scalar_type(), ", wider than the chain's ", type);
      types.push_back(static_cast<int64_t>(a.scalar_type()));
      const auto a_chain = a.to(type);
      saved.insert(saved.end(), {weights[i], y, a_chain});  // the projection, its input and its output
      y = gate_forward(a_chain, mixed, first, scale);
      first += dims[i + 1];
    }
    ctx->save_for_backward(saved);
    ctx->saved_data["dims"] = c10::IValue(dims);
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["types"] = types;  // pwa's, mixed's, then each projection's compute type
    std::vector<int64_t> bias_types;
    for (const auto& b : biases) bias_types.push_back(static_cast<int64_t>(b.scalar_type()));
    ctx->saved_data["bias_types"] = bias_types;
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto dims = ctx->saved_data["dims"].toIntVector();
    const double scale = ctx->saved_data["scale"].toDouble();
    const auto types = ctx->saved_data["types"].toIntVector();
    const auto bias_types = ctx->saved_data["bias_types"].toIntVector();
    const auto type_at = [&](size_t k) { return static_cast<at::ScalarType>(types[k]); };
    const auto &pwa = saved[0], &mixed = saved[1];
    const size_t steps = dims.size() - 1;
    auto dmixed = at::empty_like(mixed);  // every channel is some step's gate
    std::vector<at::Tensor> dweights(steps), dbiases(steps);
    int64_t first = std::accumulate(dims.begin(), dims.end(), int64_t{0});
    auto dy = grads[0].to(mixed.scalar_type());
    for (size_t i = steps; i-- > 0;) {
      first -= dims[i + 1];
      const auto &weight = saved[2 + 3 * i], &input = saved[3 + 3 * i], &a = saved[4 + 3 * i];
      const auto conv_type = type_at(2 + i);
      const auto da = gate_backward(a, mixed, dy, dmixed, first, scale).to(conv_type);
      // The 1x1 projection's gradients: matrix products (cuBLAS on the GPU).
      dweights[i] =
          at::einsum("nohw,nihw->oi", {da, input.to(conv_type)}).view(weight.sizes()).to(weight.scalar_type());
      dbiases[i] = da.sum({0, 2, 3}).to(static_cast<at::ScalarType>(bias_types[i]));
      dy = at::conv2d(da, weight.to(conv_type).transpose(0, 1)).to(mixed.scalar_type());
    }
    tensor_list out{gate_backward(pwa, mixed, dy, dmixed, 0, scale).to(type_at(0)), dmixed.to(type_at(1))};
    out.insert(out.end(), dweights.begin(), dweights.end());
    out.insert(out.end(), dbiases.begin(), dbiases.end());
    out.emplace_back();  // dims
    out.emplace_back();  // scale
    return out;
  }
};

class SpectrumWeightFunction : public torch::autograd::Function<SpectrumWeightFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& spectrum_in, const at::Tensor& weight_in) {
    const auto s = spectrum_in.contiguous();
    const auto w = weight_in.to(s.scalar_type()).contiguous();
    const SpectrumShape sh{s.size(0), s.size(1), s.size(2) * s.size(3)};
    auto out = at::empty_like(s);
    const auto be = backend_for(s);
    check(be.launchers->spectrum_weight_forward(dtype_of(s), s.data_ptr(), w.data_ptr(), out.data_ptr(), sh,
                                                be.stream),
          be, "spectrum_weight_forward", s);
    ctx->save_for_backward({s, w});
    ctx->saved_data["weight_type"] = static_cast<int64_t>(weight_in.scalar_type());
    return out;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &s = saved[0], &w = saved[1];
    const auto g = grads[0].contiguous();
    auto ds = at::empty_like(s), dw = at::empty_like(w);
    const auto be = backend_for(s);
    check(be.launchers->spectrum_weight_backward(dtype_of(s), s.data_ptr(), w.data_ptr(), g.data_ptr(),
                                                 ds.data_ptr(), dw.data_ptr(),
                                                 SpectrumShape{s.size(0), s.size(1), s.size(2) * s.size(3)},
                                                 be.stream),
          be, "spectrum_weight_backward", s);
    return {ds, dw.to(static_cast<at::ScalarType>(ctx->saved_data["weight_type"].toInt()))};
  }
};

class InterleavedNormFunction : public torch::autograd::Function<InterleavedNormFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& local_in, const at::Tensor& global_in,
                            const at::Tensor& weight, const at::Tensor& bias, double eps) {
    const auto type = activation_type("GF interleave", local_in, global_in);
    const auto local = dense(local_in.to(type)), global = dense(global_in.to(type));
    const auto opts = accumulation(local);
    const auto w = weight.to(opts).contiguous(), b = bias.to(opts).contiguous();
    auto y = at::empty({local.size(0), 2 * local.size(1), local.size(2), local.size(3)},
                       local.options().memory_format(local.suggest_memory_format()));
    const auto ly = channel_layout(y);
    auto mean = at::empty({ly.n * ly.hw}, opts), rstd = at::empty({ly.n * ly.hw}, opts);
    const auto be = backend_for(local);
    check(be.launchers->interleaved_norm_forward(dtype_of(local), local.data_ptr(), global.data_ptr(), w.data_ptr(),
                                                 b.data_ptr(), y.data_ptr(), mean.data_ptr(), rstd.data_ptr(),
                                                 channel_layout(local), channel_layout(global), ly, eps, be.stream),
          be, "interleaved_norm_forward", local);
    ctx->save_for_backward({local, global, w, mean, rstd, y});
    ctx->saved_data["types"] = std::vector<int64_t>{
        static_cast<int64_t>(local_in.scalar_type()), static_cast<int64_t>(global_in.scalar_type()),
        static_cast<int64_t>(weight.scalar_type()), static_cast<int64_t>(bias.scalar_type())};
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &local = saved[0], &global = saved[1], &w = saved[2], &mean = saved[3], &rstd = saved[4], &y = saved[5];
    const auto dy = at::empty_like(y).copy_(grads[0]);  // laid out as y
    auto dlocal = at::empty_like(local), dglobal = at::empty_like(global);
    auto dw = at::empty_like(w), db = at::empty_like(w);
    const auto ly = channel_layout(y);
    auto workspace = param_workspace(w, ly.n * ly.hw, ly.c);
    const auto be = backend_for(local);
    check(be.launchers->interleaved_norm_backward(dtype_of(local), local.data_ptr(), global.data_ptr(), dy.data_ptr(),
                                                  w.data_ptr(), mean.data_ptr(), rstd.data_ptr(), dlocal.data_ptr(),
                                                  dglobal.data_ptr(), dw.data_ptr(), db.data_ptr(),
                                                  workspace.data_ptr(), channel_layout(local), channel_layout(global),
                                                  ly, be.stream),
          be, "interleaved_norm_backward", local);
    const auto t = ctx->saved_data["types"].toIntVector();
    const auto type = [&](size_t k) { return static_cast<at::ScalarType>(t[k]); };
    return {dlocal.to(type(0)), dglobal.to(type(1)), dw.to(type(2)), db.to(type(3)), at::Tensor()};
  }
};

}  // namespace

namespace {
std::atomic<FusedMode> g_mode{FusedMode::kAuto};
}  // namespace

void set_fused_mode(FusedMode mode) { g_mode.store(mode); }
FusedMode fused_mode() { return g_mode.load(); }

bool use_fused(const at::Tensor& t) {
  const auto mode = fused_mode();
  if (mode == FusedMode::kOff || !fused_kernels_available(t.device())) return false;
  if (t.is_cpu()) return mode == FusedMode::kAlways;  // the twin runs every type the kernels take
  return true;
}

bool fused_kernels_available(const c10::Device& device) {
#ifdef HORNET_WITH_CUDA
  if (device.is_cuda()) return true;
#endif
  return device.is_cpu();
}

at::Tensor fused_layer_norm_channels_first(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                           double eps) {
  TORCH_CHECK(x.dim() == 4, "fused_layer_norm_channels_first: x must be [N, C, H, W], got ", x.sizes());
  TORCH_CHECK(weight.numel() == x.size(1) && bias.numel() == x.size(1),
              "fused_layer_norm_channels_first: weight and bias need ", x.size(1), " elements");
  return LayerNormFunction::apply(x, weight, bias, eps);
}

at::Tensor fused_gnconv_gating(const at::Tensor& pwa, const at::Tensor& mixed, const std::vector<at::Tensor>& weights,
                               const std::vector<at::Tensor>& biases, const std::vector<int64_t>& dims, double scale) {
  TORCH_CHECK(!dims.empty() && weights.size() + 1 == dims.size() && biases.size() == weights.size(),
              "fused_gnconv_gating: need one weight and bias per step after the first");
  for (const auto& b : biases) TORCH_CHECK(b.defined(), "fused_gnconv_gating: the projections need their biases");
  const int64_t total = std::accumulate(dims.begin(), dims.end(), int64_t{0});
  TORCH_CHECK(pwa.dim() == 4 && pwa.size(1) == dims[0], "fused_gnconv_gating: pwa must have ", dims[0], " channels");
  TORCH_CHECK(mixed.dim() == 4 && mixed.size(1) == total, "fused_gnconv_gating: mixed must have ", total, " channels");
  return GatingFunction::apply(pwa, mixed, at::TensorList(weights), at::TensorList(biases), dims, scale);
}

at::Tensor fused_spectrum_weight(const at::Tensor& spectrum, const at::Tensor& weight) {
  TORCH_CHECK(spectrum.dim() == 5 && spectrum.size(4) == 2, "fused_spectrum_weight: spectrum must be [N, C, Hf, Wf, 2]");
  TORCH_CHECK(weight.dim() == 4 && weight.sizes() == spectrum.sizes().slice(1),
              "fused_spectrum_weight: weight must be [C, Hf, Wf, 2] as the spectrum, got ", weight.sizes());
  return SpectrumWeightFunction::apply(spectrum, weight);
}

at::Tensor fused_interleaved_norm(const at::Tensor& local, const at::Tensor& global, const at::Tensor& weight,
                                  const at::Tensor& bias, double eps) {
  TORCH_CHECK(local.dim() == 4 && local.sizes() == global.sizes(),
              "fused_interleaved_norm: local and global must be [N, c, H, W] alike");
  TORCH_CHECK(weight.numel() == 2 * local.size(1) && bias.numel() == 2 * local.size(1),
              "fused_interleaved_norm: weight and bias need ", 2 * local.size(1), " elements");
  return InterleavedNormFunction::apply(local, global, weight, bias, eps);
}

}  // namespace hornet::ops::kernels
