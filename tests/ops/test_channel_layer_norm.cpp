// The fused channels-first LayerNorm against the formula evaluated in double
// precision by LibTorch's autograd: outputs and the gradients of x, w and b,
// on sizes that leave partial blocks and partial vector lanes.
#include "hornet/ops/autocast.h"
#include "hornet/ops/channel_layer_norm.h"
#include "support/op_check.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <torch/torch.h>

namespace {

using hornet::test::max_rel_diff;

const auto formula = hornet::test::layer_norm_channels_first_formula;

void check(int64_t n, int64_t c, int64_t h, int64_t w, double offset, double spread) {
  INFO("n " << n << " c " << c << " h " << h << " w " << w << " offset " << offset << " spread " << spread);
  torch::manual_seed(n * 1000 + c * 10 + h);
  const auto x = (offset + spread * torch::randn({n, c, h, w})).requires_grad_(true);
  const auto wt = torch::linspace(0.5, 1.5, c).requires_grad_(true);
  const auto bt = torch::linspace(-0.2, 0.3, c).requires_grad_(true);
  const auto x64 = x.detach().to(torch::kFloat64).requires_grad_(true);
  const auto w64 = wt.detach().to(torch::kFloat64).requires_grad_(true);
  const auto b64 = bt.detach().to(torch::kFloat64).requires_grad_(true);

  // The same formula op by op in float32: on near-flat channels float's
  // cancellation in x - u alone costs ~1e-4, and the fused kernel may be no
  // worse than that.
  const auto x32 = x.detach().clone().requires_grad_(true);
  const auto w32 = wt.detach().clone().requires_grad_(true);
  const auto b32 = bt.detach().clone().requires_grad_(true);

  REQUIRE(hornet::ops::layer_norm_channels_first_fused(x));
  const auto y = hornet::ops::layer_norm_channels_first(x, wt, bt, 1e-6);
  const auto ref = formula(x64, w64, b64, 1e-6);
  const auto op_by_op = formula(x32, w32, b32, 1e-6);
  const auto bound = [](double float_error, double floor) { return std::max(floor, 2.0 * float_error); };
  CHECK(max_rel_diff(y, ref) <= bound(max_rel_diff(op_by_op, ref), 1e-5));

  const auto g = torch::randn({n, c, h, w}, torch::kFloat64);
  (y * g.to(torch::kFloat32)).sum().backward();
  (ref * g).sum().backward();
  (op_by_op * g.to(torch::kFloat32)).sum().backward();
  CHECK(max_rel_diff(x.grad(), x64.grad()) <= bound(max_rel_diff(x32.grad(), x64.grad()), 1e-4));
  CHECK(max_rel_diff(wt.grad(), w64.grad()) <= bound(max_rel_diff(w32.grad(), w64.grad()), 1e-5));
  CHECK(max_rel_diff(bt.grad(), b64.grad()) <= bound(max_rel_diff(b32.grad(), b64.grad()), 1e-5));
}

}  // namespace

TEST_CASE("channel LayerNorm: fused kernel equals the formula, forward and backward", "[ops][layernorm]") {
  check(2, 6, 5, 7, 0.0, 1.0);     // positions < one lane block
  check(3, 5, 17, 19, 0.0, 1.0);   // 323 positions: a full block and a partial one
  check(1, 64, 16, 16, 2.0, 0.5);  // exactly one block
  check(2, 3, 4, 4, 3.0, 1e-3);    // near-flat channels, where eps matters
}

TEST_CASE("channel LayerNorm: results do not depend on the thread count", "[ops][layernorm]") {
  torch::manual_seed(3);
  const auto x0 = torch::randn({4, 8, 23, 29});
  const auto w = torch::rand({8}), b = torch::rand({8});
  const auto run = [&](int threads) {
    at::set_num_threads(threads);
    auto x = x0.clone().requires_grad_(true);
    auto wt = w.clone().requires_grad_(true), bt = b.clone().requires_grad_(true);
    const auto y = hornet::ops::layer_norm_channels_first(x, wt, bt, 1e-6);
    (y * y).sum().backward();
    at::set_num_threads(1);
    return std::vector<torch::Tensor>{y.detach(), x.grad(), wt.grad(), bt.grad()};
  };
  const auto one = run(1), two = run(2);
  for (size_t k = 0; k < one.size(); ++k) CHECK(torch::equal(one[k], two[k]));
}

TEST_CASE("channel LayerNorm: doubles take the tensor-op formula", "[ops][layernorm]") {
  const auto x = torch::randn({2, 4, 3, 3});
  const auto w = torch::rand({4}), b = torch::rand({4});
  CHECK_FALSE(hornet::ops::layer_norm_channels_first_fused(x.to(torch::kFloat64)));
  CHECK_FALSE(hornet::ops::layer_norm_channels_first_fused(x.to(torch::kBFloat16)));
  CHECK(torch::allclose(hornet::ops::layer_norm_channels_first(x.to(torch::kFloat64), w.to(torch::kFloat64),
                                                               b.to(torch::kFloat64), 1e-6),
                        formula(x.to(torch::kFloat64), w.to(torch::kFloat64), b.to(torch::kFloat64), 1e-6)));
}

TEST_CASE("channel LayerNorm: under CPU bf16 autocast, the fused kernel in float32 with a float32 result",
          "[ops][layernorm][amp]") {
  torch::manual_seed(5);
  const auto w = torch::rand({8}), b = torch::rand({8});
  const auto g = torch::randn({2, 8, 5, 7});
  for (const auto input_type : {torch::kFloat, torch::kBFloat16}) {
    CAPTURE(input_type);
    const auto x = torch::randn({2, 8, 5, 7}).mul_(3).add_(1).to(input_type);
    auto xd = x.to(torch::kDouble).requires_grad_(true), wd = w.to(torch::kDouble).requires_grad_(true),
         bd = b.to(torch::kDouble).requires_grad_(true);
    const auto ref = formula(xd, wd, bd, 1e-6);
    (ref * g.to(torch::kDouble)).sum().backward();

    auto xt = x.clone().requires_grad_(true), wt = w.clone().requires_grad_(true), bt = b.clone().requires_grad_(true);
    torch::Tensor y;
    {
      hornet::ops::AutocastGuard bf16(torch::kCPU, torch::kBFloat16);
      CHECK(hornet::ops::layer_norm_channels_first_fused(xt));
      y = hornet::ops::layer_norm_channels_first(xt, wt, bt, 1e-6);
    }
    // As autocast's layer_norm: float32 out, computed in float32 from the stored input.
    REQUIRE(y.scalar_type() == torch::kFloat);
    CHECK(torch::allclose(y.to(torch::kDouble), ref.detach(), 1e-5, 1e-5));
    (y * g).sum().backward();
    REQUIRE(xt.grad().scalar_type() == input_type);
    const double x_tol = input_type == torch::kFloat ? 1e-4 : std::ldexp(1.0, -7);
    CHECK(torch::allclose(xt.grad().to(torch::kDouble), xd.grad(), x_tol, 1e-4));
    CHECK(torch::allclose(wt.grad().to(torch::kDouble), wd.grad(), 1e-4, 1e-4));
    CHECK(torch::allclose(bt.grad().to(torch::kDouble), bd.grad(), 1e-4, 1e-4));
  }
}
