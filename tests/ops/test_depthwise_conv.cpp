// hornet's depthwise convolution kernels against LibTorch's grouped conv2d:
// outputs and all three gradients, odd sizes, planes smaller than the kernel,
// strided (channel-sliced) inputs, with and without bias.
#include "hornet/ops/autocast.h"
#include "hornet/ops/depthwise_conv.h"
#include "support/op_check.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <torch/torch.h>

namespace {

struct Case {
  int64_t n, c, h, w, k;
  bool bias;
  bool sliced;  // the input is a channel slice of a wider tensor, as gnConv passes it
};

void check_against_conv2d(const Case& cs) {
  INFO("n " << cs.n << " c " << cs.c << " h " << cs.h << " w " << cs.w << " k " << cs.k << " bias " << cs.bias
            << " sliced " << cs.sliced);
  torch::manual_seed(cs.h * 100 + cs.w * 10 + cs.k);
  const auto x = torch::randn({cs.n, cs.c, cs.h, cs.w});
  const auto w = torch::randn({cs.c, 1, cs.k, cs.k});
  const auto b = cs.bias ? torch::randn({cs.c}) : torch::Tensor();
  REQUIRE(hornet::ops::depthwise_conv2d_uses_own_kernel(x, w));
  hornet::test::check_against_reference(
      [&](const std::vector<torch::Tensor>& in) {
        // gnConv hands over a channel slice of proj_in's output: planes
        // contiguous, samples strided.
        const auto input = cs.sliced ? torch::cat({torch::zeros({cs.n, 3, cs.h, cs.w}), in[0]}, 1).narrow(1, 3, cs.c)
                                     : in[0];
        return hornet::ops::depthwise_conv2d(input, in[1], in[2]);
      },
      [&](const std::vector<torch::Tensor>& in) { return torch::conv2d(in[0], in[1], in[2], 1, cs.k / 2, 1, cs.c); },
      {x, w, b}, 1e-5);
}

}  // namespace

TEST_CASE("depthwise conv: 7x7 and 3x3 equal LibTorch's conv2d forward and backward", "[ops][depthwise]") {
  check_against_conv2d({2, 5, 9, 13, 7, true, false});
  check_against_conv2d({3, 4, 14, 14, 7, true, true});
  check_against_conv2d({2, 6, 11, 7, 3, false, true});
  check_against_conv2d({1, 3, 56, 56, 7, true, false});
}

TEST_CASE("depthwise conv: planes smaller than the kernel and other odd kernels", "[ops][depthwise]") {
  check_against_conv2d({2, 3, 2, 5, 7, true, false});
  check_against_conv2d({1, 2, 1, 1, 7, true, true});
  check_against_conv2d({2, 4, 6, 9, 5, true, false});
  check_against_conv2d({2, 4, 6, 9, 1, true, false});
}

TEST_CASE("depthwise conv: other dtypes go to LibTorch", "[ops][depthwise]") {
  const auto x = torch::randn({1, 4, 8, 8});
  const auto w = torch::randn({4, 1, 3, 3});
  CHECK(hornet::ops::depthwise_conv2d_uses_own_kernel(x, w));
  CHECK_FALSE(hornet::ops::depthwise_conv2d_uses_own_kernel(x.to(torch::kDouble), w.to(torch::kDouble)));
  CHECK_FALSE(hornet::ops::depthwise_conv2d_uses_own_kernel(x.to(torch::kBFloat16), w));
  const auto ref = torch::conv2d(x.to(torch::kDouble), w.to(torch::kDouble), {}, 1, 1, 1, 4);
  CHECK(torch::allclose(hornet::ops::depthwise_conv2d(x.to(torch::kDouble), w.to(torch::kDouble), {}), ref));
}

TEST_CASE("depthwise conv: under CPU bf16 autocast, float32 math and a bf16 result, gradients in each input's type",
          "[ops][depthwise][amp]") {
  torch::manual_seed(3);
  const int64_t c = 6, k = 7;
  const auto w = torch::randn({c, 1, k, k}).mul_(0.2);
  const auto b = torch::randn({c});
  const auto g = torch::randn({2, c, 9, 11});
  for (const auto input_type : {torch::kFloat, torch::kBFloat16}) {
    CAPTURE(input_type);
    const auto x = torch::randn({2, c, 9, 11}).to(input_type);
    // Reference: the same inputs (as stored) in float64, LibTorch's conv2d.
    auto xd = x.to(torch::kDouble).requires_grad_(true), wd = w.to(torch::kDouble).requires_grad_(true),
         bd = b.to(torch::kDouble).requires_grad_(true);
    const auto ref = torch::conv2d(xd, wd, bd, 1, k / 2, 1, c);
    // The output is rounded once to bf16; the gradient reaching the kernel is g rounded to bf16.
    (ref * g.to(torch::kBFloat16).to(torch::kDouble)).sum().backward();

    auto xt = x.clone().requires_grad_(true), wt = w.clone().requires_grad_(true), bt = b.clone().requires_grad_(true);
    torch::Tensor y;
    {
      hornet::ops::AutocastGuard bf16(torch::kCPU, torch::kBFloat16);
      CHECK(hornet::ops::depthwise_conv2d_uses_own_kernel(xt, wt));
      y = hornet::ops::depthwise_conv2d(xt, wt, bt);
    }
    REQUIRE(y.scalar_type() == torch::kBFloat16);
    // One rounding to bf16 (8 significant bits): within 2^-8 of the value.
    const auto err = (y.to(torch::kDouble) - ref.detach()).abs();
    CHECK((err <= ref.detach().abs() * std::ldexp(1.0, -8) + 1e-6).all().item<bool>());
    (y.to(torch::kFloat) * g).sum().backward();
    REQUIRE(xt.grad().scalar_type() == input_type);
    REQUIRE(wt.grad().scalar_type() == torch::kFloat);
    // Gradients are float32 sums of bf16-exact products (x grad then stored in its type).
    const double x_tol = input_type == torch::kFloat ? 1e-4 : std::ldexp(1.0, -7);
    CHECK(torch::allclose(xt.grad().to(torch::kDouble), xd.grad(), x_tol, 1e-4));
    CHECK(torch::allclose(wt.grad().to(torch::kDouble), wd.grad(), 1e-4, 1e-3));
    CHECK(torch::allclose(bt.grad().to(torch::kDouble), bd.grad(), 1e-4, 1e-3));
  }
}
