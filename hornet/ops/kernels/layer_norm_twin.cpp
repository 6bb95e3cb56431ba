#include "hornet/ops/kernels/layer_norm_twin.h"

#include "hornet/ops/kernels/layer_norm_math.h"
#include "hornet/ops/kernels/tensor_layout.h"

#include <ATen/Dispatch.h>
#include <torch/autograd.h>
#include <torch/torch.h>

namespace hornet::ops::kernels {

namespace {

class TwinFunction : public torch::autograd::Function<TwinFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input, const at::Tensor& weight,
                            const at::Tensor& bias, double eps) {
    const auto x = input.contiguous(input.suggest_memory_format());  // dense: y and dy share its layout
    const auto w = weight.to(x.scalar_type()).contiguous(), b = bias.to(x.scalar_type()).contiguous();
    const auto l = channel_layout(x);
    auto y = at::empty_strided(x.sizes(), x.strides(), x.options());
    auto mean = at::empty({l.n * l.hw}, x.options());
    auto rstd = at::empty({l.n * l.hw}, x.options());
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "layer_norm_twin_forward", [&] {
      const auto* xp = x.data_ptr<scalar_t>();
      auto* yp = y.data_ptr<scalar_t>();
      for (int64_t i = 0; i < l.n * l.hw; ++i) {  // one kernel thread each
        const int64_t at = l.offset(i / l.hw, i % l.hw);
        scalar_t m, r;
        const StridedRow<const scalar_t> row{xp + at, l.stride_c};
        ln_position_stats<scalar_t>(row, l.c, static_cast<scalar_t>(eps), m, r);
        ln_position_forward<scalar_t>(row, w.data_ptr<scalar_t>(), b.data_ptr<scalar_t>(),
                                      StridedRow<scalar_t>{yp + at, l.stride_c}, l.c, m, r);
        mean.data_ptr<scalar_t>()[i] = m;
        rstd.data_ptr<scalar_t>()[i] = r;
      }
    });
    ctx->save_for_backward({x, w, mean, rstd});
    ctx->saved_data["weight_type"] = static_cast<int64_t>(weight.scalar_type());
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& w = saved[1];
    const auto& mean = saved[2];
    const auto& rstd = saved[3];
    // dy in x's layout, so that one position index addresses both.
    const auto dy = at::empty_strided(x.sizes(), x.strides(), x.options()).copy_(grads[0]);
    const auto l = channel_layout(x);
    auto dx = at::empty_strided(x.sizes(), x.strides(), x.options());
    auto dw = at::empty({l.c}, x.options());
    auto db = at::empty({l.c}, x.options());
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "layer_norm_twin_backward", [&] {
      const auto* xp = x.data_ptr<scalar_t>();
      const auto* gp = dy.data_ptr<scalar_t>();
      const auto* mp = mean.data_ptr<scalar_t>();
      const auto* rp = rstd.data_ptr<scalar_t>();
      for (int64_t i = 0; i < l.n * l.hw; ++i) {
        const int64_t at = l.offset(i / l.hw, i % l.hw);
        ln_position_backward<scalar_t>(StridedRow<const scalar_t>{xp + at, l.stride_c},
                                       StridedRow<const scalar_t>{gp + at, l.stride_c}, w.data_ptr<scalar_t>(),
                                       StridedRow<scalar_t>{dx.data_ptr<scalar_t>() + at, l.stride_c}, l.c, mp[i],
                                       rp[i]);
      }
      for (int64_t k = 0; k < l.c; ++k) {  // one kernel block each
        scalar_t acc_w = 0, acc_b = 0;
        for (int64_t i = 0; i < l.n * l.hw; ++i) {
          const int64_t at = l.offset(i / l.hw, i % l.hw) + k * l.stride_c;
          ln_param_grad_term<scalar_t>(xp[at], gp[at], mp[i], rp[i], acc_w, acc_b);
        }
        dw.data_ptr<scalar_t>()[k] = acc_w;
        db.data_ptr<scalar_t>()[k] = acc_b;
      }
    });
    const auto weight_type = static_cast<at::ScalarType>(ctx->saved_data["weight_type"].toInt());
    return {dx, dw.to(weight_type), db.to(weight_type), at::Tensor()};
  }
};

}  // namespace

at::Tensor layer_norm_channels_first_twin(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                                          double eps) {
  TORCH_CHECK(x.dim() == 4, "layer_norm_channels_first_twin: x must be [N, C, H, W], got ", x.sizes());
  TORCH_CHECK(weight.numel() == x.size(1) && bias.numel() == x.size(1),
              "layer_norm_channels_first_twin: weight and bias need ", x.size(1), " elements");
  return TwinFunction::apply(x, weight, bias, eps);
}

}  // namespace hornet::ops::kernels
