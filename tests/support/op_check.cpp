#include "support/op_check.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <algorithm>

namespace hornet::test {

torch::Tensor layer_norm_channels_first_formula(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                                                double eps) {
  const auto u = x.mean(1, true);
  const auto s = (x - u).pow(2).mean(1, true);
  return w.to(x.scalar_type()).view({-1, 1, 1}) * (x - u) / torch::sqrt(s + eps) +
         b.to(x.scalar_type()).view({-1, 1, 1});
}

torch::Tensor gating_formula(const std::vector<torch::Tensor>& in, const std::vector<int64_t>& dims, double scale) {
  const auto gates = (in[1] * scale).split_with_sizes(dims, 1);
  auto y = in[0] * gates[0];
  const size_t steps = dims.size() - 1;
  for (size_t i = 0; i < steps; ++i) {
    y = torch::conv2d(y, in[2 + i].to(y.scalar_type()), in[2 + steps + i].to(y.scalar_type())) * gates[i + 1];
  }
  return y;
}

torch::Tensor spectrum_weight_formula(const std::vector<torch::Tensor>& in) {
  return torch::view_as_real(torch::view_as_complex(in[0]) * torch::view_as_complex(in[1]));
}

torch::Tensor interleaved_norm_formula(const std::vector<torch::Tensor>& in) {
  const auto& local = in[0];
  const auto mixed = torch::cat({local.unsqueeze(2), in[1].unsqueeze(2)}, 2)
                         .reshape({local.size(0), 2 * local.size(1), local.size(2), local.size(3)});
  return layer_norm_channels_first_formula(mixed, in[2], in[3], 1e-6);
}

double max_rel_diff(const torch::Tensor& a, const torch::Tensor& b) {
  const auto b64 = b.to(torch::kFloat64);
  return (a.to(torch::kFloat64) - b64).abs().max().item<double>() / std::max(1e-12, b64.abs().max().item<double>());
}

void check_against_reference(const TensorFn& ours, const TensorFn& reference, const std::vector<torch::Tensor>& inputs,
                             double tolerance) {
  const auto leaves = [&] {
    std::vector<torch::Tensor> out;
    for (const auto& t : inputs) out.push_back(t.defined() ? t.detach().clone().requires_grad_(true) : t);
    return out;
  };
  const auto mine = leaves(), theirs = leaves();
  const auto y = ours(mine), ref = reference(theirs);
  REQUIRE(y.sizes() == ref.sizes());
  CHECK(max_rel_diff(y, ref) < tolerance);
  const auto g = torch::randn(ref.sizes(), ref.options());
  (y * g).sum().backward();
  (ref * g).sum().backward();
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].defined()) continue;
    INFO("gradient of input " << k);
    CHECK(max_rel_diff(mine[k].grad(), theirs[k].grad()) < tolerance);
  }
}

void gradcheck(const TensorFn& f, const std::vector<torch::Tensor>& inputs, double step, double tolerance) {
  std::vector<torch::Tensor> leaves;
  for (const auto& t : inputs) {
    REQUIRE((!t.defined() || t.scalar_type() == torch::kFloat64));
    leaves.push_back(t.defined() ? t.detach().clone().requires_grad_(true) : t);
  }
  const auto r = torch::randn(f(leaves).sizes(), torch::kFloat64);
  (f(leaves) * r).sum().backward();
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < leaves.size(); ++k) {
    if (!leaves[k].defined()) continue;
    INFO("input " << k);
    // Elements in row-major order; each probe is laid out (strided) as the input was.
    const auto base = leaves[k].detach().contiguous();
    auto flat = base.view(-1);
    const auto format = leaves[k].is_contiguous() ? torch::MemoryFormat::Contiguous
                                                  : leaves[k].suggest_memory_format();
    const auto value_at = [&](int64_t i, double v) {
      flat[i] = v;
      auto probe = leaves;
      probe[k] = base.contiguous(format).clone(format);
      return (f(probe) * r).sum().item<double>();
    };
    const auto numeric = torch::empty({flat.numel()}, torch::kFloat64);
    for (int64_t i = 0; i < flat.numel(); ++i) {
      const double v = flat[i].item<double>();
      const double up = value_at(i, v + step), down = value_at(i, v - step);
      flat[i] = v;
      numeric[i] = (up - down) / (2 * step);
    }
    const auto analytic = leaves[k].grad().contiguous().view(-1);
    const double scale = std::max(1e-12, analytic.abs().max().item<double>());
    CHECK((analytic - numeric.view_as(analytic)).abs().max().item<double>() < tolerance * scale);
  }
}

}  // namespace hornet::test
