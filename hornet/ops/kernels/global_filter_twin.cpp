#include "hornet/ops/kernels/global_filter_twin.h"

#include "hornet/ops/kernels/global_filter_math.h"
#include "hornet/ops/kernels/layer_norm_math.h"
#include "hornet/ops/kernels/tensor_layout.h"

#include <ATen/Dispatch.h>
#include <torch/autograd.h>
#include <torch/torch.h>

namespace hornet::ops::kernels {

namespace {

class SpectrumWeightFunction : public torch::autograd::Function<SpectrumWeightFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& spectrum_in,
                            const at::Tensor& weight_in) {
    const auto s = spectrum_in.contiguous();
    const auto w = weight_in.to(s.scalar_type()).contiguous();
    const SpectrumShape sh{s.size(0), s.size(1), s.size(2) * s.size(3)};
    auto out = at::empty_like(s);
    AT_DISPATCH_FLOATING_TYPES(s.scalar_type(), "spectrum_weight_twin", [&] {
      const auto* sp = s.data_ptr<scalar_t>();
      const auto* wp = w.data_ptr<scalar_t>();
      auto* op = out.data_ptr<scalar_t>();
      for (int64_t i = 0; i < sh.n * sh.c * sh.f; ++i) {  // one kernel thread each
        const int64_t wi = i % (sh.c * sh.f);
        complex_mul<scalar_t>(sp[2 * i], sp[2 * i + 1], wp[2 * wi], wp[2 * wi + 1], op[2 * i], op[2 * i + 1]);
      }
    });
    ctx->save_for_backward({s, w});
    ctx->saved_data["weight_type"] = static_cast<int64_t>(weight_in.scalar_type());
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& s = saved[0];
    const auto& w = saved[1];
    const auto g = grads[0].contiguous();
    const SpectrumShape sh{s.size(0), s.size(1), s.size(2) * s.size(3)};
    auto ds = at::empty_like(s);
    auto dw = at::empty_like(w);
    AT_DISPATCH_FLOATING_TYPES(s.scalar_type(), "spectrum_weight_twin_backward", [&] {
      const auto* sp = s.data_ptr<scalar_t>();
      const auto* wp = w.data_ptr<scalar_t>();
      const auto* gp = g.data_ptr<scalar_t>();
      auto* dsp = ds.data_ptr<scalar_t>();
      auto* dwp = dw.data_ptr<scalar_t>();
      for (int64_t i = 0; i < sh.n * sh.c * sh.f; ++i) {
        const int64_t wi = i % (sh.c * sh.f);
        complex_mul_conj<scalar_t>(gp[2 * i], gp[2 * i + 1], wp[2 * wi], wp[2 * wi + 1], dsp[2 * i], dsp[2 * i + 1]);
      }
      for (int64_t wi = 0; wi < sh.c * sh.f; ++wi) {  // one kernel thread each, the batch in order
        scalar_t acc_r = 0, acc_i = 0;
        for (int64_t n = 0; n < sh.n; ++n) {
          const int64_t i = n * sh.c * sh.f + wi;
          scalar_t r, im;
          complex_mul_conj<scalar_t>(gp[2 * i], gp[2 * i + 1], sp[2 * i], sp[2 * i + 1], r, im);
          acc_r += r;
          acc_i += im;
        }
        dwp[2 * wi] = acc_r;
        dwp[2 * wi + 1] = acc_i;
      }
    });
    const auto weight_type = static_cast<at::ScalarType>(ctx->saved_data["weight_type"].toInt());
    return {ds, dw.to(weight_type)};
  }
};

class InterleavedNormFunction : public torch::autograd::Function<InterleavedNormFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& local_in,
                            const at::Tensor& global_in, const at::Tensor& weight, const at::Tensor& bias,
                            double eps) {
    const auto local = with_channel_layout(local_in);
    const auto global = with_channel_layout(global_in.to(local.scalar_type()));
    const auto w = weight.to(local.scalar_type()).contiguous(), b = bias.to(local.scalar_type()).contiguous();
    auto y = at::empty({local.size(0), 2 * local.size(1), local.size(2), local.size(3)},
                       local.options().memory_format(local.suggest_memory_format()));
    const auto l = channel_layout(local), g = channel_layout(global), ly = channel_layout(y);
    auto mean = at::empty({ly.n * ly.hw}, local.options());
    auto rstd = at::empty({ly.n * ly.hw}, local.options());
    AT_DISPATCH_FLOATING_TYPES(local.scalar_type(), "interleaved_norm_twin", [&] {
      const auto* lp = local.data_ptr<scalar_t>();
      const auto* gp = global.data_ptr<scalar_t>();
      auto* yp = y.data_ptr<scalar_t>();
      for (int64_t i = 0; i < ly.n * ly.hw; ++i) {  // one kernel thread each
        const int64_t n = i / ly.hw, pos = i % ly.hw;
        const InterleavedRow<const scalar_t, const scalar_t> x{lp + l.offset(n, pos), gp + g.offset(n, pos),
                                                               l.stride_c, g.stride_c};
        scalar_t m, r;
        ln_position_stats<scalar_t>(x, ly.c, static_cast<scalar_t>(eps), m, r);
        ln_position_forward<scalar_t>(x, w.data_ptr<scalar_t>(), b.data_ptr<scalar_t>(),
                                      StridedRow<scalar_t>{yp + ly.offset(n, pos), ly.stride_c}, ly.c, m, r);
        mean.data_ptr<scalar_t>()[i] = m;
        rstd.data_ptr<scalar_t>()[i] = r;
      }
    });
    ctx->save_for_backward({local, global, w, mean, rstd, y});
    ctx->saved_data["types"] = std::vector<int64_t>{static_cast<int64_t>(global_in.scalar_type()),
                                                    static_cast<int64_t>(weight.scalar_type())};
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &local = saved[0], &global = saved[1], &w = saved[2], &mean = saved[3], &rstd = saved[4];
    const auto& y = saved[5];
    const auto dy = at::empty_like(y).copy_(grads[0]);  // laid out as y
    auto dlocal = empty_like_format(local), dglobal = empty_like_format(global);
    auto dw = at::empty_like(w), db = at::empty_like(w);
    const auto l = channel_layout(local), g = channel_layout(global), ly = channel_layout(y);
    const auto ldl = channel_layout(dlocal), ldg = channel_layout(dglobal), lg = channel_layout(dy);
    AT_DISPATCH_FLOATING_TYPES(local.scalar_type(), "interleaved_norm_twin_backward", [&] {
      const auto* lp = local.data_ptr<scalar_t>();
      const auto* gp = global.data_ptr<scalar_t>();
      const auto* dyp = dy.data_ptr<scalar_t>();
      const auto* mp = mean.data_ptr<scalar_t>();
      const auto* rp = rstd.data_ptr<scalar_t>();
      const auto x_at = [&](int64_t i) {
        const int64_t n = i / ly.hw, pos = i % ly.hw;
        return InterleavedRow<const scalar_t, const scalar_t>{lp + l.offset(n, pos), gp + g.offset(n, pos),
                                                              l.stride_c, g.stride_c};
      };
      for (int64_t i = 0; i < ly.n * ly.hw; ++i) {
        const int64_t n = i / ly.hw, pos = i % ly.hw;
        const InterleavedRow<scalar_t, scalar_t> dx{dlocal.data_ptr<scalar_t>() + ldl.offset(n, pos),
                                                    dglobal.data_ptr<scalar_t>() + ldg.offset(n, pos), ldl.stride_c,
                                                    ldg.stride_c};
        ln_position_backward<scalar_t>(x_at(i), StridedRow<const scalar_t>{dyp + lg.offset(n, pos), lg.stride_c},
                                       w.data_ptr<scalar_t>(), dx, ly.c, mp[i], rp[i]);
      }
      for (int64_t j = 0; j < ly.c; ++j) {  // one kernel block each
        scalar_t acc_w = 0, acc_b = 0;
        for (int64_t i = 0; i < ly.n * ly.hw; ++i) {
          const scalar_t d = dyp[lg.offset(i / ly.hw, i % ly.hw) + j * lg.stride_c];
          ln_param_grad_term<scalar_t>(x_at(i).template load<scalar_t>(j), d, mp[i], rp[i], acc_w, acc_b);
        }
        dw.data_ptr<scalar_t>()[j] = acc_w;
        db.data_ptr<scalar_t>()[j] = acc_b;
      }
    });
    const auto types = ctx->saved_data["types"].toIntVector();
    const auto global_type = static_cast<at::ScalarType>(types[0]), weight_type = static_cast<at::ScalarType>(types[1]);
    return {dlocal, dglobal.to(global_type), dw.to(weight_type), db.to(weight_type), at::Tensor()};
  }
};

}  // namespace

at::Tensor spectrum_weight_twin(const at::Tensor& spectrum, const at::Tensor& weight) {
  TORCH_CHECK(spectrum.dim() == 5 && spectrum.size(4) == 2, "spectrum_weight_twin: spectrum must be [N, C, Hf, Wf, 2]");
  TORCH_CHECK(weight.dim() == 4 && weight.sizes() == spectrum.sizes().slice(1),
              "spectrum_weight_twin: weight must be [C, Hf, Wf, 2] as the spectrum, got ", weight.sizes());
  return SpectrumWeightFunction::apply(spectrum, weight);
}

at::Tensor interleaved_norm_twin(const at::Tensor& local, const at::Tensor& global, const at::Tensor& weight,
                                 const at::Tensor& bias, double eps) {
  TORCH_CHECK(local.dim() == 4 && local.sizes() == global.sizes(), "interleaved_norm_twin: local and global must be "
              "[N, c, H, W] alike");
  TORCH_CHECK(weight.numel() == 2 * local.size(1) && bias.numel() == 2 * local.size(1),
              "interleaved_norm_twin: weight and bias need ", 2 * local.size(1), " elements");
  return InterleavedNormFunction::apply(local, global, weight, bias, eps);
}

}  // namespace hornet::ops::kernels
