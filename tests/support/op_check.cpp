#include "support/op_check.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <algorithm>

namespace hornet::test {

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

}  // namespace hornet::test
