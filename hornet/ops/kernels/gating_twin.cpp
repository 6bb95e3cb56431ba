#include "hornet/ops/kernels/gating_twin.h"

#include "hornet/ops/kernels/gating_math.h"
#include "hornet/ops/kernels/tensor_layout.h"

#include <ATen/Dispatch.h>
#include <torch/autograd.h>
#include <torch/torch.h>

namespace hornet::ops::kernels {

namespace {

// One step forward, one kernel thread per element.
at::Tensor gate_forward(const at::Tensor& a_in, const at::Tensor& mixed, int64_t first, double scale) {
  const auto a = with_channel_layout(a_in);
  auto y = empty_like_format(a);
  const auto la = channel_layout(a), ly = channel_layout(y), lm = channel_layout(mixed);
  AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "gate_forward_twin", [&] {
    const auto* ap = a.data_ptr<scalar_t>();
    const auto* mp = mixed.data_ptr<scalar_t>();
    auto* yp = y.data_ptr<scalar_t>();
    for (int64_t i = 0; i < la.n * la.c * la.hw; ++i) {
      const GateIndex in(i, la, lm, first), out(i, ly, lm, first);
      yp[out.in_a] = gated<scalar_t>(ap[in.in_a], mp[in.in_mixed], static_cast<scalar_t>(scale));
    }
  });
  return y;
}

// One step backward: returns da; writes this step's channels of dmixed.
at::Tensor gate_backward(const at::Tensor& a_in, const at::Tensor& mixed, const at::Tensor& dy_in, at::Tensor& dmixed,
                         int64_t first, double scale) {
  const auto a = with_channel_layout(a_in);
  const auto dy = with_channel_layout(dy_in);
  auto da = empty_like_format(a);
  const auto la = channel_layout(a), lg = channel_layout(dy), ld = channel_layout(da), lm = channel_layout(mixed),
             ldm = channel_layout(dmixed);
  AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "gate_backward_twin", [&] {
    const auto* ap = a.data_ptr<scalar_t>();
    const auto* mp = mixed.data_ptr<scalar_t>();
    const auto* gp = dy.data_ptr<scalar_t>();
    auto* dap = da.data_ptr<scalar_t>();
    auto* dmp = dmixed.data_ptr<scalar_t>();
    for (int64_t i = 0; i < la.n * la.c * la.hw; ++i) {
      const GateIndex in(i, la, lm, first), grad(i, lg, lm, first), out(i, ld, ldm, first);
      scalar_t d_a, d_mixed;
      gated_backward<scalar_t>(ap[in.in_a], mp[in.in_mixed], static_cast<scalar_t>(scale), gp[grad.in_a], d_a,
                               d_mixed);
      dap[out.in_a] = d_a;
      dmp[out.in_mixed] = d_mixed;
    }
  });
  return da;
}

class GatingFunction : public torch::autograd::Function<GatingFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& pwa, const at::Tensor& mixed_in,
                            at::TensorList weights, at::TensorList biases, const std::vector<int64_t>& dims,
                            double scale) {
    const auto mixed = with_channel_layout(mixed_in);
    std::vector<at::Tensor> saved{pwa, mixed};
    auto y = gate_forward(pwa, mixed, 0, scale);
    int64_t first = dims[0];
    for (size_t i = 0; i < weights.size(); ++i) {
      const auto a = at::conv2d(y, weights[i], biases[i]);
      saved.push_back(weights[i]);
      saved.push_back(y);  // the projection's input
      saved.push_back(a);  // its output, the step's other factor
      y = gate_forward(a, mixed, first, scale);
      first += dims[i + 1];
    }
    ctx->save_for_backward(saved);
    ctx->saved_data["dims"] = c10::IValue(dims);
    ctx->saved_data["scale"] = scale;
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto dims = ctx->saved_data["dims"].toIntVector();
    const double scale = ctx->saved_data["scale"].toDouble();
    const auto& pwa = saved[0];
    const auto& mixed = saved[1];
    const size_t steps = dims.size() - 1;
    auto dmixed = at::empty_like(mixed);
    std::vector<at::Tensor> dweights(steps), dbiases(steps);
    int64_t first = 0;
    for (int64_t d : dims) first += d;
    auto dy = grads[0];
    for (size_t i = steps; i-- > 0;) {
      first -= dims[i + 1];
      const auto& weight = saved[2 + 3 * i];
      const auto& input = saved[3 + 3 * i];
      const auto& a = saved[4 + 3 * i];
      const auto da = gate_backward(a, mixed, dy, dmixed, first, scale);
      // The 1x1 projection's gradients: matrix products (cuBLAS on the GPU).
      dweights[i] = at::einsum("nohw,nihw->oi", {da, input}).view(weight.sizes());
      dbiases[i] = da.sum({0, 2, 3});
      dy = at::conv2d(da, weight.transpose(0, 1));
    }
    const auto dpwa = gate_backward(pwa, mixed, dy, dmixed, 0, scale);
    torch::autograd::tensor_list out{dpwa, dmixed};
    out.insert(out.end(), dweights.begin(), dweights.end());
    out.insert(out.end(), dbiases.begin(), dbiases.end());
    out.emplace_back();  // dims
    out.emplace_back();  // scale
    return out;
  }
};

}  // namespace

at::Tensor gnconv_gating_twin(const at::Tensor& pwa, const at::Tensor& mixed, const std::vector<at::Tensor>& weights,
                              const std::vector<at::Tensor>& biases, const std::vector<int64_t>& dims, double scale) {
  TORCH_CHECK(!dims.empty() && weights.size() + 1 == dims.size() && biases.size() == weights.size(),
              "gnconv_gating_twin: need one weight and bias per step after the first");
  int64_t total = 0;
  for (int64_t d : dims) total += d;
  TORCH_CHECK(pwa.dim() == 4 && pwa.size(1) == dims[0], "gnconv_gating_twin: pwa must have ", dims[0], " channels");
  TORCH_CHECK(mixed.dim() == 4 && mixed.size(1) == total, "gnconv_gating_twin: mixed must have ", total, " channels");
  return GatingFunction::apply(pwa, mixed, at::TensorList(weights), at::TensorList(biases), dims, scale);
}

}  // namespace hornet::ops::kernels
