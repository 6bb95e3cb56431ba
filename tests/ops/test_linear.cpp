// hornet's linear layer against torch::linear: values and gradients, on the
// oneDNN route and on the inputs that must fall back.
#include "hornet/ops/autocast.h"
#include "hornet/ops/linear.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

namespace {

double rel_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(1e-12, b.abs().max().item<double>());
}

void check_against_torch(std::vector<int64_t> shape, int64_t out, bool bias, bool expect_onednn) {
  INFO("shape " << c10::IntArrayRef(shape) << " out " << out << " bias " << bias);
  torch::manual_seed(static_cast<uint64_t>(shape.back() * 31 + out));
  const int64_t in = shape.back();
  auto x0 = torch::randn(shape).requires_grad_(true);
  auto w0 = torch::randn({out, in}).requires_grad_(true);
  auto b0 = bias ? torch::randn({out}).requires_grad_(true) : torch::Tensor();
  auto x1 = x0.detach().clone().requires_grad_(true);
  auto w1 = w0.detach().clone().requires_grad_(true);
  auto b1 = bias ? b0.detach().clone().requires_grad_(true) : torch::Tensor();
  CHECK(hornet::ops::linear_uses_onednn(x0, w0) == expect_onednn);

  const auto ours = hornet::ops::linear(x0, w0, b0);
  const auto ref = torch::linear(x1, w1, b1);
  REQUIRE(ours.sizes() == ref.sizes());
  CHECK(ours.is_contiguous());
  CHECK(rel_diff(ours, ref) < 1e-5);
  const auto g = torch::randn(ref.sizes());
  (ours * g).sum().backward();
  (ref * g).sum().backward();
  CHECK(rel_diff(x0.grad(), x1.grad()) < 1e-5);
  CHECK(rel_diff(w0.grad(), w1.grad()) < 1e-5);
  if (bias) CHECK(rel_diff(b0.grad(), b1.grad()) < 1e-5);
}

}  // namespace

TEST_CASE("linear: the oneDNN route equals torch::linear forward and backward", "[ops][linear]") {
  check_against_torch({2, 9, 7, 24}, 40, true, true);
  check_against_torch({16, 5, 3}, 8, false, true);
  check_against_torch({1, 3, 17, 11, 6}, 5, true, true);
}

TEST_CASE("linear: 2-D inputs, too few rows, doubles and autocast use torch::linear", "[ops][linear]") {
  check_against_torch({7, 24}, 40, true, false);
  check_against_torch({1, 3, 4, 8}, 8, true, false);  // 3 rows on one thread
  const auto x = torch::randn({4, 8, 8, 16});
  const auto w = torch::randn({32, 16});
  CHECK_FALSE(hornet::ops::linear_uses_onednn(x.to(torch::kDouble), w.to(torch::kDouble)));
  CHECK_FALSE(hornet::ops::linear_uses_onednn(x.permute({0, 2, 1, 3}), w));
  hornet::ops::AutocastGuard bf16(torch::kCPU, torch::kBFloat16);
  CHECK_FALSE(hornet::ops::linear_uses_onednn(x, w));
  CHECK(hornet::ops::linear(x, w, {}).scalar_type() == torch::kBFloat16);
}
